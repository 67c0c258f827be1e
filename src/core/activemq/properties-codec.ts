// The ACTIVEMQ engine's MessagePropertiesCodec: the JMS headers and typed properties of an AmqMessage
// as the opaque `properties` bytes the core stores (encrypted) and hands back. The body stays the
// core's body. The core learns from `decodeView` what it needs (persistent, priority, the TTL left)
// and asks `rewrite` when it dead-letters (ActiveMQ: expiration cleared, dlqDeliveryFailureCause set).
// Routing, selectors and delivery are the engine's (engine.ts).
//
// Format, version 1 (all integers little-endian; `varint` = unsigned LEB128, at most 5 bytes;
// `str` = varint byte length + UTF-8):
//
//   0        1       2          3                   11                  19
//   +--------+-------+----------+-------------------+-------------------+---------------
//   | ver=1  | flags | priority | expiration (f64)  | timestamp (f64)   | optional fields
//   +--------+-------+----------+-------------------+-------------------+---------------
//   flags: bit0 persistent, bit1 body is text, bit2 messageId, bit3 correlationId, bit4 replyTo,
//          bit5 type, bit6 contentType (each set bit: that field follows, in bit order)
//   optional fields: str each; replyTo = 1 byte kind (0 queue, 1 topic, 2 temp-queue, 3 temp-topic) + str
//   then: varint property count, and per property: str name, 1 byte tag, value
//     tag 0 null | 1 string: str | 2 number: f64 | 3 bigint: i64 | 4 true | 5 false | 6 bytes: varint + bytes
//
// Times are epoch ms as f64 (exact for integers up to 2^53). Decoding is bounds-checked; malformed
// bytes throw (they only come from our own encoder, through the authenticated store).

import type { HeaderTable, MessagePropertiesCodec, MessageView } from '../types.ts';
import type { AmqMessage, AmqPropertyValue, Destination, DestinationKind } from './api.ts';

const VERSION = 1;
const FLAG_PERSISTENT = 1;
const FLAG_TEXT = 2;
const FLAG_MESSAGE_ID = 4;
const FLAG_CORRELATION_ID = 8;
const FLAG_REPLY_TO = 16;
const FLAG_TYPE = 32;
const FLAG_CONTENT_TYPE = 64;
const FIXED_BYTES = 19;

const TAG_NULL = 0;
const TAG_STRING = 1;
const TAG_NUMBER = 2;
const TAG_BIGINT = 3;
const TAG_TRUE = 4;
const TAG_FALSE = 5;
const TAG_BYTES = 6;

const destinationKinds: readonly DestinationKind[] = ['queue', 'topic', 'temp-queue', 'temp-topic'];

/** The header fields of an AmqMessage: everything but the body. */
export type AmqMessageHeaders = Omit<AmqMessage, 'body'>;

/** Property set on messages moved to ActiveMQ.DLQ, as ActiveMQ does. */
export const DLQ_DELIVERY_FAILURE_CAUSE = 'dlqDeliveryFailureCause';

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: true });

/** Bytes of the unsigned LEB128 encoding of `n` (n < 2^35). */
function varintBytes(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}

/** Strings at most this long are tried as ASCII by hand (a call into TextEncoder costs more). */
const ASCII_FAST_MAX = 128;
/** The shared buffer gives back memory it grew past this after an encode. */
const SCRATCH_KEEP_BYTES = 64 * 1024;

class Writer {
  #buf = new Uint8Array(256);
  #view = new DataView(this.#buf.buffer);
  length = 0;

  #ensure(extra: number): void {
    if (this.length + extra <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.length + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.length));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }

  byte(value: number): void {
    this.#ensure(1);
    this.#buf[this.length++] = value;
  }

  f64(value: number): void {
    this.#ensure(8);
    this.#view.setFloat64(this.length, value, true);
    this.length += 8;
  }

  i64(value: bigint): void {
    this.#ensure(8);
    this.#view.setBigInt64(this.length, value, true);
    this.length += 8;
  }

  varint(value: number): void {
    this.#ensure(5);
    let v = value >>> 0;
    while (v >= 0x80) {
      this.#buf[this.length++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.#buf[this.length++] = v;
  }

  bytes(value: Uint8Array): void {
    this.varint(value.length);
    this.#ensure(value.length);
    this.#buf.set(value, this.length);
    this.length += value.length;
  }

  str(value: string): void {
    const n = value.length;
    if (n < ASCII_FAST_MAX) {
      // Short ASCII (names, ids, topics): one length byte and a copy, no encoder call.
      this.#ensure(1 + n);
      const buf = this.#buf;
      const at = this.length + 1;
      let i = 0;
      for (; i < n; i++) {
        const c = value.charCodeAt(i);
        if (c >= 0x80) break;
        buf[at + i] = c;
      }
      if (i === n) {
        buf[this.length] = n;
        this.length = at + n;
        return;
      }
    }
    // UTF-8 takes at most 3 bytes per UTF-16 code unit: encode in place behind room for the
    // longest length prefix, then close the gap if the prefix came out shorter.
    const max = n * 3;
    const room = varintBytes(max);
    this.#ensure(room + max + 5);
    const start = this.length + room;
    const { written } = textEncoder.encodeInto(value, this.#buf.subarray(start, start + max));
    const prefix = varintBytes(written);
    if (prefix < room) this.#buf.copyWithin(this.length + prefix, start, start + written);
    this.varint(written);
    this.length += written;
  }

  /** A copy of what was written; the writer starts again empty. */
  finish(): Uint8Array {
    // From Node's Buffer pool (a slice of a shared 8 KiB slab below 4 KiB): a Uint8Array slice
    // would allocate an ArrayBuffer of its own per message, which costs more than the copy.
    const out = Buffer.allocUnsafe(this.length);
    out.set(this.#buf.subarray(0, this.length));
    this.length = 0;
    if (this.#buf.length > SCRATCH_KEEP_BYTES) {
      this.#buf = new Uint8Array(256);
      this.#view = new DataView(this.#buf.buffer);
    }
    return out;
  }
}

/** One writer for every encode: encoding is synchronous and never re-entered. */
const scratch = new Writer();

class Reader {
  #pos = 0;
  readonly #view: DataView;
  constructor(readonly buf: Uint8Array) {
    this.#view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  #need(n: number): void {
    if (this.#pos + n > this.buf.length) throw new Error('malformed ActiveMQ message properties');
  }

  byte(): number {
    this.#need(1);
    return this.buf[this.#pos++]!;
  }

  f64(): number {
    this.#need(8);
    const value = this.#view.getFloat64(this.#pos, true);
    this.#pos += 8;
    return value;
  }

  i64(): bigint {
    this.#need(8);
    const value = this.#view.getBigInt64(this.#pos, true);
    this.#pos += 8;
    return value;
  }

  varint(): number {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
    }
    throw new Error('malformed ActiveMQ message properties');
  }

  bytes(): Uint8Array {
    const n = this.varint();
    this.#need(n);
    // A copy as a plain Uint8Array: the input may be a Buffer, whose slice() is a view.
    const out = new Uint8Array(this.buf.subarray(this.#pos, this.#pos + n));
    this.#pos += n;
    return out;
  }

  str(): string {
    const n = this.varint();
    this.#need(n);
    const out = textDecoder.decode(this.buf.subarray(this.#pos, this.#pos + n));
    this.#pos += n;
    return out;
  }

  get done(): boolean {
    return this.#pos === this.buf.length;
  }
}

/** Encodes a message's headers and properties (not its body). */
export function encodeAmqProperties(message: AmqMessageHeaders): Uint8Array {
  const w = scratch;
  // A previous encode that threw left its bytes behind.
  w.length = 0;
  let flags = 0;
  if (message.persistent) flags |= FLAG_PERSISTENT;
  if (message.bodyType === 'text') flags |= FLAG_TEXT;
  if (message.messageId !== undefined) flags |= FLAG_MESSAGE_ID;
  if (message.correlationId !== undefined) flags |= FLAG_CORRELATION_ID;
  if (message.replyTo !== undefined) flags |= FLAG_REPLY_TO;
  if (message.type !== undefined) flags |= FLAG_TYPE;
  if (message.contentType !== undefined) flags |= FLAG_CONTENT_TYPE;
  w.byte(VERSION);
  w.byte(flags);
  w.byte(message.priority);
  w.f64(message.expiration);
  w.f64(message.timestamp);
  if (message.messageId !== undefined) w.str(message.messageId);
  if (message.correlationId !== undefined) w.str(message.correlationId);
  if (message.replyTo !== undefined) {
    w.byte(destinationKinds.indexOf(message.replyTo.kind));
    w.str(message.replyTo.name);
  }
  if (message.type !== undefined) w.str(message.type);
  if (message.contentType !== undefined) w.str(message.contentType);
  const names = Object.keys(message.properties);
  w.varint(names.length);
  for (const name of names) {
    w.str(name);
    const value = message.properties[name];
    if (value === null || value === undefined) w.byte(TAG_NULL);
    else if (typeof value === 'string') {
      w.byte(TAG_STRING);
      w.str(value);
    } else if (typeof value === 'number') {
      w.byte(TAG_NUMBER);
      w.f64(value);
    } else if (typeof value === 'bigint') {
      w.byte(TAG_BIGINT);
      w.i64(BigInt.asIntN(64, value));
    } else if (typeof value === 'boolean') w.byte(value ? TAG_TRUE : TAG_FALSE);
    else {
      w.byte(TAG_BYTES);
      w.bytes(value);
    }
  }
  return w.finish();
}

/** Decodes what `encodeAmqProperties` wrote; throws on malformed bytes or an unknown version. */
export function decodeAmqProperties(properties: Uint8Array): AmqMessageHeaders {
  const r = new Reader(properties);
  if (properties.length < FIXED_BYTES || r.byte() !== VERSION) throw new Error('malformed ActiveMQ message properties');
  const flags = r.byte();
  const priority = r.byte();
  const expiration = r.f64();
  const timestamp = r.f64();
  const messageId = flags & FLAG_MESSAGE_ID ? r.str() : undefined;
  const correlationId = flags & FLAG_CORRELATION_ID ? r.str() : undefined;
  let replyTo: Destination | undefined;
  if (flags & FLAG_REPLY_TO) {
    const kind = destinationKinds[r.byte()];
    if (kind === undefined) throw new Error('malformed ActiveMQ message properties');
    replyTo = { kind, name: r.str() };
  }
  const type = flags & FLAG_TYPE ? r.str() : undefined;
  const contentType = flags & FLAG_CONTENT_TYPE ? r.str() : undefined;
  const count = r.varint();
  const props: Record<string, AmqPropertyValue> = {};
  for (let i = 0; i < count; i++) {
    const name = r.str();
    const tag = r.byte();
    let value: AmqPropertyValue;
    switch (tag) {
      case TAG_NULL:
        value = null;
        break;
      case TAG_STRING:
        value = r.str();
        break;
      case TAG_NUMBER:
        value = r.f64();
        break;
      case TAG_BIGINT:
        value = r.i64();
        break;
      case TAG_TRUE:
        value = true;
        break;
      case TAG_FALSE:
        value = false;
        break;
      case TAG_BYTES:
        value = r.bytes();
        break;
      default:
        throw new Error('malformed ActiveMQ message properties');
    }
    Object.defineProperty(props, name, { value, enumerable: true, writable: true, configurable: true });
  }
  if (!r.done) throw new Error('malformed ActiveMQ message properties');
  const headers: { -readonly [K in keyof AmqMessageHeaders]: AmqMessageHeaders[K] } = {
    bodyType: flags & FLAG_TEXT ? 'text' : 'bytes',
    persistent: (flags & FLAG_PERSISTENT) !== 0,
    priority,
    expiration,
    timestamp,
    properties: props,
  };
  if (messageId !== undefined) headers.messageId = messageId;
  if (correlationId !== undefined) headers.correlationId = correlationId;
  if (replyTo !== undefined) headers.replyTo = replyTo;
  if (type !== undefined) headers.type = type;
  if (contentType !== undefined) headers.contentType = contentType;
  return headers;
}

/** The TTL the core's machinery needs: ms left until an absolute expiration (0 = none), as its string. */
export function ttlOf(expiration: number, nowMs: number): string | undefined {
  if (expiration <= 0) return undefined;
  return String(Math.min(2 ** 32 - 1, Math.max(0, Math.ceil(expiration - nowMs))));
}

/** The core's view of a message with these headers. */
export function viewOf(headers: AmqMessageHeaders, nowMs: number): MessageView {
  return { persistent: headers.persistent, priority: headers.priority, expiration: ttlOf(headers.expiration, nowMs) };
}

const deathCauses: Readonly<Record<string, string>> = {
  delivery_limit: 'Delivery exceeds redelivery policy limit',
  expired: 'Message expired',
  rejected: 'Poison ack',
  maxlen: 'Queue limit reached',
};

/**
 * The codec the ACTIVEMQ broker is opened with. `now` gives the wall clock used to turn absolute
 * expirations into the TTLs the core counts from recovery (default Date.now).
 */
export function createActiveMqPropertiesCodec(now: () => number = Date.now): MessagePropertiesCodec {
  return {
    decodeView(properties: Uint8Array): MessageView {
      return viewOf(decodeAmqProperties(properties), now());
    },
    rewrite(properties: Uint8Array, change: { readonly headers: HeaderTable; readonly expiration: string | undefined }): Uint8Array {
      const headers = decodeAmqProperties(properties);
      const reason = change.headers['x-last-death-reason'];
      const extra: Record<string, AmqPropertyValue> = typeof reason === 'string' ? { [DLQ_DELIVERY_FAILURE_CAUSE]: deathCauses[reason] ?? reason } : {};
      return encodeAmqProperties({
        ...headers,
        // The core removes the expiration when dead-lettering; ActiveMQ clears it in the DLQ too.
        expiration: change.expiration === undefined ? 0 : headers.expiration,
        properties: { ...headers.properties, ...extra },
      });
    },
  };
}

/** The ACTIVEMQ engine's properties codec on the wall clock. */
export const activeMqPropertiesCodec: MessagePropertiesCodec = createActiveMqPropertiesCodec();
