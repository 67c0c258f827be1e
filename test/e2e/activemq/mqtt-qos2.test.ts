// QoS flows driven packet by packet on a raw TLS socket (MQTT.js decides itself what to resend and
// when to acknowledge, so these cases are scripted here): a QoS 2 PUBLISH resent with DUP after a
// reconnect, before any PUBREL, is acknowledged again and not forwarded again [MQTT-4.3.3-2],
// because the packet id received is part of the persistent session (an MQTT.js subscriber must see
// exactly one copy); and the server never has more QoS 1 deliveries unacknowledged than the
// client's MQTT 5 Receive Maximum, nor sends a packet above its Maximum Packet Size.

import assert from 'node:assert/strict';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import mqtt, { type MqttClient } from 'mqtt';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { startActiveMqTestBroker, type ActiveMqTestBroker } from '../../helpers/activemq-broker.ts';
import { createMqttSession } from '../../../src/session/mqtt/index.ts';

let server: ActiveMqTestBroker;

before(async () => {
  server = await startActiveMqTestBroker({
    session: (socket, engine) => createMqttSession(socket, { engine, remoteAddress: socket.remoteAddress, closeTimeoutMs: 1000 }),
  });
});
after(async () => {
  await server.close();
});

class RawClient {
  readonly packets: Packet[] = [];
  readonly closed: Promise<void>;
  #wake: (() => void) | undefined;

  private constructor(
    readonly socket: TLSSocket,
    readonly version: 4 | 5,
  ) {
    const parser = mqttPacket.parser({ protocolVersion: version });
    parser.on('packet', (p: Packet) => {
      this.packets.push(p);
      this.#wake?.();
    });
    parser.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => parser.parse(chunk));
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  static async connect(version: 4 | 5, clientId: string, properties: Record<string, number> = {}): Promise<{ client: RawClient; sessionPresent: boolean }> {
    const socket = tlsConnect({ host: '127.0.0.1', port: server.port, ca: server.caPem });
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', reject);
    });
    const client = new RawClient(socket, version);
    client.send({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: version,
      clientId,
      clean: false,
      keepalive: 0,
      username: server.username,
      password: Buffer.from(server.password),
      ...(version === 5 ? { properties: { sessionExpiryInterval: 300, ...properties } } : {}),
    });
    const connack = await client.next();
    assert.equal(connack.cmd, 'connack');
    return { client, sessionPresent: connack.cmd === 'connack' && connack.sessionPresent };
  }

  send(packet: Packet): void {
    this.socket.write(mqttPacket.generate(packet, { protocolVersion: this.version }));
  }

  async next(): Promise<Packet> {
    while (this.packets.length === 0) await new Promise<void>((resolve) => (this.#wake = resolve));
    return this.packets.shift()!;
  }
}

let seq = 0;

for (const version of [4, 5] as const) {
  describe(`MQTT ${version === 5 ? '5' : '3.1.1'} QoS 2 on a raw socket`, () => {
    it('does not forward a PUBLISH resent after a reconnect before its PUBREL [MQTT-4.3.3-2]', async () => {
      const topic = `raw/qos2/${process.pid}/${++seq}`;
      const clientId = `raw-qos2-${process.pid}-${seq}`;
      const sub: MqttClient = await mqtt.connectAsync(`mqtts://127.0.0.1:${server.port}`, {
        ca: server.caPem,
        protocolVersion: version,
        username: server.username,
        password: server.password,
        reconnectPeriod: 0,
      });
      sub.on('error', () => undefined);
      const received: string[] = [];
      let wake: (() => void) | undefined;
      sub.on('message', (_t, payload) => {
        received.push(payload.toString());
        wake?.();
      });
      const waitFor = async (n: number) => {
        while (received.length < n) await new Promise<void>((resolve) => (wake = resolve));
      };
      try {
        await sub.subscribeAsync(topic, { qos: 2 });
        const publish = { cmd: 'publish' as const, topic, payload: Buffer.from('exactly once'), qos: 2 as const, messageId: 42, dup: false, retain: false };

        const first = await RawClient.connect(version, clientId);
        first.client.send(publish);
        const pubrec = await first.client.next();
        assert.ok(pubrec.cmd === 'pubrec' && pubrec.messageId === 42);
        first.client.socket.destroy(); // gone before PUBREL: the client will resend the PUBLISH

        const second = await RawClient.connect(version, clientId);
        assert.equal(second.sessionPresent, true);
        second.client.send({ ...publish, dup: true });
        const again = await second.client.next();
        assert.ok(again.cmd === 'pubrec' && again.messageId === 42, 'the resent PUBLISH is acknowledged again');
        second.client.send({ cmd: 'pubrel', messageId: 42 });
        const pubcomp = await second.client.next();
        assert.ok(pubcomp.cmd === 'pubcomp' && pubcomp.messageId === 42);
        assert.equal((pubcomp as { reasonCode?: number }).reasonCode ?? 0, 0, 'the packet id was known');
        // The id is free again: a new message with it is a new message.
        second.client.send({ ...publish, payload: Buffer.from('marker'), messageId: 42 });
        assert.equal((await second.client.next()).cmd, 'pubrec');
        second.client.send({ cmd: 'pubrel', messageId: 42 });
        assert.equal((await second.client.next()).cmd, 'pubcomp');
        await waitFor(2);
        assert.deepEqual(received, ['exactly once', 'marker']);
        second.client.send({ cmd: 'disconnect' });
        await second.client.closed;
      } finally {
        await sub.endAsync();
      }
    });
  });
}

describe('MQTT 5 flow control toward the client', () => {
  it('keeps at most Receive Maximum QoS 1 deliveries unacknowledged, and skips packets above Maximum Packet Size', async () => {
    const topic = `raw/window/${process.pid}/${++seq}`;
    const { client } = await RawClient.connect(5, `raw-window-${process.pid}-${seq}`, { receiveMaximum: 2, maximumPacketSize: 512 });
    client.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: 1, nl: false, rap: false, rh: 0 }] });
    assert.equal((await client.next()).cmd, 'suback');
    const pub = await mqtt.connectAsync(`mqtts://127.0.0.1:${server.port}`, {
      ca: server.caPem,
      protocolVersion: 5,
      username: server.username,
      password: server.password,
      reconnectPeriod: 0,
    });
    pub.on('error', () => undefined);
    try {
      await pub.publishAsync(topic, Buffer.alloc(2000, 0x61), { qos: 1 }); // too large for this client
      for (let i = 0; i < 6; i++) await pub.publishAsync(topic, `m${i}`, { qos: 1 });
      const got: string[] = [];
      let unacked: number[] = [];
      while (got.length < 6) {
        const p = await client.next();
        assert.equal(p.cmd, 'publish');
        if (p.cmd !== 'publish') break;
        got.push(Buffer.from(p.payload as Buffer).toString());
        unacked.push(p.messageId!);
        assert.ok(unacked.length <= 2, `${unacked.length} deliveries unacknowledged with Receive Maximum 2`);
        if (unacked.length === 2) {
          // Nothing more comes until one is acknowledged: a PINGREQ is answered before any PUBLISH.
          client.send({ cmd: 'pingreq' });
          assert.equal((await client.next()).cmd, 'pingresp');
          client.send({ cmd: 'puback', messageId: unacked.shift()! });
        }
      }
      for (const id of unacked) client.send({ cmd: 'puback', messageId: id });
      unacked = [];
      assert.deepEqual(got, ['m0', 'm1', 'm2', 'm3', 'm4', 'm5'], 'the oversized message was discarded, the rest came in order');
    } finally {
      await pub.endAsync();
      client.send({ cmd: 'disconnect', reasonCode: 0, properties: { sessionExpiryInterval: 0 } } as Packet);
      await client.closed;
    }
  });
});
