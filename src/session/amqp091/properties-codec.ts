// AMQP 0-9-1 content properties as the core sees them: field tables <-> protocol-neutral header
// values, the MessageView of a property list (headers, expiration, priority, persistence), and the
// MessagePropertiesCodec port the core uses to read stored property bytes and to rewrite them when
// dead-lettering. The bytes themselves are the codec's (encodeBasicProperties/decodeBasicProperties).

import type { HeaderTable, HeaderValue, MessagePropertiesCodec, MessageView } from '../../core/types.ts';
import { headerValuesEqual } from '../../core/header-values.ts';
import {
  type BasicProperties,
  ByteReader,
  ByteWriter,
  decodeBasicProperties,
  encodeBasicProperties,
  type FieldTable,
  type FieldValue,
} from '../../codec/amqp091/index.ts';

/** A field value as a plain value: integers as numbers (bigint beyond 2^53), timestamps as Dates. */
export function fieldValueToHeader(v: FieldValue): HeaderValue {
  switch (v.type) {
    case 't':
    case 'b':
    case 'B':
    case 's':
    case 'u':
    case 'I':
    case 'i':
    case 'f':
    case 'd':
    case 'S':
    case 'x':
      return v.value;
    case 'l': {
      const n = Number(v.value);
      return Number.isSafeInteger(n) ? n : v.value;
    }
    case 'T':
      return new Date(Number(v.value) * 1000);
    case 'D':
      return v.value.digits / 10 ** v.value.scale;
    case 'A':
      return v.value.map(fieldValueToHeader);
    case 'F':
      return fieldTableToHeaders(v.value);
    case 'V':
      return null;
    default:
      v satisfies never;
      return null;
  }
}

export function fieldTableToHeaders(table: FieldTable): HeaderTable {
  const out: Record<string, HeaderValue> = {};
  for (const [k, v] of table) out[k] = fieldValueToHeader(v);
  return out;
}

/** A plain value as a field value, with RabbitMQ's choices: integers `l`, other numbers `d`, Dates `T`. */
export function headerToFieldValue(v: HeaderValue): FieldValue {
  if (v === null || v === undefined) return { type: 'V', value: null };
  switch (typeof v) {
    case 'boolean':
      return { type: 't', value: v };
    case 'number':
      return Number.isSafeInteger(v) ? { type: 'l', value: BigInt(v) } : { type: 'd', value: v };
    case 'bigint':
      return { type: 'l', value: v };
    case 'string':
      return { type: 'S', value: v };
    default:
      break;
  }
  if (v instanceof Uint8Array) return { type: 'x', value: v };
  if (v instanceof Date) return { type: 'T', value: BigInt(Math.floor(v.getTime() / 1000)) };
  if (Array.isArray(v)) return { type: 'A', value: (v as readonly HeaderValue[]).map(headerToFieldValue) };
  return { type: 'F', value: headersToFieldTable(v as HeaderTable) };
}

/** Encodes headers; a value equal to the one in `original` keeps its original wire type. */
export function headersToFieldTable(headers: HeaderTable, original?: FieldTable): Map<string, FieldValue> {
  const out = new Map<string, FieldValue>();
  for (const key of Object.keys(headers)) {
    const value = headers[key];
    if (value === undefined) continue;
    const before = original?.get(key);
    out.set(key, before !== undefined && headerValuesEqual(fieldValueToHeader(before), value) ? before : headerToFieldValue(value));
  }
  return out;
}

/** The core's view of decoded properties. */
export function viewOfProperties(p: BasicProperties): MessageView {
  return {
    headers: p.headers === undefined || p.headers.size === 0 ? undefined : fieldTableToHeaders(p.headers),
    expiration: p.expiration,
    priority: p.priority,
    persistent: p.deliveryMode === 2,
  };
}

/** Decodes a property list (flags + properties) as carried in a content header. */
export function decodePropertyBytes(bytes: Uint8Array): BasicProperties {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  return decodeBasicProperties(new ByteReader(buf, 0, buf.length));
}

export function encodePropertyBytes(p: BasicProperties): Buffer {
  const w = new ByteWriter(256);
  encodeBasicProperties(w, p);
  return w.toBuffer();
}

/** The MessagePropertiesCodec the broker core is given when it serves AMQP 0-9-1. */
export const amqp091PropertiesCodec: MessagePropertiesCodec = {
  decodeView(properties) {
    return viewOfProperties(decodePropertyBytes(properties));
  },
  rewrite(properties, change) {
    const p = decodePropertyBytes(properties);
    const next: BasicProperties = { ...p, headers: headersToFieldTable(change.headers, p.headers) };
    if (change.expiration === undefined) delete next.expiration;
    else next.expiration = change.expiration;
    return encodePropertyBytes(next);
  },
};
