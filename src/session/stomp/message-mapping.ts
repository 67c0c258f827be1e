// How STOMP frames map onto the ActiveMQ engine's neutral message, both ways, as ActiveMQ's
// LegacyFrameTranslator maps them onto JMS: SEND headers -> AmqOutgoing (persistent only with
// `persistent:true`, content-length present -> bytes, absent -> text; the JMS headers; every other
// header a string property) and an AmqDelivery -> MESSAGE headers. Destination names are
// destinations.ts's; which version's escaping applies, and whether a header can be written at all,
// is the encoder's (isStompHeaderEncodable), asked here so that a property from another protocol
// that STOMP cannot carry is left out rather than failing the delivery.

import { isStompHeaderEncodable, type StompFrame, type StompVersion } from '../../codec/stomp/index.ts';
import type { AmqBrowsedMessage, AmqOutgoing, AmqPropertyValue, Destination } from '../../core/activemq/api.ts';
import { StompSessionError } from './errors.ts';

/**
 * Headers with a meaning of their own on SEND or MESSAGE: never turned into a property from SEND,
 * never written from a property on MESSAGE (a property named `destination` from an AMQP 1.0 sender
 * must not shadow the real one).
 */
export const STOMP_RESERVED_HEADERS: ReadonlySet<string> = new Set([
  'destination',
  'receipt',
  'transaction',
  'content-length',
  'content-type',
  'persistent',
  'priority',
  'expires',
  'correlation-id',
  'reply-to',
  'type',
  'message-id',
  'timestamp',
  'redelivered',
  'subscription',
  'ack',
]);

/** JMS's default priority. */
export const DEFAULT_PRIORITY = 4;

/** What a SEND frame asks for. */
export interface StompSend {
  readonly destination: Destination;
  readonly message: AmqOutgoing;
  readonly transaction: string | undefined;
}

/** Turns destination text into a destination (destinations.ts, plus the session's temp aliases). */
export type DestinationResolver = (text: string) => Destination;

/** Reads a SEND frame. Throws StompSessionError for a missing destination or a bad JMS header. */
export function sendFrameToMessage(frame: StompFrame, resolve: DestinationResolver): StompSend {
  const h = frame.headers;
  const destinationText = h.get('destination');
  if (destinationText === undefined) throw new StompSessionError('MISSING_HEADER', 'SEND needs a destination header');
  const destination = resolve(destinationText);
  const properties: Record<string, AmqPropertyValue> = {};
  for (const [name, value] of h) {
    if (!STOMP_RESERVED_HEADERS.has(name)) properties[name] = value;
  }
  const replyTo = h.get('reply-to');
  const message: AmqOutgoing = {
    // A copy: the frame's body views a socket chunk the engine must not keep alive (or see reused).
    body: Uint8Array.prototype.slice.call(frame.body),
    // ActiveMQ: a content-length header makes a BytesMessage, none a TextMessage.
    bodyType: h.has('content-length') ? 'bytes' : 'text',
    // ActiveMQ: STOMP messages are non-persistent unless `persistent:true` (Boolean.parseBoolean).
    persistent: h.get('persistent')?.toLowerCase() === 'true',
    priority: parsePriority(h.get('priority')),
    expiration: parseExpires(h.get('expires')),
    correlationId: h.get('correlation-id'),
    replyTo: replyTo === undefined ? undefined : resolve(replyTo),
    type: h.get('type'),
    contentType: h.get('content-type'),
    properties,
  };
  return { destination, message, transaction: h.get('transaction') };
}

function parsePriority(text: string | undefined): number {
  if (text === undefined) return DEFAULT_PRIORITY;
  const t = text.trim();
  if (!/^[0-9]$/.test(t)) throw new StompSessionError('BAD_HEADER_VALUE', 'priority must be 0 to 9');
  return Number(t);
}

function parseExpires(text: string | undefined): number {
  if (text === undefined) return 0;
  const t = text.trim();
  // Absolute epoch milliseconds (JMSExpiration); 0 = never.
  if (!/^[0-9]{1,16}$/.test(t) || !Number.isSafeInteger(Number(t))) {
    throw new StompSessionError('BAD_HEADER_VALUE', 'expires must be epoch milliseconds');
  }
  return Number(t);
}

/** What the session adds to a delivery's MESSAGE frame. */
export interface MessageFrameContext {
  readonly version: StompVersion;
  /** The SUBSCRIBE's id, or undefined for a 1.0 subscription that gave none. */
  readonly subscription: string | undefined;
  /** The 1.2 `ack` header value, for subscriptions that are not auto-acknowledged. */
  readonly ackId: string | undefined;
  readonly messageId: string;
  readonly formatDestination: (d: Destination) => string;
}

/** The headers of the MESSAGE frame for a delivery (or a browsed message), in ActiveMQ's order and spelling. */
export function deliveryHeaders(delivery: AmqBrowsedMessage, ctx: MessageFrameContext): Array<[string, string]> {
  const m = delivery.message;
  const headers: Array<[string, string]> = [];
  // (No closure per delivery for the adds: tsx names each one with Object.defineProperty.)
  if (ctx.subscription !== undefined) addHeader(headers, ctx, 'subscription', ctx.subscription);
  addHeader(headers, ctx, 'message-id', ctx.messageId);
  addHeader(headers, ctx, 'destination', ctx.formatDestination(delivery.destination));
  if (ctx.ackId !== undefined) addHeader(headers, ctx, 'ack', ctx.ackId);
  addHeader(headers, ctx, 'expires', String(m.expiration));
  addHeader(headers, ctx, 'priority', String(m.priority));
  addHeader(headers, ctx, 'timestamp', String(m.timestamp));
  if (m.persistent) addHeader(headers, ctx, 'persistent', 'true');
  if (delivery.redelivered) addHeader(headers, ctx, 'redelivered', 'true');
  if (m.correlationId !== undefined) addHeader(headers, ctx, 'correlation-id', m.correlationId);
  if (m.replyTo !== undefined) addHeader(headers, ctx, 'reply-to', ctx.formatDestination(m.replyTo));
  if (m.type !== undefined) addHeader(headers, ctx, 'type', m.type);
  if (m.contentType !== undefined) addHeader(headers, ctx, 'content-type', m.contentType);
  for (const name of Object.keys(m.properties)) {
    if (STOMP_RESERVED_HEADERS.has(name)) continue;
    const value = propertyText(m.properties[name]);
    if (value !== undefined) addHeader(headers, ctx, name, value);
  }
  return headers;
}

function addHeader(headers: Array<[string, string]>, ctx: MessageFrameContext, name: string, value: string): void {
  if (isStompHeaderEncodable(ctx.version, 'MESSAGE', name, value)) headers.push([name, value]);
}

/** A property as header text, as ActiveMQ writes them (toString); null and bytes have none. */
function propertyText(value: AmqPropertyValue | undefined): string | undefined {
  if (value === null || value === undefined || value instanceof Uint8Array) return undefined;
  return String(value);
}
