// The ACTIVEMQ engine's public surface: the session-facing API, the engine factory and its options,
// the properties codec the broker core is opened with, destinations, selectors and authorization.

export * from './api.ts';
export { ACTIVEMQ_BROKER_OPTIONS, createActiveMqEngine, ActiveMqEngine, DLQ_NAME, TOPIC_EXCHANGE, type ActiveMqEngineOptions } from './engine.ts';
export { activeMqPropertiesCodec, createActiveMqPropertiesCodec, decodeAmqProperties, encodeAmqProperties, DLQ_DELIVERY_FAILURE_CAUSE } from './properties-codec.ts';
export { Authorizer, GROUP_TAG_PREFIX, groupTags, groupsOfTags, type AuthorizationEntry, type AuthorizationOperation } from './authorization.ts';
