// The one error type the STOMP frame decoder throws for bad input. A STOMP peer that sends a bad frame
// gets an ERROR frame and the connection is closed (STOMP 1.2 "ERROR"); building that frame is the
// session's job, in one place. This file names the stable codes and keeps the message short and free
// of peer bytes (only fixed words and numbers), so that it can go into the ERROR frame's `message`
// header and into logs without echoing a huge or hostile input.

/** Stable codes for the ways input can be bad; tests and metrics key on these, not on messages. */
export const STOMP_DECODE_ERROR_CODES = [
  /** A command line that is not a STOMP command this side accepts (or not one at all). */
  'BAD_COMMAND',
  /** A header line without a colon, with an empty name, or with a NUL octet in it. */
  'BAD_HEADER_LINE',
  /** An undefined escape sequence (`\t`, a trailing `\`) in a 1.1/1.2 header. */
  'BAD_ESCAPE',
  /** A `content-length` that is not a decimal number of octets. */
  'BAD_CONTENT_LENGTH',
  /** The octet after a `content-length` body is not NUL. */
  'MISSING_NUL',
  /** More header lines than the configured maximum. */
  'TOO_MANY_HEADERS',
  /** A header line longer than the configured maximum. */
  'HEADER_TOO_LARGE',
  /** A body longer than the configured maximum. */
  'BODY_TOO_LARGE',
  /** A frame (command line to NUL) longer than the configured maximum. */
  'FRAME_TOO_LARGE',
  /** A command or header line that is not valid UTF-8. */
  'BAD_UTF8',
] as const;

/** A stable decode error code. */
export type StompDecodeErrorCode = (typeof STOMP_DECODE_ERROR_CODES)[number];

/**
 * Bad input from the peer. `message` is short, ASCII, has no peer-supplied text in it, and is safe
 * to send as the `message` header of an ERROR frame. After this error the connection must close.
 */
export class StompDecodeError extends Error {
  constructor(
    readonly code: StompDecodeErrorCode,
    /** Explanation with no peer-supplied text in it: only fixed words and numbers. */
    message: string,
  ) {
    // Bad peer input is an operating error, not a bug: its stack says nothing useful, and skipping
    // the capture keeps a flood of bad frames cheap to refuse.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = stackTraceLimit;
    this.name = 'StompDecodeError';
  }
}
