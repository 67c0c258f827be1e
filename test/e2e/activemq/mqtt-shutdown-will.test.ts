// Wills on broker shutdown, end to end over TLS with MQTT.js (3.1.1 and 5.0): a broker shutdown
// closes the network connection without a DISCONNECT from the client, so the will is published
// (3.1.1 and 5.0 §3.1.2.5) before the store closes: a durable subscriber that was away gets it after
// the restart, and a new subscriber gets it as the retained message. A delayed will of a session
// whose connection was already gone (MQTT 5, lingering) is published at the shutdown too.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { startActiveMqTestBroker, type ActiveMqTestBroker } from '../../helpers/activemq-broker.ts';
import { createStoreFixture, type StoreFixture } from '../../store/store-fixture.ts';
import type { SegmentMessageStore } from '../../../src/store/segment-message-store.ts';
import { createMqttSession } from '../../../src/session/mqtt/index.ts';
import { PacketInbox, packetText as text } from './mqtt-clients.ts';

let fixture: StoreFixture;
let store: SegmentMessageStore | undefined;
let server: ActiveMqTestBroker | undefined;

async function start(): Promise<void> {
  store = await fixture.open();
  server = await startActiveMqTestBroker({
    store,
    session: (socket, engine) => createMqttSession(socket, { engine, remoteAddress: socket.remoteAddress, closeTimeoutMs: 1000 }),
  });
}

/** Stops the broker as the supervisor does: listeners (and their sessions), broker, store. */
async function stop(): Promise<void> {
  await server?.close();
  await store?.close();
  server = undefined;
  store = undefined;
}

before(async () => {
  fixture = await createStoreFixture();
  await start();
});
after(async () => {
  await stop();
  await fixture.dispose();
});

let seq = 0;
const unique = (prefix: string) => `${prefix}-${process.pid}-${++seq}`;
const label = (v: 4 | 5) => (v === 5 ? 'MQTT 5' : 'MQTT 3.1.1');

function options(version: 4 | 5, extra: IClientOptions = {}): IClientOptions {
  return { ca: server!.caPem, protocolVersion: version, username: server!.username, password: server!.password, reconnectPeriod: 0, connectTimeout: 10_000, ...extra };
}

async function connectWithInbox(version: 4 | 5, extra: IClientOptions): Promise<{ client: MqttClient; inbox: PacketInbox; sessionPresent: boolean }> {
  const client = mqtt.connect(`mqtts://127.0.0.1:${server!.port}`, options(version, extra));
  client.on('error', () => undefined);
  const inbox = new PacketInbox(client);
  const connack = await new Promise<{ sessionPresent: boolean }>((resolve, reject) => {
    client.once('connect', resolve);
    client.once('close', () => reject(new Error('connection closed before CONNACK')));
  });
  return { client, inbox, sessionPresent: connack.sessionPresent };
}

/** The next PUBLISH a client receives; fails after `boundMs` rather than hanging. */
async function nextPublish(inbox: PacketInbox, boundMs = 20_000) {
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
async function waitFor(what: string, condition: () => boolean, boundMs = 20_000): Promise<void> {
  const deadline = Date.now() + boundMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A durable QoS 1 subscriber of `topic` that has gone away (its messages wait in the store). */
async function awaySubscriber(version: 4 | 5, topic: string): Promise<{ clientId: string; session: IClientOptions }> {
  const clientId = unique('durable');
  const session: IClientOptions = version === 5 ? { clean: false, properties: { sessionExpiryInterval: 3600 } } : { clean: false };
  const b = await connectWithInbox(version, { clientId, ...session });
  await b.client.subscribeAsync(topic, { qos: 1 });
  await b.client.endAsync();
  return { clientId, session };
}

/** After the restart: the durable subscriber gets the will, and so does a new subscriber, as retained. */
async function checkWillDelivered(version: 4 | 5, topic: string, subscriber: { clientId: string; session: IClientOptions }, payload: string): Promise<void> {
  const b = await connectWithInbox(version, { clientId: subscriber.clientId, ...subscriber.session });
  try {
    assert.equal(b.sessionPresent, true);
    const will = await nextPublish(b.inbox);
    assert.deepEqual([will.topic, text(will), will.qos], [topic, payload, 1], 'the durable subscriber gets the will');
  } finally {
    await b.client.endAsync();
  }
  const fresh = await connectWithInbox(version, { clean: true });
  try {
    await fresh.client.subscribeAsync(topic, { qos: 1 });
    const retained = await nextPublish(fresh.inbox);
    assert.deepEqual([text(retained), retained.retain], [payload, true], 'a new subscriber gets it as the retained message');
    // Clean up: an empty retained message clears it [MQTT-3.3.1-10].
    await fresh.client.publishAsync(topic, '', { qos: 1, retain: true });
  } finally {
    await fresh.client.endAsync();
  }
  const cleanup = await connectWithInbox(version, { clientId: subscriber.clientId, clean: true });
  await cleanup.client.endAsync();
}

for (const version of [4, 5] as const) {
  describe(`${label(version)}: the will on broker shutdown`, () => {
    it('publishes the will of a client connected when the broker stops, to durable subscribers and as retained', async () => {
      const topic = `${unique('shutdown')}/status`;
      const subscriber = await awaySubscriber(version, topic);
      const a = await connectWithInbox(version, { clientId: unique('device'), will: { topic, payload: Buffer.from('device offline'), qos: 1, retain: true } });
      const closed = new Promise<void>((resolve) => a.client.once('close', () => resolve()));
      // The broker stops; client A does not disconnect.
      await stop();
      await closed;
      a.client.end(true);
      await start();
      await checkWillDelivered(version, topic, subscriber, 'device offline');
    });
  });
}

describe('MQTT 5: a delayed will on broker shutdown', () => {
  it('publishes the will of a session whose connection is gone and whose will delay has not passed', async () => {
    const topic = `${unique('delayed')}/status`;
    const subscriber = await awaySubscriber(5, topic);
    const a = await connectWithInbox(5, {
      clientId: unique('lingering'),
      clean: false,
      properties: { sessionExpiryInterval: 3600 },
      will: { topic, payload: Buffer.from('gone for good'), qos: 1, retain: true, properties: { willDelayInterval: 3600 } },
    });
    // The connection drops without a DISCONNECT: the will waits for its delay (an hour).
    a.client.stream.destroy();
    a.client.end(true);
    await waitFor('the server has seen the connection go', () => server!.listener.connectionCount === 0);
    await stop();
    await start();
    await checkWillDelivered(5, topic, subscriber, 'gone for good');
  });
});
