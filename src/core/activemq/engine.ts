// The ACTIVEMQ engine: ActiveMQ's model (api.ts) on the broker core. It owns the mapping of queues,
// topics, durable subscriptions, temporary destinations and retained messages onto core queues and
// exchanges, ack modes, credit, transactions, redelivery to ActiveMQ.DLQ, selectors and
// authorization. Frames are the sessions' (src/session/{stomp,mqtt,amqp10}); storage, encryption,
// TTL timers and dead-letter routing are the core's.
//
// Mapping (as RabbitMQ's STOMP and MQTT plugins do):
// - queue `x`: the durable core queue `x`, reached through the default exchange;
// - topic `t`: the topic exchange `amq.topic` with routing key `t`; each subscriber has its own queue
//   bound with the pattern (`>` -> `#`): exclusive and auto-delete for a plain subscription, durable
//   (`ActiveMQ.Subscription.Durable:<clientId>:<name>`) for a durable one, whose definition carries
//   the subscription's topic, selector and noLocal (argument `x-activemq-subscription`) and, when
//   asked (SubscribeOptions.expiresAfterMs, MQTT 5 session expiry), an x-expires the core enforces;
// - temporary queue: an exclusive core queue of its connection; temporary topic: the non-durable
//   topic exchange `ActiveMQ.TempTopic`;
// - retained message (MQTT): a durable queue `ActiveMQ.Retained:<topic>` with x-max-length 1;
// - every queue dead-letters to `ActiveMQ.DLQ` through the default exchange; the engine gives each
//   the delivery limit `maximumRedeliveries`, and the DLQ keeps persistent messages only (ActiveMQ's
//   default: non-persistent ones past the limit or expired are dropped).
// Each AmqConnection is one core connection (trusted: the engine authorizes) with one channel per
// subscription and one for sending.

import { randomUUID } from 'node:crypto';
import { AuditEventSource, AuditEventType, type AuditSink } from '../audit-sink.ts';
import { DEFAULT_VHOST, type Broker, type BrokerOptions, type ClientInfo } from '../broker.ts';
import type { BrokerConnection, ConsumerChannel } from '../channel.ts';
import { BrokerError } from '../errors.ts';
import type { Queue } from '../queue.ts';
import type { CoreMessage, MessageFilter } from '../queued-message.ts';
import type { Delivery, HeaderTable, PublishedMessage } from '../types.ts';
import {
  AmqError,
  SENT,
  type AckMode,
  type AmqConnectOptions,
  type AmqConnection,
  type AmqDelivery,
  type AmqEngine,
  type AmqMessage,
  type AmqOutgoing,
  type AmqBrowsedMessage,
  type BrowseOptions,
  type Destination,
  type DurableSubscriptionInfo,
  type SendOptions,
  type SubscribeOptions,
  type Subscription,
} from './api.ts';
import { browseReady, BROWSE_MESSAGES_MAX_DEFAULT } from './browse.ts';
import { Authorizer, groupsOfTags, type AuthorizationEntry, type AuthorizationOperation } from './authorization.ts';
import { checkDestination, checkSendDestination, DestinationPattern, isWildcardName, splitDestinationName } from './destinations.ts';
import { activeMqPropertiesCodec, DLQ_DELIVERY_FAILURE_CAUSE, decodeAmqProperties, encodeAmqProperties, ttlOf, type AmqMessageHeaders } from './properties-codec.ts';
import { parseSelector, type Selector } from './selector.ts';

/** ActiveMQ's dead-letter queue. */
export const DLQ_NAME = 'ActiveMQ.DLQ';
/** The exchange topics are published to. */
export const TOPIC_EXCHANGE = 'amq.topic';
/** The exchange temporary topics are published to. */
export const TEMP_TOPIC_EXCHANGE = 'ActiveMQ.TempTopic';
const DURABLE_PREFIX = 'ActiveMQ.Subscription.Durable:';
const SUBSCRIPTION_PREFIX = 'ActiveMQ.Subscription:';
const TEMP_QUEUE_PREFIX = 'ActiveMQ.TempQueue:';
const RETAINED_PREFIX = 'ActiveMQ.Retained:';
const RESERVED_PREFIXES = [DURABLE_PREFIX, SUBSCRIPTION_PREFIX, TEMP_QUEUE_PREFIX, RETAINED_PREFIX];
/** Queue argument holding a durable subscription's definition (JSON). */
const SUBSCRIPTION_ARG = 'x-activemq-subscription';
const DEFAULT_PREFETCH = 1000;
/** Prefetches from this size on are topped up in bursts (smaller ones slot by slot). */
const REFILL_PREFETCH_MIN = 16;
/** Topics remembered as created (for the admin check on first use), at most. */
const KNOWN_TOPICS_MAX = 100_000;
/**
 * The longest durable subscription expiry given to the core as x-expires (the largest x-expires it
 * takes, 2^32-1 ms); an expiry must never come early, so a longer one is kept like none.
 */
const DURABLE_EXPIRES_MAX_MS = 2 ** 32 - 1;

export interface ActiveMqEngineOptions {
  /** Core vhost the engine lives in (default `/`). */
  readonly vhost?: string;
  /** Redeliveries before a message goes to ActiveMQ.DLQ (ActiveMQ's default 6; -1 = no limit). */
  readonly maximumRedeliveries?: number;
  /** Destination permissions; none = every authenticated user may do everything. */
  readonly authorization?: readonly AuthorizationEntry[];
  /** Where PermissionRefused events for authorization entries go (the broker's sink, which records the connection events). */
  readonly audit?: AuditSink;
  /** Put in audit events (the Amazon MQ broker id). */
  readonly brokerId?: string;
  /** Failures nobody waits for (setting up recovered subscriptions, retained messages). */
  readonly onError?: (error: unknown) => void;
  /** Ready messages one browse looks at, at most, from the queue's head (default 10,000; browse.ts). */
  readonly browseMessagesMax?: number;
}

interface DurableDefinition {
  readonly clientId: string;
  readonly name: string;
  readonly topic: string;
  readonly selector: string | undefined;
  readonly noLocal: boolean;
}

/** What the engine knows of a message beyond its core form: decoded headers and who sent it. */
interface MessageMeta {
  readonly message: AmqMessage;
  readonly connectionId: string | undefined;
  readonly clientId: string | undefined;
}

/**
 * The decoded message and its sender, kept on the encoded properties the core carries (a property
 * under a private symbol, not a WeakMap: one ephemeron per message in flight slowed every
 * collection). Never serialized: stores copy the bytes, not the object.
 */
const META = Symbol('sealmq.activemq.meta');
type MetaCarrier = Uint8Array & { [META]?: MessageMeta };

interface TempEntry {
  readonly destination: Destination;
  readonly owner: Connection;
  /** The core queue, for a temporary queue. */
  readonly coreName: string;
  created: boolean;
}

/**
 * How a broker core that runs this engine is opened (by the supervisor and the tests alike): with
 * ActiveMQ's message properties, and without delivery records, since ActiveMQ keeps no redelivery
 * state across a restart by default (persistJMSRedelivered=false).
 */
export const ACTIVEMQ_BROKER_OPTIONS = { codec: activeMqPropertiesCodec, recordDeliveries: false } as const satisfies Partial<BrokerOptions>;

/** Builds the engine; it is usable at once (operations wait for its setup on the core). */
export function createActiveMqEngine(broker: Broker, options: ActiveMqEngineOptions = {}): ActiveMqEngine {
  return new ActiveMqEngine(broker, options);
}

/** Binding key in the core's topic syntax for an ActiveMQ topic pattern (`>` -> `#`). */
export function topicBindingKey(pattern: string): string {
  const segments = splitDestinationName(pattern);
  return segments.map((s, i) => (s === '>' ? (i === segments.length - 1 ? '#' : '*') : s === '#' ? '*' : s)).join('.');
}

/** The x-expires of a durable subscription queue for SubscribeOptions.expiresAfterMs (undefined: none). */
function durableExpires(expiresAfterMs: number | undefined): number | undefined {
  if (expiresAfterMs === undefined) return undefined;
  if (!Number.isSafeInteger(expiresAfterMs) || expiresAfterMs < 1) throw new RangeError('expiresAfterMs must be a whole number of milliseconds from 1');
  return expiresAfterMs > DURABLE_EXPIRES_MAX_MS ? undefined : expiresAfterMs;
}

function durableQueueName(clientId: string, name: string): string {
  return `${DURABLE_PREFIX}${encodeURIComponent(clientId)}:${encodeURIComponent(name)}`;
}

/** A BrokerError or anything else as the AmqError a session maps. */
function toAmqError(error: unknown): AmqError {
  if (error instanceof AmqError) return error;
  if (error instanceof BrokerError) {
    switch (error.code) {
      case 'ACCESS_REFUSED':
        return new AmqError('not-authorized', 'not authorized');
      case 'NOT_FOUND':
        return new AmqError('invalid-destination', 'destination does not exist');
      case 'RESOURCE_LOCKED':
        return new AmqError('invalid-destination', 'destination belongs to another connection');
      case 'PRECONDITION_FAILED':
      case 'RESOURCE_ERROR':
        return new AmqError('resource-limit', error.message);
      case 'CONNECTION_FORCED':
      case 'CHANNEL_ERROR':
        return new AmqError('closed', 'connection is closed');
      default:
        return new AmqError('store-unavailable', 'the broker could not complete the operation');
    }
  }
  return new AmqError('store-unavailable', 'the broker could not complete the operation');
}

const noopHandler = { deliver: () => undefined, consumerCancelled: () => undefined };

export class ActiveMqEngine implements AmqEngine {
  readonly broker: Broker;
  readonly vhostName: string;
  /** Undefined: no limit (maximumRedeliveries -1). */
  readonly maximumRedeliveries: number | undefined;
  readonly authorizer: Authorizer;
  /** Ready messages one browse looks at, at most. */
  readonly browseMessagesMax: number;
  readonly #options: ActiveMqEngineOptions;
  readonly #clientIds = new Map<string, Connection>();
  readonly #activeDurable = new Set<string>();
  /** Durable subscription queues by client id; the vhost's queues are the truth, checked on read. */
  readonly #durableByClient = new Map<string, Set<string>>();
  readonly #knownTopics = new Set<string>();
  readonly #retained = new Map<string, AmqMessage>();
  readonly #temps = new Map<string, TempEntry>();
  readonly #ready: Promise<void>;
  #system!: ConsumerChannel;
  #retainWrites: Promise<unknown> = Promise.resolve();

  constructor(broker: Broker, options: ActiveMqEngineOptions) {
    this.broker = broker;
    this.#options = options;
    this.vhostName = options.vhost ?? DEFAULT_VHOST;
    // ActiveMQ: -1 means redeliver forever.
    const maximumRedeliveries = options.maximumRedeliveries ?? 6;
    this.maximumRedeliveries = maximumRedeliveries < 0 ? undefined : maximumRedeliveries;
    this.authorizer = new Authorizer(options.authorization);
    const browseMax = options.browseMessagesMax ?? BROWSE_MESSAGES_MAX_DEFAULT;
    if (!Number.isSafeInteger(browseMax) || browseMax < 0) throw new RangeError('browseMessagesMax must be a non-negative integer');
    this.browseMessagesMax = browseMax;
    this.#ready = this.#init();
    this.#ready.catch((error: unknown) => this.#options.onError?.(error));
  }

  onShutdown(listener: () => Promise<void>): () => void {
    return this.broker.onClosing(listener);
  }

  /** Resolves once the engine's queues and exchanges are set up on the core (recovered state included). */
  ready(): Promise<void> {
    return this.#ready;
  }

  get #vhost() {
    const vhost = this.broker.vhosts.get(this.vhostName);
    if (vhost === undefined) throw new AmqError('closed', 'the broker is not serving');
    return vhost;
  }

  async #init(): Promise<void> {
    const connection = this.broker.connect({ vhost: this.vhostName, user: null, connectionId: `activemq-engine-${randomUUID()}` });
    this.#system = connection.openChannel(noopHandler);
    await this.#system.declareQueue({ queue: DLQ_NAME, durable: true });
    this.#system.configureQueue(DLQ_NAME, { admit: dlqAdmit, deliveryLimit: this.maximumRedeliveries });
    await this.#system.declareExchange({ exchange: TEMP_TOPIC_EXCHANGE, type: 'topic', durable: false });
    // Queues recovered from the store get back what is not persisted with them.
    for (const queue of [...this.#vhost.queues.values()]) {
      const name = queue.name;
      if (name === DLQ_NAME) continue;
      if (name.startsWith(RETAINED_PREFIX)) {
        await this.#loadRetained(name);
        continue;
      }
      if (name.startsWith(DURABLE_PREFIX)) {
        const definition = parseDurableDefinition(queue.args[SUBSCRIPTION_ARG]);
        if (definition !== undefined) {
          // An x-expires comes back with the queue, its countdown started again by the recovery.
          this.#system.configureQueue(name, {
            admit: this.#subscriptionAdmit(definition.topic, definition.selector, definition.noLocal, undefined, definition.clientId),
            deliveryLimit: this.maximumRedeliveries,
            onDeleted: this.durableDeleted(definition.clientId, name),
          });
          this.#knownTopics.add(definition.topic);
          this.noteDurable(definition.clientId, name);
          continue;
        }
      }
      this.#system.configureQueue(name, { deliveryLimit: this.maximumRedeliveries });
    }
  }

  async #loadRetained(coreName: string): Promise<void> {
    const delivery = this.#system.get({ queue: coreName, noAck: false });
    if (delivery === undefined) return;
    this.#system.nack(delivery.deliveryTag, false, true);
    this.#retained.set(coreName.slice(RETAINED_PREFIX.length), this.messageOf(delivery.properties, delivery.body));
  }

  // ---- messages ----

  /** The AmqMessage for core properties and body (cached per encoded properties). */
  messageOf(properties: Uint8Array, body: Uint8Array): AmqMessage {
    return this.#metaOf(properties, body).message;
  }

  #metaOf(properties: Uint8Array, body: Uint8Array): MessageMeta {
    const carrier = properties as MetaCarrier;
    let meta = carrier[META];
    if (meta === undefined || meta.message.body !== body) {
      meta = { message: { ...decodeAmqProperties(properties), body }, connectionId: undefined, clientId: undefined };
      carrier[META] = meta;
    }
    return meta;
  }

  /** Encodes a message for the core and remembers its sender (noLocal). */
  encode(message: AmqMessage, origin: Connection | undefined, exchange = '', routingKey = ''): PublishedMessage {
    // The codec reads the header fields by name and ignores the body.
    const properties = encodeAmqProperties(message as AmqMessageHeaders) as MetaCarrier;
    properties[META] = { message, connectionId: origin?.id, clientId: origin?.clientId };
    return {
      exchange,
      routingKey,
      properties,
      body: message.body,
      view: { persistent: message.persistent, priority: message.priority, expiration: message.expiration > 0 ? ttlOf(message.expiration, this.broker.clock.now()) : undefined },
    };
  }

  /** Where a core delivery was sent, in ActiveMQ's terms. */
  destinationOf(exchange: string, routingKey: string): Destination {
    if (exchange === TOPIC_EXCHANGE) return { kind: 'topic', name: routingKey };
    if (exchange === TEMP_TOPIC_EXCHANGE) return { kind: 'temp-topic', name: routingKey };
    if (routingKey.startsWith(TEMP_QUEUE_PREFIX)) return { kind: 'temp-queue', name: routingKey.slice(TEMP_QUEUE_PREFIX.length) };
    return { kind: 'queue', name: routingKey };
  }

  /**
   * The admission filter of a topic subscription's queue: the concrete topic matches the pattern
   * (checked here only where the core's binding key cannot say it), the selector selects, and with
   * noLocal the sender is not the subscriber (its connection, or for a durable one its client id).
   */
  #subscriptionAdmit(pattern: string, selectorText: string | undefined, noLocal: boolean, connectionId: string | undefined, clientId: string | undefined): MessageFilter | undefined {
    const selector = selectorText === undefined || selectorText.trim() === '' ? undefined : parseSelector(selectorText);
    const exactPattern = splitDestinationName(pattern).some((s, i, all) => s === '#' || (s === '>' && i < all.length - 1)) ? new DestinationPattern(pattern) : undefined;
    if (selector === undefined && !noLocal && exactPattern === undefined) return undefined;
    return (core: CoreMessage) => {
      if (exactPattern !== undefined && !exactPattern.matches(core.routingKey)) return false;
      const meta = this.#metaOf(core.properties, core.body);
      if (noLocal) {
        if (connectionId !== undefined && meta.connectionId === connectionId) return false;
        if (clientId !== undefined && meta.clientId === clientId) return false;
      }
      if (selector === undefined) return true;
      return selector.matches(meta.message, { destination: this.destinationOf(core.exchange, core.routingKey), redelivered: false, deliveryCount: 1 });
    };
  }

  /** A queue consumer's filter for a selector. */
  queueFilter(selector: Selector, destination: Destination): MessageFilter {
    return (core, deliveryCount) =>
      selector.matches(this.#metaOf(core.properties, core.body).message, { destination, redelivered: deliveryCount > 0, deliveryCount: deliveryCount + 1 });
  }

  // ---- authorization and audit ----

  authorize(connection: Connection, operation: AuthorizationOperation, kind: 'queue' | 'topic', name: string): void {
    if (this.authorizer.allows(connection.groups, operation, kind, name)) return;
    this.audit('PermissionRefused', connection, { errorCode: 'not-authorized', data: { permission: operation, resourceType: kind } });
    const verb = operation === 'read' ? 'read from' : operation === 'write' ? 'write to' : 'create';
    throw new AmqError('not-authorized', `User ${connection.username} is not authorized to ${verb} this ${kind}`);
  }

  audit(eventName: string, connection: Connection, extra: { errorCode?: string; data?: Record<string, unknown> } = {}): void {
    const sink = this.#options.audit;
    if (sink === undefined) return;
    sink.record({
      eventSource: AuditEventSource.BROKER,
      eventName,
      eventType: AuditEventType.BrokerUserEvent,
      userIdentity: { type: 'BrokerUser', userName: connection.username },
      sourceIPAddress: connection.client.sourceIPAddress,
      userAgent: connection.client.userAgent,
      errorCode: extra.errorCode,
      additionalEventData: {
        ...(this.#options.brokerId === undefined ? {} : { brokerId: this.#options.brokerId }),
        vhost: this.vhostName,
        connectionId: connection.id,
        ...extra.data,
      },
    });
  }

  // ---- AmqEngine ----

  async connect(options: AmqConnectOptions): Promise<AmqConnection> {
    await this.#ready;
    let tags: readonly string[];
    try {
      tags = (await this.broker.authenticate(options.username, options.password, options.client ?? {})).tags;
    } catch {
      throw new AmqError('not-authorized', 'authentication failed');
    }
    const clientId = options.clientId === '' ? undefined : options.clientId;
    if (clientId !== undefined) {
      const existing = this.#clientIds.get(clientId);
      if (existing !== undefined) {
        if (options.takeOverClientId !== true) throw new AmqError('client-id-in-use', 'client id is already in use by another connection');
        await existing.forceClose('client id taken over by a new connection');
      }
    }
    const id = randomUUID();
    let connection: Connection | undefined;
    let core: BrokerConnection;
    try {
      // Destination permissions are the engine's (authorization entries): on the core, an ActiveMQ
      // user may use everything in the engine's vhost. Connecting as the user (not as a trusted
      // in-process caller) keeps the core's connection audit events and closes the connection when
      // the user is deleted.
      if (this.broker.users.getPermissions(options.username, this.vhostName) === undefined) {
        await this.broker.users.setPermissions(options.username, this.vhostName, { configure: '.*', write: '.*', read: '.*' });
      }
      core = this.broker.connect({
        vhost: this.vhostName,
        user: options.username,
        connectionId: id,
        client: options.client,
        onForcedClose: (reason) => connection?.forcedByBroker(reason.replyText.replace(/^[A-Z_]+ - /, '')),
      });
    } catch (error) {
      throw toAmqError(error);
    }
    // Another connect may have taken the client id while this one authenticated.
    if (clientId !== undefined && this.#clientIds.has(clientId)) {
      await core.close();
      throw new AmqError('client-id-in-use', 'client id is already in use by another connection');
    }
    connection = new Connection(this, core, id, options.username, clientId, groupsOfTags(tags), { ...options.client, connectionId: id });
    if (clientId !== undefined) this.#clientIds.set(clientId, connection);
    return connection;
  }

  async retain(topic: string, message: AmqMessage | null): Promise<void> {
    await this.#ready;
    checkSendDestination({ kind: 'topic', name: topic });
    const coreName = `${RETAINED_PREFIX}${topic}`;
    const write = this.#retainWrites.then(async () => {
      if (message === null || message.body.length === 0) {
        this.#retained.delete(topic);
        await this.#system.deleteQueue(coreName);
        return;
      }
      if (!this.#vhost.queues.has(coreName)) await this.#system.declareQueue({ queue: coreName, durable: true, args: { 'x-max-length': 1 } });
      const published = this.encode(message, undefined);
      // Retained messages are kept across restarts whatever their delivery mode.
      const outcome = this.#system.publish({ ...published, routingKey: coreName, view: { ...published.view, persistent: true, expiration: undefined } });
      this.#retained.set(topic, message);
      if ((await outcome.confirmation) === false) throw new AmqError('store-unavailable', 'the retained message could not be stored');
    });
    this.#retainWrites = write.catch(() => undefined);
    try {
      await write;
    } catch (error) {
      throw toAmqError(error);
    }
  }

  async retained(pattern: string): Promise<ReadonlyArray<{ readonly topic: string; readonly message: AmqMessage }>> {
    await this.#ready;
    await this.#retainWrites;
    const matcher = new DestinationPattern(pattern);
    const now = this.broker.clock.now();
    const out: Array<{ topic: string; message: AmqMessage }> = [];
    for (const [topic, message] of this.#retained) {
      if (message.expiration > 0 && message.expiration <= now) {
        this.#dropExpiredRetained(topic, message);
        continue;
      }
      if (matcher.matches(topic)) out.push({ topic, message });
    }
    return out;
  }

  /** An expired retained message is removed (MQTT 5 message expiry), unless replaced meanwhile. */
  #dropExpiredRetained(topic: string, message: AmqMessage): void {
    const write = this.#retainWrites.then(async () => {
      if (this.#retained.get(topic) !== message) return;
      this.#retained.delete(topic);
      await this.#system.deleteQueue(`${RETAINED_PREFIX}${topic}`);
    });
    this.#retainWrites = write.catch((error: unknown) => this.#options.onError?.(error));
  }

  // ---- engine state used by connections ----

  /**
   * Producer flow control (ActiveMQ blocks a producer while the broker is out of resources): resolves
   * at once without an alarm, else once every memory or disk alarm has cleared.
   */
  whenUnblocked(): Promise<void> | undefined {
    const flow = this.broker.flow;
    if (!flow.blocked) return undefined;
    return new Promise((resolve) => {
      const done = (): void => {
        flow.off('unblocked', done);
        resolve();
      };
      flow.on('unblocked', done);
    });
  }

  get system(): ConsumerChannel {
    return this.#system;
  }

  /** Registers a client id taken after connecting (Connection.setClientId); refused while another connection has it. */
  claimClientId(connection: Connection, clientId: string): void {
    if (clientId === '') throw new AmqError('invalid-destination', 'a client id must not be empty');
    if (this.#clientIds.has(clientId)) throw new AmqError('client-id-in-use', 'client id is already in use by another connection');
    this.#clientIds.set(clientId, connection);
  }

  releaseClientId(connection: Connection): void {
    if (connection.clientId !== undefined && this.#clientIds.get(connection.clientId) === connection) this.#clientIds.delete(connection.clientId);
  }

  /** Creates a user queue if it does not exist (needs admin), with the DLQ and delivery limit. */
  async ensureQueue(connection: Connection, name: string): Promise<void> {
    if (this.#vhost.queues.has(name)) return;
    if (RESERVED_PREFIXES.some((p) => name.startsWith(p))) throw new AmqError('invalid-destination', 'this queue name is reserved');
    // The core reserves amq.* queue names (RabbitMQ's rule), so such ActiveMQ queues cannot exist.
    if (name.startsWith('amq.')) throw new AmqError('invalid-destination', "queue names beginning with 'amq.' are reserved");
    this.authorize(connection, 'admin', 'queue', name);
    try {
      await this.#system.declareQueue({ queue: name, durable: true, args: dlqArguments });
      this.#system.configureQueue(name, { deliveryLimit: this.maximumRedeliveries });
    } catch (error) {
      throw toAmqError(error);
    }
  }

  /** A topic is created on first use (needs admin), as ActiveMQ does. */
  ensureTopic(connection: Connection, name: string): void {
    // Without entries everyone may create: nothing to remember (MQTT may use millions of topics).
    if (!this.authorizer.enabled || this.#knownTopics.has(name)) return;
    this.authorize(connection, 'admin', 'topic', name);
    // A bounded memory of topics seen: forgetting one only means checking admin again.
    if (this.#knownTopics.size >= KNOWN_TOPICS_MAX) this.#knownTopics.clear();
    this.#knownTopics.add(name);
  }

  registerTemp(entry: TempEntry): void {
    this.#temps.set(`${entry.destination.kind}:${entry.destination.name}`, entry);
  }

  temp(destination: Destination): TempEntry | undefined {
    return this.#temps.get(`${destination.kind}:${destination.name}`);
  }

  dropTemp(entry: TempEntry): void {
    this.#temps.delete(`${entry.destination.kind}:${entry.destination.name}`);
  }

  /** Claims the one consumer slot of a durable subscription; false when it is taken. */
  claimDurable(coreName: string): boolean {
    if (this.#activeDurable.has(coreName)) return false;
    this.#activeDurable.add(coreName);
    return true;
  }

  releaseDurable(coreName: string): void {
    this.#activeDurable.delete(coreName);
  }

  isDurableActive(coreName: string): boolean {
    return this.#activeDurable.has(coreName);
  }

  hasQueue(name: string): boolean {
    return this.#vhost.queues.has(name);
  }

  /** Records a durable subscription queue of a client id (recovered or declared). */
  noteDurable(clientId: string, coreName: string): void {
    let names = this.#durableByClient.get(clientId);
    if (names === undefined) {
      names = new Set();
      this.#durableByClient.set(clientId, names);
    }
    names.add(coreName);
  }

  /**
   * The core's onDeleted for a durable subscription queue: it leaves the index when the core deletes
   * it (x-expires ran out, unsubscribed, removed by management), so that the index of clients that
   * never come back does not grow.
   */
  durableDeleted(clientId: string, coreName: string): () => void {
    return () => {
      const names = this.#durableByClient.get(clientId);
      if (names === undefined) return;
      names.delete(coreName);
      if (names.size === 0) this.#durableByClient.delete(clientId);
    };
  }

  /** Clients with durable subscriptions in the index (tests). */
  get durableClientCount(): number {
    return this.#durableByClient.size;
  }

  /** Changes a durable subscription queue's x-expires in place (stored with its definition). */
  async setDurableExpires(coreName: string, expiresMs: number | undefined): Promise<void> {
    if (this.#vhost.queues.get(coreName)?.arguments.expiresMs === expiresMs) return;
    try {
      await this.#vhost.setQueueExpires(coreName, expiresMs, undefined);
    } catch (error) {
      throw toAmqError(error);
    }
  }

  /**
   * The durable subscriptions stored under a client id. Read from the vhost's queues (recovered from
   * the store), found through an index so that a CONNECT does not scan every queue; a queue deleted
   * without its onDeleted having run (none is known) would leave the index here.
   */
  durableSubscriptionsOf(clientId: string): DurableSubscriptionInfo[] {
    const out: DurableSubscriptionInfo[] = [];
    const names = this.#durableByClient.get(clientId);
    if (names === undefined) return out;
    const queues = this.#vhost.queues;
    for (const name of names) {
      const queue = queues.get(name);
      if (queue === undefined) {
        names.delete(name);
        continue;
      }
      const definition = parseDurableDefinition(queue.args[SUBSCRIPTION_ARG]);
      if (definition === undefined || definition.clientId !== clientId) continue;
      out.push({
        name: definition.name,
        destination: { kind: 'topic', name: definition.topic },
        selector: definition.selector,
        noLocal: definition.noLocal,
        active: this.#activeDurable.has(name),
        expiresAfterMs: queue.arguments.expiresMs,
      });
    }
    if (names.size === 0) this.#durableByClient.delete(clientId);
    return out;
  }

  /** A core queue of the engine's vhost, for browsing (read only). */
  coreQueue(name: string): Queue | undefined {
    return this.#vhost.queues.get(name);
  }

  queueArgs(name: string): HeaderTable | undefined {
    return this.#vhost.queues.get(name)?.args;
  }

  subscriptionAdmit(pattern: string, selector: string | undefined, noLocal: boolean, connectionId: string | undefined, clientId: string | undefined): MessageFilter | undefined {
    return this.#subscriptionAdmit(pattern, selector, noLocal, connectionId, clientId);
  }

  /** What to do with a message already expired when sent: persistent ones to the DLQ, others dropped. */
  expiredOnSend(message: AmqMessage): PublishedMessage | undefined {
    if (!message.persistent) return undefined;
    const dead: AmqMessage = { ...message, expiration: 0, properties: { ...message.properties, [DLQ_DELIVERY_FAILURE_CAUSE]: 'Message expired' } };
    return this.encode(dead, undefined, '', DLQ_NAME);
  }
}

/**
 * ActiveMQ's default dead-letter strategy (AbstractDeadLetterStrategy: processNonPersistent false,
 * processExpired true): persistent messages are kept, expired or poisoned; non-persistent ones are
 * dropped rather than dead-lettered.
 */
const dlqAdmit: MessageFilter = (message) => message.view.persistent;

const dlqArguments: HeaderTable = { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': DLQ_NAME };

function parseDurableDefinition(value: unknown): DurableDefinition | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    const v = JSON.parse(value) as Partial<DurableDefinition>;
    if (typeof v.clientId !== 'string' || typeof v.name !== 'string' || typeof v.topic !== 'string') return undefined;
    return { clientId: v.clientId, name: v.name, topic: v.topic, selector: typeof v.selector === 'string' ? v.selector : undefined, noLocal: v.noLocal === true };
  } catch {
    return undefined;
  }
}

interface PendingSettlement {
  readonly token: number;
  readonly action: 'ack' | 'nack';
  readonly poison: boolean;
}

interface Transaction {
  readonly sends: Array<{ readonly destination: Destination; readonly message: AmqMessage }>;
  readonly settlements: PendingSettlement[];
}

const EMPTY_PROPERTIES: Readonly<Record<string, never>> = Object.freeze({});
/** Destinations per kind a connection remembers as checked for sending, at most. */
const SENDABLE_CACHE_MAX = 1024;

function notStored(): AmqError {
  return new AmqError('store-unavailable', 'the message could not be stored');
}

function checkStored(stored: boolean): void {
  if (!stored) throw notStored();
}

/** One client connection (AmqConnection). */
export class Connection implements AmqConnection {
  readonly id: string;
  readonly username: string;
  /** Set at connect, or once later by setClientId (AMQP 1.0: SASL, then open's container-id). */
  clientId: string | undefined;
  readonly groups: readonly string[];
  readonly client: ClientInfo;
  readonly engine: ActiveMqEngine;
  readonly core: BrokerConnection;
  readonly #subscriptions = new Map<string, ActiveSubscription>();
  readonly #tokens = new Map<number, ActiveSubscription>();
  readonly #transactions = new Map<string, Transaction>();
  readonly #temps = new Set<TempEntry>();
  readonly #forcedListeners: Array<(reason: string) => void> = [];
  readonly #sendableQueues = new Set<string>();
  readonly #sendableTopics = new Set<string>();
  #sender: ConsumerChannel | undefined;
  #nextToken = 1;
  #nextMessageId = 1;
  #nextTemp = 1;
  #nextSubscriptionQueue = 1;
  #closed = false;
  #forced = false;

  constructor(engine: ActiveMqEngine, core: BrokerConnection, id: string, username: string, clientId: string | undefined, groups: readonly string[], client: ClientInfo) {
    this.engine = engine;
    this.core = core;
    this.id = id;
    this.username = username;
    this.clientId = clientId;
    this.groups = groups;
    this.client = client;
  }

  get closed(): boolean {
    return this.#closed;
  }

  setClientId(clientId: string): void {
    this.#assertOpen();
    if (this.clientId !== undefined) throw new AmqError('client-id-in-use', 'this connection already has a client id');
    this.engine.claimClientId(this, clientId);
    this.clientId = clientId;
  }

  #assertOpen(): void {
    if (this.#closed) throw new AmqError('closed', 'connection is closed');
  }

  get #sendChannel(): ConsumerChannel {
    this.#sender ??= this.core.openChannel(noopHandler);
    return this.#sender;
  }

  nextToken(subscription: ActiveSubscription): number {
    const token = this.#nextToken++;
    if (subscription.ackMode !== 'auto') this.#tokens.set(token, subscription);
    return token;
  }

  forgetToken(token: number): void {
    this.#tokens.delete(token);
  }

  // ---- sending ----

  #complete(message: AmqOutgoing): AmqMessage {
    const priority = message.priority ?? 4;
    if (!Number.isInteger(priority) || priority < 0 || priority > 9) throw new AmqError('invalid-destination', 'priority must be an integer from 0 to 9');
    const timestamp = message.timestamp;
    // Built field by field (one object shape, the decoder's; optional fields only when present)
    // rather than by spreading the sender's object, which costs a dictionary copy per message.
    const out: { -readonly [K in keyof AmqMessage]: AmqMessage[K] } = {
      body: message.body,
      bodyType: message.bodyType,
      persistent: message.persistent,
      priority,
      expiration: message.expiration ?? 0,
      timestamp: timestamp === undefined || timestamp === 0 ? this.engine.broker.clock.now() : timestamp,
      properties: message.properties ?? EMPTY_PROPERTIES,
      messageId: message.messageId ?? `ID:${this.id}:${this.#nextMessageId++}`,
    };
    if (message.correlationId !== undefined) out.correlationId = message.correlationId;
    if (message.replyTo !== undefined) out.replyTo = message.replyTo;
    if (message.type !== undefined) out.type = message.type;
    if (message.contentType !== undefined) out.contentType = message.contentType;
    return out;
  }

  /** Checks a send (destination, authorization) and builds the full message; does not publish. */
  #prepare(destination: Destination, outgoing: AmqOutgoing): AmqMessage {
    const kind = destination.kind;
    if (kind === 'queue' || kind === 'topic') {
      // A queue or topic this connection has sent to passed both checks; neither answer can change
      // while it is open (the entries and the user's groups are fixed for its life).
      const sendable = kind === 'queue' ? this.#sendableQueues : this.#sendableTopics;
      if (!sendable.has(destination.name)) {
        checkSendDestination(destination);
        this.engine.authorize(this, 'write', kind, destination.name);
        if (sendable.size >= SENDABLE_CACHE_MAX) sendable.clear();
        sendable.add(destination.name);
      }
    } else {
      checkSendDestination(destination);
      if (this.engine.temp(destination) === undefined) throw new AmqError('invalid-destination', 'the temporary destination does not exist');
    }
    return this.#complete(outgoing);
  }

  /**
   * Where a destination publishes in the core, or undefined while its queue (or created temporary
   * queue) does not exist yet. A topic's exchange is made on the way.
   */
  #coreAddress(destination: Destination): { readonly exchange: string; readonly routingKey: string } | undefined {
    const engine = this.engine;
    switch (destination.kind) {
      case 'queue':
        return engine.hasQueue(destination.name) ? { exchange: '', routingKey: destination.name } : undefined;
      case 'topic':
        engine.ensureTopic(this, destination.name);
        return { exchange: TOPIC_EXCHANGE, routingKey: destination.name };
      case 'temp-queue': {
        const entry = engine.temp(destination);
        return entry !== undefined && entry.created ? { exchange: '', routingKey: entry.coreName } : undefined;
      }
      case 'temp-topic':
        return { exchange: TEMP_TOPIC_EXCHANGE, routingKey: destination.name };
    }
  }

  /**
   * Publishes a prepared message at once when nothing needs waiting for (the queue exists, the
   * temporary queue is created, the message is not expired, the queue was not deleted meanwhile):
   * the confirmation, or undefined to take the general path (#publish).
   */
  #publishNow(destination: Destination, message: AmqMessage): boolean | Promise<boolean> | undefined {
    const engine = this.engine;
    if (message.expiration > 0 && message.expiration <= engine.broker.clock.now()) return undefined;
    const address = this.#coreAddress(destination);
    if (address === undefined) return undefined;
    let outcome;
    try {
      outcome = this.#sendChannel.publish(engine.encode(message, this, address.exchange, address.routingKey));
    } catch (error) {
      throw toAmqError(error);
    }
    // Unrouted to a queue: it was deleted meanwhile (management); #publish creates it again.
    if (!outcome.routed && destination.kind === 'queue') return undefined;
    return outcome.confirmation;
  }

  /** Publishes a prepared message, creating its queue first if need be; resolves with the confirmation to wait for. */
  async #publish(destination: Destination, message: AmqMessage): Promise<boolean | Promise<boolean>> {
    const engine = this.engine;
    if (message.expiration > 0 && message.expiration <= engine.broker.clock.now()) {
      const dead = destination.kind === 'queue' ? engine.expiredOnSend(message) : undefined;
      return dead === undefined ? true : this.#sendChannel.publish(dead).confirmation;
    }
    if (destination.kind === 'queue' && !engine.hasQueue(destination.name)) await engine.ensureQueue(this, destination.name);
    if (destination.kind === 'temp-queue') {
      const entry = engine.temp(destination);
      if (entry === undefined) throw new AmqError('invalid-destination', 'the temporary destination does not exist');
      await entry.owner.ensureTempQueue(entry);
    }
    this.#assertOpen();
    // A queue deleted again since it was ensured is caught below by the unrouted publish.
    const address = this.#coreAddress(destination) ?? (destination.kind === 'queue' ? { exchange: '', routingKey: destination.name } : undefined);
    if (address === undefined) throw new AmqError('invalid-destination', 'the temporary destination does not exist');
    const published = engine.encode(message, this, address.exchange, address.routingKey);
    try {
      let outcome = this.#sendChannel.publish(published);
      if (!outcome.routed && destination.kind === 'queue') {
        // The queue was deleted meanwhile (management): create it again, as a send would.
        await engine.ensureQueue(this, destination.name);
        outcome = this.#sendChannel.publish(published);
      }
      return outcome.confirmation;
    } catch (error) {
      throw toAmqError(error);
    }
  }

  send(destination: Destination, outgoing: AmqOutgoing, options: SendOptions = {}): Promise<void> {
    // The common case (no transaction, no resource alarm, the destination ready) publishes at once
    // and allocates no promise beyond the store's confirmation; failures still come as rejections.
    try {
      this.#assertOpen();
      const message = this.#prepare(destination, outgoing);
      if (options.transaction !== undefined) {
        this.#transaction(options.transaction).sends.push({ destination, message });
        return SENT;
      }
      if (this.engine.broker.flow.blocked) return this.#sendWhenUnblocked(destination, message);
      const confirmation = this.#publishNow(destination, message);
      if (confirmation === undefined) return this.#sendSlowly(destination, message);
      if (confirmation === true) return SENT;
      if (confirmation === false) return Promise.reject(notStored());
      return confirmation.then(checkStored);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async #sendWhenUnblocked(destination: Destination, message: AmqMessage): Promise<void> {
    await this.engine.whenUnblocked();
    this.#assertOpen();
    await this.#sendSlowly(destination, message);
  }

  async #sendSlowly(destination: Destination, message: AmqMessage): Promise<void> {
    const confirmation = await this.#publish(destination, message);
    if ((await confirmation) === false) throw notStored();
  }

  // ---- subscribing ----

  async subscribe(options: SubscribeOptions, deliver: (delivery: AmqDelivery) => void): Promise<Subscription> {
    this.#assertOpen();
    if (this.#subscriptions.has(options.id)) throw new AmqError('invalid-destination', 'a subscription with this id exists on this connection');
    checkDestination(options.destination);
    const selector = options.selector === undefined || options.selector.trim() === '' ? undefined : parseSelector(options.selector);
    const { destination } = options;
    const engine = this.engine;
    const prefetch = options.ackMode === 'auto' ? 0 : options.prefetch ?? DEFAULT_PREFETCH;
    let coreQueue: string;
    let filter: MessageFilter | undefined;
    let durableName: string | undefined;
    let claimed = false;
    const setUp: Array<() => void> = [];
    // Reserve the id now: a second subscribe with it while this one awaits is refused.
    this.#subscriptions.set(options.id, undefined as unknown as ActiveSubscription);
    try {
      switch (destination.kind) {
        case 'queue': {
          if (isWildcardName(destination.name)) throw new AmqError('invalid-destination', 'wildcard queue subscriptions are not supported');
          if (options.durableName !== undefined) throw new AmqError('invalid-destination', 'durable subscriptions are for topics');
          engine.authorize(this, 'read', 'queue', destination.name);
          await engine.ensureQueue(this, destination.name);
          coreQueue = destination.name;
          if (selector !== undefined) filter = engine.queueFilter(selector, destination);
          break;
        }
        case 'temp-queue': {
          const entry = engine.temp(destination);
          if (entry === undefined) throw new AmqError('invalid-destination', 'the temporary destination does not exist');
          if (entry.owner !== this) throw new AmqError('invalid-destination', 'cannot consume from a temporary destination of another connection');
          await this.ensureTempQueue(entry);
          coreQueue = entry.coreName;
          if (selector !== undefined) filter = engine.queueFilter(selector, destination);
          break;
        }
        case 'topic':
        case 'temp-topic': {
          const isTemp = destination.kind === 'temp-topic';
          if (isTemp) {
            const entry = engine.temp(destination);
            if (entry === undefined) throw new AmqError('invalid-destination', 'the temporary destination does not exist');
            if (entry.owner !== this) throw new AmqError('invalid-destination', 'cannot consume from a temporary destination of another connection');
          } else {
            engine.authorize(this, 'read', 'topic', destination.name);
          }
          const exchange = isTemp ? TEMP_TOPIC_EXCHANGE : TOPIC_EXCHANGE;
          const bindingKey = topicBindingKey(destination.name);
          if (options.durableName !== undefined && !isTemp) {
            if (this.clientId === undefined) throw new AmqError('invalid-destination', 'a durable subscription needs a client id');
            durableName = durableQueueName(this.clientId, options.durableName);
            const expires = durableExpires(options.expiresAfterMs);
            if (!engine.claimDurable(durableName)) throw new AmqError('subscription-in-use', 'the durable subscription has an active consumer');
            claimed = true;
            const definition: DurableDefinition = {
              clientId: this.clientId,
              name: options.durableName,
              topic: destination.name,
              selector: selector?.text,
              noLocal: options.noLocal === true,
            };
            const encoded = JSON.stringify(definition);
            const existing = engine.queueArgs(durableName);
            if (existing !== undefined && existing[SUBSCRIPTION_ARG] !== encoded) {
              // JMS: subscribing with another topic, selector or noLocal replaces the subscription.
              engine.authorize(this, 'admin', 'topic', destination.name);
              await engine.system.deleteQueue(durableName);
            }
            if (!engine.hasQueue(durableName)) {
              engine.authorize(this, 'admin', 'topic', destination.name);
              const args: HeaderTable = { ...dlqArguments, [SUBSCRIPTION_ARG]: encoded, ...(expires === undefined ? {} : { 'x-expires': expires }) };
              await engine.system.declareQueue({ queue: durableName, durable: true, args });
              engine.noteDurable(this.clientId, durableName);
              await engine.system.bindQueue({ queue: durableName, exchange, routingKey: bindingKey });
            } else {
              // Only the expiry changed (an MQTT session resumed with another expiry): in place,
              // keeping what the subscription collected.
              await engine.setDurableExpires(durableName, expires);
            }
            engine.system.configureQueue(durableName, {
              admit: engine.subscriptionAdmit(destination.name, definition.selector, definition.noLocal, undefined, this.clientId),
              deliveryLimit: engine.maximumRedeliveries,
              onDeleted: engine.durableDeleted(this.clientId, durableName),
            });
            coreQueue = durableName;
          } else {
            // A wildcard subscription creates no topic (ActiveMQ); a concrete one does.
            if (!isTemp && !isWildcardName(destination.name)) engine.ensureTopic(this, destination.name);
            coreQueue = `${SUBSCRIPTION_PREFIX}${this.id}:${this.#nextSubscriptionQueue++}`;
            const channel = this.#sendChannel;
            await channel.declareQueue({ queue: coreQueue, durable: false, exclusive: true, autoDelete: true, args: dlqArguments });
            channel.configureQueue(coreQueue, {
              admit: engine.subscriptionAdmit(destination.name, selector?.text, options.noLocal === true, this.id, undefined),
              deliveryLimit: engine.maximumRedeliveries,
            });
            await channel.bindQueue({ queue: coreQueue, exchange, routingKey: bindingKey });
            // A subscription queue that never got a consumer is not auto-deleted: remove it on failure.
            setUp.push(() => void this.#sendChannel.deleteQueue(coreQueue).catch(() => undefined));
          }
          break;
        }
      }
      this.#assertOpen();
      const subscription = new ActiveSubscription(this, options.id, options.ackMode, destination, deliver, durableName);
      subscription.open(coreQueue, prefetch, filter);
      this.#subscriptions.set(options.id, subscription);
      return subscription;
    } catch (error) {
      this.#subscriptions.delete(options.id);
      if (claimed && durableName !== undefined) engine.releaseDurable(durableName);
      for (const undo of setUp) undo();
      throw toAmqError(error);
    }
  }

  // ---- browsing ----

  async browse(destination: Destination, options: BrowseOptions = {}): Promise<readonly AmqBrowsedMessage[]> {
    this.#assertOpen();
    checkDestination(destination);
    const engine = this.engine;
    let coreName: string;
    switch (destination.kind) {
      case 'queue':
        if (isWildcardName(destination.name)) throw new AmqError('invalid-destination', 'wildcard queues cannot be browsed');
        // The engine's own queues (subscriptions, temporary queues, retained messages) are not
        // ActiveMQ queues; ActiveMQ.DLQ is one, and browsing it is common.
        if (RESERVED_PREFIXES.some((p) => destination.name.startsWith(p)) || destination.name.startsWith('amq.')) {
          throw new AmqError('invalid-destination', 'this queue name is reserved');
        }
        engine.authorize(this, 'read', 'queue', destination.name);
        coreName = destination.name;
        break;
      case 'temp-queue': {
        const entry = engine.temp(destination);
        if (entry === undefined) throw new AmqError('invalid-destination', 'the temporary destination does not exist');
        if (entry.owner !== this) throw new AmqError('invalid-destination', 'cannot browse a temporary queue of another connection');
        coreName = entry.coreName;
        break;
      }
      default:
        // JMS browses queues only (Session.createBrowser takes a Queue).
        throw new AmqError('invalid-destination', 'only queues can be browsed, not topics');
    }
    const selector = options.selector === undefined || options.selector.trim() === '' ? undefined : parseSelector(options.selector);
    // Browsing creates nothing (a consumer would create the queue): a missing queue has no messages.
    const queue = engine.coreQueue(coreName);
    if (queue === undefined || queue.deleted) return [];
    return browseReady(queue.readyMessages(), {
      destination,
      selector,
      examineMax: engine.browseMessagesMax,
      nowMs: engine.broker.clock.now(),
      messageOf: (core) => engine.messageOf(core.properties, core.body),
    });
  }

  subscriptionClosed(subscription: ActiveSubscription): void {
    if (this.#subscriptions.get(subscription.id) === subscription) this.#subscriptions.delete(subscription.id);
  }

  async unsubscribeDurable(name: string): Promise<void> {
    this.#assertOpen();
    if (this.clientId === undefined) throw new AmqError('invalid-destination', 'a durable subscription needs a client id');
    const coreName = durableQueueName(this.clientId, name);
    if (this.engine.isDurableActive(coreName)) throw new AmqError('subscription-in-use', 'the durable subscription has an active consumer');
    if (!this.engine.hasQueue(coreName)) throw new AmqError('invalid-destination', 'no durable subscription of this name exists for this client id');
    try {
      await this.engine.system.deleteQueue(coreName);
    } catch (error) {
      throw toAmqError(error);
    }
  }

  async setDurableExpiry(name: string, expiresAfterMs: number | undefined): Promise<void> {
    this.#assertOpen();
    if (this.clientId === undefined) throw new AmqError('invalid-destination', 'a durable subscription needs a client id');
    const expires = durableExpires(expiresAfterMs);
    const coreName = durableQueueName(this.clientId, name);
    if (!this.engine.hasQueue(coreName)) throw new AmqError('invalid-destination', 'no durable subscription of this name exists for this client id');
    await this.engine.setDurableExpires(coreName, expires);
  }

  durableSubscriptions(): readonly DurableSubscriptionInfo[] {
    this.#assertOpen();
    return this.clientId === undefined ? [] : this.engine.durableSubscriptionsOf(this.clientId);
  }

  // ---- acknowledgements ----

  #subscriptionOf(token: number): ActiveSubscription {
    const subscription = this.#tokens.get(token);
    if (subscription === undefined || !subscription.holds(token)) throw new AmqError('unknown-delivery', 'unknown or already settled delivery');
    return subscription;
  }

  ack(token: number, options: SendOptions = {}): void {
    this.#assertOpen();
    const subscription = this.#subscriptionOf(token);
    if (options.transaction !== undefined) {
      this.#transaction(options.transaction).settlements.push({ token, action: 'ack', poison: false });
      subscription.markPending(token);
      return;
    }
    subscription.settle(token, 'ack', false);
  }

  nack(token: number, options: SendOptions & { readonly poison?: boolean } = {}): void {
    this.#assertOpen();
    const subscription = this.#subscriptionOf(token);
    if (options.transaction !== undefined) {
      this.#transaction(options.transaction).settlements.push({ token, action: 'nack', poison: options.poison === true });
      subscription.markPending(token);
      return;
    }
    subscription.settle(token, 'nack', options.poison === true);
  }

  // ---- transactions ----

  #transaction(id: string): Transaction {
    const tx = this.#transactions.get(id);
    if (tx === undefined) throw new AmqError('invalid-transaction', 'unknown transaction');
    return tx;
  }

  begin(transaction: string): void {
    this.#assertOpen();
    if (this.#transactions.has(transaction)) throw new AmqError('invalid-transaction', 'transaction already begun');
    this.#transactions.set(transaction, { sends: [], settlements: [] });
  }

  async commit(transaction: string): Promise<void> {
    this.#assertOpen();
    const tx = this.#transaction(transaction);
    this.#transactions.delete(transaction);
    const blocked = tx.sends.length > 0 ? this.engine.whenUnblocked() : undefined;
    if (blocked !== undefined) {
      await blocked;
      this.#assertOpen();
    }
    const confirmations: Array<boolean | Promise<boolean>> = [];
    let failure: unknown;
    for (const { destination, message } of tx.sends) {
      try {
        confirmations.push(await this.#publish(destination, message));
      } catch (error) {
        failure ??= error;
      }
    }
    for (const s of tx.settlements) this.#tokens.get(s.token)?.settle(s.token, s.action, s.poison);
    if (failure !== undefined) throw toAmqError(failure);
    const results = await Promise.all(confirmations);
    if (results.includes(false)) throw new AmqError('store-unavailable', 'a message of the transaction could not be stored');
  }

  abort(transaction: string): void {
    this.#assertOpen();
    const tx = this.#transaction(transaction);
    this.#transactions.delete(transaction);
    // Messages acknowledged in the transaction are delivered again (with redelivered set).
    for (const s of tx.settlements) this.#tokens.get(s.token)?.settle(s.token, 'nack', false);
  }

  // ---- temporary destinations ----

  createTemporary(kind: 'temp-queue' | 'temp-topic'): Destination {
    this.#assertOpen();
    const name = `ID:${this.id}:${this.#nextTemp++}`;
    const destination: Destination = { kind, name };
    const entry: TempEntry = { destination, owner: this, coreName: `${TEMP_QUEUE_PREFIX}${name}`, created: false };
    this.#temps.add(entry);
    this.engine.registerTemp(entry);
    return destination;
  }

  /** Creates a temporary queue's core queue on first use (exclusive to this connection). */
  async ensureTempQueue(entry: TempEntry): Promise<void> {
    if (entry.created) return;
    if (this.#closed) throw new AmqError('invalid-destination', 'the temporary destination does not exist');
    await this.#sendChannel.declareQueue({ queue: entry.coreName, durable: false, exclusive: true, args: dlqArguments });
    this.#sendChannel.configureQueue(entry.coreName, { deliveryLimit: this.engine.maximumRedeliveries });
    entry.created = true;
  }

  // ---- closing ----

  onForcedClose(listener: (reason: string) => void): void {
    this.#forcedListeners.push(listener);
  }

  /** The broker closes the core connection (shutdown, quarantine, user deleted). */
  forcedByBroker(reason: string): void {
    if (this.#forced || this.#closed) return;
    this.#forced = true;
    for (const listener of this.#forcedListeners) {
      try {
        listener(reason);
      } catch {
        // A session's listener failing must not stop the others.
      }
    }
    this.#release();
  }

  /** The engine closes this connection (client id taken over). */
  async forceClose(reason: string): Promise<void> {
    this.forcedByBroker(reason);
    await this.core.close();
  }

  #release(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#transactions.clear();
    for (const subscription of [...this.#subscriptions.values()]) subscription?.release();
    this.#subscriptions.clear();
    this.#tokens.clear();
    for (const entry of this.#temps) this.engine.dropTemp(entry);
    this.#temps.clear();
    this.engine.releaseClientId(this);
  }

  async close(): Promise<void> {
    if (this.#closed) {
      await this.core.close();
      return;
    }
    this.#release();
    await this.core.close();
  }
}

/** One subscription: a consumer on one core queue through its own channel. */
class ActiveSubscription implements Subscription {
  readonly #connection: Connection;
  readonly id: string;
  readonly ackMode: AckMode;
  readonly #destination: Destination;
  readonly #deliver: (delivery: AmqDelivery) => void;
  readonly #durableName: string | undefined;
  /** Unsettled deliveries: token -> channel delivery tag, in delivery order. */
  readonly #unsettled = new Map<number, number>();
  /** Tokens settled inside an open transaction. */
  readonly #pending = new Set<number>();
  #channel: ConsumerChannel | undefined;
  #closed = false;
  /** The destination of the last delivery from a topic (deliveries share it: it is read-only). */
  #lastTopic: { readonly exchange: string; readonly routingKey: string; readonly destination: Destination } | undefined;

  constructor(connection: Connection, id: string, ackMode: AckMode, destination: Destination, deliver: (delivery: AmqDelivery) => void, durableName: string | undefined) {
    this.#connection = connection;
    this.id = id;
    this.ackMode = ackMode;
    this.#destination = destination;
    this.#deliver = deliver;
    this.#durableName = durableName;
  }

  open(coreQueue: string, prefetch: number, filter: MessageFilter | undefined): void {
    const channel = this.#connection.core.openChannel({
      deliver: (delivery) => this.#onDelivery(delivery),
      consumerCancelled: () => this.#onCancelled(),
    });
    this.#channel = channel;
    // A full prefetch is topped up a quarter at a time (see Consumer.refillBatch): a client
    // draining a deep queue gets its messages in bursts rather than one per acknowledgement.
    const refillBatch = prefetch >= REFILL_PREFETCH_MIN ? Math.floor(prefetch / 4) : 0;
    channel.consume({ queue: coreQueue, consumerTag: this.id, noAck: this.ackMode === 'auto', prefetch, refillBatch, ...(filter === undefined ? {} : { filter }) });
  }

  #onDelivery(delivery: Delivery): void {
    if (this.#closed) return;
    const engine = this.#connection.engine;
    const token = this.#connection.nextToken(this);
    if (this.ackMode !== 'auto') this.#unsettled.set(token, delivery.deliveryTag);
    let destination = this.#destination;
    if (destination.kind === 'topic' || destination.kind === 'temp-topic') {
      // A topic subscription mostly sees one concrete topic after another: reuse its destination.
      const last = this.#lastTopic;
      if (last !== undefined && last.exchange === delivery.exchange && last.routingKey === delivery.routingKey) destination = last.destination;
      else {
        destination = engine.destinationOf(delivery.exchange, delivery.routingKey);
        this.#lastTopic = { exchange: delivery.exchange, routingKey: delivery.routingKey, destination };
      }
    }
    this.#deliver({
      subscriptionId: this.id,
      token,
      destination,
      message: engine.messageOf(delivery.properties, delivery.body),
      redelivered: delivery.redelivered,
      deliveryCount: delivery.deliveryCount ?? (delivery.redelivered ? 2 : 1),
    });
  }

  #onCancelled(): void {
    // The queue went away (unsubscribed elsewhere, deleted by management): no more deliveries.
    this.release();
  }

  holds(token: number): boolean {
    return this.#unsettled.has(token) && !this.#pending.has(token);
  }

  markPending(token: number): void {
    this.#pending.add(token);
  }

  /** Applies an ack or nack; with 'client' mode it covers every earlier delivery too. */
  settle(token: number, action: 'ack' | 'nack', poison: boolean): void {
    const channel = this.#channel;
    const tag = this.#unsettled.get(token);
    if (channel === undefined || tag === undefined) return;
    if (this.ackMode !== 'client') {
      // One delivery (individual mode): no list to build.
      this.#unsettled.delete(token);
      this.#pending.delete(token);
      this.#connection.forgetToken(token);
      try {
        if (action === 'ack') channel.ack(tag);
        else channel.nack(tag, false, !poison);
      } catch {
        // Already settled by the core (channel closed): nothing left to do.
      }
      return;
    }
    const tokens: number[] = [];
    for (const t of this.#unsettled.keys()) {
      if (t > token) break;
      tokens.push(t);
    }
    for (const t of tokens) {
      const deliveryTag = this.#unsettled.get(t)!;
      this.#unsettled.delete(t);
      this.#pending.delete(t);
      this.#connection.forgetToken(t);
      try {
        if (action === 'ack') channel.ack(deliveryTag);
        else channel.nack(deliveryTag, false, !poison);
      } catch {
        // Already settled by the core (channel closed): nothing left to do.
      }
    }
  }

  setCredit(credit: number | undefined): void {
    if (this.#closed || this.#channel === undefined) return;
    this.#channel.setCredit(this.id, credit);
  }

  /** Stops without waiting (connection closing): unsettled deliveries go back to the queue. */
  release(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const token of this.#unsettled.keys()) this.#connection.forgetToken(token);
    this.#unsettled.clear();
    this.#pending.clear();
    this.#channel?.close();
    if (this.#durableName !== undefined) this.#connection.engine.releaseDurable(this.#durableName);
    this.#connection.subscriptionClosed(this);
  }

  async close(): Promise<void> {
    this.release();
  }
}
