// Incremental MQTT 3.1, 3.1.1 and 5.0 decoder for packets a client sends to the server: a thin
// adapter over mqtt-packet's parser. It owns framing (the fixed header and its remaining length,
// bounded by packetSizeMaxBytes before a byte of the body is held), feeds mqtt-packet exactly one
// packet at a time, and adds the well-formedness rules the parser leaves out: UTF-8 strings
// [MQTT-1.5.3-1] without U+0000 [MQTT-1.5.3-2], property lengths that match, properties allowed for
// the packet and not repeated, no trailing bytes, client-to-server packet types only. What a packet
// means (CONNECT first, packet ids, topic rules) is the session's.
//
// Fixed header, as framed here (MQTT 3.1.1 §2.2, 5.0 §2.1.1):
//
//   byte 0        byte 1..4 (1 to 4 bytes)          then `remaining length` bytes
//   +----+----+   +---------------------------+     +--------------------------------+
//   |type|flag|   | remaining length, 7 bits  |     | variable header and payload    |
//   +----+----+   | per byte, bit 7 = more    |     |                                |
//                 +---------------------------+     +--------------------------------+

import { isUtf8 } from 'node:buffer';
import mqttPacket from 'mqtt-packet';
import type { Packet } from 'mqtt-packet';
import { MqttDecodeError } from './errors.ts';
import { decodePlainAck } from './plain-acks.ts';
import { decodePlainPublish, newTopicMemo } from './plain-publish.ts';

export type MqttProtocolVersion = 3 | 4 | 5;

export interface MqttDecodeLimits {
  /** Whole packet, fixed header included (MQTT 5 Maximum Packet Size). */
  readonly packetSizeMaxBytes: number;
}

/** 1 MiB by default; the protocol's own ceiling is 268,435,460 bytes. */
export const MQTT_DEFAULT_LIMITS: MqttDecodeLimits = { packetSizeMaxBytes: 1024 * 1024 };

export interface MqttDecoderOptions extends Partial<MqttDecodeLimits> {
  /** Version assumed before a CONNECT sets it (default 4); a CONNECT always sets it. */
  readonly protocolVersion?: MqttProtocolVersion;
}

/** Packet types a client may send (MQTT 5 §2.1.2); the rest are server-to-client. */
const CLIENT_PACKET_TYPES = new Set([1, 3, 4, 5, 6, 7, 8, 10, 12, 14, 15]);

/** MQTT 5 properties each client packet may carry (§3.x.2.3); anything else is a protocol error. */
const ALLOWED_PROPERTIES: Readonly<Record<string, ReadonlySet<string>>> = {
  connect: new Set([
    'sessionExpiryInterval',
    'receiveMaximum',
    'maximumPacketSize',
    'topicAliasMaximum',
    'requestResponseInformation',
    'requestProblemInformation',
    'userProperties',
    'authenticationMethod',
    'authenticationData',
  ]),
  will: new Set(['willDelayInterval', 'payloadFormatIndicator', 'messageExpiryInterval', 'contentType', 'responseTopic', 'correlationData', 'userProperties']),
  // A client never sends a Subscription Identifier in PUBLISH [MQTT-3.3.4-6].
  publish: new Set(['payloadFormatIndicator', 'messageExpiryInterval', 'topicAlias', 'responseTopic', 'correlationData', 'userProperties', 'contentType']),
  puback: new Set(['reasonString', 'userProperties']),
  pubrec: new Set(['reasonString', 'userProperties']),
  pubrel: new Set(['reasonString', 'userProperties']),
  pubcomp: new Set(['reasonString', 'userProperties']),
  subscribe: new Set(['subscriptionIdentifier', 'userProperties']),
  unsubscribe: new Set(['userProperties']),
  disconnect: new Set(['sessionExpiryInterval', 'reasonString', 'userProperties', 'serverReference']),
  auth: new Set(['authenticationMethod', 'authenticationData', 'reasonString', 'userProperties']),
};

/** Client packets with a packet identifier (PUBLISH only at QoS 1 and 2). */
const PACKET_ID_TYPES = new Set(['puback', 'pubrec', 'pubrel', 'pubcomp', 'subscribe', 'unsubscribe']);

/** Properties whose value is a number (the parser yields -1 or false for a short read). */
const NUMERIC_PROPERTIES = new Set([
  'sessionExpiryInterval',
  'willDelayInterval',
  'receiveMaximum',
  'maximumPacketSize',
  'topicAliasMaximum',
  'messageExpiryInterval',
  'topicAlias',
  'subscriptionIdentifier',
]);
/** Properties whose value 0 is a protocol error (§3.1.2.11, §3.8.2.1.2). */
const NONZERO_PROPERTIES = new Set(['receiveMaximum', 'maximumPacketSize', 'subscriptionIdentifier']);

/** The parts of mqtt-packet's parser this adapter hooks; they are stable across its v9 releases. */
interface ParserInternals {
  settings: { protocolVersion?: number };
  packet: { length: number; cmd: string };
  error: Error | null;
  _pos: number;
  _list: { length: number; slice(start: number, end: number): Buffer; readUInt8(at: number): number };
  _parseNum(): number;
  _parseString(): string | null;
  _parseStringPair(): { name: string | null; value: string | null };
  _parseProperties(): unknown;
  _newPacket(): boolean;
  on(event: 'packet', listener: (packet: Packet) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  parse(buffer: Buffer): number;
}

/** Reads a variable byte integer (MQTT 5 §1.5.5) from `at`; undefined when it is cut short or too long. */
function readVarInt(get: (at: number) => number | undefined, at: number): { value: number; bytes: number } | undefined {
  let value = 0;
  let multiplier = 1;
  for (let bytes = 1; bytes <= 4; bytes++) {
    const b = get(at + bytes - 1);
    if (b === undefined) return undefined;
    value += (b & 0x7f) * multiplier;
    if ((b & 0x80) === 0) return { value, bytes };
    multiplier *= 128;
  }
  return undefined;
}

/**
 * Decodes the packets a client sends. `push` bytes as they come, then call `next` until it returns
 * undefined. Throws MqttDecodeError on the first bad packet; the decoder is unusable afterwards.
 */
export class MqttPacketDecoder {
  private readonly limits: MqttDecodeLimits;
  private readonly parser: ParserInternals;
  private chunks: Buffer[] = [];
  private held = 0;
  private failed: MqttDecodeError | undefined;
  /** Set by the parser hooks while one packet is parsed. */
  private flaw: MqttDecodeError | undefined;
  private emitted: Packet | undefined;
  private parseError: Error | undefined;
  private endPos = 0;
  private readonly topicMemo = newTopicMemo();

  constructor(options: MqttDecoderOptions = {}) {
    this.limits = { packetSizeMaxBytes: options.packetSizeMaxBytes ?? MQTT_DEFAULT_LIMITS.packetSizeMaxBytes };
    const parser = mqttPacket.parser({ protocolVersion: options.protocolVersion ?? 4 }) as unknown as ParserInternals;
    this.parser = parser;
    parser.on('packet', (packet) => {
      this.emitted = packet;
    });
    parser.on('error', (error) => {
      this.parseError ??= error;
    });
    const flag = (flaw: MqttDecodeError) => {
      this.flaw ??= flaw;
    };
    // [MQTT-1.5.3-1] ill-formed UTF-8 and [MQTT-1.5.3-2] U+0000 are malformed: the parser would
    // silently turn them into U+FFFD, so strings are checked on their bytes here.
    parser._parseString = function (this: ParserInternals): string | null {
      const length = this._parseNum();
      const end = length + this._pos;
      if (length === -1 || end > this._list.length || end > this.packet.length) return null;
      const bytes = this._list.slice(this._pos, end);
      if (!isUtf8(bytes)) flag(new MqttDecodeError('malformed-packet', 'string is not well-formed UTF-8'));
      else if (bytes.includes(0)) flag(new MqttDecodeError('malformed-packet', 'string contains U+0000'));
      this._pos = end;
      return bytes.toString('utf8');
    };
    const parseStringPair = parser._parseStringPair;
    parser._parseStringPair = function (this: ParserInternals) {
      const pair = parseStringPair.call(this);
      if (pair.name === null || pair.value === null) flag(new MqttDecodeError('malformed-packet', 'user property cut short'));
      return pair;
    };
    // The parser reads properties up to the declared length but does not check that they end there.
    const parseProperties = parser._parseProperties;
    parser._parseProperties = function (this: ParserInternals) {
      const start = this._pos;
      const list = this._list;
      const declared = readVarInt((at) => (at < list.length ? list.readUInt8(at) : undefined), start);
      const result = parseProperties.call(this);
      if (declared === undefined || this._pos !== start + declared.bytes + declared.value || this._pos > this.packet.length) {
        flag(new MqttDecodeError('malformed-packet', 'property length does not match the properties'));
      }
      return result;
    };
    const newPacket = parser._newPacket;
    parser._newPacket = (): boolean => {
      this.endPos = parser._pos;
      return newPacket.call(parser);
    };
  }

  /** Protocol level of the connection: 4 until a CONNECT says otherwise. */
  get protocolVersion(): MqttProtocolVersion {
    const v = this.parser.settings.protocolVersion;
    return v === 3 || v === 5 ? v : 4;
  }

  /** Bytes received and not yet returned as packets. */
  get bufferedBytes(): number {
    return this.held;
  }

  push(chunk: Buffer): void {
    if (this.failed !== undefined) throw this.failed;
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.held += chunk.length;
  }

  /** The next complete packet, or undefined until more bytes arrive. */
  next(): Packet | undefined {
    if (this.failed !== undefined) throw this.failed;
    try {
      return this.decodeNext();
    } catch (err) {
      this.failed = err instanceof MqttDecodeError ? err : new MqttDecodeError('malformed-packet', 'packet could not be decoded');
      this.chunks = [];
      this.held = 0;
      throw this.failed;
    }
  }

  private byteAt(at: number): number | undefined {
    if (at >= this.held) return undefined;
    for (const chunk of this.chunks) {
      if (at < chunk.length) return chunk[at];
      at -= chunk.length;
    }
    return undefined;
  }

  /** Removes and returns the first `n` held bytes as one buffer. */
  private take(n: number): Buffer {
    const first = this.chunks[0]!;
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let filled = 0;
      while (filled < n) {
        const chunk = this.chunks[0]!;
        const part = Math.min(chunk.length, n - filled);
        chunk.copy(out, filled, 0, part);
        filled += part;
        if (part === chunk.length) this.chunks.shift();
        else this.chunks[0] = chunk.subarray(part);
      }
    }
    this.held -= n;
    return out;
  }

  private decodeNext(): Packet | undefined {
    if (this.held < 2) return undefined;
    const type = this.byteAt(0)! >> 4;
    // A reserved type, or one only a server sends, is malformed (§2.1.2): refused before the body
    // arrives.
    if (!CLIENT_PACKET_TYPES.has(type)) throw new MqttDecodeError('malformed-packet', 'packet type not sent by clients');
    const length = readVarInt((at) => this.byteAt(at), 1);
    if (length === undefined) {
      // Four bytes with the continuation bit set, or a fifth: [MQTT-1.5.5] allows at most four.
      if (this.held >= 5) throw new MqttDecodeError('malformed-packet', 'remaining length longer than four bytes');
      return undefined;
    }
    const total = 1 + length.bytes + length.value;
    if (total > this.limits.packetSizeMaxBytes) throw new MqttDecodeError('packet-too-large', `packet larger than ${this.limits.packetSizeMaxBytes} bytes`);
    if (this.held < total) return undefined;
    const bytes = this.take(total);
    const body = bytes.subarray(1 + length.bytes);
    if (type === 1) checkConnectVersion(body);
    const plain = type === 3 ? decodePlainPublish(bytes, 1 + length.bytes, this.protocolVersion, this.topicMemo) : total === 4 ? decodePlainAck(bytes, this.protocolVersion) : undefined;
    if (plain !== undefined) {
      this.check(plain);
      return plain;
    }
    return this.parseOne(bytes, type, body.length);
  }

  private parseOne(bytes: Buffer, type: number, remaining: number): Packet {
    this.flaw = undefined;
    this.emitted = undefined;
    this.parseError = undefined;
    this.endPos = -1;
    this.parser.parse(bytes);
    if (this.flaw !== undefined) throw this.flaw;
    if (this.parseError !== undefined) throw new MqttDecodeError('malformed-packet', classifyParserError(this.parseError));
    const packet = this.emitted;
    if (packet === undefined) throw new MqttDecodeError('malformed-packet', 'packet cut short');
    // Trailing bytes: a PUBLISH payload runs to the end, every other packet must end where its
    // fields do (e.g. a 3.1.1 PUBACK has exactly 2 bytes, a PINGREQ none).
    if (type === 3 ? this.endPos > remaining : this.endPos !== remaining) {
      throw new MqttDecodeError('malformed-packet', 'packet length does not match its fields');
    }
    this.check(packet);
    return packet;
  }

  /** The rules mqtt-packet leaves to the receiver. */
  private check(packet: Packet): void {
    const v5 = this.protocolVersion === 5;
    const hasPacketId = packet.cmd === 'publish' ? packet.qos > 0 : PACKET_ID_TYPES.has(packet.cmd);
    if (hasPacketId) {
      const id = packet.messageId;
      // The parser reports a missing identifier as -1; [MQTT-2.3.1-1] an identifier is never 0.
      if (id === undefined || id < 0) throw new MqttDecodeError('malformed-packet', 'packet identifier cut short');
      if (id === 0) throw new MqttDecodeError('protocol-error', 'packet identifier 0');
    }
    switch (packet.cmd) {
      case 'connect':
        if (packet.will !== undefined) {
          // [MQTT-3.1.2-14] will QoS 3 is malformed.
          if ((packet.will.qos ?? 0) > 2) throw new MqttDecodeError('malformed-packet', 'will QoS must be 0, 1 or 2');
          checkProperties(packet.will.properties, 'will');
        }
        // [MQTT-3.1.2-22] 3.1.1: a password needs a user name (MQTT 5 allows one alone).
        if (!v5 && packet.password !== undefined && packet.username === undefined) {
          throw new MqttDecodeError('malformed-packet', 'password flag without user name flag');
        }
        break;
      case 'subscribe':
        // [MQTT-3.8.3-3] at least one topic filter.
        if (packet.subscriptions.length === 0) throw new MqttDecodeError('protocol-error', 'SUBSCRIBE without topic filters');
        break;
      case 'unsubscribe':
        // [MQTT-3.10.3-2] at least one topic filter.
        if (packet.unsubscriptions.length === 0) throw new MqttDecodeError('protocol-error', 'UNSUBSCRIBE without topic filters');
        break;
      case 'auth':
        if (!v5) throw new MqttDecodeError('malformed-packet', 'AUTH is an MQTT 5 packet');
        break;
      default:
        break;
    }
    if (v5) checkProperties((packet as { properties?: Record<string, unknown> }).properties, packet.cmd);
  }
}

function checkProperties(properties: Record<string, unknown> | undefined, where: string): void {
  if (properties === undefined) return;
  const allowed = ALLOWED_PROPERTIES[where];
  for (const [name, value] of Object.entries(properties)) {
    if (allowed === undefined || !allowed.has(name)) throw new MqttDecodeError('protocol-error', `property not allowed in ${where.toUpperCase()}`);
    // 5.0 §2.2.2.2: only User Property (and a server's Subscription Identifier) may appear twice.
    if (name !== 'userProperties' && Array.isArray(value)) throw new MqttDecodeError('protocol-error', 'property repeated');
    if (value === null) throw new MqttDecodeError('malformed-packet', 'property cut short');
    if (NUMERIC_PROPERTIES.has(name)) {
      if (typeof value !== 'number' || value < 0) throw new MqttDecodeError('malformed-packet', 'property cut short');
      if (value === 0 && NONZERO_PROPERTIES.has(name)) throw new MqttDecodeError('protocol-error', 'property must not be 0');
    }
  }
}

/**
 * The CONNECT's protocol name and level, read before the parser sees them: an unknown level gets
 * CONNACK return code 1 / reason 0x84 [MQTT-3.1.2-2], a name other than MQTT/MQIsdp a plain close.
 */
function checkConnectVersion(body: Buffer): void {
  if (body.length < 2) throw new MqttDecodeError('malformed-packet', 'CONNECT cut short');
  const nameLength = body.readUInt16BE(0);
  if (body.length < 2 + nameLength + 1) throw new MqttDecodeError('malformed-packet', 'CONNECT cut short');
  const name = body.toString('latin1', 2, 2 + nameLength);
  // Bit 7 is the bridge flag some brokers use between themselves; a client never sets it.
  const level = body[2 + nameLength]!;
  if (name === 'MQTT' && (level === 4 || level === 5)) return;
  if (name === 'MQIsdp' && level === 3) return;
  if (name === 'MQTT' || name === 'MQIsdp') throw new MqttDecodeError('unsupported-protocol-version', 'unsupported protocol level');
  // [MQTT-3.1.2-1] another protocol name: disconnect without CONNACK.
  throw new MqttDecodeError('malformed-packet', 'protocol name is not MQTT');
}

/** mqtt-packet's messages, reduced to fixed words (they never carry input, but stay our own). */
function classifyParserError(error: Error): string {
  const m = error.message;
  if (m.startsWith('Invalid header flag bits') || m.includes('QoS bits')) return 'reserved flag bits set';
  if (m.includes('variable byte integer')) return 'invalid variable byte integer';
  if (m.startsWith('Connect flag bit 0') || m.startsWith('Will')) return 'reserved CONNECT flags set';
  if (m.includes('subscribe topic flag bits') || m.includes('retain handling') || m.includes('subscribe QoS')) return 'reserved subscription options set';
  if (m.includes('reason code')) return 'invalid reason code';
  if (m.includes('property')) return 'invalid property';
  return 'packet cut short or malformed';
}
