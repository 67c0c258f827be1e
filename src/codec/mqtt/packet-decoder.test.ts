// Known-answer tests of the MQTT decode path: packets from the specs' examples and the refusals each
// rule calls for, with the stable code the session maps to the wire.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { MqttDecodeError, type MqttDecodeErrorCode } from './errors.ts';
import { MqttPacketDecoder } from './packet-decoder.ts';
import { encodeForTest } from './test-arbitraries.ts';

function decodeAll(bytes: Buffer, version: 4 | 5 = 4, packetSizeMaxBytes?: number) {
  const d = new MqttPacketDecoder({ protocolVersion: version, ...(packetSizeMaxBytes === undefined ? {} : { packetSizeMaxBytes }) });
  d.push(bytes);
  const out = [];
  for (let p = d.next(); p !== undefined; p = d.next()) out.push(p);
  return out;
}

function refused(bytes: Buffer, code: MqttDecodeErrorCode, version: 4 | 5 = 4, packetSizeMaxBytes?: number): void {
  assert.throws(
    () => decodeAll(bytes, version, packetSizeMaxBytes),
    (err: unknown) => err instanceof MqttDecodeError && err.code === code,
  );
}

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('MQTT packet decoder', () => {
  it('decodes a 3.1.1 CONNECT and then knows the protocol level', () => {
    // CONNECT, "MQTT", level 4, clean session, keep-alive 60, client id "c1"
    const d = new MqttPacketDecoder({ protocolVersion: 5 });
    d.push(hex('10 0e 0004 4d515454 04 02 003c 0002 6331'));
    const p = d.next();
    assert.equal(p?.cmd, 'connect');
    assert.equal(p.cmd === 'connect' && p.clientId, 'c1');
    assert.equal(d.protocolVersion, 4);
  });

  it('decodes packets split at every byte the same as whole', () => {
    const bytes = Buffer.concat([
      encodeForTest({ cmd: 'publish', topic: 'a/b', payload: Buffer.from('hi'), qos: 2, messageId: 9, dup: false, retain: true, properties: { userProperties: { k: 'v' } } }, 5),
      encodeForTest({ cmd: 'pingreq' }, 5),
    ]);
    const d = new MqttPacketDecoder({ protocolVersion: 5 });
    const out = [];
    for (const b of bytes) {
      d.push(Buffer.from([b]));
      for (let p = d.next(); p !== undefined; p = d.next()) out.push(p);
    }
    assert.deepEqual(out.map((p) => p.cmd), ['publish', 'pingreq']);
    const publish = out[0]!;
    assert.ok(publish.cmd === 'publish' && publish.topic === 'a/b' && publish.retain && publish.messageId === 9);
    assert.equal(d.bufferedBytes, 0);
  });

  it('refuses a remaining length of five bytes [MQTT-1.5.5]', () => refused(hex('30 ff ff ff ff 01'), 'malformed-packet'));

  it('refuses a packet larger than the limit from its header alone', () => {
    const d = new MqttPacketDecoder({ packetSizeMaxBytes: 1000 });
    d.push(hex('30 ff ff 03')); // declares 65,535 bytes, none of them sent
    assert.throws(() => d.next(), (e: unknown) => e instanceof MqttDecodeError && e.code === 'packet-too-large');
  });

  it('refuses invalid UTF-8 in a topic [MQTT-1.5.3-1]', () => refused(hex('30 05 0002 c328 00'), 'malformed-packet'));
  it('refuses an encoded surrogate in a topic [MQTT-1.5.3-1]', () => refused(hex('30 06 0003 eda080 00'), 'malformed-packet'));
  it('refuses U+0000 in a topic [MQTT-1.5.3-2]', () => refused(hex('30 05 0002 6100 00'), 'malformed-packet'));
  it('refuses reserved flag bits in SUBSCRIBE [MQTT-3.8.1-1]', () => refused(hex('80 06 0001 0001 61 00'), 'malformed-packet'));
  it('refuses PUBLISH with both QoS bits set [MQTT-3.3.1-4]', () => refused(hex('36 05 0001 61 0001'), 'malformed-packet'));
  it('refuses a packet type only servers send', () => refused(hex('20 02 0000'), 'malformed-packet'));
  it('refuses the reserved packet type 0', () => refused(hex('00 00'), 'malformed-packet'));
  it('refuses a 3.1.1 PUBACK with trailing bytes', () => refused(hex('40 03 0001 00'), 'malformed-packet'));
  it('refuses packet identifier 0 [MQTT-2.3.1-1]', () => refused(hex('40 02 0000'), 'protocol-error'));
  it('refuses SUBSCRIBE without a filter [MQTT-3.8.3-3]', () => refused(hex('82 02 0001'), 'protocol-error'));
  it('refuses an unsupported protocol level with its own code [MQTT-3.1.2-2]', () =>
    refused(hex('10 0e 0004 4d515454 06 02 003c 0002 6331'), 'unsupported-protocol-version'));
  it('refuses another protocol name [MQTT-3.1.2-1]', () => refused(hex('10 0e 0004 4d515458 04 02 003c 0002 6331'), 'malformed-packet'));
  it('refuses a 3.1.1 password without a user name [MQTT-3.1.2-22]', () =>
    refused(hex('10 12 0004 4d515454 04 42 003c 0002 6331 0002 7077'), 'malformed-packet'));
  it('refuses a repeated MQTT 5 property', () =>
    // PUBLISH topic "a", properties: message expiry twice
    refused(hex('30 0e 0001 61 0a 02 00000001 02 00000002'), 'protocol-error', 5));
  it('refuses a property a packet may not carry (Subscription Identifier in a client PUBLISH)', () =>
    refused(hex('30 06 0001 61 02 0b 01'), 'protocol-error', 5));
  it('refuses a property length that overruns the properties', () => refused(hex('30 07 0001 61 05 01 01 78'), 'malformed-packet', 5));

  it('decodes every 4-byte acknowledgement as mqtt-packet does, and leaves the rest to it', () => {
    const viaMqttPacket = (bytes: Buffer, version: 3 | 4 | 5): Record<string, unknown> => {
      const parser = mqttPacket.parser({ protocolVersion: version });
      let parsed: Packet | undefined;
      parser.on('packet', (packet) => (parsed = packet));
      parser.on('error', (error) => assert.fail(error));
      parser.parse(bytes);
      return { ...parsed };
    };
    for (const version of [3, 4, 5] as const) {
      for (const cmd of ['puback', 'pubrec', 'pubrel', 'pubcomp'] as const) {
        for (const messageId of [1, 2, 255, 256, 4660, 65535]) {
          const packets = [{ cmd, messageId }, ...(version === 5 ? [{ cmd, messageId, reasonCode: 0 }, { cmd, messageId, reasonCode: cmd === 'pubrel' || cmd === 'pubcomp' ? 146 : 16 }, { cmd, messageId, reasonCode: 0, properties: { reasonString: 'ok' } }] : [])];
          for (const packet of packets) {
            const bytes = mqttPacket.generate(packet as Packet, { protocolVersion: version });
            const decoder = new MqttPacketDecoder({ protocolVersion: version === 3 ? 4 : version });
            if (version === 3) decoder.push(encodeForTest({ cmd: 'connect', protocolId: 'MQIsdp', protocolVersion: 3, clientId: 'c', clean: true, keepalive: 0 } as Packet, 4));
            decoder.push(bytes);
            if (version === 3) decoder.next();
            assert.deepEqual({ ...decoder.next() }, viaMqttPacket(bytes, version), `${cmd} ${messageId} v${version} ${bytes.toString('hex')}`);
          }
        }
      }
    }
  });

  it('refuses reserved flags on a 4-byte acknowledgement as mqtt-packet does', () => {
    refused(hex('42 02 0001'), 'malformed-packet');
    refused(hex('60 02 0001'), 'malformed-packet');
    refused(hex('72 02 0001'), 'malformed-packet');
    refused(hex('62 02 0000'), 'protocol-error');
  });
});
