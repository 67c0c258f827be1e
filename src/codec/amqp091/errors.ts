// The one error type the AMQP 0-9-1 decoder throws for bad input, carrying the reply code the session
// must close the connection with. Turning it into a connection.close frame is the session's job (one
// place, in the session); this file only names the codes and formats a reply text that never echoes
// peer bytes, so that queue names or message data cannot leak into logs through an error message.
//
// The reply codes are written out here rather than imported from generated.ts, because generated.ts
// imports the reader, which throws these errors; errors.test.ts checks each one against the spec.

/** The reply codes a decode error can carry (all hard errors: they close the connection). */
export const DECODE_REPLY_CODE = {
  FRAME_ERROR: 501,
  SYNTAX_ERROR: 502,
  COMMAND_INVALID: 503,
  CHANNEL_ERROR: 504,
  UNEXPECTED_FRAME: 505,
  NOT_IMPLEMENTED: 540,
} as const;

/** Name of a reply code a decode error can carry. */
export type DecodeReplyCodeName = keyof typeof DECODE_REPLY_CODE;

/** Stable codes for the ways input can be bad; tests and metrics key on these, not on messages. */
export type Amqp091DecodeErrorCode =
  /** The first 8 octets are not `AMQP 0 0 9 1`: reply with our protocol header and close the socket. */
  | 'PROTOCOL_HEADER_MISMATCH'
  /** A frame type other than method, header, body or heartbeat. */
  | 'UNKNOWN_FRAME_TYPE'
  /** A frame whose declared size exceeds the frame_max in force (refused before any buffering). */
  | 'FRAME_TOO_LARGE'
  /** The octet after the payload is not frame-end (0xCE). */
  | 'BAD_FRAME_END'
  /** A field runs past the end of its frame or table. */
  | 'TRUNCATED'
  /** Octets left over after the last argument of a method. */
  | 'TRAILING_BYTES'
  /** A heartbeat frame with a payload. */
  | 'BAD_HEARTBEAT'
  /** A heartbeat, or a connection-class method, on a channel other than 0. */
  | 'NOT_ON_CHANNEL_ZERO'
  /** A method of another class than connection on channel 0. */
  | 'METHOD_ON_CHANNEL_ZERO'
  /** A content header or body frame on channel 0. */
  | 'CONTENT_ON_CHANNEL_ZERO'
  /** A (class-id, method-id) pair the specification does not define. */
  | 'UNKNOWN_METHOD'
  /** A content header for a class that carries no content. */
  | 'UNKNOWN_CONTENT_CLASS'
  /** A field-table value type tag that RabbitMQ does not define. */
  | 'UNKNOWN_FIELD_TYPE'
  /** A short string (name, routing key, table key, property) whose octets are not UTF-8. */
  | 'BAD_SHORTSTR'
  /** Field tables and arrays nested deeper than the codec accepts. */
  | 'TABLE_TOO_DEEP'
  /** Property flags naming properties the class does not have, or a continuation flag word. */
  | 'BAD_PROPERTY_FLAGS';

/** Options for {@link Amqp091DecodeError}: where the bad input was, for the close frame. */
export interface Amqp091DecodeErrorContext {
  channel?: number;
  classId?: number;
  methodId?: number;
}

const REPLY_TEXT_MAX_BYTES = 255;

/**
 * Bad input from the peer. `replyCode` and `replyText` go into `connection.close`; `classId` and
 * `methodId` are those of the offending method where known, else 0. For `PROTOCOL_HEADER_MISMATCH`
 * no close method is sent: the spec says to answer with our protocol header and close the socket.
 */
export class Amqp091DecodeError extends Error {
  /** Reply text for connection.close, e.g. `FRAME_ERROR - bad frame end octet`; at most 255 bytes. */
  readonly replyText: string;
  readonly channel: number;
  readonly classId: number;
  readonly methodId: number;

  constructor(
    readonly code: Amqp091DecodeErrorCode,
    readonly replyCodeName: DecodeReplyCodeName,
    /** Explanation with no peer-supplied text in it: only numbers and fixed words. */
    explanation: string,
    context: Amqp091DecodeErrorContext = {},
  ) {
    const text = clampReplyText(`${replyCodeName} - ${explanation}`);
    // Bad peer input is an operating error, not a bug: its stack says nothing useful, and skipping
    // the capture keeps a flood of bad frames cheap to refuse.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(text);
    Error.stackTraceLimit = stackTraceLimit;
    this.name = 'Amqp091DecodeError';
    this.replyText = text;
    this.channel = context.channel ?? 0;
    this.classId = context.classId ?? 0;
    this.methodId = context.methodId ?? 0;
  }

  /** The AMQP reply code to close the connection with. */
  get replyCode(): number {
    return DECODE_REPLY_CODE[this.replyCodeName];
  }

  /** The same error with the frame's channel and method filled in, where they were unknown. */
  withContext(context: Amqp091DecodeErrorContext): Amqp091DecodeError {
    const explanation = this.replyText.slice(this.replyCodeName.length + 3);
    return new Amqp091DecodeError(this.code, this.replyCodeName, explanation, {
      channel: this.channel || context.channel,
      classId: this.classId || context.classId,
      methodId: this.methodId || context.methodId,
    });
  }
}

/**
 * Cuts a reply text to the 255 octets a shortstr holds, on a character boundary, ending in `...`
 * when cut. Sessions use it for their own close texts too (a queue name in a message can be long).
 */
export function clampReplyText(text: string): string {
  if (Buffer.byteLength(text, 'utf8') <= REPLY_TEXT_MAX_BYTES) return text;
  let cut = '';
  let bytes = 0;
  for (const ch of text) {
    const n = Buffer.byteLength(ch, 'utf8');
    if (bytes + n > REPLY_TEXT_MAX_BYTES - 3) break;
    cut += ch;
    bytes += n;
  }
  return `${cut}...`;
}
