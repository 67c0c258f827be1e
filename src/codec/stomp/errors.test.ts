import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { STOMP_DECODE_ERROR_CODES, StompDecodeError } from './errors.ts';
import { StompFrameDecoder } from './frame-decoder.ts';

describe('STOMP decode errors', () => {
  it('have stable codes, one per way input can be bad', () => {
    assert.deepEqual(STOMP_DECODE_ERROR_CODES, [
      'BAD_COMMAND',
      'BAD_HEADER_LINE',
      'BAD_ESCAPE',
      'BAD_CONTENT_LENGTH',
      'MISSING_NUL',
      'TOO_MANY_HEADERS',
      'HEADER_TOO_LARGE',
      'BODY_TOO_LARGE',
      'FRAME_TOO_LARGE',
      'BAD_UTF8',
    ]);
  });

  it('are Errors with a code, a name and no stack frames (cheap to raise under a flood)', () => {
    const err = new StompDecodeError('BAD_COMMAND', 'unknown command');
    assert.ok(err instanceof Error);
    assert.equal(err.name, 'StompDecodeError');
    assert.equal(err.code, 'BAD_COMMAND');
    assert.equal(err.message, 'unknown command');
    assert.ok(!String(err.stack).includes('\n    at '));
    assert.ok(Error.stackTraceLimit > 0, 'the global limit is restored');
  });

  it('never echo the peer\'s bytes: a 10 KB bogus command or header yields a short fixed message', () => {
    const secret = 'x'.repeat(10_000);
    for (const input of [`${secret}\n\n\0`, `SEND\n${secret}\n\n\0`, `SEND\nfoo:${secret}\\t\n\n\0`, `SEND\ncontent-length:${secret}\n\n\0`]) {
      const d = new StompFrameDecoder({ headerSizeMaxBytes: 20_000 });
      d.push(Buffer.from(input));
      assert.throws(
        () => d.next(),
        (err: unknown) => err instanceof StompDecodeError && err.message.length < 80 && !err.message.includes('xxx'),
      );
    }
  });
});
