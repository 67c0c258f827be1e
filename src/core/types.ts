// The protocol-neutral shapes the core works in: header tables as plain JS values, the small view
// of a message's properties that routing, TTL, priority and persistence need, and the port through
// which the core asks the protocol's codec to decode or rewrite opaque encoded properties
// (recovery, dead-lettering). Wire types stay in the sessions.

/** A header or argument value as plain JS; sessions map AMQP field types onto these and back. */
export type HeaderValue =
  | null
  | undefined
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | Date
  | readonly HeaderValue[]
  | HeaderTable;

export interface HeaderTable {
  readonly [name: string]: HeaderValue;
}

/** What the core needs to know of a message's properties; the encoded properties stay opaque. */
export interface MessageView {
  readonly headers?: HeaderTable | undefined;
  /** Per-message TTL as AMQP carries it: a string of non-negative integer milliseconds. */
  readonly expiration?: string | undefined;
  readonly priority?: number | undefined;
  /** AMQP delivery-mode 2. */
  readonly persistent: boolean;
}

/** A message as a session publishes it. */
export interface PublishedMessage {
  readonly exchange: string;
  readonly routingKey: string;
  /** Encoded properties (e.g. the AMQP content header's property list), opaque to the core. */
  readonly properties: Uint8Array;
  readonly body: Uint8Array;
  readonly view: MessageView;
}

/**
 * The protocol's property codec as the core needs it. `decodeView` is used when messages are
 * recovered from the store; `rewrite` when a message is dead-lettered (new headers, expiration
 * removed as RabbitMQ does, docs/dlx.md).
 */
export interface MessagePropertiesCodec {
  decodeView(properties: Uint8Array): MessageView;
  rewrite(properties: Uint8Array, change: { readonly headers: HeaderTable; readonly expiration: string | undefined }): Uint8Array;
}

/** What a consumer or basic.get receives. */
export interface Delivery {
  /** Per channel, from 1, as AMQP delivery tags. */
  readonly deliveryTag: number;
  /** Undefined for basic.get. */
  readonly consumerTag: string | undefined;
  readonly redelivered: boolean;
  readonly exchange: string;
  readonly routingKey: string;
  readonly properties: Uint8Array;
  readonly body: Uint8Array;
  readonly view: MessageView;
  /** basic.get-ok's message-count: messages left ready in the queue. */
  readonly messageCount: number;
  /** Deliveries of this message so far, this one included (1 on first delivery; survives restarts as far as the store records it). */
  readonly deliveryCount?: number;
}

/** Limits of one broker; 0 means unlimited. */
export interface BrokerLimits {
  readonly queuesMax: number;
  readonly consumersPerQueueMax: number;
  readonly consumersPerChannelMax: number;
  /** Deliveries stop (as with a prefetch) once a channel holds this many unacknowledged messages. */
  readonly unackedPerChannelMax: number;
  readonly messageSizeMaxBytes: number;
}

export const defaultBrokerLimits: BrokerLimits = {
  queuesMax: 10_000,
  consumersPerQueueMax: 0,
  consumersPerChannelMax: 0,
  unackedPerChannelMax: 0,
  messageSizeMaxBytes: 128 * 1024 * 1024,
};

/** Monotonic counters of one broker, for metrics (rates are computed by the scraper). */
export interface BrokerCounters {
  published: number;
  /** Publishes that reached no queue. */
  unroutable: number;
  /** Messages handed to consumers or basic.get. */
  delivered: number;
  redelivered: number;
  acknowledged: number;
  requeued: number;
  /** Rejected or nacked without requeue. */
  discarded: number;
}

export function newBrokerCounters(): BrokerCounters {
  return { published: 0, unroutable: 0, delivered: 0, redelivered: 0, acknowledged: 0, requeued: 0, discarded: 0 };
}
