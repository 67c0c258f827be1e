// Helpers for the ActiveMQ engine's unit tests: a broker core on the in-memory store (or a given
// one) opened with the ActiveMQ properties codec, the engine on it, a user per group set, and a
// subscriber that records deliveries.

import { randomBytes } from 'node:crypto';
import { afterEach } from 'node:test';
import { Broker, type BrokerOptions } from '../broker.ts';
import { MemoryMessageStore, createMemoryStoreState, type MemoryStoreState } from '../memory-message-store.ts';
import type { MessageStore } from '../message-store.ts';
import type { AmqConnection, AmqDelivery, AmqOutgoing, SubscribeOptions, Subscription } from './api.ts';
import { groupTags } from './authorization.ts';
import { ACTIVEMQ_BROKER_OPTIONS, createActiveMqEngine, type ActiveMqEngine, type ActiveMqEngineOptions } from './engine.ts';

export interface EngineFixture {
  readonly broker: Broker;
  readonly engine: ActiveMqEngine;
  readonly state: MemoryStoreState;
  /** Connects as a user with these groups (created on first use). */
  connect(options?: { clientId?: string; groups?: readonly string[]; username?: string; takeOverClientId?: boolean }): Promise<AmqConnection>;
  close(): Promise<void>;
}

export async function openEngine(
  options: { state?: MemoryStoreState; store?: MessageStore; engine?: ActiveMqEngineOptions; broker?: Partial<BrokerOptions> } = {},
): Promise<EngineFixture> {
  const state = options.state ?? createMemoryStoreState();
  const store = options.store ?? new MemoryMessageStore(state);
  // As the supervisor opens an ACTIVEMQ broker.
  const broker = await Broker.open({ passwordHashing: { logN: 4 }, recordDeliveries: ACTIVEMQ_BROKER_OPTIONS.recordDeliveries, ...options.broker, store, codec: ACTIVEMQ_BROKER_OPTIONS.codec });
  const engine = createActiveMqEngine(broker, options.engine);
  await engine.ready();
  const passwords = new Map<string, string>();
  return {
    broker,
    engine,
    state,
    async connect(o = {}) {
      const username = o.username ?? `user-${(o.groups ?? []).join('-') || 'plain'}`;
      let password = passwords.get(username);
      if (password === undefined) {
        password = randomBytes(9).toString('base64url');
        if (broker.users.getUser(username) === undefined) await broker.users.addUser(username, password, groupTags(o.groups ?? []));
        else {
          await broker.users.changePassword(username, password);
          await broker.users.setTags(username, groupTags(o.groups ?? []));
        }
        passwords.set(username, password);
      }
      return engine.connect({ username, password, clientId: o.clientId, takeOverClientId: o.takeOverClientId });
    },
    async close() {
      await broker.close();
    },
  };
}

/** Text body, non-persistent unless told. */
export function textMessage(body: string, extra: Partial<AmqOutgoing> = {}): AmqOutgoing {
  return { body: new TextEncoder().encode(body), bodyType: 'text', persistent: false, ...extra };
}

export function bodyText(delivery: AmqDelivery): string {
  return new TextDecoder().decode(delivery.message.body);
}

export interface Recorder {
  readonly deliveries: AmqDelivery[];
  readonly subscription: Subscription;
  bodies(): string[];
  /** Resolves once `count` deliveries have arrived. */
  waitFor(count: number): Promise<void>;
}

/** Subscribes and records deliveries. */
export async function record(connection: AmqConnection, options: SubscribeOptions, onDelivery?: (d: AmqDelivery) => void): Promise<Recorder> {
  const deliveries: AmqDelivery[] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const subscription = await connection.subscribe(options, (d) => {
    deliveries.push(d);
    onDelivery?.(d);
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (deliveries.length >= waiters[i]!.count) {
        waiters[i]!.resolve();
        waiters.splice(i, 1);
      }
    }
  });
  return {
    deliveries,
    subscription,
    bodies: () => deliveries.map(bodyText),
    waitFor(count) {
      if (deliveries.length >= count) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
  };
}

/** Lets queued microtasks and store promises run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

/**
 * For a test file: returns `open`, which opens an engine fixture, and registers an afterEach that
 * closes the one opened last (a test that closes it itself may open another).
 */
export function engineFixtures(): (options?: Parameters<typeof openEngine>[0]) => Promise<EngineFixture> {
  let fixture: EngineFixture | undefined;
  afterEach(async () => {
    await fixture?.close();
    fixture = undefined;
  });
  return async (options = {}) => (fixture = await openEngine(options));
}
