// AMQP 0-9-1 field tables and field arrays with RabbitMQ's type tags (the 0-9-1 errata, as RabbitMQ
// and amqplib implement them, not the tags printed in the 0-9-1 PDF). Values keep their wire type so
// that a table decoded and encoded again is the same bytes: a broker relays headers it did not write.
// Method arguments and content properties use these through generated.ts.
//
//   table:  +------------+----------------------------------------------+
//           | size: long | size octets of (key: shortstr, value: field) |
//           +------------+----------------------------------------------+
//   field:  +-----------+--------------------------------------+
//           | tag: char | value, encoded as the tag says        |
//           +-----------+--------------------------------------+
//   array:  +------------+----------------------------------+
//           | size: long | size octets of field, field, ... |
//           +------------+----------------------------------+
//
//   tag  type                       value                      tag  type            value
//   t    boolean                    octet 0 or 1               d    double          8 octets IEEE 754
//   b    signed 8-bit               octet                      D    decimal         scale octet, u32
//   B    unsigned 8-bit             octet                      S    long string     u32 length, octets
//   s    signed 16-bit              2 octets                   A    array           u32 size, fields
//   u    unsigned 16-bit            2 octets                   T    timestamp       u64 seconds
//   I    signed 32-bit              4 octets                   F    nested table    u32 size, entries
//   i    unsigned 32-bit            4 octets                   V    void            nothing
//   l    signed 64-bit              8 octets                   x    byte array      u32 length, octets
//   f    float                      4 octets IEEE 754

import { isUtf8 } from 'node:buffer';
import type { ByteReader } from './byte-reader.ts';
import type { ByteWriter } from './byte-writer.ts';
import { Amqp091DecodeError } from './errors.ts';

/**
 * A field value with its wire type. `S` decodes to a string when its octets are valid UTF-8 and to
 * the raw octets otherwise, so that binary long strings survive a round trip; `l` and `T` are
 * 64-bit and decode to bigint.
 */
export type FieldValue =
  | { readonly type: 't'; readonly value: boolean }
  | { readonly type: 'b' | 'B' | 's' | 'u' | 'I' | 'i' | 'f' | 'd'; readonly value: number }
  | { readonly type: 'l' | 'T'; readonly value: bigint }
  | { readonly type: 'D'; readonly value: Decimal }
  | { readonly type: 'S'; readonly value: string | Uint8Array }
  | { readonly type: 'x'; readonly value: Uint8Array }
  | { readonly type: 'A'; readonly value: readonly FieldValue[] }
  | { readonly type: 'F'; readonly value: FieldTable }
  | { readonly type: 'V'; readonly value: null };

/** A field-value type tag. */
export type FieldType = FieldValue['type'];

/** AMQP decimal: `digits / 10^scale`, with scale 0..255 and digits an unsigned 32-bit integer. */
export interface Decimal {
  readonly scale: number;
  readonly digits: number;
}

/**
 * A field table. Decoding keeps the first of duplicate keys (RabbitMQ looks tables up first-match);
 * insertion order is wire order.
 */
export type FieldTable = ReadonlyMap<string, FieldValue>;

/**
 * How deep tables and arrays may nest. RabbitMQ's deepest real use is x-death (headers -> array ->
 * table -> array, depth 4); the limit exists so that a frame of nested `F`s cannot overflow the stack.
 */
export const FIELD_NESTING_MAX_DEPTH = 64;

/** Reads a field table (size-prefixed). */
export function readFieldTable(r: ByteReader, depth = 0): Map<string, FieldValue> {
  checkDepth(depth);
  const size = r.u32();
  r.need(size);
  const end = r.pos + size;
  const table = new Map<string, FieldValue>();
  // A sub-window: an entry that runs past `end` is truncated, even if the frame goes on.
  const outerEnd = r.end;
  r.end = end;
  try {
    while (r.pos < end) {
      const key = r.shortstr();
      const value = readFieldValue(r, depth);
      if (!table.has(key)) table.set(key, value);
    }
  } finally {
    r.end = outerEnd;
  }
  return table;
}

/** Reads a field array (size-prefixed). */
export function readFieldArray(r: ByteReader, depth = 0): FieldValue[] {
  checkDepth(depth);
  const size = r.u32();
  r.need(size);
  const end = r.pos + size;
  const values: FieldValue[] = [];
  const outerEnd = r.end;
  r.end = end;
  try {
    while (r.pos < end) values.push(readFieldValue(r, depth));
  } finally {
    r.end = outerEnd;
  }
  return values;
}

function checkDepth(depth: number): void {
  if (depth > FIELD_NESTING_MAX_DEPTH) {
    throw new Amqp091DecodeError(
      'TABLE_TOO_DEEP',
      'SYNTAX_ERROR',
      `field tables nested deeper than ${FIELD_NESTING_MAX_DEPTH}`,
    );
  }
}

/** Reads one tagged field value. */
export function readFieldValue(r: ByteReader, depth = 0): FieldValue {
  const tag = r.u8();
  switch (tag) {
    case 0x74: // t
      return { type: 't', value: r.u8() !== 0 };
    case 0x62: // b
      return { type: 'b', value: r.i8() };
    case 0x42: // B
      return { type: 'B', value: r.u8() };
    case 0x73: // s
      return { type: 's', value: r.i16() };
    case 0x75: // u
      return { type: 'u', value: r.u16() };
    case 0x49: // I
      return { type: 'I', value: r.i32() };
    case 0x69: // i
      return { type: 'i', value: r.u32() };
    case 0x6c: // l
      return { type: 'l', value: r.i64Big() };
    case 0x66: // f
      return { type: 'f', value: r.f32() };
    case 0x64: // d
      return { type: 'd', value: r.f64() };
    case 0x44: {
      // D
      const scale = r.u8();
      return { type: 'D', value: { scale, digits: r.u32() } };
    }
    case 0x53: {
      // S
      const bytes = r.longstr();
      return { type: 'S', value: isUtf8(bytes) ? bytes.toString('utf8') : bytes };
    }
    case 0x41: // A
      return { type: 'A', value: readFieldArray(r, depth + 1) };
    case 0x54: // T
      return { type: 'T', value: r.u64Big() };
    case 0x46: // F
      return { type: 'F', value: readFieldTable(r, depth + 1) };
    case 0x56: // V
      return { type: 'V', value: null };
    case 0x78: // x
      return { type: 'x', value: r.longstr() };
    default:
      throw new Amqp091DecodeError('UNKNOWN_FIELD_TYPE', 'SYNTAX_ERROR', `unknown field type tag 0x${hex2(tag)}`);
  }
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

/** Writes a field table (size-prefixed). Throws RangeError for a value out of its type's range. */
export function writeFieldTable(w: ByteWriter, table: FieldTable, depth = 0): void {
  assertDepth(depth);
  const at = w.pos;
  w.u32(0);
  for (const [key, value] of table) {
    w.shortstr(key);
    writeFieldValue(w, value, depth);
  }
  w.patchU32(at, w.pos - at - 4);
}

/** Writes a field array (size-prefixed). */
export function writeFieldArray(w: ByteWriter, values: readonly FieldValue[], depth = 0): void {
  assertDepth(depth);
  const at = w.pos;
  w.u32(0);
  for (const value of values) writeFieldValue(w, value, depth);
  w.patchU32(at, w.pos - at - 4);
}

function assertDepth(depth: number): void {
  // Encoding deeper than we accept, or a cycle, is a bug in the caller.
  if (depth > FIELD_NESTING_MAX_DEPTH) {
    throw new RangeError(`field tables nested deeper than ${FIELD_NESTING_MAX_DEPTH} (or cyclic)`);
  }
}

/** Writes one tagged field value. */
export function writeFieldValue(w: ByteWriter, v: FieldValue, depth = 0): void {
  w.u8(v.type.charCodeAt(0));
  switch (v.type) {
    case 't':
      return w.u8(v.value ? 1 : 0);
    case 'b':
      return w.i8(v.value);
    case 'B':
      return w.u8(v.value);
    case 's':
      return w.i16(v.value);
    case 'u':
      return w.u16(v.value);
    case 'I':
      return w.i32(v.value);
    case 'i':
      return w.u32(v.value);
    case 'l':
      return w.i64Big(v.value);
    case 'f':
      return w.f32(v.value);
    case 'd':
      return w.f64(v.value);
    case 'D':
      w.u8(v.value.scale);
      return w.u32(v.value.digits);
    case 'S':
    case 'x':
      return w.longstr(v.value);
    case 'A':
      return writeFieldArray(w, v.value, depth + 1);
    case 'T':
      return w.u64Big(v.value);
    case 'F':
      return writeFieldTable(w, v.value, depth + 1);
    case 'V':
      return;
    default:
      v satisfies never;
      throw new RangeError(`unknown field type ${JSON.stringify((v as { type: unknown }).type)}`);
  }
}

/** A JavaScript value that {@link toFieldValue} can map to a field value. */
export type FieldValueSource =
  | boolean
  | number
  | bigint
  | string
  | null
  | Date
  | Uint8Array
  | readonly FieldValueSource[]
  | { readonly [key: string]: FieldValueSource };

/**
 * Maps a plain JavaScript value to a field value the way amqplib guesses types: booleans `t`,
 * integers the smallest of `b`/`s`/`I`/`l`, other numbers `d`, bigint `l`, strings `S`, bytes `x`,
 * Date `T` (seconds), arrays `A`, objects `F`, null `V`. For exact types, build a FieldValue directly.
 */
export function toFieldValue(v: FieldValueSource): FieldValue {
  switch (typeof v) {
    case 'boolean':
      return { type: 't', value: v };
    case 'bigint':
      return { type: 'l', value: v };
    case 'string':
      return { type: 'S', value: v };
    case 'number':
      if (!Number.isInteger(v)) return { type: 'd', value: v };
      if (v >= -0x80 && v < 0x80) return { type: 'b', value: v };
      if (v >= -0x8000 && v < 0x8000) return { type: 's', value: v };
      if (v >= -0x8000_0000 && v < 0x8000_0000) return { type: 'I', value: v };
      if (Number.isSafeInteger(v)) return { type: 'l', value: BigInt(v) };
      return { type: 'd', value: v };
    default:
      break;
  }
  if (v === null) return { type: 'V', value: null };
  if (v instanceof Date) return { type: 'T', value: BigInt(Math.floor(v.getTime() / 1000)) };
  if (v instanceof Uint8Array) return { type: 'x', value: v };
  if (Array.isArray(v)) return { type: 'A', value: (v as readonly FieldValueSource[]).map(toFieldValue) };
  return { type: 'F', value: toFieldTable(v as { readonly [key: string]: FieldValueSource }) };
}

/** Builds a field table from a plain object with {@link toFieldValue}'s type mapping. */
export function toFieldTable(entries: { readonly [key: string]: FieldValueSource }): Map<string, FieldValue> {
  const table = new Map<string, FieldValue>();
  for (const key of Object.keys(entries)) table.set(key, toFieldValue(entries[key]!));
  return table;
}

/** An integer-typed value (`b B s u I i l`) as a number; undefined for other types or beyond 2^53. */
export function fieldValueAsInteger(v: FieldValue | undefined): number | undefined {
  if (v === undefined) return undefined;
  switch (v.type) {
    case 'b':
    case 'B':
    case 's':
    case 'u':
    case 'I':
    case 'i':
      return v.value;
    case 'l': {
      const n = Number(v.value);
      return Number.isSafeInteger(n) ? n : undefined;
    }
    default:
      return undefined;
  }
}

/** A long-string value as text (binary octets decoded as UTF-8); undefined for other types. */
export function fieldValueAsString(v: FieldValue | undefined): string | undefined {
  if (v === undefined || v.type !== 'S') return undefined;
  return typeof v.value === 'string' ? v.value : Buffer.from(v.value).toString('utf8');
}

/** A boolean value; undefined for other types. */
export function fieldValueAsBoolean(v: FieldValue | undefined): boolean | undefined {
  return v !== undefined && v.type === 't' ? v.value : undefined;
}
