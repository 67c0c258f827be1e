// The encoder writes what mqtt-packet's own `generate` writes, byte for byte, for every packet the
// server sends, at each protocol level; a packet mqtt-packet refuses is refused with a plain Error
// and leaves nothing behind for the next one.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { encodeMqttPacket } from './packet-encoder.ts';
import { prng } from './test-arbitraries.ts';

function randomServerPacket(rand: () => number, version: 3 | 4 | 5): Packet {
  const int = (n: number) => Math.floor(rand() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const v5 = version === 5;
  const id = () => 1 + int(65535);
  const topic = () => pick(['a', 'a/b', 'sensors/日本/temp', '$SYS/x', 'long/'.repeat(20) + 'end']);
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
  const userProperties = () => (int(2) === 0 ? {} : { userProperties: { k: int(2) === 0 ? 'v' : ['v1', 'v2'] } });
  switch (int(8)) {
    case 0:
    case 1:
    case 2: {
      const qos = pick([0, 1, 2] as const);
      return {
        cmd: 'publish',
        topic: topic(),
        payload: int(4) === 0 ? pick(['text', '', 'ü'.repeat(50)]) : bytes(pick([0, 1, 100, 1024, 5000])),
        qos,
        dup: qos > 0 && int(4) === 0,
        retain: int(3) === 0,
        ...(qos > 0 ? { messageId: id() } : {}),
        ...(v5 && int(2) === 0
          ? { properties: { messageExpiryInterval: int(100), contentType: 'application/json', correlationData: bytes(int(8)), payloadFormatIndicator: int(2) === 0, subscriptionIdentifier: 1 + int(1000), ...userProperties() } }
          : {}),
      } as Packet;
    }
    case 3:
    case 4: {
      const cmd = pick(['puback', 'pubrec', 'pubrel', 'pubcomp'] as const);
      const reason = v5 ? pick([undefined, 0, 0, cmd === 'pubrel' || cmd === 'pubcomp' ? 146 : 16]) : undefined;
      return {
        cmd,
        messageId: id(),
        ...(reason === undefined ? {} : { reasonCode: reason }),
        ...(v5 && int(3) === 0 ? { properties: { reasonString: 'why', ...userProperties() } } : {}),
      } as Packet;
    }
    case 5:
      return { cmd: 'connack', sessionPresent: int(2) === 0, ...(v5 ? { reasonCode: pick([0, 135]), properties: { receiveMaximum: 1 + int(100), topicAliasMaximum: int(10) } } : { returnCode: pick([0, 5]) }) } as Packet;
    case 6:
      return { cmd: 'suback', messageId: id(), granted: [pick([0, 1, 2, 128])], ...(v5 ? { properties: userProperties() } : {}) } as Packet;
    default:
      return pick([{ cmd: 'pingresp' }, { cmd: 'unsuback', messageId: id(), ...(v5 ? { granted: [0] } : {}) }, ...(v5 ? [{ cmd: 'disconnect', reasonCode: 0 }] : [])]) as Packet;
  }
}

describe('MQTT packet encoder', () => {
  it('writes the same bytes as mqtt-packet for 3,000 random server packets at each level', () => {
    for (const version of [3, 4, 5] as const) {
      const rand = prng(0x5ea1 + version);
      for (let i = 0; i < 3_000; i++) {
        const packet = randomServerPacket(rand, version);
        const expected = mqttPacket.generate(packet, { protocolVersion: version });
        assert.deepEqual(encodeMqttPacket(packet, version), expected, `${packet.cmd} v${version}: ${JSON.stringify(packet).slice(0, 200)}`);
      }
    }
  });

  it('writes an acknowledgement that is its packet id alone as its four bytes (3.1.1, and MQTT 5 reason code 0)', () => {
    assert.equal(encodeMqttPacket({ cmd: 'puback', messageId: 0x1234 } as Packet, 4).toString('hex'), '40021234');
    assert.equal(encodeMqttPacket({ cmd: 'pubrel', messageId: 7 } as Packet, 4).toString('hex'), '62020007');
    assert.equal(encodeMqttPacket({ cmd: 'puback', messageId: 7, reasonCode: 0 } as Packet, 5).toString('hex'), '40020007');
    assert.equal(encodeMqttPacket({ cmd: 'puback', messageId: 7, reasonCode: 16 } as Packet, 5).toString('hex'), '4004000710' + '00');
  });

  it('refuses what mqtt-packet refuses, and the next packet is whole', () => {
    assert.throws(() => encodeMqttPacket({ cmd: 'publish', topic: 42, payload: 'x', qos: 0 } as unknown as Packet, 4), /PUBLISH|publish could not be encoded/);
    assert.throws(() => encodeMqttPacket({ cmd: 'puback' } as Packet, 4), /puback could not be encoded/);
    const publish = { cmd: 'publish', topic: 'a', payload: Buffer.from('body'), qos: 1, messageId: 9, dup: false, retain: false } as Packet;
    assert.deepEqual(encodeMqttPacket(publish, 4), mqttPacket.generate(publish, { protocolVersion: 4 }));
  });
});
