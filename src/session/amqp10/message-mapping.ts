// AMQP 1.0 message sections <-> the engine's neutral AmqMessage, as ActiveMQ's AMQP transport maps
// them onto JMS (activemq-amqp JMSMappingInbound/OutboundTransformer):
//
//   header.durable          <-> persistent          header.priority   <-> priority (default 4)
//   header.ttl / properties.absolute-expiry-time <-> expiration (absolute, epoch ms)
//   properties.message-id   <-> messageId           properties.correlation-id <-> correlationId
//   properties.reply-to     <-> replyTo (an address, `queue://x` ...; x-opt-jms-reply-to gives the kind of a bare one)
//   properties.subject (or message-annotation x-opt-jms-type) <-> type
//   properties.content-type <-> contentType         properties.creation-time <-> timestamp
//   application-properties  <-> properties (simple types only; others are dropped)
//   body: data sections -> bytes; amqp-value string -> text; anything else -> bytes that hold the
//   body sections' own encoding, marked with the property JMS_AMQP_ORIGINAL_ENCODING (ActiveMQ's
//   name and numbers), so that an AMQP 1.0 receiver gets the sections back exactly as sent.
//
// Non-string message ids (ulong, uuid, binary) become strings with ActiveMQ's AMQP_* prefixes and
// are turned back on the way out. Framing, credit and settlement are the session's.

import type { AmqBrowsedMessage, AmqMessage, AmqOutgoing, AmqPropertyValue, Destination, DestinationKind } from '../../core/activemq/api.ts';
import { formatAmqpAddress, parseAmqpAddress } from '../../core/activemq/destinations.ts';
import {
  type Amqp10Message,
  type Amqp10MessageInit,
  Amqp10Writer,
  type AmqpMap,
  type AmqpValue,
  decodeMessage,
  encodeHeaderValue,
  encodeMessage,
  type HeaderInit,
  type PropertiesInit,
  writeValue,
} from '../../codec/amqp10/index.ts';
import { sessionError, CONDITION } from './errors.ts';

/** ActiveMQ's property recording how an AMQP body was encoded (JMS_AMQP_ORIGINAL_ENCODING). */
export const ORIGINAL_ENCODING_PROPERTY = 'JMS_AMQP_ORIGINAL_ENCODING';
/** ActiveMQ's values of JMS_AMQP_ORIGINAL_ENCODING (AmqpMessageSupport). */
export const ORIGINAL_ENCODING = {
  AMQP_UNKNOWN: 0,
  AMQP_NULL: 1,
  AMQP_DATA: 2,
  AMQP_SEQUENCE: 3,
  AMQP_VALUE_NULL: 4,
  AMQP_VALUE_STRING: 5,
  AMQP_VALUE_BINARY: 6,
  AMQP_VALUE_MAP: 7,
  AMQP_VALUE_LIST: 8,
} as const;

/** Qpid JMS / ActiveMQ message annotations naming a destination's kind. */
const JMS_DEST_ANNOTATION = 'x-opt-jms-dest';
const JMS_REPLY_TO_ANNOTATION = 'x-opt-jms-reply-to';
const JMS_TYPE_ANNOTATION = 'x-opt-jms-type';
const DEST_TYPE_CODE: Record<DestinationKind, number> = { queue: 0, topic: 1, 'temp-queue': 2, 'temp-topic': 3 };
const DEST_KIND_BY_CODE: readonly DestinationKind[] = ['queue', 'topic', 'temp-queue', 'temp-topic'];

const ID_PREFIX = { ulong: 'AMQP_ULONG:', uuid: 'AMQP_UUID:', binary: 'AMQP_BINARY:', string: 'AMQP_STRING:' } as const;

function isObject(v: AmqpValue): v is Exclude<AmqpValue, null | boolean | string | Buffer | AmqpValue[]> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !Buffer.isBuffer(v);
}

/** A message-id or correlation-id as the engine's string (ActiveMQ's AMQPMessageIdHelper prefixes). */
export function messageIdToString(v: AmqpValue | undefined): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') {
    // A string that looks like one of our encodings is escaped so it comes back as the same string.
    return Object.values(ID_PREFIX).some((p) => v.startsWith(p)) ? `${ID_PREFIX.string}${v}` : v;
  }
  if (Buffer.isBuffer(v)) return `${ID_PREFIX.binary}${v.toString('hex').toUpperCase()}`;
  if (isObject(v)) {
    if (v.type === 'ulong') return `${ID_PREFIX.ulong}${v.value.toString()}`;
    if (v.type === 'uuid') return `${ID_PREFIX.uuid}${formatUuid(v.value)}`;
    if (v.type === 'symbol') return v.value;
  }
  return undefined;
}

/** The AMQP value for an id string made by {@link messageIdToString} (or any other string). */
export function messageIdFromString(s: string): AmqpValue {
  if (s.startsWith(ID_PREFIX.string)) return s.slice(ID_PREFIX.string.length);
  if (s.startsWith(ID_PREFIX.ulong)) {
    const digits = s.slice(ID_PREFIX.ulong.length);
    if (/^\d{1,20}$/.test(digits) && BigInt(digits) <= 0xffff_ffff_ffff_ffffn) return { type: 'ulong', value: BigInt(digits) };
  }
  if (s.startsWith(ID_PREFIX.uuid)) {
    const hex = s.slice(ID_PREFIX.uuid.length).replaceAll('-', '');
    if (/^[0-9a-fA-F]{32}$/.test(hex)) return { type: 'uuid', value: Buffer.from(hex, 'hex') };
  }
  if (s.startsWith(ID_PREFIX.binary)) {
    const hex = s.slice(ID_PREFIX.binary.length);
    if (hex.length % 2 === 0 && /^[0-9a-fA-F]*$/.test(hex)) return Buffer.from(hex, 'hex');
  }
  return s;
}

function formatUuid(b: Buffer): string {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** An application-property value as JMS allows it; undefined for types JMS properties cannot hold. */
export function propertyFromAmqp(v: AmqpValue): AmqPropertyValue | undefined {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v;
  if (!isObject(v)) return undefined;
  switch (v.type) {
    case 'ubyte':
    case 'ushort':
    case 'uint':
    case 'byte':
    case 'short':
    case 'int':
    case 'float':
    case 'double':
    case 'timestamp':
      return v.value;
    case 'char':
      return String.fromCodePoint(v.value);
    case 'long':
    case 'ulong':
      return v.value >= BigInt(Number.MIN_SAFE_INTEGER) && v.value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v.value) : v.value;
    case 'symbol':
      return v.value;
    case 'uuid':
      return formatUuid(v.value);
    default:
      return undefined;
  }
}

/** A property value as AMQP: integers as int when they fit, else long; other numbers as double. */
export function propertyToAmqp(v: AmqPropertyValue): AmqpValue {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'bigint') return v >= -(1n << 63n) && v < 1n << 63n ? { type: 'long', value: v } : v.toString();
  if (typeof v === 'number') {
    if (Number.isInteger(v)) {
      if (v >= -0x8000_0000 && v <= 0x7fff_ffff) return { type: 'int', value: v };
      if (Number.isSafeInteger(v)) return { type: 'long', value: BigInt(v) };
    }
    return { type: 'double', value: v };
  }
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

function mapKey(k: AmqpValue): string | undefined {
  if (typeof k === 'string') return k;
  if (isObject(k) && k.type === 'symbol') return k.value;
  return undefined;
}

function annotation(m: AmqpMap | undefined, name: string): AmqpValue | undefined {
  if (m === undefined) return undefined;
  for (const [k, v] of m.value) if (mapKey(k) === name) return v;
  return undefined;
}

function annotationNumber(m: AmqpMap | undefined, name: string): number | undefined {
  const v = annotation(m, name);
  return v !== undefined && isObject(v) && typeof v.value === 'number' ? v.value : undefined;
}

/** An address value (`to`, `reply-to`) as a destination; undefined if absent or not a usable address. */
export function addressToDestination(v: AmqpValue | undefined, kindCode?: number): Destination | undefined {
  if (typeof v !== 'string') return undefined;
  try {
    const kind = kindCode === undefined ? undefined : DEST_KIND_BY_CODE[kindCode];
    return parseAmqpAddress(v, kind ?? 'queue');
  } catch {
    return undefined;
  }
}

export interface DecodedIncoming {
  readonly message: AmqOutgoing;
  /** properties.to (for an anonymous-relay sender link), with x-opt-jms-dest's kind for a bare name. */
  readonly to: Destination | undefined;
  /** properties.to was present but not a usable address. */
  readonly badTo: boolean;
}

/**
 * A transfer payload as the message a sender gives the engine. `nowMs` turns ttl into an absolute
 * expiration. Throws Amqp10DecodeError for a malformed payload, a delivery-scope error for a
 * message with no body section.
 */
export function incomingMessage(payload: Buffer, nowMs: number): DecodedIncoming {
  const { message: m } = decodeMessage(payload);
  const h = m.header;
  const p = m.properties;
  const properties: Record<string, AmqPropertyValue> = {};
  if (m.applicationProperties !== undefined) {
    for (const [k, v] of m.applicationProperties.value) {
      const key = mapKey(k);
      const value = propertyFromAmqp(v);
      if (key !== undefined && value !== undefined) properties[key] = value;
    }
  }
  let body: Uint8Array;
  let bodyType: 'text' | 'bytes' = 'bytes';
  const b = m.body;
  if (b === undefined) {
    body = Buffer.alloc(0);
    properties[ORIGINAL_ENCODING_PROPERTY] = ORIGINAL_ENCODING.AMQP_NULL;
  } else if (b.kind === 'data') {
    body = b.data.length === 1 ? b.data[0]! : Buffer.concat(b.data);
    delete properties[ORIGINAL_ENCODING_PROPERTY];
  } else if (b.kind === 'amqp-value' && typeof b.value === 'string') {
    body = Buffer.from(b.value, 'utf8');
    bodyType = 'text';
    delete properties[ORIGINAL_ENCODING_PROPERTY];
  } else if (b.kind === 'amqp-value' && Buffer.isBuffer(b.value)) {
    body = b.value;
    properties[ORIGINAL_ENCODING_PROPERTY] = ORIGINAL_ENCODING.AMQP_VALUE_BINARY;
  } else if (b.kind === 'amqp-value' && b.value === null) {
    body = Buffer.alloc(0);
    properties[ORIGINAL_ENCODING_PROPERTY] = ORIGINAL_ENCODING.AMQP_VALUE_NULL;
  } else {
    // Maps, lists, numbers and sequences have no JMS body of ours: keep their own encoding.
    body = encodeBodySections(m);
    properties[ORIGINAL_ENCODING_PROPERTY] =
      b.kind === 'amqp-sequence'
        ? ORIGINAL_ENCODING.AMQP_SEQUENCE
        : isObject(b.value) && b.value.type === 'map'
          ? ORIGINAL_ENCODING.AMQP_VALUE_MAP
          : Array.isArray(b.value)
            ? ORIGINAL_ENCODING.AMQP_VALUE_LIST
            : ORIGINAL_ENCODING.AMQP_UNKNOWN;
  }
  let expiration = 0;
  if (p?.absoluteExpiryTime !== undefined && p.absoluteExpiryTime > 0) expiration = p.absoluteExpiryTime;
  else if (h?.ttl !== undefined && h.ttl > 0) expiration = nowMs + h.ttl;
  const typeAnnotation = annotation(m.messageAnnotations, JMS_TYPE_ANNOTATION);
  const type = p?.subject ?? (typeof typeAnnotation === 'string' ? typeAnnotation : undefined);
  const replyTo = addressToDestination(p?.replyTo, annotationNumber(m.messageAnnotations, JMS_REPLY_TO_ANNOTATION));
  const to = addressToDestination(p?.to, annotationNumber(m.messageAnnotations, JMS_DEST_ANNOTATION));
  const message: AmqOutgoing = {
    body,
    bodyType,
    persistent: h?.durable ?? false,
    priority: h?.priority === undefined ? 4 : Math.min(h.priority, 9),
    expiration,
    timestamp: p?.creationTime ?? 0,
    messageId: messageIdToString(p?.messageId),
    correlationId: messageIdToString(p?.correlationId),
    replyTo,
    type,
    contentType: p?.contentType,
    properties,
  };
  return { message, to, badTo: p?.to !== undefined && to === undefined };
}

function encodeBodySections(m: Amqp10Message): Buffer {
  // Re-encoding the decoded sections gives the same octets the sender's bare message held for them.
  const all = encodeMessage({ body: m.body! });
  return Buffer.from(all);
}

/** The bare message (properties through body) of an engine message; the same for every delivery of it. */
const bareMessageCache = new WeakMap<AmqMessage, Buffer>();

function bareMessage(message: AmqMessage, destination: Destination): Buffer {
  const cached = bareMessageCache.get(message);
  if (cached !== undefined) return cached;
  const props: PropertiesInit = {};
  if (message.messageId !== undefined) props.messageId = messageIdFromString(message.messageId);
  props.to = formatAmqpAddress(destination);
  if (message.type !== undefined) props.subject = message.type;
  if (message.replyTo !== undefined) props.replyTo = formatAmqpAddress(message.replyTo);
  if (message.correlationId !== undefined) props.correlationId = messageIdFromString(message.correlationId);
  if (message.contentType !== undefined) props.contentType = message.contentType;
  if (message.expiration > 0) props.absoluteExpiryTime = message.expiration;
  if (message.timestamp > 0) props.creationTime = message.timestamp;
  const entries: Array<[AmqpValue, AmqpValue]> = [];
  let encoding: number | undefined;
  for (const [k, v] of Object.entries(message.properties)) {
    if (k === ORIGINAL_ENCODING_PROPERTY && typeof v === 'number') {
      encoding = v;
      continue;
    }
    entries.push([k, propertyToAmqp(v)]);
  }
  const annotations: AmqpMap = { type: 'map', value: [[{ type: 'symbol', value: JMS_DEST_ANNOTATION }, { type: 'byte', value: DEST_TYPE_CODE[destination.kind] }]] };
  if (message.replyTo !== undefined) {
    annotations.value.push([{ type: 'symbol', value: JMS_REPLY_TO_ANNOTATION }, { type: 'byte', value: DEST_TYPE_CODE[message.replyTo.kind] }]);
  }
  const init: Amqp10MessageInit = { messageAnnotations: annotations, properties: props };
  if (entries.length > 0) init.applicationProperties = { type: 'map', value: entries };
  const body = Buffer.from(message.body.buffer, message.body.byteOffset, message.body.byteLength);
  let rawBody: Buffer | undefined;
  if (message.bodyType === 'text') init.body = { kind: 'amqp-value', value: body.toString('utf8') };
  else if (encoding === ORIGINAL_ENCODING.AMQP_VALUE_BINARY) init.body = { kind: 'amqp-value', value: body };
  else if (encoding === ORIGINAL_ENCODING.AMQP_VALUE_NULL) init.body = { kind: 'amqp-value', value: null };
  else if (encoding === ORIGINAL_ENCODING.AMQP_NULL && body.length === 0) init.body = undefined;
  else if (
    (encoding === ORIGINAL_ENCODING.AMQP_SEQUENCE ||
      encoding === ORIGINAL_ENCODING.AMQP_VALUE_MAP ||
      encoding === ORIGINAL_ENCODING.AMQP_VALUE_LIST ||
      encoding === ORIGINAL_ENCODING.AMQP_UNKNOWN) &&
    isBodyEncoding(body)
  ) {
    rawBody = body;
  } else init.body = { kind: 'data', data: [body] };
  const encoded = encodeMessage(init);
  const bare = rawBody === undefined ? Buffer.from(encoded) : Buffer.concat([encoded, rawBody]);
  bareMessageCache.set(message, bare);
  return bare;
}

/** True when `b` is nothing but body sections (what incomingMessage kept for a map, list or sequence). */
function isBodyEncoding(b: Buffer): boolean {
  if (b.length === 0) return false;
  try {
    const { message } = decodeMessage(b);
    return message.body !== undefined && Object.keys(message).length === 1;
  } catch {
    return false;
  }
}

/** Encoded headers of first deliveries without a ttl, by durable and priority: most deliveries. */
const commonHeaders = new Map<number, Buffer>();

function encodeHeader(header: HeaderInit): Buffer {
  const w = new Amqp10Writer(32);
  writeValue(w, encodeHeaderValue(header));
  return w.toBuffer();
}

/** The transfer payload for a delivery: header (per delivery) and the message's bare message. */
export function outgoingPayload(delivery: AmqBrowsedMessage, nowMs: number): Buffer {
  const message = delivery.message;
  const header: HeaderInit = {};
  if (message.persistent) header.durable = true;
  if (message.priority !== 4) header.priority = message.priority;
  if (message.expiration > 0) header.ttl = Math.max(1, Math.min(0xffff_ffff, message.expiration - nowMs));
  const first = delivery.deliveryCount <= 1 && !delivery.redelivered;
  if (first) header.firstAcquirer = true;
  if (delivery.deliveryCount > 1) header.deliveryCount = Math.min(0xffff_ffff, delivery.deliveryCount - 1);
  let head: Buffer;
  if (first && header.ttl === undefined && Number.isInteger(message.priority) && message.priority >= 0 && message.priority <= 9) {
    const key = (message.persistent ? 16 : 0) + message.priority;
    head = commonHeaders.get(key) ?? encodeHeader(header);
    commonHeaders.set(key, head);
  } else {
    head = encodeHeader(header);
  }
  const bare = bareMessage(message, delivery.destination);
  return Buffer.concat([head, bare], head.length + bare.length);
}

/** A delivery-scope error for a transfer whose message the engine cannot take. */
export function noDestinationError(): Error {
  return sessionError.delivery(CONDITION.NOT_FOUND, 'the message has no usable to address and the link has no target address');
}
