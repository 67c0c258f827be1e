// One virtual host: its exchanges (with the default and amq.* ones), queues and bindings; routing
// across exchange-to-exchange bindings and alternate exchanges (each queue reached at most once);
// dead-lettering with x-death; and keeping durable definitions in the MessageStore. Permissions,
// exclusivity of consumers and delivery bookkeeping are the channel's job (channel.ts).

import { randomBytes, randomUUID } from 'node:crypto';
import type { Clock } from './clock.ts';
import { brokerError, describeResource } from './errors.ts';
import {
  bindingKey,
  checkHeadersBindingArgs,
  Exchange,
  isExchangeType,
  type Binding,
  type BindingDestination,
  type ExchangeType,
} from './exchange.ts';
import { canonicalTable, decodeHeaderTable, encodeHeaderTable, headerValuesEqual, isHeaderTable } from './header-values.ts';
import { DefinitionKind, type JsonValue, type MessageStore } from './message-store.ts';
import type { Persister } from './persister.ts';
import { checkQueueArgumentsEquivalent, parseQueueArguments } from './queue-arguments.ts';
import { Queue, type DeathReason, type QueueHost } from './queue.ts';
import type { CoreMessage, QueuedMessage } from './queued-message.ts';
import type { BrokerLimits, HeaderTable, HeaderValue, MessagePropertiesCodec } from './types.ts';

/** What a vhost needs from its broker. */
export interface VhostContext {
  readonly clock: Clock;
  readonly persister: Persister;
  readonly store: MessageStore;
  readonly codec: MessagePropertiesCodec;
  readonly limits: BrokerLimits;
  /** Queues across the broker (for queuesMax). */
  queueCount(): number;
  /** Writes definition changes to the store one at a time, in call order. */
  writeDefinition(write: (store: MessageStore) => Promise<unknown>): Promise<void>;
}

export interface ExchangeDeclaration {
  readonly exchange: string;
  readonly type: string;
  readonly passive?: boolean;
  readonly durable?: boolean;
  readonly autoDelete?: boolean;
  readonly internal?: boolean;
  readonly args?: HeaderTable;
}

export interface QueueDeclaration {
  readonly queue: string;
  readonly passive?: boolean;
  readonly durable?: boolean;
  readonly exclusive?: boolean;
  readonly autoDelete?: boolean;
  readonly args?: HeaderTable;
}

export interface QueueDeclareResult {
  readonly queue: string;
  readonly messageCount: number;
  readonly consumerCount: number;
}

/** Outcome of one publish. */
export interface PublishOutcome {
  /** False when no queue got the message (mandatory: basic.return with 312 NO_ROUTE). */
  readonly routed: boolean;
  /**
   * The publisher confirm: true = ack, false = nack (reject-publish overflow, store failure).
   * A promise when the message goes to the store: it settles once the append is durable.
   */
  readonly confirmation: boolean | Promise<boolean>;
}

const builtinExchanges: ReadonlyArray<readonly [string, ExchangeType]> = [
  ['', 'direct'],
  ['amq.direct', 'direct'],
  ['amq.fanout', 'fanout'],
  ['amq.topic', 'topic'],
  ['amq.headers', 'headers'],
  ['amq.match', 'headers'],
];

function definitionName(...parts: readonly string[]): string {
  return JSON.stringify(parts);
}

function isReservedName(name: string): boolean {
  return name.startsWith('amq.');
}

export class Vhost implements QueueHost {
  readonly exchanges = new Map<string, Exchange>();
  readonly queues = new Map<string, Queue>();
  readonly clock: Clock;
  readonly persister: Persister;
  readonly #context: VhostContext;

  constructor(
    readonly name: string,
    context: VhostContext,
  ) {
    this.#context = context;
    this.clock = context.clock;
    this.persister = context.persister;
    for (const [exchangeName, type] of builtinExchanges) {
      this.exchanges.set(exchangeName, new Exchange(name, exchangeName, { type, durable: true, autoDelete: false, internal: false, args: {} }, true));
    }
  }

  #describe(kind: 'queue' | 'exchange', name: string): string {
    return describeResource(kind, name, this.name);
  }

  /** The exchange, or NOT_FOUND. */
  exchange(name: string): Exchange {
    const exchange = this.exchanges.get(name);
    if (exchange === undefined) throw brokerError('NOT_FOUND', `no ${this.#describe('exchange', name)}`);
    return exchange;
  }

  /** The queue, or NOT_FOUND; RESOURCE_LOCKED when exclusive to another connection. */
  queue(name: string, connectionId: string | undefined): Queue {
    const queue = this.queues.get(name);
    if (queue === undefined) throw brokerError('NOT_FOUND', `no ${this.#describe('queue', name)}`);
    this.checkExclusiveAccess(queue, connectionId);
    return queue;
  }

  checkExclusiveAccess(queue: Queue, connectionId: string | undefined): void {
    if (queue.exclusiveOwner !== undefined && queue.exclusiveOwner !== connectionId) this.#throwLocked(queue);
  }


  #throwLocked(queue: Queue): never {
    throw brokerError(
      'RESOURCE_LOCKED',
      `cannot obtain exclusive access to locked ${this.#describe('queue', queue.name)}. It could be originally declared on another connection or the exclusive property value does not match that of the original declaration.`,
    );
  }

  // ---- exchanges ----

  async declareExchange(declaration: ExchangeDeclaration): Promise<Exchange> {
    const { exchange: name, passive = false } = declaration;
    if (passive) return this.exchange(name);
    if (name === '' || isReservedName(name)) {
      throw brokerError('ACCESS_REFUSED', `exchange name '${name}' contains reserved prefix 'amq.*'`);
    }
    if (!isExchangeType(declaration.type)) {
      throw brokerError('COMMAND_INVALID', `invalid exchange type '${declaration.type}'`);
    }
    const options = {
      type: declaration.type,
      durable: declaration.durable ?? false,
      autoDelete: declaration.autoDelete ?? false,
      internal: declaration.internal ?? false,
      args: declaration.args ?? {},
    };
    const existing = this.exchanges.get(name);
    if (existing !== undefined) {
      const checks: Array<[string, unknown, unknown]> = [
        ['type', options.type, existing.type],
        ['durable', options.durable, existing.durable],
        ['auto_delete', options.autoDelete, existing.autoDelete],
        ['internal', options.internal, existing.internal],
      ];
      for (const [field, received, current] of checks) {
        if (received !== current) {
          throw brokerError('PRECONDITION_FAILED', `inequivalent arg '${field}' for ${this.#describe('exchange', name)}: received '${String(received)}' but current is '${String(current)}'`);
        }
      }
      const ae = options.args['alternate-exchange'];
      if (!headerValuesEqual(ae ?? null, existing.args['alternate-exchange'] ?? null)) {
        throw brokerError('PRECONDITION_FAILED', `inequivalent arg 'alternate-exchange' for ${this.#describe('exchange', name)}`);
      }
      return existing;
    }
    const exchange = new Exchange(this.name, name, options);
    this.exchanges.set(name, exchange);
    if (exchange.durable) await this.#putExchangeDefinition(exchange);
    return exchange;
  }

  async deleteExchange(name: string, ifUnused: boolean): Promise<void> {
    const exchange = this.exchanges.get(name);
    if (exchange === undefined) return; // idempotent, as RabbitMQ
    if (exchange.builtin) throw brokerError('ACCESS_REFUSED', `exchange name '${name}' contains reserved prefix 'amq.*'`);
    if (ifUnused && exchange.bindings.size > 0) throw brokerError('PRECONDITION_FAILED', `${this.#describe('exchange', name)} in use`);
    await this.#removeExchange(exchange);
  }

  async #removeExchange(exchange: Exchange): Promise<void> {
    if (exchange.deleted) return;
    exchange.deleted = true;
    this.exchanges.delete(exchange.name);
    const writes: Array<Promise<void>> = [];
    for (const binding of [...exchange.bindings.values()]) writes.push(this.#removeBinding(binding));
    for (const binding of [...exchange.inbound]) writes.push(this.#removeBinding(binding));
    if (exchange.durable) {
      writes.push(this.#context.writeDefinition((s) => s.deleteDefinition(DefinitionKind.EXCHANGE, definitionName(this.name, exchange.name))));
    }
    await Promise.all(writes);
  }

  #putExchangeDefinition(exchange: Exchange): Promise<void> {
    const record: JsonValue = {
      vhost: this.name,
      name: exchange.name,
      type: exchange.type,
      durable: exchange.durable,
      autoDelete: exchange.autoDelete,
      internal: exchange.internal,
      args: encodeHeaderTable(exchange.args),
    };
    return this.#context.writeDefinition((s) => s.putDefinition({ kind: DefinitionKind.EXCHANGE, name: definitionName(this.name, exchange.name), record }));
  }

  // ---- bindings ----

  #checkBindable(exchange: Exchange): void {
    if (exchange.name === '') throw brokerError('ACCESS_REFUSED', `operation not permitted on the default exchange`);
  }

  async bind(source: Exchange, destination: BindingDestination, routingKey: string, args: HeaderTable): Promise<void> {
    this.#checkBindable(source);
    if (destination.kind === 'exchange') this.#checkBindable(destination);
    if (source.type === 'headers') checkHeadersBindingArgs(args);
    const binding: Binding = { source, destination, routingKey, args, key: bindingKey(destination, routingKey, args) };
    if (!source.addBinding(binding)) return;
    if (this.#isDurableBinding(binding)) await this.#putBindingDefinition(binding);
  }

  async unbind(source: Exchange, destination: BindingDestination, routingKey: string, args: HeaderTable): Promise<void> {
    this.#checkBindable(source);
    const binding = source.bindings.get(bindingKey(destination, routingKey, args));
    if (binding !== undefined) await this.#removeBinding(binding);
  }

  #isDurableBinding(binding: Binding): boolean {
    const d = binding.destination;
    return binding.source.durable && (d.kind === 'exchange' ? d.durable : d.storesMessages);
  }

  #bindingDefinitionName(binding: Binding): string {
    const d = binding.destination;
    return definitionName(this.name, binding.source.name, d.kind, d.name, binding.routingKey, canonicalTable(binding.args));
  }

  #putBindingDefinition(binding: Binding): Promise<void> {
    const record: JsonValue = {
      vhost: this.name,
      source: binding.source.name,
      destinationKind: binding.destination.kind,
      destination: binding.destination.name,
      routingKey: binding.routingKey,
      args: encodeHeaderTable(binding.args),
    };
    return this.#context.writeDefinition((s) => s.putDefinition({ kind: DefinitionKind.BINDING, name: this.#bindingDefinitionName(binding), record }));
  }

  async #removeBinding(binding: Binding): Promise<void> {
    const source = binding.source;
    if (source.removeBinding(binding.key) === undefined) return;
    const writes: Array<Promise<void>> = [];
    if (this.#isDurableBinding(binding)) {
      writes.push(this.#context.writeDefinition((s) => s.deleteDefinition(DefinitionKind.BINDING, this.#bindingDefinitionName(binding))));
    }
    // An auto-delete exchange goes when its last binding (as source) goes.
    if (source.autoDelete && !source.builtin && source.bindings.size === 0) writes.push(this.#removeExchange(source));
    await Promise.all(writes);
  }

  // ---- queues ----

  async declareQueue(declaration: QueueDeclaration, connectionId: string | undefined): Promise<QueueDeclareResult> {
    const { passive = false } = declaration;
    let name = declaration.queue;
    if (passive) {
      const queue = this.queue(name, connectionId);
      queue.touch();
      return { queue: name, messageCount: queue.messageCount, consumerCount: queue.consumerCount };
    }
    if (name === '') name = `amq.gen-${randomBytes(16).toString('base64url')}`;
    else if (isReservedName(name)) throw brokerError('ACCESS_REFUSED', `queue name '${name}' contains reserved prefix 'amq.*'`);
    const durable = declaration.durable ?? false;
    const exclusive = declaration.exclusive ?? false;
    const autoDelete = declaration.autoDelete ?? false;
    const args = declaration.args ?? {};
    const description = this.#describe('queue', name);
    const existing = this.queues.get(name);
    if (existing !== undefined) {
      // RabbitMQ checks strictly on a non-passive declare: the owner and the exclusive flag must both match.
      this.checkExclusiveAccess(existing, connectionId);
      if (exclusive !== (existing.exclusiveOwner !== undefined)) this.#throwLocked(existing);
      for (const [field, received, current] of [
        ['durable', durable, existing.durable],
        ['auto_delete', autoDelete, existing.autoDelete],
      ] as const) {
        if (received !== current) {
          throw brokerError('PRECONDITION_FAILED', `inequivalent arg '${field}' for ${description}: received '${received}' but current is '${current}'`);
        }
      }
      checkQueueArgumentsEquivalent(existing.args, args, description);
      existing.touch();
      return { queue: name, messageCount: existing.messageCount, consumerCount: existing.consumerCount };
    }
    const parsed = parseQueueArguments(args, description);
    if (parsed.queueType === 'quorum' && (!durable || exclusive || autoDelete)) {
      const field = !durable ? 'non-durable' : exclusive ? 'exclusive' : 'auto-delete';
      throw brokerError('PRECONDITION_FAILED', `invalid property '${field}' for ${description}`);
    }
    const { queuesMax } = this.#context.limits;
    if (queuesMax > 0 && this.#context.queueCount() >= queuesMax) {
      throw brokerError('PRECONDITION_FAILED', `cannot declare ${description}: queue limit (${queuesMax}) is reached`);
    }
    const queue = new Queue(this, this.name, name, randomUUID(), {
      durable,
      exclusiveOwner: exclusive ? connectionId ?? '' : undefined,
      autoDelete,
      args,
      parsed,
    });
    this.queues.set(name, queue);
    if (queue.storesMessages) await this.#putQueueDefinition(queue);
    return { queue: name, messageCount: 0, consumerCount: 0 };
  }

  #putQueueDefinition(queue: Queue): Promise<void> {
    const record: JsonValue = {
      vhost: this.name,
      name: queue.name,
      id: queue.id,
      durable: queue.durable,
      autoDelete: queue.autoDelete,
      args: encodeHeaderTable(queue.args),
    };
    return this.#context.writeDefinition((s) => s.putDefinition({ kind: DefinitionKind.QUEUE, name: definitionName(this.name, queue.name), record }));
  }

  /**
   * Sets (or with undefined removes) a queue's x-expires in place, keeping its messages, and stores
   * the changed definition so that recovery brings it back (an engine following a client's session
   * expiry). NOT_FOUND for a missing queue; PRECONDITION_FAILED for a value x-expires refuses.
   */
  async setQueueExpires(name: string, expiresMs: number | undefined, connectionId: string | undefined): Promise<void> {
    const queue = this.queue(name, connectionId);
    const args: Record<string, HeaderValue> = { ...queue.args };
    if (expiresMs === undefined) delete args['x-expires'];
    else args['x-expires'] = expiresMs;
    queue.setExpires(args, parseQueueArguments(args, this.#describe('queue', name)));
    if (queue.storesMessages) await this.#putQueueDefinition(queue);
  }

  /** queue.delete; idempotent (0 for a missing queue). Returns the ready messages deleted. */
  async deleteQueue(name: string, options: { ifUnused?: boolean; ifEmpty?: boolean }, connectionId: string | undefined): Promise<number> {
    const queue = this.queues.get(name);
    if (queue === undefined) return 0;
    this.checkExclusiveAccess(queue, connectionId);
    if (options.ifUnused && queue.consumerCount > 0) throw brokerError('PRECONDITION_FAILED', `${this.#describe('queue', name)} in use`);
    if (options.ifEmpty && queue.messageCount > 0) throw brokerError('PRECONDITION_FAILED', `${this.#describe('queue', name)} is not empty`);
    return this.removeQueue(queue);
  }

  /** Deletes a queue: cancels its consumers, removes its bindings, messages and definition. */
  async removeQueue(queue: Queue): Promise<number> {
    if (queue.deleted) return 0;
    const count = queue.close();
    this.queues.delete(queue.name);
    const writes: Array<Promise<void>> = [];
    for (const binding of [...queue.inbound]) writes.push(this.#removeBinding(binding));
    if (queue.storesMessages) {
      writes.push(this.#context.writeDefinition((s) => s.deleteDefinition(DefinitionKind.QUEUE, definitionName(this.name, queue.name))));
      writes.push(this.persister.deleteQueue(queue.id));
    }
    await Promise.all(writes);
    return count;
  }

  deleteUnusedQueue(queue: Queue): void {
    this.removeQueue(queue).catch((error: unknown) => this.persister.onError(error));
  }

  // ---- routing and publishing ----

  /**
   * The queues a message reaches from `exchange`: through its bindings, exchange-to-exchange
   * bindings (loops allowed, each exchange visited once) and, for an exchange that matched
   * nothing, its alternate exchange. A Set: each queue gets the message at most once.
   */
  route(exchange: Exchange, routingKey: string, headers: HeaderTable | undefined, queues = new Set<Queue>(), visited = new Set<Exchange>()): Set<Queue> {
    visited.add(exchange);
    let matched = 0;
    if (exchange.name === '') {
      const queue = this.queues.get(routingKey);
      if (queue !== undefined) {
        queues.add(queue);
        matched++;
      }
    } else {
      exchange.match(routingKey, headers, (binding) => {
        matched++;
        const destination = binding.destination;
        if (destination.kind === 'queue') queues.add(destination);
        else if (!visited.has(destination)) this.route(destination, routingKey, headers, queues, visited);
      });
    }
    if (matched === 0) {
      const ae = exchange.alternateExchange;
      const alternate = ae === undefined ? undefined : this.exchanges.get(ae);
      if (alternate !== undefined && !visited.has(alternate)) this.route(alternate, routingKey, headers, queues, visited);
    }
    return queues;
  }

  /** Routes and enqueues one message from `exchange` (already checked: exists, not internal). */
  publish(exchange: Exchange, published: CoreMessage): PublishOutcome {
    let message = published;
    const headers = message.view.headers;
    let extraKeys: string[] | undefined;
    if (headers !== undefined && (Array.isArray(headers.CC) || Array.isArray(headers.BCC))) {
      // Sender-selected distribution (RabbitMQ extension): CC and BCC add routing keys; BCC is
      // removed from the message before any queue sees it.
      const keys = (value: HeaderValue): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);
      extraKeys = [...keys(headers.CC), ...keys(headers.BCC)];
      if (headers.BCC !== undefined) {
        const { BCC: _bcc, ...rest } = headers;
        message = {
          ...message,
          properties: this.#context.codec.rewrite(message.properties, { headers: rest, expiration: message.view.expiration }),
          view: { ...message.view, headers: rest },
        };
      }
    }
    // The default exchange's fast path: one queue by name, no Set.
    if (exchange.name === '' && extraKeys === undefined) {
      const queue = this.queues.get(message.routingKey);
      if (queue === undefined) return { routed: false, confirmation: true };
      const result = queue.offer(message);
      return { routed: true, confirmation: result === 'rejected' ? false : result === 'accepted' ? true : result };
    }
    const queues = this.route(exchange, message.routingKey, message.view.headers);
    for (const key of extraKeys ?? []) this.route(exchange, key, message.view.headers, queues);
    if (queues.size === 0) return { routed: false, confirmation: true };
    let rejected = false;
    let durable: Promise<boolean> | undefined;
    let more: Array<Promise<boolean>> | undefined;
    for (const queue of queues) {
      const result = queue.offer(message);
      if (result === 'rejected') rejected = true;
      else if (result !== 'accepted') {
        if (durable === undefined) durable = result;
        else (more ??= [durable]).push(result);
      }
    }
    if (rejected) return { routed: true, confirmation: false };
    if (more !== undefined) return { routed: true, confirmation: Promise.all(more).then((all) => all.every(Boolean)) };
    return { routed: true, confirmation: durable ?? true };
  }

  /**
   * Dead-letters messages leaving `queue` (docs/dlx.md): republished to its x-dead-letter-exchange
   * with x-dead-letter-routing-key or their own routing key, an `x-death` entry per {queue, reason}
   * (count incremented when one exists), x-first-death-* and x-last-death-* headers, and the
   * per-message expiration removed (kept as original-expiration). A message that would reach a
   * queue it already died in, with no rejection on the way, is not delivered there (cycle).
   */
  deadLetter(queue: Queue, messages: readonly QueuedMessage[], reason: DeathReason): void {
    const dlxName = queue.arguments.deadLetterExchange;
    if (dlxName === undefined) return;
    const dlx = this.exchanges.get(dlxName);
    if (dlx === undefined) return;
    for (const queued of messages) {
      try {
        this.#deadLetterOne(queue, queued, dlx, reason);
      } catch (error) {
        // A codec that cannot rewrite the properties loses this message, not the broker.
        this.persister.onError(error);
      }
    }
  }

  #deadLetterOne(queue: Queue, queued: QueuedMessage, dlx: Exchange, reason: DeathReason): void {
    const dlxName = dlx.name;
    const original = queued.message;
    const headers = deathHeaders(original, queue.name, reason, new Date(Math.floor(this.clock.now() / 1000) * 1000));
    const properties = this.#context.codec.rewrite(original.properties, { headers, expiration: undefined });
    const routingKey = queue.arguments.deadLetterRoutingKey ?? original.routingKey;
    const message: CoreMessage = {
      exchange: dlxName,
      routingKey,
      properties,
      body: original.body,
      view: { ...original.view, headers, expiration: undefined },
      ttlMs: undefined,
    };
    const deaths = (headers['x-death'] as readonly HeaderTable[]) ?? [];
    const anyRejected = deaths.some((d) => d.reason === 'rejected');
    for (const target of this.route(dlx, routingKey, headers)) {
      if (!anyRejected && deaths.some((d) => d.queue === target.name)) continue;
      // Dead-lettering is at most once (RabbitMQ's default): nothing waits for the append.
      void target.offer(message);
    }
  }


  // ---- recovery ----

  /** Recreates a durable exchange from its definition record. */
  restoreExchange(record: Record<string, JsonValue>): void {
    const type = String(record.type);
    if (!isExchangeType(type)) return;
    const name = String(record.name);
    this.exchanges.set(
      name,
      new Exchange(this.name, name, {
        type,
        durable: true,
        autoDelete: record.autoDelete === true,
        internal: record.internal === true,
        args: decodeHeaderTable(record.args ?? null),
      }),
    );
  }

  restoreQueue(record: Record<string, JsonValue>): Queue {
    const name = String(record.name);
    const args = decodeHeaderTable(record.args ?? null);
    const queue = new Queue(this, this.name, name, String(record.id), {
      durable: true,
      exclusiveOwner: undefined,
      autoDelete: record.autoDelete === true,
      args,
      parsed: parseQueueArguments(args, this.#describe('queue', name)),
    });
    this.queues.set(name, queue);
    return queue;
  }

  restoreBinding(record: Record<string, JsonValue>): void {
    const source = this.exchanges.get(String(record.source));
    const destinationName = String(record.destination);
    const destination = record.destinationKind === 'exchange' ? this.exchanges.get(destinationName) : this.queues.get(destinationName);
    if (source === undefined || destination === undefined) return;
    const args = decodeHeaderTable(record.args ?? null);
    const routingKey = String(record.routingKey);
    source.addBinding({ source, destination, routingKey, args, key: bindingKey(destination, routingKey, args) });
  }

  /** Deletes everything (vhost deletion). */
  async destroy(): Promise<void> {
    for (const queue of [...this.queues.values()]) await this.removeQueue(queue);
    for (const exchange of [...this.exchanges.values()]) if (!exchange.builtin) await this.#removeExchange(exchange);
  }
}

function deathHeaders(message: CoreMessage, queueName: string, reason: DeathReason, time: Date): HeaderTable {
  const headers: Record<string, HeaderValue> = { ...(message.view.headers ?? {}) };
  const previous = Array.isArray(headers['x-death']) ? (headers['x-death'] as readonly HeaderValue[]).filter(isHeaderTable) : [];
  const index = previous.findIndex((d) => d.queue === queueName && d.reason === reason);
  let deaths: HeaderTable[];
  if (index >= 0) {
    const entry = previous[index]!;
    const count = typeof entry.count === 'number' || typeof entry.count === 'bigint' ? Number(entry.count) : 0;
    deaths = [{ ...entry, count: count + 1, time }, ...previous.filter((_, i) => i !== index)];
  } else {
    const entry: Record<string, HeaderValue> = {
      count: 1,
      reason,
      queue: queueName,
      time,
      exchange: message.exchange,
      'routing-keys': [message.routingKey],
    };
    if (message.view.expiration !== undefined) entry['original-expiration'] = message.view.expiration;
    deaths = [entry, ...previous];
  }
  headers['x-death'] = deaths;
  if (headers['x-first-death-reason'] === undefined) {
    headers['x-first-death-reason'] = reason;
    headers['x-first-death-queue'] = queueName;
    headers['x-first-death-exchange'] = message.exchange;
  }
  headers['x-last-death-reason'] = reason;
  headers['x-last-death-queue'] = queueName;
  headers['x-last-death-exchange'] = message.exchange;
  return headers;
}
