// The 4-byte acknowledgements: PUBACK, PUBREC, PUBREL and PUBCOMP that are their packet id alone
// (fixed header, remaining length 2, packet id; in MQTT 5 reason code 0 without properties, which
// §3.4.2.1 lets the sender leave out). Every QoS 1 and 2 message brings one back, so both directions
// skip mqtt-packet for them; anything else (other flags, a reason code, properties) is left to it.
// The results are what mqtt-packet returns and writes (checked in the decoder and encoder tests).

import type { Packet } from 'mqtt-packet';
import type { MqttProtocolVersion } from './packet-decoder.ts';

type AckCommand = 'puback' | 'pubrec' | 'pubrel' | 'pubcomp';

/** The fixed header byte of each (PUBREL's reserved flags are 0010, §2.1.3). */
const FIRST_BYTE: Readonly<Record<AckCommand, number>> = { puback: 0x40, pubrec: 0x50, pubrel: 0x62, pubcomp: 0x70 };
const COMMAND_OF: ReadonlyMap<number, AckCommand> = new Map(Object.entries(FIRST_BYTE).map(([cmd, byte]) => [byte, cmd as AckCommand]));

/** The packet in a whole 4-byte `bytes`, or undefined when it is not a plain acknowledgement. */
export function decodePlainAck(bytes: Buffer, protocolVersion: MqttProtocolVersion): Packet | undefined {
  const cmd = COMMAND_OF.get(bytes[0]!);
  if (cmd === undefined || bytes.length !== 4 || bytes[1] !== 2) return undefined;
  const packet = { cmd, retain: false, qos: cmd === 'pubrel' ? 1 : 0, dup: false, length: 2, topic: null, payload: null, messageId: bytes.readUInt16BE(2) };
  // MQTT 5 §3.4.2.1: no reason code means 0 (Success), and mqtt-packet says so.
  return (protocolVersion === 5 ? { ...packet, reasonCode: 0 } : packet) as unknown as Packet;
}

/** The four bytes of `packet`, or undefined when it is not a plain acknowledgement. */
export function encodePlainAck(packet: Packet, protocolVersion: MqttProtocolVersion): Buffer | undefined {
  const first = (FIRST_BYTE as Readonly<Record<string, number>>)[packet.cmd];
  if (first === undefined) return undefined;
  const { messageId, reasonCode, properties, dup } = packet as { messageId?: unknown; reasonCode?: number; properties?: unknown; dup?: boolean };
  if (typeof messageId !== 'number' || !Number.isInteger(messageId) || messageId < 0 || messageId > 0xffff) return undefined;
  if (protocolVersion === 5 && (reasonCode !== 0 || properties !== undefined)) return undefined;
  // A PUBREL with DUP set is not well formed (its flags are fixed): mqtt-packet's refusal applies.
  if (dup === true && packet.cmd === 'pubrel') return undefined;
  const out = Buffer.allocUnsafe(4);
  out[0] = first;
  out[1] = 2;
  out.writeUInt16BE(messageId, 2);
  return out;
}
