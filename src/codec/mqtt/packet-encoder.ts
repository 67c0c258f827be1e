// Encodes the packets the server sends, through mqtt-packet's writer. The session builds only
// packets it has checked (topic, ids, property types), so a refusal here is a bug in the session:
// it is turned into a plain Error for the session's catch-all, never a decode error.
//
// mqtt-packet's own `generate` makes an EventEmitter per packet to collect the pieces; this file
// hands its `writeToStream` one reusable collector instead (encoding is synchronous); the 4-byte
// acknowledgements and PUBLISH without properties are written by plain-acks.ts and plain-publish.ts.

import mqttPacket from 'mqtt-packet';
import type { Packet } from 'mqtt-packet';
import type { MqttProtocolVersion } from './packet-decoder.ts';
import { encodePlainAck } from './plain-acks.ts';
import { encodePlainPublish } from './plain-publish.ts';

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

/** The bytes of one packet for a connection of the given protocol level. */
export function encodeMqttPacket(packet: Packet, protocolVersion: MqttProtocolVersion): Buffer {
  const plain = encodePlainPublish(packet, protocolVersion) ?? encodePlainAck(packet, protocolVersion);
  if (plain !== undefined) return plain;
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
