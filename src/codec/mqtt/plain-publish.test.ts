// The PUBLISH fast paths against mqtt-packet: what decodePlainPublish returns is what mqtt-packet's
// parser returns for the same bytes, and what encodePlainPublish writes is what its `generate`
// writes; whatever either leaves to mqtt-packet (properties, QoS 3, a bad topic, a packet cut
// short) still gets the decoder's refusal.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import mqttPacket, { type IPublishPacket, type Packet } from 'mqtt-packet';
import { MqttDecodeError } from './errors.ts';
import { MqttPacketDecoder } from './packet-decoder.ts';
import { decodePlainPublish, encodePlainPublish } from './plain-publish.ts';
import { prng } from './test-arbitraries.ts';

function viaMqttPacket(bytes: Buffer, version: 3 | 4 | 5): Record<string, unknown> {
  const parser = mqttPacket.parser({ protocolVersion: version });
  let parsed: Packet | undefined;
  parser.on('packet', (packet) => (parsed = packet));
  parser.on('error', (error) => assert.fail(error));
  parser.parse(bytes);
  assert.ok(parsed !== undefined, 'mqtt-packet parsed nothing');
  return { ...parsed };
}

function randomPublish(rand: () => number, version: 3 | 4 | 5, withProperties: boolean): IPublishPacket {
  const int = (n: number) => Math.floor(rand() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const qos = pick([0, 1, 2] as const);
  return {
    cmd: 'publish',
    topic: pick(['', 'a', 'a/b', 'sensors/日本/temp', 'ÿ/$SYS', 'x'.repeat(300)]),
    payload: Buffer.from(Array.from({ length: pick([0, 1, 127, 128, 1024, 16_383, 16_384, 70_000]) }, () => int(256))),
    qos,
    dup: int(4) === 0,
    retain: int(3) === 0,
    ...(qos > 0 ? { messageId: pick([1, 255, 256, 4660, 65535, 1 + int(65535)]) } : {}),
    ...(version === 5 && withProperties ? { properties: { messageExpiryInterval: 1 + int(100), userProperties: { k: 'v' } } } : {}),
  };
}

describe('MQTT PUBLISH fast path', () => {
  it('decodes 2,000 random PUBLISHes at each level as mqtt-packet does, fast or not', () => {
    for (const version of [3, 4, 5] as const) {
      const rand = prng(0x9b1 + version);
      for (let i = 0; i < 2_000; i++) {
        const withProperties = i % 4 === 3;
        const bytes = mqttPacket.generate(randomPublish(rand, version, withProperties), { protocolVersion: version });
        const expected = viaMqttPacket(bytes, version);
        const headerBytes = bytes.length - (expected.length as number);
        const plain = decodePlainPublish(bytes, headerBytes, version);
        if (version === 5 && withProperties) assert.equal(plain, undefined, 'properties are left to mqtt-packet');
        else assert.deepEqual({ ...plain }, expected, `v${version} ${bytes.subarray(0, 40).toString('hex')}`);
        const decoder = new MqttPacketDecoder({ protocolVersion: version === 3 ? 4 : version });
        if (version === 3) {
          decoder.push(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQIsdp', protocolVersion: 3, clientId: 'c', clean: true, keepalive: 0 } as Packet));
          decoder.next();
        }
        decoder.push(bytes);
        assert.deepEqual({ ...decoder.next() }, expected);
      }
    }
  });

  it('writes 2,000 random PUBLISHes at each level as mqtt-packet does, and leaves those with properties to it', () => {
    for (const version of [3, 4, 5] as const) {
      const rand = prng(0x9b2 + version);
      for (let i = 0; i < 2_000; i++) {
        const withProperties = i % 4 === 3;
        const packet = randomPublish(rand, version, withProperties);
        const plain = encodePlainPublish(packet, version);
        if (version === 5 && withProperties) assert.equal(plain, undefined);
        else assert.deepEqual(plain, mqttPacket.generate(packet, { protocolVersion: version }), `v${version} ${JSON.stringify({ ...packet, payload: packet.payload.length })}`);
      }
    }
  });

  it('leaves to mqtt-packet what it must refuse or write itself', () => {
    const publish = (fields: Record<string, unknown>) => ({ cmd: 'publish', topic: 'a', payload: Buffer.from('x'), qos: 1, messageId: 1, dup: false, retain: false, ...fields }) as unknown as Packet;
    assert.equal(encodePlainPublish(publish({ payload: 'text' }), 4), undefined);
    assert.equal(encodePlainPublish(publish({ topic: Buffer.from('a') }), 4), undefined);
    assert.equal(encodePlainPublish(publish({ qos: 3 }), 4), undefined);
    assert.equal(encodePlainPublish(publish({ messageId: undefined }), 4), undefined);
    assert.equal(encodePlainPublish(publish({ messageId: 70_000 }), 4), undefined);
    assert.equal(encodePlainPublish(publish({ topic: 'x'.repeat(70_000) }), 4), undefined);
    assert.equal(encodePlainPublish(publish({ properties: {} }), 5), undefined);
    assert.equal(encodePlainPublish({ cmd: 'puback', messageId: 1 } as Packet, 4), undefined);

    const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
    // QoS 3; a topic with invalid UTF-8, with U+0000; cut short in the topic, in the packet id;
    // MQTT 5 with a property length other than 0.
    for (const [bytes, version] of [
      [hex('36 05 0001 61 0001'), 4],
      [hex('30 05 0002 c328 00'), 4],
      [hex('30 05 0002 6100 00'), 4],
      [hex('30 03 0005 61'), 4],
      [hex('32 04 0001 61 00'), 4],
      [hex('30 07 0001 61 05 01 01 78'), 5],
    ] as const) {
      assert.equal(decodePlainPublish(bytes, 2, version), undefined, bytes.toString('hex'));
      const decoder = new MqttPacketDecoder({ protocolVersion: version });
      decoder.push(bytes);
      assert.throws(() => decoder.next(), MqttDecodeError, bytes.toString('hex'));
    }
  });

  it('the topics of one connection, repeated and changed, decode as mqtt-packet decodes each; a bad topic is refused after a good one', () => {
    const rand = prng(0x9b6);
    const topics = ['a/b', 'a/b', 'a/c', 'b/c', 'sensors/日本/temp', 'a/b', 'x'.repeat(100), 'x'.repeat(99) + 'y', 'a/b'];
    const decoder = new MqttPacketDecoder({ protocolVersion: 4 });
    for (let i = 0; i < 300; i++) {
      const packet = { ...randomPublish(rand, 4, false), topic: topics[i % topics.length]! };
      const bytes = mqttPacket.generate(packet, { protocolVersion: 4 });
      decoder.push(bytes);
      assert.deepEqual({ ...decoder.next() }, viaMqttPacket(bytes, 4), packet.topic);
    }
    // "a/b" then the same length with U+0000, then with invalid UTF-8: both refused.
    for (const bad of ['30 06 0003 61 00 62 78', '30 06 0003 61 c3 28 78']) {
      const fresh = new MqttPacketDecoder({ protocolVersion: 4 });
      fresh.push(mqttPacket.generate({ cmd: 'publish', topic: 'a/b', payload: Buffer.from('x'), qos: 0, dup: false, retain: false }));
      assert.equal(fresh.next()?.cmd, 'publish');
      fresh.push(Buffer.from(bad.replace(/\s+/g, ''), 'hex'));
      assert.throws(() => fresh.next(), (e: unknown) => e instanceof MqttDecodeError && e.code === 'malformed-packet', bad);
    }
  });

  it('refuses packet identifier 0 on the fast path too [MQTT-2.3.1-1]', () => {
    const decoder = new MqttPacketDecoder();
    decoder.push(Buffer.from('3206000161000078', 'hex'));
    assert.throws(() => decoder.next(), (e: unknown) => e instanceof MqttDecodeError && e.code === 'protocol-error');
  });
});
