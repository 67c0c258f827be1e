// MQTT PUBLISH <-> the engine's neutral message, as ActiveMQ's MQTT transport maps them: the payload
// is the body (bytes; MQTT 5 payload format indicator 1 marks text), QoS 0 is non-persistent and QoS
// 1/2 persistent, the QoS travels in the property `ActiveMQ.MQTT.QoS` and a retained publication in
// `ActiveMQ.Retain` (both ActiveMQ's names). MQTT 5: user properties <-> application properties,
// content type, correlation data <-> correlationId (binary data that is not UTF-8 rides in a property
// of its own), response topic <-> replyTo (a topic), message expiry interval <-> expiration. Topic
// names are destinations.ts's business; the packet's syntax is the codec's.

import { isUtf8 } from 'node:buffer';
import type { AmqMessage, AmqOutgoing, AmqPropertyValue, Destination } from '../../core/activemq/api.ts';
import { destinationToMqttTopic, mqttTopicToDestination } from '../../core/activemq/destinations.ts';
import type { IPublishPacket, QoS, UserProperties } from '../../codec/mqtt/index.ts';
import { MqttSessionError, REASON_CODE } from './errors.ts';

/** ActiveMQ's property for the QoS a message was published with. */
export const QOS_PROPERTY = 'ActiveMQ.MQTT.QoS';
/** ActiveMQ's property marking a retained publication. */
export const RETAIN_PROPERTY = 'ActiveMQ.Retain';
/** MQTT 5 correlation data that is not UTF-8 text, kept as bytes. */
export const CORRELATION_DATA_PROPERTY = 'MQTT.CorrelationData';
/** Properties this mapping owns: never shown to MQTT 5 receivers as user properties. */
const INTERNAL_PROPERTIES = new Set([QOS_PROPERTY, RETAIN_PROPERTY, CORRELATION_DATA_PROPERTY]);

/** The neutral message of an inbound PUBLISH whose topic (alias resolved) is `topic`. */
export function publishToMessage(packet: IPublishPacket, v5: boolean, now: number): AmqOutgoing {
  const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
  const properties: Record<string, AmqPropertyValue> = {};
  let bodyType: 'text' | 'bytes' = 'bytes';
  let expiration = 0;
  let contentType: string | undefined;
  let correlationId: string | undefined;
  let replyTo: Destination | undefined;
  const p = v5 ? packet.properties : undefined;
  if (p !== undefined) {
    for (const [name, value] of Object.entries(p.userProperties ?? {})) {
      // A repeated user property keeps its last value: JMS properties are a map.
      properties[name] = Array.isArray(value) ? (value[value.length - 1] ?? '') : value;
    }
    if (p.payloadFormatIndicator === true) {
      // A payload marked as UTF-8 must be UTF-8; the server may check it (5.0 §3.3.2.3.2).
      if (!isUtf8(payload)) throw new MqttSessionError(REASON_CODE.PAYLOAD_FORMAT_INVALID, 'payload is not UTF-8 as its format indicator says');
      bodyType = 'text';
    }
    if (p.messageExpiryInterval !== undefined && p.messageExpiryInterval > 0) expiration = now + p.messageExpiryInterval * 1000;
    contentType = p.contentType;
    if (p.correlationData !== undefined) {
      if (isUtf8(p.correlationData)) correlationId = p.correlationData.toString('utf8');
      else properties[CORRELATION_DATA_PROPERTY] = new Uint8Array(p.correlationData);
    }
    if (p.responseTopic !== undefined) {
      // [MQTT-3.3.2-14] the Response Topic is a topic name: no wildcards.
      try {
        replyTo = mqttTopicToDestination(p.responseTopic);
      } catch {
        throw new MqttSessionError(REASON_CODE.PROTOCOL_ERROR, 'response topic is not a valid topic name');
      }
    }
  }
  properties[QOS_PROPERTY] = packet.qos;
  if (packet.retain) properties[RETAIN_PROPERTY] = true;
  // One object shape for every message (absent fields are undefined): the engine copies these on
  // its hot path, where a shape per combination of optional fields would be slower.
  return { body: payload, bodyType, persistent: packet.qos > 0, priority: 4, expiration, properties, contentType, correlationId, replyTo };
}

/** The message kept as a topic's retained message (the engine wants a whole message). */
export function retainedMessage(outgoing: AmqOutgoing, now: number): AmqMessage {
  return { ...outgoing, timestamp: now, priority: outgoing.priority ?? 4, expiration: outgoing.expiration ?? 0, properties: outgoing.properties ?? {} };
}

/**
 * The QoS a message was published with: MQTT's own from its property; from other protocols, QoS 2
 * for a persistent message and 0 for a non-persistent one (the reverse of the inbound mapping).
 */
export function messageQos(message: AmqMessage): QoS {
  const q = message.properties[QOS_PROPERTY];
  if (q === 0 || q === 1 || q === 2) return q;
  return message.persistent ? 2 : 0;
}

export interface OutboundPublish {
  readonly topic: string;
  readonly qos: QoS;
  readonly messageId?: number | undefined;
  readonly dup: boolean;
  readonly retain: boolean;
  readonly subscriptionIdentifier?: number | undefined;
}

/** The PUBLISH packet carrying a message to a subscriber. */
export function messageToPublish(message: AmqMessage, out: OutboundPublish, v5: boolean, now: number): IPublishPacket {
  const packet: IPublishPacket = {
    cmd: 'publish',
    topic: out.topic,
    payload: Buffer.from(message.body.buffer, message.body.byteOffset, message.body.byteLength),
    qos: out.qos,
    dup: out.dup,
    retain: out.retain,
    ...(out.qos > 0 ? { messageId: out.messageId } : {}),
  };
  if (!v5) return packet;
  const properties: NonNullable<IPublishPacket['properties']> = {};
  const userProperties: UserProperties = {};
  let anyUser = false;
  for (const [name, value] of Object.entries(message.properties)) {
    if (INTERNAL_PROPERTIES.has(name) || value === null || value instanceof Uint8Array) continue;
    userProperties[name] = typeof value === 'string' ? value : String(value);
    anyUser = true;
  }
  if (anyUser) properties.userProperties = userProperties;
  if (message.bodyType === 'text') properties.payloadFormatIndicator = true;
  if (message.contentType !== undefined) properties.contentType = message.contentType;
  const binaryCorrelation = message.properties[CORRELATION_DATA_PROPERTY];
  if (binaryCorrelation instanceof Uint8Array) properties.correlationData = Buffer.from(binaryCorrelation);
  else if (message.correlationId !== undefined) properties.correlationData = Buffer.from(message.correlationId, 'utf8');
  if (message.replyTo !== undefined && (message.replyTo.kind === 'topic' || message.replyTo.kind === 'temp-topic')) {
    properties.responseTopic = destinationToMqttTopic(message.replyTo);
  }
  // [MQTT-3.3.2-6] the interval sent is what is left of the lifetime.
  if (message.expiration > 0) properties.messageExpiryInterval = Math.max(1, Math.ceil((message.expiration - now) / 1000));
  if (out.subscriptionIdentifier !== undefined) properties.subscriptionIdentifier = out.subscriptionIdentifier;
  if (Object.keys(properties).length > 0) packet.properties = properties;
  return packet;
}
