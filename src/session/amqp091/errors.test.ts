import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { brokerError } from '../../core/errors.ts';
import { Amqp091DecodeError } from '../../codec/amqp091/index.ts';
import { Amqp091SessionError, closeReasonFor } from './errors.ts';

const PUBLISH = { classId: 60, methodId: 40 };

describe('closeReasonFor: the one error-to-close mapping', () => {
  it('maps core errors by their scope: soft codes close the channel, hard codes the connection', () => {
    assert.deepEqual(closeReasonFor(brokerError('NOT_FOUND', "no queue 'q' in vhost '/'"), { classId: 50, methodId: 10 }), {
      scope: 'channel',
      replyCode: 404,
      replyText: "NOT_FOUND - no queue 'q' in vhost '/'",
      classId: 50,
      methodId: 10,
      internal: false,
    });
    const hard = closeReasonFor(brokerError('NOT_ALLOWED', 'vhost'), { classId: 10, methodId: 40 });
    assert.equal(hard.scope, 'connection');
    assert.equal(hard.replyCode, 530);
    assert.equal(closeReasonFor(brokerError('ACCESS_REFUSED', 'login', 'connection'), undefined).scope, 'connection');
  });

  it('maps decode errors to connection.close with their own code and method ids', () => {
    const err = new Amqp091DecodeError('UNKNOWN_METHOD', 'NOT_IMPLEMENTED', 'unknown method 99/1', { channel: 1, classId: 99, methodId: 1 });
    const r = closeReasonFor(err, undefined);
    assert.deepEqual([r.scope, r.replyCode, r.classId, r.methodId], ['connection', 540, 99, 1]);
  });

  it("maps the session's own errors by the spec class of their code", () => {
    const soft = closeReasonFor(new Amqp091SessionError('PRECONDITION_FAILED', 'too big'), PUBLISH);
    assert.deepEqual([soft.scope, soft.replyCode, soft.classId, soft.methodId, soft.replyText], ['channel', 406, 60, 40, 'PRECONDITION_FAILED - too big']);
    const hard = closeReasonFor(new Amqp091SessionError('UNEXPECTED_FRAME', 'body'), PUBLISH);
    assert.deepEqual([hard.scope, hard.replyCode], ['connection', 505]);
  });

  it('clamps reply texts to a shortstr', () => {
    const r = closeReasonFor(brokerError('NOT_FOUND', 'q'.repeat(400)), undefined);
    assert.ok(Buffer.byteLength(r.replyText) <= 255);
  });

  it('maps anything else to 541 INTERNAL_ERROR without detail', () => {
    const r = closeReasonFor(new TypeError('secret detail'), PUBLISH);
    assert.deepEqual([r.scope, r.replyCode, r.replyText, r.internal], ['connection', 541, 'INTERNAL_ERROR - internal error', true]);
  });
});
