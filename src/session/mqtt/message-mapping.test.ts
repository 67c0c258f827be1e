// PUBLISH <-> neutral message mapping: QoS and persistence, retain marker, MQTT 5 properties both
// ways, expiry arithmetic, the QoS a message from another protocol goes out with, and refusals.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AmqMessage } from '../../core/activemq/api.ts';
import type { IPublishPacket } from '../../codec/mqtt/index.ts';
import { MqttSessionError, REASON_CODE } from './errors.ts';
import { CORRELATION_DATA_PROPERTY, messageQos, messageToPublish, publishToMessage, QOS_PROPERTY, RETAIN_PROPERTY, retainedMessage } from './message-mapping.ts';

const NOW = 1_700_000_000_000;

function publish(extra: Partial<IPublishPacket> = {}): IPublishPacket {
  return { cmd: 'publish', topic: 'a/b', payload: Buffer.from('hi'), qos: 1, dup: false, retain: false, messageId: 1, ...extra };
}

function message(extra: Partial<AmqMessage> = {}): AmqMessage {
  return { body: Buffer.from('body'), bodyType: 'bytes', persistent: true, priority: 4, expiration: 0, timestamp: NOW, properties: {}, ...extra };
}

describe('MQTT message mapping', () => {
  it('maps QoS 0 to non-persistent and QoS 1/2 to persistent, keeping the QoS in ActiveMQ.MQTT.QoS', () => {
    for (const qos of [0, 1, 2] as const) {
      const m = publishToMessage(publish({ qos }), false, NOW);
      assert.equal(m.persistent, qos > 0);
      assert.equal(m.properties?.[QOS_PROPERTY], qos);
      assert.equal(m.bodyType, 'bytes');
      assert.equal(Buffer.from(m.body).toString(), 'hi');
    }
  });

  it('marks a retained publication with ActiveMQ.Retain', () => {
    assert.equal(publishToMessage(publish({ retain: true }), false, NOW).properties?.[RETAIN_PROPERTY], true);
    assert.equal(publishToMessage(publish(), false, NOW).properties?.[RETAIN_PROPERTY], undefined);
  });

  it('maps MQTT 5 properties in and out again', () => {
    const inbound = publishToMessage(
      publish({
        properties: {
          userProperties: { a: '1', rep: ['x', 'y'] },
          contentType: 'text/plain',
          correlationData: Buffer.from('corr'),
          responseTopic: 'replies/here',
          messageExpiryInterval: 30,
          payloadFormatIndicator: true,
        },
      }),
      true,
      NOW,
    );
    assert.equal(inbound.bodyType, 'text');
    assert.equal(inbound.contentType, 'text/plain');
    assert.equal(inbound.correlationId, 'corr');
    assert.deepEqual(inbound.replyTo, { kind: 'topic', name: 'replies.here' });
    assert.equal(inbound.expiration, NOW + 30_000);
    assert.equal(inbound.properties?.a, '1');
    assert.equal(inbound.properties?.rep, 'y', 'a repeated user property keeps its last value');
    const out = messageToPublish(retainedMessage(inbound, NOW), { topic: 'a/b', qos: 1, messageId: 7, dup: false, retain: false, subscriptionIdentifier: 5 }, true, NOW + 10_000);
    assert.deepEqual(out.properties?.userProperties, { a: '1', rep: 'y' }, 'ActiveMQ.MQTT.QoS is not shown as a user property');
    assert.equal(out.properties?.contentType, 'text/plain');
    assert.equal(out.properties?.correlationData?.toString(), 'corr');
    assert.equal(out.properties?.responseTopic, 'replies/here');
    assert.equal(out.properties?.messageExpiryInterval, 20, 'what is left of the lifetime [MQTT-3.3.2-6]');
    assert.equal(out.properties?.payloadFormatIndicator, true);
    assert.equal(out.properties?.subscriptionIdentifier, 5);
    assert.equal(out.messageId, 7);
  });

  it('keeps correlation data that is not UTF-8 as bytes', () => {
    const data = Buffer.from([0xff, 0x00, 0xfe]);
    const inbound = publishToMessage(publish({ properties: { correlationData: data } }), true, NOW);
    assert.equal(inbound.correlationId, undefined);
    assert.ok(inbound.properties?.[CORRELATION_DATA_PROPERTY] instanceof Uint8Array);
    const out = messageToPublish(retainedMessage(inbound, NOW), { topic: 'a/b', qos: 0, dup: false, retain: false }, true, NOW);
    assert.deepEqual(out.properties?.correlationData, data);
    assert.equal(out.properties?.userProperties, undefined);
  });

  it('sends no properties and no packet id to a 3.1.1 client at QoS 0', () => {
    const out = messageToPublish(message({ properties: { x: 1 }, contentType: 'c' }), { topic: 't', qos: 0, messageId: 3, dup: false, retain: true }, false, NOW);
    assert.equal(out.properties, undefined);
    assert.equal(out.messageId, undefined);
    assert.equal(out.retain, true);
  });

  it('shows typed application properties from other protocols as strings, skipping bytes and nulls', () => {
    const out = messageToPublish(message({ properties: { n: 3, b: true, big: 10n, nul: null, bytes: new Uint8Array([1]) } }), { topic: 't', qos: 1, messageId: 1, dup: false, retain: false }, true, NOW);
    assert.deepEqual(out.properties?.userProperties, { n: '3', b: 'true', big: '10' });
  });

  it('gives messages from other protocols QoS 2 when persistent and 0 otherwise', () => {
    assert.equal(messageQos(message({ persistent: true })), 2);
    assert.equal(messageQos(message({ persistent: false })), 0);
    assert.equal(messageQos(message({ persistent: true, properties: { [QOS_PROPERTY]: 1 } })), 1);
  });

  it('refuses a payload marked UTF-8 that is not, and a response topic with wildcards', () => {
    assert.throws(
      () => publishToMessage(publish({ payload: Buffer.from([0xc3, 0x28]), properties: { payloadFormatIndicator: true } }), true, NOW),
      (e: unknown) => e instanceof MqttSessionError && e.reasonCode === REASON_CODE.PAYLOAD_FORMAT_INVALID,
    );
    assert.throws(
      () => publishToMessage(publish({ properties: { responseTopic: 'a/+' } }), true, NOW),
      (e: unknown) => e instanceof MqttSessionError && e.reasonCode === REASON_CODE.PROTOCOL_ERROR,
    );
  });
});
