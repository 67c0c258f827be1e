import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openRootKey } from '../../crypto/root-key.ts';
import { FakePasswordHasher, InMemoryBrokerRuntime, InMemoryEncryptionKeys, SequentialIds, SettableClock } from './memory-ports.ts';
import { MqApi } from './mq-api.ts';
import { emptyMqState, MqStateFormatError, parseMqState, sealedFileMqStateStore } from './state.ts';
import { ADMIN, activeMqBroker } from './test-harness.ts';

describe('MQ state', () => {
  it('parseMqState: undefined is a fresh state; another format version is refused', () => {
    assert.deepEqual(parseMqState(undefined), emptyMqState());
    assert.throws(() => parseMqState({ formatVersion: 99, brokers: [], configurations: [] }), MqStateFormatError);
    assert.throws(() => parseMqState('x'), MqStateFormatError);
  });

  it('a sealed file keeps the records across a restart, with no username or broker name in the clear', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sealmq-mq-state-'));
    try {
      const rootKey = await openRootKey({ dir });
      const path = join(dir, 'mq-state.sealed');
      const deps = () => ({
        accountId: '123456789012',
        region: 'us-east-1',
        host: 'localhost',
        clock: new SettableClock(),
        ids: new SequentialIds(),
        store: sealedFileMqStateStore(path, rootKey),
        runtime: new InMemoryBrokerRuntime(false),
        keys: new InMemoryEncryptionKeys(),
        passwords: new FakePasswordHasher(),
      });
      const api = new MqApi(deps());
      const created = await api.handle(ADMIN, { method: 'POST', rawPath: '/v1/brokers', query: new URLSearchParams(), body: activeMqBroker({ brokerName: 'sealed-broker' }) });
      const { brokerId } = created.body as { brokerId: string };
      const bytes = await readFile(path);
      for (const text of ['sealed-broker', 'app-admin', brokerId]) assert.ok(!bytes.includes(Buffer.from(text)), `${text} in the clear`);

      const reopened = new MqApi(deps());
      const described = await reopened.handle(ADMIN, { method: 'GET', rawPath: `/v1/brokers/${brokerId}`, query: new URLSearchParams(), body: undefined });
      assert.equal((described.body as { brokerName: string }).brokerName, 'sealed-broker');

      // A flipped byte is detected, not read as an empty state.
      bytes[bytes.length - 1]! ^= 1;
      await writeFile(path, bytes);
      const damaged = new MqApi(deps());
      await assert.rejects(damaged.handle(ADMIN, { method: 'GET', rawPath: '/v1/brokers', query: new URLSearchParams(), body: undefined }), (error: unknown) => {
        // The API turns it into a 500 without the file's path or details.
        return error instanceof Error && error.name === 'InternalServerErrorException' && !error.message.includes(dir);
      });
      rootKey.destroy();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
