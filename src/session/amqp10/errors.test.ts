// The AMQP 1.0 error mapping: every engine error code has a condition, codec errors end the
// connection (except a message payload, which rejects only its delivery), unknown errors are
// internal errors without detail, and descriptions stay short enough for a 512-octet frame.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AmqError, type AmqErrorCode } from '../../core/activemq/api.ts';
import { Amqp10DecodeError, encodeFrame } from '../../codec/amqp10/index.ts';
import { AMQ_ERROR_CONDITION, Amqp10SessionError, deliveryErrorReplyFor, DESCRIPTION_MAX_CHARS, errorReplyFor } from './errors.ts';

describe('AMQP 1.0 session errors', () => {
  it('maps each engine error to its condition, in the scope the caller gives', () => {
    const expected: Record<AmqErrorCode, string> = {
      'not-authorized': 'amqp:unauthorized-access',
      'invalid-destination': 'amqp:not-found',
      'invalid-selector': 'amqp:invalid-field',
      'resource-limit': 'amqp:resource-limit-exceeded',
      'invalid-transaction': 'amqp:transaction:unknown-id',
      'unknown-delivery': 'amqp:illegal-state',
      'client-id-in-use': 'amqp:invalid-field',
      'subscription-in-use': 'amqp:resource-locked',
      'store-unavailable': 'amqp:internal-error',
      closed: 'amqp:connection:forced',
    };
    assert.deepEqual(AMQ_ERROR_CONDITION, expected);
    const link = errorReplyFor(new AmqError('not-authorized', 'no read on queue x'), 'link');
    assert.equal(link.scope, 'link');
    assert.equal(link.error.condition, 'amqp:unauthorized-access');
  });

  it('a container-id in use closes the connection with invalid-field naming container-id', () => {
    const reply = errorReplyFor(new AmqError('client-id-in-use', 'in use'), 'link');
    assert.equal(reply.scope, 'connection');
    assert.deepEqual(reply.error.info?.value, [[{ type: 'symbol', value: 'invalid-field' }, { type: 'symbol', value: 'container-id' }]]);
  });

  it('decode errors close the connection, but only reject a delivery whose payload is bad', () => {
    const err = new Amqp10DecodeError('TRUNCATED', 'DECODE_ERROR', 'list runs past its frame');
    assert.equal(errorReplyFor(err, 'delivery').scope, 'connection');
    const delivery = deliveryErrorReplyFor(err);
    assert.equal(delivery.scope, 'delivery');
    assert.equal(delivery.error.condition, 'amqp:decode-error');
  });

  it('anything else is an internal error without detail', () => {
    const reply = errorReplyFor(new TypeError('secret detail /etc/passwd'));
    assert.deepEqual(reply, { scope: 'connection', error: { condition: 'amqp:internal-error', description: 'internal error' }, internal: true });
  });

  it('long descriptions are clamped so a close always fits the smallest max-frame-size', () => {
    const reply = errorReplyFor(new Amqp10SessionError('connection', 'amqp:not-allowed', 'x'.repeat(5000)));
    assert.equal(reply.error.description?.length, DESCRIPTION_MAX_CHARS);
    assert.ok(encodeFrame(0, { kind: 'close', error: reply.error }, undefined, 512).length <= 512);
  });
});
