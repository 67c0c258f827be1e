// The one place where a STOMP session turns an error into an ERROR frame: decode errors from the
// codec, AmqErrors from the ActiveMQ engine and the session's own protocol errors (frame order,
// missing or bad headers, limits). After an ERROR the session closes the connection, as ActiveMQ
// does; which frame to answer and the closing itself are session.ts's. The `message` header and the
// body never carry peer bytes beyond what the peer named itself in a header we echo on purpose
// (none), nor secrets or message bodies.

import { StompDecodeError } from '../../codec/stomp/index.ts';
import { AmqError, type AmqErrorCode } from '../../core/activemq/api.ts';

/** Stable codes for what the session itself refuses; tests and logs key on these. */
export const STOMP_SESSION_ERROR_CODES = [
  /** A frame other than CONNECT/STOMP before the session is connected. */
  'NOT_CONNECTED',
  /** A second CONNECT/STOMP on a connected session. */
  'ALREADY_CONNECTED',
  /** No version in `accept-version` that the server speaks. */
  'UNSUPPORTED_VERSION',
  /** Wrong login or passcode (never says which). */
  'AUTHENTICATION_FAILED',
  /** A header the frame needs is missing. */
  'MISSING_HEADER',
  /** A header holds a value the frame cannot use (ack mode, heart-beat, priority, expires ...). */
  'BAD_HEADER_VALUE',
  /** SUBSCRIBE with an id already in use on this connection. */
  'DUPLICATE_SUBSCRIPTION',
  /** UNSUBSCRIBE, ACK or NACK naming a subscription this connection does not have. */
  'UNKNOWN_SUBSCRIPTION',
  /** ACK or NACK of a message that is not awaiting one. */
  'UNKNOWN_ACK',
  /** More subscriptions than `subscriptionsMax`. */
  'SUBSCRIPTIONS_LIMIT',
  /** More open transactions than `transactionsMax`. */
  'TRANSACTIONS_LIMIT',
  /** More temporary destinations (`/temp-queue/x`, `/temp-topic/x`) than `temporaryDestinationsMax`. */
  'TEMPORARY_DESTINATIONS_LIMIT',
  /** A durable subscription without a `client-id` on CONNECT. */
  'CLIENT_ID_REQUIRED',
  /** No CONNECT within the connect timeout. */
  'CONNECT_TIMEOUT',
  /** The broker is shutting down or ended the connection. */
  'SHUTDOWN',
] as const;

export type StompSessionErrorCode = (typeof STOMP_SESSION_ERROR_CODES)[number];

/** A protocol error the session detects. `message` is fixed text plus header names, never values. */
export class StompSessionError extends Error {
  constructor(
    readonly code: StompSessionErrorCode,
    message: string,
  ) {
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = stackTraceLimit;
    this.name = 'StompSessionError';
  }
}

/** What goes into the ERROR frame and the log. */
export interface StompErrorReport {
  /** A stable code: a decode code, a session code, or `engine:<AmqErrorCode>`, or `INTERNAL`. */
  readonly code: string;
  /** The `message` header: short, single-line. */
  readonly message: string;
  /** The text/plain body: one or two sentences for a person reading the client's log. */
  readonly body: string;
  /** True when the session or engine is at fault (logged as an error rather than a peer mistake). */
  readonly internal: boolean;
}

/** How each engine error reads in an ERROR frame, in ActiveMQ's words where it has some. */
const ENGINE_MESSAGES: Readonly<Record<AmqErrorCode, string>> = {
  'not-authorized': 'User is not authorized',
  'invalid-destination': 'Invalid destination',
  'invalid-selector': 'Invalid selector',
  'resource-limit': 'Resource limit reached',
  'invalid-transaction': 'Invalid transaction id',
  'unknown-delivery': 'Unexpected ACK received for message',
  'client-id-in-use': 'Client ID already in use',
  'subscription-in-use': 'Durable subscription already has an active consumer',
  'store-unavailable': 'Message store unavailable',
  closed: 'Connection closed by the broker',
};

const SESSION_BODIES: Readonly<Record<StompSessionErrorCode, string>> = {
  NOT_CONNECTED: 'Send CONNECT or STOMP first.',
  ALREADY_CONNECTED: 'The session is already connected.',
  UNSUPPORTED_VERSION: 'Supported protocol versions are 1.0 1.1 1.2',
  AUTHENTICATION_FAILED: 'The login or passcode is not valid.',
  MISSING_HEADER: 'A header this frame requires is missing.',
  BAD_HEADER_VALUE: 'A header holds a value this frame cannot use.',
  DUPLICATE_SUBSCRIPTION: 'A subscription with this id already exists on this connection.',
  UNKNOWN_SUBSCRIPTION: 'No subscription with this id exists on this connection.',
  UNKNOWN_ACK: 'No message awaiting acknowledgement matches this frame.',
  SUBSCRIPTIONS_LIMIT: 'This connection has as many subscriptions as the broker allows.',
  TRANSACTIONS_LIMIT: 'This connection has as many open transactions as the broker allows.',
  TEMPORARY_DESTINATIONS_LIMIT: 'This connection has as many temporary destinations as the broker allows.',
  CLIENT_ID_REQUIRED: 'A durable subscription needs a client-id header on CONNECT.',
  CONNECT_TIMEOUT: 'No CONNECT frame arrived in time.',
  SHUTDOWN: 'The broker closed the connection.',
};

/** Maps any error raised while serving a peer to the ERROR frame it calls for. */
export function errorReportFor(error: unknown): StompErrorReport {
  if (error instanceof StompDecodeError) {
    return { code: error.code, message: error.message, body: `Malformed frame received (${error.code}).`, internal: false };
  }
  if (error instanceof StompSessionError) {
    return { code: error.code, message: error.message, body: SESSION_BODIES[error.code], internal: false };
  }
  if (error instanceof AmqError) {
    const title = ENGINE_MESSAGES[error.code] ?? 'Request refused';
    // The engine promises its messages are safe to show (no secrets, no message content).
    return {
      code: `engine:${error.code}`,
      message: title,
      body: error.message.length > 0 ? error.message : `${title}.`,
      internal: error.code === 'store-unavailable',
    };
  }
  return { code: 'INTERNAL', message: 'Internal error', body: 'The broker failed to handle this frame.', internal: true };
}
