// Random well-formed client packets for the MQTT codec tests, built from a seeded PRNG and encoded
// with mqtt-packet's generator: CONNECT (with and without will, credentials, properties), PUBLISH
// at each QoS, the acknowledgements, SUBSCRIBE, UNSUBSCRIBE, PINGREQ, DISCONNECT and (5.0) AUTH.

import mqttPacket from 'mqtt-packet';
import type { Packet } from 'mqtt-packet';

/** The codec fuzz tests' seeded PRNG, for the tests that import it from here. */
export { prng } from '../../../test/helpers/fuzz.ts';

const WORDS = ['a', 'b', 'sensors', 'temp', 'ÿ', '日本', 'x-y', '$SYS', '', 'long'.repeat(5)];

export function randomPacket(rand: () => number, version: 4 | 5): Packet {
  const int = (n: number) => Math.floor(rand() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const topic = () => Array.from({ length: 1 + int(4) }, () => pick(WORDS)).join('/') || 'a';
  const filter = () => Array.from({ length: 1 + int(4) }, () => pick([...WORDS, '+', '+'])).join('/') + (int(3) === 0 ? '/#' : '');
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
  const id = () => 1 + int(65535);
  const userProperties = () => (int(2) === 0 ? undefined : { [pick(WORDS) || 'k']: int(2) === 0 ? 'v' : ['v1', 'v2'] });
  const qos = () => pick([0, 1, 2] as const);
  const v5 = version === 5;
  switch (int(11)) {
    case 0: {
      const will = int(2) === 0 ? undefined : {
        topic: topic(),
        payload: bytes(int(20)),
        qos: qos(),
        retain: int(2) === 0,
        ...(v5 ? { properties: { willDelayInterval: int(100), contentType: 'text/plain', userProperties: userProperties() } } : {}),
      };
      const username = int(2) === 0 ? undefined : pick(['user', 'ü', '']);
      const clientId = pick(['', 'client-1', 'dev/ice', 'ñ'.repeat(int(30))]);
      return {
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: version,
        clientId,
        clean: clientId === '' || int(2) === 0, // the generator refuses an empty id without clean session
        keepalive: int(1000),
        ...(username === undefined ? {} : { username, ...(int(2) === 0 ? { password: bytes(int(12)) } : {}) }),
        ...(will === undefined ? {} : { will }),
        ...(v5 ? { properties: { sessionExpiryInterval: int(3600), receiveMaximum: 1 + int(100), maximumPacketSize: 100 + int(10000), topicAliasMaximum: int(10), userProperties: userProperties() } } : {}),
      } as Packet;
    }
    case 1:
    case 2:
    case 3: {
      const q = qos();
      return {
        cmd: 'publish',
        topic: topic(),
        payload: bytes(int(3) === 0 ? int(400) : int(40)),
        qos: q,
        dup: q > 0 && int(4) === 0,
        retain: int(3) === 0,
        ...(q > 0 ? { messageId: id() } : {}),
        ...(v5 && int(2) === 0
          ? { properties: { messageExpiryInterval: int(100), userProperties: userProperties(), contentType: 'application/json', responseTopic: topic(), correlationData: bytes(int(8)), payloadFormatIndicator: int(2) === 0, ...(int(3) === 0 ? { topicAlias: 1 + int(10) } : {}) } }
          : {}),
      } as Packet;
    }
    case 4:
    case 5: {
      const cmd = pick(['puback', 'pubrec', 'pubrel', 'pubcomp'] as const);
      return {
        cmd,
        messageId: id(),
        ...(cmd === 'pubrel' ? { qos: 1 } : {}),
        ...(v5 && int(2) === 0 ? { reasonCode: cmd === 'pubrel' || cmd === 'pubcomp' ? pick([0, 0x92]) : pick([0, 0x10, 0x80, 0x87]) } : {}),
        ...(v5 && int(3) === 0 ? { properties: { reasonString: 'why', userProperties: userProperties() } } : {}),
      } as Packet;
    }
    case 6:
      return {
        cmd: 'subscribe',
        messageId: id(),
        subscriptions: Array.from({ length: 1 + int(3) }, () => ({ topic: filter(), qos: qos(), ...(v5 ? { nl: int(2) === 0, rap: int(2) === 0, rh: int(3) } : {}) })),
        ...(v5 && int(2) === 0 ? { properties: { subscriptionIdentifier: 1 + int(1000), userProperties: userProperties() } } : {}),
      } as Packet;
    case 7:
      return { cmd: 'unsubscribe', messageId: id(), unsubscriptions: Array.from({ length: 1 + int(3) }, filter) } as Packet;
    case 8:
      return { cmd: 'pingreq' };
    case 9:
      return v5
        ? ({ cmd: 'disconnect', reasonCode: pick([0, 4, 0x80]), ...(int(2) === 0 ? { properties: { sessionExpiryInterval: int(10), reasonString: 'bye' } } : {}) } as Packet)
        : { cmd: 'disconnect' };
    default:
      return v5 ? ({ cmd: 'auth', reasonCode: pick([0, 0x18, 0x19]), properties: { authenticationMethod: 'SCRAM', authenticationData: bytes(8) } } as Packet) : { cmd: 'pingreq' };
  }
}

export function encodeForTest(packet: Packet, version: 4 | 5): Buffer {
  return mqttPacket.generate(packet, { protocolVersion: version });
}
