import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DataKeyCache, type DataKeyCacheLimits } from './data-key-cache.ts';

const limits: DataKeyCacheLimits = {
  dataKeyCacheAgeMaxMs: 1000,
  dataKeyMessagesMax: 10,
  dataKeyBytesMax: 1000,
  dataKeyCacheEntriesMax: 3,
};

function fixture(): { cache: DataKeyCache; clock: { now: number } } {
  const clock = { now: 0 };
  return { cache: new DataKeyCache(limits, () => clock.now), clock };
}

describe('DataKeyCache', () => {
  it('Precondition: a cached key is served only while younger than dataKeyCacheAgeMaxMs, then zeroed', () => {
    const { cache, clock } = fixture();
    const plaintextDataKey = Buffer.alloc(32, 0xab);
    cache.put('a', plaintextDataKey);
    clock.now = 999;
    assert.equal(cache.get('a')?.plaintextDataKey, plaintextDataKey);
    clock.now = 1000;
    assert.equal(cache.get('a'), undefined);
    assert.deepEqual(plaintextDataKey, Buffer.alloc(32, 0));
  });

  it('Precondition: a data key encrypts at most dataKeyMessagesMax messages and dataKeyBytesMax bytes', () => {
    const { cache } = fixture();
    const entry = cache.put('a', Buffer.alloc(32, 1));
    assert.equal(cache.canEncrypt(entry, 11, 1), false, 'even a first use is capped by the message limit');
    assert.equal(cache.canEncrypt(entry, 1, 5000), true, 'a first use may exceed the byte limit');
    cache.recordEncryption(entry, 9, 900);
    assert.equal(cache.canEncrypt(entry, 1, 100), true);
    assert.equal(cache.canEncrypt(entry, 2, 10), false);
    assert.equal(cache.canEncrypt(entry, 1, 101), false);
  });

  it('evicts the least recently used beyond dataKeyCacheEntriesMax, zeroing it', () => {
    const { cache } = fixture();
    const keys = [1, 2, 3, 4].map((n) => Buffer.alloc(32, n));
    cache.put('k1', keys[0]!);
    cache.put('k2', keys[1]!);
    cache.put('k3', keys[2]!);
    cache.get('k1');
    cache.put('k4', keys[3]!);
    assert.equal(cache.size, 3);
    assert.equal(cache.get('k2'), undefined);
    assert.deepEqual(keys[1], Buffer.alloc(32, 0));
    assert.ok(cache.get('k1'));
  });

  it('sweep and clear zero every evicted key; put replaces and zeroes an old entry', () => {
    const { cache, clock } = fixture();
    const a = Buffer.alloc(32, 1);
    const b = Buffer.alloc(32, 2);
    const c = Buffer.alloc(32, 3);
    cache.put('a', a);
    clock.now = 500;
    cache.put('b', b);
    clock.now = 1200;
    assert.equal(cache.sweep(), 1);
    assert.deepEqual(a, Buffer.alloc(32, 0));
    cache.put('b', c);
    assert.deepEqual(b, Buffer.alloc(32, 0));
    cache.clear();
    assert.deepEqual(c, Buffer.alloc(32, 0));
    assert.equal(cache.size, 0);
  });

  it('an entry that was evicted can no longer encrypt', () => {
    const { cache } = fixture();
    const entry = cache.put('a', Buffer.alloc(32, 1));
    cache.evict('a');
    assert.equal(cache.canEncrypt(entry, 1, 1), false);
  });

  it('rejects non-positive limits', () => {
    assert.throws(() => new DataKeyCache({ ...limits, dataKeyCacheAgeMaxMs: 0 }), /dataKeyCacheAgeMaxMs/);
  });
});
