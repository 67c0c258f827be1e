// The one place where an MQTT session turns an error into the wire's terms: decode errors from the
// codec adapter, AmqErrors from the engine and the session's own protocol errors become a CONNACK
// return code (3.1.1), a CONNACK, PUBACK/PUBREC, SUBACK or DISCONNECT reason code (5.0), or, where
// 3.1.1 has no code, a plain close. Reason strings are fixed words or the engine's safe messages:
// never a topic's content, a payload or a credential. Anything unexpected is a bug: 0x80, no detail.

import { AmqError, type AmqErrorCode } from '../../core/activemq/api.ts';
import { MqttDecodeError } from '../../codec/mqtt/index.ts';

/** MQTT 3.1.1 CONNACK return codes (§3.2.2.3). */
export const CONNACK_RETURN_CODE = {
  ACCEPTED: 0x00,
  UNACCEPTABLE_PROTOCOL_VERSION: 0x01,
  IDENTIFIER_REJECTED: 0x02,
  SERVER_UNAVAILABLE: 0x03,
  BAD_USER_NAME_OR_PASSWORD: 0x04,
  NOT_AUTHORIZED: 0x05,
} as const;

/** MQTT 5 reason codes (§2.4), named as in the spec. */
export const REASON_CODE = {
  SUCCESS: 0x00,
  NORMAL_DISCONNECTION: 0x00,
  GRANTED_QOS_0: 0x00,
  GRANTED_QOS_1: 0x01,
  GRANTED_QOS_2: 0x02,
  DISCONNECT_WITH_WILL_MESSAGE: 0x04,
  NO_MATCHING_SUBSCRIBERS: 0x10,
  NO_SUBSCRIPTION_EXISTED: 0x11,
  UNSPECIFIED_ERROR: 0x80,
  MALFORMED_PACKET: 0x81,
  PROTOCOL_ERROR: 0x82,
  IMPLEMENTATION_SPECIFIC_ERROR: 0x83,
  UNSUPPORTED_PROTOCOL_VERSION: 0x84,
  CLIENT_IDENTIFIER_NOT_VALID: 0x85,
  BAD_USER_NAME_OR_PASSWORD: 0x86,
  NOT_AUTHORIZED: 0x87,
  SERVER_UNAVAILABLE: 0x88,
  SERVER_BUSY: 0x89,
  SERVER_SHUTTING_DOWN: 0x8b,
  BAD_AUTHENTICATION_METHOD: 0x8c,
  KEEP_ALIVE_TIMEOUT: 0x8d,
  SESSION_TAKEN_OVER: 0x8e,
  TOPIC_FILTER_INVALID: 0x8f,
  TOPIC_NAME_INVALID: 0x90,
  PACKET_IDENTIFIER_IN_USE: 0x91,
  PACKET_IDENTIFIER_NOT_FOUND: 0x92,
  RECEIVE_MAXIMUM_EXCEEDED: 0x93,
  TOPIC_ALIAS_INVALID: 0x94,
  PACKET_TOO_LARGE: 0x95,
  QUOTA_EXCEEDED: 0x97,
  ADMINISTRATIVE_ACTION: 0x98,
  PAYLOAD_FORMAT_INVALID: 0x99,
  SHARED_SUBSCRIPTIONS_NOT_SUPPORTED: 0x9e,
} as const;

/** SUBACK failure in 3.1.1 (§3.9.3). */
export const SUBACK_FAILURE_V4 = 0x80;

/** A protocol error the session itself detects; `reasonCode` is the MQTT 5 code it calls for. */
export class MqttSessionError extends Error {
  constructor(
    readonly reasonCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'MqttSessionError';
  }
}

/** How a connection ends: the DISCONNECT reason (MQTT 5) and whether it is our fault. */
export interface CloseReason {
  readonly reasonCode: number;
  readonly reasonString: string;
  /** True for errors that are the session's fault (logged as errors, not as peer mistakes). */
  readonly internal: boolean;
}

const ENGINE_REASON: Readonly<Record<AmqErrorCode, number>> = {
  'not-authorized': REASON_CODE.NOT_AUTHORIZED,
  'invalid-destination': REASON_CODE.TOPIC_NAME_INVALID,
  'invalid-selector': REASON_CODE.IMPLEMENTATION_SPECIFIC_ERROR,
  'resource-limit': REASON_CODE.QUOTA_EXCEEDED,
  'invalid-transaction': REASON_CODE.IMPLEMENTATION_SPECIFIC_ERROR,
  'unknown-delivery': REASON_CODE.IMPLEMENTATION_SPECIFIC_ERROR,
  'client-id-in-use': REASON_CODE.CLIENT_IDENTIFIER_NOT_VALID,
  'subscription-in-use': REASON_CODE.IMPLEMENTATION_SPECIFIC_ERROR,
  'store-unavailable': REASON_CODE.SERVER_UNAVAILABLE,
  closed: REASON_CODE.SERVER_SHUTTING_DOWN,
};

/** Maps any error met while serving a connection to the DISCONNECT it ends with. */
export function closeReasonFor(error: unknown): CloseReason {
  if (error instanceof MqttDecodeError) return { reasonCode: error.reasonCode, reasonString: error.message, internal: false };
  if (error instanceof MqttSessionError) return { reasonCode: error.reasonCode, reasonString: error.message, internal: false };
  if (error instanceof AmqError) return { reasonCode: ENGINE_REASON[error.code], reasonString: error.message, internal: false };
  return { reasonCode: REASON_CODE.UNSPECIFIED_ERROR, reasonString: 'internal error', internal: true };
}

/** The CONNACK code for a refused CONNECT, per protocol level. */
export function connackCodeFor(error: unknown, protocolVersion: number): number {
  const v5 = protocolVersion === 5;
  if (error instanceof AmqError) {
    switch (error.code) {
      // The engine says 'not-authorized' for any failed login, without detail. MQTT 5 has a code
      // for exactly that; 3.1.1 answers "not authorized" as ActiveMQ does for a refused login.
      case 'not-authorized':
        return v5 ? REASON_CODE.BAD_USER_NAME_OR_PASSWORD : CONNACK_RETURN_CODE.NOT_AUTHORIZED;
      case 'client-id-in-use':
        return v5 ? REASON_CODE.CLIENT_IDENTIFIER_NOT_VALID : CONNACK_RETURN_CODE.IDENTIFIER_REJECTED;
      case 'resource-limit':
        return v5 ? REASON_CODE.QUOTA_EXCEEDED : CONNACK_RETURN_CODE.SERVER_UNAVAILABLE;
      case 'invalid-destination':
        return v5 ? REASON_CODE.TOPIC_NAME_INVALID : CONNACK_RETURN_CODE.SERVER_UNAVAILABLE;
      default:
        return v5 ? REASON_CODE.SERVER_UNAVAILABLE : CONNACK_RETURN_CODE.SERVER_UNAVAILABLE;
    }
  }
  if (error instanceof MqttSessionError) {
    if (!v5) {
      if (error.reasonCode === REASON_CODE.CLIENT_IDENTIFIER_NOT_VALID) return CONNACK_RETURN_CODE.IDENTIFIER_REJECTED;
      return CONNACK_RETURN_CODE.SERVER_UNAVAILABLE;
    }
    return error.reasonCode;
  }
  return v5 ? REASON_CODE.UNSPECIFIED_ERROR : CONNACK_RETURN_CODE.SERVER_UNAVAILABLE;
}

/** The MQTT 5 PUBACK/PUBREC reason code for a PUBLISH the engine refused (3.1.1 closes instead). */
export function publishReasonFor(error: unknown): number {
  if (error instanceof AmqError) {
    switch (error.code) {
      case 'not-authorized':
        return REASON_CODE.NOT_AUTHORIZED;
      case 'invalid-destination':
        return REASON_CODE.TOPIC_NAME_INVALID;
      case 'resource-limit':
        return REASON_CODE.QUOTA_EXCEEDED;
      default:
        return REASON_CODE.UNSPECIFIED_ERROR;
    }
  }
  if (error instanceof MqttSessionError) return error.reasonCode;
  return REASON_CODE.UNSPECIFIED_ERROR;
}

/** The SUBACK code for a filter the engine or the session refused. */
export function subscribeFailureFor(error: unknown, protocolVersion: number): number {
  if (protocolVersion !== 5) return SUBACK_FAILURE_V4;
  if (error instanceof AmqError) {
    switch (error.code) {
      case 'not-authorized':
        return REASON_CODE.NOT_AUTHORIZED;
      case 'invalid-destination':
        return REASON_CODE.TOPIC_FILTER_INVALID;
      case 'resource-limit':
        return REASON_CODE.QUOTA_EXCEEDED;
      default:
        return REASON_CODE.UNSPECIFIED_ERROR;
    }
  }
  if (error instanceof MqttSessionError) return error.reasonCode;
  return REASON_CODE.UNSPECIFIED_ERROR;
}

/** True when an error is worth a log line at error level (a bug), not a client's mistake. */
export function isInternal(error: unknown): boolean {
  return closeReasonFor(error).internal;
}
