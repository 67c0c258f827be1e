// Typed operating errors of the broker core. Each code is named after, and maps one-to-one onto, an
// AMQP 0-9-1 reply code (spec section 1.2 "Constants"), so a session maps errors to the wire in one
// place without the core importing a codec. `replyText` is meant for the client only (it may name
// queues and exchanges, as RabbitMQ's does); `message` never names a resource, so logging it leaks
// no queue or exchange name.

/** Stable error codes; the numbers are the AMQP 0-9-1 reply codes sessions send. */
export const BrokerErrorCode = {
  CONTENT_TOO_LARGE: 311,
  CONNECTION_FORCED: 320,
  INVALID_PATH: 402,
  ACCESS_REFUSED: 403,
  NOT_FOUND: 404,
  RESOURCE_LOCKED: 405,
  PRECONDITION_FAILED: 406,
  COMMAND_INVALID: 503,
  CHANNEL_ERROR: 504,
  RESOURCE_ERROR: 506,
  NOT_ALLOWED: 530,
  NOT_IMPLEMENTED: 540,
  INTERNAL_ERROR: 541,
} as const;
export type BrokerErrorCode = keyof typeof BrokerErrorCode;

/** Whether the error closes the channel (soft error) or the whole connection (hard error). */
export type BrokerErrorScope = 'channel' | 'connection';

/** Default scope per code, as the AMQP 0-9-1 spec classifies the reply codes. */
const defaultScope: Record<BrokerErrorCode, BrokerErrorScope> = {
  CONTENT_TOO_LARGE: 'channel',
  CONNECTION_FORCED: 'connection',
  INVALID_PATH: 'connection',
  ACCESS_REFUSED: 'channel',
  NOT_FOUND: 'channel',
  RESOURCE_LOCKED: 'channel',
  PRECONDITION_FAILED: 'channel',
  COMMAND_INVALID: 'connection',
  CHANNEL_ERROR: 'connection',
  RESOURCE_ERROR: 'channel',
  NOT_ALLOWED: 'connection',
  NOT_IMPLEMENTED: 'connection',
  INTERNAL_ERROR: 'connection',
};

/** An operating error of the broker core with a stable code the session maps to a reply code. */
export class BrokerError extends Error {
  readonly scope: BrokerErrorScope;
  constructor(
    readonly code: BrokerErrorCode,
    /** RabbitMQ-style reply text for the peer, e.g. "NOT_FOUND - no queue 'q' in vhost '/'". */
    readonly replyText: string,
    scope?: BrokerErrorScope,
  ) {
    super(`${code} (${BrokerErrorCode[code]})`);
    this.name = 'BrokerError';
    this.scope = scope ?? defaultScope[code];
  }

  /** The AMQP 0-9-1 reply code. */
  get replyCode(): number {
    return BrokerErrorCode[this.code];
  }
}

/** Builds a BrokerError whose reply text starts with the code name, as RabbitMQ's do. */
export function brokerError(code: BrokerErrorCode, text: string, scope?: BrokerErrorScope): BrokerError {
  return new BrokerError(code, `${code} - ${text}`, scope);
}

/** Quotes a resource name the way RabbitMQ's reply texts do: `queue 'q' in vhost '/'`. */
export function describeResource(kind: 'queue' | 'exchange', name: string, vhost: string): string {
  return `${kind} '${name}' in vhost '${vhost}'`;
}
