// AMQP 1.0 framing (part 2, section 2.3) and protocol headers (section 2.2, part 5 section 5.3.1):
// a streaming decoder that turns socket chunks into protocol headers, AMQP frames (performative and,
// for a transfer, its payload), SASL frames and empty (heartbeat) frames; and the encoders for them.
// Connection state (which header comes next, the negotiated max-frame-size, channel and session
// rules) belongs to the session: it tells the decoder with `expectProtocolHeader` and
// `setFrameSizeMax`, and maps Amqp10DecodeError to a close performative in one place.
//
//   protocol header:  'A' 'M' 'Q' 'P' protocol-id major minor revision
//                     protocol-id 0: AMQP, 3: SASL (2, TLS, is refused: TLS is the listener's)
//
//   0        4      5      6         8                  doff*4           size
//   +--------+------+------+---------+------------------+----------------+
//   | size   | doff | type | channel | extended header  | frame body     |
//   +--------+------+------+---------+------------------+----------------+
//    uint     ubyte  ubyte  ushort    ignored             performative [payload]
//   size counts the whole frame, doff the 4-octet words before the body (at least 2).
//   type 0x00: AMQP frame, channel meaningful; type 0x01: SASL frame, channel ignored.
//   An AMQP frame with an empty body is a heartbeat (section 2.4.5).
//
// The declared size is checked against the max-frame-size in force as soon as its 4 octets are in,
// before anything else is buffered: a peer declaring a 4 GiB frame is refused at once.

import { Amqp10DecodeError, Amqp10FrameSizeError } from './errors.ts';
import {
  type AmqpComposite,
  decodeComposite,
  DEFINITIONS,
  encodeCompositeValue,
  encodeTransferValue,
  FRAME_PERFORMATIVE_KINDS,
  type Performative,
  type PerformativeInit,
  SASL_PERFORMATIVE_KINDS,
  type SaslPerformative,
  type SaslPerformativeInit,
  type TransferInit,
} from './generated.ts';
import { Amqp10Reader, Amqp10Writer, readValue, writeValue } from './types.ts';

/** Protocol ids of the protocol header. */
export const PROTOCOL_ID = { AMQP: 0, TLS: 2, SASL: 3 } as const;
export type ProtocolId = (typeof PROTOCOL_ID)[keyof typeof PROTOCOL_ID];

/** Frame types (part 2, section 2.3.1; part 5, section 5.3.2). */
export const FRAME_TYPE = { AMQP: 0x00, SASL: 0x01 } as const;

/** Octets of the fixed frame header. */
export const FRAME_HEADER_BYTES = 8;
/** The max-frame-size in force before open is exchanged (MIN-MAX-FRAME-SIZE). */
export const FRAME_SIZE_MIN_MAX_BYTES: number = DEFINITIONS.MIN_MAX_FRAME_SIZE;

/** The 8-octet protocol header for `protocolId` (version 1.0.0). */
export function encodeProtocolHeader(protocolId: ProtocolId): Buffer {
  return Buffer.from([0x41, 0x4d, 0x51, 0x50, protocolId, DEFINITIONS.MAJOR, DEFINITIONS.MINOR, DEFINITIONS.REVISION]);
}

/** `AMQP` 0 1 0 0. */
export const AMQP_PROTOCOL_HEADER = encodeProtocolHeader(PROTOCOL_ID.AMQP);
/** `AMQP` 3 1 0 0. */
export const SASL_PROTOCOL_HEADER = encodeProtocolHeader(PROTOCOL_ID.SASL);

/** The peer sent a protocol header for AMQP or SASL, version 1.0.0. */
export interface ProtocolHeaderFrame {
  readonly type: 'protocol-header';
  readonly protocolId: typeof PROTOCOL_ID.AMQP | typeof PROTOCOL_ID.SASL;
}
/** An AMQP frame with a performative; `payload` is a transfer's message bytes (a view: copy to keep). */
export interface AmqpFrame {
  readonly type: 'amqp';
  readonly channel: number;
  readonly performative: Performative;
  readonly payload?: Buffer;
}
/** An AMQP frame with an empty body: a heartbeat. */
export interface EmptyFrame {
  readonly type: 'empty';
  readonly channel: number;
}
/** A SASL frame. */
export interface SaslFrame {
  readonly type: 'sasl';
  readonly performative: SaslPerformative;
}
/** What the decoder yields. */
export type Amqp10Frame = ProtocolHeaderFrame | AmqpFrame | EmptyFrame | SaslFrame;

export interface Amqp10FrameDecoderOptions {
  /** Largest frame accepted; default MIN-MAX-FRAME-SIZE (512) until the session raises it after open. */
  frameSizeMaxBytes?: number;
  /** Whether the stream starts with a protocol header (default true). */
  expectProtocolHeader?: boolean;
}

const framing = (code: 'BAD_FRAME_HEADER' | 'FRAME_TOO_LARGE' | 'UNKNOWN_FRAME_TYPE' | 'UNEXPECTED_PERFORMATIVE' | 'PROTOCOL_HEADER_MISMATCH', text: string) =>
  new Amqp10DecodeError(code, 'FRAMING_ERROR', text);

/**
 * Turns a byte stream into AMQP 1.0 frames. `push` chunks as they arrive, then call `next` until it
 * returns undefined. After it throws, it throws the same error again: the connection is done.
 */
export class Amqp10FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private frameSizeMax: number;
  private headerExpected: boolean;
  private failure: Amqp10DecodeError | undefined;

  constructor(options: Amqp10FrameDecoderOptions = {}) {
    this.frameSizeMax = options.frameSizeMaxBytes ?? FRAME_SIZE_MIN_MAX_BYTES;
    this.headerExpected = options.expectProtocolHeader ?? true;
  }

  /** Octets pushed and not yet returned as frames. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** Sets the largest frame accepted from now on (our max-frame-size, once open is sent). */
  setFrameSizeMax(bytes: number): void {
    if (!Number.isInteger(bytes) || bytes < FRAME_SIZE_MIN_MAX_BYTES || bytes > 0xffff_ffff) {
      throw new RangeError(`max-frame-size must be an integer from ${FRAME_SIZE_MIN_MAX_BYTES} to 4294967295`);
    }
    this.frameSizeMax = bytes;
  }

  /** The next 8 octets are a protocol header (after a SASL outcome, the AMQP header follows). */
  expectProtocolHeader(): void {
    this.headerExpected = true;
  }

  /** Adds octets from the peer. The decoder keeps a reference: do not modify the chunk afterwards. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
    this.buffered += chunk.length;
  }

  /** The next whole frame, or undefined when more octets are needed. */
  next(): Amqp10Frame | undefined {
    if (this.failure !== undefined) throw this.failure;
    try {
      return this.headerExpected ? this.nextHeader() : this.nextFrame();
    } catch (err) {
      if (err instanceof Amqp10DecodeError) this.failure = err;
      throw err;
    }
  }

  /** Every whole frame buffered. */
  *frames(): IterableIterator<Amqp10Frame> {
    for (let f = this.next(); f !== undefined; f = this.next()) yield f;
  }

  private nextHeader(): ProtocolHeaderFrame | undefined {
    // Refuse a wrong header as soon as its first octets differ: `GET /` or TLS need not wait for 8.
    const have = Math.min(this.buffered, 8);
    if (have === 0) return undefined;
    const head = this.peek(have);
    for (let i = 0; i < Math.min(have, 4); i++) {
      if (head[i] !== AMQP_PROTOCOL_HEADER[i]) throw framing('PROTOCOL_HEADER_MISMATCH', 'not an AMQP protocol header');
    }
    if (have < 8) return undefined;
    const id = head[4]!;
    if ((id !== PROTOCOL_ID.AMQP && id !== PROTOCOL_ID.SASL) || head[5] !== 1 || head[6] !== 0 || head[7] !== 0) {
      throw framing('PROTOCOL_HEADER_MISMATCH', `unsupported protocol id ${id} version ${head[5]}.${head[6]}.${head[7]}`);
    }
    this.consume(8);
    this.headerExpected = false;
    return { type: 'protocol-header', protocolId: id };
  }

  private nextFrame(): Amqp10Frame | undefined {
    if (this.buffered < 4) return undefined;
    const size = this.peek(4).readUInt32BE(0);
    if (size < FRAME_HEADER_BYTES) throw framing('BAD_FRAME_HEADER', `frame size ${size} is below 8`);
    if (size > this.frameSizeMax) throw framing('FRAME_TOO_LARGE', `frame size ${size} exceeds max-frame-size ${this.frameSizeMax}`);
    if (this.buffered < FRAME_HEADER_BYTES) return undefined;
    const header = this.peek(FRAME_HEADER_BYTES);
    const doff = header[4]!;
    const type = header[5]!;
    if (doff < 2 || doff * 4 > size) throw framing('BAD_FRAME_HEADER', `data offset ${doff} in a frame of ${size} octets`);
    if (type !== FRAME_TYPE.AMQP && type !== FRAME_TYPE.SASL) throw framing('UNKNOWN_FRAME_TYPE', `frame type ${type}`);
    if (this.buffered < size) return undefined;
    const frame = this.peek(size);
    this.consume(size);
    const channel = frame.readUInt16BE(6);
    const body = frame.subarray(doff * 4);
    if (type === FRAME_TYPE.AMQP && body.length === 0) return { type: 'empty', channel };
    const r = new Amqp10Reader(body);
    const value = readValue(r);
    const performative =
      value !== null && typeof value === 'object' && !Array.isArray(value) && !Buffer.isBuffer(value) && value.type === 'described'
        ? decodeComposite(value)
        : undefined;
    if (performative === undefined) {
      throw new Amqp10DecodeError('UNKNOWN_DESCRIPTOR', 'DECODE_ERROR', 'frame body is not a known performative');
    }
    if (type === FRAME_TYPE.SASL) {
      if (!SASL_PERFORMATIVE_KINDS.includes(performative.kind)) throw framing('UNEXPECTED_PERFORMATIVE', `${performative.kind} in a SASL frame`);
      checkNoTrailing(r, performative);
      return { type: 'sasl', performative: performative as SaslPerformative };
    }
    if (!FRAME_PERFORMATIVE_KINDS.includes(performative.kind)) throw framing('UNEXPECTED_PERFORMATIVE', `${performative.kind} in an AMQP frame`);
    if (performative.kind === 'transfer') {
      return { type: 'amqp', channel, performative, payload: body.subarray(r.pos) };
    }
    checkNoTrailing(r, performative);
    return { type: 'amqp', channel, performative: performative as Performative };
  }

  /**
   * The first `n` buffered octets as one buffer. A view when the first chunk holds them; otherwise
   * exactly `n` octets are joined (one allocation of at most a frame), the rest stays a view.
   */
  private peek(n: number): Buffer {
    const first = this.chunks[0]!;
    if (first.length >= n) return first.subarray(0, n);
    const joined = Buffer.allocUnsafe(n);
    let filled = 0;
    let used = 0;
    while (filled < n) {
      const c = this.chunks[used]!;
      const take = Math.min(c.length, n - filled);
      c.copy(joined, filled, 0, take);
      filled += take;
      if (take === c.length) used++;
      else this.chunks[used] = c.subarray(take);
    }
    this.chunks.splice(0, used, joined);
    return joined;
  }

  private consume(n: number): void {
    this.buffered -= n;
    while (n > 0) {
      const first = this.chunks[0]!;
      if (first.length <= n) {
        this.chunks.shift();
        n -= first.length;
      } else {
        this.chunks[0] = first.subarray(n);
        n = 0;
      }
    }
  }
}

function checkNoTrailing(r: Amqp10Reader, p: AmqpComposite): void {
  if (r.pos !== r.end) throw new Amqp10DecodeError('TRAILING_BYTES', 'DECODE_ERROR', `${r.end - r.pos} octets after ${p.kind}`);
}

function frame(type: number, channel: number, write: (w: Amqp10Writer) => void, frameSizeMaxBytes: number): Buffer {
  const w = new Amqp10Writer();
  w.u32(0);
  w.u8(2);
  w.u8(type);
  w.u16(channel);
  write(w);
  w.raw.writeUInt32BE(w.length, 0);
  if (w.length > frameSizeMaxBytes) throw new Amqp10FrameSizeError(w.length, frameSizeMaxBytes);
  return w.toBuffer();
}

/**
 * An AMQP frame carrying `performative` (and, for a transfer, `payload`). Throws
 * Amqp10FrameSizeError when it exceeds `frameSizeMaxBytes` (the peer's max-frame-size).
 */
export function encodeFrame(channel: number, performative: PerformativeInit, payload?: Uint8Array, frameSizeMaxBytes = 0xffff_ffff): Buffer {
  if (payload !== undefined && performative.kind !== 'transfer') throw new TypeError('only a transfer carries a payload');
  return frame(
    FRAME_TYPE.AMQP,
    channel,
    (w) => {
      writeValue(w, encodeCompositeValue(performative));
      if (payload !== undefined) w.bytes(payload);
    },
    frameSizeMaxBytes,
  );
}

/** A SASL frame (channel 0). */
export function encodeSaslFrame(performative: SaslPerformativeInit, frameSizeMaxBytes = FRAME_SIZE_MIN_MAX_BYTES): Buffer {
  return frame(FRAME_TYPE.SASL, 0, (w) => writeValue(w, encodeCompositeValue(performative)), frameSizeMaxBytes);
}

/** An empty AMQP frame: the heartbeat that keeps the peer's idle timeout from expiring. */
export function encodeEmptyFrame(channel = 0): Buffer {
  return Buffer.from([0, 0, 0, 8, 2, FRAME_TYPE.AMQP, channel >> 8, channel & 0xff]);
}

/**
 * A message `payload` as transfer frames no larger than `frameSizeMaxBytes`: the first carries
 * `transfer` in full, the following ones only the handle (part 2, section 2.6.14: delivery-id and
 * delivery-tag may be omitted on continuation transfers); every frame but the last has more=true.
 */
export function encodeTransferFrames(channel: number, transfer: TransferInit, payload: Uint8Array, frameSizeMaxBytes: number): Buffer[] {
  // The common case, one frame: the performative is written straight into the frame.
  const more = transfer.more ?? false;
  const commonBytes = commonTransferBytes(transfer);
  if (commonBytes > 0 && FRAME_HEADER_BYTES + commonBytes + payload.length <= frameSizeMaxBytes) {
    const size = FRAME_HEADER_BYTES + commonBytes + payload.length;
    const frame = Buffer.allocUnsafe(size);
    frame.writeUInt32BE(size, 0);
    frame[4] = 2;
    frame[5] = FRAME_TYPE.AMQP;
    frame.writeUInt16BE(channel, 6);
    writeCommonTransfer(frame, FRAME_HEADER_BYTES, transfer, more);
    frame.set(payload, FRAME_HEADER_BYTES + commonBytes);
    return [frame];
  }
  if (commonBytes === 0) {
    const whole = encodeValueBytes({ ...transfer, more });
    if (FRAME_HEADER_BYTES + whole.length + payload.length <= frameSizeMaxBytes) return [encodeFrame(channel, { kind: 'transfer', ...transfer, more }, payload)];
  }
  const frames: Buffer[] = [];
  let offset = 0;
  let first = true;
  do {
    const head: TransferInit = first ? { ...transfer, more: true } : { handle: transfer.handle, more: true };
    const perfBytes = Buffer.from(encodeValueBytes(head));
    const room = frameSizeMaxBytes - FRAME_HEADER_BYTES - perfBytes.length;
    if (room <= 0) throw new Amqp10FrameSizeError(FRAME_HEADER_BYTES + perfBytes.length + 1, frameSizeMaxBytes);
    // The last frame's more=false takes as many octets as more=true, so `room` holds for it too.
    const last = payload.length - offset <= room;
    const end = last ? payload.length : offset + room;
    const perf: TransferInit = last ? (first ? { ...transfer, more: transfer.more ?? false } : { handle: transfer.handle, more: transfer.more ?? false }) : head;
    frames.push(encodeFrame(channel, { kind: 'transfer', ...perf }, payload.subarray(offset, end), frameSizeMaxBytes));
    offset = end;
    first = false;
  } while (offset < payload.length);
  return frames;
}

function encodeValueBytes(t: TransferInit): Buffer {
  const w = new Amqp10Writer();
  writeValue(w, encodeTransferValue(t));
  return w.toBuffer();
}

function uintBytes(v: number): number {
  return v === 0 ? 1 : v <= 0xff ? 2 : 5;
}

/**
 * The transfer every delivery of a broker sends (handle, delivery-id, delivery-tag, message-format,
 * settled, more; nothing else) is written directly: the same octets the generic encoder gives (a
 * test checks them against each other), without building the described-list value first.
 *
 *   0x00 0x53 0x14 0xc0 size count=6  handle delivery-id 0xa0 len tag  format  settled  more
 *
 * Returns its length in octets, or 0 when `t` has other fields (then the generic encoder writes it).
 */
function commonTransferBytes(t: TransferInit): number {
  const { handle, deliveryId, deliveryTag, messageFormat, settled } = t;
  if (
    deliveryId === undefined ||
    deliveryTag === undefined ||
    deliveryTag.length > 32 ||
    settled === undefined ||
    t.rcvSettleMode !== undefined ||
    t.state !== undefined ||
    t.resume !== undefined ||
    t.aborted !== undefined ||
    t.batchable !== undefined ||
    !isUint(handle) ||
    !isUint(deliveryId) ||
    (messageFormat !== undefined && !isUint(messageFormat))
  ) {
    return 0;
  }
  return 6 + uintBytes(handle) + uintBytes(deliveryId) + 2 + deliveryTag.length + (messageFormat === undefined ? 1 : uintBytes(messageFormat)) + 2;
}

function isUint(v: number): boolean {
  return Number.isInteger(v) && v >= 0 && v <= 0xffff_ffff;
}

/** A uint in its smallest encoding (uint0, smalluint, uint), as writeValue picks it. */
function putUint(b: Buffer, at: number, v: number): number {
  if (v === 0) {
    b[at] = 0x43;
    return at + 1;
  }
  if (v <= 0xff) {
    b[at] = 0x52;
    b[at + 1] = v;
    return at + 2;
  }
  b[at] = 0x70;
  b.writeUInt32BE(v, at + 1);
  return at + 5;
}

/** Writes what commonTransferBytes measured at `start`. */
function writeCommonTransfer(b: Buffer, start: number, t: TransferInit, more: boolean): void {
  const tag = t.deliveryTag!;
  b[start] = 0x00;
  b[start + 1] = 0x53;
  b[start + 2] = 0x14;
  b[start + 3] = 0xc0;
  let at = putUint(b, start + 6, t.handle);
  at = putUint(b, at, t.deliveryId!);
  b[at] = 0xa0;
  b[at + 1] = tag.length;
  b.set(tag, at + 2);
  at += 2 + tag.length;
  if (t.messageFormat === undefined) b[at++] = 0x40;
  else at = putUint(b, at, t.messageFormat);
  b[at++] = t.settled ? 0x41 : 0x42;
  b[at++] = more ? 0x41 : 0x42;
  b[start + 4] = at - start - 5;
  b[start + 5] = 6;
}
