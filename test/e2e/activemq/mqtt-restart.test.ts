// MQTT persistent sessions across a broker restart, end to end over TLS with MQTT.js (3.1.1 and 5.0):
// the broker is closed and opened again on the same encrypted segment store, and a client that comes
// back with clean session 0 gets its QoS 1/2 subscriptions back without subscribing again (CONNACK
// session present 1), with what they collected while it was away; a clean session after a restart
// discards them. "Nothing else arrives" is checked by sending a marker behind and seeing it come next.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import mqtt from 'mqtt';
import { packetText as text } from './mqtt-clients.ts';
import { MqttStoreBroker } from './mqtt-store-broker.ts';

const mqttBroker = new MqttStoreBroker();
before(() => mqttBroker.setUp());
after(() => mqttBroker.dispose());

let seq = 0;
const unique = (prefix: string) => `${prefix}-${process.pid}-${++seq}`;
const label = (v: 4 | 5) => (v === 5 ? 'MQTT 5' : 'MQTT 3.1.1');

async function publishAll(version: 4 | 5, messages: ReadonlyArray<readonly [topic: string, body: string, qos: 0 | 1 | 2]>): Promise<void> {
  const pub = await mqtt.connectAsync(`mqtts://127.0.0.1:${mqttBroker.server.port}`, mqttBroker.options(version));
  pub.on('error', () => undefined);
  try {
    for (const [topic, body, qos] of messages) await pub.publishAsync(topic, body, { qos });
  } finally {
    await pub.endAsync();
  }
}

for (const version of [4, 5] as const) {
  describe(`${label(version)}: a persistent session across a broker restart`, () => {
    it('gets its QoS 1 and 2 subscriptions back with what they collected, without subscribing again', async () => {
      const base = unique('restart');
      const clientId = unique('persistent');
      const session = version === 5 ? { clean: false, properties: { sessionExpiryInterval: 3600 } } : { clean: false };
      const first = await mqttBroker.connectWithInbox(version, { clientId, ...session });
      assert.equal(first.sessionPresent, false);
      await first.client.subscribeAsync(`${base}/one`, { qos: 1 });
      await first.client.subscribeAsync(`${base}/+/two`, { qos: 2 });
      // QoS 0 subscriptions are not durable: ActiveMQ does not keep them across a restart either.
      await first.client.subscribeAsync(`${base}/zero`, { qos: 0 });
      await first.client.endAsync();
      await publishAll(version, [
        [`${base}/one`, 'away 1', 1],
        [`${base}/x/two`, 'away 2', 1],
        [`${base}/one`, 'away 3', 1],
      ]);

      await mqttBroker.restart();
      const back = await mqttBroker.connectWithInbox(version, { clientId, ...session });
      try {
        assert.equal(back.sessionPresent, true, '[MQTT-3.2.2-2] the stored session is resumed');
        const got: Array<[string, string, number]> = [];
        for (let i = 0; i < 3; i++) {
          const p = await back.inbox.next();
          got.push([p.topic, text(p), p.qos]);
        }
        // Each subscription keeps its order; the two are delivered independently.
        assert.deepEqual(
          got.filter(([t]) => t === `${base}/one`),
          [
            [`${base}/one`, 'away 1', 1],
            [`${base}/one`, 'away 3', 1],
          ],
        );
        assert.deepEqual(
          got.filter(([t]) => t !== `${base}/one`),
          [[`${base}/x/two`, 'away 2', 1]],
        );
        // Still subscribed for new messages, at the granted QoS; the QoS 0 subscription is gone.
        await publishAll(version, [
          [`${base}/zero`, 'not subscribed', 1],
          [`${base}/y/two`, 'after', 2],
        ]);
        const after = await back.inbox.next();
        assert.deepEqual([after.topic, text(after), after.qos], [`${base}/y/two`, 'after', 2]);
      } finally {
        await back.client.endAsync();
      }

      // Once more away and restarted: a clean session then discards the stored one and its messages.
      await publishAll(version, [[`${base}/one`, 'discarded', 1]]);
      await mqttBroker.restart();
      const clean = await mqttBroker.connectWithInbox(version, { clientId, clean: true });
      assert.equal(clean.sessionPresent, false);
      await clean.client.endAsync();
      const fresh = await mqttBroker.connectWithInbox(version, { clientId, ...session });
      try {
        assert.equal(fresh.sessionPresent, false, 'the clean session removed the stored subscriptions');
        await fresh.client.subscribeAsync(`${base}/one`, { qos: 1 });
        await publishAll(version, [[`${base}/one`, 'marker', 1]]);
        assert.equal(text(await fresh.inbox.next()), 'marker', 'nothing of the discarded session is delivered');
      } finally {
        await fresh.client.endAsync();
        const cleanup = await mqttBroker.connectWithInbox(version, { clientId, clean: true });
        await cleanup.client.endAsync();
      }
    });

    it('a client subscribing again after the restart keeps one subscription and gets each message once', async () => {
      const topic = `${unique('again')}/t`;
      const clientId = unique('resubscribe');
      const session = version === 5 ? { clean: false, properties: { sessionExpiryInterval: 3600 } } : { clean: false };
      const first = await mqttBroker.connectWithInbox(version, { clientId, ...session });
      await first.client.subscribeAsync(topic, { qos: 1 });
      await first.client.endAsync();
      await publishAll(version, [[topic, 'away', 1]]);
      await mqttBroker.restart();
      const back = await mqttBroker.connectWithInbox(version, { clientId, ...session });
      try {
        assert.equal(back.sessionPresent, true);
        // As a client unaware of the restore would do: the same subscription again.
        const granted = await back.client.subscribeAsync(topic, { qos: 1 });
        assert.equal(granted[0]?.qos, 1);
        assert.equal(text(await back.inbox.next()), 'away');
        await publishAll(version, [
          [topic, 'once', 1],
          [topic, 'marker', 1],
        ]);
        assert.equal(text(await back.inbox.next()), 'once');
        assert.equal(text(await back.inbox.next()), 'marker', 'one subscription: no second copy');
      } finally {
        await back.client.endAsync();
        const cleanup = await mqttBroker.connectWithInbox(version, { clientId, clean: true });
        await cleanup.client.endAsync();
      }
    });
  });
}
