// Segment store behaviour beyond the port contract: reclaiming space, compaction, recovery output,
// torn tails, data-key limits and key loss.

import assert from 'node:assert/strict';
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { KeyUnavailableError } from '../crypto/key-provider.ts';
import { SegmentMessageStore } from './segment-message-store.ts';
import { bodyText, createStoreFixture, readQueue, segmentFiles, textMessage } from '../../test/store/store-fixture.ts';

describe('SegmentMessageStore space', () => {
  it('deletes segments (and their wrapped data keys) once every message in them is acknowledged', async () => {
    const fixture = await createStoreFixture({ segmentBytesMax: 16 * 1024, progressAfterMs: 0 });
    try {
      const store = await fixture.open();
      const offsets: number[] = [];
      for (let i = 0; i < 40; i++) {
        offsets.push(...(await store.append([{ queueId: 'q', message: textMessage(`m${i}`, 1000) }])));
      }
      assert.ok((await segmentFiles(fixture.dataDir)).length >= 3, 'the load spans several segments');
      await store.remove('q', offsets);
      await store.settle();
      assert.equal(store.stats().segments, 1, 'only the active segment is left');
      const deleted = fixture.events
        .filter((e) => e.type === 'compaction-summary')
        .reduce((sum, e) => sum + (e.type === 'compaction-summary' ? e.segmentsDeleted : 0), 0);
      assert.ok(deleted >= 2, `compaction summaries report the deleted segments (${deleted})`);
      assert.deepEqual(await segmentFiles(fixture.dataDir), [`${String(store.stats().activeSegmentId).padStart(20, '0')}.seg`]);
      await store.close();
      const reopened = await fixture.open();
      assert.deepEqual(await readQueue(reopened, 'q'), []);
      assert.ok((await reopened.queueStats('q')).nextOffset >= 40);
      await reopened.close();
    } finally {
      await fixture.dispose();
    }
  });

  it('moves the last live messages out of sparse old segments so that they can be deleted', async () => {
    const fixture = await createStoreFixture({ segmentBytesMax: 16 * 1024, compactionLiveRatioMin: 0.25 });
    try {
      let store = await fixture.open();
      const stuck = await store.append([{ queueId: 'stuck', message: textMessage('poison', 100) }]);
      await store.recordDelivery('stuck', stuck);
      const offsets: number[] = [];
      for (let i = 0; i < 80; i++) offsets.push(...(await store.append([{ queueId: 'q', message: textMessage(`m${i}`, 1000) }])));
      await store.remove('q', offsets);
      await store.settle();
      assert.ok(store.stats().segments <= 2, `old segments reclaimed, ${store.stats().segments} left`);
      const [poison] = await store.read('stuck', 0, 10);
      assert.equal(poison && bodyText(poison), 'poison');
      assert.equal(poison?.deliveryCount, 1);
      await store.close();
      store = await fixture.open();
      const again = await readQueue(store, 'stuck');
      assert.deepEqual(again.map(bodyText), ['poison']);
      assert.equal(again[0]!.deliveryCount, 1, 'the delivery count moved with it');
      assert.equal(again[0]!.offset, stuck[0]);
      await store.close();
    } finally {
      await fixture.dispose();
    }
  });
});

describe('SegmentMessageStore re-encryption', () => {
  it('rewrites every live message under new data keys and deletes every old segment', async () => {
    const fixture = await createStoreFixture({ segmentBytesMax: 8 * 1024, progressAfterMs: 0, compactionLiveRatioMin: 0 });
    try {
      const store = await fixture.open();
      const offsets: number[] = [];
      for (let i = 0; i < 30; i++) offsets.push(...(await store.append([{ queueId: `q${i % 2}`, message: textMessage(`m${i}`, 700) }])));
      await store.recordDelivery('q0', [offsets[0]!, offsets[2]!]);
      await store.remove('q1', [offsets[1]!, offsets[3]!]);
      await store.putDefinition({ kind: 'queue', name: 'q0', record: { durable: true } });
      const before = { q0: await readQueue(store, 'q0'), q1: await readQueue(store, 'q1') };
      const oldFiles = await segmentFiles(fixture.dataDir);
      assert.ok(oldFiles.length >= 3);
      const generated = fixture.keyProvider.generateCalls;

      const result = await store.reencrypt();
      assert.equal(result.messagesMoved, 28);
      assert.equal(result.segmentsDeleted, oldFiles.length);
      assert.ok(fixture.keyProvider.generateCalls > generated, 'new data keys');
      const files = await segmentFiles(fixture.dataDir);
      assert.ok(files.every((f) => !oldFiles.includes(f)), 'no old segment (nor its wrapped key) is left');
      assert.ok(fixture.events.some((e) => e.type === 'compaction-summary' && e.messagesMoved === 28));

      const check = async (s: typeof store): Promise<void> => {
        for (const queueId of ['q0', 'q1'] as const) {
          const now = await readQueue(s, queueId);
          assert.deepEqual(
            now.map((m) => [m.offset, m.deliveryCount, bodyText(m)]),
            before[queueId].map((m) => [m.offset, m.deliveryCount, bodyText(m)]),
          );
        }
        assert.equal((await s.listDefinitions()).length, 1);
      };
      await check(store);
      await store.close();
      const reopened = await fixture.open();
      await check(reopened);
      await reopened.close();
    } finally {
      await fixture.dispose();
    }
  });
});

describe('SegmentMessageStore concurrent reads while messages move', () => {
  it('readers see every message, unchanged, while re-encryption relocates and deletes segments', async () => {
    const fixture = await createStoreFixture({ segmentBytesMax: 6 * 1024, chunkBytesMax: 1024 });
    try {
      const store = await fixture.open();
      for (let i = 0; i < 60; i++) {
        await store.append([{ queueId: `q${i % 3}`, message: textMessage(`m${i}`, 300) }]);
      }
      const expected = new Map<string, string[]>();
      for (const q of ['q0', 'q1', 'q2']) expected.set(q, (await readQueue(store, q)).map(bodyText));
      let reading = true;
      let reads = 0;
      const readers = ['q0', 'q1', 'q2'].map(async (q) => {
        while (reading) {
          assert.deepEqual((await readQueue(store, q)).map(bodyText), expected.get(q));
          reads++;
          // Reads served from cache resolve without I/O; let the writer's I/O run too.
          await new Promise((resolve) => setImmediate(resolve));
        }
      });
      for (let i = 0; i < 3; i++) await store.reencrypt();
      reading = false;
      await Promise.all(readers);
      assert.ok(reads > 3);
      assert.equal(fixture.events.filter((e) => e.type === 'corruption' || e.type === 'failed').length, 0);
      await store.close();
    } finally {
      await fixture.dispose();
    }
  });
});

describe('SegmentMessageStore destroy', () => {
  it('removes every segment file (and so every wrapped data key); a new store there starts empty', async () => {
    const fixture = await createStoreFixture();
    try {
      const store = await fixture.open();
      await store.append([{ queueId: 'q', message: textMessage('gone') }]);
      await store.close();
      await SegmentMessageStore.destroy(fixture.dataDir);
      const fresh = await fixture.open();
      assert.deepEqual(await fresh.queueIds(), []);
      await fresh.close();
    } finally {
      await fixture.dispose();
    }
  });
});

describe('SegmentMessageStore limits', () => {
  it('refuses fields it cannot frame with a RangeError and keeps working', async () => {
    const fixture = await createStoreFixture();
    try {
      const store = await fixture.open();
      const long = 'x'.repeat(70_000);
      await assert.rejects(store.append([{ queueId: long, message: textMessage('a') }]), RangeError);
      await assert.rejects(store.append([{ queueId: 'q', message: { ...textMessage('a'), routingKey: long } }]), RangeError);
      await assert.rejects(store.remove(long, [0]), RangeError);
      await assert.rejects(store.putDefinition({ kind: long as 'queue', name: 'n', record: {} }), RangeError);
      await store.append([{ queueId: 'q', message: textMessage('fine') }]);
      await store.putDefinition({ kind: 'binding', name: long, record: { note: long } });
      assert.deepEqual((await readQueue(store, 'q')).map(bodyText), ['fine']);
      await store.close();
      const reopened = await fixture.open();
      assert.equal((await reopened.getDefinition('binding', long))?.name, long, 'long names are fine in definitions');
      await reopened.close();
    } finally {
      await fixture.dispose();
    }
  });
});

describe('SegmentMessageStore recovery', () => {
  it('truncates a torn tail (a chunk cut short), reports file and offset, and keeps all earlier messages', async () => {
    const fixture = await createStoreFixture({ progressAfterMs: 0 });
    try {
      const store = await fixture.open();
      await store.append([{ queueId: 'q', message: textMessage('kept', 100) }]);
      await store.append([{ queueId: 'q', message: textMessage('torn', 100) }]);
      const file = join('segments', (await segmentFiles(fixture.dataDir)).at(-1)!);
      await store.close();
      const path = join(fixture.dataDir, file);
      const size = (await stat(path)).size;
      const handle = await open(path, 'r+');
      await handle.truncate(size - 10);
      await handle.close();
      fixture.events.length = 0;
      const reopened = await fixture.open();
      assert.deepEqual((await readQueue(reopened, 'q')).map(bodyText), ['kept']);
      const torn = fixture.events.find((e) => e.type === 'torn-tail');
      assert.ok(torn !== undefined && torn.type === 'torn-tail');
      assert.equal(torn.file, file);
      assert.ok(torn.offset > 0 && torn.bytesDropped > 0);
      const summary = fixture.events.find((e) => e.type === 'recovery-summary');
      assert.ok(summary !== undefined && summary.type === 'recovery-summary' && summary.tornBytesDropped === torn.bytesDropped);
      await reopened.append([{ queueId: 'q', message: textMessage('after', 100) }]);
      await reopened.close();
      const third = await fixture.open();
      assert.deepEqual((await readQueue(third, 'q')).map(bodyText), ['kept', 'after']);
      await third.close();
    } finally {
      await fixture.dispose();
    }
  });

  it('reports progress and a summary when recovery runs longer than progressAfterMs', async () => {
    const fixture = await createStoreFixture({ segmentBytesMax: 32 * 1024 });
    try {
      const store = await fixture.open();
      for (let i = 0; i < 20; i++) {
        await store.append(Array.from({ length: 10 }, (_, j) => ({ queueId: `q${j % 3}`, message: textMessage(`${i}.${j}`, 900) })));
      }
      await store.close();
      fixture.events.length = 0;
      const quiet = await fixture.open();
      await quiet.close();
      assert.equal(fixture.events.filter((e) => e.type === 'recovery-summary').length, 0, 'a quick recovery stays quiet');
      const loud = await fixture.open({ progressAfterMs: 0 });
      const summary = fixture.events.find((e) => e.type === 'recovery-summary');
      assert.ok(summary !== undefined && summary.type === 'recovery-summary');
      assert.equal(summary.messages, 200);
      assert.equal(summary.queues, 3);
      assert.ok(fixture.events.some((e) => e.type === 'recovery-progress'));
      await loud.close();
    } finally {
      await fixture.dispose();
    }
  });
});

describe('SegmentMessageStore data keys', () => {
  it('Precondition: a data key encrypts at most dataKeyMessagesMax messages (ceil(n/K) GenerateDataKey calls)', async () => {
    const fixture = await createStoreFixture({ dataKeyCache: { dataKeyMessagesMax: 10 } });
    try {
      const store = await fixture.open();
      const before = fixture.keyProvider.generateCalls;
      for (let i = 0; i < 95; i++) await store.append([{ queueId: 'q', message: textMessage(`m${i}`) }]);
      // 95 messages at 10 per key: the first key (the segment opened at start) takes 10, then 9 more keys.
      assert.equal(fixture.keyProvider.generateCalls - before, 9);
      await store.close();
      const reopened = await fixture.open();
      assert.equal((await readQueue(reopened, 'q')).length, 95);
      await reopened.close();
    } finally {
      await fixture.dispose();
    }
  });

  it('refuses with KeyUnavailableError once cached keys expire while the KMS refuses, and loses nothing', async () => {
    const clock = { now: 1_000_000 };
    const fixture = await createStoreFixture({ dataKeyCache: { dataKeyCacheAgeMaxMs: 60_000 }, now: () => clock.now });
    try {
      const store = await fixture.open();
      await store.putDefinition({ kind: 'queue', name: '/|orders', record: { id: 'q' } });
      for (let i = 0; i < 5; i++) await store.append([{ queueId: 'q', message: textMessage(`m${i}`) }]);
      fixture.keyProvider.disabled = true;
      // Within the cache age the broker keeps serving (as AWS documents for data keys in use).
      assert.equal((await readQueue(store, 'q')).length, 5);
      await store.append([{ queueId: 'q', message: textMessage('m5') }]);
      await store.checkKeys();
      clock.now += 60_000;
      await assert.rejects(store.checkKeys(), KeyUnavailableError, 'the periodic check notices without client traffic');
      await assert.rejects(store.append([{ queueId: 'q', message: textMessage('refused') }]), KeyUnavailableError);
      await assert.rejects(store.read('q', 0, 10), KeyUnavailableError);
      await assert.rejects(store.remove('q', [0]), KeyUnavailableError);
      await assert.rejects(store.listDefinitions(), KeyUnavailableError);
      assert.ok(fixture.events.some((e) => e.type === 'key-unavailable' && e.error.reason === 'DISABLED'));
      await store.close();
      await assert.rejects(fixture.open(), KeyUnavailableError, 'a restart is refused too');

      fixture.keyProvider.disabled = false;
      const reopened = await fixture.open();
      assert.deepEqual((await readQueue(reopened, 'q')).map(bodyText), ['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
      assert.equal((await reopened.listDefinitions()).length, 1);
      await reopened.append([{ queueId: 'q', message: textMessage('m6') }]);
      await reopened.close();
    } finally {
      await fixture.dispose();
    }
  });

  it('serves again in the same process when the key is enabled again', async () => {
    const clock = { now: 5_000 };
    const fixture = await createStoreFixture({ dataKeyCache: { dataKeyCacheAgeMaxMs: 1000 }, now: () => clock.now });
    try {
      const store = await fixture.open();
      await store.append([{ queueId: 'q', message: textMessage('a') }]);
      fixture.keyProvider.disabled = true;
      clock.now += 1000;
      await assert.rejects(store.read('q', 0, 1), KeyUnavailableError);
      await assert.rejects(store.append([{ queueId: 'q', message: textMessage('b') }]), KeyUnavailableError);
      fixture.keyProvider.disabled = false;
      await store.append([{ queueId: 'q', message: textMessage('c') }]);
      assert.deepEqual((await readQueue(store, 'q')).map(bodyText), ['a', 'c']);
      assert.ok(fixture.events.some((e) => e.type === 'key-available'));
      await store.close();
    } finally {
      await fixture.dispose();
    }
  });
});
