// The MessageStore port: what the broker core needs from durable storage. It owns the shape of
// persistent messages per durable queue (append, ordered reads, removal on acknowledgement, the
// delivery count that makes `redelivered` survive a restart) and of durable definitions (vhosts,
// exchanges, queues, bindings, users, permissions) as opaque JSON records. It leaves to each
// implementation how bytes are laid out and encrypted (src/store for the embedded segment store),
// and to the core how queue names map to the opaque queue ids used here.

import { KeyUnavailableError } from '../crypto/key-provider.ts';

export { KeyUnavailableError };

/**
 * An opaque, stable id the core gives a durable queue (e.g. a random UUID kept in the queue's
 * definition). Stores treat it as secret-bearing metadata: they never write it in plaintext.
 */
export type QueueId = string;

/**
 * A message as the core hands it to the store. Every field is confidential and opaque to the store.
 * The store may read `properties` and `body` until the `append` call settles: do not modify them
 * before (it does not copy them up front, to keep the write path lean).
 */
export interface MessageToStore {
  /** Exchange (AMQP) or destination the message was published to; '' for the default exchange. */
  readonly exchange: string;
  readonly routingKey: string;
  /** The encoded properties and headers (e.g. an AMQP content header's property list), opaque. */
  readonly properties: Uint8Array;
  readonly body: Uint8Array;
}

/** A message as read back. */
export interface StoredMessage extends MessageToStore {
  readonly queueId: QueueId;
  /**
   * Its position in the queue: assigned by `append`, strictly increasing per queue in append order,
   * never reused while the queue has not been deleted. Reads return messages in offset order.
   */
  readonly offset: number;
  /** How many times `recordDelivery` was called for it; > 0 means redelivered (AMQP `redelivered`). */
  readonly deliveryCount: number;
}

/** One message for one queue; a message routed to several queues is one entry per queue. */
export interface AppendEntry {
  readonly queueId: QueueId;
  readonly message: MessageToStore;
  /**
   * Deliveries already made (a message handed to a consumer while its append was still on its
   * way): stored as its delivery count, so no separate `recordDelivery` (and sync) is needed.
   * Default 0.
   */
  readonly deliveryCount?: number;
}

export interface QueueStats {
  /** Live (appended and not removed) messages. */
  readonly messageCount: number;
  /** Sum of body lengths of live messages. */
  readonly bodyBytes: number;
  /** The offset the next append to this queue will get. */
  readonly nextOffset: number;
}

/** Kinds of durable definitions. */
export const DefinitionKind = {
  VHOST: 'vhost',
  EXCHANGE: 'exchange',
  QUEUE: 'queue',
  BINDING: 'binding',
  USER: 'user',
  PERMISSION: 'permission',
  POLICY: 'policy',
} as const;
export type DefinitionKind = (typeof DefinitionKind)[keyof typeof DefinitionKind];

export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** A durable definition: typed by kind, keyed by name (unique within its kind), body opaque JSON. */
export interface Definition {
  readonly kind: DefinitionKind;
  /** Unique within the kind; the core composes it (e.g. `vhost/queue-name`, or a binding's key). */
  readonly name: string;
  readonly record: JsonValue;
}

/**
 * Durable storage for one broker. All methods that change state resolve only once the change is
 * durable (on disk, fsynced, for a file store): the core confirms to the publisher after `append`
 * resolves. Concurrent calls are allowed and are batched into one sync (group commit).
 *
 * Errors: `KeyUnavailableError` when the KMS refuses the keys the store needs (an operating state;
 * nothing is lost, retry once the key is usable); `StoreCorruptionError` when stored bytes fail
 * authentication (never returned as data); `StoreClosedError` after `close`.
 */
export interface MessageStore {
  /**
   * Appends messages, each to its queue, and resolves with each one's offset (same order as
   * `entries`) once all are durable. Entries for one queue keep their order.
   */
  append(entries: readonly AppendEntry[]): Promise<number[]>;
  /** Live messages of `queueId` with `offset >= fromOffset`, in offset order, at most `limit`. */
  read(queueId: QueueId, fromOffset: number, limit: number): Promise<StoredMessage[]>;
  /** Iterates the live messages of `queueId` from `fromOffset` in order, reading in pages. */
  iterate(queueId: QueueId, fromOffset?: number): AsyncIterable<StoredMessage>;
  /**
   * Removes messages (acknowledged, or dropped by TTL/max-length); resolves with how many were live.
   * Unknown or already removed offsets are ignored (idempotent, as redelivered acks can race).
   * The removal takes effect at once (reads no longer return the messages); like every change it
   * resolves once durable, but a store may hold it back for a short, bounded time to share the sync
   * of the next write: a removal lost in a crash only brings an acknowledged message back as
   * redelivered, which at-least-once delivery allows (RabbitMQ and ActiveMQ do not sync acks either).
   */
  remove(queueId: QueueId, offsets: readonly number[]): Promise<number>;
  /**
   * Durably adds one to the delivery count of each live message given (before it is sent); an
   * offset listed twice counts once; unknown offsets are ignored.
   */
  recordDelivery(queueId: QueueId, offsets: readonly number[]): Promise<void>;
  /** Removes every live message of the queue; resolves with how many there were. */
  purge(queueId: QueueId): Promise<number>;
  /** Removes the queue and all its messages; a later append to the same id starts a new queue. Idempotent. */
  deleteQueue(queueId: QueueId): Promise<void>;
  /** Ids of queues that have live messages or a recorded offset (appended to and not deleted). */
  queueIds(): Promise<QueueId[]>;
  /** Counts for a queue; an unknown queue has zeros. */
  queueStats(queueId: QueueId): Promise<QueueStats>;

  /** Creates or replaces a definition. */
  putDefinition(definition: Definition): Promise<void>;
  /** Deletes a definition; resolves with whether it existed. */
  deleteDefinition(kind: DefinitionKind, name: string): Promise<boolean>;
  getDefinition(kind: DefinitionKind, name: string): Promise<Definition | undefined>;
  /** All definitions of a kind (or of every kind), sorted by kind then name. */
  listDefinitions(kind?: DefinitionKind): Promise<Definition[]>;

  /** Flushes, releases keys (zeroed) and files. Later calls reject with `StoreClosedError`. */
  close(): Promise<void>;
}

/** Why stored bytes were rejected. Stable codes; no detail that could serve as an oracle. */
export const CorruptionReason = {
  /** A record or header failed authentication (tampered, moved, reordered, replayed, other broker). */
  AUTHENTICATION_FAILED: 'AUTHENTICATION_FAILED',
  /** The framing is impossible (bad magic, length out of bounds, unknown version). */
  MALFORMED: 'MALFORMED',
  /** A sealed file ends early or is missing its seal: whole records were cut off. */
  TRUNCATED: 'TRUNCATED',
  /** A file the store's own authenticated metadata says must exist is missing. */
  MISSING_FILE: 'MISSING_FILE',
} as const;
export type CorruptionReason = (typeof CorruptionReason)[keyof typeof CorruptionReason];

/**
 * Stored data failed verification. The store fails stop: the bytes are never returned, and the
 * error names the file (relative to the data directory) and the byte offset of the bad record.
 */
export class StoreCorruptionError extends Error {
  readonly code = 'STORE_CORRUPTION';
  constructor(
    readonly reason: CorruptionReason,
    /** File relative to the store's data directory; no secret in it (file names are opaque). */
    readonly file: string,
    /** Byte offset of the record (or header) that failed. */
    readonly offset: number,
  ) {
    super(`store corruption (${reason}) in ${file} at offset ${offset}`);
    this.name = 'StoreCorruptionError';
  }
}

/** The store was closed, or failed stop after an I/O or corruption error. */
export class StoreClosedError extends Error {
  readonly code = 'STORE_CLOSED';
  constructor(message = 'message store is closed') {
    super(message);
    this.name = 'StoreClosedError';
  }
}
