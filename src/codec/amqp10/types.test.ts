import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Amqp10DecodeError } from './errors.ts';
import { valueArb } from './test-arbitraries.ts';
import {
  array,
  char,
  decodeValue,
  described,
  encodeValue,
  int,
  long,
  map,
  NESTING_MAX_DEPTH,
  symbol,
  timestamp,
  ubyte,
  uint,
  ulong,
  uuid,
  type AmqpValue,
} from './types.ts';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function assertDecodeError(bytes: Buffer, code: string, condition = 'amqp:decode-error'): void {
  assert.throws(
    () => decodeValue(bytes),
    (err: unknown) => err instanceof Amqp10DecodeError && err.code === code && err.condition === condition,
  );
}

describe('AMQP 1.0 types: known answers', () => {
  const vectors: Array<[string, AmqpValue, string]> = [
    ['null', null, '40'],
    ['true', true, '41'],
    ['false', false, '42'],
    ['uint0', uint(0), '43'],
    ['smalluint', uint(255), '52 ff'],
    ['uint', uint(256), '70 00000100'],
    ['ulong0', ulong(0), '44'],
    ['smallulong (the open descriptor)', ulong(0x10), '53 10'],
    ['ulong', ulong(0x1_0000_0000n), '80 0000000100000000'],
    ['ubyte', ubyte(7), '50 07'],
    ['smallint', int(-1), '54 ff'],
    ['int', int(-129), '71 ffffff7f'],
    ['smalllong', long(-2), '55 fe'],
    ['long', long(2n ** 62n), '81 4000000000000000'],
    ['char', char(0x1f600), '73 0001f600'],
    ['timestamp', timestamp(1311704463521), '83 0000013167adb8a1'],
    ['uuid', uuid(hex('000102030405060708090a0b0c0d0e0f')), '98 000102030405060708090a0b0c0d0e0f'],
    ['vbin8', Buffer.from([1, 2]), 'a0 02 0102'],
    ['vbin32', Buffer.alloc(256), `b0 00000100 ${'00'.repeat(256)}`],
    ['str8', 'héllo', 'a1 06 68c3a96c6c6f'],
    ['sym8', symbol('amqp:accepted:list'), 'a3 12 616d71703a61636365707465643a6c697374'],
    ['list0', [], '45'],
    ['list8', [true, uint(1)], 'c0 04 02 41 5201'],
    ['map8', map([[symbol('a'), 'b']]), 'c1 07 02 a30161 a10162'],
    ['array8 of sym8', array('symbol', [symbol('a'), symbol('bc')]), 'e0 07 02 a3 0161 02 6263'],
    ['array8 of uint', array('uint', [uint(1)]), 'e0 06 01 70 00000001'],
    ['described accepted', described(ulong(0x24), []), '00 53 24 45'],
    [
      'array8 of described lists',
      { type: 'array', elementType: 'list', descriptor: ulong(0x24), value: [described(ulong(0x24), []), described(ulong(0x24), [true])] },
      'e0 16 02 00 53 24 d0 00000004 00000000 00000005 00000001 41',
    ],
  ];
  for (const [name, value, bytes] of vectors) {
    it(`${name} encodes to ${bytes}`, () => {
      assert.equal(encodeValue(value).toString('hex'), hex(bytes).toString('hex'));
      assert.deepEqual(decodeValue(hex(bytes)), value);
    });
  }

  it('decodes the wide and short forms a peer may choose instead of ours', () => {
    assert.deepEqual(decodeValue(hex('70 00000000')), uint(0));
    assert.deepEqual(decodeValue(hex('80 0000000000000010')), ulong(0x10));
    assert.deepEqual(decodeValue(hex('56 01')), true);
    assert.deepEqual(decodeValue(hex('56 00')), false);
    assert.deepEqual(decodeValue(hex('d0 00000004 00000000')), []);
    assert.deepEqual(decodeValue(hex('b1 00000002 6869')), 'hi');
    assert.deepEqual(decodeValue(hex('b3 00000001 78')), symbol('x'));
    assert.deepEqual(decodeValue(hex('d1 00000008 00000002 a30161 43')), map([[symbol('a'), uint(0)]]));
    assert.deepEqual(decodeValue(hex('e0 02 02 41')), array('boolean', [true, true]));
    assert.deepEqual(decodeValue(hex('f0 00000007 00000002 52 01 02')), array('uint', [uint(1), uint(2)]));
  });

  it('encodes a list over 255 octets as list32', () => {
    const bytes = encodeValue([Buffer.alloc(300)]);
    assert.equal(bytes[0], 0xd0);
    assert.equal(bytes.readUInt32BE(1), 4 + 3 + 4 + 300 - 2);
    assert.deepEqual(decodeValue(bytes), [Buffer.alloc(300)]);
  });
});

describe('AMQP 1.0 types: bad input', () => {
  it('refuses an unknown format code', () => assertDecodeError(hex('ff'), 'UNKNOWN_CONSTRUCTOR'));
  it('refuses truncated fixed values', () => {
    for (const b of ['70 0000', '80 00', '98 00', '73', '56']) assertDecodeError(hex(b), 'TRUNCATED');
  });
  it('refuses a vbin32 longer than the input before allocating it', () => assertDecodeError(hex('b0 7fffffff 00'), 'TRUNCATED'));
  it('refuses a list32 whose size exceeds the input', () => assertDecodeError(hex('d0 ffffffff 00000001 40'), 'TRUNCATED'));
  it('refuses a count larger than the compound can hold', () => assertDecodeError(hex('d0 00000005 ffffffff 40'), 'BAD_COMPOUND_SIZE'));
  it('refuses an array of nulls claiming a huge count', () => assertDecodeError(hex('f0 00000005 ffffffff 40'), 'BAD_COMPOUND_SIZE'));
  it('accepts an array of zero-width elements up to 8 per octet of its size', () => {
    assert.deepEqual(decodeValue(hex('e0 02 10 40')), array('null', Array(16).fill(null)));
    assertDecodeError(hex('e0 02 11 40'), 'BAD_COMPOUND_SIZE');
  });
  it('refuses a compound whose items end before its size', () => assertDecodeError(hex('c0 03 01 40 40'), 'BAD_COMPOUND_SIZE'));
  it('refuses an item running past its compound', () => assertDecodeError(hex('c0 02 01 70 00000000'), 'TRUNCATED'));
  it('refuses an odd map', () => assertDecodeError(hex('c1 02 01 40'), 'ODD_MAP_COUNT'));
  it('refuses a string that is not UTF-8', () => assertDecodeError(hex('a1 02 c328'), 'BAD_TEXT'));
  it('refuses an encoded surrogate in a string', () => assertDecodeError(hex('a1 03 eda080'), 'BAD_TEXT'));
  it('refuses a symbol that is not ASCII', () => assertDecodeError(hex('a3 01 80'), 'BAD_TEXT'));
  it('refuses a char that is a surrogate', () => assertDecodeError(hex('73 0000d800'), 'BAD_TEXT'));
  it('refuses a boolean octet other than 0 or 1', () => assertDecodeError(hex('56 02'), 'BAD_BOOLEAN'));
  it('refuses trailing bytes', () => assertDecodeError(hex('40 40'), 'TRAILING_BYTES'));
  it('refuses arrays of doubly described types as not implemented', () =>
    assertDecodeError(hex('e0 08 01 00 5324 00 5325 45'), 'UNSUPPORTED_ARRAY', 'amqp:not-implemented'));
  it(`refuses nesting deeper than ${NESTING_MAX_DEPTH}`, () => {
    let ok: AmqpValue = null;
    for (let i = 0; i < NESTING_MAX_DEPTH; i++) ok = [ok];
    assert.deepEqual(decodeValue(encodeValue(ok)), ok);
    assertDecodeError(encodeValue([ok]), 'TOO_DEEP');
    assertDecodeError(Buffer.from('00'.repeat(100_000), 'hex'), 'TOO_DEEP');
  });
});

describe('AMQP 1.0 types: round trips', () => {
  it('decode(encode(v)) is v for any value', () => {
    fc.assert(
      fc.property(valueArb, (v) => {
        assert.deepEqual(decodeValue(encodeValue(v)), v);
      }),
      { numRuns: 2000 },
    );
  });
});
