// Public surface of the AMQP 0-9-1 session: the per-connection state machine, the property codec
// the broker core is given for AMQP messages, and the error-to-close mapping.

export { Amqp091Session, createAmqp091Session, SERVER_CAPABILITIES, type Amqp091Authenticator, type Amqp091SessionOptions } from './session.ts';
export { amqp091PropertiesCodec, fieldTableToHeaders, headersToFieldTable, viewOfProperties } from './properties-codec.ts';
export { Amqp091SessionError, closeReasonFor, type CloseReason } from './errors.ts';
