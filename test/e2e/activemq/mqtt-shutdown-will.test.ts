// Wills on broker shutdown, end to end over TLS with MQTT.js (3.1.1 and 5.0): a broker shutdown
// closes the network connection without a DISCONNECT from the client, so the will is published
// (3.1.1 and 5.0 §3.1.2.5) before the store closes: a durable subscriber that was away gets it after
// the restart, and a new subscriber gets it as the retained message. A delayed will of a session
// whose connection was already gone (MQTT 5, lingering) is published at the shutdown too.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { IClientOptions } from 'mqtt';
import { packetText as text } from './mqtt-clients.ts';
import { MqttStoreBroker, nextPublish, waitFor } from './mqtt-store-broker.ts';

const mqttBroker = new MqttStoreBroker();
before(() => mqttBroker.setUp());
after(() => mqttBroker.dispose());

let seq = 0;
const unique = (prefix: string) => `${prefix}-${process.pid}-${++seq}`;
const label = (v: 4 | 5) => (v === 5 ? 'MQTT 5' : 'MQTT 3.1.1');

/** A durable QoS 1 subscriber of `topic` that has gone away (its messages wait in the store). */
async function awaySubscriber(version: 4 | 5, topic: string): Promise<{ clientId: string; session: IClientOptions }> {
  const clientId = unique('durable');
  const session: IClientOptions = version === 5 ? { clean: false, properties: { sessionExpiryInterval: 3600 } } : { clean: false };
  const b = await mqttBroker.connectWithInbox(version, { clientId, ...session });
  await b.client.subscribeAsync(topic, { qos: 1 });
  await b.client.endAsync();
  return { clientId, session };
}

/** After the restart: the durable subscriber gets the will, and so does a new subscriber, as retained. */
async function checkWillDelivered(version: 4 | 5, topic: string, subscriber: { clientId: string; session: IClientOptions }, payload: string): Promise<void> {
  const b = await mqttBroker.connectWithInbox(version, { clientId: subscriber.clientId, ...subscriber.session });
  try {
    assert.equal(b.sessionPresent, true);
    const will = await nextPublish(b.inbox);
    assert.deepEqual([will.topic, text(will), will.qos], [topic, payload, 1], 'the durable subscriber gets the will');
  } finally {
    await b.client.endAsync();
  }
  const fresh = await mqttBroker.connectWithInbox(version, { clean: true });
  try {
    await fresh.client.subscribeAsync(topic, { qos: 1 });
    const retained = await nextPublish(fresh.inbox);
    assert.deepEqual([text(retained), retained.retain], [payload, true], 'a new subscriber gets it as the retained message');
    // Clean up: an empty retained message clears it [MQTT-3.3.1-10].
    await fresh.client.publishAsync(topic, '', { qos: 1, retain: true });
  } finally {
    await fresh.client.endAsync();
  }
  const cleanup = await mqttBroker.connectWithInbox(version, { clientId: subscriber.clientId, clean: true });
  await cleanup.client.endAsync();
}

for (const version of [4, 5] as const) {
  describe(`${label(version)}: the will on broker shutdown`, () => {
    it('publishes the will of a client connected when the broker stops, to durable subscribers and as retained', async () => {
      const topic = `${unique('shutdown')}/status`;
      const subscriber = await awaySubscriber(version, topic);
      const a = await mqttBroker.connectWithInbox(version, { clientId: unique('device'), will: { topic, payload: Buffer.from('device offline'), qos: 1, retain: true } });
      const closed = new Promise<void>((resolve) => a.client.once('close', () => resolve()));
      // The broker stops; client A does not disconnect.
      await mqttBroker.stop({ settleFirst: false });
      await closed;
      a.client.end(true);
      await mqttBroker.start();
      await checkWillDelivered(version, topic, subscriber, 'device offline');
    });
  });
}

describe('MQTT 5: a delayed will on broker shutdown', () => {
  it('publishes the will of a session whose connection is gone and whose will delay has not passed', async () => {
    const topic = `${unique('delayed')}/status`;
    const subscriber = await awaySubscriber(5, topic);
    const a = await mqttBroker.connectWithInbox(5, {
      clientId: unique('lingering'),
      clean: false,
      properties: { sessionExpiryInterval: 3600 },
      will: { topic, payload: Buffer.from('gone for good'), qos: 1, retain: true, properties: { willDelayInterval: 3600 } },
    });
    // The connection drops without a DISCONNECT: the will waits for its delay (an hour).
    a.client.stream.destroy();
    a.client.end(true);
    await waitFor('the server has seen the connection go', () => mqttBroker.server.listener.connectionCount === 0);
    await mqttBroker.stop({ settleFirst: false });
    await mqttBroker.start();
    await checkWillDelivered(5, topic, subscriber, 'gone for good');
  });
});
