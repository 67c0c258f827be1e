// One broker instance: its vhosts, users and permissions, resource alarms and limits, and the
// MessageStore it persists through. `Broker.open` recovers durable definitions and the messages of
// durable queues (delivery count > 0 -> redelivered). Sessions authenticate, `connect` to a vhost
// and drive ConsumerChannels (channel.ts); they never reach into queues or exchanges directly.

import { randomUUID } from 'node:crypto';
import { systemClock, type Clock, type TimerHandle } from './clock.ts';
import { BrokerConnection, type ConnectionContext, type ConnectionUser } from './channel.ts';
import { AuditEventSource, AuditEventType, type AuditSink } from './audit-sink.ts';
import { BrokerError, brokerError } from './errors.ts';
import { FlowControl, type FlowControlOptions } from './flow-control.ts';
import { DefinitionKind, type JsonValue, type MessageStore } from './message-store.ts';
import { Persister } from './persister.ts';
import { parseExpiration } from './queue-arguments.ts';
import type { PasswordHashOptions } from '../identity/password-hash.ts';
import { defaultBrokerLimits, newBrokerCounters, type BrokerCounters, type BrokerLimits, type MessagePropertiesCodec } from './types.ts';
import { UserRegistry, type BrokerUser } from './users.ts';
import { LatencyHistogram } from '../util/latency-histogram.ts';
import { Vhost, type VhostContext } from './vhost.ts';

export interface BrokerOptions {
  readonly store: MessageStore;
  readonly codec: MessagePropertiesCodec;
  readonly clock?: Clock;
  readonly limits?: Partial<BrokerLimits>;
  readonly passwordHashing?: PasswordHashOptions;
  /** Resource alarm probes; without them no alarm is ever raised. */
  readonly flowControl?: FlowControlOptions;
  /** How often alarms are sampled, ms (default 1000). */
  readonly alarmCheckIntervalMs?: number;
  /**
   * Whether deliveries of durable messages wait until their delivery record is durable (default
   * true), so that after a crash every confirmed message a client may have seen comes back with
   * redelivered=true. A message delivered while its own append is still in flight (a consumer
   * waiting on a fresh publish) goes at once and is recorded when the append lands. False sends
   * everything at once and records in the background (faster consumption from a backlog; a short
   * window in which a crash loses the flag). basic.get always records in the background.
   */
  readonly awaitDeliveryRecord?: boolean;
  /**
   * Whether deliveries of durable messages are recorded in the store at all (default true), so
   * that `redelivered` and the delivery count survive a restart, as RabbitMQ keeps them. False
   * writes no record per delivery: after a restart every message is undelivered again and its
   * redelivery count starts over, as ActiveMQ does by default (persistJMSRedelivered=false).
   */
  readonly recordDeliveries?: boolean;
  /**
   * Where broker-user events go (AuthenticationFailed, ConnectionOpened, ConnectionRefused,
   * ConnectionClosed, PermissionRefused). They name the user, vhost, permission and resource
   * kind, never a queue, exchange or routing key (those are confidential like message content).
   */
  readonly audit?: AuditSink;
  /** Put in each audit event's additionalEventData (e.g. the Amazon MQ broker id). */
  readonly brokerId?: string;
  /** Called during `open` after each durable queue's messages are recovered (progress output). */
  readonly onRecoveryProgress?: (progress: RecoveryProgress) => void;
  /**
   * Failures nobody waits for: store errors outside a publish (removals, delivery records), and
   * errors thrown in timer-driven work (TTL expiry, dead-lettering). No message content is passed.
   */
  readonly onStoreError?: (error: unknown) => void;
}

export interface QueueStatsEntry {
  readonly vhost: string;
  readonly name: string;
  readonly durable: boolean;
  readonly ready: number;
  readonly readyBytes: number;
  readonly unacked: number;
  readonly consumers: number;
}

export interface RecoveryProgress {
  readonly queuesRecovered: number;
  readonly queuesTotal: number;
  readonly messagesRecovered: number;
}

/** Where a client connects from, for audit events; sessions fill in what they know. */
export interface ClientInfo {
  readonly sourceIPAddress?: string | undefined;
  /** e.g. the AMQP client-properties product and version. */
  readonly userAgent?: string | undefined;
  readonly connectionId?: string | undefined;
}

/** The default vhost every new broker has. */
export const DEFAULT_VHOST = '/';

export class Broker {
  readonly store: MessageStore;
  readonly clock: Clock;
  readonly limits: BrokerLimits;
  readonly users: UserRegistry;
  readonly flow: FlowControl;
  readonly vhosts = new Map<string, Vhost>();
  readonly connections = new Set<BrokerConnection>();
  readonly counters: BrokerCounters = newBrokerCounters();
  /** Publish to publisher confirm (ack or nack sent), observed by the sessions, for the metrics endpoint. */
  readonly confirmLatency = new LatencyHistogram();
  readonly #persister: Persister;
  readonly #vhostContext: VhostContext;
  readonly #connectionContext: ConnectionContext;
  readonly #alarmCheckIntervalMs: number;
  readonly #options: BrokerOptions;
  #definitionWrites: Promise<unknown> = Promise.resolve();
  #alarmTimer: TimerHandle | undefined;
  #closed = false;
  readonly #closingListeners = new Set<() => Promise<void>>();

  private constructor(options: BrokerOptions) {
    this.#options = options;
    this.store = options.store;
    this.clock = options.clock ?? systemClock();
    this.limits = { ...defaultBrokerLimits, ...options.limits };
    this.#persister = new Persister(options.store, options.onStoreError ?? (() => undefined), options.recordDeliveries ?? true);
    const writeDefinition = (write: (store: MessageStore) => Promise<unknown>): Promise<void> => {
      const next = this.#definitionWrites.then(() => write(this.store));
      this.#definitionWrites = next.catch(() => undefined);
      return next.then(() => undefined);
    };
    this.users = new UserRegistry(options.store, options.passwordHashing, writeDefinition);
    this.flow = new FlowControl(options.flowControl);
    this.#alarmCheckIntervalMs = options.alarmCheckIntervalMs ?? 1000;
    this.#vhostContext = {
      clock: this.clock,
      persister: this.#persister,
      store: options.store,
      codec: options.codec,
      limits: this.limits,
      queueCount: () => {
        let n = 0;
        for (const vhost of this.vhosts.values()) n += vhost.queues.size;
        return n;
      },
      writeDefinition,
    };
    this.#connectionContext = {
      limits: this.limits,
      users: this.users,
      counters: this.counters,
      awaitDeliveryRecord: options.awaitDeliveryRecord ?? true,
      connectionClosed: (connection) => {
        this.connections.delete(connection);
        this.#audit('ConnectionClosed', connection.user, connection.client, { vhost: connection.vhost.name });
      },
      permissionRefused: (connection, permission, kind) =>
        this.#audit('PermissionRefused', connection.user, connection.client, {
          vhost: connection.vhost.name,
          errorCode: 'ACCESS_REFUSED',
          data: { permission, resourceType: kind },
        }),
    };
  }

  /**
   * Opens a broker on a store: recovers vhosts (creating `/` on an empty store), users,
   * permissions, durable exchanges, queues and bindings, then the messages of durable queues in
   * order. Stored queues that no definition names (deleted while an append was in flight) are
   * dropped.
   */
  static async open(options: BrokerOptions): Promise<Broker> {
    const broker = new Broker(options);
    await broker.#recover(options.codec);
    broker.#scheduleAlarmCheck();
    return broker;
  }

  async #recover(codec: MessagePropertiesCodec): Promise<void> {
    const store = this.store;
    const vhostDefs = await store.listDefinitions(DefinitionKind.VHOST);
    if (vhostDefs.length === 0) await this.addVhost(DEFAULT_VHOST);
    for (const def of vhostDefs) this.#newVhost(def.name);
    await this.users.load();
    const records = async (kind: DefinitionKind) =>
      (await store.listDefinitions(kind)).map((d) => d.record as Record<string, JsonValue>);
    for (const record of await records(DefinitionKind.EXCHANGE)) this.vhosts.get(String(record.vhost))?.restoreExchange(record);
    const queuesById = new Map<string, ReturnType<Vhost['restoreQueue']>>();
    for (const record of await records(DefinitionKind.QUEUE)) {
      const vhost = this.vhosts.get(String(record.vhost));
      if (vhost !== undefined) {
        const queue = vhost.restoreQueue(record);
        queuesById.set(queue.id, queue);
      }
    }
    for (const record of await records(DefinitionKind.BINDING)) this.vhosts.get(String(record.vhost))?.restoreBinding(record);
    const storedIds = await store.queueIds();
    const progress = { queuesRecovered: 0, queuesTotal: storedIds.filter((id) => queuesById.has(id)).length, messagesRecovered: 0 };
    for (const queueId of storedIds) {
      const queue = queuesById.get(queueId);
      if (queue === undefined) {
        await store.deleteQueue(queueId);
        continue;
      }
      for await (const stored of store.iterate(queueId)) {
        const view = codec.decodeView(stored.properties);
        let ttlMs: number | undefined;
        try {
          ttlMs = parseExpiration(view.expiration);
        } catch {
          ttlMs = undefined;
        }
        queue.restore(stored, { exchange: stored.exchange, routingKey: stored.routingKey, properties: stored.properties, body: stored.body, view, ttlMs });
        progress.messagesRecovered++;
      }
      progress.queuesRecovered++;
      this.#options.onRecoveryProgress?.({ ...progress });
    }
    for (const queue of queuesById.values()) {
      queue.drain();
      queue.touch();
    }
  }

  #newVhost(name: string): Vhost {
    const vhost = new Vhost(name, this.#vhostContext);
    this.vhosts.set(name, vhost);
    return vhost;
  }

  #writeDefinition(write: (store: MessageStore) => Promise<unknown>): Promise<void> {
    return this.#vhostContext.writeDefinition(write);
  }

  async addVhost(name: string): Promise<void> {
    if (this.vhosts.has(name)) return;
    if (name === '' || name.length > 255) throw brokerError('PRECONDITION_FAILED', 'invalid vhost name');
    this.#newVhost(name);
    await this.#writeDefinition((s) => s.putDefinition({ kind: DefinitionKind.VHOST, name, record: { name } }));
  }

  /** Deletes a vhost with everything in it; its connections are closed first. */
  async deleteVhost(name: string): Promise<void> {
    const vhost = this.vhosts.get(name);
    if (vhost === undefined) return;
    for (const connection of [...this.connections]) if (connection.vhost === vhost) await connection.forceClose(`vhost '${name}' is deleted`);
    this.vhosts.delete(name);
    await vhost.destroy();
    await this.users.clearVhost(name);
    await this.#writeDefinition((s) => s.deleteDefinition(DefinitionKind.VHOST, name));
  }

  /** PLAIN/AMQPLAIN credentials check; ACCESS_REFUSED (connection scope) when refused. */
  async authenticate(username: string, password: string, client: ClientInfo = {}): Promise<BrokerUser> {
    try {
      return await this.users.authenticate(username, password);
    } catch (error) {
      if (error instanceof BrokerError) this.#audit('AuthenticationFailed', username, client, { errorCode: error.code });
      throw error;
    }
  }

  #audit(eventName: string, userName: string | null, client: ClientInfo, extra: { vhost?: string; errorCode?: string; data?: Record<string, unknown> } = {}): void {
    // In-process (trusted) connections are not broker users: nothing to audit.
    if (userName === null) return;
    this.#options.audit?.record({
      eventSource: AuditEventSource.BROKER,
      eventName,
      eventType: AuditEventType.BrokerUserEvent,
      userIdentity: { type: 'BrokerUser', userName },
      sourceIPAddress: client.sourceIPAddress,
      userAgent: client.userAgent,
      errorCode: extra.errorCode,
      additionalEventData: {
        ...(this.#options.brokerId === undefined ? {} : { brokerId: this.#options.brokerId }),
        ...(extra.vhost === undefined ? {} : { vhost: extra.vhost }),
        ...(client.connectionId === undefined ? {} : { connectionId: client.connectionId }),
        ...extra.data,
      },
    });
  }

  /**
   * connection.open: binds a connection to a vhost. `user` is the authenticated username, or
   * null for trusted in-process callers. NOT_ALLOWED (530) for a missing vhost or one the user
   * has no permissions on, as RabbitMQ.
   */
  /** Deletes a broker user and closes its connections (CONNECTION_FORCED), as RabbitMQ does. */
  async deleteUser(name: string): Promise<void> {
    await this.users.deleteUser(name);
    for (const connection of [...this.connections]) if (connection.user === name) await connection.forceClose(`user '${name}' was deleted`);
  }

  /**
   * connection.open: binds a connection to a vhost (see the checks below). `onForcedClose` is
   * called when the broker later closes it by itself (vhost or user deleted, shutdown).
   */
  connect(options: {
    vhost: string;
    user: ConnectionUser;
    connectionId?: string;
    client?: ClientInfo;
    onForcedClose?: (reason: BrokerError) => void;
  }): BrokerConnection {
    if (this.#closed) throw brokerError('CONNECTION_FORCED', 'broker is shutting down');
    const id = options.connectionId ?? randomUUID();
    const client: ClientInfo = { ...options.client, connectionId: id };
    try {
      const vhost = this.vhosts.get(options.vhost);
      if (vhost === undefined) throw brokerError('NOT_ALLOWED', `vhost '${options.vhost}' not found`);
      if (options.user !== null) this.users.checkVhostAccess(options.user, options.vhost);
      const connection = new BrokerConnection(id, vhost, options.user, this.#connectionContext, client, options.onForcedClose);
      this.connections.add(connection);
      this.#audit('ConnectionOpened', options.user, client, { vhost: options.vhost });
      return connection;
    } catch (error) {
      if (error instanceof BrokerError) this.#audit('ConnectionRefused', options.user, client, { vhost: options.vhost, errorCode: error.code });
      throw error;
    }
  }

  /** Per-queue depths for metrics and management: ready, unacknowledged, consumers. */
  queueStats(): QueueStatsEntry[] {
    const out: QueueStatsEntry[] = [];
    for (const vhost of this.vhosts.values()) {
      for (const queue of vhost.queues.values()) {
        out.push({
          vhost: vhost.name,
          name: queue.name,
          durable: queue.durable,
          ready: queue.messageCount,
          readyBytes: queue.readyBytes,
          unacked: queue.unackedCount,
          consumers: queue.consumerCount,
        });
      }
    }
    return out;
  }

  #scheduleAlarmCheck(): void {
    if (this.flow.options === undefined || this.#closed) return;
    this.flow.check();
    this.#alarmTimer = this.clock.setTimeout(() => this.#scheduleAlarmCheck(), this.#alarmCheckIntervalMs);
  }

  /** Waits until every batched store write has settled (tests, shutdown). */
  async settle(): Promise<void> {
    await this.#persister.settle();
    await this.#definitionWrites;
  }

  /**
   * Runs `listener` when close() begins: no new connection is accepted, but none is closed yet, so
   * an engine can still send through its open ones (MQTT wills on shutdown). close() waits for it:
   * it must bound its own work. Returns a function that removes it.
   */
  onClosing(listener: () => Promise<void>): () => void {
    this.#closingListeners.add(listener);
    return () => this.#closingListeners.delete(listener);
  }

  /** Closes every connection (unacked messages requeued) and flushes pending store writes; the store stays open. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#alarmTimer !== undefined) this.clock.clearTimeout(this.#alarmTimer);
    await Promise.all([...this.#closingListeners].map((listener) => listener().catch(() => undefined)));
    for (const connection of [...this.connections]) await connection.forceClose('broker shutdown');
    for (const vhost of this.vhosts.values()) for (const queue of vhost.queues.values()) queue.stopTimers();
    await this.settle();
  }
}
