// Streaming AMQP 0-9-1 frame decoder: feed it socket chunks of any size, pull whole frames out. It
// owns the protocol header check, frame layout, the frame_max limit, frame-end, and the per-frame
// rules that need no connection state (heartbeats and connection methods on channel 0, content
// frames off it). Everything stateful (channel open/closed, header-before-body, tune values) is the
// session's; it also maps Amqp091DecodeError to connection.close in one place.
//
//   0      1         3             7                  size+7  size+8
//   +------+---------+-------------+  +------------+  +-----------+
//   | type | channel | size        |  | payload    |  | frame-end |
//   +------+---------+-------------+  +------------+  +-----------+
//    octet   short     long            size octets      octet 0xCE
//
//   method payload:  class-id (short), method-id (short), arguments
//   header payload:  class-id (short), weight (short, 0), body-size (longlong), property flags, properties
//   body payload:    octets of the message body
//   heartbeat:       empty payload, channel 0
//
// The declared size is checked against frame_max as soon as the 7 header octets are in, before any
// payload is buffered or allocated: a peer declaring a 2 GiB frame is refused at once. The decoder
// copies only to join a frame split across chunks (one allocation, at most frame_max); otherwise
// payloads, bodies and byte strings are views into the chunks pushed, which it never modifies.

import { ByteReader } from './byte-reader.ts';
import { Amqp091DecodeError } from './errors.ts';
import {
  type Amqp091Method,
  type BasicProperties,
  CLASS_ID,
  decodeContentProperties,
  decodeMethodArgs,
  FRAME_BODY,
  FRAME_END,
  FRAME_HEADER,
  FRAME_HEARTBEAT,
  FRAME_METHOD,
  FRAME_MIN_SIZE,
  lookupMethod,
  PROTOCOL_VERSION,
} from './generated.ts';

/** Octets before the payload: type, channel, size. */
export const FRAME_HEADER_BYTES = 7;
/** Octets a frame adds to its payload: the header and the frame-end octet. */
export const FRAME_OVERHEAD_BYTES = 8;
/** The largest frame_max the wire can express (a long). */
export const FRAME_SIZE_MAX_LIMIT_BYTES = 0xffff_ffff;

/** `AMQP` 0 0 9 1: the protocol header a 0-9-1 client opens with. */
export const PROTOCOL_HEADER = Buffer.from([
  0x41,
  0x4d,
  0x51,
  0x50,
  0,
  PROTOCOL_VERSION.major,
  PROTOCOL_VERSION.minor,
  PROTOCOL_VERSION.revision,
]);

/** The peer sent a valid protocol header. */
export interface ProtocolHeaderFrame {
  readonly type: 'protocol-header';
}

/** A method frame with its arguments decoded. */
export interface MethodFrame {
  readonly type: 'method';
  readonly channel: number;
  readonly method: Amqp091Method;
}

/** A content header frame. */
export interface ContentHeaderFrame {
  readonly type: 'header';
  readonly channel: number;
  readonly classId: number;
  /** Total body size the body frames will add up to (as a number: exact up to 2^53). */
  readonly bodySize: number;
  readonly properties: BasicProperties;
  /**
   * The property flags and property list as received (a view): relaying them unchanged with
   * encodeContentHeaderFrameRaw keeps header tables byte-exact and saves re-encoding.
   */
  readonly propertiesBytes: Buffer;
}

/** A content body frame; `payload` is a view into the pushed chunks: copy it to keep it long. */
export interface ContentBodyFrame {
  readonly type: 'body';
  readonly channel: number;
  readonly payload: Buffer;
}

/** A heartbeat frame (always channel 0). */
export interface HeartbeatFrame {
  readonly type: 'heartbeat';
}

/** Anything the decoder yields. */
export type Amqp091Frame = ProtocolHeaderFrame | MethodFrame | ContentHeaderFrame | ContentBodyFrame | HeartbeatFrame;

/** Options for {@link Amqp091FrameDecoder}. */
export interface Amqp091FrameDecoderOptions {
  /**
   * Largest frame accepted, header and frame-end included. Default FRAME_MIN_SIZE (4096), the
   * limit before connection.tune-ok; the session raises it to the negotiated frame_max.
   */
  frameSizeMaxBytes?: number;
  /** Expect the 8-octet protocol header before any frame (the server side). Default true. */
  expectProtocolHeader?: boolean;
}

/** Chunks smaller than this are copied into a staging buffer rather than kept by reference. */
const SMALL_CHUNK_BYTES = 1024;
/** Staging buffer size (at most frame_max, so that no allocation exceeds one frame). */
const STAGING_BYTES = 16 * 1024;

const HEARTBEAT: HeartbeatFrame = Object.freeze({ type: 'heartbeat' });
const PROTOCOL_HEADER_OK: ProtocolHeaderFrame = Object.freeze({ type: 'protocol-header' });

/**
 * Turns a byte stream into AMQP 0-9-1 frames. `push` chunks as they arrive, then call `next` until
 * it returns undefined (more bytes needed). Errors are sticky: after one, `next` throws it again.
 */
export class Amqp091FrameDecoder {
  private readonly chunks: Buffer[] = [];
  /** Offset of the first unconsumed byte in chunks[0]. */
  private offset = 0;
  private buffered = 0;
  private frameSizeMax: number;
  private awaitingProtocolHeader: boolean;
  private failure: Amqp091DecodeError | undefined;
  /** Owned buffer that small chunks are copied into (see push). */
  private staging: Buffer | undefined;
  private stagingUsed = 0;
  /** The view of staging that is the last chunk, while it is; appends extend it. */
  private stagingView: Buffer | undefined;
  private stagingViewStart = 0;

  constructor(options: Amqp091FrameDecoderOptions = {}) {
    this.frameSizeMax = checkFrameSizeMax(options.frameSizeMaxBytes ?? FRAME_MIN_SIZE);
    this.awaitingProtocolHeader = options.expectProtocolHeader ?? true;
  }

  /** Unconsumed bytes held: after `next` returns undefined, less than frame_max. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** The frame_max in force, in bytes. */
  get frameSizeMaxBytes(): number {
    return this.frameSizeMax;
  }

  /**
   * Sets the largest frame accepted (after tune-ok: the negotiated frame_max; a negotiated 0,
   * "no limit", must be mapped to the broker's own limit by the session).
   */
  setFrameSizeMax(bytes: number): void {
    this.frameSizeMax = checkFrameSizeMax(bytes);
  }

  /** Adds bytes from the peer. The chunk must not be modified afterwards: frames may view it. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.buffered += chunk.length;
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    if (buf.length >= SMALL_CHUNK_BYTES) {
      this.chunks.push(buf);
      return;
    }
    // A peer trickling a frame in tiny segments must cost neither one Buffer object per segment
    // (memory many times the bytes held) nor a long chunk list: small chunks are copied into a
    // staging buffer, and consecutive ones share one view of it. Views handed out are never
    // written again: staging is only ever appended to.
    let staging = this.staging;
    if (staging === undefined || staging.length - this.stagingUsed < buf.length) {
      // Grows geometrically: a connection that sends a few small chunks pays for a small buffer.
      const bytes = Math.min(STAGING_BYTES, this.frameSizeMax, Math.max(SMALL_CHUNK_BYTES, 2 * (staging?.length ?? 0)));
      staging = this.staging = Buffer.allocUnsafe(bytes);
      this.stagingUsed = 0;
      this.stagingView = undefined;
    }
    buf.copy(staging, this.stagingUsed);
    const last = this.chunks.length - 1;
    if (this.stagingView !== undefined && last >= 0 && this.chunks[last] === this.stagingView) {
      this.stagingView = staging.subarray(this.stagingViewStart, this.stagingUsed + buf.length);
      this.chunks[last] = this.stagingView;
    } else {
      this.stagingViewStart = this.stagingUsed;
      this.stagingView = staging.subarray(this.stagingUsed, this.stagingUsed + buf.length);
      this.chunks.push(this.stagingView);
    }
    this.stagingUsed += buf.length;
  }

  /** The next complete frame, or undefined if more bytes are needed. Throws Amqp091DecodeError. */
  next(): Amqp091Frame | undefined {
    if (this.failure !== undefined) throw this.failure;
    try {
      return this.decodeNext();
    } catch (err) {
      if (err instanceof Amqp091DecodeError) this.failure = err;
      throw err;
    }
  }

  /** Every complete frame now buffered, in order. Throws Amqp091DecodeError at the first bad one. */
  *frames(): Generator<Amqp091Frame, void, undefined> {
    for (let f = this.next(); f !== undefined; f = this.next()) yield f;
  }

  private decodeNext(): Amqp091Frame | undefined {
    if (this.awaitingProtocolHeader) return this.decodeProtocolHeader();
    if (this.buffered < FRAME_HEADER_BYTES) return undefined;

    // Precondition: the declared size is within frame_max before we wait for, or allocate, the payload.
    let [buf, at] = this.contiguous(FRAME_HEADER_BYTES);
    const type = buf[at]!;
    const channel = buf.readUInt16BE(at + 1);
    const size = buf.readUInt32BE(at + 3);
    checkFrameType(type, channel, size);
    if (size > this.frameSizeMax - FRAME_OVERHEAD_BYTES) {
      throw new Amqp091DecodeError(
        'FRAME_TOO_LARGE',
        'FRAME_ERROR',
        `type ${type} frame size ${size} exceeds frame_max ${this.frameSizeMax}`,
        { channel },
      );
    }
    const frameBytes = size + FRAME_OVERHEAD_BYTES;
    if (this.buffered < frameBytes) return undefined;

    [buf, at] = this.contiguous(frameBytes);
    if (buf[at + FRAME_HEADER_BYTES + size] !== FRAME_END) {
      throw new Amqp091DecodeError('BAD_FRAME_END', 'FRAME_ERROR', `type ${type} frame not ended by 0xCE`, { channel });
    }
    this.consume(frameBytes);
    const start = at + FRAME_HEADER_BYTES;
    const end = start + size;
    switch (type) {
      case FRAME_METHOD:
        return decodeMethodFrame(buf, start, end, channel);
      case FRAME_HEADER:
        return decodeHeaderFrame(buf, start, end, channel);
      case FRAME_BODY:
        return { type: 'body', channel, payload: buf.subarray(start, end) };
      default:
        return HEARTBEAT;
    }
  }

  private decodeProtocolHeader(): ProtocolHeaderFrame | undefined {
    // Compare what has arrived so far, so that an HTTP request or a TLS hello on this port is
    // refused at its first octets rather than after 8.
    const n = Math.min(this.buffered, PROTOCOL_HEADER.length);
    if (n === 0) return undefined;
    const [buf, at] = this.contiguous(n);
    for (let i = 0; i < n; i++) {
      if (buf[at + i] !== PROTOCOL_HEADER[i]) {
        throw new Amqp091DecodeError(
          'PROTOCOL_HEADER_MISMATCH',
          'FRAME_ERROR',
          'protocol header is not AMQP 0-9-1; expected AMQP 0 0 9 1',
        );
      }
    }
    if (n < PROTOCOL_HEADER.length) return undefined;
    this.consume(PROTOCOL_HEADER.length);
    this.awaitingProtocolHeader = false;
    return PROTOCOL_HEADER_OK;
  }

  /**
   * Makes the first `n` unconsumed bytes (n <= buffered) contiguous and returns where they are.
   * Joining chunks allocates exactly `n` bytes, and callers ask for at most a frame, which is
   * bounded by frame_max.
   */
  private contiguous(n: number): [Buffer, number] {
    const first = this.chunks[0]!;
    if (first.length - this.offset >= n) return [first, this.offset];
    const joined = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[0]!;
      const take = Math.min(chunk.length - this.offset, n - filled);
      chunk.copy(joined, filled, this.offset, this.offset + take);
      filled += take;
      if (this.offset + take === chunk.length) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(this.offset + take);
      this.offset = 0;
    }
    // Put the joined bytes back at the front; nothing is consumed yet.
    this.chunks.unshift(joined);
    this.offset = 0;
    return [joined, 0];
  }

  private consume(n: number): void {
    this.buffered -= n;
    let left = n;
    while (left > 0) {
      const chunk = this.chunks[0]!;
      const avail = chunk.length - this.offset;
      if (avail > left) {
        this.offset += left;
        return;
      }
      left -= avail;
      this.chunks.shift();
      this.offset = 0;
    }
  }
}

function checkFrameSizeMax(bytes: number): number {
  if (!Number.isInteger(bytes) || bytes < FRAME_MIN_SIZE || bytes > FRAME_SIZE_MAX_LIMIT_BYTES) {
    throw new RangeError(`frame size max must be an integer in [${FRAME_MIN_SIZE}, 2^32-1], got ${bytes}`);
  }
  return bytes;
}

function checkFrameType(type: number, channel: number, size: number): void {
  switch (type) {
    case FRAME_METHOD:
      return;
    case FRAME_HEADER:
    case FRAME_BODY:
      // RabbitMQ treats content on channel 0 as an unexpected frame.
      if (channel === 0) {
        throw new Amqp091DecodeError('CONTENT_ON_CHANNEL_ZERO', 'UNEXPECTED_FRAME', `type ${type} frame on channel 0`);
      }
      return;
    case FRAME_HEARTBEAT:
      // Spec 4.2.3: heartbeat frames use channel 0; a peer receiving another MUST close with 503.
      if (channel !== 0) {
        throw new Amqp091DecodeError('NOT_ON_CHANNEL_ZERO', 'COMMAND_INVALID', 'heartbeat frame on a channel other than 0', {
          channel,
        });
      }
      if (size !== 0) {
        throw new Amqp091DecodeError('BAD_HEARTBEAT', 'FRAME_ERROR', `heartbeat frame with a ${size}-octet payload`);
      }
      return;
    default:
      throw new Amqp091DecodeError('UNKNOWN_FRAME_TYPE', 'FRAME_ERROR', `unknown frame type ${type}`, { channel });
  }
}

function decodeMethodFrame(buf: Buffer, start: number, end: number, channel: number): MethodFrame {
  const r = new ByteReader(buf, start, end);
  let classId = 0;
  let methodId = 0;
  try {
    classId = r.u16();
    methodId = r.u16();
    const info = lookupMethod(classId, methodId);
    if (info === undefined) {
      throw new Amqp091DecodeError('UNKNOWN_METHOD', 'NOT_IMPLEMENTED', `unknown method ${classId}/${methodId}`);
    }
    // Spec 4.2.3: connection methods on channel 0 only (503 otherwise); RabbitMQ answers any other
    // class on channel 0 with CHANNEL_ERROR.
    if (classId === CLASS_ID.connection && channel !== 0) {
      throw new Amqp091DecodeError('NOT_ON_CHANNEL_ZERO', 'COMMAND_INVALID', `${info.name} on channel ${channel}`);
    }
    if (classId !== CLASS_ID.connection && channel === 0) {
      throw new Amqp091DecodeError('METHOD_ON_CHANNEL_ZERO', 'CHANNEL_ERROR', `${info.name} on channel 0`);
    }
    const method = decodeMethodArgs(classId, methodId, r)!;
    if (r.pos !== end) {
      throw new Amqp091DecodeError('TRAILING_BYTES', 'FRAME_ERROR', `${end - r.pos} octets after the arguments of ${info.name}`);
    }
    return { type: 'method', channel, method };
  } catch (err) {
    throw err instanceof Amqp091DecodeError ? err.withContext({ channel, classId, methodId }) : err;
  }
}

function decodeHeaderFrame(buf: Buffer, start: number, end: number, channel: number): ContentHeaderFrame {
  const r = new ByteReader(buf, start, end);
  let classId = 0;
  try {
    classId = r.u16();
    r.u16(); // weight: unused, must be 0; RabbitMQ does not check it either
    const bodySize = r.u64();
    const propertiesStart = r.pos;
    const properties = decodeContentProperties(classId, r);
    if (properties === undefined) {
      throw new Amqp091DecodeError('UNKNOWN_CONTENT_CLASS', 'UNEXPECTED_FRAME', `content header for class ${classId}`);
    }
    if (r.pos !== end) {
      throw new Amqp091DecodeError('TRAILING_BYTES', 'FRAME_ERROR', `${end - r.pos} octets after the content properties`);
    }
    return { type: 'header', channel, classId, bodySize, properties, propertiesBytes: buf.subarray(propertiesStart, end) };
  } catch (err) {
    throw err instanceof Amqp091DecodeError ? err.withContext({ channel, classId }) : err;
  }
}
