import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ByteReader } from './byte-reader.ts';
import { ByteWriter } from './byte-writer.ts';
import { Amqp091DecodeError } from './errors.ts';
import {
  FIELD_NESTING_MAX_DEPTH,
  type FieldTable,
  type FieldValue,
  fieldValueAsBoolean,
  fieldValueAsInteger,
  fieldValueAsString,
  readFieldTable,
  toFieldTable,
  writeFieldTable,
} from './field-table.ts';
import {
  amqplibCanEncodeTable,
  amqplibCodec,
  expectedFieldTable,
  fieldTableArb,
  toAmqplibTable,
} from './test-arbitraries.ts';

function encode(t: FieldTable): Buffer {
  const w = new ByteWriter(8);
  writeFieldTable(w, t);
  return w.toBuffer();
}

function decode(b: Buffer): Map<string, FieldValue> {
  const r = new ByteReader(b, 0, b.length);
  const t = readFieldTable(r);
  assert.equal(r.pos, b.length, 'table consumed exactly');
  return t;
}

function amqplibEncode(obj: Record<string, unknown>): Buffer {
  const buf = Buffer.alloc(65536);
  const n = amqplibCodec.encodeTable(buf, obj, 0);
  return buf.subarray(0, n);
}

function decodeError(b: Buffer): Amqp091DecodeError {
  try {
    decode(b);
  } catch (err) {
    assert.ok(err instanceof Amqp091DecodeError, `expected Amqp091DecodeError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a decode error');
}

/** A one-entry table `k` -> (tag, value bytes). */
function oneEntry(tag: string, value: number[]): Buffer {
  const entry = Buffer.from([1, 0x6b, tag.charCodeAt(0), ...value]);
  const size = Buffer.alloc(4);
  size.writeUInt32BE(entry.length);
  return Buffer.concat([size, entry]);
}

describe('field tables: known answers', () => {
  // Each RabbitMQ type tag, one entry named "k"; bytes after the key are tag then value.
  const vectors: [string, FieldValue, number[]][] = [
    ['t', { type: 't', value: true }, [0x01]],
    ['b', { type: 'b', value: -2 }, [0xfe]],
    ['B', { type: 'B', value: 200 }, [0xc8]],
    ['s', { type: 's', value: -2 }, [0xff, 0xfe]],
    ['u', { type: 'u', value: 65535 }, [0xff, 0xff]],
    ['I', { type: 'I', value: -1 }, [0xff, 0xff, 0xff, 0xff]],
    ['i', { type: 'i', value: 0xdeadbeef }, [0xde, 0xad, 0xbe, 0xef]],
    ['l', { type: 'l', value: -(2n ** 63n) }, [0x80, 0, 0, 0, 0, 0, 0, 0]],
    ['f', { type: 'f', value: 1.5 }, [0x3f, 0xc0, 0, 0]],
    ['d', { type: 'd', value: -2 }, [0xc0, 0, 0, 0, 0, 0, 0, 0]],
    ['D', { type: 'D', value: { scale: 2, digits: 12345 } }, [2, 0, 0, 0x30, 0x39]],
    ['S', { type: 'S', value: 'hé' }, [0, 0, 0, 3, 0x68, 0xc3, 0xa9]],
    ['A', { type: 'A', value: [{ type: 'b', value: 1 }, { type: 'V', value: null }] }, [0, 0, 0, 3, 0x62, 1, 0x56]],
    ['T', { type: 'T', value: 1700000000n }, [0, 0, 0, 0, 0x65, 0x53, 0xf1, 0x00]],
    ['F', { type: 'F', value: new Map([['a', { type: 't', value: false }]]) }, [0, 0, 0, 4, 1, 0x61, 0x74, 0]],
    ['V', { type: 'V', value: null }, []],
    ['x', { type: 'x', value: Buffer.from([0, 0xff]) }, [0, 0, 0, 2, 0, 0xff]],
  ];
  for (const [tag, value, bytes] of vectors) {
    it(`encodes and decodes '${tag}'`, () => {
      const wire = oneEntry(tag, bytes);
      const table = new Map([['k', value]]);
      assert.deepEqual(encode(table), wire);
      assert.deepStrictEqual(decode(wire), table);
    });
  }

  it('encodes the same bytes as amqplib for every type amqplib writes', () => {
    for (const [tag, value] of vectors) {
      const table = new Map([['k', value]]);
      assert.deepEqual(encode(table), amqplibEncode(toAmqplibTable(table)), `tag ${tag}`);
    }
  });

  it('decodes what amqplib encodes from plain values, with the types amqplib picked', () => {
    const wire = amqplibEncode({ n: 1, big: 70000, huge: 2 ** 40, neg: -300, pi: 3.5, s: 'str', ok: false, nil: null });
    assert.deepStrictEqual(
      decode(wire),
      new Map<string, FieldValue>([
        ['n', { type: 'b', value: 1 }],
        ['big', { type: 'I', value: 70000 }],
        ['huge', { type: 'l', value: 2n ** 40n }],
        ['neg', { type: 's', value: -300 }],
        ['pi', { type: 'd', value: 3.5 }],
        ['s', { type: 'S', value: 'str' }],
        ['ok', { type: 't', value: false }],
        ['nil', { type: 'V', value: null }],
      ]),
    );
  });

  it('toFieldTable guesses types as amqplib does (same bytes)', () => {
    const plain = {
      product: 'SealMQ',
      n: 5,
      m: -40000,
      big: 2 ** 40,
      f: 0.25,
      yes: true,
      none: null,
      list: [1, 'a', false],
      capabilities: { publisher_confirms: true, 'basic.nack': true },
      bin: Buffer.from([1, 2]),
    };
    assert.deepEqual(encode(toFieldTable(plain)), amqplibEncode(plain));
  });

  it('keeps the first of duplicate keys, as RabbitMQ looks tables up', () => {
    const wire = Buffer.from([0, 0, 0, 8, 1, 0x6b, 0x62, 1, 1, 0x6b, 0x62, 2]);
    assert.deepStrictEqual(decode(wire), new Map([['k', { type: 'b', value: 1 }]]));
  });

  it('returns binary long strings as bytes so they re-encode unchanged', () => {
    const wire = oneEntry('S', [0, 0, 0, 2, 0xc3, 0x28]);
    const t = decode(wire);
    assert.deepStrictEqual(t.get('k'), { type: 'S', value: Buffer.from([0xc3, 0x28]) });
    assert.deepEqual(encode(t), wire);
  });

  it('reads values through the typed accessors', () => {
    const t = toFieldTable({ ttl: 60000, name: 'dlx', flag: true, big: 2 ** 40 });
    assert.equal(fieldValueAsInteger(t.get('ttl')), 60000);
    assert.equal(fieldValueAsInteger(t.get('big')), 2 ** 40);
    assert.equal(fieldValueAsInteger(t.get('name')), undefined);
    assert.equal(fieldValueAsString(t.get('name')), 'dlx');
    assert.equal(fieldValueAsString({ type: 'S', value: Buffer.from('bytes') }), 'bytes');
    assert.equal(fieldValueAsBoolean(t.get('flag')), true);
    assert.equal(fieldValueAsBoolean(t.get('missing')), undefined);
  });
});

describe('field tables: bad input', () => {
  it('refuses an unknown type tag with SYNTAX_ERROR', () => {
    const err = decodeError(oneEntry('Z', [0]));
    assert.equal(err.code, 'UNKNOWN_FIELD_TYPE');
    assert.equal(err.replyCode, 502);
  });

  it('refuses a value running past its table with FRAME_ERROR, even if bytes follow', () => {
    // Table size says 4 (key "k", tag 'I', 1 octet) but 'I' needs 4; more bytes follow the table.
    const err = decodeError(Buffer.from([0, 0, 0, 4, 1, 0x6b, 0x49, 0, 0, 0, 0, 0]));
    assert.equal(err.code, 'TRUNCATED');
    assert.equal(err.replyCode, 501);
  });

  it('refuses a table size beyond the input with FRAME_ERROR without allocating it', () => {
    const err = decodeError(Buffer.from([0x7f, 0xff, 0xff, 0xff, 1, 0x6b]));
    assert.equal(err.replyCode, 501);
  });

  it(`refuses nesting deeper than ${FIELD_NESTING_MAX_DEPTH} with SYNTAX_ERROR instead of overflowing the stack`, () => {
    // 20000 nested arrays fit in a 128 KiB frame; a naive recursive reader would blow the stack.
    const depth = 20000;
    const parts: Buffer[] = [];
    for (let i = 0; i < depth; i++) {
      const head = Buffer.alloc(5);
      head[0] = 0x41; // 'A'
      head.writeUInt32BE((depth - i - 1) * 5, 1);
      parts.push(head);
    }
    const value = Buffer.concat(parts);
    const entry = Buffer.concat([Buffer.from([1, 0x6b]), value]);
    const size = Buffer.alloc(4);
    size.writeUInt32BE(entry.length);
    const err = decodeError(Buffer.concat([size, entry]));
    assert.equal(err.code, 'TABLE_TOO_DEEP');
    assert.equal(err.replyCode, 502);
  });

  it('accepts nesting up to the limit', () => {
    let v: FieldValue = { type: 'V', value: null };
    for (let i = 0; i < FIELD_NESTING_MAX_DEPTH; i++) v = { type: 'A', value: [v] };
    const t = new Map([['k', v]]);
    assert.deepStrictEqual(decode(encode(t)), t);
  });
});

describe('field tables: round trips', () => {
  it('decode(encode(t)) gives t back, and encodes again to the same bytes', () => {
    fc.assert(
      fc.property(fieldTableArb, (t) => {
        const wire = encode(t);
        const back = decode(wire);
        assert.deepStrictEqual(back, expectedFieldTable(t));
        assert.deepEqual(encode(back), wire);
      }),
      { numRuns: 500 },
    );
  });

  it('encodes the same bytes as amqplib for random tables amqplib can express', () => {
    fc.assert(
      fc.property(fieldTableArb.filter(amqplibCanEncodeTable), (t) => {
        assert.deepEqual(encode(t), amqplibEncode(toAmqplibTable(t)));
      }),
      { numRuns: 300 },
    );
  });
});
