import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { MemoryMessageStore } from '../core/memory-message-store.ts';
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

describe('SegmentMessageStore against the in-memory model (randomised)', () => {
  it('matches MemoryMessageStore over random operations with restarts, rolls, compaction and re-encryption', async () => {
    const queues = ['a', 'b', 'c'];
    const op = fc.oneof(
      fc.record({ kind: fc.constant('append' as const), queue: fc.constantFrom(...queues), count: fc.integer({ min: 1, max: 8 }), size: fc.integer({ min: 0, max: 900 }) }),
      fc.record({ kind: fc.constant('remove' as const), queue: fc.constantFrom(...queues), pick: fc.array(fc.nat(20), { maxLength: 6 }) }),
      fc.record({ kind: fc.constant('delivered' as const), queue: fc.constantFrom(...queues), pick: fc.array(fc.nat(20), { maxLength: 3 }) }),
      fc.record({ kind: fc.constant('purge' as const), queue: fc.constantFrom(...queues) }),
      fc.record({ kind: fc.constant('deleteQueue' as const), queue: fc.constantFrom(...queues) }),
      fc.record({ kind: fc.constant('definition' as const), name: fc.constantFrom('x', 'y'), drop: fc.boolean() }),
      fc.record({ kind: fc.constant('reopen' as const) }),
      fc.record({ kind: fc.constant('reencrypt' as const) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 5, maxLength: 20 }), async (ops) => {
        const dataDir = await tempDir();
        const options: SegmentMessageStoreOptions = {
          dataDir,
          brokerId: 'b-model',
          kmsKeyId: 'test-key',
          keyProvider: new TestKeyProvider(),
          segmentBytesMax: 4 * 1024,
          chunkBytesMax: 700,
          compactionLiveRatioMin: 0.6,
        };
        const model = new MemoryMessageStore();
        let store = await SegmentMessageStore.open(options);
        let seq = 0;
        try {
          for (const step of ops) {
            switch (step.kind) {
              case 'append': {
                const entries = Array.from({ length: step.count }, () => {
                  const body = Buffer.alloc(step.size, seq % 251);
                  return { queueId: step.queue, message: { exchange: 'e', routingKey: `k${seq}`, properties: Buffer.from(String(seq++)), body } };
                });
                assert.deepEqual(await store.append(entries), await model.append(entries));
                break;
              }
              case 'remove':
              case 'delivered': {
                const live = (await model.read(step.queue, 0, 1000)).map((m) => m.offset);
                const offsets = step.pick.map((i) => live[i % Math.max(1, live.length)] ?? i);
                if (step.kind === 'remove') assert.equal(await store.remove(step.queue, offsets), await model.remove(step.queue, offsets));
                else {
                  await store.recordDelivery(step.queue, offsets);
                  await model.recordDelivery(step.queue, offsets);
                }
                break;
              }
              case 'purge':
                assert.equal(await store.purge(step.queue), await model.purge(step.queue));
                break;
              case 'deleteQueue':
                await store.deleteQueue(step.queue);
                await model.deleteQueue(step.queue);
                break;
              case 'definition':
                if (step.drop) assert.equal(await store.deleteDefinition('queue', step.name), await model.deleteDefinition('queue', step.name));
                else {
                  const definition = { kind: 'queue' as const, name: step.name, record: { seq } };
                  await store.putDefinition(definition);
                  await model.putDefinition(definition);
                }
                break;
              case 'reencrypt':
                await store.reencrypt();
                break;
              case 'reopen':
                await store.settle();
                await store.close();
                store = await SegmentMessageStore.open(options);
                break;
            }
            for (const queueId of queues) {
              const got = await store.read(queueId, 0, 1000);
              const want = await model.read(queueId, 0, 1000);
              assert.deepEqual(
                got.map((m) => [m.offset, m.deliveryCount, Buffer.from(m.properties).toString(), m.body.length]),
                want.map((m) => [m.offset, m.deliveryCount, Buffer.from(m.properties).toString(), m.body.length]),
              );
              assert.equal((await store.queueStats(queueId)).nextOffset, (await model.queueStats(queueId)).nextOffset);
            }
            assert.deepEqual(await store.listDefinitions(), await model.listDefinitions());
          }
        } finally {
          await store.close();
          await rm(dataDir, { recursive: true, force: true });
        }
      }),
      { numRuns: Number(process.env.STORE_MODEL_RUNS ?? 20) },
    );
  });
});
