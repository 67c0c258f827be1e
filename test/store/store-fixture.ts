// Helpers shared by the segment store's tests: a temporary data directory, a store opened on it
// with a TestKeyProvider, an event log, and reading a whole queue.

import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MessageStore, MessageToStore, StoredMessage } from '../../src/core/message-store.ts';
import {
  SegmentMessageStore,
  type SegmentMessageStoreOptions,
  type SegmentStoreEvent,
} from '../../src/store/segment-message-store.ts';
import { TestKeyProvider } from './test-key-provider.ts';

export interface StoreFixture {
  readonly dataDir: string;
  readonly keyProvider: TestKeyProvider;
  readonly events: SegmentStoreEvent[];
  readonly options: SegmentMessageStoreOptions;
  open(overrides?: Partial<SegmentMessageStoreOptions>): Promise<SegmentMessageStore>;
  dispose(): Promise<void>;
}

export async function createStoreFixture(overrides: Partial<SegmentMessageStoreOptions> = {}): Promise<StoreFixture> {
  const dataDir = await mkdtemp(join(tmpdir(), 'sealmq-store-'));
  const keyProvider = new TestKeyProvider();
  const events: SegmentStoreEvent[] = [];
  const options: SegmentMessageStoreOptions = {
    dataDir,
    brokerId: 'b-11111111-2222-3333-4444-555555555555',
    kmsKeyId: 'test-key',
    keyProvider,
    onEvent: (event) => events.push(event),
    ...overrides,
  };
  return {
    dataDir,
    keyProvider,
    events,
    options,
    open: (more = {}) => SegmentMessageStore.open({ ...options, ...more }),
    dispose: () => rm(dataDir, { recursive: true, force: true }),
  };
}

/** Runs `test` on fresh storage, disposed of afterwards whatever happens. */
export async function withStoreFixture(overrides: Partial<SegmentMessageStoreOptions>, test: (fixture: StoreFixture) => Promise<void>): Promise<void> {
  const fixture = await createStoreFixture(overrides);
  try {
    await test(fixture);
  } finally {
    await fixture.dispose();
  }
}

export function textMessage(text: string, size = 0): MessageToStore {
  const body = Buffer.alloc(Math.max(size, Buffer.byteLength(text)), 0x2e);
  body.write(text, 0, 'utf8');
  return { exchange: 'ex', routingKey: 'rk', properties: Buffer.from('p'), body };
}

export function bodyText(message: StoredMessage): string {
  return Buffer.from(message.body).toString('utf8').replace(/\.+$/, '');
}

export async function readQueue(store: MessageStore, queueId: string): Promise<StoredMessage[]> {
  const out: StoredMessage[] = [];
  for await (const m of store.iterate(queueId)) out.push(m);
  return out;
}

export async function segmentFiles(dataDir: string): Promise<string[]> {
  return (await readdir(join(dataDir, 'segments'))).sort();
}
