import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Amqp10DecodeError } from './errors.ts';
import {
  type AmqpComposite,
  type AmqpCompositeInit,
  type AmqpCompositeKind,
  AMQP_ERROR,
  COMPOSITE_FIELDS,
  decodeComposite,
  DEFINITIONS,
  DESCRIPTORS,
  encodeCompositeValue,
  encodeOpenValue,
  PRIMITIVE_ENCODINGS,
  RECEIVER_SETTLE_MODE,
  ROLE,
  SENDER_SETTLE_MODE,
} from './generated.ts';
import { compositeArb } from './test-arbitraries.ts';
import { type AmqpDescribed, decodeValue, encodeValue, FORMAT_CODE, symbol, typeOf } from './types.ts';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function decodeBytes(bytes: Buffer): AmqpComposite | undefined {
  return decodeComposite(decodeValue(bytes) as AmqpDescribed);
}

function assertDecodeError(bytes: Buffer, code: string, condition: string): void {
  assert.throws(
    () => decodeBytes(bytes),
    (err: unknown) => err instanceof Amqp10DecodeError && err.code === code && err.condition === condition,
  );
}

describe('AMQP 1.0 generated composites', () => {
  it('the hand-written format codes are the spec\'s', () => {
    const handWritten = new Set<number>(Object.values(FORMAT_CODE));
    for (const e of PRIMITIVE_ENCODINGS) assert.ok(handWritten.has(e.code), `${e.name} 0x${e.code.toString(16)}`);
    assert.equal(handWritten.size, PRIMITIVE_ENCODINGS.length + 1); // + 0x00, the described-type constructor
  });

  it('decodes every encoding of types.xml to its type, with the width the spec gives', () => {
    for (const e of PRIMITIVE_ENCODINGS) {
      const w = e.width;
      const size = (n: number) => (w === 1 ? [n] : [0, 0, 0, n]);
      const bytes =
        e.category === 'fixed'
          ? [e.code, ...Array(w).fill(0)]
          : e.category === 'variable'
            ? [e.code, ...size(0)]
            : e.category === 'compound'
              ? [e.code, ...size(w), ...Array(w).fill(0)]
              : [e.code, ...size(w + 1), ...Array(w).fill(0), FORMAT_CODE.NULL];
      const v = decodeValue(Buffer.from(bytes));
      assert.equal(typeOf(v), e.type, `${e.name} (0x${e.code.toString(16)})`);
    }
  });

  it('has the spec\'s descriptors, definitions and choices', () => {
    assert.deepEqual(DESCRIPTORS.open, { name: 'amqp:open:list', code: 0x10n });
    assert.deepEqual(DESCRIPTORS.transfer, { name: 'amqp:transfer:list', code: 0x14n });
    assert.deepEqual(DESCRIPTORS['amqp-value'], { name: 'amqp:amqp-value:*', code: 0x77n });
    assert.deepEqual(DESCRIPTORS['sasl-outcome'], { name: 'amqp:sasl-outcome:list', code: 0x44n });
    assert.equal(DEFINITIONS.MIN_MAX_FRAME_SIZE, 512);
    assert.equal(DEFINITIONS.SECURE_PORT, 5671);
    assert.deepEqual(ROLE, { SENDER: false, RECEIVER: true });
    assert.equal(SENDER_SETTLE_MODE.MIXED, 2);
    assert.equal(RECEIVER_SETTLE_MODE.SECOND, 1);
    assert.equal(AMQP_ERROR.DECODE_ERROR, 'amqp:decode-error');
  });

  it('encodes open with trailing nulls trimmed (known bytes)', () => {
    assert.equal(encodeValue(encodeOpenValue({ containerId: 'c' })).toString('hex'), hex('00 53 10 c0 04 01 a1 01 63').toString('hex'));
    assert.equal(
      encodeValue(encodeOpenValue({ containerId: 'c', channelMax: 1 })).toString('hex'),
      hex('00 53 10 c0 09 04 a1 01 63 40 40 60 0001').toString('hex'),
    );
  });

  it('decodes open filling in defaults, by code or by symbolic descriptor', () => {
    const expected = { kind: 'open', containerId: 'c', maxFrameSize: 4294967295, channelMax: 65535 };
    assert.deepEqual(decodeBytes(hex('00 53 10 c0 04 01 a1 01 63')), expected);
    assert.deepEqual(decodeBytes(hex('00 a3 0e 616d71703a6f70656e3a6c697374 c0 04 01 a1 01 63')), expected);
  });

  it('decodes accepted (00 53 24 45) and a single symbol in a multiple field', () => {
    assert.deepEqual(decodeBytes(hex('00 53 24 45')), { kind: 'accepted' });
    // sasl-mechanisms with one symbol instead of an array of one
    assert.deepEqual(decodeBytes(hex('00 53 40 c0 08 01 a3 05 504c41494e')), { kind: 'sasl-mechanisms', saslServerMechanisms: ['PLAIN'] });
  });

  it('decodes a transfer with its delivery state and an attach with source and target', () => {
    const transfer = {
      kind: 'transfer',
      handle: 0,
      deliveryId: 7,
      deliveryTag: Buffer.from([1]),
      settled: false,
      more: false,
      state: { kind: 'rejected', error: { kind: 'error', condition: 'amqp:not-found' } },
      resume: false,
      aborted: false,
      batchable: false,
    } as const;
    assert.deepEqual(decodeBytes(encodeValue(encodeCompositeValue(transfer))), transfer);
  });

  it('refuses a missing mandatory field with amqp:invalid-field', () => {
    assertDecodeError(hex('00 53 10 45'), 'BAD_FIELD_VALUE', 'amqp:invalid-field');
    assertDecodeError(hex('00 53 10 c0 02 01 40'), 'BAD_FIELD_VALUE', 'amqp:invalid-field');
  });

  it('refuses a field of the wrong type with amqp:decode-error', () => {
    assertDecodeError(hex('00 53 10 c0 02 01 43'), 'BAD_FIELD_TYPE', 'amqp:decode-error');
    // open.max-frame-size as a ulong instead of a uint
    assertDecodeError(hex('00 53 10 c0 06 03 a1 01 63 40 44'), 'BAD_FIELD_TYPE', 'amqp:decode-error');
    // a composite that is not a list
    assertDecodeError(hex('00 53 10 43'), 'BAD_FIELD_TYPE', 'amqp:decode-error');
  });

  it('refuses a settle mode outside its choices with amqp:invalid-field', () => {
    const attach = encodeValue(encodeCompositeValue({ kind: 'attach', name: 'l', handle: 0, role: false, sndSettleMode: 2 }));
    const i = attach.lastIndexOf(Buffer.from([0x50, 0x02]));
    attach[i + 1] = 3;
    assertDecodeError(attach, 'BAD_FIELD_VALUE', 'amqp:invalid-field');
  });

  it('refuses a delivery state that is not one', () => {
    // disposition with state = open
    const bad = encodeValue({
      type: 'described',
      descriptor: { type: 'ulong', value: 0x15n },
      value: [true, { type: 'uint', value: 0 }, null, null, encodeOpenValue({ containerId: 'x' })],
    });
    assertDecodeError(bad, 'UNKNOWN_DESCRIPTOR', 'amqp:decode-error');
  });

  it('returns undefined for an unknown descriptor at top level', () => {
    assert.equal(decodeBytes(hex('00 53 99 45')), undefined);
    assert.equal(decodeComposite({ type: 'described', descriptor: symbol('x:y'), value: [] }), undefined);
  });

  for (const kind of Object.keys(COMPOSITE_FIELDS) as AmqpCompositeKind[]) {
    it(`round-trips ${kind}`, () => {
      fc.assert(
        fc.property(compositeArb(kind), (c) => {
          assert.deepEqual(decodeBytes(encodeValue(encodeCompositeValue(c as AmqpCompositeInit))), c);
        }),
        { numRuns: 150 },
      );
    });
  }
});
