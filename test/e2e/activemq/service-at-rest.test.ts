// "No plaintext" for an ACTIVEMQ broker (DESIGN.md section 4): markers sent over every protocol —
// in bodies, application properties, queue and topic names, client ids and durable subscription
// names — appear in no file under the data directory (raw, base64 or hex), nor in the server's log
// at debug level, while the messages are provably stored: after a restart each is delivered.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { filesContaining, filesUnder } from '../../helpers/checks.ts';
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
} from './service-clients.ts';

const USER = { username: 'rest-user', password: 'At-Rest-Broker-Pass-5' };
/** A marker that is a valid destination name segment and MQTT topic level. */
const marker = (what: string) => `${what}${randomBytes(10).toString('hex')}`;

const M = {
  stompQueue: marker('sq'),
  stompBody: marker('sb'),
  stompProperty: marker('sp'),
  durableClient: marker('dc'),
  durableName: marker('dn'),
  durableTopic: marker('dt'),
  durableBody: marker('db'),
  mqttClient: marker('mc'),
  mqttTopic: marker('mt'),
  mqttBody: marker('mb'),
  mqttProperty: marker('mp'),
  retainedTopic: marker('rt'),
  retainedBody: marker('rb'),
  amqpQueue: marker('aq'),
  amqpBody: marker('ab'),
  amqpProperty: marker('ap'),
  wssQueue: marker('wq'),
  wssBody: marker('wb'),
};

let amq: ActiveMqService;

before(async () => {
  amq = await ActiveMqService.start('activemq-at-rest', USER, { server: { env: { SEALMQ_LOG_LEVEL: 'debug' } } });
});
after(() => amq?.stop());

describe('ACTIVEMQ broker at rest', () => {
  it('stores what every protocol sends with no plaintext under the data directory or in the log, and delivers it after a restart', async () => {
    // STOMP: a persistent queue message, and a durable topic subscription with a message waiting.
    const stomp = await stompConnect(amq.ports.stomp, amq.server.caPem, USER, { 'client-id': M.durableClient });
    const durable = stompSubscribe(stomp, { destination: `/topic/${M.durableTopic}`, id: 'd', 'activemq.subscriptionName': M.durableName });
    await stompDisconnect(stomp);
    assert.equal(durable.inbox.all.length, 0);
    const sender = await stompConnect(amq.ports.stomp, amq.server.caPem, USER);
    await stompSend(sender, { destination: `/queue/${M.stompQueue}`, persistent: 'true', marker: M.stompProperty, receipt: '1' }, M.stompBody);
    await stompSend(sender, { destination: `/topic/${M.durableTopic}`, persistent: 'true', receipt: '2' }, M.durableBody);
    await stompDisconnect(sender);

    // MQTT 5: a persistent session holding a QoS 1 message, and a retained message.
    const subscriber = await mqttConnect(`mqtts://127.0.0.1:${amq.ports.mqtt}`, amq.server.caPem, USER, { protocolVersion: 5, clientId: M.mqttClient, clean: false, properties: { sessionExpiryInterval: 3600 } });
    await subscriber.client.subscribeAsync(`at-rest/${M.mqttTopic}`, { qos: 1 });
    await subscriber.client.endAsync();
    const publisher = await mqttConnect(`mqtts://127.0.0.1:${amq.ports.mqtt}`, amq.server.caPem, USER, { protocolVersion: 5, clientId: 'at-rest-publisher' });
    await publisher.client.publishAsync(`at-rest/${M.mqttTopic}`, M.mqttBody, { qos: 1, properties: { userProperties: { marker: M.mqttProperty } } });
    await publisher.client.publishAsync(`at-rest/${M.retainedTopic}`, M.retainedBody, { qos: 1, retain: true });
    await publisher.client.endAsync();

    // AMQP 1.0: a durable message to a queue.
    const amqp = await amqpConnect(amq.ports.amqp, amq.server.caPem, USER);
    await amqp.send(`queue://${M.amqpQueue}`, { body: M.amqpBody, application_properties: { marker: M.amqpProperty } });
    await amqp.close();

    // STOMP over wss: a persistent queue message.
    const wss = await stompWssConnect(amq.ports.wss, amq.server.caPem, USER);
    await stompWssSend(wss, `/queue/${M.wssQueue}`, M.wssBody, { persistent: 'true' });
    await wss.deactivate();

    await amq.server.stop();
    const files = await filesUnder(amq.server.dataDir);
    assert.ok(files.some((f) => f.includes('/brokers/')), 'the broker has files to scan');
    assert.ok((await filesContaining(amq.server.dataDir, Buffer.from(amq.brokerId))).length > 0, 'the scan finds what is there (the broker id names its directory file)');
    const log = amq.server.output();
    for (const [what, value] of Object.entries(M)) {
      assert.deepEqual(await filesContaining(amq.server.dataDir, Buffer.from(value)), [], `${what} is in plaintext on disk`);
      assert.ok(!log.includes(value), `${what} is in the log`);
    }

    await amq.restartServer();
    const back = await stompConnect(amq.ports.stomp, amq.server.caPem, USER, { 'client-id': M.durableClient });
    const queue = stompSubscribe(back, { destination: `/queue/${M.stompQueue}`, id: 'q' });
    const again = stompSubscribe(back, { destination: `/topic/${M.durableTopic}`, id: 'd', 'activemq.subscriptionName': M.durableName });
    const wssQueue = stompSubscribe(back, { destination: `/queue/${M.wssQueue}`, id: 'w' });
    const stored = await queue.inbox.next('the STOMP queue message after the restart');
    assert.equal(stored.body, M.stompBody);
    assert.equal(stored.headers.marker, M.stompProperty);
    assert.equal((await again.inbox.next('the durable subscription message after the restart')).body, M.durableBody);
    assert.equal((await wssQueue.inbox.next('the wss queue message after the restart')).body, M.wssBody);
    await stompDisconnect(back);

    const resumed = await mqttConnect(`mqtts://127.0.0.1:${amq.ports.mqtt}`, amq.server.caPem, USER, { protocolVersion: 5, clientId: M.mqttClient, clean: false, properties: { sessionExpiryInterval: 3600 } });
    // The persistent session comes back from its durable subscription, as ActiveMQ restores it: no
    // new SUBSCRIBE, and what it collected is delivered.
    assert.equal(resumed.connack.sessionPresent, true);
    const queued = await resumed.inbox.next('the MQTT persistent-session message after the restart');
    assert.equal(queued.payload.toString(), M.mqttBody);
    assert.equal(queued.userProperties?.marker, M.mqttProperty);
    await resumed.client.subscribeAsync(`at-rest/${M.retainedTopic}`, { qos: 1 });
    const retained = await resumed.inbox.next('the retained message after the restart');
    assert.equal(retained.payload.toString(), M.retainedBody);
    assert.equal(retained.retain, true);
    await resumed.client.endAsync();

    const amqpBack = await amqpConnect(amq.ports.amqp, amq.server.caPem, USER);
    const amqpInbox = await amqpBack.receive(`queue://${M.amqpQueue}`);
    const amqpStored = await amqpInbox.next('the AMQP 1.0 message after the restart');
    assert.equal(amqpBodyText(amqpStored.body), M.amqpBody);
    assert.equal(amqpStored.message.application_properties?.marker, M.amqpProperty);
    await amqpBack.close();
  });
});
