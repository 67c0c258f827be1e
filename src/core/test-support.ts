// Helpers for the core's unit tests: a JSON property codec standing in for a protocol's, a broker
// on the in-memory store with a fake clock, and a channel handler that records what it is given.

import { Broker, type BrokerOptions } from './broker.ts';
import type { ChannelHandler, ConsumerChannel, BrokerConnection } from './channel.ts';
import { FakeClock } from './clock.ts';
import { decodeHeaderTable, encodeHeaderTable } from './header-values.ts';
import { MemoryMessageStore, createMemoryStoreState, type MemoryStoreState } from './memory-message-store.ts';
import type { JsonValue } from './message-store.ts';
import type { Delivery, HeaderTable, MessagePropertiesCodec, MessageView, PublishedMessage } from './types.ts';

/** Encodes a MessageView as JSON bytes: what a protocol codec does with real property lists. */
export const jsonPropertiesCodec: MessagePropertiesCodec = {
  decodeView(properties: Uint8Array): MessageView {
    const json = JSON.parse(new TextDecoder().decode(properties)) as Record<string, JsonValue>;
    return {
      headers: json.headers === undefined ? undefined : decodeHeaderTable(json.headers),
      expiration: typeof json.expiration === 'string' ? json.expiration : undefined,
      priority: typeof json.priority === 'number' ? json.priority : undefined,
      persistent: json.persistent === true,
    };
  },
  rewrite(properties, change) {
    const view = jsonPropertiesCodec.decodeView(properties);
    return encodeView({ ...view, headers: change.headers, expiration: change.expiration });
  },
};

export function encodeView(view: MessageView): Uint8Array {
  const json: Record<string, JsonValue> = { persistent: view.persistent };
  if (view.headers !== undefined) json.headers = encodeHeaderTable(view.headers);
  if (view.expiration !== undefined) json.expiration = view.expiration;
  if (view.priority !== undefined) json.priority = view.priority;
  return new TextEncoder().encode(JSON.stringify(json));
}

export function message(
  exchange: string,
  routingKey: string,
  body: string,
  view: { headers?: HeaderTable; expiration?: string; priority?: number; persistent?: boolean } = {},
): PublishedMessage {
  const full: MessageView = { persistent: view.persistent ?? false, headers: view.headers, expiration: view.expiration, priority: view.priority };
  return { exchange, routingKey, properties: encodeView(full), body: new TextEncoder().encode(body), view: full };
}

export function text(delivery: { body: Uint8Array } | undefined): string | undefined {
  return delivery === undefined ? undefined : new TextDecoder().decode(delivery.body);
}

export interface RecordingHandler extends ChannelHandler {
  readonly deliveries: Delivery[];
  readonly cancelled: string[];
  bodies(): string[];
}

export function recordingHandler(): RecordingHandler {
  const deliveries: Delivery[] = [];
  const cancelled: string[] = [];
  return {
    deliveries,
    cancelled,
    deliver: (d) => deliveries.push(d),
    consumerCancelled: (tag) => cancelled.push(tag),
    bodies: () => deliveries.map((d) => text(d)!),
  };
}

export interface TestBroker {
  readonly broker: Broker;
  readonly clock: FakeClock;
  readonly state: MemoryStoreState;
  readonly store: MemoryMessageStore;
  readonly connection: BrokerConnection;
  readonly handler: RecordingHandler;
  readonly channel: ConsumerChannel;
  /** Another channel on the same connection, with its own handler. */
  openChannel(connection?: BrokerConnection): { channel: ConsumerChannel; handler: RecordingHandler };
}

export async function openTestBroker(options: Partial<BrokerOptions> & { state?: MemoryStoreState; clock?: FakeClock } = {}): Promise<TestBroker> {
  const state = options.state ?? createMemoryStoreState();
  const store = new MemoryMessageStore(state);
  const clock = options.clock ?? new FakeClock();
  const broker = await Broker.open({ codec: jsonPropertiesCodec, passwordHashing: { logN: 4 }, ...options, store, clock });
  const connection = broker.connect({ vhost: '/', user: null });
  const handler = recordingHandler();
  const channel = connection.openChannel(handler);
  return {
    broker,
    clock,
    state,
    store,
    connection,
    handler,
    channel,
    openChannel(conn = connection) {
      const h = recordingHandler();
      return { channel: conn.openChannel(h), handler: h };
    },
  };
}

/** Lets queued microtasks and store promises run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}
