// MQTT 5 session expiry across a broker restart, end to end over TLS with MQTT.js: the durable
// subscriptions of a session with a finite expiry are removed by the store's own expiry (the
// subscription queue's x-expires), so a client that does not come back in time after a restart
// finds no session (CONNACK session present 0) and nothing of what it collected; one that comes
// back in time gets its queued QoS 1 messages; and a changed expiry (DISCONNECT, CONNECT) is what
// is stored. Conditions are awaited with a bounded poll; no timing is asserted.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import mqtt from 'mqtt';
import { packetText as text } from './mqtt-clients.ts';
import { MqttStoreBroker, nextPublish, waitFor } from './mqtt-store-broker.ts';

const mqttBroker = new MqttStoreBroker();
before(() => mqttBroker.setUp());
after(() => mqttBroker.dispose());

let seq = 0;
const unique = (prefix: string) => `${prefix}-${process.pid}-${++seq}`;

async function publish(topic: string, ...bodies: string[]): Promise<void> {
  const pub = await mqtt.connectAsync(`mqtts://127.0.0.1:${mqttBroker.server.port}`, mqttBroker.options(5));
  pub.on('error', () => undefined);
  try {
    for (const body of bodies) await pub.publishAsync(topic, body, { qos: 1 });
  } finally {
    await pub.endAsync();
  }
}

/** The core queue of the session's QoS 1 durable subscription (ActiveMQ's name for it). */
function subscriptionQueue(clientId: string, filter: string) {
  return mqttBroker.server.engine.coreQueue(`ActiveMQ.Subscription.Durable:${encodeURIComponent(clientId)}:${encodeURIComponent(`AT_LEAST_ONCE:${filter}`)}`);
}

async function forget(clientId: string): Promise<void> {
  const { client } = await mqttBroker.connectWithInbox(5, { clientId, clean: true });
  await client.endAsync();
}

describe('MQTT 5: session expiry across a broker restart', () => {
  it('removes a session whose client does not come back within its expiry after a restart', async () => {
    const topic = `${unique('expiry')}/t`;
    const clientId = unique('gone');
    const session = { clean: false, properties: { sessionExpiryInterval: 2 } };
    const first = await mqttBroker.connectWithInbox(5, { clientId, ...session });
    await first.client.subscribeAsync(topic, { qos: 1 });
    await publish(topic, 'collected');
    assert.equal(text(await nextPublish(first.inbox)), 'collected');
    await publish(topic, 'queued');
    // The broker goes down while the client is connected: from then on the client is away.
    first.client.on('close', () => undefined);
    await mqttBroker.restart();
    first.client.end(true);
    const recovered = subscriptionQueue(clientId, topic);
    assert.ok(recovered !== undefined, 'the durable subscription is recovered with the broker');
    assert.equal(recovered.arguments.expiresMs, 2000, 'with the session expiry as its x-expires');
    await waitFor('the expired subscription is removed', () => subscriptionQueue(clientId, topic) === undefined);

    const back = await mqttBroker.connectWithInbox(5, { clientId, ...session });
    try {
      assert.equal(back.sessionPresent, false, 'the session expired: nothing to resume [MQTT-4.1.0-2]');
      await back.client.subscribeAsync(topic, { qos: 1 });
      await publish(topic, 'marker');
      assert.equal(text(await nextPublish(back.inbox)), 'marker', 'nothing the expired session collected is delivered');
    } finally {
      await back.client.endAsync();
      await forget(clientId);
    }
  });

  it('delivers the queued QoS 1 messages of a client that comes back in time after a restart', async () => {
    const topic = `${unique('in-time')}/t`;
    const clientId = unique('back');
    const session = { clean: false, properties: { sessionExpiryInterval: 120 } };
    const first = await mqttBroker.connectWithInbox(5, { clientId, ...session });
    await first.client.subscribeAsync(topic, { qos: 1 });
    await first.client.endAsync();
    await publish(topic, 'away 1', 'away 2');
    await mqttBroker.restart();
    assert.equal(subscriptionQueue(clientId, topic)?.arguments.expiresMs, 120_000);
    const back = await mqttBroker.connectWithInbox(5, { clientId, ...session });
    try {
      assert.equal(back.sessionPresent, true);
      const got = [await nextPublish(back.inbox), await nextPublish(back.inbox)];
      assert.deepEqual(
        got.map((p) => [text(p), p.qos]),
        [
          ['away 1', 1],
          ['away 2', 1],
        ],
      );
    } finally {
      await back.client.endAsync();
      await forget(clientId);
    }
  });

  it('stores the expiry a DISCONNECT or a later CONNECT sets, keeping what was queued', async () => {
    const topic = `${unique('changed')}/t`;
    const clientId = unique('changer');
    const first = await mqttBroker.connectWithInbox(5, { clientId, clean: false, properties: { sessionExpiryInterval: 2 } });
    await first.client.subscribeAsync(topic, { qos: 1 });
    // MQTT 5 §3.14.2.2.2: the DISCONNECT sets a new session expiry.
    await first.client.endAsync(false, { properties: { sessionExpiryInterval: 3600 } });
    await waitFor('the stored expiry follows the DISCONNECT', () => subscriptionQueue(clientId, topic)?.arguments.expiresMs === 3_600_000);
    await publish(topic, 'kept');
    await mqttBroker.restart();
    assert.equal(subscriptionQueue(clientId, topic)?.arguments.expiresMs, 3_600_000, 'the longer expiry survives the restart');
    const back = await mqttBroker.connectWithInbox(5, { clientId, clean: false, properties: { sessionExpiryInterval: 60 } });
    try {
      assert.equal(back.sessionPresent, true);
      assert.equal(text(await nextPublish(back.inbox)), 'kept');
      assert.equal(subscriptionQueue(clientId, topic)?.arguments.expiresMs, 60_000, 'the resumed session sets its own expiry');
    } finally {
      await back.client.endAsync();
    }
    // A session that never expires (0xFFFFFFFF) leaves its subscriptions without an expiry.
    const forever = await mqttBroker.connectWithInbox(5, { clientId, clean: false, properties: { sessionExpiryInterval: 0xffffffff } });
    try {
      assert.equal(forever.sessionPresent, true);
      assert.equal(subscriptionQueue(clientId, topic)?.arguments.expiresMs, undefined);
    } finally {
      await forever.client.endAsync();
      await forget(clientId);
    }
  });
});
