// The one error mapping: decode errors, engine errors and session errors to CONNACK, PUBACK, SUBACK
// and DISCONNECT codes for 3.1.1 and 5.0; anything else is internal and says nothing.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AmqError } from '../../core/activemq/api.ts';
import { MqttDecodeError } from '../../codec/mqtt/index.ts';
import { CONNACK_RETURN_CODE, closeReasonFor, connackCodeFor, MqttSessionError, publishReasonFor, REASON_CODE, subscribeFailureFor } from './errors.ts';

describe('MQTT error mapping', () => {
  it('answers a failed login with 3.1.1 return code 5 and MQTT 5 reason 0x86', () => {
    const err = new AmqError('not-authorized', 'authentication failed');
    assert.equal(connackCodeFor(err, 4), CONNACK_RETURN_CODE.NOT_AUTHORIZED);
    assert.equal(connackCodeFor(err, 5), REASON_CODE.BAD_USER_NAME_OR_PASSWORD);
  });

  it('maps a rejected client id to 2 / 0x85 and an unavailable engine to 3 / 0x88', () => {
    const id = new MqttSessionError(REASON_CODE.CLIENT_IDENTIFIER_NOT_VALID, 'client id too long');
    assert.equal(connackCodeFor(id, 4), CONNACK_RETURN_CODE.IDENTIFIER_REJECTED);
    assert.equal(connackCodeFor(id, 5), REASON_CODE.CLIENT_IDENTIFIER_NOT_VALID);
    const down = new AmqError('store-unavailable', 'store unavailable');
    assert.equal(connackCodeFor(down, 4), CONNACK_RETURN_CODE.SERVER_UNAVAILABLE);
    assert.equal(connackCodeFor(down, 5), REASON_CODE.SERVER_UNAVAILABLE);
  });

  it('gives decode errors their own reason codes', () => {
    assert.equal(closeReasonFor(new MqttDecodeError('malformed-packet', 'x')).reasonCode, REASON_CODE.MALFORMED_PACKET);
    assert.equal(closeReasonFor(new MqttDecodeError('protocol-error', 'x')).reasonCode, REASON_CODE.PROTOCOL_ERROR);
    assert.equal(closeReasonFor(new MqttDecodeError('packet-too-large', 'x')).reasonCode, REASON_CODE.PACKET_TOO_LARGE);
  });

  it('maps engine refusals of PUBLISH and SUBSCRIBE per version', () => {
    const denied = new AmqError('not-authorized', 'not authorized to write');
    assert.equal(publishReasonFor(denied), REASON_CODE.NOT_AUTHORIZED);
    assert.equal(publishReasonFor(new AmqError('resource-limit', 'full')), REASON_CODE.QUOTA_EXCEEDED);
    assert.equal(subscribeFailureFor(denied, 5), REASON_CODE.NOT_AUTHORIZED);
    assert.equal(subscribeFailureFor(denied, 4), 0x80);
    assert.equal(subscribeFailureFor(new AmqError('invalid-destination', 'bad'), 5), REASON_CODE.TOPIC_FILTER_INVALID);
  });

  it('treats anything else as an internal error with no detail', () => {
    const r = closeReasonFor(new TypeError('secret detail'));
    assert.equal(r.reasonCode, REASON_CODE.UNSPECIFIED_ERROR);
    assert.equal(r.internal, true);
    assert.doesNotMatch(r.reasonString, /secret/);
  });
});
