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

  it('writes strings of every length class with the shortest length prefix (ASCII, 2- and 3-byte UTF-8, around 127/128 and 16383/16384 bytes)', () => {
    const samples: string[] = [];
    for (const n of [0, 1, 42, 127, 128, 129, 5000, 16383, 16384, 70000]) samples.push('a'.repeat(n));
    // Non-ASCII: the in-place encoding reserves room for 3 bytes per unit and closes the gap.
    for (const n of [1, 21, 42, 43, 63, 64, 65, 5461, 5462, 8191, 8192]) samples.push('\u00e9'.repeat(n), '\u20ac'.repeat(n));
    samples.push('a'.repeat(126) + '\u00e9', '\u00e9' + 'a'.repeat(200), '\u{1F600}'.repeat(40));
    for (const value of samples) {
      const headers: AmqMessageHeaders = { bodyType: 'bytes', persistent: false, priority: 4, expiration: 0, timestamp: 0, messageId: value, properties: { [value]: value } };
      const bytes = encodeAmqProperties(headers);
      assert.deepStrictEqual(decodeAmqProperties(bytes), headers);
      // The message id starts right after the fixed part: its prefix is the UTF-8 length, as short as it can be.
      const utf8 = Buffer.byteLength(value);
      const prefix = utf8 < 0x80 ? 1 : utf8 < 0x4000 ? 2 : 3;
      assert.equal(bytes.length, 19 + 2 * (prefix + utf8) + 1 + 1 + prefix + utf8, `length ${value.length}`);
    }
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
