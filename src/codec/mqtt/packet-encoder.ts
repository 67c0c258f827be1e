// Encodes the packets the server sends, through mqtt-packet's writer. The session builds only
// packets it has checked (topic, ids, property types), so a refusal here is a bug in the session:
// it is turned into a plain Error for the session's catch-all, never a decode error.
//
// mqtt-packet's own `generate` makes an EventEmitter per packet to collect the pieces; this file
// hands its `writeToStream` one reusable collector instead (encoding is synchronous), and writes the
// 4-byte acknowledgements (packet id only), one per QoS 1 message, without it.

import mqttPacket from 'mqtt-packet';
import type { Packet } from 'mqtt-packet';
import type { MqttProtocolVersion } from './packet-decoder.ts';

/** What writeToStream needs of a stream: `write` of each piece, `destroy` with a refusal. */
class PieceCollector {
  pieces: Array<Buffer | string> = [];
  bytes = 0;
  refusal: Error | undefined;

  write(piece: Buffer | string): boolean {
    this.pieces.push(piece);
    this.bytes += typeof piece === 'string' ? Buffer.byteLength(piece) : piece.length;
    return true;
  }

  destroy(error?: Error): void {
    this.refusal ??= error ?? new Error('refused');
  }

  /** The pieces as one buffer; the collector is empty again afterwards. */
  take(): Buffer {
    const out = Buffer.allocUnsafe(this.bytes);
    let at = 0;
    for (const piece of this.pieces) at += typeof piece === 'string' ? out.write(piece, at) : piece.copy(out, at);
    this.reset();
    return out;
  }

  reset(): void {
    this.pieces.length = 0;
    this.bytes = 0;
    this.refusal = undefined;
  }
}

const collector = new PieceCollector();

const ACK_HEADERS: Readonly<Record<string, number>> = { puback: 0x40, pubrec: 0x50, pubrel: 0x62, pubcomp: 0x70 };

/** The bytes of one packet for a connection of the given protocol level. */
export function encodeMqttPacket(packet: Packet, protocolVersion: MqttProtocolVersion): Buffer {
  const ack = plainAck(packet, protocolVersion);
  if (ack !== undefined) return ack;
  try {
    collector.reset();
    mqttPacket.writeToStream(packet, collector as unknown as NodeJS.WritableStream, { protocolVersion });
    if (collector.refusal !== undefined) throw collector.refusal;
    return collector.take();
  } catch (err) {
    collector.reset();
    throw new Error(`MQTT ${packet.cmd} could not be encoded: ${err instanceof Error ? err.message : 'unknown error'}`);
  }
}

/**
 * An acknowledgement that is its packet id alone (MQTT 3.1.1; in MQTT 5 reason code 0 without
 * properties, which §3.4.2.1 lets the sender leave out), as mqtt-packet writes it; undefined for any
 * other packet.
 */
function plainAck(packet: Packet, protocolVersion: MqttProtocolVersion): Buffer | undefined {
  const header = ACK_HEADERS[packet.cmd];
  if (header === undefined) return undefined;
  const { messageId, reasonCode, properties } = packet as { messageId?: unknown; reasonCode?: number; properties?: unknown };
  if (typeof messageId !== 'number' || !Number.isInteger(messageId) || messageId < 0 || messageId > 0xffff) return undefined;
  if (protocolVersion === 5 && (reasonCode !== 0 || properties !== undefined)) return undefined;
  if ((packet as { dup?: boolean }).dup === true && packet.cmd === 'pubrel') return undefined;
  const out = Buffer.allocUnsafe(4);
  out[0] = header;
  out[1] = 2;
  out.writeUInt16BE(messageId, 2);
  return out;
}
