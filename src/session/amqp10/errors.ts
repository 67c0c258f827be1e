// The one place where an AMQP 1.0 session turns an error into the AMQP error it sends: decode and
// framing errors from the codec, AmqErrors from the ActiveMQ engine, and the session's own protocol
// errors (windows, handles, channels, states) become an `error` composite (condition symbol,
// description, info) with the scope it ends: the connection (close), a session (end), a link
// (detach) or one delivery (rejected outcome). Anything else is a bug: amqp:internal-error with no
// detail. Descriptions never carry message content, credentials or peer-supplied bytes beyond
// names the peer chose itself (addresses, link names), and are clamped in length.

import { AmqError, type AmqErrorCode } from '../../core/activemq/api.ts';
import {
  AMQP_ERROR,
  Amqp10DecodeError,
  Amqp10FrameSizeError,
  type AmqpErrorInit,
  CONNECTION_ERROR,
  LINK_ERROR,
  SESSION_ERROR,
  TRANSACTION_ERROR,
  map,
  symbol,
} from '../../codec/amqp10/index.ts';

/** What an error ends. */
export type ErrorScope = 'connection' | 'session' | 'link' | 'delivery';

/** A protocol error the session detects itself. */
export class Amqp10SessionError extends Error {
  constructor(
    readonly scope: ErrorScope,
    readonly condition: string,
    description: string,
    readonly info?: AmqpErrorInit['info'],
  ) {
    super(description);
    this.name = 'Amqp10SessionError';
  }
}

/** Shorthands for the errors the session raises most. */
export const sessionError = {
  connection: (condition: string, description: string) => new Amqp10SessionError('connection', condition, description),
  session: (condition: string, description: string) => new Amqp10SessionError('session', condition, description),
  link: (condition: string, description: string) => new Amqp10SessionError('link', condition, description),
  delivery: (condition: string, description: string) => new Amqp10SessionError('delivery', condition, description),
} as const;

/** The AMQP error condition for each engine error (ActiveMQ's AMQP transport maps the same JMS exceptions). */
export const AMQ_ERROR_CONDITION: Record<AmqErrorCode, string> = {
  'not-authorized': AMQP_ERROR.UNAUTHORIZED_ACCESS,
  // ActiveMQ: InvalidDestinationException -> amqp:not-found.
  'invalid-destination': AMQP_ERROR.NOT_FOUND,
  // ActiveMQ: InvalidSelectorException -> amqp:invalid-field.
  'invalid-selector': AMQP_ERROR.INVALID_FIELD,
  'resource-limit': AMQP_ERROR.RESOURCE_LIMIT_EXCEEDED,
  'invalid-transaction': TRANSACTION_ERROR.UNKNOWN_ID,
  'unknown-delivery': AMQP_ERROR.ILLEGAL_STATE,
  // ActiveMQ: InvalidClientIDException -> amqp:invalid-field with info {invalid-field: container-id}.
  'client-id-in-use': AMQP_ERROR.INVALID_FIELD,
  'subscription-in-use': AMQP_ERROR.RESOURCE_LOCKED,
  'store-unavailable': AMQP_ERROR.INTERNAL_ERROR,
  closed: CONNECTION_ERROR.CONNECTION_FORCED,
};

/** An `error` composite and the scope it ends. */
export interface ErrorReply {
  readonly scope: ErrorScope;
  readonly error: AmqpErrorInit;
  /** The session's fault (logged as an error, not as a peer mistake). */
  readonly internal: boolean;
}

/** Descriptions stay short: a close frame must fit the smallest max-frame-size (512 octets). */
export const DESCRIPTION_MAX_CHARS = 240;

export function clampDescription(text: string): string {
  return text.length > DESCRIPTION_MAX_CHARS ? `${text.slice(0, DESCRIPTION_MAX_CHARS - 3)}...` : text;
}

/**
 * Maps any error thrown while handling a peer's frames to the AMQP error it calls for.
 * `defaultScope` is where an engine error lands (a link for attach, a delivery for a transfer).
 */
export function errorReplyFor(error: unknown, defaultScope: ErrorScope = 'connection'): ErrorReply {
  if (error instanceof Amqp10DecodeError) {
    // The decoder is dead after any decode error: the connection ends.
    return { scope: 'connection', error: { condition: error.condition, description: clampDescription(error.description) }, internal: false };
  }
  if (error instanceof Amqp10FrameSizeError) {
    return { scope: 'connection', error: { condition: error.condition, description: clampDescription(error.message) }, internal: true };
  }
  if (error instanceof Amqp10SessionError) {
    const reply: AmqpErrorInit = { condition: error.condition, description: clampDescription(error.message) };
    return { scope: error.scope, error: error.info === undefined ? reply : { ...reply, info: error.info }, internal: false };
  }
  if (error instanceof AmqError) {
    const condition = AMQ_ERROR_CONDITION[error.code] ?? AMQP_ERROR.INTERNAL_ERROR;
    const description = clampDescription(error.message);
    if (error.code === 'client-id-in-use') {
      return { scope: 'connection', error: { condition, description, info: map([[symbol('invalid-field'), symbol('container-id')]]) }, internal: false };
    }
    if (error.code === 'closed') return { scope: 'connection', error: { condition, description }, internal: false };
    return { scope: defaultScope, error: { condition, description }, internal: error.code === 'store-unavailable' };
  }
  return { scope: 'connection', error: { condition: AMQP_ERROR.INTERNAL_ERROR, description: 'internal error' }, internal: true };
}

/**
 * As {@link errorReplyFor}, for an error about one message (its payload, its destination, the
 * engine's refusal): a payload that does not decode rejects that delivery, not the connection.
 */
export function deliveryErrorReplyFor(error: unknown): ErrorReply {
  if (error instanceof Amqp10DecodeError) {
    return { scope: 'delivery', error: { condition: error.condition, description: clampDescription(error.description) }, internal: false };
  }
  return errorReplyFor(error, 'delivery');
}

/** Conditions named here so that the session does not spell symbols itself. */
export const CONDITION = {
  ...AMQP_ERROR,
  ...CONNECTION_ERROR,
  ...SESSION_ERROR,
  ...LINK_ERROR,
  ...TRANSACTION_ERROR,
} as const;
