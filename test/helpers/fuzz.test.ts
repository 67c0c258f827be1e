// The fuzz harness's own parts: a seed replays the same stream, cuts stay inside the input and in
// order, and a feed ends only on the decoder's own error (any other error is a bug and escapes).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FuzzRandom, feedDecoder, type FuzzDecoder } from './fuzz.ts';

class LineError extends Error {}

/** Lines ending in LF; a line of `!` is refused, a line of `?` is a bug. */
class LineDecoder implements FuzzDecoder<string> {
  #held = '';
  get bufferedBytes(): number {
    return this.#held.length;
  }
  push(chunk: Buffer): void {
    this.#held += chunk.toString('latin1');
  }
  next(): string | undefined {
    const end = this.#held.indexOf('\n');
    if (end < 0) return undefined;
    const line = this.#held.slice(0, end);
    this.#held = this.#held.slice(end + 1);
    if (line === '!') throw new LineError('refused');
    if (line === '?') throw new TypeError('a bug');
    return line;
  }
}

test('a seed replays the same stream, and another seed gives another', () => {
  const draw = (seed: number) => Array.from({ length: 20 }, ((r) => () => r.int(1000))(new FuzzRandom(seed)));
  assert.deepEqual(draw(7), draw(7));
  assert.notDeepEqual(draw(7), draw(8));
});

test('cuts are sorted and inside the input; octet by octet cuts everywhere', () => {
  const r = new FuzzRandom(1);
  for (let i = 0; i < 200; i++) {
    const cuts = r.cuts(50, 8);
    assert.ok(cuts.length < 8);
    assert.deepEqual(cuts, [...cuts].sort((a, b) => a - b));
    assert.ok(cuts.every((c) => c >= 0 && c <= 50));
  }
  assert.ok(r.cuts(10, 1, 1).length === 9, 'every octet once when octet by octet is drawn');
});

test('a feed gives the same items whole and chunked, stops at the decoder error, and lets any other error escape', () => {
  const input = Buffer.from('ab\ncd\n!\nef\n');
  const whole = feedDecoder(new LineDecoder(), input, [], LineError);
  const chunked = feedDecoder(new LineDecoder(), input, [1, 2, 3, 4, 7], LineError);
  assert.deepEqual(whole.out, ['ab', 'cd']);
  assert.deepEqual(chunked.out, ['ab', 'cd']);
  assert.ok(whole.error instanceof LineError);
  assert.ok(chunked.error instanceof LineError);
  assert.ok(chunked.heldMaxBytes <= 2);
  assert.throws(() => feedDecoder(new LineDecoder(), Buffer.from('ab\n?\n'), [], LineError), TypeError);
});
