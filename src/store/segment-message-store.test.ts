import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runMessageStoreConformance } from '../core/message-store.conformance.ts';
import { TestKeyProvider } from '../../test/store/test-key-provider.ts';
import { SegmentMessageStore, type SegmentMessageStoreOptions } from './segment-message-store.ts';

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'sealmq-store-'));
}

runMessageStoreConformance('SegmentMessageStore', {
  createFixture: async () => {
    const dataDir = await tempDir();
    const keyProvider = new TestKeyProvider();
    const options: SegmentMessageStoreOptions = { dataDir, brokerId: 'b-conformance', kmsKeyId: 'test-key', keyProvider };
    return {
      open: () => SegmentMessageStore.open(options),
      dispose: () => rm(dataDir, { recursive: true, force: true }),
    };
  },
});

runMessageStoreConformance('SegmentMessageStore (tiny segments and chunks, fast key expiry)', {
  createFixture: async () => {
    const dataDir = await tempDir();
    const keyProvider = new TestKeyProvider();
    const options: SegmentMessageStoreOptions = {
      dataDir,
      brokerId: 'b-conformance-small',
      kmsKeyId: 'test-key',
      keyProvider,
      segmentBytesMax: 8 * 1024,
      chunkBytesMax: 300,
      dataKeyCache: { dataKeyMessagesMax: 50, dataKeyCacheAgeMaxMs: 30 },
      compactionLiveRatioMin: 0.5,
    };
    return {
      open: () => SegmentMessageStore.open(options),
      dispose: () => rm(dataDir, { recursive: true, force: true }),
    };
  },
});
