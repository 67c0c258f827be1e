// AMQP 1.0 sections <-> AmqMessage: known answers for each mapped field, randomised round trips of
// application properties and message ids, and bodies other than data and string kept as sent.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { AmqDelivery, AmqMessage, AmqPropertyValue } from '../../core/activemq/api.ts';
import { decodeMessage, encodeMessage, type AmqpValue } from '../../codec/amqp10/index.ts';
import {
  incomingMessage,
  messageIdFromString,
  messageIdToString,
  ORIGINAL_ENCODING,
  ORIGINAL_ENCODING_PROPERTY,
  outgoingPayload,
  propertyFromAmqp,
  propertyToAmqp,
} from './message-mapping.ts';

const NOW = 1_700_000_000_000;

function delivery(message: Partial<AmqMessage>, extra: Partial<AmqDelivery> = {}): AmqDelivery {
  return {
    subscriptionId: 's',
    token: 1,
    destination: { kind: 'queue', name: 'orders' },
    redelivered: false,
    deliveryCount: 1,
    ...extra,
    message: {
      body: Buffer.from('x'),
      bodyType: 'bytes',
      persistent: false,
      priority: 4,
      expiration: 0,
      timestamp: NOW,
      properties: {},
      ...message,
    },
  };
}

describe('AMQP 1.0 message mapping: inbound', () => {
  it('maps header, properties and application properties onto the neutral message', () => {
    const payload = encodeMessage({
      header: { durable: true, priority: 8, ttl: 5000 },
      properties: {
        messageId: 'm-1',
        correlationId: { type: 'ulong', value: 42n },
        replyTo: 'topic://replies',
        subject: 'Order',
        contentType: 'application/json',
        creationTime: NOW - 10,
        to: 'queue://elsewhere',
      },
      applicationProperties: { type: 'map', value: [['n', { type: 'int', value: 7 }], ['s', 'v'], [{ type: 'symbol', value: 'sym' }, true]] },
      body: { kind: 'amqp-value', value: 'hello' },
    });
    const { message, to } = incomingMessage(payload, NOW);
    assert.equal(message.persistent, true);
    assert.equal(message.priority, 8);
    assert.equal(message.expiration, NOW + 5000);
    assert.equal(message.messageId, 'm-1');
    assert.equal(message.correlationId, 'AMQP_ULONG:42');
    assert.deepEqual(message.replyTo, { kind: 'topic', name: 'replies' });
    assert.equal(message.type, 'Order');
    assert.equal(message.contentType, 'application/json');
    assert.equal(message.timestamp, NOW - 10);
    assert.deepEqual(message.properties, { n: 7, s: 'v', sym: true });
    assert.equal(message.bodyType, 'text');
    assert.equal(Buffer.from(message.body).toString(), 'hello');
    assert.deepEqual(to, { kind: 'queue', name: 'elsewhere' });
  });

  it('absolute-expiry-time wins over ttl; no header means non-persistent priority 4', () => {
    const { message } = incomingMessage(encodeMessage({ header: { ttl: 10 }, properties: { absoluteExpiryTime: NOW + 999 }, body: { kind: 'data', data: [Buffer.from('a'), Buffer.from('b')] } }), NOW);
    assert.equal(message.expiration, NOW + 999);
    const plain = incomingMessage(encodeMessage({ body: { kind: 'data', data: [Buffer.from('ab')] } }), NOW).message;
    assert.equal(plain.persistent, false);
    assert.equal(plain.priority, 4);
    assert.equal(plain.bodyType, 'bytes');
    assert.equal(plain.expiration, 0);
  });

  it('concatenates data sections and keeps other bodies as their own encoding', () => {
    assert.equal(Buffer.from(incomingMessage(encodeMessage({ body: { kind: 'data', data: [Buffer.from('a'), Buffer.from('b')] } }), NOW).message.body).toString(), 'ab');
    const map: AmqpValue = { type: 'map', value: [['k', 'v']] };
    const m = incomingMessage(encodeMessage({ body: { kind: 'amqp-value', value: map } }), NOW).message;
    assert.equal(m.properties?.[ORIGINAL_ENCODING_PROPERTY], ORIGINAL_ENCODING.AMQP_VALUE_MAP);
    assert.deepEqual(decodeMessage(Buffer.from(m.body)).message.body, { kind: 'amqp-value', value: map });
  });

  it('a sender cannot forge the original-encoding marker on a data body', () => {
    const m = incomingMessage(
      encodeMessage({ applicationProperties: { type: 'map', value: [[ORIGINAL_ENCODING_PROPERTY, { type: 'int', value: 7 }]] }, body: { kind: 'data', data: [Buffer.from('x')] } }),
      NOW,
    ).message;
    assert.equal(m.properties?.[ORIGINAL_ENCODING_PROPERTY], undefined);
  });
});

describe('AMQP 1.0 message mapping: outbound', () => {
  it('writes header per delivery and the bare message from the neutral message', () => {
    const d = delivery(
      {
        persistent: true,
        priority: 9,
        expiration: NOW + 3000,
        messageId: 'ID:abc',
        correlationId: 'AMQP_UUID:00112233-4455-6677-8899-aabbccddeeff',
        replyTo: { kind: 'temp-queue', name: 'ID:c:1' },
        type: 'T',
        contentType: 'text/plain',
        body: Buffer.from('hi'),
        bodyType: 'text',
        properties: { a: 1, b: 2n ** 40n, c: 'x', d: 0.25 },
      },
      { redelivered: true, deliveryCount: 3 },
    );
    const { message } = decodeMessage(outgoingPayload(d, NOW));
    assert.equal(message.header?.durable, true);
    assert.equal(message.header?.priority, 9);
    assert.equal(message.header?.ttl, 3000);
    assert.equal(message.header?.deliveryCount, 2);
    assert.equal(message.header?.firstAcquirer, undefined);
    assert.equal(message.properties?.messageId, 'ID:abc');
    assert.deepEqual(message.properties?.correlationId, { type: 'uuid', value: Buffer.from('00112233445566778899aabbccddeeff', 'hex') });
    assert.equal(message.properties?.replyTo, 'temp-queue://ID:c:1');
    assert.equal(message.properties?.to, 'queue://orders');
    assert.equal(message.properties?.subject, 'T');
    assert.equal(message.properties?.absoluteExpiryTime, NOW + 3000);
    assert.equal(message.properties?.creationTime, NOW);
    assert.deepEqual(message.body, { kind: 'amqp-value', value: 'hi' });
    assert.deepEqual(message.applicationProperties?.value, [
      ['a', { type: 'int', value: 1 }],
      ['b', { type: 'long', value: 2n ** 40n }],
      ['c', 'x'],
      ['d', { type: 'double', value: 0.25 }],
    ]);
  });

  it('headers of first deliveries are right for every durable and priority combination', () => {
    for (const persistent of [true, false, true]) {
      for (const priority of [0, 4, 9, 4]) {
        const { message } = decodeMessage(outgoingPayload(delivery({ persistent, priority }), NOW));
        assert.equal(message.header?.durable, persistent ? true : undefined);
        assert.equal(message.header?.priority, priority === 4 ? undefined : priority);
        assert.equal(message.header?.firstAcquirer, true);
      }
    }
  });

  it('a first delivery is marked first-acquirer; bytes go out as a data section', () => {
    const { message } = decodeMessage(outgoingPayload(delivery({ body: Buffer.from([1, 2, 3]) }), NOW));
    assert.equal(message.header?.firstAcquirer, true);
    assert.deepEqual(message.body, { kind: 'data', data: [Buffer.from([1, 2, 3])] });
  });

  it('sends map, list, sequence and binary-value bodies back as they came', () => {
    const bodies = [
      { kind: 'amqp-value' as const, value: { type: 'map' as const, value: [['k', { type: 'int', value: 1 }]] as Array<[AmqpValue, AmqpValue]> } },
      { kind: 'amqp-value' as const, value: [1 as unknown as AmqpValue, 'two'].map((v) => (typeof v === 'number' ? { type: 'int' as const, value: v } : v)) },
      { kind: 'amqp-sequence' as const, sequences: [['a'], ['b']] as AmqpValue[][] },
      { kind: 'amqp-value' as const, value: Buffer.from([9, 9]) },
      { kind: 'amqp-value' as const, value: null },
    ];
    for (const body of bodies) {
      const inbound = incomingMessage(encodeMessage({ body }), NOW).message;
      const out = decodeMessage(outgoingPayload(delivery({ ...inbound, timestamp: NOW, priority: 4, expiration: 0, properties: inbound.properties ?? {} }), NOW)).message;
      assert.deepEqual(out.body, body);
      assert.equal(out.applicationProperties, undefined, 'the marker is not sent to AMQP receivers');
    }
  });
});

describe('AMQP 1.0 message mapping: round trips', () => {
  const propertyArb: fc.Arbitrary<AmqPropertyValue> = fc.oneof(
    fc.string(),
    fc.boolean(),
    fc.constant(null),
    fc.integer(),
    fc.maxSafeInteger(),
    fc.double({ noNaN: true }).filter((d) => !Number.isInteger(d)),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).filter((v) => v < BigInt(Number.MIN_SAFE_INTEGER) || v > BigInt(Number.MAX_SAFE_INTEGER)),
    fc.uint8Array({ maxLength: 16 }).map((u) => Buffer.from(u)),
  );

  it('application property values survive AMQP and back', () => {
    fc.assert(
      fc.property(propertyArb, (v) => {
        const back = propertyFromAmqp(propertyToAmqp(v));
        if (v instanceof Uint8Array) assert.deepEqual(Buffer.from(back as Uint8Array), Buffer.from(v));
        else assert.deepEqual(back, v);
      }),
      { numRuns: 500 },
    );
  });

  it('message ids of every AMQP kind survive the string form and back', () => {
    const idArb: fc.Arbitrary<AmqpValue> = fc.oneof(
      fc.string(),
      fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((value) => ({ type: 'ulong' as const, value })),
      fc.uint8Array({ minLength: 16, maxLength: 16 }).map((u) => ({ type: 'uuid' as const, value: Buffer.from(u) })),
      fc.uint8Array({ maxLength: 20 }).map((u) => Buffer.from(u)),
      fc.constantFrom('AMQP_ULONG:12', 'AMQP_UUID:x', 'AMQP_STRING:y'),
    );
    fc.assert(
      fc.property(idArb, (id) => {
        assert.deepEqual(messageIdFromString(messageIdToString(id)!), id);
      }),
      { numRuns: 500 },
    );
  });
});
