// MQTT end to end over TLS with MQTT.js (3.1.1 and 5.0) against the in-process ACTIVEMQ broker
// (test/helpers/activemq-broker.ts): QoS 0/1/2 both ways, retained messages, wills, persistent and
// clean sessions, QoS 2 exactly once across a reconnect, wildcards, MQTT 5 properties, expiry and
// reason codes, session takeover, a bad login, and delivery from the engine's other clients. "Nothing
// else arrives" is checked by sending a marker behind and seeing it come next, never by waiting.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import { startActiveMqTestBroker, type ActiveMqTestBroker } from '../../helpers/activemq-broker.ts';
import { createMqttSession } from '../../../src/session/mqtt/index.ts';
import { PacketInbox, packetText as text } from './mqtt-clients.ts';

let server: ActiveMqTestBroker;
let adminPassword: string;

before(async () => {
  server = await startActiveMqTestBroker({
    groups: ['users'],
    engine: {
      authorization: [
        { kind: 'topic', pattern: 't.>', read: ['users'], write: ['users'], admin: ['users'] },
        { kind: 'topic', pattern: 'secret.>', read: ['admins'], write: ['admins'], admin: ['admins'] },
        { kind: 'topic', pattern: '>', read: ['admins'], write: ['admins'], admin: ['admins'] },
      ],
    },
    session: (socket, engine) => createMqttSession(socket, { engine, remoteAddress: socket.remoteAddress, closeTimeoutMs: 1000 }),
  });
  adminPassword = await server.addUser('mqtt-admin', ['admins', 'users']);
});
after(async () => {
  await server.close();
});

let seq = 0;
const unique = (prefix: string) => `${prefix}-${process.pid}-${++seq}`;
const VERSIONS = [4, 5] as const;
const label = (v: 4 | 5) => (v === 5 ? 'MQTT 5' : 'MQTT 3.1.1');

function options(version: 4 | 5, extra: IClientOptions = {}): IClientOptions {
  return {
    ca: server.caPem,
    protocolVersion: version,
    username: server.username,
    password: server.password,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
    ...extra,
  };
}

async function connect(version: 4 | 5, extra: IClientOptions = {}): Promise<MqttClient> {
  const client = await mqtt.connectAsync(`mqtts://127.0.0.1:${server.port}`, options(version, extra));
  client.on('error', () => undefined);
  return client;
}



for (const version of VERSIONS) {
  describe(`${label(version)} over TLS`, () => {
    it('moves QoS 0, 1 and 2 messages both ways, each at the lower of the two QoS', async () => {
      const topic = `t/${unique('qos')}`;
      const sub = await connect(version);
      const pub = await connect(version);
      try {
        const inbox = new PacketInbox(sub);
        const granted = await sub.subscribeAsync(topic, { qos: 2 });
        assert.equal(granted[0]?.qos, 2);
        for (const qos of [0, 1, 2] as const) await pub.publishAsync(topic, `m${qos}`, { qos });
        for (const qos of [0, 1, 2] as const) {
          const p = await inbox.next();
          assert.equal(text(p), `m${qos}`);
          assert.equal(p.qos, qos);
          assert.equal(p.retain, false);
          assert.equal(p.topic, topic);
        }
        // A QoS 1 subscription gets QoS 2 messages at QoS 1.
        const low = `t/${unique('low')}`;
        await sub.subscribeAsync(low, { qos: 1 });
        await pub.publishAsync(low, 'high', { qos: 2 });
        const p = await inbox.next();
        assert.equal(p.qos, 1);
        assert.equal(text(p), 'high');
      } finally {
        await Promise.all([sub.endAsync(), pub.endAsync()]);
      }
    });

    it('keeps, sends and clears a retained message', async () => {
      const topic = `t/${unique('retained')}`;
      const pub = await connect(version);
      try {
        await pub.publishAsync(topic, 'kept', { qos: 1, retain: true });
        const sub = await connect(version);
        try {
          const inbox = new PacketInbox(sub);
          await sub.subscribeAsync(topic, { qos: 1 });
          const p = await inbox.next();
          assert.equal(text(p), 'kept');
          assert.equal(p.retain, true, 'retained messages are sent with RETAIN set [MQTT-3.3.1-8]');
          // A live message to a subscriber has RETAIN clear even when it was published retained.
          await pub.publishAsync(topic, 'live', { qos: 1, retain: true });
          const live = await inbox.next();
          assert.equal(text(live), 'live');
          assert.equal(live.retain, false);
          // An empty retained payload clears the topic's retained message.
          await pub.publishAsync(topic, '', { qos: 1, retain: true });
          assert.equal(text(await inbox.next()), '');
        } finally {
          await sub.endAsync();
        }
        const late = await connect(version);
        try {
          const inbox = new PacketInbox(late);
          await late.subscribeAsync(topic, { qos: 1 });
          await pub.publishAsync(topic, 'marker', { qos: 1 });
          const p = await inbox.next();
          assert.equal(text(p), 'marker', 'no retained message is left after the clear');
          assert.equal(p.retain, false);
        } finally {
          await late.endAsync();
        }
      } finally {
        await pub.endAsync();
      }
    });

    it('publishes the will when the connection drops, and not after a DISCONNECT', async () => {
      const willTopic = `t/${unique('will')}`;
      const watcher = await connect(version);
      try {
        const inbox = new PacketInbox(watcher);
        await watcher.subscribeAsync(willTopic, { qos: 1 });
        const polite = await connect(version, { will: { topic: willTopic, payload: Buffer.from('polite gone'), qos: 1, retain: false } });
        await polite.endAsync(); // DISCONNECT: the will is discarded [MQTT-3.1.2-10]
        const rude = await connect(version, { will: { topic: willTopic, payload: Buffer.from('rude gone'), qos: 1, retain: false } });
        rude.stream.destroy(); // no DISCONNECT: the will is published [MQTT-3.1.2-8]
        const p = await inbox.next();
        assert.equal(text(p), 'rude gone');
        rude.end(true);
      } finally {
        await watcher.endAsync();
      }
    });

    it('queues QoS 1 messages for a persistent session while its client is away', async () => {
      const topic = `t/${unique('offline')}`;
      const clientId = unique('persistent');
      const session = version === 5 ? { clean: false, properties: { sessionExpiryInterval: 600 } } : { clean: false };
      const first = await connect(version, { clientId, ...session });
      await first.subscribeAsync(topic, { qos: 1 });
      await first.endAsync();
      const pub = await connect(version);
      try {
        for (let i = 0; i < 3; i++) await pub.publishAsync(topic, `away ${i}`, { qos: 1 });
      } finally {
        await pub.endAsync();
      }
      const back = mqtt.connect(`mqtts://127.0.0.1:${server.port}`, options(version, { clientId, ...session }));
      back.on('error', () => undefined);
      const inbox = new PacketInbox(back); // before CONNACK: queued messages follow it at once
      const connack = await new Promise<{ sessionPresent: boolean }>((resolve) => back.once('connect', resolve));
      try {
        assert.equal(connack.sessionPresent, true, '[MQTT-3.2.2-2]');
        for (let i = 0; i < 3; i++) {
          const p: IPublishPacket = await inbox.next();
          assert.equal(text(p), `away ${i}`);
          assert.equal(p.qos, 1);
        }
      } finally {
        await back.endAsync();
      }
      // A clean session discards it, with what its durable subscription collected meanwhile.
      const pub2 = await connect(version);
      await pub2.publishAsync(topic, 'discarded', { qos: 1 });
      const clean = mqtt.connect(`mqtts://127.0.0.1:${server.port}`, options(version, { clientId, clean: true }));
      clean.on('error', () => undefined);
      const cleanAck = await new Promise<{ sessionPresent: boolean }>((resolve) => clean.once('connect', resolve));
      assert.equal(cleanAck.sessionPresent, false);
      await clean.endAsync();
      const fresh = mqtt.connect(`mqtts://127.0.0.1:${server.port}`, options(version, { clientId, ...session }));
      fresh.on('error', () => undefined);
      const freshInbox = new PacketInbox(fresh);
      const freshAck = await new Promise<{ sessionPresent: boolean }>((resolve) => fresh.once('connect', resolve));
      try {
        assert.equal(freshAck.sessionPresent, false, 'the clean session ended the stored one');
        await fresh.subscribeAsync(topic, { qos: 1 });
        await pub2.publishAsync(topic, 'marker', { qos: 1 });
        assert.equal(text(await freshInbox.next()), 'marker', 'nothing of the discarded session is delivered');
      } finally {
        await fresh.endAsync();
        await pub2.endAsync();
        const cleanup = await connect(version, { clientId, clean: true });
        await cleanup.endAsync();
      }
    });

    it('delivers a QoS 2 message exactly once when the publisher drops between PUBREC and PUBREL', async () => {
      const topic = `t/${unique('exactly-once')}`;
      const sub = await connect(version);
      const inbox = new PacketInbox(sub);
      await sub.subscribeAsync(topic, { qos: 2 });
      const clientId = unique('qos2-publisher');
      const session = version === 5 ? { clean: false, properties: { sessionExpiryInterval: 600 } } : { clean: false };
      const pub = await connect(version, { clientId, ...session, reconnectPeriod: 50 });
      let dropped = 0;
      pub.on('packetreceive', (packet) => {
        // The broker has the message (PUBREC); the PUBREL never leaves: the network goes away.
        if (packet.cmd === 'pubrec' && dropped++ === 0) pub.stream.destroy();
      });
      let reconnected = 0;
      pub.on('connect', () => reconnected++);
      try {
        await pub.publishAsync(topic, 'once', { qos: 2 });
        assert.equal(dropped >= 1, true);
        assert.ok(reconnected >= 1, 'the publisher reconnected to finish the flow');
        await pub.publishAsync(topic, 'marker', { qos: 2 });
        assert.equal(text(await inbox.next()), 'once');
        assert.equal(text(await inbox.next()), 'marker', 'the subscriber got exactly one copy');
      } finally {
        await Promise.all([pub.endAsync(), sub.endAsync()]);
      }
    });

    it('resends an unacknowledged QoS 2 PUBLISH (DUP, same id) and an unanswered PUBREL to a resumed session [MQTT-4.4.0-1]', async () => {
      const topic = `t/${unique('outbound-qos2')}`;
      const clientId = unique('qos2-subscriber');
      const session = version === 5 ? { clean: false, properties: { sessionExpiryInterval: 600 } } : { clean: false };
      const sub = await connect(version, { clientId, ...session, reconnectPeriod: 50 });
      const inbox = new PacketInbox(sub);
      await sub.subscribeAsync(topic, { qos: 2 });
      const publishes: Array<{ payload: string; id: number | undefined; dup: boolean }> = [];
      /** What arrived, in order: `publish <payload> <id>` and `pubrel <id>`. */
      const events: string[] = [];
      let pubrels = 0;
      sub.on('packetreceive', (packet) => {
        if (packet.cmd === 'publish') {
          publishes.push({ payload: text(packet), id: packet.messageId, dup: packet.dup });
          events.push(`publish ${text(packet)} ${packet.messageId}`);
          // The first copy of 'a' is lost with the connection before the client answers PUBREC.
          if (text(packet) === 'a' && publishes.length === 1) sub.stream.destroy();
        }
        if (packet.cmd === 'pubrel') {
          events.push(`pubrel ${packet.messageId}`);
          // The first PUBREL for 'b' is cut off with the connection before the PUBCOMP goes out.
          if (++pubrels === 2) sub.stream.destroy();
        }
      });
      const pub = await connect(version);
      try {
        await pub.publishAsync(topic, 'a', { qos: 2 });
        assert.equal(text(await inbox.next()), 'a');
        await pub.publishAsync(topic, 'b', { qos: 2 });
        assert.equal(text(await inbox.next()), 'b');
        await pub.publishAsync(topic, 'marker', { qos: 2 });
        assert.equal(text(await inbox.next()), 'marker', 'each message arrived exactly once');
        const a = publishes.filter((p) => p.payload === 'a');
        assert.equal(a.length, 2);
        assert.equal(a[1]!.dup, true, 'the resent PUBLISH has DUP set');
        assert.equal(a[1]!.id, a[0]!.id, 'the resent PUBLISH keeps its packet identifier');
        const bId = publishes.find((p) => p.payload === 'b')!.id;
        const afterB = events.slice(events.indexOf(`publish b ${bId}`));
        const untilMarker = afterB.slice(0, afterB.findIndex((e) => e.startsWith('publish marker')));
        assert.deepEqual(untilMarker.filter((e) => e === `pubrel ${bId}`).length, 2, 'the PUBREL is sent again after the reconnect');
      } finally {
        await Promise.all([pub.endAsync(), sub.endAsync()]);
      }
    });

    it('matches + and # wildcards', async () => {
      const root = unique('w');
      const sub = await connect(version);
      const pub = await connect(version);
      try {
        const inbox = new PacketInbox(sub);
        await sub.subscribeAsync(`t/${root}/+/temp`, { qos: 1 });
        await sub.subscribeAsync(`t/${root}/all/#`, { qos: 1 });
        await pub.publishAsync(`t/${root}/kitchen/temp`, 'plus', { qos: 1 });
        await pub.publishAsync(`t/${root}/kitchen/humidity`, 'no', { qos: 1 });
        await pub.publishAsync(`t/${root}/all/a/b/c`, 'hash deep', { qos: 1 });
        await pub.publishAsync(`t/${root}/all`, 'hash parent', { qos: 1 }); // `a/#` matches `a` (§4.7.1.2)
        const got = [text(await inbox.next()), text(await inbox.next()), text(await inbox.next())];
        assert.deepEqual(got, ['plus', 'hash deep', 'hash parent']);
        const p = await (async () => {
          await pub.publishAsync(`t/${root}/x/temp`, 'marker', { qos: 1 });
          return inbox.next();
        })();
        assert.equal(text(p), 'marker');
        assert.equal(p.topic, `t/${root}/x/temp`);
      } finally {
        await Promise.all([sub.endAsync(), pub.endAsync()]);
      }
    });

    it('does not match $ topics with a filter starting with a wildcard [MQTT-4.7.2-1]', async () => {
      const root = unique('dollar');
      const admin = await connect(version, { username: 'mqtt-admin', password: adminPassword });
      try {
        const inbox = new PacketInbox(admin);
        await admin.subscribeAsync(`+/${root}`, { qos: 1 });
        await admin.publishAsync(`$sys/${root}`, 'hidden', { qos: 1 });
        await admin.publishAsync(`t/${root}`, 'visible', { qos: 1 });
        const p = await inbox.next();
        assert.equal(text(p), 'visible');
        assert.equal(p.topic, `t/${root}`);
      } finally {
        await admin.endAsync();
      }
    });

    it('refuses a subscription the user may not read, with the version\'s failure code, and keeps the others', async () => {
      const client = await connect(version);
      try {
        const subacks: number[][] = [];
        client.on('packetreceive', (packet) => {
          if (packet.cmd === 'suback') subacks.push([...(packet.granted as number[])]);
        });
        const allowed = `t/${unique('allowed')}`;
        await assert.rejects(client.subscribeAsync({ [`secret/${unique('s')}`]: { qos: 1 }, [allowed]: { qos: 2 } }));
        assert.deepEqual(subacks, [[version === 5 ? 0x87 : 0x80, 2]]);
        const inbox = new PacketInbox(client);
        await client.publishAsync(allowed, 'granted one works', { qos: 1 });
        assert.equal(text(await inbox.next()), 'granted one works');
      } finally {
        await client.endAsync();
      }
    });

    it('refuses a bad login', async () => {
      await assert.rejects(
        mqtt.connectAsync(`mqtts://127.0.0.1:${server.port}`, options(version, { password: 'wrong' })),
        (err: Error & { code?: number }) => {
          assert.equal(err.code, version === 5 ? 0x86 : 5);
          return true;
        },
      );
    });

    it('takes over a session whose client id connects again [MQTT-3.1.4-2]', async () => {
      const clientId = unique('takeover');
      const first = await connect(version, { clientId });
      const closed = new Promise<void>((resolve) => first.once('close', () => resolve()));
      const disconnect = new Promise<number | undefined>((resolve) => first.once('disconnect', (p) => resolve(p.reasonCode)));
      const second = await connect(version, { clientId });
      try {
        await closed;
        if (version === 5) assert.equal(await disconnect, 0x8e);
        const topic = `t/${unique('after-takeover')}`;
        const inbox = new PacketInbox(second);
        await second.subscribeAsync(topic, { qos: 1 });
        await second.publishAsync(topic, 'still here', { qos: 1 });
        assert.equal(text(await inbox.next()), 'still here');
      } finally {
        first.end(true);
        await second.endAsync();
      }
    });

    it('receives what the engine\'s other clients send to the topic', async () => {
      const sub = await connect(version);
      const name = unique('cross');
      const other = await server.engine.connect({ username: server.username, password: server.password });
      try {
        const inbox = new PacketInbox(sub);
        await sub.subscribeAsync(`t/${name}/+`, { qos: 1 });
        await other.send({ kind: 'topic', name: `t.${name}.jms` }, { body: Buffer.from('from JMS'), bodyType: 'text', persistent: true, properties: { colour: 'blue' } });
        const p = await inbox.next();
        assert.equal(p.topic, `t/${name}/jms`);
        assert.equal(text(p), 'from JMS');
        assert.equal(p.qos, 1);
        if (version === 5) {
          assert.deepEqual({ ...p.properties?.userProperties }, { colour: 'blue' });
          assert.equal(p.properties?.payloadFormatIndicator, true);
        }
      } finally {
        await other.close();
        await sub.endAsync();
      }
    });
  });
}

describe('MQTT 3.1 (MQIsdp)', () => {
  it('serves an MQTT 3.1 client as ActiveMQ does', async () => {
    const topic = `t/${unique('v31')}`;
    const client = await mqtt.connectAsync(`mqtts://127.0.0.1:${server.port}`, {
      ...options(4),
      protocolId: 'MQIsdp',
      protocolVersion: 3,
      clientId: `v31-${process.pid}`,
    });
    client.on('error', () => undefined);
    try {
      const inbox = new PacketInbox(client);
      await client.subscribeAsync(topic, { qos: 2 });
      await client.publishAsync(topic, 'old but gold', { qos: 2 });
      const p = await inbox.next();
      assert.equal(text(p), 'old but gold');
      assert.equal(p.qos, 2);
    } finally {
      await client.endAsync();
    }
  });
});

describe('MQTT 5 specifics', () => {
  it('carries user properties, content type, correlation data and response topic', async () => {
    const topic = `t/${unique('props')}`;
    const sub = await connect(5);
    const pub = await connect(5);
    try {
      const inbox = new PacketInbox(sub);
      await sub.subscribeAsync(topic, { qos: 1 });
      await pub.publishAsync(topic, '{"a":1}', {
        qos: 1,
        properties: {
          userProperties: { region: 'eu', tier: 'gold' },
          contentType: 'application/json',
          correlationData: Buffer.from('req-42'),
          responseTopic: 't/replies',
          payloadFormatIndicator: true,
        },
      });
      const p = await inbox.next();
      assert.deepEqual({ ...p.properties?.userProperties }, { region: 'eu', tier: 'gold' });
      assert.equal(p.properties?.contentType, 'application/json');
      assert.equal(Buffer.from(p.properties?.correlationData ?? []).toString(), 'req-42');
      assert.equal(p.properties?.responseTopic, 't/replies');
      assert.equal(p.properties?.payloadFormatIndicator, true);
    } finally {
      await Promise.all([sub.endAsync(), pub.endAsync()]);
    }
  });

  it('passes on what is left of a message expiry interval, and drops an expired message', async () => {
    const topic = `t/${unique('expiry')}`;
    const clientId = unique('expiry-sub');
    const session = { clean: false, properties: { sessionExpiryInterval: 600 } };
    const sub = await connect(5, { clientId, ...session });
    const pub = await connect(5);
    try {
      const inbox = new PacketInbox(sub);
      await sub.subscribeAsync(topic, { qos: 1 });
      await pub.publishAsync(topic, 'fresh', { qos: 1, properties: { messageExpiryInterval: 120 } });
      const p = await inbox.next();
      assert.equal(text(p), 'fresh');
      const left = p.properties?.messageExpiryInterval ?? 0;
      assert.ok(left >= 1 && left <= 120, `expiry interval ${left}`);
      await sub.endAsync();
      await pub.publishAsync(topic, 'stale', { qos: 1, properties: { messageExpiryInterval: 1 } });
      await pub.publishAsync(topic, 'kept', { qos: 1 });
      await new Promise((resolve) => setTimeout(resolve, 1200)); // let 'stale' expire while nobody reads
      const back = mqtt.connect(`mqtts://127.0.0.1:${server.port}`, options(5, { clientId, ...session }));
      back.on('error', () => undefined);
      const backInbox = new PacketInbox(back);
      try {
        assert.equal(text(await backInbox.next()), 'kept', 'the expired message is not delivered');
      } finally {
        await back.endAsync();
      }
    } finally {
      await pub.endAsync();
      const cleanup = await connect(5, { clientId, clean: true });
      await cleanup.endAsync();
    }
  });

  it('ends a session when its expiry interval has passed, with its durable subscription', async () => {
    const topic = `t/${unique('session-expiry')}`;
    const clientId = unique('expiring');
    const first = await connect(5, { clientId, clean: false, properties: { sessionExpiryInterval: 1 } });
    await first.subscribeAsync(topic, { qos: 1 });
    await first.endAsync();
    const pub = await connect(5);
    try {
      await pub.publishAsync(topic, 'for an expired session', { qos: 1 });
      await new Promise((resolve) => setTimeout(resolve, 1500)); // past the 1 s session expiry
      const back = mqtt.connect(`mqtts://127.0.0.1:${server.port}`, options(5, { clientId, clean: false, properties: { sessionExpiryInterval: 60 } }));
      back.on('error', () => undefined);
      const inbox = new PacketInbox(back);
      const connack = await new Promise<{ sessionPresent: boolean }>((resolve) => back.once('connect', resolve));
      try {
        assert.equal(connack.sessionPresent, false, 'the session expired [MQTT-4.1.0-2]');
        await back.subscribeAsync(topic, { qos: 1 });
        await pub.publishAsync(topic, 'marker', { qos: 1 });
        assert.equal(text(await inbox.next()), 'marker', 'the expired durable subscription kept nothing');
      } finally {
        await back.endAsync();
        const cleanup = await connect(5, { clientId, clean: true });
        await cleanup.endAsync();
      }
    } finally {
      await pub.endAsync();
    }
  });

  it('answers a refused PUBLISH with PUBACK 0x87 and keeps the connection', async () => {
    const client = await connect(5);
    try {
      const acks: number[] = [];
      client.on('packetreceive', (packet) => {
        if (packet.cmd === 'puback') acks.push(packet.reasonCode ?? 0);
      });
      await assert.rejects(client.publishAsync(`secret/${unique('p')}`, 'no', { qos: 1 }));
      assert.deepEqual(acks, [0x87]);
      const topic = `t/${unique('still-ok')}`;
      const inbox = new PacketInbox(client);
      await client.subscribeAsync(topic, { qos: 1 });
      await client.publishAsync(topic, 'ok', { qos: 1 });
      assert.equal(text(await inbox.next()), 'ok');
    } finally {
      await client.endAsync();
    }
  });

  it('assigns a client identifier and announces the limits in CONNACK', async () => {
    const client = mqtt.connect(`mqtts://127.0.0.1:${server.port}`, options(5, { clientId: '' }));
    client.on('error', () => undefined);
    try {
      const connack = await new Promise<{ properties?: Record<string, unknown> }>((resolve) => client.once('connect', resolve));
      assert.match(String(connack.properties?.assignedClientIdentifier), /^sealmq-/);
      assert.equal(connack.properties?.maximumPacketSize, 1024 * 1024);
      assert.equal(connack.properties?.receiveMaximum, 1000);
      assert.equal(connack.properties?.topicAliasMaximum, 10);
      assert.equal(connack.properties?.sharedSubscriptionAvailable, false);
    } finally {
      await client.endAsync();
    }
  });

  it('resolves an inbound topic alias', async () => {
    const topic = `t/${unique('alias')}`;
    const sub = await connect(5);
    const pub = await connect(5, { autoUseTopicAlias: true });
    try {
      const inbox = new PacketInbox(sub);
      await sub.subscribeAsync(topic, { qos: 1 });
      await pub.publishAsync(topic, 'first', { qos: 1, properties: { topicAlias: 1 } });
      await pub.publishAsync('', 'second', { qos: 1, properties: { topicAlias: 1 } });
      assert.equal(text(await inbox.next()), 'first');
      const p = await inbox.next();
      assert.equal(text(p), 'second');
      assert.equal(p.topic, topic);
    } finally {
      await Promise.all([sub.endAsync(), pub.endAsync()]);
    }
  });

  it('publishes a delayed will after its delay, and not when the session resumes first', async () => {
    const willTopic = `t/${unique('delayed-will')}`;
    const watcher = await connect(5);
    try {
      const inbox = new PacketInbox(watcher);
      await watcher.subscribeAsync(willTopic, { qos: 1 });
      const clientId = unique('delayed');
      const will = { topic: willTopic, payload: Buffer.from('resumed in time'), qos: 1 as const, retain: false, properties: { willDelayInterval: 30 } };
      const session = { clean: false, properties: { sessionExpiryInterval: 60 } };
      const first = await connect(5, { clientId, ...session, will });
      first.stream.destroy();
      first.end(true);
      const again = await connect(5, { clientId, ...session }); // resumes before the delay: no will
      await again.endAsync();
      const second = await connect(5, { clientId: unique('delayed-short'), will: { ...will, payload: Buffer.from('late will'), properties: { willDelayInterval: 1 } }, properties: { sessionExpiryInterval: 60 } });
      second.stream.destroy();
      second.end(true);
      assert.equal(text(await inbox.next()), 'late will');
    } finally {
      await watcher.endAsync();
    }
  });
});
