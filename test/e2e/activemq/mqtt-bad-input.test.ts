// Bad MQTT input on a raw TLS socket: a remaining length of five bytes, invalid UTF-8 in a topic,
// reserved flag bits, a first packet that is not CONNECT, a second CONNECT, an oversized packet and
// an unknown protocol level. Each closes only that connection (MQTT 5: DISCONNECT with the reason
// code first; 3.1.1 has no such packet), while an MQTT.js client connected all along keeps working.

import assert from 'node:assert/strict';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import mqtt, { type MqttClient } from 'mqtt';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { startActiveMqTestBroker, type ActiveMqTestBroker } from '../../helpers/activemq-broker.ts';
import { createMqttSession } from '../../../src/session/mqtt/index.ts';

let server: ActiveMqTestBroker;
let healthy: MqttClient;
const PACKET_SIZE_MAX = 64 * 1024;

before(async () => {
  server = await startActiveMqTestBroker({
    session: (socket, engine) => createMqttSession(socket, { engine, remoteAddress: socket.remoteAddress, closeTimeoutMs: 1000, packetSizeMaxBytes: PACKET_SIZE_MAX }),
  });
  healthy = await mqtt.connectAsync(`mqtts://127.0.0.1:${server.port}`, {
    ca: server.caPem,
    protocolVersion: 5,
    username: server.username,
    password: server.password,
    reconnectPeriod: 0,
  });
  healthy.on('error', () => undefined);
});
after(async () => {
  await healthy.endAsync();
  await server.close();
});

let seq = 0;

/** The healthy client still moves a message through the broker. */
async function assertBrokerServes(): Promise<void> {
  const topic = `healthy/${process.pid}/${++seq}`;
  const got = new Promise<string>((resolve) => healthy.once('message', (_t, payload) => resolve(payload.toString())));
  await healthy.subscribeAsync(topic, { qos: 1 });
  await healthy.publishAsync(topic, 'still serving', { qos: 1 });
  assert.equal(await got, 'still serving');
  await healthy.unsubscribeAsync(topic);
}

/** A raw MQTT client on TLS: sends bytes, decodes what the server sends, knows when it closed. */
class RawClient {
  readonly socket: TLSSocket;
  readonly packets: Packet[] = [];
  readonly closed: Promise<void>;
  readonly #parser;
  #waiters: Array<() => void> = [];

  private constructor(socket: TLSSocket, version: 4 | 5) {
    this.socket = socket;
    this.#parser = mqttPacket.parser({ protocolVersion: version });
    this.#parser.on('packet', (p: Packet) => {
      this.packets.push(p);
      for (const w of this.#waiters.splice(0)) w();
    });
    this.#parser.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => this.#parser.parse(chunk));
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  static async open(version: 4 | 5): Promise<RawClient> {
    const socket = tlsConnect({ host: '127.0.0.1', port: server.port, ca: server.caPem });
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', reject);
    });
    return new RawClient(socket, version);
  }

  /** Opens and completes CONNECT/CONNACK. */
  static async connected(version: 4 | 5): Promise<RawClient> {
    const client = await RawClient.open(version);
    client.send(connectPacket(version));
    const connack = await client.nextPacket();
    assert.equal(connack.cmd, 'connack');
    assert.equal(version === 5 ? (connack as { reasonCode?: number }).reasonCode : (connack as { returnCode?: number }).returnCode, 0);
    return client;
  }

  send(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  async nextPacket(): Promise<Packet> {
    while (this.packets.length === 0) await new Promise<void>((resolve) => this.#waiters.push(resolve));
    return this.packets.shift()!;
  }

  /** What the server sent before closing the connection. */
  async packetsUntilClose(): Promise<Packet[]> {
    await this.closed;
    return this.packets.splice(0);
  }
}

function connectPacket(version: 4 | 5): Buffer {
  return mqttPacket.generate(
    { cmd: 'connect', protocolId: 'MQTT', protocolVersion: version, clientId: `raw-${process.pid}-${++seq}`, clean: true, keepalive: 0, username: server.username, password: Buffer.from(server.password) },
    { protocolVersion: version },
  );
}

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** Sends `bad` after a good CONNECT and checks the server's answer and the close. */
async function closesWith(version: 4 | 5, bad: Buffer, reasonCode: number): Promise<void> {
  const client = await RawClient.connected(version);
  client.send(bad);
  const sent = await client.packetsUntilClose();
  if (version === 5) {
    assert.equal(sent.length, 1, `one DISCONNECT, got ${sent.map((p) => p.cmd).join(',')}`);
    assert.equal(sent[0]!.cmd, 'disconnect');
    assert.equal((sent[0] as { reasonCode?: number }).reasonCode, reasonCode);
  } else {
    assert.deepEqual(sent, [], '3.1.1 closes without a packet');
  }
  await assertBrokerServes();
}

for (const version of [4, 5] as const) {
  describe(`bad MQTT ${version === 5 ? '5' : '3.1.1'} input on a raw TLS socket`, () => {
    it('closes on a remaining length with five bytes (Malformed Packet)', () => closesWith(version, hex('30 ff ff ff ff 01'), 0x81));

    it('closes on invalid UTF-8 in a topic name [MQTT-1.5.3-1]', () =>
      // PUBLISH QoS 0, topic length 2: C3 28 is not UTF-8; then the payload "x" (and properties in 5)
      closesWith(version, version === 5 ? hex('30 06 0002 c328 00 78') : hex('30 05 0002 c328 78'), 0x81));

    it('closes on reserved flag bits (SUBSCRIBE with flags 0000) [MQTT-3.8.1-1]', () =>
      closesWith(version, version === 5 ? hex('80 07 0001 00 0001 61 01') : hex('80 06 0001 0001 61 01'), 0x81));

    it('closes on a second CONNECT [MQTT-3.1.0-2] (Protocol Error)', () => closesWith(version, connectPacket(version), 0x82));

    it('closes on a packet larger than the maximum packet size, from its header alone', () =>
      closesWith(version, Buffer.concat([hex('30'), Buffer.from([0x80, 0x80, 0x10])]), 0x95)); // declares 256 KiB

    it('closes a connection whose first packet is not CONNECT [MQTT-3.1.0-1], without a word', async () => {
      const client = await RawClient.open(version);
      client.send(hex('c0 00')); // PINGREQ
      assert.deepEqual(await client.packetsUntilClose(), []);
      await assertBrokerServes();
    });
  });
}

describe('MQTT 5 limits on a raw TLS socket', () => {
  it('closes with 0x93 when more QoS 2 messages are unreleased than Receive Maximum allows', async () => {
    const client = await RawClient.connected(5);
    const topic = `healthy/${process.pid}/flood`;
    const packets = [];
    for (let id = 1; id <= 1001; id++) {
      packets.push(mqttPacket.generate({ cmd: 'publish', topic, payload: Buffer.from('x'), qos: 2, messageId: id, dup: false, retain: false }, { protocolVersion: 5 }));
    }
    client.send(Buffer.concat(packets)); // no PUBREL: each stays in flight
    const sent = await client.packetsUntilClose();
    const last = sent[sent.length - 1] as { cmd: string; reasonCode?: number };
    // PUBRECs for the first 1000 as the engine takes them (some may be cut off by the close).
    assert.ok(sent.filter((p) => p.cmd === 'pubrec').length <= 1000);
    assert.equal(last.cmd, 'disconnect');
    assert.equal(last.reasonCode, 0x93);
    await assertBrokerServes();
  });

  it('closes with 0x94 on a topic alias above the maximum it offered', async () => {
    const client = await RawClient.connected(5);
    client.send(mqttPacket.generate({ cmd: 'publish', topic: 'healthy/alias', payload: Buffer.from('x'), qos: 0, dup: false, retain: false, properties: { topicAlias: 11 } }, { protocolVersion: 5 }));
    const sent = await client.packetsUntilClose();
    assert.equal(sent.length, 1);
    assert.equal((sent[0] as { reasonCode?: number }).reasonCode, 0x94);
  });

  it('closes with 0x8D when nothing arrives for 1.5 times the keep-alive', async () => {
    const client = await RawClient.open(5);
    client.send(
      mqttPacket.generate(
        { cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: `keepalive-${process.pid}`, clean: true, keepalive: 1, username: server.username, password: Buffer.from(server.password) },
        { protocolVersion: 5 },
      ),
    );
    const sent = await client.packetsUntilClose();
    assert.deepEqual(sent.map((p) => p.cmd), ['connack', 'disconnect']);
    assert.equal((sent[1] as { reasonCode?: number }).reasonCode, 0x8d);
  });

  it('keeps a connection that sends a packet within each keep-alive period, past several periods', async () => {
    const client = await RawClient.open(5);
    client.send(
      mqttPacket.generate(
        { cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: `keepalive-live-${process.pid}`, clean: true, keepalive: 1, username: server.username, password: Buffer.from(server.password) },
        { protocolVersion: 5 },
      ),
    );
    assert.equal((await client.nextPacket()).cmd, 'connack');
    // Six PINGREQs 0.5 s apart: 3 s, twice the 1.5 s the broker allows between packets.
    for (let i = 0; i < 6; i++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      client.send(mqttPacket.generate({ cmd: 'pingreq' }, { protocolVersion: 5 }));
      assert.equal((await client.nextPacket()).cmd, 'pingresp', `PINGREQ ${i + 1}`);
    }
    // Then silence: closed with 0x8D.
    const sent = await client.packetsUntilClose();
    assert.deepEqual(sent.map((p) => p.cmd), ['disconnect']);
    assert.equal((sent[0] as { reasonCode?: number }).reasonCode, 0x8d);
  });
});

describe('MQTT protocol levels', () => {
  it('answers an unknown protocol level with CONNACK 0x01 and closes [MQTT-3.1.2-2]', async () => {
    const client = await RawClient.open(4);
    client.send(hex('10 0e 0004 4d515454 06 02 003c 0002 6331')); // level 6
    const sent = await client.packetsUntilClose();
    assert.equal(sent.length, 1);
    assert.equal(sent[0]!.cmd, 'connack');
    assert.equal((sent[0] as { returnCode?: number }).returnCode, 1);
    await assertBrokerServes();
  });

  it('answers an MQTT 5 CONNECT with an authentication method it does not offer with 0x8C', async () => {
    const client = await RawClient.open(5);
    client.send(
      mqttPacket.generate(
        { cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: 'auth-method', clean: true, keepalive: 0, properties: { authenticationMethod: 'SCRAM-SHA-256' } },
        { protocolVersion: 5 },
      ),
    );
    const sent = await client.packetsUntilClose();
    assert.equal(sent.length, 1);
    assert.equal((sent[0] as { reasonCode?: number }).reasonCode, 0x8c);
  });

  it('refuses an empty 3.1.1 client id without clean session with CONNACK 0x02 [MQTT-3.1.3-8]', async () => {
    const client = await RawClient.open(4);
    client.send(hex('10 0c 0004 4d515454 04 00 003c 0000'));
    const sent = await client.packetsUntilClose();
    assert.equal(sent.length, 1);
    assert.equal((sent[0] as { returnCode?: number }).returnCode, 2);
  });

  it('closes a connection that sends no CONNECT within the connect timeout', async () => {
    const quick = await startActiveMqTestBroker({
      session: (socket, engine) => createMqttSession(socket, { engine, connectTimeoutMs: 100 }),
    });
    try {
      const socket = tlsConnect({ host: '127.0.0.1', port: quick.port, ca: quick.caPem });
      socket.on('error', () => undefined);
      await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    } finally {
      await quick.close();
    }
  });
});
