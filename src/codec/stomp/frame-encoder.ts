// STOMP frame encoder: server frames (CONNECTED, MESSAGE, RECEIPT, ERROR) for the broker, client
// frames for tests and cross-protocol use. It escapes headers per version and writes content-length
// for every non-empty body, so that bodies holding NULs survive; what headers a frame needs and in
// which version is the session's choice. Each call returns one fresh, exactly sized Buffer;
// StompFrameWriter writes frames back to back into shared chunks instead.
// Layout in frame-decoder.ts; LF is the only EOL written.

import {
  encodeHeaderText,
  headersEscaped,
  type StompCommand,
  type StompVersion,
} from './frame.ts';

/** Headers to write, in order: a list of pairs (repeats allowed, the first one counts) or a record. */
export type StompHeadersInput = Iterable<readonly [string, string]> | Readonly<Record<string, string>>;

/** A frame to encode. */
export interface StompFrameInput {
  readonly command: StompCommand;
  readonly headers?: StompHeadersInput;
  /** Bytes, or text written as UTF-8. */
  readonly body?: Uint8Array | string;
}

/** Options for {@link encodeStompFrame}. */
export interface StompEncodeOptions {
  /**
   * Write `content-length` for a non-empty body (default true). ActiveMQ reads its absence on SEND
   * as "text message"; false is refused for a body that holds a NUL. A `content-length` among the
   * headers given is always replaced by the true one, or dropped.
   */
  readonly contentLength?: boolean;
}

const NUL_BYTE = Buffer.from([0]);
/** StompFrameWriter's smallest chunk. */
const CHUNK_MIN_BYTES = 1024;
const HEARTBEAT = Buffer.from('\n');

/** One EOL: a heart-beat, in every version. */
export function encodeStompHeartbeat(): Buffer {
  return Buffer.from(HEARTBEAT);
}

/**
 * Encodes a frame for `version`. Throws RangeError (a bug in the caller) for a header that the
 * frame cannot carry: an empty name or a NUL anywhere (there is no escape for NUL); and in 1.0,
 * and in CONNECT/CONNECTED of any version, where nothing is escaped, a colon in a name, an LF
 * anywhere, or (1.2) a value ending in CR, which would read as part of the CR LF. See
 * {@link isStompHeaderEncodable} to filter headers relayed from another protocol.
 */
export function encodeStompFrame(frame: StompFrameInput, version: StompVersion, options: StompEncodeOptions = {}): Buffer {
  const { head, body, bodyBytes } = frameParts(frame, version, options);
  const headBytes = Buffer.byteLength(head, 'utf8');
  const out = Buffer.allocUnsafe(headBytes + bodyBytes + 1);
  out.write(head, 0, 'utf8');
  if (body !== undefined) out.set(body, headBytes);
  out[headBytes + bodyBytes] = NUL_BYTE[0]!;
  return out;
}

/**
 * Frames written back to back into shared chunks, for a session that sends what one turn of the
 * event loop produced in one go: no buffer per frame, one write (or writev) per turn. `frame`
 * encodes as {@link encodeStompFrame} does (and throws as it does, appending nothing); `take`
 * returns what was appended since the last `take`, as views of chunks the writer never writes to
 * again (one view, unless a chunk filled up). A new chunk is twice the busier of this turn and the
 * last one, from 1 KiB up to `chunkBytes`: a quiet connection holds little, a busy one grows in a
 * few steps.
 */
export class StompFrameWriter {
  readonly #chunkBytes: number;
  #chunk = Buffer.alloc(0);
  #start = 0;
  #end = 0;
  /** Filled chunks' pending parts, before the current chunk's. */
  readonly #full: Buffer[] = [];
  #fullBytes = 0;
  /** Bytes appended in the turn before the last `take`. */
  #lastTurnBytes = 0;

  constructor(chunkBytes = 64 * 1024) {
    this.#chunkBytes = chunkBytes;
  }

  /** Bytes appended and not yet taken. */
  get pendingBytes(): number {
    return this.#fullBytes + this.#end - this.#start;
  }

  frame(frame: StompFrameInput, version: StompVersion, options: StompEncodeOptions = {}): void {
    const { head, body, bodyBytes } = frameParts(frame, version, options);
    // At most 3 UTF-8 bytes per UTF-16 code unit.
    const chunk = this.#reserve(head.length * 3 + bodyBytes + 1);
    let at = this.#end;
    at += chunk.write(head, at, 'utf8');
    if (body !== undefined) {
      chunk.set(body, at);
      at += bodyBytes;
    }
    chunk[at++] = NUL_BYTE[0]!;
    this.#end = at;
  }

  /** Appends bytes as they are (a heart-beat). */
  bytes(bytes: Uint8Array): void {
    const chunk = this.#reserve(bytes.length);
    chunk.set(bytes, this.#end);
    this.#end += bytes.length;
  }

  take(): Buffer[] {
    this.#lastTurnBytes = this.pendingBytes;
    const out = this.#full.splice(0);
    this.#fullBytes = 0;
    if (this.#end > this.#start) out.push(this.#chunk.subarray(this.#start, this.#end));
    this.#start = this.#end;
    return out;
  }

  /** A chunk with `n` bytes free at the end; a new one (and what was pending set aside) if need be. */
  #reserve(n: number): Buffer {
    if (this.#chunk.length - this.#end >= n) return this.#chunk;
    const busiest = Math.max(this.#lastTurnBytes, this.pendingBytes);
    if (this.#end > this.#start) {
      this.#full.push(this.#chunk.subarray(this.#start, this.#end));
      this.#fullBytes += this.#end - this.#start;
    }
    this.#chunk = Buffer.allocUnsafe(Math.max(n, Math.min(this.#chunkBytes, Math.max(CHUNK_MIN_BYTES, 2 * busiest))));
    this.#start = 0;
    this.#end = 0;
    return this.#chunk;
  }
}

/** A frame's text up to its body (command, headers, blank line) and its body, checked. */
function frameParts(frame: StompFrameInput, version: StompVersion, options: StompEncodeOptions): { head: string; body: Uint8Array | undefined; bodyBytes: number } {
  const body = frame.body === undefined ? undefined : typeof frame.body === 'string' ? Buffer.from(frame.body, 'utf8') : frame.body;
  const bodyBytes = body?.length ?? 0;
  const writeLength = bodyBytes > 0 && (options.contentLength ?? true);
  if (bodyBytes > 0 && !writeLength && body!.includes(0)) {
    throw new RangeError('a body holding NUL needs content-length');
  }
  const escaped = headersEscaped(version, frame.command);
  let head = `${frame.command}\n`;
  if (writeLength) head += `content-length:${bodyBytes}\n`;
  for (const [name, value] of headerEntries(frame.headers)) {
    if (name === 'content-length') continue;
    if (escaped) {
      if (!escapedHeaderEncodable(name, value)) throw new RangeError('a STOMP header needs a name and no NUL');
      head += `${encodeHeaderText(name, version as '1.1' | '1.2')}:${encodeHeaderText(value, version as '1.1' | '1.2')}\n`;
    } else {
      if (!rawHeaderEncodable(version, name, value)) {
        throw new RangeError(`header cannot be written unescaped in a STOMP ${version} ${frame.command} frame`);
      }
      head += `${name}:${value}\n`;
    }
  }
  head += '\n';
  return { head, body, bodyBytes };
}

/** Whether encodeStompFrame can write this header in `command` in `version`, rather than throw. */
export function isStompHeaderEncodable(version: StompVersion, command: StompCommand, name: string, value: string): boolean {
  return headersEscaped(version, command) ? escapedHeaderEncodable(name, value) : rawHeaderEncodable(version, name, value);
}

function rawHeaderEncodable(version: StompVersion, name: string, value: string): boolean {
  if (name.length === 0 || name.includes(':') || name.includes('\n') || value.includes('\n')) return false;
  if (name.includes('\0') || value.includes('\0')) return false;
  // 1.2 lines may end in CR LF: a CR ending a value would be read as part of the EOL.
  return version !== '1.2' || !value.endsWith('\r');
}

/** Escaping covers LF, CR, colon and backslash; NUL has no escape, and the decoder refuses it. */
function escapedHeaderEncodable(name: string, value: string): boolean {
  return name.length > 0 && !name.includes('\0') && !value.includes('\0');
}

function headerEntries(headers: StompHeadersInput | undefined): Iterable<readonly [string, string]> {
  if (headers === undefined) return [];
  if (Symbol.iterator in headers) return headers as Iterable<readonly [string, string]>;
  return Object.entries(headers);
}
