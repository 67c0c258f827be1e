// Equality of header values (headers exchange matching, argument equivalence on redeclare) and their
// lossless JSON form for durable definitions (bigint, bytes and timestamps are tagged).

import type { JsonValue } from './message-store.ts';
import type { HeaderTable, HeaderValue } from './types.ts';

function isTable(value: HeaderValue): value is HeaderTable {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Uint8Array) &&
    !(value instanceof Date)
  );
}

/** Deep equality; a bigint equals a number of the same value (AMQP long vs int are one JS number). */
export function headerValuesEqual(a: HeaderValue, b: HeaderValue): boolean {
  if (a === b) return true;
  if ((typeof a === 'bigint' || typeof a === 'number') && (typeof b === 'bigint' || typeof b === 'number')) {
    if (typeof a === 'bigint' && typeof b === 'bigint') return a === b;
    return Number(a) === Number(b);
  }
  if (a === null || b === null || a === undefined || b === undefined) return false;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    if (!(a instanceof Uint8Array && b instanceof Uint8Array) || a.length !== b.length) return false;
    return a.every((byte, i) => byte === b[i]);
  }
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!(Array.isArray(a) && Array.isArray(b)) || a.length !== b.length) return false;
    return a.every((item, i) => headerValuesEqual(item, b[i]));
  }
  if (isTable(a) && isTable(b)) return headerTablesEqual(a, b);
  return false;
}

export function headerTablesEqual(a: HeaderTable, b: HeaderTable): boolean {
  const keysA = Object.keys(a).filter((k) => a[k] !== undefined);
  const keysB = Object.keys(b).filter((k) => b[k] !== undefined);
  if (keysA.length !== keysB.length) return false;
  return keysA.every((k) => Object.hasOwn(b, k) && headerValuesEqual(a[k], b[k]));
}

/** A canonical string for a table (sorted keys), used in binding identities. */
export function canonicalTable(table: HeaderTable): string {
  return JSON.stringify(encodeHeaderValue(sortTable(table)));
}

function sortTable(table: HeaderTable): HeaderTable {
  const out: Record<string, HeaderValue> = {};
  for (const key of Object.keys(table).sort()) {
    const value = table[key];
    if (value === undefined) continue;
    out[key] = isTable(value) ? sortTable(value) : value;
  }
  return out;
}

/** Lossless JSON form of a header value. */
export function encodeHeaderValue(value: HeaderValue): JsonValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : { $number: String(value) };
  if (typeof value === 'bigint') return { $bigint: value.toString() };
  if (value instanceof Uint8Array) return { $bytes: Buffer.from(value).toString('base64') };
  if (value instanceof Date) return { $date: value.getTime() };
  if (Array.isArray(value)) return value.map((v: HeaderValue) => encodeHeaderValue(v));
  const table: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries(value as HeaderTable)) if (v !== undefined) table[k] = encodeHeaderValue(v);
  return { $table: table };
}

export function encodeHeaderTable(table: HeaderTable): JsonValue {
  return encodeHeaderValue(table);
}

export function decodeHeaderValue(json: JsonValue): HeaderValue {
  if (json === null || typeof json !== 'object') return json;
  if (Array.isArray(json)) return json.map((j: JsonValue) => decodeHeaderValue(j));
  const record = json as { readonly [key: string]: JsonValue };
  if ('$bigint' in record) return BigInt(record.$bigint as string);
  if ('$bytes' in record) return new Uint8Array(Buffer.from(record.$bytes as string, 'base64'));
  if ('$date' in record) return new Date(record.$date as number);
  if ('$number' in record) return Number(record.$number);
  const table: Record<string, HeaderValue> = {};
  for (const [k, v] of Object.entries((record.$table ?? {}) as Record<string, JsonValue>)) table[k] = decodeHeaderValue(v);
  return table;
}

export function decodeHeaderTable(json: JsonValue): HeaderTable {
  const value = decodeHeaderValue(json);
  return isTable(value) ? value : {};
}

export { isTable as isHeaderTable };
