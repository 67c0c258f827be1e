// An in-memory MessageStore for core unit tests. Same contract as the file store (it passes the
// same conformance suite), no encryption and no durability beyond the shared `MemoryStoreState`
// object, which a test can hand to a second instance to simulate a broker restart.

import {
  StoreClosedError,
  type AppendEntry,
  type Definition,
  type DefinitionKind,
  type MessageStore,
  type QueueId,
  type QueueStats,
  type StoredMessage,
} from './message-store.ts';

interface MemoryQueue {
  nextOffset: number;
  /** Live messages by offset; a Map keeps insertion order, which is offset order. */
  readonly messages: Map<number, StoredMessage>;
}

/** What survives a simulated restart. */
export interface MemoryStoreState {
  readonly queues: Map<QueueId, MemoryQueue>;
  readonly definitions: Map<string, Definition>;
}

export function createMemoryStoreState(): MemoryStoreState {
  return { queues: new Map(), definitions: new Map() };
}

function copyBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

function definitionKey(kind: DefinitionKind, name: string): string {
  return `${kind}\u0000${name}`;
}

/** A MessageStore held in memory; pass a previous instance's `state` to simulate a restart. */
export class MemoryMessageStore implements MessageStore {
  #closed = false;
  readonly state: MemoryStoreState;

  constructor(state: MemoryStoreState = createMemoryStoreState()) {
    this.state = state;
  }

  #checkOpen(): void {
    if (this.#closed) throw new StoreClosedError();
  }

  async append(entries: readonly AppendEntry[]): Promise<number[]> {
    this.#checkOpen();
    for (const { deliveryCount = 0 } of entries) {
      if (!Number.isInteger(deliveryCount) || deliveryCount < 0 || deliveryCount > 0xffff_ffff) throw new RangeError('deliveryCount must be an integer in [0, 2^32)');
    }
    const offsets: number[] = [];
    for (const { queueId, message, deliveryCount = 0 } of entries) {
      let queue = this.state.queues.get(queueId);
      if (queue === undefined) {
        queue = { nextOffset: 0, messages: new Map() };
        this.state.queues.set(queueId, queue);
      }
      const offset = queue.nextOffset++;
      queue.messages.set(offset, {
        queueId,
        offset,
        deliveryCount,
        exchange: message.exchange,
        routingKey: message.routingKey,
        properties: copyBytes(message.properties),
        body: copyBytes(message.body),
      });
      offsets.push(offset);
    }
    return offsets;
  }

  async read(queueId: QueueId, fromOffset: number, limit: number): Promise<StoredMessage[]> {
    this.#checkOpen();
    const queue = this.state.queues.get(queueId);
    const out: StoredMessage[] = [];
    if (queue === undefined || limit <= 0) return out;
    for (const message of queue.messages.values()) {
      if (message.offset < fromOffset) continue;
      out.push({ ...message, properties: copyBytes(message.properties), body: copyBytes(message.body) });
      if (out.length >= limit) break;
    }
    return out;
  }

  async *iterate(queueId: QueueId, fromOffset = 0): AsyncIterable<StoredMessage> {
    let next = fromOffset;
    for (;;) {
      const page = await this.read(queueId, next, 256);
      if (page.length === 0) return;
      for (const message of page) yield message;
      next = page[page.length - 1]!.offset + 1;
    }
  }

  async remove(queueId: QueueId, offsets: readonly number[]): Promise<number> {
    this.#checkOpen();
    const queue = this.state.queues.get(queueId);
    if (queue === undefined) return 0;
    let removed = 0;
    for (const offset of offsets) if (queue.messages.delete(offset)) removed++;
    return removed;
  }

  async recordDelivery(queueId: QueueId, offsets: readonly number[]): Promise<void> {
    this.#checkOpen();
    const queue = this.state.queues.get(queueId);
    if (queue === undefined) return;
    for (const offset of new Set(offsets)) {
      const message = queue.messages.get(offset);
      if (message !== undefined) queue.messages.set(offset, { ...message, deliveryCount: message.deliveryCount + 1 });
    }
  }

  async purge(queueId: QueueId): Promise<number> {
    this.#checkOpen();
    const queue = this.state.queues.get(queueId);
    if (queue === undefined) return 0;
    const count = queue.messages.size;
    queue.messages.clear();
    return count;
  }

  async deleteQueue(queueId: QueueId): Promise<void> {
    this.#checkOpen();
    this.state.queues.delete(queueId);
  }

  async queueIds(): Promise<QueueId[]> {
    this.#checkOpen();
    return [...this.state.queues.keys()].sort();
  }

  async queueStats(queueId: QueueId): Promise<QueueStats> {
    this.#checkOpen();
    const queue = this.state.queues.get(queueId);
    if (queue === undefined) return { messageCount: 0, bodyBytes: 0, nextOffset: 0 };
    let bodyBytes = 0;
    for (const message of queue.messages.values()) bodyBytes += message.body.length;
    return { messageCount: queue.messages.size, bodyBytes, nextOffset: queue.nextOffset };
  }

  async putDefinition(definition: Definition): Promise<void> {
    this.#checkOpen();
    const copy: Definition = JSON.parse(JSON.stringify(definition)) as Definition;
    this.state.definitions.set(definitionKey(definition.kind, definition.name), copy);
  }

  async deleteDefinition(kind: DefinitionKind, name: string): Promise<boolean> {
    this.#checkOpen();
    return this.state.definitions.delete(definitionKey(kind, name));
  }

  async getDefinition(kind: DefinitionKind, name: string): Promise<Definition | undefined> {
    this.#checkOpen();
    const found = this.state.definitions.get(definitionKey(kind, name));
    return found === undefined ? undefined : (JSON.parse(JSON.stringify(found)) as Definition);
  }

  async listDefinitions(kind?: DefinitionKind): Promise<Definition[]> {
    this.#checkOpen();
    return [...this.state.definitions.values()]
      .filter((d) => kind === undefined || d.kind === kind)
      .sort((a, b) => (a.kind === b.kind ? compareStrings(a.name, b.name) : compareStrings(a.kind, b.kind)))
      .map((d) => JSON.parse(JSON.stringify(d)) as Definition);
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
