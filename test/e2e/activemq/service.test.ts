// An ACTIVEMQ broker through the whole service: `sealmq serve`, CreateBroker with @aws-sdk/client-mq,
// DescribeBroker's endpoints and endpoints.json; stompit, MQTT.js (3.1.1 and 5), rhea, and STOMP and
// MQTT over wss connecting with the API user's credentials; a durable subscription and persistent
// queue messages surviving RebootBroker and a restart of the whole server; DeleteBroker closing the
// listeners and removing the broker's files.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DeleteBrokerCommand, DescribeBrokerCommand } from '@aws-sdk/client-mq';
import { rejectsWith } from '../../helpers/checks.ts';
import type { Endpoints } from '../../helpers/server.ts';
import {
  amqpBodyText,
  amqpConnect,
  ActiveMqService,
  mqttConnect,
  stompConnect,
  stompDisconnect,
  stompSend,
  stompSubscribe,
  stompWssConnect,
  stompWssSend,
  stompWssSubscribe,
  within,
} from './service-clients.ts';

const USER = { username: 'amq-admin', password: 'Active-Broker-Pass-1' };

let amq: ActiveMqService;

before(async () => {
  amq = await ActiveMqService.start('activemq-service', USER);
});
after(() => amq?.stop());

async function endpointsFile(): Promise<Endpoints> {
  return JSON.parse(await readFile(join(amq.server.dataDir, 'endpoints.json'), 'utf8')) as Endpoints;
}

/** Sends the four kinds of message the restart checks read back, each with its own marker. */
async function sendPersistent(tag: string): Promise<void> {
  const stomp = await stompConnect(amq.ports.stomp, amq.server.caPem, USER);
  await stompSend(stomp, { destination: '/queue/orders', persistent: 'true', receipt: `q-${tag}` }, `order ${tag}`);
  await stompSend(stomp, { destination: '/topic/news', persistent: 'true', receipt: `t-${tag}` }, `news ${tag}`);
  await stompDisconnect(stomp);
}

/** Reads back one queue message and one durable-subscription message with the given tag. */
async function receivePersistent(tag: string): Promise<void> {
  const stomp = await stompConnect(amq.ports.stomp, amq.server.caPem, USER, { 'client-id': 'durable-client' });
  const queue = stompSubscribe(stomp, { destination: '/queue/orders', id: 'q' });
  const durable = stompSubscribe(stomp, { destination: '/topic/news', id: 'd', 'activemq.subscriptionName': 'news-sub' });
  assert.equal((await queue.inbox.next(`the queued message ${tag}`)).body, `order ${tag}`);
  assert.equal((await durable.inbox.next(`the durable subscription's message ${tag}`)).body, `news ${tag}`);
  await stompDisconnect(stomp);
}

describe('ACTIVEMQ broker through the service', () => {
  it('DescribeBroker lists amqp+ssl, stomp+ssl, mqtt+ssl and wss (no ssl:// without OpenWire), as endpoints.json does', async () => {
    const described = await amq.mq.send(new DescribeBrokerCommand({ BrokerId: amq.brokerId }));
    assert.equal(described.EngineType, 'ACTIVEMQ');
    assert.equal(described.BrokerState, 'RUNNING');
    const urls = described.BrokerInstances?.[0]?.Endpoints ?? [];
    assert.deepEqual(
      urls.map((u) => u.replace(/:\d+$/, '')),
      ['amqp+ssl://127.0.0.1', 'stomp+ssl://127.0.0.1', 'mqtt+ssl://127.0.0.1', 'wss://127.0.0.1'],
    );
    const file = await endpointsFile();
    assert.deepEqual(file.brokers?.find((b) => b.brokerId === amq.brokerId)?.endpoints, urls);
  });

  it('stompit, MQTT.js 3.1.1 and 5, rhea, and STOMP and MQTT over wss connect with the API user; a wrong password is refused', async () => {
    const stomp = await stompConnect(amq.ports.stomp, amq.server.caPem, USER);
    await stompDisconnect(stomp);
    await assert.rejects(stompConnect(amq.ports.stomp, amq.server.caPem, { ...USER, password: 'Wrong-Password-123' }));

    for (const protocolVersion of [4, 5] as const) {
      const { client } = await mqttConnect(`mqtts://127.0.0.1:${amq.ports.mqtt}`, amq.server.caPem, USER, { protocolVersion, clientId: `svc-${protocolVersion}` });
      await client.endAsync();
      await assert.rejects(mqttConnect(`mqtts://127.0.0.1:${amq.ports.mqtt}`, amq.server.caPem, { ...USER, password: 'Wrong-Password-123' }, { protocolVersion }));
    }

    const amqp = await amqpConnect(amq.ports.amqp, amq.server.caPem, USER);
    await amqp.close();
    await assert.rejects(amqpConnect(amq.ports.amqp, amq.server.caPem, { ...USER, password: 'Wrong-Password-123' }));

    const wssStomp = await stompWssConnect(amq.ports.wss, amq.server.caPem, USER);
    await wssStomp.deactivate();
    await assert.rejects(stompWssConnect(amq.ports.wss, amq.server.caPem, { ...USER, password: 'Wrong-Password-123' }));
    const { client: wssMqtt } = await mqttConnect(`wss://127.0.0.1:${amq.ports.wss}/`, amq.server.caPem, USER, { clientId: 'svc-wss' });
    await wssMqtt.endAsync();
  });

  it('delivers on each protocol: STOMP queue, MQTT QoS 1, AMQP 1.0 durable, STOMP and MQTT over wss', async () => {
    const stomp = await stompConnect(amq.ports.stomp, amq.server.caPem, USER);
    const sub = stompSubscribe(stomp, { destination: '/queue/svc.stomp', id: '1' });
    await stompSend(stomp, { destination: '/queue/svc.stomp', receipt: 'r' }, 'over stomp+ssl');
    assert.equal((await sub.inbox.next()).body, 'over stomp+ssl');
    await stompDisconnect(stomp);

    const { client, inbox } = await mqttConnect(`mqtts://127.0.0.1:${amq.ports.mqtt}`, amq.server.caPem, USER, { protocolVersion: 5, clientId: 'svc-deliver' });
    await client.subscribeAsync('svc/mqtt', { qos: 1 });
    await client.publishAsync('svc/mqtt', 'over mqtt+ssl', { qos: 1 });
    const got = await inbox.next();
    assert.equal(got.topic, 'svc/mqtt');
    assert.equal(got.payload.toString(), 'over mqtt+ssl');
    await client.endAsync();

    const amqp = await amqpConnect(amq.ports.amqp, amq.server.caPem, USER);
    const amqpInbox = await amqp.receive('queue://svc.amqp');
    await amqp.send('queue://svc.amqp', { body: 'over amqp+ssl' });
    assert.equal(amqpBodyText((await amqpInbox.next()).body), 'over amqp+ssl');
    await amqp.close();

    const wssStomp = await stompWssConnect(amq.ports.wss, amq.server.caPem, USER);
    const wssInbox = stompWssSubscribe(wssStomp, '/queue/svc.wss');
    await stompWssSend(wssStomp, '/queue/svc.wss', 'over wss (STOMP)');
    assert.equal((await wssInbox.next()).body, 'over wss (STOMP)');
    await wssStomp.deactivate();

    const wssMqtt = await mqttConnect(`wss://127.0.0.1:${amq.ports.wss}/`, amq.server.caPem, USER, { clientId: 'svc-wss-deliver' });
    await wssMqtt.client.subscribeAsync('svc/wss', { qos: 1 });
    await wssMqtt.client.publishAsync('svc/wss', Buffer.from([0, 1, 2, 255]), { qos: 1 });
    assert.deepEqual([...(await wssMqtt.inbox.next()).payload], [0, 1, 2, 255]);
    await wssMqtt.client.endAsync();
  });

  it('a durable subscription and persistent queue messages survive RebootBroker and a restart of the whole server', async () => {
    // The durable subscription exists before anything is published to it.
    const first = await stompConnect(amq.ports.stomp, amq.server.caPem, USER, { 'client-id': 'durable-client' });
    const created = stompSubscribe(first, { destination: '/topic/news', id: 'd', 'activemq.subscriptionName': 'news-sub' });
    await stompDisconnect(first);
    assert.equal(created.inbox.all.length, 0);

    await sendPersistent('before-reboot');
    await amq.rebootBroker();
    await receivePersistent('before-reboot');

    await sendPersistent('before-restart');
    const portsBefore = amq.ports;
    await amq.restartServer();
    assert.deepEqual(amq.ports.urls, portsBefore.urls, 'the listeners come back on the amq.ports they had');
    await receivePersistent('before-restart');
  });

  it('DeleteBroker closes the listeners and removes the broker', async () => {
    await amq.mq.send(new DeleteBrokerCommand({ BrokerId: amq.brokerId }));
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        await amq.mq.send(new DescribeBrokerCommand({ BrokerId: amq.brokerId }));
      } catch (error) {
        if ((error as Error).name === 'NotFoundException') break;
        throw error;
      }
      if (Date.now() > deadline) throw new Error('the broker was not deleted');
      await new Promise((r) => setTimeout(r, 100));
    }
    await rejectsWith(amq.mq.send(new DescribeBrokerCommand({ BrokerId: amq.brokerId })), 'NotFoundException');
    assert.ok(!existsSync(join(amq.server.dataDir, 'brokers', amq.brokerId)), 'the broker directory is removed');
    for (const port of [amq.ports.amqp, amq.ports.stomp, amq.ports.mqtt, amq.ports.wss]) {
      const refused = await within(
        new Promise<boolean>((resolve) => {
          const socket = netConnect(port, '127.0.0.1', () => {
            socket.destroy();
            resolve(false);
          });
          socket.once('error', () => resolve(true));
        }),
        `a connection attempt to ${port}`,
      );
      assert.ok(refused, `port ${port} no longer accepts connections`);
    }
    assert.equal((await endpointsFile()).brokers?.some((b) => b.brokerId === amq.brokerId), false);
  });
});
