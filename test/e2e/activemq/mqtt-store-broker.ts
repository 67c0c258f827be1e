// An ActiveMQ-engine broker running MQTT over TLS on an encrypted segment store that outlives it,
// for the end-to-end tests that restart the broker (persistent sessions, session expiry, wills on
// shutdown), with the MQTT.js helpers those tests share: client options, a connect that listens
// before CONNACK, and bounded waits.

import assert from 'node:assert/strict';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { startActiveMqTestBroker, type ActiveMqTestBroker } from '../../helpers/activemq-broker.ts';
import { createStoreFixture, type StoreFixture } from '../../store/store-fixture.ts';
import type { SegmentMessageStore } from '../../../src/store/segment-message-store.ts';
import { createMqttSession } from '../../../src/session/mqtt/index.ts';
import { PacketInbox } from './mqtt-clients.ts';

export class MqttStoreBroker {
  #fixture: StoreFixture | undefined;
  #store: SegmentMessageStore | undefined;
  #server: ActiveMqTestBroker | undefined;

  /** The running broker. */
  get server(): ActiveMqTestBroker {
    assert.ok(this.#server !== undefined, 'the broker is not running');
    return this.#server;
  }

  /** Creates the store's directory and starts the broker (a `before` hook). */
  async setUp(): Promise<void> {
    this.#fixture = await createStoreFixture();
    await this.start();
  }

  /** Stops the broker and removes the store's directory (an `after` hook). */
  async dispose(): Promise<void> {
    await this.stop();
    await this.#fixture?.dispose();
  }

  async start(): Promise<ActiveMqTestBroker> {
    this.#store = await this.#fixture!.open();
    this.#server = await startActiveMqTestBroker({
      store: this.#store,
      session: (socket, engine) => createMqttSession(socket, { engine, remoteAddress: socket.remoteAddress, closeTimeoutMs: 1000 }),
    });
    return this.#server;
  }

  /**
   * Stops the broker and closes the store. `settleFirst` (default true) lets pending store writes
   * land before the listeners close; false stops it as the supervisor does (listeners and their
   * sessions, broker, store), for what a shutdown itself must write.
   */
  async stop(options: { settleFirst?: boolean } = {}): Promise<void> {
    if (options.settleFirst ?? true) await this.#server?.broker.settle();
    await this.#server?.close();
    await this.#store?.close();
    this.#server = undefined;
    this.#store = undefined;
  }

  /** Closes the broker and opens it again on the same store (a new port). */
  async restart(): Promise<ActiveMqTestBroker> {
    await this.stop();
    return this.start();
  }

  options(version: 4 | 5, extra: IClientOptions = {}): IClientOptions {
    const s = this.server;
    return { ca: s.caPem, protocolVersion: version, username: s.username, password: s.password, reconnectPeriod: 0, connectTimeout: 10_000, ...extra };
  }

  /** Connects with an inbox listening before CONNACK (stored messages follow it at once). */
  async connectWithInbox(version: 4 | 5, extra: IClientOptions): Promise<{ client: MqttClient; inbox: PacketInbox; sessionPresent: boolean }> {
    const client = mqtt.connect(`mqtts://127.0.0.1:${this.server.port}`, this.options(version, extra));
    client.on('error', () => undefined);
    const inbox = new PacketInbox(client);
    const connack = await new Promise<{ sessionPresent: boolean }>((resolve, reject) => {
      client.once('connect', resolve);
      client.once('close', () => reject(new Error('connection closed before CONNACK')));
    });
    return { client, inbox, sessionPresent: connack.sessionPresent };
  }
}

/** The next PUBLISH a client receives; fails after `boundMs` rather than hanging. */
export async function nextPublish(inbox: PacketInbox, boundMs = 20_000) {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('no PUBLISH arrived')), boundMs);
  });
  try {
    return await Promise.race([inbox.next(), bound]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls until `condition` holds; fails after `boundMs`. */
export async function waitFor(what: string, condition: () => boolean, boundMs = 20_000): Promise<void> {
  const deadline = Date.now() + boundMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
