// Public surface of the MQTT session: the per-connection state machine on a byte stream, its
// error-to-reason-code mapping, the PUBLISH <-> neutral message mapping and the session registry.

export { createMqttSession, type MqttSession, type MqttSessionOptions } from './session.ts';
export { CONNACK_RETURN_CODE, REASON_CODE, MqttSessionError, closeReasonFor, connackCodeFor, publishReasonFor, subscribeFailureFor } from './errors.ts';
export { messageQos, messageToPublish, publishToMessage, QOS_PROPERTY, RETAIN_PROPERTY, CORRELATION_DATA_PROPERTY } from './message-mapping.ts';
export { MqttSessionRegistry, sessionRegistryFor, type MqttSessionState } from './session-state.ts';
