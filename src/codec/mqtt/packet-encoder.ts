// Encodes the packets the server sends, through mqtt-packet's generator. The session builds only
// packets it has checked (topic, ids, property types), so a refusal here is a bug in the session:
// it is turned into a plain Error for the session's catch-all, never a decode error.

import mqttPacket from 'mqtt-packet';
import type { Packet } from 'mqtt-packet';
import type { MqttProtocolVersion } from './packet-decoder.ts';

/** The bytes of one packet for a connection of the given protocol level. */
export function encodeMqttPacket(packet: Packet, protocolVersion: MqttProtocolVersion): Buffer {
  try {
    return mqttPacket.generate(packet, { protocolVersion });
  } catch (err) {
    throw new Error(`MQTT ${packet.cmd} could not be encoded: ${err instanceof Error ? err.message : 'unknown error'}`);
  }
}
