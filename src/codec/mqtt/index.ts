// The MQTT codec adapter: mqtt-packet with bounded framing, typed decode errors and the
// well-formedness checks it leaves out. Packet types are mqtt-packet's own.

export { MQTT_DECODE_ERROR_CODES, MQTT_DECODE_ERRORS, MqttDecodeError, type MqttDecodeErrorCode } from './errors.ts';
export { MQTT_DEFAULT_LIMITS, MqttPacketDecoder, type MqttDecodeLimits, type MqttDecoderOptions, type MqttProtocolVersion } from './packet-decoder.ts';
export { encodeMqttPacket } from './packet-encoder.ts';
export type {
  IConnackPacket,
  IConnectPacket,
  IDisconnectPacket,
  IPubackPacket,
  IPubcompPacket,
  IPublishPacket,
  IPubrecPacket,
  IPubrelPacket,
  ISubackPacket,
  ISubscribePacket,
  ISubscription,
  IUnsubackPacket,
  IUnsubscribePacket,
  Packet,
  QoS,
  UserProperties,
} from 'mqtt-packet';
