// fast-check arbitraries for AMQP 1.0 values, shared by the codec's tests.

import fc from 'fast-check';
import { type AmqpComposite, type AmqpCompositeKind, COMPOSITE_FIELDS } from './generated.ts';
import { type AmqpPrimitiveTypeName, type AmqpValue, map, symbol } from './types.ts';

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map((b) => Buffer.from(b));
export const binaryArb = fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b));
export const symbolStringArb = fc.string({ unit: fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)), maxLength: 300 });
export const stringArb = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 300 }));
export const uintArb = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 255 }), fc.nat({ max: 0xffff_ffff }));
export const ulongArb = fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: 255n }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }));
const scalarArb = fc.oneof(fc.integer({ min: 0, max: 0xd7ff }), fc.integer({ min: 0xe000, max: 0x10ffff }));
export const timestampArb = fc.integer({ min: -8.64e15, max: 8.64e15 });

/** Arbitrary value of each primitive element type (no arrays: those are built by `valueArb`). */
export const scalarArbs: Partial<Record<AmqpPrimitiveTypeName, fc.Arbitrary<AmqpValue>>> = {
  null: fc.constant(null),
  boolean: fc.boolean(),
  ubyte: fc.integer({ min: 0, max: 0xff }).map((value) => ({ type: 'ubyte', value })),
  ushort: fc.integer({ min: 0, max: 0xffff }).map((value) => ({ type: 'ushort', value })),
  uint: uintArb.map((value) => ({ type: 'uint', value })),
  ulong: ulongArb.map((value) => ({ type: 'ulong', value })),
  byte: fc.integer({ min: -128, max: 127 }).map((value) => ({ type: 'byte', value })),
  short: fc.integer({ min: -32768, max: 32767 }).map((value) => ({ type: 'short', value })),
  int: fc.oneof(fc.integer({ min: -128, max: 127 }), fc.integer()).map((value) => ({ type: 'int', value })),
  long: fc.oneof(fc.bigInt({ min: -128n, max: 127n }), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })).map((value) => ({ type: 'long', value })),
  float: fc.float().map((value) => ({ type: 'float', value })),
  double: fc.double().map((value) => ({ type: 'double', value })),
  decimal32: bytes(4).map((value) => ({ type: 'decimal32', value })),
  decimal64: bytes(8).map((value) => ({ type: 'decimal64', value })),
  decimal128: bytes(16).map((value) => ({ type: 'decimal128', value })),
  char: scalarArb.map((value) => ({ type: 'char', value })),
  timestamp: timestampArb.map((value) => ({ type: 'timestamp', value })),
  uuid: bytes(16).map((value) => ({ type: 'uuid', value })),
  binary: binaryArb,
  string: stringArb,
  symbol: symbolStringArb.map((value) => ({ type: 'symbol', value })),
};

const scalarTypes = Object.keys(scalarArbs) as AmqpPrimitiveTypeName[];

/** Any AMQP value, nested up to a few levels: lists, maps, arrays (incl. of lists, maps and arrays), described. */
export const valueArb: fc.Arbitrary<AmqpValue> = fc.letrec<{ value: AmqpValue; array: AmqpValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    ...Object.values(scalarArbs),
    fc.array(tie('value'), { maxLength: 6 }),
    fc.array(fc.tuple(tie('value'), tie('value')), { maxLength: 4 }).map((value) => ({ type: 'map' as const, value })),
    tie('array'),
    fc.tuple(fc.oneof(ulongArb.map((value) => ({ type: 'ulong' as const, value })), symbolStringArb.map((value) => ({ type: 'symbol' as const, value }))), tie('value')).map(
      ([descriptor, value]) => ({ type: 'described' as const, descriptor, value }),
    ),
  ),
  array: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom(...scalarTypes).chain((elementType) =>
      fc.array(scalarArbs[elementType]!, { maxLength: 5 }).map((value) => ({ type: 'array' as const, elementType, value })),
    ),
    fc.array(fc.array(tie('value'), { maxLength: 3 }), { maxLength: 3 }).map((value) => ({ type: 'array' as const, elementType: 'list' as const, value })),
    fc.array(fc.array(fc.tuple(tie('value'), tie('value')), { maxLength: 2 }).map((value) => ({ type: 'map' as const, value })), { maxLength: 3 }).map(
      (value) => ({ type: 'array' as const, elementType: 'map' as const, value }),
    ),
    fc.array(tie('array'), { maxLength: 3 }).map((value) => ({ type: 'array' as const, elementType: 'array' as const, value })),
    fc
      .tuple(
        fc.oneof(ulongArb.map((value) => ({ type: 'ulong' as const, value })), symbolStringArb.map((value) => ({ type: 'symbol' as const, value }))),
        fc.constantFrom(...scalarTypes),
      )
      .chain(([descriptor, elementType]) =>
        fc.array(scalarArbs[elementType]!, { maxLength: 4 }).map((values) => ({
          type: 'array' as const,
          elementType,
          descriptor,
          value: values.map((value) => ({ type: 'described' as const, descriptor, value })),
        })),
      ),
  ),
})).value;

type Field = (typeof COMPOSITE_FIELDS)[AmqpCompositeKind][number];

function fieldValueArb(f: Field, depth: number): fc.Arbitrary<unknown> {
  if (f.choices !== undefined) return fc.constantFrom(...f.choices);
  if (f.kinds !== undefined) return fc.oneof(...f.kinds.map((k) => compositeArb(k, depth + 1)));
  switch (f.type) {
    case 'boolean':
      return fc.boolean();
    case 'ubyte':
      return fc.integer({ min: 0, max: 0xff });
    case 'ushort':
      return fc.integer({ min: 0, max: 0xffff });
    case 'uint':
      return uintArb;
    case 'timestamp':
      return timestampArb;
    case 'ulong':
      return ulongArb;
    case 'string':
      return stringArb;
    case 'symbol':
      return symbolStringArb;
    case 'binary':
      return binaryArb;
    case 'map':
      return fc.array(fc.tuple(valueArb, valueArb), { maxLength: 3 }).map((value) => ({ type: 'map' as const, value }));
    case 'list':
      return fc.array(valueArb, { maxLength: 4 });
    case '*':
      // A null field is an absent one, so a present '*' field holds something else.
      return valueArb.filter((v) => v !== null);
    default:
      throw new Error(`no arbitrary for field type ${f.type}`);
  }
}

const compositeArbs = new Map<string, fc.Arbitrary<AmqpComposite>>();

/**
 * A composite of `kind` in its decoded form: kind set, mandatory and defaulted fields present,
 * optional ones present or not. Encoding it and decoding the result must give it back.
 */
export function compositeArb(kind: AmqpCompositeKind, depth = 0): fc.Arbitrary<AmqpComposite> {
  const key = `${kind}/${depth}`;
  const cached = compositeArbs.get(key);
  if (cached !== undefined) return cached;
  const fields = COMPOSITE_FIELDS[kind];
  let arb: fc.Arbitrary<AmqpComposite>;
  if (fields.length === 0) {
    const section = SECTION_VALUE_ARBS[kind];
    arb = (section ?? fc.constant(undefined)).map((value) => (section === undefined ? { kind } : { kind, value }) as AmqpComposite);
  } else {
    const model: Record<string, fc.Arbitrary<unknown>> = {};
    const required: string[] = [];
    for (const f of fields) {
      // Nested composites stop at a small depth (source -> outcome -> error).
      if (f.kinds !== undefined && depth >= 3 && !f.mandatory) continue;
      model[f.prop] = fieldValueArb(f, depth).map((v) => v);
      if (f.multiple) model[f.prop] = fc.array(fieldValueArb(f, depth), { maxLength: 3 });
      if (f.mandatory || f.hasDefault) required.push(f.prop);
    }
    arb = fc.record(model, { requiredKeys: required }).map((r) => ({ kind, ...r }) as AmqpComposite);
  }
  compositeArbs.set(key, arb);
  return arb;
}

const SECTION_VALUE_ARBS: Partial<Record<AmqpCompositeKind, fc.Arbitrary<unknown>>> = {
  'delivery-annotations': fc.array(fc.tuple(symbolStringArb.map(symbol), valueArb), { maxLength: 3 }).map(map),
  'message-annotations': fc.array(fc.tuple(symbolStringArb.map(symbol), valueArb), { maxLength: 3 }).map(map),
  'application-properties': fc.array(fc.tuple(stringArb, valueArb), { maxLength: 3 }).map(map),
  data: binaryArb,
  'amqp-sequence': fc.array(valueArb, { maxLength: 4 }),
  'amqp-value': valueArb,
  footer: fc.array(fc.tuple(symbolStringArb.map(symbol), valueArb), { maxLength: 3 }).map(map),
};

/** Any composite the codec knows. */
export const anyCompositeArb: fc.Arbitrary<AmqpComposite> = fc.constantFrom(...(Object.keys(COMPOSITE_FIELDS) as AmqpCompositeKind[])).chain((k) => compositeArb(k));
