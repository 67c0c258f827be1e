import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { AmqPropertyValue, DestinationKind } from './api.ts';
import { createActiveMqPropertiesCodec, decodeAmqProperties, encodeAmqProperties, type AmqMessageHeaders } from './properties-codec.ts';

const propertyValue: fc.Arbitrary<AmqPropertyValue> = fc.oneof(
  fc.constant(null),
  fc.string({ unit: 'grapheme' }),
  fc.double({ noNaN: false }),
  fc.integer(),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  fc.boolean(),
  fc.uint8Array({ maxLength: 64 }),
);

const optionalString = fc.option(fc.string({ unit: 'grapheme', maxLength: 200 }), { nil: undefined });

const headers: fc.Arbitrary<AmqMessageHeaders> = fc
  .record({
    bodyType: fc.constantFrom('text' as const, 'bytes' as const),
    persistent: fc.boolean(),
    priority: fc.integer({ min: 0, max: 9 }),
    expiration: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 ** 52 })),
    timestamp: fc.integer({ min: 0, max: 2 ** 52 }),
    messageId: optionalString,
    correlationId: optionalString,
    replyTo: fc.option(fc.record({ kind: fc.constantFrom<DestinationKind>('queue', 'topic', 'temp-queue', 'temp-topic'), name: fc.string({ minLength: 1 }) }), { nil: undefined }),
    type: optionalString,
    contentType: optionalString,
    properties: fc.dictionary(fc.string({ unit: 'grapheme', maxLength: 40 }), propertyValue, { maxKeys: 12 }),
  })
  .map((h) => {
    // Absent optional fields are left out, as the decoder leaves them out.
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = v;
    // A plain object holding the same own properties (even one named __proto__), as decoding makes.
    const properties = {};
    for (const [k, v] of Object.entries(h.properties)) Object.defineProperty(properties, k, { value: v, enumerable: true, writable: true, configurable: true });
    out.properties = properties;
    if (h.replyTo !== undefined) out.replyTo = { kind: h.replyTo.kind, name: h.replyTo.name };
    return out as unknown as AmqMessageHeaders;
  });

describe('ActiveMQ properties codec', () => {
  it('round-trips every header and typed property (fast-check)', () => {
    fc.assert(
      fc.property(headers, (h) => {
        assert.deepStrictEqual(decodeAmqProperties(encodeAmqProperties(h)), h);
      }),
      { numRuns: 500 },
    );
  });

  it('known bytes: version 1 layout with flags, priority and f64 times', () => {
    const bytes = encodeAmqProperties({ bodyType: 'text', persistent: true, priority: 7, expiration: 0, timestamp: 1, messageId: 'id', properties: { a: true } });
    assert.equal(bytes[0], 1, 'version');
    assert.equal(bytes[1], 1 | 2 | 4, 'persistent, text, messageId');
    assert.equal(bytes[2], 7);
    assert.equal(Buffer.from(bytes).readDoubleLE(11), 1);
    assert.deepEqual([...bytes.subarray(19)], [2, 0x69, 0x64, 1, 1, 0x61, 4]);
  });

  it('refuses truncated, extended or unknown-version bytes instead of guessing', () => {
    const good = encodeAmqProperties({ bodyType: 'bytes', persistent: false, priority: 4, expiration: 0, timestamp: 5, properties: { k: 'v' } });
    for (let n = 0; n < good.length; n++) assert.throws(() => decodeAmqProperties(good.subarray(0, n)));
    assert.throws(() => decodeAmqProperties(new Uint8Array([...good, 0])));
    assert.throws(() => decodeAmqProperties(new Uint8Array([2, ...good.subarray(1)])));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        try {
          decodeAmqProperties(bytes);
        } catch (error) {
          assert.ok(error instanceof Error);
        }
      }),
    );
  });

  it('gives the core the TTL left, and clears the expiration when dead-lettering (ActiveMQ DLQ)', () => {
    const now = 1_000_000;
    const codec = createActiveMqPropertiesCodec(() => now);
    const bytes = encodeAmqProperties({ bodyType: 'bytes', persistent: true, priority: 2, expiration: now + 1500, timestamp: now, properties: {} });
    assert.deepEqual(codec.decodeView(bytes), { persistent: true, priority: 2, expiration: '1500' });
    const dead = decodeAmqProperties(codec.rewrite(bytes, { headers: { 'x-last-death-reason': 'expired' }, expiration: undefined }));
    assert.equal(dead.expiration, 0);
    assert.equal(dead.persistent, true);
    assert.equal(dead.properties.dlqDeliveryFailureCause, 'Message expired');
    const none = encodeAmqProperties({ bodyType: 'bytes', persistent: false, priority: 4, expiration: 0, timestamp: now, properties: {} });
    assert.equal(codec.decodeView(none).expiration, undefined);
  });
});
