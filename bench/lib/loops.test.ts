// The shared benchmark loops and report helpers (bench/lib/loops.ts, report.ts, stats.ts), without a
// broker: a window never has more sends outstanding than its size and waits for the last one, a
// fixed-rate sender sends every sequence number once in order, shares add up, and medians over
// rounds follow the rules the JSON line documents. Run: node --import tsx --test bench/lib/loops.test.ts
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BoundReached, sendAtRate, SendWindow, shareOf, Waiter } from './loops.ts';
import { medianFigures, round } from './report.ts';
import { latencySummary } from './stats.ts';

test('SendWindow keeps at most `size` sends outstanding, stops at max, and returns after the last settles', async () => {
  const waiter = new Waiter();
  const sends = new SendWindow(waiter, 3, 5_000);
  let outstanding = 0;
  let most = 0;
  let settled = 0;
  const sent = await sends.run(
    10,
    () => false,
    () => {
      outstanding++;
      most = Math.max(most, outstanding);
      setImmediate(() => {
        outstanding--;
        settled++;
        sends.settle();
      });
    },
    'test settlements',
  );
  assert.equal(sent, 10);
  assert.equal(settled, 10);
  assert.equal(most, 3);
});

test('SendWindow waits while blocked() and stops when stop() says so', async () => {
  const waiter = new Waiter();
  let blocked = true;
  const sends = new SendWindow(waiter, 100, 5_000, () => blocked);
  let count = 0;
  setImmediate(() => {
    blocked = false;
    waiter.wake();
  });
  const sent = await sends.run(
    1_000,
    () => count >= 4,
    () => {
      assert.equal(blocked, false, 'sent while blocked');
      count++;
      sends.settle();
    },
    'test credit',
  );
  assert.equal(sent, 4);
});

test('a wait past its bound rejects with BoundReached; fail() rejects pending waits with its error', async () => {
  const waiter = new Waiter();
  await assert.rejects(waiter.until(() => false, 10, 'nothing'), BoundReached);
  const pending = waiter.until(() => false, 5_000, 'a failure');
  waiter.fail(new Error('connection lost'));
  await assert.rejects(pending, /connection lost/);
});

test('sendAtRate sends every sequence number once, in order', async () => {
  const seen: number[] = [];
  await sendAtRate(20_000, 50, (seq) => seen.push(seq));
  assert.deepEqual(
    seen,
    Array.from({ length: 50 }, (_, i) => i),
  );
});

test('shareOf splits a total into shares that add up to it and differ by at most one', () => {
  for (const [total, parts] of [[20_000, 4], [10, 3], [2, 5], [0, 2]] as const) {
    const shares = Array.from({ length: parts }, (_, i) => shareOf(total, parts, i));
    assert.equal(shares.reduce((a, n) => a + n, 0), total);
    assert.ok(Math.max(...shares) - Math.min(...shares) <= 1);
  }
});

test('medianFigures: numbers by median (mean of the middle two), booleans all-true, strings the first present', () => {
  const rounds = [
    { tls: null, xMsgPerSec: 10, yMs: 1.111, ok: true, n: null },
    { tls: 'TLSv1.2 A', xMsgPerSec: 31, yMs: 2.222, ok: false, n: null },
    { tls: 'TLSv1.2 B', xMsgPerSec: 20, yMs: 4.444, ok: true, n: null },
    { tls: null, xMsgPerSec: 40, yMs: 8, ok: true, n: null },
  ];
  assert.deepEqual(medianFigures(rounds), { tls: 'TLSv1.2 A', xMsgPerSec: 26, yMs: 3.33, ok: false, n: null });
  assert.deepEqual(medianFigures(rounds.slice(0, 3)), { tls: 'TLSv1.2 A', xMsgPerSec: 20, yMs: 2.222, ok: false, n: null });
  assert.equal(round(Number.NaN), null);
});

test('latencySummary: nearest-rank percentiles and the maximum', () => {
  const samples = Array.from({ length: 100 }, (_, i) => 100 - i);
  assert.deepEqual(latencySummary(samples), { p50Ms: 50, p95Ms: 95, p99Ms: 99, maxMs: 100 });
  assert.ok(Number.isNaN(latencySummary([]).maxMs));
});
