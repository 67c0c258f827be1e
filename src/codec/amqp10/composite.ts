// Runtime for the generated composite types (generated.ts): reading typed fields out of a decoded
// described list, with the field's spec name in every error, and writing a described list with its
// trailing nulls trimmed (part 1, section 1.4: "trailing nulls may be omitted"). It knows no
// individual performative; generated.ts calls it field by field.

import { Amqp10DecodeError } from './errors.ts';
import type { AmqpBigintTypeName, AmqpDescribed, AmqpMap, AmqpNumberTypeName, AmqpOpaqueTypeName, AmqpPrimitiveTypeName, AmqpValue } from './types.ts';
import { typeOf } from './types.ts';

function badType(field: string, expected: string, v: AmqpValue): Amqp10DecodeError {
  return new Amqp10DecodeError('BAD_FIELD_TYPE', 'DECODE_ERROR', `${field} must be ${expected}, not ${typeOf(v)}`);
}

/** A mandatory field is null or absent (part 1, section 3.2 "mandatory"). */
export function missingField(field: string): Amqp10DecodeError {
  return new Amqp10DecodeError('BAD_FIELD_VALUE', 'INVALID_FIELD', `${field} is mandatory`);
}

export function asBoolean(v: AmqpValue, field: string): boolean {
  if (typeof v !== 'boolean') throw badType(field, 'a boolean', v);
  return v;
}

export function asNumber(v: AmqpValue, type: AmqpNumberTypeName, field: string): number {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || Buffer.isBuffer(v) || v.type !== type) throw badType(field, `a ${type}`, v);
  return v.value as number;
}

export function asBigint(v: AmqpValue, type: AmqpBigintTypeName, field: string): bigint {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || Buffer.isBuffer(v) || v.type !== type) throw badType(field, `a ${type}`, v);
  return v.value as bigint;
}

export function asOpaque(v: AmqpValue, type: AmqpOpaqueTypeName, field: string): Buffer {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || Buffer.isBuffer(v) || v.type !== type) throw badType(field, `a ${type}`, v);
  return v.value as Buffer;
}

export function asString(v: AmqpValue, field: string): string {
  if (typeof v !== 'string') throw badType(field, 'a string', v);
  return v;
}

export function asSymbol(v: AmqpValue, field: string): string {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || Buffer.isBuffer(v) || v.type !== 'symbol') throw badType(field, 'a symbol', v);
  return v.value;
}

export function asBinary(v: AmqpValue, field: string): Buffer {
  if (!Buffer.isBuffer(v)) throw badType(field, 'a binary', v);
  return v;
}

export function asMap(v: AmqpValue, field: string): AmqpMap {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || Buffer.isBuffer(v) || v.type !== 'map') throw badType(field, 'a map', v);
  return v;
}

export function asList(v: AmqpValue, field: string): AmqpValue[] {
  if (!Array.isArray(v)) throw badType(field, 'a list', v);
  return v;
}

/**
 * A field with multiple="true": a single value or an array of them (part 1, section 1.3: "a
 * single value is equivalent to an array of one"). Returns the elements, each read with `one`.
 */
export function asMultiple<T>(v: AmqpValue, field: string, one: (e: AmqpValue, field: string) => T): T[] {
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && !Buffer.isBuffer(v) && v.type === 'array') {
    return v.value.map((e) => one(e, field));
  }
  return [one(v, field)];
}

/** A restricted field with choices: the value must be one of them. */
export function asChoice<T>(value: T, choices: readonly T[], field: string): T {
  if (!choices.includes(value)) throw new Amqp10DecodeError('BAD_FIELD_VALUE', 'INVALID_FIELD', `${field} holds no valid choice`);
  return value;
}

/** The list inside a described composite, or a typed error. */
export function compositeFields(v: AmqpDescribed, name: string): AmqpValue[] {
  if (!Array.isArray(v.value)) throw badType(name, 'a described list', v.value);
  return v.value;
}

/** The descriptor of a described value as code or symbol; undefined for any other descriptor. */
export function descriptorKey(v: AmqpDescribed): bigint | string | undefined {
  const d = v.descriptor;
  if (d === null || typeof d !== 'object' || Array.isArray(d) || Buffer.isBuffer(d)) return undefined;
  if (d.type === 'ulong') return d.value;
  if (d.type === 'symbol') return d.value;
  return undefined;
}

/** A described list with the descriptor's numeric code, its trailing nulls trimmed. */
export function describedList(code: bigint, fields: AmqpValue[]): AmqpDescribed {
  let n = fields.length;
  while (n > 0 && fields[n - 1] === null) n--;
  return { type: 'described', descriptor: { type: 'ulong', value: code }, value: n === fields.length ? fields : fields.slice(0, n) };
}

/** An array of `elementType` from the elements `values`, each turned into an AMQP value by `one`. */
export function multiple<T>(elementType: AmqpPrimitiveTypeName, values: readonly T[], one: (e: T) => AmqpValue): AmqpValue {
  return { type: 'array', elementType, value: values.map(one) };
}
