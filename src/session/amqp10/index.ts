// Public surface of the AMQP 1.0 session of the ActiveMQ engine: the per-connection state machine
// over any byte stream (TLS socket or WebSocket stream), the message mapping and the error mapping.

export { Amqp10Session, createAmqp10Session, type Amqp10SessionOptions } from './session.ts';
export { incomingMessage, outgoingPayload, ORIGINAL_ENCODING, ORIGINAL_ENCODING_PROPERTY } from './message-mapping.ts';
export { Amqp10SessionError, AMQ_ERROR_CONDITION, errorReplyFor, deliveryErrorReplyFor, type ErrorReply, type ErrorScope } from './errors.ts';
