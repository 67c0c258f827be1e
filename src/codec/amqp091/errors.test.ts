import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Amqp091DecodeError, clampReplyText, DECODE_REPLY_CODE } from './errors.ts';
import { HARD_ERROR } from './generated.ts';

describe('decode errors', () => {
  it('carry the spec reply codes (errors.ts spells them out to avoid an import cycle)', () => {
    for (const [name, code] of Object.entries(DECODE_REPLY_CODE)) {
      assert.equal(HARD_ERROR[name as keyof typeof HARD_ERROR], code, name);
    }
  });

  it('format the reply text as RabbitMQ does and carry the frame context', () => {
    const err = new Amqp091DecodeError('UNKNOWN_METHOD', 'NOT_IMPLEMENTED', 'unknown method 60/41').withContext({
      channel: 3,
      classId: 60,
      methodId: 41,
    });
    assert.equal(err.replyCode, 540);
    assert.equal(err.replyText, 'NOT_IMPLEMENTED - unknown method 60/41');
    assert.equal(err.message, err.replyText);
    assert.deepEqual([err.channel, err.classId, err.methodId, err.code], [3, 60, 41, 'UNKNOWN_METHOD']);
    assert.ok(err instanceof Error);
  });

  it('clamp reply texts to the 255 octets of a shortstr on a character boundary', () => {
    assert.equal(clampReplyText('short'), 'short');
    const long = clampReplyText(`NOT_FOUND - no queue '${'é'.repeat(200)}'`);
    assert.ok(Buffer.byteLength(long) <= 255);
    assert.ok(long.endsWith('...'));
    assert.ok(!long.includes('\ufffd'));
  });
});
