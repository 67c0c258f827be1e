// One queue: ready messages (by priority when x-max-priority is set), consumers and the choice of
// who gets the next message (consumer priorities, round robin, single active consumer), message
// TTL (expired at the head only, as classic queues do), max-length overflow, queue expiry
// (x-expires) and auto-delete. Routing, dead-letter routing and deletion are the vhost's job
// (through QueueHost); delivery tags, prefetch and acknowledgements are the channel's.

import type { Clock, TimerHandle } from './clock.ts';
import type { Binding } from './exchange.ts';
import { MessageDeque } from './message-deque.ts';
import type { QueueId, StoredMessage } from './message-store.ts';
import type { Persister } from './persister.ts';
import type { QueueArguments } from './queue-arguments.ts';
import { QueuedMessage, type CoreMessage, type MessageFilter } from './queued-message.ts';
import type { HeaderTable } from './types.ts';

export type DeathReason = 'rejected' | 'expired' | 'maxlen' | 'delivery_limit';

/** The channel side of a consumer, as the queue sees it. */
export interface ConsumerOwner {
  /** Whether this consumer may take one more message now (prefetch, flow). */
  canDeliver(consumer: Consumer): boolean;
  /**
   * Hands a message to a consumer. `recorded`, when given, settles once the delivery is durably
   * recorded in the store; a channel that must not send before that waits for it.
   */
  deliver(consumer: Consumer, queued: QueuedMessage, redelivered: boolean, recorded: Promise<unknown> | undefined): void;
  /** The queue went away (deleted or expired): the consumer is gone (consumer cancel notify). */
  consumerCancelled(consumer: Consumer): void;
}

export interface Consumer {
  readonly tag: string;
  readonly queue: Queue;
  readonly owner: ConsumerOwner;
  readonly noAck: boolean;
  readonly exclusive: boolean;
  readonly priority: number;
  /** Per-consumer prefetch (basic.qos global=false at consume time); 0 = unlimited. */
  readonly prefetch: number;
  unacked: number;
  /**
   * A consumer filter (ActiveMQ selector): messages it does not select stay in the queue for other
   * consumers, in order. Absent for AMQP 0-9-1 consumers, whose dispatch keeps its fast path.
   */
  readonly filter?: MessageFilter | undefined;
  /**
   * Credit-based flow (AMQP 1.0 link credit): when set, deliveries left before the consumer must
   * be given more; replaces the prefetch check. Undefined = prefetch-based flow.
   */
  credit?: number | undefined;
  /**
   * Engines (ActiveMQ subscriptions): once the prefetch is full, the consumer is topped up only
   * when this many are free again, or REFILL_WAIT_MS after the first is freed, so deliveries go out
   * in bursts rather than one per acknowledgement. 0 or absent: a freed slot is filled at once.
   */
  readonly refillBatch?: number | undefined;
  /** Set while a full prefetch waits for `refillBatch` free slots (channel-owned). */
  refillHeld?: boolean;
  /** The bounded wait of a held refill (channel-owned). */
  refillTimer?: NodeJS.Timeout | undefined;
}

/** What a queue needs from its vhost. */
export interface QueueHost {
  readonly clock: Clock;
  readonly persister: Persister;
  deadLetter(queue: Queue, messages: readonly QueuedMessage[], reason: DeathReason): void;
  /** x-expires ran out, or an auto-delete queue lost its last consumer: delete it. */
  deleteUnusedQueue(queue: Queue): void;
}

export interface QueueOptions {
  readonly durable: boolean;
  /** Connection id of the owner of an exclusive queue. */
  readonly exclusiveOwner: string | undefined;
  readonly autoDelete: boolean;
  readonly args: HeaderTable;
  readonly parsed: QueueArguments;
}

export type OfferResult = 'accepted' | 'rejected' | Promise<boolean>;

/** Most messages recorded as delivered ahead of their delivery, per drain. */
const RECORD_AHEAD_MAX = 1024;

export class Queue {
  readonly kind = 'queue' as const;
  readonly durable: boolean;
  readonly exclusiveOwner: string | undefined;
  readonly autoDelete: boolean;
  /** Fixed at declare, except x-expires, which an engine may change in place (setExpires). */
  args: HeaderTable;
  arguments: QueueArguments;
  readonly inbound = new Set<Binding>();
  /** Consumers in registration order. */
  readonly consumers: Consumer[] = [];
  unackedCount = 0;
  deleted = false;
  /**
   * Set by a protocol engine, not by queue arguments: messages it rejects are not enqueued (topic
   * subscription selectors, noLocal, what a dead-letter queue keeps). Not persisted: the engine
   * installs it again after a restart.
   */
  admit: MessageFilter | undefined = undefined;
  /**
   * Deliveries after which a requeued message is dead-lettered (reason delivery_limit), set by a
   * protocol engine (ActiveMQ's maximumRedeliveries) for any queue type; x-delivery-limit of a
   * quorum queue takes precedence. Not persisted, like `admit`.
   */
  internalDeliveryLimit: number | undefined = undefined;
  /**
   * Set by a protocol engine: called once when the queue is deleted, whatever deleted it (x-expires,
   * auto-delete, queue.delete), so that the engine can forget it. Not persisted, like `admit`.
   */
  onDeleted: (() => void) | undefined = undefined;

  readonly #host: QueueHost;
  /** One deque per priority level, highest last; one when the queue has no x-max-priority. */
  readonly #levels: MessageDeque[];
  #readyCount = 0;
  #readyBytes = 0;
  #nextSeq = 0;
  #roundRobin = 0;
  #hadConsumer = false;
  #mixedPriorities = false;
  /** Consumers with a filter: while > 0, dispatch scans past messages nobody selects. */
  #filteredConsumers = 0;
  /**
   * With filters: the last full scan looked at every ready message while some consumer still had
   * capacity, so each one left is selected by no consumer able to take it. Until anything but an
   * offer changes that (a consumer, capacity, a requeue: each of which drains fully), an offered
   * message is the only one to try, which keeps a backlog nobody selects from costing O(n) a publish.
   */
  #filterScanClean = false;
  #draining = false;
  #drainAgain = false;
  #expiryTimer: TimerHandle | undefined;
  #expiryDueMs = Infinity;
  #unusedTimer: TimerHandle | undefined;

  constructor(
    host: QueueHost,
    readonly vhost: string,
    readonly name: string,
    /** Opaque store id; never the name. */
    readonly id: QueueId,
    options: QueueOptions,
  ) {
    this.#host = host;
    this.durable = options.durable;
    this.exclusiveOwner = options.exclusiveOwner;
    this.autoDelete = options.autoDelete;
    this.args = options.args;
    this.arguments = options.parsed;
    const levels = (options.parsed.maxPriority ?? 0) + 1;
    this.#levels = Array.from({ length: levels }, () => new MessageDeque());
    this.touch();
  }

  /** Whether persistent messages routed here go to the store (exclusive queues die with their connection). */
  get storesMessages(): boolean {
    return this.durable && this.exclusiveOwner === undefined;
  }

  /** Ready messages (basic.get-ok / queue.declare-ok message-count). */
  get messageCount(): number {
    return this.#readyCount;
  }

  get readyBytes(): number {
    return this.#readyBytes;
  }

  get consumerCount(): number {
    return this.consumers.length;
  }

  /**
   * Routes one message into this queue: 'rejected' when x-overflow=reject-publish* refuses it,
   * 'accepted' when it is held in memory only, or a promise that settles once its append is durable.
   */
  offer(message: CoreMessage): OfferResult {
    if (this.admit !== undefined && !this.admit(message, 0)) return 'accepted';
    const { maxLength, maxLengthBytes, overflow } = this.arguments;
    if (overflow !== 'drop-head' && this.#isFull(message.body.length)) {
      if (overflow === 'reject-publish-dlx') {
        this.#host.deadLetter(this, [this.#newQueued(message, false)], 'maxlen');
      }
      return 'rejected';
    }
    const queued = this.#newQueued(message, this.storesMessages && message.view.persistent);
    const result: OfferResult = queued.stored ? this.#host.persister.append(queued) : 'accepted';
    this.#pushReady(queued);
    if (this.#filteredConsumers > 0 && this.#filterScanClean && !this.#draining && !this.deleted) this.#offerFiltered(queued);
    else this.drain();
    if (overflow === 'drop-head' && (maxLength !== undefined || maxLengthBytes !== undefined)) this.#dropHeadOverLimits();
    return result;
  }

  #isFull(incomingBytes: number): boolean {
    const { maxLength, maxLengthBytes } = this.arguments;
    return (
      (maxLength !== undefined && this.#readyCount >= maxLength) ||
      (maxLengthBytes !== undefined && this.#readyBytes + incomingBytes > maxLengthBytes)
    );
  }

  #newQueued(message: CoreMessage, stored: boolean): QueuedMessage {
    const ttl = minDefined(this.arguments.messageTtlMs, message.ttlMs);
    const expiresAt = ttl === undefined ? Infinity : this.#host.clock.now() + ttl;
    return new QueuedMessage(message, this.id, this.#nextSeq++, expiresAt, 0, stored, this.#priorityLevel(message));
  }

  #priorityLevel(message: CoreMessage): number {
    const max = this.#levels.length - 1;
    if (max === 0) return 0;
    const priority = message.view.priority ?? 0;
    return Math.max(0, Math.min(max, Math.trunc(priority)));
  }

  /** Puts a message recovered from the store back (in offset order). */
  restore(stored: StoredMessage, message: CoreMessage): void {
    const ttl = minDefined(this.arguments.messageTtlMs, message.ttlMs);
    // The store keeps no enqueue time: a recovered message's TTL runs from recovery.
    const expiresAt = ttl === undefined ? Infinity : this.#host.clock.now() + ttl;
    const queued = new QueuedMessage(message, this.id, this.#nextSeq++, expiresAt, stored.deliveryCount, true, this.#priorityLevel(message));
    queued.offset = stored.offset;
    if (stored.deliveryCount > 0) queued.recordedInStore = true;
    this.#pushReady(queued);
  }

  #pushReady(queued: QueuedMessage): void {
    this.#levels[queued.priority]!.push(queued);
    this.#readyCount++;
    this.#readyBytes += queued.bodyBytes;
  }

  #takeHead(level: MessageDeque): QueuedMessage {
    const queued = level.shift()!;
    this.#readyCount--;
    this.#readyBytes -= queued.bodyBytes;
    return queued;
  }

  /** Highest non-empty priority level. */
  #headLevel(): MessageDeque | undefined {
    for (let i = this.#levels.length - 1; i >= 0; i--) if (this.#levels[i]!.length > 0) return this.#levels[i];
    return undefined;
  }

  /**
   * Takes the next deliverable message. A head whose expiry is strictly past is expired; one that
   * expires exactly now is still deliverable, which gives TTL 0 its meaning ("expire unless it can
   * be delivered at once", docs/ttl.md).
   */
  #shiftLive(expired: QueuedMessage[]): QueuedMessage | undefined {
    for (;;) {
      const level = this.#headLevel();
      if (level === undefined) return undefined;
      const queued = this.#takeHead(level);
      if (queued.expiresAt !== Infinity && queued.expiresAt < this.#host.clock.now()) expired.push(queued);
      else return queued;
    }
  }

  /** Expires messages at the head of each level whose time has come (heads only, as classic queues). */
  #expireHeads(): void {
    let expired: QueuedMessage[] | undefined;
    for (const level of this.#levels) {
      for (let head = level.peek(); head !== undefined && head.expiresAt !== Infinity && head.expiresAt <= this.#host.clock.now(); head = level.peek()) {
        (expired ??= []).push(this.#takeHead(level));
      }
    }
    if (expired !== undefined) this.#dispose(expired, 'expired');
  }

  #dropHeadOverLimits(): void {
    const dropped: QueuedMessage[] = [];
    const { maxLength, maxLengthBytes } = this.arguments;
    while (
      this.#readyCount > 0 &&
      ((maxLength !== undefined && this.#readyCount > maxLength) || (maxLengthBytes !== undefined && this.#readyBytes > maxLengthBytes))
    ) {
      // The oldest message goes first, whatever its priority (lowest level's head).
      const level = this.#levels.find((l) => l.length > 0)!;
      dropped.push(this.#takeHead(level));
    }
    this.#dispose(dropped, 'maxlen');
  }

  /** Messages leaving the queue for good: out of the store, then dead-lettered if configured. */
  #dispose(messages: QueuedMessage[], reason: DeathReason): void {
    if (messages.length === 0) return;
    for (const queued of messages) this.#host.persister.remove(queued);
    if (this.arguments.deadLetterExchange !== undefined) this.#host.deadLetter(this, messages, reason);
  }

  /** Delivers ready messages to consumers with capacity, until one side runs out. */
  drain(): void {
    if (this.deleted) return;
    if (this.#draining) {
      this.#drainAgain = true;
      return;
    }
    this.#draining = true;
    const expired: QueuedMessage[] = [];
    if (this.#readyCount === 0 || this.consumers.length === 0) {
      this.#draining = false;
      if (this.#readyCount > 0) {
        this.#expireHeads();
        this.#scheduleExpiry();
      }
      return;
    }
    let delivered = 0;
    try {
      do {
        this.#drainAgain = false;
        if (this.#filteredConsumers > 0) {
          delivered += this.#drainFiltered(expired);
          continue;
        }
        while (this.#readyCount > 0 && this.consumers.length > 0) {
          const consumer = this.#pickConsumer();
          if (consumer === undefined) break;
          const queued = this.#shiftLive(expired);
          if (queued === undefined) break;
          this.#deliver(consumer, queued);
          if (!consumer.noAck) delivered++;
        }
      } while (this.#drainAgain && !this.deleted);
    } finally {
      this.#draining = false;
    }
    // Pipeline the delivery records: record as many messages ahead as were just delivered, so
    // the next window goes out without waiting for a sync of its own.
    if (delivered > 0 && this.storesMessages) {
      const head = this.#headLevel();
      const ahead = Math.min(delivered, RECORD_AHEAD_MAX);
      for (let i = 0; head !== undefined && i < ahead; i++) {
        const next = head.at(i);
        if (next === undefined) break;
        this.#host.persister.recordAhead(next);
      }
    }
    this.#dispose(expired, 'expired');
    if (this.deleted) return;
    this.#expireHeads();
    this.#scheduleExpiry();
  }

  /**
   * Dispatch with consumer filters: each ready message, in order (highest priority level first),
   * goes to a consumer with capacity that selects it; a message nobody selects stays where it is
   * and the scan moves past it. Stops when no consumer can take more. Returns the deliveries made
   * with acknowledgement.
   */
  #drainFiltered(expired: QueuedMessage[]): number {
    let delivered = 0;
    const now = this.#host.clock.now();
    this.#filterScanClean = false;
    for (let l = this.#levels.length - 1; l >= 0; l--) {
      const level = this.#levels[l]!;
      let i = 0;
      while (i < level.length && this.consumers.length > 0 && !this.deleted) {
        if (!this.#anyCanDeliver()) return delivered;
        const queued = level.at(i)!;
        if (queued.expiresAt !== Infinity && queued.expiresAt < now) {
          level.removeAt(i);
          this.#readyCount--;
          this.#readyBytes -= queued.bodyBytes;
          expired.push(queued);
          continue;
        }
        const consumer = this.#pickConsumerFor(queued);
        if (consumer === undefined) {
          i++;
          continue;
        }
        level.removeAt(i);
        this.#readyCount--;
        this.#readyBytes -= queued.bodyBytes;
        this.#deliver(consumer, queued);
        if (!consumer.noAck) delivered++;
      }
    }
    this.#filterScanClean = this.consumers.length > 0 && this.#anyCanDeliver();
    return delivered;
  }

  /** A fresh message on a queue whose backlog nobody can take (see #filterScanClean): try it alone. */
  #offerFiltered(queued: QueuedMessage): void {
    const consumer = this.#pickConsumerFor(queued);
    if (consumer !== undefined) {
      const level = this.#levels[queued.priority]!;
      const last = level.length - 1;
      // The offered message is its level's tail unless a requeue put older ones behind it.
      const index = level.at(last) === queued ? last : [...level].indexOf(queued);
      if (index >= 0) {
        level.removeAt(index);
        this.#readyCount--;
        this.#readyBytes -= queued.bodyBytes;
        this.#deliver(consumer, queued);
        // Capacity may be used up now: the next change drains fully again.
        if (!this.#anyCanDeliver()) this.#filterScanClean = false;
      }
    }
    this.#expireHeads();
    this.#scheduleExpiry();
  }

  #anyCanDeliver(): boolean {
    for (const consumer of this.consumers) if (consumer.owner.canDeliver(consumer)) return true;
    return false;
  }

  /** The consumer for one message under filters: highest priority, round robin among equals. */
  #pickConsumerFor(queued: QueuedMessage): Consumer | undefined {
    const n = this.arguments.singleActiveConsumer ? Math.min(1, this.consumers.length) : this.consumers.length;
    let best: Consumer | undefined;
    let bestIndex = -1;
    for (let k = 0; k < n; k++) {
      const index = this.arguments.singleActiveConsumer ? 0 : (this.#roundRobin + k) % n;
      const consumer = this.consumers[index]!;
      if (best !== undefined && consumer.priority <= best.priority) continue;
      if (!consumer.owner.canDeliver(consumer)) continue;
      if (consumer.filter !== undefined && !consumer.filter(queued.message, queued.deliveryCount)) continue;
      best = consumer;
      bestIndex = index;
    }
    if (best !== undefined && n > 0) this.#roundRobin = (bestIndex + 1) % n;
    return best;
  }

  #deliver(consumer: Consumer, queued: QueuedMessage): void {
    const redelivered = queued.deliveryCount > 0;
    queued.deliveryCount++;
    let recorded: Promise<unknown> | undefined;
    if (consumer.noAck) {
      this.#host.persister.remove(queued);
    } else {
      this.unackedCount++;
      recorded = this.#host.persister.recordDelivery(queued);
    }
    consumer.owner.deliver(consumer, queued, redelivered, recorded);
  }

  /**
   * The consumer for the next message: with x-single-active-consumer the earliest registered one
   * only; otherwise the highest-priority consumer with capacity, round robin among equals.
   */
  #pickConsumer(): Consumer | undefined {
    if (this.arguments.singleActiveConsumer) {
      const active = this.consumers[0];
      return active !== undefined && active.owner.canDeliver(active) ? active : undefined;
    }
    const n = this.consumers.length;
    if (!this.#mixedPriorities) {
      // The common case: everyone has the same priority, so the first able one in turn wins.
      for (let k = 0; k < n; k++) {
        const index = (this.#roundRobin + k) % n;
        const consumer = this.consumers[index]!;
        if (consumer.owner.canDeliver(consumer)) {
          this.#roundRobin = (index + 1) % n;
          return consumer;
        }
      }
      return undefined;
    }
    let best: Consumer | undefined;
    let bestIndex = -1;
    for (let k = 0; k < n; k++) {
      const index = (this.#roundRobin + k) % n;
      const consumer = this.consumers[index]!;
      if ((best === undefined || consumer.priority > best.priority) && consumer.owner.canDeliver(consumer)) {
        best = consumer;
        bestIndex = index;
      }
    }
    if (best !== undefined) this.#roundRobin = (bestIndex + 1) % n;
    return best;
  }

  /**
   * The ready messages in dispatch order (highest priority level first, then position), for
   * browsing (ActiveMQ's QueueBrowser): nothing is taken, counted, recorded or expired. Unacked
   * messages are not ready and not listed. The queue must not change while the caller iterates.
   */
  *readyMessages(): IterableIterator<QueuedMessage> {
    for (let l = this.#levels.length - 1; l >= 0; l--) yield* this.#levels[l]!;
  }

  /** basic.get: the next message, or undefined; `noAck` removes it at once. */
  get(noAck: boolean): { queued: QueuedMessage; redelivered: boolean } | undefined {
    this.touch();
    const expired: QueuedMessage[] = [];
    const queued = this.#shiftLive(expired);
    this.#dispose(expired, 'expired');
    if (queued === undefined) {
      this.#scheduleExpiry();
      return undefined;
    }
    const redelivered = queued.deliveryCount > 0;
    queued.deliveryCount++;
    if (noAck) this.#host.persister.remove(queued);
    else {
      this.unackedCount++;
      this.#host.persister.recordDelivery(queued);
    }
    this.#expireHeads();
    this.#scheduleExpiry();
    return { queued, redelivered };
  }

  /** An acknowledgement for a message delivered from this queue. */
  ack(queued: QueuedMessage): void {
    if (this.deleted) return;
    this.unackedCount--;
    this.#host.persister.remove(queued);
  }

  /** Requeues unacknowledged messages at their original positions, marked redelivered. */
  requeue(messages: readonly QueuedMessage[]): void {
    if (this.deleted || messages.length === 0) return;
    const limit = this.arguments.deliveryLimit ?? this.internalDeliveryLimit;
    let overLimit: QueuedMessage[] | undefined;
    for (const queued of messages) {
      this.unackedCount--;
      if (limit !== undefined && queued.deliveryCount > limit) {
        (overLimit ??= []).push(queued);
        continue;
      }
      this.#levels[queued.priority]!.insertBySeq(queued);
      this.#readyCount++;
      this.#readyBytes += queued.bodyBytes;
    }
    if (overLimit !== undefined) this.#dispose(overLimit, 'delivery_limit');
    this.drain();
  }

  /** basic.reject / basic.nack without requeue: dead-letter (reason rejected) or drop. */
  discard(messages: readonly QueuedMessage[]): void {
    if (this.deleted || messages.length === 0) return;
    this.unackedCount -= messages.length;
    this.#dispose([...messages], 'rejected');
  }

  #updatePriorities(): void {
    const first = this.consumers[0]?.priority;
    this.#mixedPriorities = this.consumers.some((c) => c.priority !== first);
    let filtered = 0;
    for (const c of this.consumers) if (c.filter !== undefined) filtered++;
    this.#filteredConsumers = filtered;
    this.#filterScanClean = false;
  }

  addConsumer(consumer: Consumer): void {
    this.consumers.push(consumer);
    this.#updatePriorities();
    this.#hadConsumer = true;
    this.touch();
    this.drain();
  }

  removeConsumer(consumer: Consumer): void {
    const index = this.consumers.indexOf(consumer);
    if (index < 0) return;
    this.consumers.splice(index, 1);
    this.#updatePriorities();
    if (this.#roundRobin > index) this.#roundRobin--;
    this.touch();
    if (this.autoDelete && this.#hadConsumer && this.consumers.length === 0) {
      this.#host.deleteUnusedQueue(this);
      return;
    }
    // With a single active consumer, the next one takes over now.
    if (this.consumers.length > 0) this.drain();
  }

  /** Removes every ready message (queue.purge); unacknowledged ones stay. Returns how many. */
  purge(): number {
    const purged: QueuedMessage[] = [];
    for (const level of this.#levels) purged.push(...level.clear());
    this.#readyCount = 0;
    this.#readyBytes = 0;
    for (const queued of purged) this.#host.persister.remove(queued);
    this.#scheduleExpiry();
    return purged.length;
  }

  /** Marks the queue used: restarts the x-expires countdown (declare, consume, cancel, get). */
  touch(): void {
    const expiresMs = this.arguments.expiresMs;
    if (expiresMs === undefined || this.deleted) return;
    if (this.#unusedTimer !== undefined) this.#host.clock.clearTimeout(this.#unusedTimer);
    this.#unusedTimer = undefined;
    if (this.consumers.length > 0) return;
    this.#unusedTimer = this.#host.clock.setTimeout(() => {
      this.#unusedTimer = undefined;
      if (!this.deleted && this.consumers.length === 0) this.#host.deleteUnusedQueue(this);
    }, expiresMs);
  }

  #scheduleExpiry(): void {
    let due = Infinity;
    for (const level of this.#levels) {
      const head = level.peek();
      if (head !== undefined && head.expiresAt < due) due = head.expiresAt;
    }
    if (due === this.#expiryDueMs) return;
    if (this.#expiryTimer !== undefined) this.#host.clock.clearTimeout(this.#expiryTimer);
    this.#expiryTimer = undefined;
    this.#expiryDueMs = due;
    if (due === Infinity) return;
    this.#expiryTimer = this.#host.clock.setTimeout(() => {
      this.#expiryTimer = undefined;
      this.#expiryDueMs = Infinity;
      // A timer has no caller to throw to: report instead of crashing the process.
      try {
        this.drain();
      } catch (error) {
        this.#host.persister.onError(error);
      }
    }, due - this.#host.clock.now());
  }

  /**
   * Changes x-expires in place, messages and consumers untouched (RabbitMQ's MQTT plugin does so
   * when a session's expiry changes); the countdown starts again with the new value. The vhost
   * validates the arguments and stores the definition (Vhost.setQueueExpires).
   */
  setExpires(args: HeaderTable, parsed: QueueArguments): void {
    this.args = args;
    this.arguments = parsed;
    if (this.#unusedTimer !== undefined) this.#host.clock.clearTimeout(this.#unusedTimer);
    this.#unusedTimer = undefined;
    this.touch();
  }

  /** Stops the TTL and x-expires timers (broker shutdown); the queue stays as it is. */
  stopTimers(): void {
    if (this.#expiryTimer !== undefined) this.#host.clock.clearTimeout(this.#expiryTimer);
    if (this.#unusedTimer !== undefined) this.#host.clock.clearTimeout(this.#unusedTimer);
    this.#expiryTimer = undefined;
    this.#unusedTimer = undefined;
    this.#expiryDueMs = Infinity;
  }

  /** Marks the queue deleted, stops its timers and cancels its consumers; returns the ready count. */
  close(): number {
    if (this.deleted) return 0;
    const count = this.#readyCount;
    this.deleted = true;
    if (this.#expiryTimer !== undefined) this.#host.clock.clearTimeout(this.#expiryTimer);
    if (this.#unusedTimer !== undefined) this.#host.clock.clearTimeout(this.#unusedTimer);
    for (const level of this.#levels) level.clear();
    this.#readyCount = 0;
    this.#readyBytes = 0;
    const consumers = this.consumers.splice(0);
    for (const consumer of consumers) consumer.owner.consumerCancelled(consumer);
    const onDeleted = this.onDeleted;
    this.onDeleted = undefined;
    onDeleted?.();
    return count;
  }
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}
