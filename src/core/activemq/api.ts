// The ActiveMQ engine's session-facing API: the protocol-neutral model that the STOMP, MQTT and
// AMQP 1.0 sessions (src/session/{stomp,mqtt,amqp10}) drive, built on the broker core (queues,
// exchanges, persistence, dead-lettering). Sessions turn frames into these calls and map the errors
// into their protocol's own terms; they never touch core queues or exchanges directly, so that a
// message sent with one protocol reaches receivers of every other one with ActiveMQ's semantics.
//
// ActiveMQ's model as the engine implements it:
// - Destinations are queues (point-to-point, load-balanced among consumers) or topics
//   (publish-subscribe), named with `.` separators. Topic subscriptions may use the wildcards `*`
//   (one segment) and `>` (zero or more trailing segments, as ActiveMQ's DestinationFilter). The
//   DLQ is the queue `ActiveMQ.DLQ`.
// - Messages are JMS-like: body, headers (messageId, correlationId, replyTo, type, priority 0-9,
//   persistent, expiration, timestamp), and typed application properties.
// - Persistent messages to queues and to durable subscriptions go through the encrypted store;
//   non-persistent ones stay in memory.
// - A consumer takes messages under an ack mode; a message handed back (nack, reject, session
//   closed without ack, transaction rollback) is redelivered up to `maximumRedeliveries` times
//   (ActiveMQ's default 6), after which it goes to `ActiveMQ.DLQ` instead. Expired messages are
//   dropped (persistent ones go to the DLQ, as ActiveMQ's default policy does).
// - A selector (JMS SQL-92 subset, see selector.ts) filters what a consumer receives; on a queue,
//   messages a consumer does not select stay for other consumers.
// - Durable subscriptions are named by (clientId, subscriptionName) and survive consumer loss and
//   broker restarts; they keep collecting messages while nobody is attached.

import type { ClientInfo } from '../broker.ts';
import type { HeaderTable } from '../types.ts';

export type DestinationKind = 'queue' | 'topic' | 'temp-queue' | 'temp-topic';

/** A destination in ActiveMQ's terms: `name` uses `.` separators (topics may hold `*` and `>`). */
export interface Destination {
  readonly kind: DestinationKind;
  readonly name: string;
}

/** A property value as JMS allows it. */
export type AmqPropertyValue = string | number | bigint | boolean | null | Uint8Array;

/** The neutral message every protocol maps onto (JMS's model, as ActiveMQ's protocol converters do). */
export interface AmqMessage {
  readonly body: Uint8Array;
  /**
   * 'text' when the sender marked the body as text (STOMP without content-length, AMQP 1.0
   * amqp-value string, a JMS TextMessage), 'bytes' otherwise. MQTT payloads are 'bytes'.
   */
  readonly bodyType: 'text' | 'bytes';
  readonly persistent: boolean;
  /** 0-9, default 4. */
  readonly priority: number;
  /** Absolute expiry, epoch ms; 0 = never. */
  readonly expiration: number;
  /** Send time, epoch ms (set by the engine when 0). */
  readonly timestamp: number;
  readonly messageId?: string | undefined;
  readonly correlationId?: string | undefined;
  readonly replyTo?: Destination | undefined;
  readonly type?: string | undefined;
  readonly contentType?: string | undefined;
  /** Application properties (JMS message properties; STOMP user headers; MQTT 5 user properties). */
  readonly properties: Readonly<Record<string, AmqPropertyValue>>;
}

/** What a sender gives; the engine fills in timestamp and messageId when absent. */
export type AmqOutgoing = Omit<AmqMessage, 'timestamp' | 'priority' | 'expiration' | 'properties'> &
  Partial<Pick<AmqMessage, 'timestamp' | 'priority' | 'expiration' | 'properties'>>;

/** A message handed to a subscription. */
export interface AmqDelivery {
  readonly subscriptionId: string;
  /** Opaque per-connection token for ack/nack (increasing per connection). */
  readonly token: number;
  /** Where it was sent (for a wildcard or MQTT subscription, the concrete topic). */
  readonly destination: Destination;
  readonly message: AmqMessage;
  readonly redelivered: boolean;
  /** 1 on first delivery. */
  readonly deliveryCount: number;
}

/**
 * A message seen by browsing a queue (AmqConnection.browse): what a delivery says of it, without a
 * token, since nothing was taken from the queue and nothing needs settling.
 */
export interface AmqBrowsedMessage {
  readonly destination: Destination;
  readonly message: AmqMessage;
  /** It was delivered (and handed back) before. */
  readonly redelivered: boolean;
  /** The delivery count it would have if it were delivered now (1 = never delivered). */
  readonly deliveryCount: number;
}

export interface BrowseOptions {
  /** JMS selector text; invalid text throws AmqError 'invalid-selector'. */
  readonly selector?: string | undefined;
}

export type AckMode =
  /** Settled as it is handed to the session (STOMP auto, MQTT QoS 0, AMQP 1.0 pre-settled). */
  | 'auto'
  /** STOMP `client`: an ack settles this and every earlier delivery of the subscription. */
  | 'client'
  /** Each delivery settled on its own (STOMP client-individual, MQTT QoS 1/2, AMQP 1.0 unsettled). */
  | 'individual';

export interface SubscribeOptions {
  /** Unique per connection, chosen by the session (STOMP id, AMQP link handle, MQTT filter). */
  readonly id: string;
  readonly destination: Destination;
  readonly ackMode: AckMode;
  /** JMS selector text; invalid text throws AmqError 'invalid-selector'. */
  readonly selector?: string | undefined;
  /** Unacknowledged deliveries in flight at most (ActiveMQ's prefetch; STOMP default 1000). */
  readonly prefetch?: number | undefined;
  /** Topics only: a durable subscription of this name under the connection's clientId. */
  readonly durableName?: string | undefined;
  /** Topics only: skip messages this connection sent. */
  readonly noLocal?: boolean | undefined;
  /**
   * Durable subscriptions only: left this long without a consumer, the subscription is removed
   * with what it collected (the core queue's x-expires, as RabbitMQ's MQTT plugin maps a session
   * expiry). Stored with the subscription, so it holds across restarts: the countdown starts when
   * the last consumer leaves, and again when the broker recovers the subscription (so it may end
   * later than asked, never earlier). A whole number of ms from 1; values beyond 2^32-1 ms (about
   * 49.7 days, the largest x-expires the core takes) are kept like absent. Absent: never removed.
   * Subscribing again with another value (or none) changes it in place, keeping the messages.
   * STOMP and AMQP 1.0 durable subscriptions do not set it.
   */
  readonly expiresAfterMs?: number | undefined;
}

export interface Subscription {
  readonly id: string;
  /**
   * Lets more deliveries flow (AMQP 1.0 link credit; `prefetch` is the initial window), or with 0
   * stops them; `undefined` hands flow back to `prefetch` (resuming a paused subscription).
   */
  setCredit(credit: number | undefined): void;
  /** Stops deliveries; unacknowledged ones go back for redelivery. A durable subscription stays. */
  close(): Promise<void>;
}

/** A stored durable subscription (AmqConnection.durableSubscriptions). */
export interface DurableSubscriptionInfo {
  /** The subscription name under the client id (`durableName` of SubscribeOptions). */
  readonly name: string;
  /** The topic or topic pattern it is bound to. */
  readonly destination: Destination;
  readonly selector: string | undefined;
  readonly noLocal: boolean;
  /** A consumer is attached to it now. */
  readonly active: boolean;
  /** SubscribeOptions.expiresAfterMs as stored (undefined: never removed). */
  readonly expiresAfterMs: number | undefined;
}

export interface SendOptions {
  /** Inside a transaction begun with `begin`: held until commit. */
  readonly transaction?: string | undefined;
}

/** Errors of the engine, each mapped once per protocol (STOMP ERROR, MQTT reason code, AMQP 1.0 error). */
export type AmqErrorCode =
  | 'not-authorized'
  | 'invalid-destination'
  | 'invalid-selector'
  | 'resource-limit'
  | 'invalid-transaction'
  | 'unknown-delivery'
  | 'client-id-in-use'
  | 'subscription-in-use'
  | 'store-unavailable'
  | 'closed';

export interface AmqConnectOptions {
  readonly username: string;
  readonly password: string;
  /** JMS client id (STOMP `client-id`, MQTT client identifier, AMQP 1.0 container-id). */
  readonly clientId?: string | undefined;
  readonly client?: ClientInfo | undefined;
  /**
   * When `clientId` is in use: close that connection (its onForcedClose listeners are called) and
   * take the id over, as MQTT requires [MQTT-3.1.4-2]; otherwise the connect fails with
   * 'client-id-in-use' (JMS InvalidClientIDException).
   */
  readonly takeOverClientId?: boolean | undefined;
}

/** One client connection to the ActiveMQ engine. */
export interface AmqConnection {
  readonly id: string;
  readonly username: string;
  readonly clientId: string | undefined;
  /**
   * Sends to a queue or topic. Resolves once the message is safe: persistent messages when the
   * store has synced them, others at once. Rejects with AmqError (not-authorized, resource-limit,
   * store-unavailable, invalid-destination). A message accepted at once (nothing to wait for) gets
   * {@link SENT} back, so a session may acknowledge it without waiting a turn.
   */
  send(destination: Destination, message: AmqOutgoing, options?: SendOptions): Promise<void>;
  subscribe(options: SubscribeOptions, deliver: (delivery: AmqDelivery) => void): Promise<Subscription>;
  /**
   * Browses a queue (JMS QueueBrowser, ActiveMQ's `browser:true` / distribution-mode copy): a
   * snapshot of its ready messages in delivery order, selector applied, expired ones left out.
   * Nothing is removed, counted as delivered or charged to any prefetch; messages delivered to a
   * consumer and not yet acknowledged are not shown (as ActiveMQ). At most the engine's
   * `browseMessagesMax` ready messages from the head are looked at (ActiveMQ's maxBrowsePageSize).
   * A queue that does not exist browses empty and is not created. Rejects with AmqError
   * 'invalid-destination' (a topic, a wildcard, a reserved or foreign temporary queue),
   * 'not-authorized' (no read permission) or 'invalid-selector'.
   */
  browse(destination: Destination, options?: BrowseOptions): Promise<readonly AmqBrowsedMessage[]>;
  /** Removes a durable subscription (and its stored messages); refused while it has a consumer. */
  unsubscribeDurable(name: string): Promise<void>;
  /**
   * Changes a stored durable subscription's `expiresAfterMs` (SubscribeOptions) in place, keeping
   * its messages, with or without a consumer attached (MQTT 5: a DISCONNECT changing the session
   * expiry). Rejects with AmqError 'invalid-destination' when no such subscription exists.
   */
  setDurableExpiry(name: string, expiresAfterMs: number | undefined): Promise<void>;
  /**
   * The durable subscriptions of this connection's client id (none without one), as stored: they
   * outlive broker restarts, so a session can re-attach them without the client subscribing again
   * (ActiveMQ's MQTT transport restores a persistent session this way).
   */
  durableSubscriptions(): readonly DurableSubscriptionInfo[];
  /** Settles a delivery (with 'client' mode, also every earlier one of its subscription). */
  ack(token: number, options?: SendOptions): void;
  /** Hands a delivery back: redelivered later, or to ActiveMQ.DLQ past the limit; `poison` sends it there at once. */
  nack(token: number, options?: SendOptions & { readonly poison?: boolean }): void;
  begin(transaction: string): void;
  commit(transaction: string): Promise<void>;
  abort(transaction: string): void;
  /** Creates a temporary queue or topic owned by this connection, deleted when it closes. */
  createTemporary(kind: 'temp-queue' | 'temp-topic'): Destination;
  /** Ends the connection: subscriptions stop, unacknowledged deliveries are redelivered later. */
  close(): Promise<void>;
  /**
   * Takes a JMS client id after connecting without one: AMQP 1.0 authenticates in SASL before its
   * open names the container-id, and a second connect would verify the password twice. Throws
   * AmqError 'client-id-in-use' when another connection has it (or this one has one already).
   */
  setClientId(clientId: string): void;
  /** Called once if the broker ends the connection (key quarantine, shutdown, user deleted). */
  onForcedClose(listener: (reason: string) => void): void;
}

/** The engine as sessions see it. */
export interface AmqEngine {
  /** Authenticates and opens a connection; rejects with AmqError 'not-authorized' (no detail why). */
  connect(options: AmqConnectOptions): Promise<AmqConnection>;
  /** MQTT retained messages: keep (or with null, clear) the one retained message of a topic. */
  retain(topic: string, message: AmqMessage | null): Promise<void>;
  /** The retained messages whose topics match an ActiveMQ topic pattern (`*`, `>`). */
  retained(pattern: string): Promise<ReadonlyArray<{ readonly topic: string; readonly message: AmqMessage }>>;
  /**
   * Runs `listener` when the broker begins to shut down, before any connection is closed: the last
   * moment a session can still send through its open connections (MQTT: the wills of sessions
   * whose network connection is gone). The shutdown waits for it, so it must bound its own work.
   * Returns a function that removes it.
   */
  onShutdown(listener: () => Promise<void>): () => void;
}

/** An engine error; `message` is safe to show the client (no secrets, no message content). */
/** What AmqConnection.send returns for a message accepted at once: an already resolved promise. */
export const SENT: Promise<void> = Promise.resolve();

export class AmqError extends Error {
  readonly code: AmqErrorCode;
  constructor(code: AmqErrorCode, message: string) {
    super(message);
    this.name = 'AmqError';
    this.code = code;
  }
}
