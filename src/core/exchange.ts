// Exchanges and bindings: the four exchange types' matchers (direct, fanout, topic, headers with
// RabbitMQ's x-match all/any/all-with-x/any-with-x), and the binding set of each exchange. Routing
// across exchange-to-exchange bindings, the default exchange and alternate exchanges is the
// vhost's job (vhost.ts); permissions are checked by the channel.

import { brokerError } from './errors.ts';
import { canonicalTable, headerValuesEqual } from './header-values.ts';
import type { Queue } from './queue.ts';
import { TopicTrie } from './topic-trie.ts';
import type { HeaderTable } from './types.ts';

export const ExchangeType = {
  DIRECT: 'direct',
  FANOUT: 'fanout',
  TOPIC: 'topic',
  HEADERS: 'headers',
} as const;
export type ExchangeType = (typeof ExchangeType)[keyof typeof ExchangeType];

export function isExchangeType(type: string): type is ExchangeType {
  return type === 'direct' || type === 'fanout' || type === 'topic' || type === 'headers';
}

export type BindingDestination = Queue | Exchange;

export interface Binding {
  readonly source: Exchange;
  readonly destination: BindingDestination;
  readonly routingKey: string;
  readonly args: HeaderTable;
  /** Identity of the binding within its source: destination, routing key and arguments. */
  readonly key: string;
}

export function bindingKey(destination: BindingDestination, routingKey: string, args: HeaderTable): string {
  return `${destination.kind}\u0000${destination.name}\u0000${routingKey}\u0000${canonicalTable(args)}`;
}

interface Matcher {
  add(binding: Binding): void;
  remove(binding: Binding): void;
  match(routingKey: string, headers: HeaderTable | undefined, found: (binding: Binding) => void): void;
}

class DirectMatcher implements Matcher {
  readonly #byKey = new Map<string, Set<Binding>>();
  add(binding: Binding): void {
    let set = this.#byKey.get(binding.routingKey);
    if (set === undefined) this.#byKey.set(binding.routingKey, (set = new Set()));
    set.add(binding);
  }
  remove(binding: Binding): void {
    const set = this.#byKey.get(binding.routingKey);
    set?.delete(binding);
    if (set?.size === 0) this.#byKey.delete(binding.routingKey);
  }
  match(routingKey: string, _headers: HeaderTable | undefined, found: (binding: Binding) => void): void {
    const set = this.#byKey.get(routingKey);
    if (set !== undefined) for (const binding of set) found(binding);
  }
}

class FanoutMatcher implements Matcher {
  readonly #all = new Set<Binding>();
  add(binding: Binding): void {
    this.#all.add(binding);
  }
  remove(binding: Binding): void {
    this.#all.delete(binding);
  }
  match(_routingKey: string, _headers: HeaderTable | undefined, found: (binding: Binding) => void): void {
    for (const binding of this.#all) found(binding);
  }
}

class TopicMatcher implements Matcher {
  readonly #trie = new TopicTrie<Binding>();
  add(binding: Binding): void {
    this.#trie.add(binding.routingKey, binding);
  }
  remove(binding: Binding): void {
    this.#trie.remove(binding.routingKey, binding);
  }
  match(routingKey: string, _headers: HeaderTable | undefined, found: (binding: Binding) => void): void {
    this.#trie.match(routingKey, found);
  }
}

type XMatch = 'all' | 'any' | 'all-with-x' | 'any-with-x';

/** Validates a headers binding's x-match argument (RabbitMQ: 406 "Invalid x-match field value"). */
export function checkHeadersBindingArgs(args: HeaderTable): XMatch {
  const xMatch = args['x-match'];
  if (xMatch === undefined) return 'all';
  if (xMatch === 'all' || xMatch === 'any' || xMatch === 'all-with-x' || xMatch === 'any-with-x') return xMatch;
  throw brokerError('PRECONDITION_FAILED', `Invalid x-match field value ${JSON.stringify(String(xMatch))}; expected all, any, all-with-x, or any-with-x`);
}

/**
 * RabbitMQ's headers matching (rabbit_exchange_type_headers): binding arguments other than x-match
 * are compared with the message headers; `all`/`any` skip keys starting with `x-`, the `-with-x`
 * variants include them. A binding argument with no value (void) matches on presence alone.
 * `all` with nothing to compare matches every message; `any` with nothing matches none.
 */
export function headersMatch(args: HeaderTable, xMatch: XMatch, headers: HeaderTable | undefined): boolean {
  const withX = xMatch === 'all-with-x' || xMatch === 'any-with-x';
  const all = xMatch === 'all' || xMatch === 'all-with-x';
  const message = headers ?? {};
  for (const name of Object.keys(args)) {
    if (name === 'x-match') continue;
    if (!withX && name.startsWith('x-')) continue;
    const expected = args[name];
    const present = Object.hasOwn(message, name) && message[name] !== undefined;
    const ok = present && (expected === null || expected === undefined ? true : headerValuesEqual(expected, message[name]));
    if (all && !ok) return false;
    if (!all && ok) return true;
  }
  return all;
}

class HeadersMatcher implements Matcher {
  readonly #all = new Map<Binding, XMatch>();
  add(binding: Binding): void {
    this.#all.set(binding, checkHeadersBindingArgs(binding.args));
  }
  remove(binding: Binding): void {
    this.#all.delete(binding);
  }
  match(_routingKey: string, headers: HeaderTable | undefined, found: (binding: Binding) => void): void {
    for (const [binding, xMatch] of this.#all) if (headersMatch(binding.args, xMatch, headers)) found(binding);
  }
}

function newMatcher(type: ExchangeType): Matcher {
  switch (type) {
    case 'direct':
      return new DirectMatcher();
    case 'fanout':
      return new FanoutMatcher();
    case 'topic':
      return new TopicMatcher();
    case 'headers':
      return new HeadersMatcher();
  }
}

export interface ExchangeOptions {
  readonly type: ExchangeType;
  readonly durable: boolean;
  readonly autoDelete: boolean;
  readonly internal: boolean;
  readonly args: HeaderTable;
}

/** One exchange of a vhost with the bindings it is the source of. */
export class Exchange {
  readonly kind = 'exchange' as const;
  readonly type: ExchangeType;
  readonly durable: boolean;
  readonly autoDelete: boolean;
  readonly internal: boolean;
  readonly args: HeaderTable;
  /** Bindings with this exchange as source, by binding key. */
  readonly bindings = new Map<string, Binding>();
  /** Bindings with this exchange as destination. */
  readonly inbound = new Set<Binding>();
  readonly #matcher: Matcher;
  deleted = false;

  constructor(
    readonly vhost: string,
    readonly name: string,
    options: ExchangeOptions,
    /** The default exchange and amq.*: cannot be declared, deleted or (default only) bound. */
    readonly builtin = false,
  ) {
    this.type = options.type;
    this.durable = options.durable;
    this.autoDelete = options.autoDelete;
    this.internal = options.internal;
    this.args = options.args;
    this.#matcher = newMatcher(options.type);
  }

  /** The alternate-exchange argument (RabbitMQ extension), if it is a string. */
  get alternateExchange(): string | undefined {
    const ae = this.args['alternate-exchange'];
    return typeof ae === 'string' ? ae : undefined;
  }

  /** Adds a binding; false when an identical binding exists already. */
  addBinding(binding: Binding): boolean {
    if (this.bindings.has(binding.key)) return false;
    this.bindings.set(binding.key, binding);
    this.#matcher.add(binding);
    binding.destination.inbound.add(binding);
    return true;
  }

  removeBinding(key: string): Binding | undefined {
    const binding = this.bindings.get(key);
    if (binding === undefined) return undefined;
    this.bindings.delete(key);
    this.#matcher.remove(binding);
    binding.destination.inbound.delete(binding);
    return binding;
  }

  match(routingKey: string, headers: HeaderTable | undefined, found: (binding: Binding) => void): void {
    this.#matcher.match(routingKey, headers, found);
  }
}
