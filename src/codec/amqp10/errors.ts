// The one error type the AMQP 1.0 decoder throws for bad input, carrying the error condition the
// session must close the connection with (AMQP 1.0 part 2, section 2.8.15 and 2.8.16). Building the
// close performative from it is the session's job, in one place; this file only names the codes and
// keeps descriptions free of peer bytes, so addresses or message data cannot leak into logs.

/** The error conditions a codec error can carry (the symbols of the spec's amqp-error and connection-error). */
export const CODEC_ERROR_CONDITION = {
  DECODE_ERROR: 'amqp:decode-error',
  INVALID_FIELD: 'amqp:invalid-field',
  FRAME_SIZE_TOO_SMALL: 'amqp:frame-size-too-small',
  FRAMING_ERROR: 'amqp:connection:framing-error',
  NOT_IMPLEMENTED: 'amqp:not-implemented',
} as const;

/** Name of a condition a codec error can carry. */
export type CodecErrorConditionName = keyof typeof CODEC_ERROR_CONDITION;

/** Stable codes for the ways input can be bad; tests and metrics key on these, not on messages. */
export type Amqp10DecodeErrorCode =
  /** The 8 octets before any frame are not `AMQP` 0 1 0 0 or `AMQP` 3 1 0 0. */
  | 'PROTOCOL_HEADER_MISMATCH'
  /** A frame declares a size below 8 octets, or a data offset that does not fit it. */
  | 'BAD_FRAME_HEADER'
  /** A frame declares a size above the max-frame-size in force (refused before any buffering). */
  | 'FRAME_TOO_LARGE'
  /** A frame type other than 0x00 (AMQP) or 0x01 (SASL). */
  | 'UNKNOWN_FRAME_TYPE'
  /** An AMQP performative in a SASL frame, a SASL one in an AMQP frame, or no performative at all. */
  | 'UNEXPECTED_PERFORMATIVE'
  /** An encoded value runs past the end of its frame, list, map or array. */
  | 'TRUNCATED'
  /** A format code the type system does not define. */
  | 'UNKNOWN_CONSTRUCTOR'
  /** A compound or array whose size and count contradict each other or its content. */
  | 'BAD_COMPOUND_SIZE'
  /** A map with an odd number of items. */
  | 'ODD_MAP_COUNT'
  /** A string that is not UTF-8, a symbol that is not ASCII, a char that is not a Unicode scalar. */
  | 'BAD_TEXT'
  /** A boolean octet other than 0x00 or 0x01. */
  | 'BAD_BOOLEAN'
  /** Lists, maps, arrays and described values nested deeper than the codec accepts. */
  | 'TOO_DEEP'
  /** An array whose element constructor is a described type of a described type (not supported). */
  | 'UNSUPPORTED_ARRAY'
  /** Octets left over after a performative (other than a transfer's payload) or a section. */
  | 'TRAILING_BYTES'
  /** A descriptor that names no known composite where one is expected. */
  | 'UNKNOWN_DESCRIPTOR'
  /** A field of a composite holds a value of the wrong type. */
  | 'BAD_FIELD_TYPE'
  /** A mandatory field of a composite is null or absent, or a restricted field holds no valid choice. */
  | 'BAD_FIELD_VALUE'
  /** Message sections out of order, repeated, or of a kind that is not a section. */
  | 'BAD_SECTION';

const DESCRIPTION_MAX_CHARS = 200;

/**
 * Bad input from the peer. `condition` is the symbol to put in the close performative's error;
 * `description` is its text, made only of fixed words and numbers.
 */
export class Amqp10DecodeError extends Error {
  readonly description: string;

  constructor(
    readonly code: Amqp10DecodeErrorCode,
    readonly conditionName: CodecErrorConditionName,
    /** Explanation with no peer-supplied text in it: only numbers and fixed words. */
    description: string,
  ) {
    // Bad peer input is an operating error, not a bug: skipping the stack capture keeps a flood of
    // bad frames cheap to refuse.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(`${code}: ${description}`);
    Error.stackTraceLimit = stackTraceLimit;
    this.name = 'Amqp10DecodeError';
    this.description = description.length > DESCRIPTION_MAX_CHARS ? `${description.slice(0, DESCRIPTION_MAX_CHARS - 3)}...` : description;
  }

  /** The AMQP error condition symbol, e.g. `amqp:decode-error`. */
  get condition(): string {
    return CODEC_ERROR_CONDITION[this.conditionName];
  }
}

/**
 * A frame we were about to send does not fit the peer's max-frame-size (only transfers can be
 * split). The session closes with `amqp:frame-size-too-small` (part 2, section 2.8.15).
 */
export class Amqp10FrameSizeError extends Error {
  readonly condition = CODEC_ERROR_CONDITION.FRAME_SIZE_TOO_SMALL;

  constructor(
    readonly frameBytes: number,
    readonly frameSizeMaxBytes: number,
  ) {
    super(`a ${frameBytes}-octet frame exceeds the peer's max-frame-size of ${frameSizeMaxBytes}`);
    this.name = 'Amqp10FrameSizeError';
  }
}

/** Shorthand for the most common case: malformed type encoding. */
export function decodeError(code: Amqp10DecodeErrorCode, description: string): Amqp10DecodeError {
  return new Amqp10DecodeError(code, 'DECODE_ERROR', description);
}
