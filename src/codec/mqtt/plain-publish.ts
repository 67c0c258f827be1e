// PUBLISH without MQTT 5 properties: fixed header, remaining length, topic, the packet id at QoS 1
// and 2, in MQTT 5 a property length of 0, then the payload. Every message a broker carries comes
// in as one and goes out as one, so both directions skip mqtt-packet for them: its parser and writer
// cost more than the whole rest of a message's path through the broker at a low rate (where no
// batching hides them). Anything else (properties, QoS 3, a topic that is not well-formed UTF-8 or
// holds U+0000, a packet cut short) is left to mqtt-packet and the decoder's checks, which refuse it
// with the right error. The results are what mqtt-packet returns and writes (checked in the decoder
// and encoder tests).

import { isUtf8 } from 'node:buffer';
import type { IPublishPacket, Packet } from 'mqtt-packet';
import type { MqttProtocolVersion } from './packet-decoder.ts';

/** Remaining length's ceiling, four variable-byte-integer bytes (§1.5.5). */
const REMAINING_LENGTH_MAX = 268_435_455;

/**
 * The last topic a connection published to, its bytes and its text: a client mostly publishes to
 * the same few topics, and bytes equal to checked ones need no second check or decoding.
 */
export interface TopicMemo {
  bytes: Buffer | undefined;
  topic: string;
}

export function newTopicMemo(): TopicMemo {
  return { bytes: undefined, topic: '' };
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  if (a.length !== b.length) return false;
  if (a.length > 64) return a.equals(b);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The PUBLISH in a whole packet `bytes` whose body starts at `bodyStart`, or undefined when it is
 * not a plain one (mqtt-packet then decides, and refuses what is malformed).
 */
export function decodePlainPublish(bytes: Buffer, bodyStart: number, protocolVersion: MqttProtocolVersion, memo: TopicMemo = newTopicMemo()): Packet | undefined {
  const first = bytes[0]!;
  const qos = (first >> 1) & 3;
  if (qos === 3) return undefined;
  let at = bodyStart;
  if (at + 2 > bytes.length) return undefined;
  const topicEnd = at + 2 + bytes.readUInt16BE(at);
  if (topicEnd > bytes.length) return undefined;
  const topicBytes = bytes.subarray(at + 2, topicEnd);
  let topic: string;
  if (memo.bytes !== undefined && sameBytes(topicBytes, memo.bytes)) topic = memo.topic;
  else {
    // [MQTT-1.5.3-1] and [MQTT-1.5.3-2]: the decoder's string check refuses these on the slow path.
    if (!isUtf8(topicBytes) || topicBytes.includes(0)) return undefined;
    topic = topicBytes.toString('utf8');
    memo.bytes = Buffer.from(topicBytes);
    memo.topic = topic;
  }
  at = topicEnd;
  let messageId = 0;
  if (qos > 0) {
    if (at + 2 > bytes.length) return undefined;
    messageId = bytes.readUInt16BE(at);
    at += 2;
  }
  if (protocolVersion === 5) {
    if (at >= bytes.length || bytes[at] !== 0) return undefined;
    at += 1;
  }
  const packet: Record<string, unknown> = {
    cmd: 'publish',
    retain: (first & 0x01) !== 0,
    qos,
    dup: (first & 0x08) !== 0,
    length: bytes.length - bodyStart,
    topic,
    payload: bytes.subarray(at),
  };
  if (qos > 0) packet.messageId = messageId;
  return packet as unknown as Packet;
}

/** The bytes of `packet`, or undefined when it is not a plain PUBLISH (mqtt-packet then writes it). */
export function encodePlainPublish(packet: Packet, protocolVersion: MqttProtocolVersion): Buffer | undefined {
  if (packet.cmd !== 'publish') return undefined;
  const { topic, payload, messageId, properties } = packet as IPublishPacket;
  const qos = packet.qos ?? 0;
  if (typeof topic !== 'string' || !Buffer.isBuffer(payload) || (qos !== 0 && qos !== 1 && qos !== 2)) return undefined;
  if (qos > 0 && (typeof messageId !== 'number' || !Number.isInteger(messageId) || messageId < 0 || messageId > 0xffff)) return undefined;
  if (protocolVersion === 5 && properties !== undefined && properties !== null) return undefined;
  const topicBytes = Buffer.byteLength(topic);
  if (topicBytes > 0xffff) return undefined;
  const length = 2 + topicBytes + (qos > 0 ? 2 : 0) + (protocolVersion === 5 ? 1 : 0) + payload.length;
  if (length > REMAINING_LENGTH_MAX) return undefined;
  const lengthBytes = length < 0x80 ? 1 : length < 0x4000 ? 2 : length < 0x200000 ? 3 : 4;
  const out = Buffer.allocUnsafe(1 + lengthBytes + length);
  out[0] = 0x30 | (qos << 1) | (packet.dup ? 0x08 : 0) | (packet.retain ? 0x01 : 0);
  let at = 1;
  let rest = length;
  do {
    let byte = rest % 128;
    rest = Math.floor(rest / 128);
    if (rest > 0) byte |= 0x80;
    out[at++] = byte;
  } while (rest > 0);
  out.writeUInt16BE(topicBytes, at);
  at += 2;
  at += out.write(topic, at, 'utf8');
  if (qos > 0) {
    out.writeUInt16BE(messageId!, at);
    at += 2;
  }
  if (protocolVersion === 5) out[at++] = 0;
  payload.copy(out, at);
  return out;
}
