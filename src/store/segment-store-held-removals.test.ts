// Removals held back to share a later sync (removeHoldMs): a removal rides in the next write's
// group commit instead of costing an fdatasync of its own, resolves by itself within the hold time
// when nothing else is written, is never reordered past a purge or a queue deletion, and is written
// before close.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MessageStore } from '../core/message-store.ts';
import { bodyText, readQueue, textMessage, withStoreFixture } from '../../test/store/store-fixture.ts';

const bodies = async (store: MessageStore, queueId: string) => (await readQueue(store, queueId)).map(bodyText);
const append = (store: MessageStore, queueId: string, texts: string[]) => store.append(texts.map((t) => ({ queueId, message: textMessage(t) })));

describe('SegmentMessageStore held removals', () => {
  it('a removal shares the sync of the next append', () =>
    withStoreFixture({ removeHoldMs: 1000 }, async (fixture) => {
      const store = await fixture.open();
      const offsets = await append(store, 'q', ['a', 'b', 'c']);
      const syncsBefore = store.syncLatency.count;
      let removed: number | undefined;
      const removal = store.remove('q', [offsets[0]!, offsets[2]!]).then((n) => (removed = n));
      await append(store, 'q', ['d']);
      await Promise.resolve();
      assert.equal(removed, 2, 'the removal was durable with the append it rode along with');
      assert.equal(store.syncLatency.count, syncsBefore + 1, 'one fdatasync for both');
      await removal;
      assert.deepEqual(await bodies(store, 'q'), ['b', 'd']);
      await store.close();
      const reopened = await fixture.open();
      assert.deepEqual(await bodies(reopened, 'q'), ['b', 'd']);
      await reopened.close();
    }));

  it('alone, a removal is written once the hold time is up', () =>
    withStoreFixture({ removeHoldMs: 30 }, async (fixture) => {
      const store = await fixture.open();
      const [offset] = await append(store, 'q', ['a']);
      const syncsBefore = store.syncLatency.count;
      assert.equal(await store.remove('q', [offset!]), 1);
      assert.ok(store.syncLatency.count > syncsBefore, 'synced before it resolved');
      assert.equal((await store.queueStats('q')).messageCount, 0);
      await store.close();
    }));

  it('a purge or a queue deletion is not overtaken by a held removal of the same queue', () =>
    withStoreFixture({ removeHoldMs: 1000 }, async (fixture) => {
      const store = await fixture.open();
      const first = await append(store, 'q', ['a', 'b']);
      const removal = store.remove('q', [first[0]!]);
      assert.equal(await store.purge('q'), 1, 'the removal went first: one message was left to purge');
      assert.equal(await removal, 1);
      // A deleted queue's offsets start again: a held removal must not hit the new queue's messages.
      const again = await append(store, 'r', ['old']);
      const stale = store.remove('r', [again[0]!]);
      await store.deleteQueue('r');
      const fresh = await append(store, 'r', ['new']);
      assert.equal(await stale, 1);
      assert.deepEqual(await bodies(store, 'r'), ['new']);
      assert.equal(fresh.length, 1);
      await store.close();
    }));

  it('close writes held removals first', () =>
    withStoreFixture({ removeHoldMs: 1000 }, async (fixture) => {
      const store = await fixture.open();
      const offsets = await append(store, 'q', ['a', 'b']);
      const removal = store.remove('q', [offsets[1]!]);
      await store.close();
      assert.equal(await removal, 1);
      const reopened = await fixture.open();
      assert.deepEqual(await bodies(reopened, 'q'), ['a']);
      await reopened.close();
    }));
});
