// The AMQP 1.0 type system (part 1, "Types"): a value model that keeps every AMQP type distinct, an
// encoder that picks the smallest encoding, and a decoder that checks every size and count against
// the octets left before allocating anything and limits nesting. Composite types (performatives,
// sections, delivery states) are built on this in generated.ts; frames are in frames.ts.
//
//   value       = constructor data
//   constructor = format-code | 0x00 descriptor-value constructor      (described type)
//   fixed       = code [width octets]             e.g. 0x70 uint, 0x52 smalluint, 0x43 uint0
//   variable    = code size(1|4) octets           vbin8/32, str8/32 (UTF-8), sym8/32 (ASCII)
//   compound    = code size(1|4) count(1|4) items list8/32, map8/32 (count = keys + values)
//   array       = code size(1|4) count(1|4) element-constructor element-data...
//
// `size` counts the octets after itself; `count` is the number of items. Multi-octet numbers are
// big-endian (network order).

import { Amqp10DecodeError, decodeError } from './errors.ts';

/** Values of AMQP types that have a natural JS form: null, boolean, string, binary, list. */
export type AmqpNative = null | boolean | string | Buffer | AmqpValue[];

/** Number-valued AMQP types (char is a Unicode code point, timestamp ms since the Unix epoch). */
export type AmqpNumberTypeName = 'ubyte' | 'ushort' | 'uint' | 'byte' | 'short' | 'int' | 'float' | 'double' | 'char' | 'timestamp';
/** 64-bit integer types, as bigint. */
export type AmqpBigintTypeName = 'ulong' | 'long';
/** Fixed-width opaque types, as their raw octets (decimals are IEEE 754 decimal, not interpreted). */
export type AmqpOpaqueTypeName = 'decimal32' | 'decimal64' | 'decimal128' | 'uuid';

export interface AmqpNumber {
  readonly type: AmqpNumberTypeName;
  readonly value: number;
}
export interface AmqpBigint {
  readonly type: AmqpBigintTypeName;
  readonly value: bigint;
}
export interface AmqpOpaque {
  readonly type: AmqpOpaqueTypeName;
  readonly value: Buffer;
}
export interface AmqpSymbol {
  readonly type: 'symbol';
  readonly value: string;
}
/** A map, as its entries in wire order (keys may be of any type, so a JS Map would not do). */
export interface AmqpMap {
  readonly type: 'map';
  readonly value: Array<[AmqpValue, AmqpValue]>;
}
/** Every primitive type name (the element type of an array). */
export type AmqpPrimitiveTypeName =
  | 'null'
  | 'boolean'
  | 'binary'
  | 'string'
  | 'symbol'
  | 'list'
  | 'map'
  | 'array'
  | AmqpNumberTypeName
  | AmqpBigintTypeName
  | AmqpOpaqueTypeName;
/**
 * An array: one element type, elements encoded without their own constructors. With a
 * `descriptor`, every element is an AmqpDescribed with that descriptor and a value of `elementType`.
 */
export interface AmqpArray {
  readonly type: 'array';
  readonly elementType: AmqpPrimitiveTypeName;
  readonly descriptor?: AmqpValue;
  readonly value: AmqpValue[];
}
export interface AmqpDescribed {
  readonly type: 'described';
  readonly descriptor: AmqpValue;
  readonly value: AmqpValue;
}

/** Any AMQP 1.0 value. */
export type AmqpValue = AmqpNative | AmqpNumber | AmqpBigint | AmqpOpaque | AmqpSymbol | AmqpMap | AmqpArray | AmqpDescribed;

/** Nesting of lists, maps, arrays and described values the decoder accepts. */
export const NESTING_MAX_DEPTH = 32;

// Constructors for tagged values.
export const ubyte = (value: number): AmqpNumber => ({ type: 'ubyte', value });
export const ushort = (value: number): AmqpNumber => ({ type: 'ushort', value });
export const uint = (value: number): AmqpNumber => ({ type: 'uint', value });
export const byte = (value: number): AmqpNumber => ({ type: 'byte', value });
export const short = (value: number): AmqpNumber => ({ type: 'short', value });
export const int = (value: number): AmqpNumber => ({ type: 'int', value });
export const float = (value: number): AmqpNumber => ({ type: 'float', value });
export const double = (value: number): AmqpNumber => ({ type: 'double', value });
export const char = (codePoint: number): AmqpNumber => ({ type: 'char', value: codePoint });
export const timestamp = (msSinceEpoch: number): AmqpNumber => ({ type: 'timestamp', value: msSinceEpoch });
export const ulong = (value: bigint | number): AmqpBigint => ({ type: 'ulong', value: BigInt(value) });
export const long = (value: bigint | number): AmqpBigint => ({ type: 'long', value: BigInt(value) });
export const uuid = (octets: Uint8Array): AmqpOpaque => ({ type: 'uuid', value: Buffer.from(octets) });
export const symbol = (value: string): AmqpSymbol => ({ type: 'symbol', value });
export const map = (entries: Array<[AmqpValue, AmqpValue]>): AmqpMap => ({ type: 'map', value: entries });
export const array = (elementType: AmqpPrimitiveTypeName, value: AmqpValue[]): AmqpArray => ({ type: 'array', elementType, value });
export const described = (descriptor: AmqpValue, value: AmqpValue): AmqpDescribed => ({ type: 'described', descriptor, value });

/** The AMQP type name of a value. */
export function typeOf(v: AmqpValue): AmqpPrimitiveTypeName | 'described' {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'string') return 'string';
  if (Buffer.isBuffer(v)) return 'binary';
  if (Array.isArray(v)) return 'list';
  return v.type;
}

/** Format codes (part 1, section 1.6). */
export const FORMAT_CODE = {
  DESCRIBED: 0x00,
  NULL: 0x40,
  TRUE: 0x41,
  FALSE: 0x42,
  UINT0: 0x43,
  ULONG0: 0x44,
  LIST0: 0x45,
  UBYTE: 0x50,
  BYTE: 0x51,
  SMALLUINT: 0x52,
  SMALLULONG: 0x53,
  SMALLINT: 0x54,
  SMALLLONG: 0x55,
  BOOLEAN: 0x56,
  USHORT: 0x60,
  SHORT: 0x61,
  UINT: 0x70,
  INT: 0x71,
  FLOAT: 0x72,
  CHAR: 0x73,
  DECIMAL32: 0x74,
  ULONG: 0x80,
  LONG: 0x81,
  DOUBLE: 0x82,
  TIMESTAMP: 0x83,
  DECIMAL64: 0x84,
  DECIMAL128: 0x94,
  UUID: 0x98,
  VBIN8: 0xa0,
  STR8: 0xa1,
  SYM8: 0xa3,
  VBIN32: 0xb0,
  STR32: 0xb1,
  SYM32: 0xb3,
  LIST8: 0xc0,
  MAP8: 0xc1,
  LIST32: 0xd0,
  MAP32: 0xd1,
  ARRAY8: 0xe0,
  ARRAY32: 0xf0,
} as const;

const C = FORMAT_CODE;

// ---------------------------------------------------------------------------------------------------
// Encoding

function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new TypeError(`amqp10 encode: ${message}`);
}

/** A growable output buffer; sizes of compounds are written after their content (back-patched). */
export class Amqp10Writer {
  private buf: Buffer;
  length = 0;

  constructor(initialBytes = 256) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.length++] = v;
  }
  u16(v: number): void {
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.length);
    this.length += 2;
  }
  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32BE(v, this.length);
    this.length += 4;
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  i8(v: number): void {
    this.ensure(1);
    this.buf.writeInt8(v, this.length);
    this.length += 1;
  }
  i16(v: number): void {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.length);
    this.length += 2;
  }
  i32(v: number): void {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.length);
    this.length += 4;
  }
  f32(v: number): void {
    this.ensure(4);
    this.buf.writeFloatBE(v, this.length);
    this.length += 4;
  }
  f64(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.length);
    this.length += 8;
  }
  u64(v: bigint): void {
    this.ensure(8);
    this.buf.writeBigUInt64BE(v, this.length);
    this.length += 8;
  }
  i64(v: bigint): void {
    this.ensure(8);
    this.buf.writeBigInt64BE(v, this.length);
    this.length += 8;
  }
  /** The bytes written so far, as a view: the writer must not be written to afterwards. */
  toBuffer(): Buffer {
    return this.buf.subarray(0, this.length);
  }
  /** Internal: direct access for back-patching. */
  get raw(): Buffer {
    return this.buf;
  }
}

/** Encodes one value, with its constructor, choosing the smallest encoding. */
export function encodeValue(v: AmqpValue): Buffer {
  const w = new Amqp10Writer();
  writeValue(w, v);
  return w.toBuffer();
}

/** Writes one value with its constructor, choosing the smallest encoding. */
export function writeValue(w: Amqp10Writer, v: AmqpValue): void {
  if (v === null) return w.u8(C.NULL);
  if (typeof v === 'boolean') return w.u8(v ? C.TRUE : C.FALSE);
  if (typeof v === 'string') return writeVariable(w, Buffer.from(v, 'utf8'), C.STR8, C.STR32);
  if (Buffer.isBuffer(v)) return writeVariable(w, v, C.VBIN8, C.VBIN32);
  if (Array.isArray(v)) {
    if (v.length === 0) return w.u8(C.LIST0);
    return writeCompound(w, v, C.LIST8, C.LIST32);
  }
  switch (v.type) {
    case 'uint':
      checkUint(v.value, 0xffff_ffff, 'uint');
      if (v.value === 0) return w.u8(C.UINT0);
      if (v.value <= 0xff) return (w.u8(C.SMALLUINT), w.u8(v.value));
      return (w.u8(C.UINT), w.u32(v.value));
    case 'ulong':
      assert(v.value >= 0n && v.value <= 0xffff_ffff_ffff_ffffn, 'ulong out of range');
      if (v.value === 0n) return w.u8(C.ULONG0);
      if (v.value <= 0xffn) return (w.u8(C.SMALLULONG), w.u8(Number(v.value)));
      w.u8(C.ULONG);
      return w.u64(v.value);
    case 'int':
      checkInt(v.value, 0x8000_0000, 'int');
      if (v.value >= -128 && v.value <= 127) return (w.u8(C.SMALLINT), w.i8(v.value));
      w.u8(C.INT);
      return w.i32(v.value);
    case 'long':
      assert(v.value >= -(2n ** 63n) && v.value < 2n ** 63n, 'long out of range');
      if (v.value >= -128n && v.value <= 127n) {
        w.u8(C.SMALLLONG);
        return w.i8(Number(v.value));
      }
      w.u8(C.LONG);
      return w.i64(v.value);
    case 'symbol':
      return writeVariable(w, symbolBytes(v.value), C.SYM8, C.SYM32);
    case 'map':
      return writeCompound(w, v.value.flat(), C.MAP8, C.MAP32);
    case 'array':
      return writeArray(w, v);
    case 'described':
      w.u8(C.DESCRIBED);
      writeValue(w, v.descriptor);
      return writeValue(w, v.value);
    default:
      w.u8(ARRAY_CONSTRUCTOR[v.type]);
      return writeFixedBody(w, v);
  }
}

function checkUint(n: number, max: number, what: string): void {
  assert(Number.isInteger(n) && n >= 0 && n <= max, `${what} out of range`);
}
function checkInt(n: number, half: number, what: string): void {
  assert(Number.isInteger(n) && n >= -half && n < half, `${what} out of range`);
}

function symbolBytes(s: string): Buffer {
  // Symbols are ASCII (part 1, section 1.6.22).
  assert(/^[\x00-\x7f]*$/.test(s), 'symbol is not ASCII');
  return Buffer.from(s, 'latin1');
}

function writeVariable(w: Amqp10Writer, b: Uint8Array, code8: number, code32: number): void {
  if (b.length <= 0xff) {
    w.u8(code8);
    w.u8(b.length);
  } else {
    w.u8(code32);
    w.u32(b.length);
  }
  w.bytes(b);
}

/** Writes a list or map: content first behind a 32-bit header, then shrunk to 8-bit when it fits. */
function writeCompound(w: Amqp10Writer, items: AmqpValue[], code8: number, code32: number): void {
  const start = w.length;
  w.u8(code32);
  w.u32(0);
  w.u32(items.length);
  for (const item of items) writeValue(w, item);
  finishCompound(w, start, items.length, code8);
}

/** Back-patches the size of a compound or array at `start` (code32 size32 count32 body), or shrinks it. */
function finishCompound(w: Amqp10Writer, start: number, count: number, code8: number): void {
  const bodyBytes = w.length - start - 9;
  const raw = w.raw;
  if (bodyBytes + 1 <= 0xff && count <= 0xff) {
    raw[start] = code8;
    raw[start + 1] = bodyBytes + 1;
    raw[start + 2] = count;
    raw.copyWithin(start + 3, start + 9, w.length);
    w.length -= 6;
  } else {
    raw.writeUInt32BE(bodyBytes + 4, start + 1);
    raw.writeUInt32BE(count, start + 5);
  }
}

/** Constructor of each type inside an array (the widest fixed form; variable forms get picked later). */
const ARRAY_CONSTRUCTOR: Record<AmqpPrimitiveTypeName, number> = {
  null: C.NULL,
  boolean: C.BOOLEAN,
  ubyte: C.UBYTE,
  ushort: C.USHORT,
  uint: C.UINT,
  ulong: C.ULONG,
  byte: C.BYTE,
  short: C.SHORT,
  int: C.INT,
  long: C.LONG,
  float: C.FLOAT,
  double: C.DOUBLE,
  decimal32: C.DECIMAL32,
  decimal64: C.DECIMAL64,
  decimal128: C.DECIMAL128,
  char: C.CHAR,
  timestamp: C.TIMESTAMP,
  uuid: C.UUID,
  binary: C.VBIN32,
  string: C.STR32,
  symbol: C.SYM32,
  list: C.LIST32,
  map: C.MAP32,
  array: C.ARRAY32,
};

const OPAQUE_WIDTH: Record<AmqpOpaqueTypeName, number> = { decimal32: 4, decimal64: 8, decimal128: 16, uuid: 16 };

/** Writes the data of a fixed-width value in its widest form (no constructor). */
function writeFixedBody(w: Amqp10Writer, v: AmqpNumber | AmqpBigint | AmqpOpaque): void {
  switch (v.type) {
    case 'ubyte':
      checkUint(v.value, 0xff, 'ubyte');
      return w.u8(v.value);
    case 'ushort':
      checkUint(v.value, 0xffff, 'ushort');
      return w.u16(v.value);
    case 'uint':
      checkUint(v.value, 0xffff_ffff, 'uint');
      return w.u32(v.value);
    case 'byte':
      checkInt(v.value, 0x80, 'byte');
      return w.i8(v.value);
    case 'short':
      checkInt(v.value, 0x8000, 'short');
      return w.i16(v.value);
    case 'int':
      checkInt(v.value, 0x8000_0000, 'int');
      return w.i32(v.value);
    case 'float':
      return w.f32(v.value);
    case 'double':
      return w.f64(v.value);
    case 'char':
      assert(isScalar(v.value), 'char is not a Unicode scalar value');
      return w.u32(v.value);
    case 'timestamp': {
      assert(Number.isInteger(v.value), 'timestamp is not an integer');
      // A decoded timestamp beyond 2^53 is rounded (see the decoder); clamp so it always re-encodes.
      const ms = BigInt(v.value);
      return w.i64(ms > INT64_MAX ? INT64_MAX : ms < -INT64_MAX - 1n ? -INT64_MAX - 1n : ms);
    }
    case 'ulong':
      assert(v.value >= 0n && v.value <= 0xffff_ffff_ffff_ffffn, 'ulong out of range');
      return w.u64(v.value);
    case 'long':
      assert(v.value >= -(2n ** 63n) && v.value < 2n ** 63n, 'long out of range');
      return w.i64(v.value);
    default:
      assert(v.value.length === OPAQUE_WIDTH[v.type], `${v.type} must be ${OPAQUE_WIDTH[v.type]} octets`);
      return w.bytes(v.value);
  }
}

const INT64_MAX = 2n ** 63n - 1n;

function isScalar(cp: number): boolean {
  return Number.isInteger(cp) && cp >= 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff);
}

function writeArray(w: Amqp10Writer, a: AmqpArray): void {
  const start = w.length;
  w.u8(C.ARRAY32);
  w.u32(0);
  w.u32(a.value.length);
  // Elements of a described array are described values sharing the array's descriptor; only their
  // values are written, after the one constructor `0x00 descriptor code`.
  let descriptorBytes: Buffer | undefined;
  let items = a.value;
  if (a.descriptor !== undefined) {
    descriptorBytes = encodeValue(a.descriptor);
    items = a.value.map((e) => {
      assert(typeOf(e) === 'described', 'a described array holds a value that is not described');
      const d = e as AmqpDescribed;
      assert(encodeValue(d.descriptor).equals(descriptorBytes!), 'a described array holds another descriptor');
      return d.value;
    });
    w.u8(C.DESCRIBED);
    w.bytes(descriptorBytes);
  }
  let code: number = ARRAY_CONSTRUCTOR[a.elementType];
  const encoded: Buffer[] = [];
  if (a.elementType === 'binary' || a.elementType === 'string' || a.elementType === 'symbol') {
    // One constructor for all elements: the 8-bit form only when every element fits it.
    for (const e of items) {
      assert(typeOf(e) === a.elementType, `array of ${a.elementType} holds a ${typeOf(e)}`);
      encoded.push(a.elementType === 'string' ? Buffer.from(e as string, 'utf8') : a.elementType === 'symbol' ? symbolBytes((e as AmqpSymbol).value) : (e as Buffer));
    }
    if (encoded.every((b) => b.length <= 0xff)) code -= 0x10;
  }
  w.u8(code);
  items.forEach((e, i) => {
    assert(typeOf(e) === a.elementType, `array of ${a.elementType} holds a ${typeOf(e)}`);
    writeArrayElement(w, e, code, encoded[i]);
  });
  finishCompound(w, start, a.value.length, C.ARRAY8);
}

function writeArrayElement(w: Amqp10Writer, e: AmqpValue, code: number, octets: Buffer | undefined): void {
  if (octets !== undefined) {
    if (code < 0xb0) w.u8(octets.length);
    else w.u32(octets.length);
    return w.bytes(octets);
  }
  if (e === null) return;
  if (typeof e === 'boolean') return w.u8(e ? 1 : 0);
  if (Array.isArray(e) || (typeof e === 'object' && !Buffer.isBuffer(e) && (e.type === 'map' || e.type === 'array'))) {
    // Write the element with its 32-bit constructor, then drop that constructor octet.
    const start = w.length;
    if (Array.isArray(e)) {
      w.u8(C.LIST32);
      w.u32(0);
      w.u32(e.length);
      for (const item of e) writeValue(w, item);
      const raw = w.raw;
      raw.writeUInt32BE(w.length - start - 5, start + 1);
    } else if (e.type === 'map') {
      w.u8(C.MAP32);
      w.u32(0);
      w.u32(e.value.length * 2);
      for (const item of e.value.flat()) writeValue(w, item);
      w.raw.writeUInt32BE(w.length - start - 5, start + 1);
    } else {
      writeArray(w, e as AmqpArray);
      if (w.raw[start] === C.ARRAY8) {
        // Re-widen: the element constructor says array32.
        const body = Buffer.from(w.raw.subarray(start + 3, w.length));
        const size = w.raw[start + 1]!;
        const count = w.raw[start + 2]!;
        w.length = start;
        w.u8(C.ARRAY32);
        w.u32(size - 1 + 4);
        w.u32(count);
        w.bytes(body);
      }
    }
    w.raw.copyWithin(start, start + 1, w.length);
    w.length -= 1;
    return;
  }
  writeFixedBody(w, e as AmqpNumber | AmqpBigint | AmqpOpaque);
}

// ---------------------------------------------------------------------------------------------------
// Decoding

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A cursor over octets from the peer; every read is checked against `end`. */
export class Amqp10Reader {
  constructor(
    readonly buf: Buffer,
    public pos = 0,
    public end = buf.length,
  ) {}

  get remaining(): number {
    return this.end - this.pos;
  }

  need(n: number, what: string): void {
    if (n > this.end - this.pos) throw decodeError('TRUNCATED', `${what} needs ${n} octets, ${this.end - this.pos} left`);
  }
  u8(): number {
    this.need(1, 'octet');
    return this.buf[this.pos++]!;
  }
  u32(): number {
    this.need(4, 'uint');
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  take(n: number, what: string): Buffer {
    this.need(n, what);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
}

/** Decodes exactly one value filling `buf`; octets after it are a decode error. */
export function decodeValue(buf: Buffer): AmqpValue {
  const r = new Amqp10Reader(buf);
  const v = readValue(r);
  if (r.pos !== r.end) throw decodeError('TRAILING_BYTES', `${r.end - r.pos} octets after the value`);
  return v;
}

/** Reads one value (constructor and data) at the reader's position. */
export function readValue(r: Amqp10Reader, depth = 0): AmqpValue {
  const code = r.u8();
  if (code === C.DESCRIBED) {
    if (depth >= NESTING_MAX_DEPTH) throw decodeError('TOO_DEEP', `values nested deeper than ${NESTING_MAX_DEPTH}`);
    const descriptor = readValue(r, depth + 1);
    return { type: 'described', descriptor, value: readValue(r, depth + 1) };
  }
  return readData(r, code, depth);
}

/** Reads the data of a value whose constructor is `code` (also used for array elements). */
function readData(r: Amqp10Reader, code: number, depth: number): AmqpValue {
  const b = r.buf;
  switch (code) {
    case C.NULL:
      return null;
    case C.TRUE:
      return true;
    case C.FALSE:
      return false;
    case C.BOOLEAN: {
      const o = r.u8();
      if (o > 1) throw decodeError('BAD_BOOLEAN', `boolean octet ${o}`);
      return o === 1;
    }
    case C.UINT0:
      return { type: 'uint', value: 0 };
    case C.ULONG0:
      return { type: 'ulong', value: 0n };
    case C.LIST0:
      return [];
    case C.UBYTE:
      return { type: 'ubyte', value: r.u8() };
    case C.BYTE:
      r.need(1, 'byte');
      return { type: 'byte', value: b.readInt8(r.pos++) };
    case C.SMALLUINT:
      return { type: 'uint', value: r.u8() };
    case C.SMALLULONG:
      return { type: 'ulong', value: BigInt(r.u8()) };
    case C.SMALLINT:
      r.need(1, 'smallint');
      return { type: 'int', value: b.readInt8(r.pos++) };
    case C.SMALLLONG:
      r.need(1, 'smalllong');
      return { type: 'long', value: BigInt(b.readInt8(r.pos++)) };
    case C.USHORT:
      r.need(2, 'ushort');
      return { type: 'ushort', value: b.readUInt16BE((r.pos += 2) - 2) };
    case C.SHORT:
      r.need(2, 'short');
      return { type: 'short', value: b.readInt16BE((r.pos += 2) - 2) };
    case C.UINT:
      return { type: 'uint', value: r.u32() };
    case C.INT:
      r.need(4, 'int');
      return { type: 'int', value: b.readInt32BE((r.pos += 4) - 4) };
    case C.FLOAT:
      r.need(4, 'float');
      return { type: 'float', value: b.readFloatBE((r.pos += 4) - 4) };
    case C.CHAR: {
      const cp = r.u32();
      if (!isScalar(cp)) throw decodeError('BAD_TEXT', 'char is not a Unicode scalar value');
      return { type: 'char', value: cp };
    }
    case C.ULONG:
      r.need(8, 'ulong');
      return { type: 'ulong', value: b.readBigUInt64BE((r.pos += 8) - 8) };
    case C.LONG:
      r.need(8, 'long');
      return { type: 'long', value: b.readBigInt64BE((r.pos += 8) - 8) };
    case C.DOUBLE:
      r.need(8, 'double');
      return { type: 'double', value: b.readDoubleBE((r.pos += 8) - 8) };
    case C.TIMESTAMP:
      r.need(8, 'timestamp');
      // ms since the epoch; beyond 2^53 (285 000 years) precision is lost, which no real clock sends.
      return { type: 'timestamp', value: Number(b.readBigInt64BE((r.pos += 8) - 8)) };
    case C.DECIMAL32:
      return { type: 'decimal32', value: Buffer.from(r.take(4, 'decimal32')) };
    case C.DECIMAL64:
      return { type: 'decimal64', value: Buffer.from(r.take(8, 'decimal64')) };
    case C.DECIMAL128:
      return { type: 'decimal128', value: Buffer.from(r.take(16, 'decimal128')) };
    case C.UUID:
      return { type: 'uuid', value: Buffer.from(r.take(16, 'uuid')) };
    case C.VBIN8:
      return Buffer.from(r.take(r.u8(), 'vbin8'));
    case C.VBIN32:
      return Buffer.from(r.take(r.u32(), 'vbin32'));
    case C.STR8:
      return readUtf8(r.take(r.u8(), 'str8'));
    case C.STR32:
      return readUtf8(r.take(r.u32(), 'str32'));
    case C.SYM8:
      return { type: 'symbol', value: readAscii(r.take(r.u8(), 'sym8')) };
    case C.SYM32:
      return { type: 'symbol', value: readAscii(r.take(r.u32(), 'sym32')) };
    case C.LIST8:
    case C.LIST32:
      return readItems(r, code === C.LIST8 ? 1 : 4, depth);
    case C.MAP8:
    case C.MAP32: {
      const items = readItems(r, code === C.MAP8 ? 1 : 4, depth);
      if (items.length % 2 !== 0) throw decodeError('ODD_MAP_COUNT', `map with ${items.length} items`);
      const entries: Array<[AmqpValue, AmqpValue]> = [];
      for (let i = 0; i < items.length; i += 2) entries.push([items[i]!, items[i + 1]!]);
      return { type: 'map', value: entries };
    }
    case C.ARRAY8:
    case C.ARRAY32:
      return readArray(r, code === C.ARRAY8 ? 1 : 4, depth);
    default:
      throw decodeError('UNKNOWN_CONSTRUCTOR', `format code 0x${code.toString(16).padStart(2, '0')}`);
  }
}

function readUtf8(b: Buffer): string {
  try {
    return utf8.decode(b);
  } catch {
    throw decodeError('BAD_TEXT', 'string is not UTF-8');
  }
}

function readAscii(b: Buffer): string {
  for (let i = 0; i < b.length; i++) if (b[i]! > 0x7f) throw decodeError('BAD_TEXT', 'symbol is not ASCII');
  return b.toString('latin1');
}

/**
 * Reads size and count of a compound, checked before any item is read: the size must fit in the
 * octets left, and the count in the size (every item takes at least one octet, its constructor).
 * Returns the count and narrows the reader to the compound; the caller restores `end`.
 */
function openCompound(r: Amqp10Reader, width: 1 | 4, depth: number, isArray = false): { count: number; outerEnd: number } {
  if (depth >= NESTING_MAX_DEPTH) throw decodeError('TOO_DEEP', `values nested deeper than ${NESTING_MAX_DEPTH}`);
  const size = width === 1 ? r.u8() : r.u32();
  if (size < width) throw decodeError('BAD_COMPOUND_SIZE', `compound size ${size} holds no count`);
  r.need(size, 'compound');
  const outerEnd = r.end;
  r.end = r.pos + size;
  const count = width === 1 ? r.u8() : r.u32();
  // Array elements of a zero-width constructor (null, true, uint0, list0...) take no octets; their
  // count is bounded by 8 per octet of the array so a tiny frame cannot make a huge array.
  if (count > (isArray ? size * ZERO_WIDTH_ELEMENTS_PER_OCTET_MAX : r.remaining)) throw decodeError('BAD_COMPOUND_SIZE', `count ${count} exceeds the ${r.remaining} octets of its compound`);
  return { count, outerEnd };
}

/** How many zero-width array elements one octet of array size may carry. */
const ZERO_WIDTH_ELEMENTS_PER_OCTET_MAX = 8;

function closeCompound(r: Amqp10Reader, outerEnd: number): void {
  if (r.pos !== r.end) throw decodeError('BAD_COMPOUND_SIZE', `${r.end - r.pos} octets left in a compound after its items`);
  r.end = outerEnd;
}

function readItems(r: Amqp10Reader, width: 1 | 4, depth: number): AmqpValue[] {
  const { count, outerEnd } = openCompound(r, width, depth);
  const items: AmqpValue[] = [];
  for (let i = 0; i < count; i++) items.push(readValue(r, depth + 1));
  closeCompound(r, outerEnd);
  return items;
}

/** Element type of each constructor an array may use. */
const ELEMENT_TYPE: Record<number, AmqpPrimitiveTypeName> = {
  [C.NULL]: 'null',
  [C.TRUE]: 'boolean',
  [C.FALSE]: 'boolean',
  [C.BOOLEAN]: 'boolean',
  [C.UINT0]: 'uint',
  [C.SMALLUINT]: 'uint',
  [C.UINT]: 'uint',
  [C.ULONG0]: 'ulong',
  [C.SMALLULONG]: 'ulong',
  [C.ULONG]: 'ulong',
  [C.UBYTE]: 'ubyte',
  [C.USHORT]: 'ushort',
  [C.BYTE]: 'byte',
  [C.SHORT]: 'short',
  [C.SMALLINT]: 'int',
  [C.INT]: 'int',
  [C.SMALLLONG]: 'long',
  [C.LONG]: 'long',
  [C.FLOAT]: 'float',
  [C.DOUBLE]: 'double',
  [C.DECIMAL32]: 'decimal32',
  [C.DECIMAL64]: 'decimal64',
  [C.DECIMAL128]: 'decimal128',
  [C.CHAR]: 'char',
  [C.TIMESTAMP]: 'timestamp',
  [C.UUID]: 'uuid',
  [C.VBIN8]: 'binary',
  [C.VBIN32]: 'binary',
  [C.STR8]: 'string',
  [C.STR32]: 'string',
  [C.SYM8]: 'symbol',
  [C.SYM32]: 'symbol',
  [C.LIST0]: 'list',
  [C.LIST8]: 'list',
  [C.LIST32]: 'list',
  [C.MAP8]: 'map',
  [C.MAP32]: 'map',
  [C.ARRAY8]: 'array',
  [C.ARRAY32]: 'array',
};

const ZERO_WIDTH_CODES = new Set<number>([C.NULL, C.TRUE, C.FALSE, C.UINT0, C.ULONG0, C.LIST0]);

function readArray(r: Amqp10Reader, width: 1 | 4, depth: number): AmqpArray {
  const { count, outerEnd } = openCompound(r, width, depth, true);
  let code = r.u8();
  let descriptor: AmqpValue | undefined;
  if (code === C.DESCRIBED) {
    descriptor = readValue(r, depth + 1);
    code = r.u8();
    if (code === C.DESCRIBED) throw new Amqp10DecodeError('UNSUPPORTED_ARRAY', 'NOT_IMPLEMENTED', 'arrays of doubly described types');
  }
  const elementType = ELEMENT_TYPE[code];
  if (elementType === undefined) throw decodeError('UNKNOWN_CONSTRUCTOR', `array element format code 0x${code.toString(16).padStart(2, '0')}`);
  if (count > r.remaining && !ZERO_WIDTH_CODES.has(code)) {
    throw decodeError('BAD_COMPOUND_SIZE', `count ${count} exceeds the ${r.remaining} octets of its array`);
  }
  const value: AmqpValue[] = [];
  for (let i = 0; i < count; i++) {
    const data = readData(r, code, depth + 1);
    value.push(descriptor === undefined ? data : { type: 'described', descriptor, value: data });
  }
  closeCompound(r, outerEnd);
  return descriptor === undefined ? { type: 'array', elementType, value } : { type: 'array', elementType, descriptor, value };
}
