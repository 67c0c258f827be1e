// Cross-protocol delivery on one ACTIVEMQ broker run by `sealmq serve`, in every direction between
// STOMP (stompit), MQTT 5 (MQTT.js) and AMQP 1.0 (rhea), and over wss (STOMP with stompjs, MQTT
// with MQTT.js): the body and the application properties (STOMP user headers, MQTT 5 user
// properties, AMQP application-properties) arrive intact, with ActiveMQ's destination mapping (MQTT
// `a/b` is topic `a.b`, `+` and `#` are `*` and `>`).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { MqttClient } from 'mqtt';
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
  type AmqpClient,
  type Inbox,
  type MqttReceived,
  type StompitClient,
} from './service-clients.ts';

const USER = { username: 'xp-user', password: 'Cross-Protocol-Pass-9' };

let amq: ActiveMqService;
let stomp: StompitClient;
let mqtt: { client: MqttClient; inbox: Inbox<MqttReceived> };
let amqp: AmqpClient;

before(async () => {
  amq = await ActiveMqService.start('activemq-cross-protocol', USER);
  stomp = await stompConnect(amq.ports.stomp, amq.server.caPem, USER);
  mqtt = await mqttConnect(`mqtts://127.0.0.1:${amq.ports.mqtt}`, amq.server.caPem, USER, { protocolVersion: 5, clientId: 'xp-mqtt' });
  amqp = await amqpConnect(amq.ports.amqp, amq.server.caPem, USER);
});
after(async () => {
  await stompDisconnect(stomp).catch(() => undefined);
  await mqtt?.client.endAsync().catch(() => undefined);
  await amqp?.close().catch(() => undefined);
  await amq?.stop();
});

/** The next MQTT message on `topic` (the shared client also gets other tests' topics). */
async function nextOn(inbox: Inbox<MqttReceived>, topic: string): Promise<MqttReceived> {
  for (;;) {
    const message = await inbox.next(`an MQTT message on ${topic}`);
    if (message.topic === topic) return message;
  }
}

describe('cross-protocol delivery on an ACTIVEMQ broker', () => {
  it('STOMP -> MQTT: /topic/xp.s2m reaches the MQTT subscriber of xp/s2m with its headers as user properties', async () => {
    await mqtt.client.subscribeAsync('xp/s2m', { qos: 1 });
    await stompSend(stomp, { destination: '/topic/xp.s2m', color: 'blue', 'content-type': 'text/plain', receipt: 's2m' }, 'from stomp to mqtt');
    const got = await nextOn(mqtt.inbox, 'xp/s2m');
    assert.equal(got.payload.toString('utf8'), 'from stomp to mqtt');
    assert.equal(got.userProperties?.color, 'blue');
    assert.equal(got.contentType, 'text/plain');
  });

  it('STOMP -> AMQP 1.0: /queue/xp.s2a reaches the queue://xp.s2a receiver with its headers as application properties', async () => {
    const inbox = await amqp.receive('queue://xp.s2a');
    await stompSend(stomp, { destination: '/queue/xp.s2a', color: 'blue', 'correlation-id': 'corr-s2a', persistent: 'true', receipt: 's2a' }, 'from stomp to amqp');
    const got = await inbox.next();
    assert.equal(amqpBodyText(got.body), 'from stomp to amqp');
    assert.equal(got.message.application_properties?.color, 'blue');
    assert.equal(got.message.correlation_id, 'corr-s2a');
    assert.equal(got.message.durable, true);
  });

  it('MQTT -> STOMP: xp/m2s reaches the /topic/xp.m2s subscriber with its user properties as headers', async () => {
    const sub = stompSubscribe(stomp, { destination: '/topic/xp.m2s', id: 'm2s' });
    await new Promise((r) => setTimeout(r, 200)); // SUBSCRIBE has no receipt in stompit's subscribe: let it land
    await mqtt.client.publishAsync('xp/m2s', 'from mqtt to stomp', { qos: 1, properties: { userProperties: { color: 'green' }, contentType: 'text/plain' } });
    const got = await sub.inbox.next();
    assert.equal(got.body, 'from mqtt to stomp');
    assert.equal(got.headers.color, 'green');
    assert.equal(got.headers.destination, '/topic/xp.m2s');
    assert.equal(got.headers['content-type']?.split(';')[0], 'text/plain');
    sub.unsubscribe();
  });

  it('MQTT -> AMQP 1.0: xp/m2a reaches the topic://xp.m2a receiver, bytes and user properties intact', async () => {
    const inbox = await amqp.receive('topic://xp.m2a');
    const payload = Buffer.from([0x00, 0x01, 0xfe, 0xff, 0x41]);
    await mqtt.client.publishAsync('xp/m2a', payload, { qos: 1, properties: { userProperties: { color: 'green' } } });
    const got = await inbox.next();
    const body = got.body as { content?: Buffer } | Buffer;
    const bytes = Buffer.isBuffer(body) ? body : body.content;
    assert.deepEqual(bytes !== undefined ? [...bytes] : undefined, [...payload]);
    assert.equal(got.message.application_properties?.color, 'green');
  });

  it('AMQP 1.0 -> STOMP: queue://xp.a2s reaches the /queue/xp.a2s subscriber with its application properties as headers', async () => {
    const sub = stompSubscribe(stomp, { destination: '/queue/xp.a2s', id: 'a2s' });
    await amqp.send('queue://xp.a2s', { body: 'from amqp to stomp', application_properties: { color: 'red' }, correlation_id: 'corr-a2s' });
    const got = await sub.inbox.next();
    assert.equal(got.body, 'from amqp to stomp');
    assert.equal(got.headers.color, 'red');
    assert.equal(got.headers['correlation-id'], 'corr-a2s');
    assert.equal(got.headers.persistent, 'true');
    sub.unsubscribe();
  });

  it('AMQP 1.0 -> MQTT: topic://xp.a2m reaches the MQTT subscriber of xp/a2m with its application properties as user properties', async () => {
    await mqtt.client.subscribeAsync('xp/a2m', { qos: 1 });
    await amqp.send('topic://xp.a2m', { body: 'from amqp to mqtt', application_properties: { color: 'red' } });
    const got = await nextOn(mqtt.inbox, 'xp/a2m');
    assert.equal(got.payload.toString('utf8'), 'from amqp to mqtt');
    assert.equal(got.userProperties?.color, 'red');
  });

  it('MQTT wildcards match STOMP and AMQP topics: xp/+/wild and xp/deep/# as xp.*.wild and xp.deep.>', async () => {
    await mqtt.client.subscribeAsync(['xp/+/wild', 'xp/deep/#'], { qos: 1 });
    await stompSend(stomp, { destination: '/topic/xp.any.wild', receipt: 'w1' }, 'one segment');
    assert.equal((await nextOn(mqtt.inbox, 'xp/any/wild')).payload.toString(), 'one segment');
    await amqp.send('topic://xp.deep.a.b', { body: 'many segments' });
    assert.equal((await nextOn(mqtt.inbox, 'xp/deep/a/b')).payload.toString(), 'many segments');
  });

  it('over wss: STOMP (stompjs) -> MQTT over wss, MQTT over wss -> STOMP over TLS, AMQP 1.0 -> STOMP over wss', async () => {
    const wssStomp = await stompWssConnect(amq.ports.wss, amq.server.caPem, USER);
    const wssMqtt = await mqttConnect(`wss://127.0.0.1:${amq.ports.wss}/`, amq.server.caPem, USER, { protocolVersion: 5, clientId: 'xp-wss-mqtt' });
    try {
      await wssMqtt.client.subscribeAsync('xp/wss/in', { qos: 1 });
      await stompWssSend(wssStomp, '/topic/xp.wss.in', 'stomp over wss to mqtt over wss', { color: 'violet' });
      const got = await nextOn(wssMqtt.inbox, 'xp/wss/in');
      assert.equal(got.payload.toString(), 'stomp over wss to mqtt over wss');
      assert.equal(got.userProperties?.color, 'violet');

      const sub = stompSubscribe(stomp, { destination: '/topic/xp.wss.out', id: 'wss-out' });
      await new Promise((r) => setTimeout(r, 200));
      await wssMqtt.client.publishAsync('xp/wss/out', 'mqtt over wss to stomp', { qos: 1, properties: { userProperties: { color: 'indigo' } } });
      const out = await sub.inbox.next();
      assert.equal(out.body, 'mqtt over wss to stomp');
      assert.equal(out.headers.color, 'indigo');
      sub.unsubscribe();

      const wssInbox = stompWssSubscribe(wssStomp, '/queue/xp.wss.queue');
      await amqp.send('queue://xp.wss.queue', { body: 'amqp to stomp over wss', application_properties: { color: 'orange' } });
      const queued = await wssInbox.next();
      assert.equal(queued.body, 'amqp to stomp over wss');
      assert.equal(queued.headers.color, 'orange');
    } finally {
      await wssStomp.deactivate();
      await wssMqtt.client.endAsync();
    }
  });
});
