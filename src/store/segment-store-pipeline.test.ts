// Pipelined group commit: with two fdatasyncs in flight, acknowledgements still come in write
// order, an acknowledged message is readable at once, many producers share few syncs, and segment
// rolls in the middle of overlapping commits keep every older segment's exact length (a reopen
// finds everything, in order).

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createStoreFixture, readQueue, textMessage, type StoreFixture } from '../../test/store/store-fixture.ts';

const fixtures: StoreFixture[] = [];
after(async () => {
  for (const f of fixtures) await f.dispose();
});

describe('SegmentMessageStore pipelined group commit', () => {
  it('acknowledges in write order, makes each acknowledged message readable at once, and shares syncs', async () => {
    const f = await createStoreFixture();
    fixtures.push(f);
    const store = await f.open();
    const syncsBefore = store.syncLatency.snapshot().count;
    const acknowledged: number[] = [];
    const problems: string[] = [];
    const PRODUCERS = 100;
    const EACH = 10;
    await Promise.all(
      Array.from({ length: PRODUCERS }, async (_, p) => {
        for (let i = 0; i < EACH; i++) {
          const [offset] = await store.append([{ queueId: 'q', message: textMessage(`${p}.${i}`, 300) }]);
          acknowledged.push(offset!);
          const [read] = await store.read('q', offset!, 1);
          if (read?.offset !== offset) problems.push(`offset ${offset} acknowledged but not readable`);
        }
      }),
    );
    assert.deepEqual(problems, []);
    // Offsets are given in write order, so acknowledgements in write order see them rising.
    for (let i = 1; i < acknowledged.length; i++) {
      assert.ok(acknowledged[i]! > acknowledged[i - 1]!, `acknowledgement ${i} out of write order`);
    }
    const syncs = store.syncLatency.snapshot().count - syncsBefore;
    assert.ok(syncs < (PRODUCERS * EACH) / 4, `group commit: ${syncs} syncs for ${PRODUCERS * EACH} appends`);
    await store.close();
    const reopened = await f.open();
    assert.deepEqual(
      (await readQueue(reopened, 'q')).map((m) => m.offset),
      Array.from({ length: PRODUCERS * EACH }, (_, i) => i),
    );
    await reopened.close();
  });

  it('rolls segments while syncs overlap and recovers every message in order', async () => {
    const f = await createStoreFixture({ segmentBytesMax: 16 * 1024, chunkBytesMax: 2048 });
    fixtures.push(f);
    const store = await f.open();
    const firstSegment = store.stats().activeSegmentId;
    await Promise.all(
      Array.from({ length: 40 }, async (_, p) => {
        for (let i = 0; i < 15; i++) await store.append([{ queueId: `q${p % 4}`, message: textMessage(`${p}.${i}`, 400) }]);
      }),
    );
    assert.ok(store.stats().activeSegmentId > firstSegment + 5, 'segments rolled during the run');
    const before = new Map<string, string[]>();
    for (let q = 0; q < 4; q++) before.set(`q${q}`, (await readQueue(store, `q${q}`)).map((m) => Buffer.from(m.body).toString()));
    await store.close();
    const reopened = await f.open();
    for (let q = 0; q < 4; q++) {
      const after = (await readQueue(reopened, `q${q}`)).map((m) => Buffer.from(m.body).toString());
      assert.deepEqual(after, before.get(`q${q}`));
      assert.equal(after.length, 150);
    }
    await reopened.close();
  });
});
