import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Amqp10DecodeError, Amqp10FrameSizeError, CODEC_ERROR_CONDITION } from './errors.ts';
import { AMQP_ERROR, CONNECTION_ERROR } from './generated.ts';

describe('AMQP 1.0 codec errors', () => {
  it('every condition a codec error carries is one the spec defines', () => {
    const spec = new Set<string>([...Object.values(AMQP_ERROR), ...Object.values(CONNECTION_ERROR)]);
    for (const condition of Object.values(CODEC_ERROR_CONDITION)) assert.ok(spec.has(condition), condition);
  });

  it('carries code, condition and a bounded description', () => {
    const e = new Amqp10DecodeError('TRUNCATED', 'DECODE_ERROR', 'x'.repeat(500));
    assert.equal(e.code, 'TRUNCATED');
    assert.equal(e.condition, 'amqp:decode-error');
    assert.ok(e.description.length <= 200);
    assert.equal(new Amqp10DecodeError('FRAME_TOO_LARGE', 'FRAMING_ERROR', 'big').condition, 'amqp:connection:framing-error');
    assert.equal(new Amqp10FrameSizeError(600, 512).condition, 'amqp:frame-size-too-small');
  });
});
