// Decode errors of the MQTT codec adapter: one class with a stable code, which the session maps to
// a CONNACK return code (3.1.1), a CONNACK or DISCONNECT reason code (5.0), or a plain close. The
// messages are fixed words and limits and never echo the input.

/** Stable codes, each with the MQTT 5 reason code a server answers it with. */
export const MQTT_DECODE_ERRORS = {
  /** 0x81: the bytes do not form a packet (bad remaining length, reserved flags, invalid UTF-8, short fields). */
  'malformed-packet': 0x81,
  /** 0x82: well formed, but against the protocol (duplicate property, server-only packet type, empty SUBSCRIBE). */
  'protocol-error': 0x82,
  /** 0x95: the fixed header declares more than the server accepts. */
  'packet-too-large': 0x95,
  /** 0x84 (3.1.1: CONNACK return code 1): a CONNECT with a protocol level we do not speak. */
  'unsupported-protocol-version': 0x84,
} as const;

export type MqttDecodeErrorCode = keyof typeof MQTT_DECODE_ERRORS;
export const MQTT_DECODE_ERROR_CODES = Object.keys(MQTT_DECODE_ERRORS) as MqttDecodeErrorCode[];

/** Input the decoder refuses; the connection that sent it must be closed. */
export class MqttDecodeError extends Error {
  readonly code: MqttDecodeErrorCode;
  constructor(code: MqttDecodeErrorCode, message: string) {
    super(message);
    this.name = 'MqttDecodeError';
    this.code = code;
  }

  /** The MQTT 5 reason code for this error (DISCONNECT, or CONNACK before the session exists). */
  get reasonCode(): number {
    return MQTT_DECODE_ERRORS[this.code];
  }
}
