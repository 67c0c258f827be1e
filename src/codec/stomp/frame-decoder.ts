// Streaming STOMP 1.0/1.1/1.2 frame decoder: feed it socket chunks of any size, pull frames and
// heart-beats out. It owns frame syntax, header escaping per version, bodies (NUL-ended or sized by
// content-length), the size limits, and the refusal of commands the other side does not send.
// Version negotiation, required headers and frame order are the session's, which also turns a
// StompDecodeError into an ERROR frame and a close, in one place.
//
//   COMMAND EOL                       EOL  = LF, or CR LF (CR LF for headers in 1.2 only)
//   name:value EOL                    at most headerLineCountMax lines of headerSizeMaxBytes each
//   ...                               (escaped in 1.1/1.2 except CONNECT/CONNECTED; first one wins)
//   EOL
//   body NUL                          body of content-length octets (may hold NULs), else up to NUL
//   EOL*                              heart-beats: each EOL between frames is yielded as one
//
//   |<---------------------- frame: at most frameSizeMaxBytes, NUL included ------------------->|
//
// Limits are checked as the bytes arrive, at the first octet that breaks one: a header line, body
// or frame is refused as soon as it is one octet too long, and a content-length too large at once,
// before its body is waited for. So, after `next` returns undefined, the decoder holds at most
// frameSizeMaxBytes. Which limit is reported depends only on the bytes, never on how they were cut
// into chunks. Bodies are views into the pushed chunks (or into the decoder's own buffer, which is
// only ever appended to); the decoder never modifies what it is given.

import { isUtf8 } from 'node:buffer';
import { StompDecodeError } from './errors.ts';
import {
  COMMAND_MAX_BYTES,
  decodeHeaderText,
  headersEscaped,
  STOMP_CLIENT_COMMANDS,
  STOMP_SERVER_COMMANDS,
  STOMP_VERSIONS,
  type StompCommand,
  type StompDecoded,
  type StompFrame,
  type StompHeartbeat,
  type StompVersion,
} from './frame.ts';

const LF = 0x0a;
const CR = 0x0d;
const NUL = 0x00;
const COLON = 0x3a;

/** Limits a decoder enforces; every one is checked before the bytes beyond it are waited for. */
export interface StompDecodeLimits {
  /** Largest frame, command line to NUL included. */
  readonly frameSizeMaxBytes: number;
  /** Largest body. */
  readonly bodySizeMaxBytes: number;
  /** Longest header line, name, colon and value as sent (escapes and a 1.2 CR counted), LF excluded. */
  readonly headerSizeMaxBytes: number;
  /** Most header lines in one frame, repeated ones included. */
  readonly headerLineCountMax: number;
}

/** ActiveMQ's defaults (maxHeaders 1000, maxHeaderLength 10240, maxDataLength 100 MiB) plus room for headers. */
export const STOMP_DEFAULT_LIMITS: StompDecodeLimits = Object.freeze({
  frameSizeMaxBytes: 100 * 1024 * 1024 + 1024 * 1024,
  bodySizeMaxBytes: 100 * 1024 * 1024,
  headerSizeMaxBytes: 10 * 1024,
  headerLineCountMax: 1000,
});

/** Smallest frame limit accepted: room for any command line, so that only BAD_COMMAND refuses one. */
export const FRAME_SIZE_MAX_MIN_BYTES = 64;

/** Options for {@link StompFrameDecoder}. */
export interface StompFrameDecoderOptions extends Partial<StompDecodeLimits> {
  /**
   * Who sends the bytes: `client` (the broker side, default) accepts client commands only,
   * `server` accepts server commands only.
   */
  peer?: 'client' | 'server';
  /**
   * Version whose header rules apply. Default 1.2: before negotiation the peer sends only
   * CONNECT/STOMP (or CONNECTED), which are never escaped, and 1.2 is the version that accepts CR LF.
   * The session sets the negotiated version with setVersion.
   */
  version?: StompVersion;
}

type Phase = 'idle' | 'command' | 'headers' | 'body';

const HEARTBEAT: StompHeartbeat = Object.freeze({ type: 'heartbeat' });
const EMPTY = Buffer.alloc(0);
/** The decoder's own buffer is never smaller than this, so that a trickled frame costs few copies. */
const OWNED_MIN_BYTES = 4096;

const CLIENT_COMMANDS: ReadonlyMap<string, StompCommand> = new Map(STOMP_CLIENT_COMMANDS.map((c) => [c, c]));
const SERVER_COMMANDS: ReadonlyMap<string, StompCommand> = new Map(STOMP_SERVER_COMMANDS.map((c) => [c, c]));

/**
 * Turns a byte stream into STOMP frames and heart-beats. `push` chunks as they arrive, then call
 * `next` until it returns undefined (more bytes needed). Errors are sticky: after one, `next` throws
 * it again, and the bytes held are released.
 */
export class StompFrameDecoder {
  /** Bytes [start, end) of data are unconsumed. data is either a pushed chunk or owned (see push). */
  private data: Buffer = EMPTY;
  private start = 0;
  private end = 0;
  private owned = false;
  private failure: StompDecodeError | undefined;
  private limits: StompDecodeLimits;
  private readonly commands: ReadonlyMap<string, StompCommand>;
  private version: StompVersion;

  // The frame being parsed. Positions are relative to `start`, the first byte of the frame, which
  // does not move until the frame is complete, so that reallocating `data` does not disturb them.
  private phase: Phase = 'idle';
  /** Where scanning for the end of the current line (or the body's NUL) resumes. */
  private scan = 0;
  private lineStart = 0;
  private command: StompCommand = 'SEND';
  private headers = new Map<string, string>();
  private headerLineCount = 0;
  private bodyStart = 0;
  /** The body length from content-length, or -1 for a body ended by the first NUL. */
  private contentLength = -1;

  constructor(options: StompFrameDecoderOptions = {}) {
    this.limits =
      options.frameSizeMaxBytes === undefined &&
      options.bodySizeMaxBytes === undefined &&
      options.headerSizeMaxBytes === undefined &&
      options.headerLineCountMax === undefined
        ? STOMP_DEFAULT_LIMITS
        : checkLimits({
            frameSizeMaxBytes: options.frameSizeMaxBytes ?? STOMP_DEFAULT_LIMITS.frameSizeMaxBytes,
            bodySizeMaxBytes: options.bodySizeMaxBytes ?? STOMP_DEFAULT_LIMITS.bodySizeMaxBytes,
            headerSizeMaxBytes: options.headerSizeMaxBytes ?? STOMP_DEFAULT_LIMITS.headerSizeMaxBytes,
            headerLineCountMax: options.headerLineCountMax ?? STOMP_DEFAULT_LIMITS.headerLineCountMax,
          });
    this.commands = (options.peer ?? 'client') === 'client' ? CLIENT_COMMANDS : SERVER_COMMANDS;
    this.version = checkVersion(options.version ?? '1.2');
  }

  /** Unconsumed bytes held: after `next` returns undefined, at most frameSizeMaxBytes. */
  get bufferedBytes(): number {
    return this.end - this.start;
  }

  /** The version whose header rules apply. */
  get stompVersion(): StompVersion {
    return this.version;
  }

  /** The limits in force. */
  get decodeLimits(): StompDecodeLimits {
    return this.limits;
  }

  /** Applies the negotiated version's header rules to the frames after CONNECT. */
  setVersion(version: StompVersion): void {
    this.version = checkVersion(version);
  }

  /**
   * Changes limits for the frames not yet started, e.g. wider once the peer has authenticated (a
   * session keeps unauthenticated peers to small frames). Call it between frames, right after `next`
   * returned one: bytes already pushed are checked against the new limits as they are parsed.
   */
  setLimits(limits: Partial<StompDecodeLimits>): void {
    this.limits = checkLimits({ ...this.limits, ...limits });
  }

  /** Adds bytes from the peer. The chunk must not be modified afterwards: frames may view it. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0 || this.failure !== undefined) return;
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    const live = this.end - this.start;
    if (live === 0) {
      // The common case, whole frames per chunk: parse the chunk in place, no copy.
      this.data = buf;
      this.start = 0;
      this.end = buf.length;
      this.owned = false;
      return;
    }
    if (this.owned && this.data.length - this.end >= buf.length) {
      // Appending never overwrites a byte handed out in a body view: those are all before `end`.
      buf.copy(this.data, this.end);
      this.end += buf.length;
      return;
    }
    // Grows geometrically, from the bytes live rather than the old capacity: a trickled frame costs
    // amortised one copy per byte, and a connection back to small frames gets a small buffer again.
    const bytes = Math.max(OWNED_MIN_BYTES, 2 * (live + buf.length));
    const next = Buffer.allocUnsafe(bytes);
    this.data.copy(next, 0, this.start, this.end);
    buf.copy(next, live);
    this.data = next;
    this.start = 0;
    this.end = live + buf.length;
    this.owned = true;
  }

  /** The next frame or heart-beat, or undefined if more bytes are needed. Throws StompDecodeError. */
  next(): StompDecoded | undefined {
    if (this.failure !== undefined) throw this.failure;
    try {
      return this.decodeNext();
    } catch (err) {
      if (err instanceof StompDecodeError) {
        this.failure = err;
        this.data = EMPTY;
        this.start = this.end = 0;
        this.headers = new Map();
      }
      throw err;
    }
  }

  /** Everything complete now buffered, in order. Throws StompDecodeError at the first bad frame. */
  *frames(): Generator<StompDecoded, void, undefined> {
    for (let f = this.next(); f !== undefined; f = this.next()) yield f;
  }

  private decodeNext(): StompDecoded | undefined {
    for (;;) {
      const avail = this.end - this.start;
      switch (this.phase) {
        case 'idle': {
          if (avail === 0) return undefined;
          const b = this.data[this.start]!;
          // Heart-beats and the EOLs a peer may put after a frame's NUL: LF, or CR LF in any
          // version (a command cannot hold CR, so accepting it here costs nothing).
          if (b === LF) return this.heartbeat(1);
          if (b === CR) {
            if (avail < 2) return undefined;
            if (this.data[this.start + 1] === LF) return this.heartbeat(2);
          }
          this.phase = 'command';
          this.scan = this.lineStart = 0;
          break;
        }
        case 'command': {
          // One more octet than the longest command, for a CR before the LF.
          const lf = this.findLineEnd(COMMAND_MAX_BYTES + 1, 'BAD_COMMAND');
          if (lf < 0) return undefined;
          this.parseCommand(lf);
          break;
        }
        case 'headers': {
          const lf = this.findLineEnd(this.limits.headerSizeMaxBytes, 'HEADER_TOO_LARGE');
          if (lf < 0) return undefined;
          if (this.parseHeaderLine(lf)) this.endHeaders(lf + 1);
          break;
        }
        case 'body':
          return this.contentLength >= 0 ? this.sizedBody(avail) : this.nulEndedBody(avail);
      }
    }
  }

  private heartbeat(n: number): StompHeartbeat {
    this.consume(n);
    return HEARTBEAT;
  }

  /**
   * Finds the LF ending the line that starts at lineStart, whose content (LF excluded) may be at
   * most `lineMaxBytes`. Returns its position, or -1 if more bytes are needed. Precondition: no line
   * and no frame is held beyond its limit; whichever limit the bytes break first is reported.
   */
  private findLineEnd(lineMaxBytes: number, code: 'BAD_COMMAND' | 'HEADER_TOO_LARGE'): number {
    const avail = this.end - this.start;
    const lineErrorAt = this.lineStart + lineMaxBytes;
    const frameErrorAt = this.limits.frameSizeMaxBytes;
    const searchEnd = Math.min(avail, lineErrorAt + 1, frameErrorAt);
    if (this.scan < searchEnd) {
      const at = this.search(LF, searchEnd);
      if (at >= 0) return at;
      this.scan = searchEnd;
    }
    // A line whose octet at lineErrorAt is not its LF is too long; a frame with an octet at
    // frameErrorAt (even an LF: the NUL is still to come) is too large.
    if (lineErrorAt < frameErrorAt) {
      if (avail > lineErrorAt) {
        throw code === 'BAD_COMMAND'
          ? new StompDecodeError(code, 'unknown command')
          : new StompDecodeError(code, `header line exceeds ${lineMaxBytes} bytes`);
      }
    } else if (avail > frameErrorAt) {
      throw this.frameTooLarge();
    }
    return -1;
  }

  /** Position of the first `octet` in [scan, searchEnd), relative to start, or -1. */
  private search(octet: number, searchEnd: number): number {
    const d = this.data;
    // A pushed chunk ends where the bytes do, and a search past searchEnd in it stops at the first
    // match anyway. An owned buffer's tail beyond `end` is stale: searching it again on every
    // trickled octet would make a slow frame quadratic, so the search gets a view cut at searchEnd.
    const at = d.length === this.end ? d.indexOf(octet, this.start + this.scan) : d.subarray(0, this.start + searchEnd).indexOf(octet, this.start + this.scan);
    return at >= 0 && at < this.start + searchEnd ? at - this.start : -1;
  }

  private frameTooLarge(): StompDecodeError {
    return new StompDecodeError('FRAME_TOO_LARGE', `frame exceeds ${this.limits.frameSizeMaxBytes} bytes`);
  }

  private parseCommand(lf: number): void {
    const d = this.data;
    const from = this.start;
    let to = this.start + lf;
    if (to > from && d[to - 1] === CR) to--;
    let ascii = true;
    for (let i = from; i < to; i++) {
      const b = d[i]!;
      if (b === NUL) throw new StompDecodeError('BAD_COMMAND', 'unknown command');
      if (b >= 0x80) ascii = false;
    }
    if (!ascii && !isUtf8(d.subarray(from, to))) throw new StompDecodeError('BAD_UTF8', 'command is not valid UTF-8');
    const command = ascii ? this.commands.get(d.toString('latin1', from, to)) : undefined;
    if (command === undefined) throw new StompDecodeError('BAD_COMMAND', 'unknown command');
    this.command = command;
    this.headers = new Map();
    this.headerLineCount = 0;
    this.phase = 'headers';
    this.scan = this.lineStart = lf + 1;
  }

  /** Parses the header line ending at `lf`; returns true if it was the blank line ending the headers. */
  private parseHeaderLine(lf: number): boolean {
    const d = this.data;
    const from = this.start + this.lineStart;
    let to = this.start + lf;
    // STOMP 1.2 "Augmented BNF": EOL = [CR] LF. In 1.0 and 1.1 lines end in LF and a CR is data.
    if (this.version === '1.2' && to > from && d[to - 1] === CR) to--;
    this.scan = this.lineStart = lf + 1;
    if (to === from) return true;
    if (++this.headerLineCount > this.limits.headerLineCountMax) {
      throw new StompDecodeError('TOO_MANY_HEADERS', `frame has more than ${this.limits.headerLineCountMax} header lines`);
    }
    // One pass for NUL, the first colon and non-ASCII octets (a colon octet cannot be part of a
    // multi-byte UTF-8 sequence, so finding it in the raw octets is safe); UTF-8 is validated only
    // for lines that are not ASCII.
    let colon = -1;
    let ascii = true;
    for (let i = from; i < to; i++) {
      const b = d[i]!;
      if (b === NUL) throw new StompDecodeError('BAD_HEADER_LINE', 'NUL octet in a header line');
      if (b >= 0x80) ascii = false;
      else if (b === COLON && colon < 0) colon = i;
    }
    if (!ascii && !isUtf8(d.subarray(from, to))) throw new StompDecodeError('BAD_UTF8', 'header is not valid UTF-8');
    if (colon < 0) throw new StompDecodeError('BAD_HEADER_LINE', 'header line without a colon');
    if (colon === from) throw new StompDecodeError('BAD_HEADER_LINE', 'header line with an empty name');
    let name = ascii ? d.toString('latin1', from, colon) : d.toString('utf8', from, colon);
    let value = ascii ? d.toString('latin1', colon + 1, to) : d.toString('utf8', colon + 1, to);
    if (headersEscaped(this.version, this.command)) {
      name = decodeHeaderText(name);
      value = decodeHeaderText(value);
    }
    // STOMP 1.2 "Repeated Header Entries": only the first occurrence is used.
    if (!this.headers.has(name)) this.headers.set(name, value);
    return false;
  }

  private endHeaders(bodyStart: number): void {
    this.bodyStart = this.scan = bodyStart;
    this.phase = 'body';
    this.contentLength = -1;
    const declared = this.headers.get('content-length');
    if (declared === undefined) return;
    // Decimal octets; surrounding spaces tolerated as ActiveMQ does (it trims before parsing).
    const digits = declared.trim();
    if (!/^[0-9]{1,15}$/.test(digits)) throw new StompDecodeError('BAD_CONTENT_LENGTH', 'content-length is not a number of octets');
    const contentLength = Number(digits);
    // Precondition: a declared body within the limits before any of it is waited for.
    if (contentLength > this.limits.bodySizeMaxBytes) throw this.bodyTooLarge();
    if (bodyStart + contentLength + 1 > this.limits.frameSizeMaxBytes) throw this.frameTooLarge();
    this.contentLength = contentLength;
  }

  private bodyTooLarge(): StompDecodeError {
    return new StompDecodeError('BODY_TOO_LARGE', `body exceeds ${this.limits.bodySizeMaxBytes} bytes`);
  }

  private sizedBody(avail: number): StompFrame | undefined {
    const nulAt = this.bodyStart + this.contentLength;
    if (avail <= nulAt) return undefined;
    if (this.data[this.start + nulAt] !== NUL) {
      throw new StompDecodeError('MISSING_NUL', 'frame body not followed by NUL at content-length');
    }
    return this.complete(nulAt);
  }

  private nulEndedBody(avail: number): StompFrame | undefined {
    const bodyErrorAt = this.bodyStart + this.limits.bodySizeMaxBytes;
    const frameErrorAt = this.limits.frameSizeMaxBytes;
    // A NUL at bodyErrorAt still ends a body of exactly the maximum; one at frameErrorAt does not.
    const searchEnd = Math.min(avail, bodyErrorAt + 1, frameErrorAt);
    if (this.scan < searchEnd) {
      const at = this.search(NUL, searchEnd);
      if (at >= 0) return this.complete(at);
      this.scan = searchEnd;
    }
    if (bodyErrorAt < frameErrorAt) {
      if (avail > bodyErrorAt) throw this.bodyTooLarge();
    } else if (avail > frameErrorAt) {
      throw this.frameTooLarge();
    }
    return undefined;
  }

  private complete(nulAt: number): StompFrame {
    const body = this.data.subarray(this.start + this.bodyStart, this.start + nulAt);
    const frame: StompFrame = { type: 'frame', command: this.command, headers: this.headers, body };
    this.phase = 'idle';
    this.consume(nulAt + 1);
    return frame;
  }

  private consume(n: number): void {
    this.start += n;
    if (this.start === this.end) {
      // Drop the reference so that a consumed chunk can be collected (views handed out keep theirs).
      this.data = EMPTY;
      this.start = this.end = 0;
      this.owned = false;
    }
  }
}

function checkVersion(version: StompVersion): StompVersion {
  if (!(STOMP_VERSIONS as readonly string[]).includes(version)) throw new RangeError(`unknown STOMP version ${String(version)}`);
  return version;
}

/** Smallest value of each limit. */
const LIMIT_MIN: Readonly<Record<keyof StompDecodeLimits, number>> = {
  frameSizeMaxBytes: FRAME_SIZE_MAX_MIN_BYTES,
  bodySizeMaxBytes: 0,
  headerSizeMaxBytes: 1,
  headerLineCountMax: 0,
};

function checkLimits(limits: StompDecodeLimits): StompDecodeLimits {
  for (const name of Object.keys(LIMIT_MIN) as Array<keyof StompDecodeLimits>) {
    const v = limits[name];
    if (!Number.isSafeInteger(v) || v < LIMIT_MIN[name]) throw new RangeError(`${name} must be an integer >= ${LIMIT_MIN[name]}, got ${v}`);
  }
  return limits;
}
