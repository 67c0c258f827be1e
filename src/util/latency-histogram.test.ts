import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LatencyHistogram } from './latency-histogram.ts';

describe('LatencyHistogram', () => {
  it('counts each observation in the first bucket whose bound is at or above it, cumulatively, with sum and count', () => {
    const h = new LatencyHistogram([0.001, 0.01, 0.1]);
    for (const seconds of [0.0005, 0.001, 0.002, 0.05, 0.5, -1, Number.NaN]) h.observe(seconds);
    const s = h.snapshot();
    assert.deepEqual(s.boundsSeconds, [0.001, 0.01, 0.1]);
    // 0.0005, 0.001, -1 (as 0) and NaN (as 0) <= 0.001; 0.002 <= 0.01; 0.05 <= 0.1; 0.5 above all.
    assert.deepEqual(s.cumulativeCounts, [4, 5, 6]);
    assert.equal(s.count, 7);
    assert.ok(Math.abs(s.sumSeconds - (0.0005 + 0.001 + 0.002 + 0.05 + 0.5)) < 1e-12);
  });

  it('refuses bounds that are not positive and increasing', () => {
    assert.throws(() => new LatencyHistogram([0.1, 0.1]), RangeError);
    assert.throws(() => new LatencyHistogram([0, 1]), RangeError);
    assert.throws(() => new LatencyHistogram([1, Number.POSITIVE_INFINITY]), RangeError);
  });

  it('observeSince measures from a performance.now() reading', async () => {
    const h = new LatencyHistogram();
    const start = performance.now();
    await new Promise((r) => setTimeout(r, 5));
    h.observeSince(start);
    assert.equal(h.count, 1);
    assert.ok(h.snapshot().sumSeconds > 0);
  });
});
