// What the segment store counts for the metrics endpoint: each fdatasync's duration, and data-key
// lookups served from the cache (hits) or sent to the KMS (misses: a key to unwrap, or a new one
// because the cached key is too old).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createStoreFixture, readQueue, textMessage } from '../../test/store/store-fixture.ts';

describe('SegmentMessageStore metrics', () => {
  it('times every group-commit fdatasync', async () => {
    const fixture = await createStoreFixture();
    try {
      const store = await fixture.open();
      const before = store.syncLatency.count;
      for (let i = 0; i < 5; i++) await store.append([{ queueId: 'q', message: textMessage(`m${i}`) }]);
      const after = store.syncLatency.snapshot();
      assert.ok(after.count >= before + 5, `one sync per awaited append at least (${before} -> ${after.count})`);
      assert.ok(after.sumSeconds > 0);
      assert.equal(after.cumulativeCounts.at(-1)! <= after.count, true);
      await store.close();
    } finally {
      await fixture.dispose();
    }
  });

  it('counts a write under the cached key as a hit, an unwrap after reopening and an expired key as misses', async () => {
    const fixture = await createStoreFixture({ dataKeyCache: { dataKeyCacheAgeMaxMs: 200 } });
    try {
      const store = await fixture.open();
      const start = store.stats();
      assert.equal(start.dataKeyCacheMisses, 0, 'a new store has looked up no key of an older segment');
      await store.append([{ queueId: 'q', message: textMessage('one') }]);
      await store.append([{ queueId: 'q', message: textMessage('two') }]);
      const warm = store.stats();
      assert.ok(warm.dataKeyCacheHits >= start.dataKeyCacheHits + 2, 'writes under the cached key are hits');
      assert.equal(warm.dataKeyCacheMisses, start.dataKeyCacheMisses, 'no KMS call while the key is cached');
      // Past the cache age the key is gone: the next write needs a new data key from the KMS.
      await new Promise((r) => setTimeout(r, 300));
      await store.append([{ queueId: 'q', message: textMessage('three') }]);
      assert.ok(store.stats().dataKeyCacheMisses > warm.dataKeyCacheMisses, 'an expired key is a miss');
      await store.close();

      // Recovery reads the older segments, so their keys are unwrapped (missed) while the store opens.
      const reopened = await fixture.open();
      assert.ok(reopened.stats().dataKeyCacheMisses >= 1, 'reading an older segment unwraps its key');
      assert.deepEqual((await readQueue(reopened, 'q')).length, 3);
      await reopened.close();
    } finally {
      await fixture.dispose();
    }
  });
});
