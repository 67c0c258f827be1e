// Test support for the AMQP 0-9-1 codec tests (not shipped code): fast-check arbitraries for every
// wire type, field tables, content properties and every method's arguments (driven by the generated
// METHOD_INFO field lists), the values a decoder must give back for them, and amqplib's codec loaded
// for cross-checks (amqplib's `exports` map hides lib/, so it is required by path).

import { isUtf8 } from 'node:buffer';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import type { FieldTable, FieldValue } from './field-table.ts';
import { BASIC_PROPERTY_LIST, type BasicProperties, type FieldInfo, METHOD_INFO, type MethodName, type WireType } from './generated.ts';

/** shortstr-safe text: at most 60 code points, so at most 240 UTF-8 bytes. */
export const shortstrArb = fc.string({ unit: 'binary', maxLength: 60 });
const keyArb = fc.string({ unit: 'binary', maxLength: 12 });
const bytesArb = fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b));

/** Arbitrary field values of every RabbitMQ type, nested to a small depth. */
export const fieldValueArb: fc.Arbitrary<FieldValue> = fc.letrec<{ value: FieldValue; table: FieldTable }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.boolean().map((value): FieldValue => ({ type: 't', value })),
    fc.integer({ min: -128, max: 127 }).map((value): FieldValue => ({ type: 'b', value })),
    fc.integer({ min: 0, max: 255 }).map((value): FieldValue => ({ type: 'B', value })),
    fc.integer({ min: -32768, max: 32767 }).map((value): FieldValue => ({ type: 's', value })),
    fc.integer({ min: 0, max: 65535 }).map((value): FieldValue => ({ type: 'u', value })),
    fc.integer().map((value): FieldValue => ({ type: 'I', value })),
    fc.integer({ min: 0, max: 0xffff_ffff }).map((value): FieldValue => ({ type: 'i', value })),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((value): FieldValue => ({ type: 'l', value })),
    fc.float().map((value): FieldValue => ({ type: 'f', value })),
    fc.double().map((value): FieldValue => ({ type: 'd', value })),
    fc
      .record({ scale: fc.integer({ min: 0, max: 255 }), digits: fc.integer({ min: 0, max: 0xffff_ffff }) })
      .map(({ scale, digits }): FieldValue => ({ type: 'D', value: { scale, digits } })),
    fc.string({ unit: 'binary', maxLength: 30 }).map((value): FieldValue => ({ type: 'S', value })),
    bytesArb.map((value): FieldValue => ({ type: 'S', value })),
    fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((value): FieldValue => ({ type: 'T', value })),
    fc.constant<FieldValue>({ type: 'V', value: null }),
    bytesArb.map((value): FieldValue => ({ type: 'x', value })),
    fc.array(tie('value'), { maxLength: 4 }).map((value): FieldValue => ({ type: 'A', value })),
    tie('table').map((value): FieldValue => ({ type: 'F', value })),
  ),
  table: fc
    .uniqueArray(fc.tuple(keyArb, tie('value')), { selector: ([k]) => k, maxLength: 5 })
    .map((entries) => new Map(entries)),
})).value;

/** Arbitrary field tables (unique keys). */
export const fieldTableArb: fc.Arbitrary<FieldTable> = fc
  .uniqueArray(fc.tuple(keyArb, fieldValueArb), { selector: ([k]) => k, maxLength: 6 })
  .map((entries) => new Map(entries));

/** What decoding the encoding of `v` must give: binary `S` that is valid UTF-8 comes back as text. */
export function expectedFieldValue(v: FieldValue): FieldValue {
  switch (v.type) {
    case 'S':
      if (typeof v.value !== 'string' && isUtf8(v.value)) return { type: 'S', value: Buffer.from(v.value).toString('utf8') };
      return typeof v.value === 'string' ? v : { type: 'S', value: Buffer.from(v.value) };
    case 'x':
      return { type: 'x', value: Buffer.from(v.value) };
    case 'A':
      return { type: 'A', value: v.value.map(expectedFieldValue) };
    case 'F':
      return { type: 'F', value: expectedFieldTable(v.value) };
    default:
      return v;
  }
}

export function expectedFieldTable(t: FieldTable): Map<string, FieldValue> {
  return new Map([...t].map(([k, v]) => [k, expectedFieldValue(v)]));
}

/** Arbitrary values of one wire type. */
export function wireValueArb(type: WireType): fc.Arbitrary<unknown> {
  switch (type) {
    case 'bit':
      return fc.boolean();
    case 'octet':
      return fc.integer({ min: 0, max: 255 });
    case 'short':
      return fc.integer({ min: 0, max: 65535 });
    case 'long':
      return fc.integer({ min: 0, max: 0xffff_ffff });
    case 'longlong':
    case 'timestamp':
      return fc.maxSafeNat();
    case 'shortstr':
      return shortstrArb;
    case 'longstr':
      return fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b));
    case 'table':
      return fieldTableArb;
  }
}

function recordArb(fields: readonly FieldInfo[]): fc.Arbitrary<Record<string, unknown>> {
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const f of fields) model[f.name] = wireValueArb(f.type);
  return fc.record(model);
}

/** Arbitrary complete arguments of `name`, as its decoder returns them. */
export function methodArgsArb(name: MethodName): fc.Arbitrary<Record<string, unknown>> {
  return recordArb(METHOD_INFO[name].fields);
}

/** Arbitrary (method name, arguments) over every method. */
export const anyMethodArb = fc
  .constantFrom(...(Object.keys(METHOD_INFO) as MethodName[]))
  .chain((name) => methodArgsArb(name).map((args) => ({ name, args })));

/** Arbitrary basic properties, each present or absent. */
export const basicPropertiesArb: fc.Arbitrary<BasicProperties> = fc.record(
  Object.fromEntries(BASIC_PROPERTY_LIST.map((p) => [p.name, wireValueArb(p.type)])),
  { requiredKeys: [] },
) as fc.Arbitrary<BasicProperties>;

/** Decoded form of method arguments or properties: tables normalised as the decoder gives them. */
export function expectedRecord<T extends object>(args: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(args)) out[k] = v instanceof Map ? expectedFieldTable(v as FieldTable) : v;
  return out as T;
}

// ---- amqplib, for cross-checks ----------------------------------------------------------------

const require = createRequire(import.meta.url);
const amqplibRoot = dirname(require.resolve('amqplib'));

/** amqplib's generated definitions (encodeMethod, encodeProperties, decode, ids by PascalCase name). */
export const amqplibDefs = require(join(amqplibRoot, 'lib/defs.js')) as {
  encodeMethod(id: number, channel: number, fields: Record<string, unknown>): Buffer;
  encodeProperties(id: number, channel: number, size: number, fields: Record<string, unknown>): Buffer;
  decode(id: number, buf: Buffer): Record<string, unknown>;
  [name: string]: unknown;
};

/** amqplib's field-table codec. */
export const amqplibCodec = require(join(amqplibRoot, 'lib/codec.js')) as {
  encodeTable(buf: Buffer, val: Record<string, unknown>, offset: number): number;
  decodeFields(buf: Buffer): Record<string, unknown>;
};

/** Our field value in amqplib's typed notation (`{ '!': type, value }`), for its encoder. */
export function toAmqplibValue(v: FieldValue): unknown {
  switch (v.type) {
    case 't':
      return v.value;
    case 'b':
      return { '!': 'int8', value: v.value };
    case 'B':
      return { '!': 'uint8', value: v.value };
    case 's':
      return { '!': 'int16', value: v.value };
    case 'u':
      return { '!': 'uint16', value: v.value };
    case 'I':
      return { '!': 'int32', value: v.value };
    case 'i':
      return { '!': 'uint32', value: v.value };
    case 'l':
      return { '!': 'int64', value: v.value };
    case 'f':
      return { '!': 'float', value: v.value };
    case 'd':
      return { '!': 'double', value: v.value };
    case 'D':
      return { '!': 'decimal', value: { places: v.value.scale, digits: v.value.digits } };
    case 'S':
      if (typeof v.value !== 'string') throw new Error('amqplib cannot write binary long strings');
      return v.value;
    case 'T':
      return { '!': 'timestamp', value: v.value };
    case 'V':
      return null;
    case 'x':
      return Buffer.from(v.value);
    case 'A':
      return v.value.map(toAmqplibValue);
    case 'F':
      return toAmqplibTable(v.value);
  }
}

/** Our table as the plain object amqplib encodes. Keys must be plain (no `__proto__`). */
export function toAmqplibTable(t: FieldTable): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of t) out[k] = toAmqplibValue(v);
  return out;
}

/** Whether amqplib can encode this value the way we do (text-only long strings, plain keys). */
export function amqplibCanEncode(v: FieldValue): boolean {
  switch (v.type) {
    case 'S':
      return typeof v.value === 'string';
    case 'A':
      return v.value.every(amqplibCanEncode);
    case 'F':
      return amqplibCanEncodeTable(v.value);
    default:
      return true;
  }
}

export function amqplibCanEncodeTable(t: FieldTable): boolean {
  for (const [k, v] of t) {
    // amqplib walks a plain object, which puts integer-like keys first: skip those orders.
    if (k === '__proto__' || /^(0|[1-9][0-9]*)$/.test(k) || !amqplibCanEncode(v)) return false;
  }
  return true;
}

/** amqplib's framing helpers. */
export const amqplibFrame = require(join(amqplibRoot, 'lib/frame.js')) as {
  PROTOCOL_HEADER: string;
  HEARTBEAT_BUF: Buffer;
  makeBodyFrame(channel: number, payload: Buffer): Buffer;
};
