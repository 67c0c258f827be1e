// Removals held back to share a later sync (removeHoldMs): a removal rides in the next write's
// group commit instead of costing an fdatasync of its own, resolves by itself within the hold time
// when nothing else is written, is never reordered past a purge or a queue deletion, and is written
// before close.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createStoreFixture, readQueue, textMessage } from '../../test/store/store-fixture.ts';

const bodies = (messages: Awaited<ReturnType<typeof readQueue>>) => messages.map((m) => new TextDecoder().decode(m.body));

describe('SegmentMessageStore held removals', () => {
  it('a removal shares the sync of the next append', async () => {
    const fixture = await createStoreFixture({ removeHoldMs: 1000 });
    try {
      const store = await fixture.open();
      const offsets = await store.append(['a', 'b', 'c'].map((t) => ({ queueId: 'q', message: textMessage(t) })));
      const syncsBefore = store.syncLatency.count;
      let removed: number | undefined;
      const removal = store.remove('q', [offsets[0]!, offsets[2]!]).then((n) => (removed = n));
      await store.append([{ queueId: 'q', message: textMessage('d') }]);
      await Promise.resolve();
      assert.equal(removed, 2, 'the removal was durable with the append it rode along with');
      assert.equal(store.syncLatency.count, syncsBefore + 1, 'one fdatasync for both');
      await removal;
      assert.deepEqual(bodies(await readQueue(store, 'q')), ['b', 'd']);
      await store.close();
      const reopened = await fixture.open();
      assert.deepEqual(bodies(await readQueue(reopened, 'q')), ['b', 'd']);
      await reopened.close();
    } finally {
      await fixture.dispose();
    }
  });

  it('alone, a removal is written once the hold time is up', async () => {
    const fixture = await createStoreFixture({ removeHoldMs: 30 });
    try {
      const store = await fixture.open();
      const [offset] = await store.append([{ queueId: 'q', message: textMessage('a') }]);
      const syncsBefore = store.syncLatency.count;
      assert.equal(await store.remove('q', [offset!]), 1);
      assert.ok(store.syncLatency.count > syncsBefore, 'synced before it resolved');
      assert.equal((await store.queueStats('q')).messageCount, 0);
      await store.close();
    } finally {
      await fixture.dispose();
    }
  });

  it('a purge or a queue deletion is not overtaken by a held removal of the same queue', async () => {
    const fixture = await createStoreFixture({ removeHoldMs: 1000 });
    try {
      const store = await fixture.open();
      const first = await store.append(['a', 'b'].map((t) => ({ queueId: 'q', message: textMessage(t) })));
      const removal = store.remove('q', [first[0]!]);
      assert.equal(await store.purge('q'), 1, 'the removal went first: one message was left to purge');
      assert.equal(await removal, 1);
      // A deleted queue's offsets start again: a held removal must not hit the new queue's messages.
      const again = await store.append([{ queueId: 'r', message: textMessage('old') }]);
      const stale = store.remove('r', [again[0]!]);
      await store.deleteQueue('r');
      const fresh = await store.append([{ queueId: 'r', message: textMessage('new') }]);
      assert.equal(await stale, 1);
      assert.deepEqual(bodies(await readQueue(store, 'r')), ['new']);
      assert.equal(fresh.length, 1);
      await store.close();
    } finally {
      await fixture.dispose();
    }
  });

  it('close writes held removals first', async () => {
    const fixture = await createStoreFixture({ removeHoldMs: 1000 });
    try {
      const store = await fixture.open();
      const offsets = await store.append(['a', 'b'].map((t) => ({ queueId: 'q', message: textMessage(t) })));
      const removal = store.remove('q', [offsets[1]!]);
      await store.close();
      assert.equal(await removal, 1);
      const reopened = await fixture.open();
      assert.deepEqual(bodies(await readQueue(reopened, 'q')), ['a']);
      await reopened.close();
    } finally {
      await fixture.dispose();
    }
  });
});
