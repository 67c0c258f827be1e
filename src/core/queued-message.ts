// A message as the core holds it: `CoreMessage` is shared by every queue it was routed to;
// `QueuedMessage` is its entry in one queue (position, expiry, delivery count, store offset).

import type { QueueId } from './message-store.ts';
import type { MessageView } from './types.ts';

export interface CoreMessage {
  readonly exchange: string;
  readonly routingKey: string;
  readonly properties: Uint8Array;
  readonly body: Uint8Array;
  readonly view: MessageView;
  /** Parsed per-message expiration, ms. */
  readonly ttlMs: number | undefined;
}

/**
 * A predicate on messages installed by a protocol engine (ActiveMQ selectors, noLocal): as a
 * consumer filter it leaves non-matching messages for other consumers; as a queue's admission
 * filter it keeps non-matching ones out. `deliveryCount` is the deliveries so far (0 when fresh).
 */
export type MessageFilter = (message: CoreMessage, deliveryCount: number) => boolean;

export class QueuedMessage {
  /** Store offset once appended; undefined while the append is in flight or for in-memory messages. */
  offset: number | undefined = undefined;
  /** Whether the message lives in the store (persistent message on a durable queue). */
  stored: boolean;
  /** Acknowledged or dropped before its append resolved: removed from the store once it does. */
  removed = false;
  /** Delivered (with acknowledgement) before its append resolved: recorded once it does. */
  deliveredBeforeStored = false;
  /**
   * The store's delivery count for this message is (or will be, once the promise settles) above
   * zero: true when recovered with a count, else the promise of the record in flight. Later
   * deliveries need no new record, since only "more than zero" matters for `redelivered`.
   */
  recordedInStore: Promise<unknown> | true | undefined = undefined;

  constructor(
    readonly message: CoreMessage,
    readonly queueId: QueueId,
    /** Position in its queue: requeued messages go back by this order. */
    readonly seq: number,
    /** Absolute expiry time in ms, Infinity when none; kept across requeues (docs/ttl.md). */
    readonly expiresAt: number,
    public deliveryCount: number,
    stored: boolean,
    readonly priority: number,
  ) {
    this.stored = stored;
  }

  get bodyBytes(): number {
    return this.message.body.length;
  }
}
