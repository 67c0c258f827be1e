// The session-facing API: a BrokerConnection (one client connection on one vhost, owner of its
// exclusive queues) and its ConsumerChannels. A channel owns what AMQP scopes to a channel:
// delivery tags (from 1), the unacknowledged map, prefetch (RabbitMQ: basic.qos global=false per
// consumer, global=true per channel, both enforced), consumers, transactions, and the permission
// check each operation needs (docs/access-control.md). It never sees frames: the session turns
// method frames into these calls and BrokerErrors into channel.close/connection.close.

import { randomBytes } from 'node:crypto';
import { brokerError, describeResource, type BrokerError } from './errors.ts';
import type { Consumer, ConsumerOwner, Queue } from './queue.ts';
import { parseExpiration } from './queue-arguments.ts';
import type { CoreMessage, MessageFilter, QueuedMessage } from './queued-message.ts';
import type { Permission, UserRegistry } from './users.ts';
import type { ExchangeDeclaration, PublishOutcome, QueueDeclaration, QueueDeclareResult, Vhost } from './vhost.ts';
import type { BrokerCounters, BrokerLimits, Delivery, HeaderTable, PublishedMessage } from './types.ts';

/** Callbacks a session gives each channel. Called synchronously from core operations. */
export interface ChannelHandler {
  /** A message for one of this channel's consumers (basic.deliver). */
  deliver(delivery: Delivery): void;
  /** The broker cancelled a consumer (its queue was deleted): basic.cancel to the client. */
  consumerCancelled(consumerTag: string): void;
}

/** What connections and channels need from the broker. */
export interface ConnectionContext {
  readonly limits: BrokerLimits;
  readonly users: UserRegistry;
  readonly counters: BrokerCounters;
  /**
   * Whether a delivery of a stored message waits until its delivery record is durable before it
   * goes to the session, so that `redelivered` is right after a crash at any moment.
   */
  readonly awaitDeliveryRecord: boolean;
  connectionClosed(connection: BrokerConnection): void;
  /** A permission check failed (for the audit trail). */
  permissionRefused(connection: BrokerConnection, permission: Permission, kind: 'queue' | 'exchange'): void;
}

/** How long a held prefetch refill (Consumer.refillBatch) waits at most after a slot is freed. */
const REFILL_WAIT_MS = 2;

interface OutboxEntry {
  readonly delivery: Delivery;
  readonly consumer: Consumer;
  ready: boolean;
}

interface Unacked {
  readonly queued: QueuedMessage;
  readonly queue: Queue;
  readonly consumer: Consumer | undefined;
  /** Settled inside an open transaction, applied on commit. */
  pendingTx: boolean;
}

type TxSettlement = { readonly tag: number; readonly action: 'ack' | 'requeue' | 'discard' };

interface TxState {
  publishes: Array<{ readonly message: PublishedMessage; readonly mandatory: boolean; readonly exchangeName: string }>;
  settlements: TxSettlement[];
}

/** Result of tx.commit: the mandatory publishes that found no queue (basic.return, in order). */
export interface TxCommitResult {
  readonly returned: readonly PublishedMessage[];
}

export interface ConsumeOptions {
  readonly queue: string;
  /** Empty or absent: the broker makes one (`amq.ctag-…`). */
  readonly consumerTag?: string;
  readonly noAck?: boolean;
  readonly exclusive?: boolean;
  /** basic.consume arguments; `x-priority` sets the consumer priority. */
  readonly args?: HeaderTable;
  /** Protocol engines: this consumer's prefetch instead of the channel's basic.qos (0 = unlimited). */
  readonly prefetch?: number;
  /** Protocol engines: messages the filter does not select stay for other consumers (ActiveMQ selectors). */
  readonly filter?: MessageFilter;
  /** Protocol engines: start with credit-based flow (see `setCredit`). */
  readonly credit?: number;
  /** Protocol engines: top a full prefetch up in bursts of this many (see Consumer.refillBatch). */
  readonly refillBatch?: number;
}

/** Engine-set behaviour of a queue that is not a queue argument (see Queue.admit, Queue.internalDeliveryLimit). */
export interface QueueBehaviour {
  readonly admit?: MessageFilter | undefined;
  readonly deliveryLimit?: number | undefined;
  /** Called once when the queue is deleted (expired, auto-deleted or deleted). */
  readonly onDeleted?: (() => void) | undefined;
}

/** An authenticated principal, or `null` for trusted in-process callers (no permission checks). */
export type ConnectionUser = string | null;

/** One client connection on one vhost. */
export class BrokerConnection {
  readonly channels = new Set<ConsumerChannel>();
  closed = false;

  constructor(
    readonly id: string,
    readonly vhost: Vhost,
    readonly user: ConnectionUser,
    readonly context: ConnectionContext,
    /** Where the client connects from (audit events). */
    readonly client: { readonly sourceIPAddress?: string | undefined; readonly userAgent?: string | undefined; readonly connectionId?: string | undefined } = {},
    /** Told when the broker closes this connection itself (session: connection.close 320). */
    readonly onForcedClose: ((reason: BrokerError) => void) | undefined = undefined,
  ) {}

  /**
   * Closes the connection from the broker's side (vhost or user deleted, broker shutting down):
   * the session is told first, with a CONNECTION_FORCED error to send to the client.
   */
  async forceClose(replyText: string): Promise<void> {
    if (this.closed) return;
    this.onForcedClose?.(brokerError('CONNECTION_FORCED', replyText));
    await this.close();
  }

  openChannel(handler: ChannelHandler): ConsumerChannel {
    if (this.closed) throw brokerError('CHANNEL_ERROR', 'connection is closed');
    const channel = new ConsumerChannel(this, handler);
    this.channels.add(channel);
    return channel;
  }

  /**
   * Closes every channel (their unacknowledged messages go back to their queues, redelivered) and
   * deletes the exclusive queues this connection declared.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const channel of [...this.channels]) channel.close();
    const exclusive = [...this.vhost.queues.values()].filter((q) => q.exclusiveOwner === this.id);
    await Promise.all(exclusive.map((q) => this.vhost.removeQueue(q)));
    this.context.connectionClosed(this);
  }
}

/** One channel of a connection: the operations an AMQP 0-9-1 channel performs on the broker. */
export class ConsumerChannel implements ConsumerOwner {
  readonly #connection: BrokerConnection;
  readonly #vhost: Vhost;
  readonly #handler: ChannelHandler;
  #nextDeliveryTag = 1;
  /** Map iteration order is insertion order, which is delivery-tag order. */
  readonly #unacked = new Map<number, Unacked>();
  readonly #consumers = new Map<string, Consumer>();
  #consumerPrefetch = 0;
  #channelPrefetch = 0;
  #paused = false;
  #tx: TxState | undefined;
  #lastQueueName = '';
  /** Deliveries waiting for their delivery record, in delivery-tag order. */
  /** Deliveries waiting for their delivery record, in tag order, from #outboxHead on. */
  readonly #outbox: OutboxEntry[] = [];
  #outboxHead = 0;
  readonly #granted = new Set<string>();
  #grantedVersion = -1;
  /** The last check granted (under #grantedVersion): a publisher repeats it for every message. */
  #lastGranted: { permission: Permission; kind: 'queue' | 'exchange'; name: string } | undefined;
  /** Delivery tags in the outbox: the client has not seen them, so no `multiple` settles them. */
  readonly #unsent = new Set<number>();
  closed = false;

  constructor(connection: BrokerConnection, handler: ChannelHandler) {
    this.#connection = connection;
    this.#vhost = connection.vhost;
    this.#handler = handler;
  }

  get unackedCount(): number {
    return this.#unacked.size;
  }

  get consumerCount(): number {
    return this.#consumers.size;
  }

  #check(permission: Permission, kind: 'queue' | 'exchange', name: string): void {
    const user = this.#connection.user;
    if (user === null) return;
    // Granted checks are cached per channel (as RabbitMQ does) until users or permissions change.
    const users = this.#connection.context.users;
    if (this.#grantedVersion !== users.version) {
      this.#granted.clear();
      this.#lastGranted = undefined;
      this.#grantedVersion = users.version;
    }
    const last = this.#lastGranted;
    if (last !== undefined && last.name === name && last.permission === permission && last.kind === kind) return;
    const cacheKey = `${permission}\u0000${kind}\u0000${name}`;
    if (this.#granted.has(cacheKey)) {
      this.#lastGranted = { permission, kind, name };
      return;
    }
    try {
      users.check(user, this.#vhost.name, permission, kind, name);
      if (this.#granted.size >= 64) this.#granted.clear();
      this.#granted.add(cacheKey);
      this.#lastGranted = { permission, kind, name };
    } catch (error) {
      this.#connection.context.permissionRefused(this.#connection, permission, kind);
      throw error;
    }
  }

  #connectionId(): string {
    return this.#connection.id;
  }

  /** AMQP: an empty queue name means the last queue declared on this channel. */
  #queueName(name: string): string {
    if (name !== '') return name;
    if (this.#lastQueueName === '') throw brokerError('NOT_FOUND', 'no previously declared queue', 'channel');
    return this.#lastQueueName;
  }

  // ---- basic.qos ----

  /**
   * basic.qos as RabbitMQ does it: global=false sets the prefetch of consumers created afterwards
   * on this channel, global=true the limit shared by the whole channel; 0 = unlimited.
   * prefetch-size is not implemented (540), as in RabbitMQ.
   */
  qos(prefetchCount: number, global: boolean, prefetchSize = 0): void {
    if (prefetchSize !== 0) throw brokerError('NOT_IMPLEMENTED', `prefetch_size!=0 (${prefetchSize})`);
    if (global) this.#channelPrefetch = prefetchCount;
    else this.#consumerPrefetch = prefetchCount;
    this.#wake();
  }

  /** Session backpressure: while paused, no deliveries go to this channel's consumers. */
  setPaused(paused: boolean): void {
    this.#paused = paused;
    if (!paused) this.#wake();
  }

  // ---- exchanges ----

  async declareExchange(declaration: ExchangeDeclaration): Promise<void> {
    const name = declaration.exchange;
    if (!declaration.passive) {
      this.#check('configure', 'exchange', name);
      const ae = declaration.args?.['alternate-exchange'];
      if (typeof ae === 'string') {
        // RabbitMQ: declaring an exchange with an AE needs write on the AE and read on the exchange.
        this.#check('write', 'exchange', ae);
        this.#check('read', 'exchange', name);
      }
    }
    await this.#vhost.declareExchange(declaration);
  }

  async deleteExchange(exchange: string, options: { ifUnused?: boolean } = {}): Promise<void> {
    this.#check('configure', 'exchange', exchange);
    await this.#vhost.deleteExchange(exchange, options.ifUnused ?? false);
  }

  async bindExchange(binding: { destination: string; source: string; routingKey: string; args?: HeaderTable }): Promise<void> {
    this.#check('write', 'exchange', binding.destination);
    this.#check('read', 'exchange', binding.source);
    const destination = this.#vhost.exchange(binding.destination);
    const source = this.#vhost.exchange(binding.source);
    await this.#vhost.bind(source, destination, binding.routingKey, binding.args ?? {});
  }

  async unbindExchange(binding: { destination: string; source: string; routingKey: string; args?: HeaderTable }): Promise<void> {
    this.#check('write', 'exchange', binding.destination);
    this.#check('read', 'exchange', binding.source);
    const destination = this.#vhost.exchanges.get(binding.destination);
    const source = this.#vhost.exchanges.get(binding.source);
    if (destination === undefined || source === undefined) return; // idempotent
    await this.#vhost.unbind(source, destination, binding.routingKey, binding.args ?? {});
  }

  // ---- queues ----

  async declareQueue(declaration: QueueDeclaration): Promise<QueueDeclareResult> {
    const name = declaration.passive ? this.#queueName(declaration.queue) : declaration.queue;
    if (!declaration.passive) {
      // Server-named queues are checked under the name they will get's prefix, as RabbitMQ does.
      this.#check('configure', 'queue', name === '' ? 'amq.gen' : name);
      const dlx = declaration.args?.['x-dead-letter-exchange'];
      if (typeof dlx === 'string') {
        this.#check('write', 'exchange', dlx);
        this.#check('read', 'queue', name === '' ? 'amq.gen' : name);
      }
    }
    const result = await this.#vhost.declareQueue({ ...declaration, queue: name }, this.#connectionId());
    this.#lastQueueName = result.queue;
    return result;
  }

  async bindQueue(binding: { queue: string; exchange: string; routingKey: string; args?: HeaderTable }): Promise<void> {
    const queueName = this.#queueName(binding.queue);
    this.#check('write', 'queue', queueName);
    this.#check('read', 'exchange', binding.exchange);
    const queue = this.#vhost.queue(queueName, this.#connectionId());
    const exchange = this.#vhost.exchange(binding.exchange);
    // AMQP: an empty routing key with an empty queue name binds with the queue's name.
    const routingKey = binding.queue === '' && binding.routingKey === '' ? queueName : binding.routingKey;
    await this.#vhost.bind(exchange, queue, routingKey, binding.args ?? {});
  }

  async unbindQueue(binding: { queue: string; exchange: string; routingKey: string; args?: HeaderTable }): Promise<void> {
    const queueName = this.#queueName(binding.queue);
    this.#check('write', 'queue', queueName);
    this.#check('read', 'exchange', binding.exchange);
    const queue = this.#vhost.queues.get(queueName);
    const exchange = this.#vhost.exchanges.get(binding.exchange);
    if (queue === undefined || exchange === undefined) return; // idempotent
    this.#vhost.checkExclusiveAccess(queue, this.#connectionId());
    await this.#vhost.unbind(exchange, queue, binding.routingKey, binding.args ?? {});
  }

  /** queue.purge: removes ready messages; returns how many. */
  async purgeQueue(queue: string): Promise<number> {
    const name = this.#queueName(queue);
    this.#check('read', 'queue', name);
    return this.#vhost.queue(name, this.#connectionId()).purge();
  }

  /** queue.delete: idempotent; returns the ready messages deleted. */
  async deleteQueue(queue: string, options: { ifUnused?: boolean; ifEmpty?: boolean } = {}): Promise<number> {
    const name = this.#queueName(queue);
    this.#check('configure', 'queue', name);
    return this.#vhost.deleteQueue(name, options, this.#connectionId());
  }

  // ---- publishing ----

  /**
   * basic.publish. Throws NOT_FOUND (no exchange), ACCESS_REFUSED (permission, internal exchange),
   * PRECONDITION_FAILED (message too large, invalid expiration). In a transaction the publish is
   * buffered until commit and the outcome says routed with an immediate confirmation.
   */
  publish(message: PublishedMessage, options: { mandatory?: boolean } = {}): PublishOutcome {
    this.#assertOpen();
    const exchange = this.#checkPublish(message);
    if (this.#tx !== undefined) {
      this.#tx.publishes.push({ message, mandatory: options.mandatory ?? false, exchangeName: exchange.name });
      return { routed: true, confirmation: true };
    }
    return this.#count(this.#vhost.publish(exchange, toCoreMessage(message)));
  }

  #count(outcome: PublishOutcome): PublishOutcome {
    const counters = this.#connection.context.counters;
    counters.published++;
    if (!outcome.routed) counters.unroutable++;
    return outcome;
  }

  #checkPublish(message: PublishedMessage) {
    this.#check('write', 'exchange', message.exchange);
    const exchange = this.#vhost.exchange(message.exchange);
    if (exchange.internal) {
      throw brokerError('ACCESS_REFUSED', `cannot publish to internal ${describeResource('exchange', exchange.name, this.#vhost.name)}`);
    }
    const { messageSizeMaxBytes } = this.#connection.context.limits;
    if (messageSizeMaxBytes > 0 && message.body.length > messageSizeMaxBytes) {
      throw brokerError('PRECONDITION_FAILED', `message size ${message.body.length} is larger than configured max size ${messageSizeMaxBytes}`);
    }
    parseExpiration(message.view.expiration);
    return exchange;
  }

  // ---- consuming ----

  /** basic.consume; returns the consumer tag. */
  consume(options: ConsumeOptions): string {
    this.#assertOpen();
    const queueName = this.#queueName(options.queue);
    this.#check('read', 'queue', queueName);
    const queue = this.#vhost.queue(queueName, this.#connectionId());
    const tag = options.consumerTag || `amq.ctag-${randomBytes(16).toString('base64url')}`;
    if (this.#consumers.has(tag)) throw brokerError('NOT_ALLOWED', `attempt to reuse consumer tag '${tag}'`);
    const exclusive = options.exclusive ?? false;
    const description = describeResource('queue', queueName, this.#vhost.name);
    if (queue.consumers.some((c) => c.exclusive) || (exclusive && queue.consumerCount > 0)) {
      throw brokerError('ACCESS_REFUSED', `${description} in exclusive use`);
    }
    const { consumersPerQueueMax, consumersPerChannelMax } = this.#connection.context.limits;
    if (consumersPerQueueMax > 0 && queue.consumerCount >= consumersPerQueueMax) {
      throw brokerError('RESOURCE_ERROR', `consumer limit (${consumersPerQueueMax}) of ${description} is reached`);
    }
    if (consumersPerChannelMax > 0 && this.#consumers.size >= consumersPerChannelMax) {
      throw brokerError('RESOURCE_ERROR', `consumer limit (${consumersPerChannelMax}) per channel is reached`);
    }
    const priorityArg = options.args?.['x-priority'];
    const consumer: Consumer = {
      tag,
      queue,
      owner: this,
      noAck: options.noAck ?? false,
      exclusive,
      priority: typeof priorityArg === 'number' || typeof priorityArg === 'bigint' ? Number(priorityArg) : 0,
      prefetch: options.prefetch ?? this.#consumerPrefetch,
      unacked: 0,
      filter: options.filter,
      credit: options.credit,
      refillBatch: options.refillBatch,
    };
    this.#consumers.set(tag, consumer);
    queue.addConsumer(consumer);
    return tag;
  }

  /**
   * Credit-based flow for one consumer (AMQP 1.0 link credit): it may take `credit` more messages,
   * whatever it holds unacknowledged; each delivery uses one. `undefined` ends credit-based flow:
   * the consumer's prefetch governs again (a protocol that only pauses a consumer, as STOMP does
   * for a slow reader, resumes it so). False if no such consumer.
   */
  setCredit(consumerTag: string, credit: number | undefined): boolean {
    const consumer = this.#consumers.get(consumerTag);
    if (consumer === undefined) return false;
    consumer.credit = credit === undefined ? undefined : Math.max(0, credit);
    if (consumer.credit !== 0 && !this.#paused && !this.closed) consumer.queue.drain();
    return true;
  }

  /** Sets engine behaviour on a queue (admission filter, delivery limit); needs configure. */
  configureQueue(queue: string, behaviour: QueueBehaviour): void {
    this.#check('configure', 'queue', queue);
    const target = this.#vhost.queue(queue, this.#connectionId());
    if ('admit' in behaviour) target.admit = behaviour.admit;
    if ('deliveryLimit' in behaviour) target.internalDeliveryLimit = behaviour.deliveryLimit;
    if ('onDeleted' in behaviour) target.onDeleted = behaviour.onDeleted;
  }

  /** basic.cancel; false if no such consumer (AMQP: cancel of an unknown tag is not an error). */
  cancel(consumerTag: string): boolean {
    const consumer = this.#consumers.get(consumerTag);
    if (consumer === undefined) return false;
    this.#consumers.delete(consumerTag);
    clearRefillWait(consumer);
    consumer.queue.removeConsumer(consumer);
    // Deliveries the client has not seen yet go back to the queue rather than to a cancelled tag.
    this.#requeueUnsent(consumer);
    return true;
  }

  /** basic.get: a message (with the ready count left) or undefined for basic.get-empty. */
  get(options: { queue: string; noAck?: boolean }): Delivery | undefined {
    this.#assertOpen();
    const queueName = this.#queueName(options.queue);
    this.#check('read', 'queue', queueName);
    const queue = this.#vhost.queue(queueName, this.#connectionId());
    const noAck = options.noAck ?? false;
    const got = queue.get(noAck);
    if (got === undefined) return undefined;
    this.#countDelivery(got.redelivered);
    const deliveryTag = this.#nextDeliveryTag++;
    if (!noAck) this.#unacked.set(deliveryTag, { queued: got.queued, queue, consumer: undefined, pendingTx: false });
    return toDelivery(got.queued, deliveryTag, undefined, got.redelivered, queue.messageCount);
  }

  // ConsumerOwner: called by queues.

  canDeliver(consumer: Consumer): boolean {
    if (this.#paused || this.closed) return false;
    if (consumer.credit !== undefined) {
      if (consumer.credit <= 0) return false;
      if (consumer.noAck) return true;
    } else if (consumer.noAck) return true;
    else if (consumer.prefetch > 0 && !this.#prefetchAdmits(consumer)) return false;
    if (this.#channelPrefetch > 0 && this.#unacked.size >= this.#channelPrefetch) return false;
    const { unackedPerChannelMax } = this.#connection.context.limits;
    return !(unackedPerChannelMax > 0 && this.#unacked.size >= unackedPerChannelMax);
  }

  /**
   * Whether a prefetch-governed consumer may take one more. With a refill batch, a consumer whose
   * prefetch filled up waits until `refillBatch` are free again, or at most REFILL_WAIT_MS after
   * the first was freed: a client reading a deep queue then gets its deliveries in bursts (one TLS
   * record, one read) instead of one per acknowledgement, and one that waits for more before it
   * acknowledges again is served all the same.
   */
  #prefetchAdmits(consumer: Consumer): boolean {
    const batch = consumer.refillBatch ?? 0;
    if (consumer.refillHeld === true) {
      if (consumer.unacked > consumer.prefetch - batch) {
        if (consumer.unacked < consumer.prefetch && consumer.refillTimer === undefined) {
          consumer.refillTimer = setTimeout(() => this.#refillWaitOver(consumer), REFILL_WAIT_MS);
          consumer.refillTimer.unref();
        }
        return false;
      }
      clearRefillWait(consumer);
    }
    if (consumer.unacked < consumer.prefetch) return true;
    if (batch > 1) consumer.refillHeld = true;
    return false;
  }

  #refillWaitOver(consumer: Consumer): void {
    clearRefillWait(consumer);
    if (!this.closed && this.#consumers.get(consumer.tag) === consumer) consumer.queue.drain();
  }

  #countDelivery(redelivered: boolean): void {
    const counters = this.#connection.context.counters;
    counters.delivered++;
    if (redelivered) counters.redelivered++;
  }

  deliver(consumer: Consumer, queued: QueuedMessage, redelivered: boolean, recorded: Promise<unknown> | undefined): void {
    this.#countDelivery(redelivered);
    const deliveryTag = this.#nextDeliveryTag++;
    if (consumer.credit !== undefined) consumer.credit--;
    if (!consumer.noAck) {
      consumer.unacked++;
      this.#unacked.set(deliveryTag, { queued, queue: consumer.queue, consumer, pendingTx: false });
    }
    const delivery = toDelivery(queued, deliveryTag, consumer.tag, redelivered, 0);
    const wait = this.#connection.context.awaitDeliveryRecord ? recorded : undefined;
    if (wait === undefined && this.#outboxHead === this.#outbox.length) {
      this.#handler.deliver(delivery);
      return;
    }
    // Keep delivery-tag order: a delivery that needs no record still waits behind earlier ones.
    const entry: OutboxEntry = { delivery, consumer, ready: wait === undefined };
    this.#outbox.push(entry);
    this.#unsent.add(deliveryTag);
    // (Inline callbacks: tsx names a closure bound to a const with Object.defineProperty, per delivery.)
    if (wait !== undefined) wait.then(() => this.#release(entry), () => this.#release(entry));
  }

  #release(entry: OutboxEntry): void {
    entry.ready = true;
    this.#flushOutbox();
  }

  #flushOutbox(): void {
    const outbox = this.#outbox;
    while (this.#outboxHead < outbox.length && outbox[this.#outboxHead]!.ready) {
      const { delivery, consumer } = outbox[this.#outboxHead]!;
      outbox[this.#outboxHead++] = undefined as unknown as OutboxEntry;
      // Array.shift is linear in the length: a credit of thousands made this quadratic. Compact
      // once the sent prefix dominates instead (amortised constant), and reset when empty.
      if (this.#outboxHead === outbox.length) {
        outbox.length = 0;
        this.#outboxHead = 0;
      } else if (this.#outboxHead > 1024 && this.#outboxHead * 2 > outbox.length) {
        outbox.splice(0, this.#outboxHead);
        this.#outboxHead = 0;
      }
      this.#unsent.delete(delivery.deliveryTag);
      // Not sent if the channel closed, the consumer was cancelled, or the message was requeued meanwhile.
      if (this.closed || this.#consumers.get(consumer.tag) !== consumer) continue;
      if (!consumer.noAck && !this.#unacked.has(delivery.deliveryTag)) continue;
      this.#handler.deliver(delivery);
    }
  }

  /** Requeues deliveries still waiting in the outbox for a consumer that is going away. */
  #requeueUnsent(consumer: Consumer): void {
    const tags: number[] = [];
    for (let i = this.#outbox.length - 1; i >= this.#outboxHead; i--) {
      const entry = this.#outbox[i]!;
      if (entry.consumer !== consumer) continue;
      this.#outbox.splice(i, 1);
      this.#unsent.delete(entry.delivery.deliveryTag);
      if (!consumer.noAck) tags.push(entry.delivery.deliveryTag);
    }
    if (tags.length > 0) this.#apply(tags.reverse(), 'requeue');
  }

  consumerCancelled(consumer: Consumer): void {
    if (this.#consumers.get(consumer.tag) !== consumer) return;
    this.#consumers.delete(consumer.tag);
    clearRefillWait(consumer);
    this.#requeueUnsent(consumer);
    this.#handler.consumerCancelled(consumer.tag);
  }

  // ---- acknowledgements ----

  /**
   * The unacknowledged deliveries a tag designates, as RabbitMQ's collect_acks: the tag itself, or
   * with `multiple` every tag up to it; tag 0 with `multiple` means all. Unknown tag: 406.
   */
  #collect(deliveryTag: number, multiple: boolean): number[] {
    if (multiple && deliveryTag === 0) return [...this.#unacked].filter(([tag, u]) => !u.pendingTx && !this.#unsent.has(tag)).map(([tag]) => tag);
    const entry = this.#unacked.get(deliveryTag);
    if (entry === undefined || entry.pendingTx || this.#unsent.has(deliveryTag)) {
      throw brokerError('PRECONDITION_FAILED', `unknown delivery tag ${deliveryTag}`);
    }
    if (!multiple) return [deliveryTag];
    const tags: number[] = [];
    for (const [tag, u] of this.#unacked) {
      if (tag > deliveryTag) break;
      if (!u.pendingTx && !this.#unsent.has(tag)) tags.push(tag);
    }
    return tags;
  }

  ack(deliveryTag: number, multiple = false): void {
    this.#settle(this.#collect(deliveryTag, multiple), 'ack');
  }

  /** basic.nack (RabbitMQ extension). */
  nack(deliveryTag: number, multiple = false, requeue = true): void {
    this.#settle(this.#collect(deliveryTag, multiple), requeue ? 'requeue' : 'discard');
  }

  reject(deliveryTag: number, requeue = true): void {
    this.#settle(this.#collect(deliveryTag, false), requeue ? 'requeue' : 'discard');
  }

  /** basic.recover: requeue=true puts every unacknowledged message back; requeue=false is not implemented (RabbitMQ: 540). */
  recover(requeue: boolean): void {
    if (!requeue) throw brokerError('NOT_IMPLEMENTED', 'requeue=false');
    this.#settle([...this.#unacked.keys()], 'requeue');
  }

  #settle(tags: readonly number[], action: TxSettlement['action']): void {
    if (this.#tx !== undefined) {
      for (const tag of tags) {
        this.#unacked.get(tag)!.pendingTx = true;
        this.#tx.settlements.push({ tag, action });
      }
      return;
    }
    this.#apply(tags, action);
  }

  #apply(tags: readonly number[], action: TxSettlement['action']): void {
    const counters = this.#connection.context.counters;
    const byQueue = new Map<Queue, QueuedMessage[]>();
    for (const tag of tags) {
      const entry = this.#unacked.get(tag);
      if (entry === undefined) continue;
      this.#unacked.delete(tag);
      if (entry.consumer !== undefined) entry.consumer.unacked--;
      if (action === 'ack') {
        counters.acknowledged++;
        entry.queue.ack(entry.queued);
      } else {
        if (action === 'requeue') counters.requeued++;
        else counters.discarded++;
        let list = byQueue.get(entry.queue);
        if (list === undefined) byQueue.set(entry.queue, (list = []));
        list.push(entry.queued);
      }
    }
    for (const [queue, messages] of byQueue) {
      if (action === 'requeue') queue.requeue(messages);
      else queue.discard(messages);
    }
    this.#wake();
  }

  /** Capacity was freed: let the queues of this channel's consumers deliver again. */
  #wake(): void {
    if (this.closed || this.#paused || this.#consumers.size === 0) return;
    if (this.#consumers.size === 1) {
      for (const consumer of this.#consumers.values()) consumer.queue.drain();
      return;
    }
    const queues = new Set<Queue>();
    for (const consumer of this.#consumers.values()) queues.add(consumer.queue);
    for (const queue of queues) queue.drain();
  }

  // ---- transactions (tx.select / tx.commit / tx.rollback) ----

  txSelect(): void {
    this.#tx ??= { publishes: [], settlements: [] };
  }

  get inTransaction(): boolean {
    return this.#tx !== undefined;
  }

  /**
   * Applies the transaction's publishes (in order) and acknowledgements atomically with respect to
   * other channels, then resolves once its persistent messages are durable. A new transaction
   * starts at once, as AMQP says.
   */
  async txCommit(): Promise<TxCommitResult> {
    const tx = this.#tx;
    if (tx === undefined) throw brokerError('PRECONDITION_FAILED', 'channel is not transactional');
    this.#tx = { publishes: [], settlements: [] };
    const returned: PublishedMessage[] = [];
    const confirmations: Array<boolean | Promise<boolean>> = [];
    for (const { message, mandatory, exchangeName } of tx.publishes) {
      const exchange = this.#vhost.exchanges.get(exchangeName);
      if (exchange === undefined) {
        if (mandatory) returned.push(message);
        continue;
      }
      const outcome = this.#count(this.#vhost.publish(exchange, toCoreMessage(message)));
      if (!outcome.routed && mandatory) returned.push(message);
      confirmations.push(outcome.confirmation);
    }
    for (const { tag, action } of tx.settlements) {
      const entry = this.#unacked.get(tag);
      if (entry !== undefined) entry.pendingTx = false;
      this.#apply([tag], action);
    }
    await Promise.all(confirmations);
    return { returned };
  }

  /** Discards the transaction's publishes and acknowledgements (the messages stay unacknowledged). */
  txRollback(): void {
    const tx = this.#tx;
    if (tx === undefined) throw brokerError('PRECONDITION_FAILED', 'channel is not transactional');
    for (const { tag } of tx.settlements) {
      const entry = this.#unacked.get(tag);
      if (entry !== undefined) entry.pendingTx = false;
    }
    this.#tx = { publishes: [], settlements: [] };
  }

  // ---- closing ----

  /** Cancels this channel's consumers, then requeues its unacknowledged messages (redelivered). */
  close(): void {
    if (this.closed) return;
    for (const consumer of [...this.#consumers.values()]) {
      this.#consumers.delete(consumer.tag);
      clearRefillWait(consumer);
      consumer.queue.removeConsumer(consumer);
    }
    this.closed = true;
    this.#tx = undefined;
    this.#outbox.length = 0;
    this.#outboxHead = 0;
    this.#unsent.clear();
    this.#apply([...this.#unacked.keys()], 'requeue');
    this.#connection.channels.delete(this);
  }

  #assertOpen(): void {
    if (this.closed) throw brokerError('CHANNEL_ERROR', 'channel is closed');
  }
}

function clearRefillWait(consumer: Consumer): void {
  if (consumer.refillTimer !== undefined) clearTimeout(consumer.refillTimer);
  consumer.refillTimer = undefined;
  consumer.refillHeld = false;
}

function toCoreMessage(message: PublishedMessage): CoreMessage {
  return {
    exchange: message.exchange,
    routingKey: message.routingKey,
    properties: message.properties,
    body: message.body,
    view: message.view,
    ttlMs: parseExpiration(message.view.expiration),
  };
}

function toDelivery(queued: QueuedMessage, deliveryTag: number, consumerTag: string | undefined, redelivered: boolean, messageCount: number): Delivery {
  const m = queued.message;
  return {
    deliveryTag,
    consumerTag,
    redelivered,
    exchange: m.exchange,
    routingKey: m.routingKey,
    properties: m.properties,
    body: m.body,
    view: m.view,
    messageCount,
    deliveryCount: queued.deliveryCount,
  };
}
