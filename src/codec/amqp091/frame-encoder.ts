// AMQP 0-9-1 frame encoders: protocol header, method frames, content headers, body frames split at
// frame_max, heartbeats, and a publish/deliver's method + header + body in one buffer for one socket
// write. Layouts are drawn in frame-decoder.ts. Each call returns a fresh, exactly sized Buffer that
// the caller owns; a scratch writer reused across calls keeps small frames to one allocation.
// Which frames to send, and the frame_max to split at, is the session's business.

import { ByteWriter } from './byte-writer.ts';
import { FRAME_HEADER_BYTES, FRAME_OVERHEAD_BYTES, FRAME_SIZE_MAX_LIMIT_BYTES, PROTOCOL_HEADER } from './frame-decoder.ts';
import {
  type BasicProperties,
  CLASS_ID,
  encodeBasicProperties,
  encodeMethodPayload,
  FRAME_BODY,
  FRAME_END,
  FRAME_HEADER,
  FRAME_HEARTBEAT,
  FRAME_METHOD,
  FRAME_MIN_SIZE,
  METHOD_INFO,
  type MethodInputArgs,
  type MethodName,
} from './generated.ts';

const SCRATCH_INITIAL_BYTES = 16 * 1024;
/** A scratch writer that grew past this for a big table is dropped rather than kept. */
const SCRATCH_KEEP_MAX_BYTES = 1024 * 1024;
let scratch = new ByteWriter(SCRATCH_INITIAL_BYTES);

function startWriting(): ByteWriter {
  scratch.reset();
  return scratch;
}

function release(w: ByteWriter): void {
  if (w.capacityBytes > SCRATCH_KEEP_MAX_BYTES) scratch = new ByteWriter(SCRATCH_INITIAL_BYTES);
}

/** Writes a frame header with a placeholder size; returns where the size goes. */
function beginFrame(w: ByteWriter, type: number, channel: number): number {
  w.u8(type);
  w.u16(channel);
  const at = w.pos;
  w.u32(0);
  return at;
}

function endFrame(w: ByteWriter, sizeAt: number): void {
  w.patchU32(sizeAt, w.pos - sizeAt - 4);
  w.u8(FRAME_END);
}

function writeMethodFrame<N extends MethodName>(w: ByteWriter, channel: number, name: N, args: MethodInputArgs[N]): void {
  const at = beginFrame(w, FRAME_METHOD, channel);
  encodeMethodPayload(w, name, args);
  endFrame(w, at);
}

function writeHeaderFrame(
  w: ByteWriter,
  channel: number,
  classId: number,
  bodySize: number,
  properties: BasicProperties | Uint8Array,
): void {
  const at = beginFrame(w, FRAME_HEADER, channel);
  w.u16(classId);
  w.u16(0); // weight
  w.u64(bodySize);
  if (properties instanceof Uint8Array) w.bytes(properties);
  else encodeBasicProperties(w, properties);
  endFrame(w, at);
}

/** `AMQP` 0 0 9 1: what a client sends first, and what a server answers a wrong header with. */
export function encodeProtocolHeader(): Buffer {
  return Buffer.from(PROTOCOL_HEADER);
}

/** A heartbeat frame: type 8, channel 0, empty payload. */
export function encodeHeartbeatFrame(): Buffer {
  return Buffer.from([FRAME_HEARTBEAT, 0, 0, 0, 0, 0, 0, FRAME_END]);
}

/** A method frame; arguments with a spec default may be left out. */
export function encodeMethodFrame<N extends MethodName>(channel: number, name: N, args: MethodInputArgs[N]): Buffer {
  const w = startWriting();
  writeMethodFrame(w, channel, name, args);
  const out = w.toBuffer();
  release(w);
  return out;
}

/** A basic content header frame from decoded properties. */
export function encodeContentHeaderFrame(channel: number, bodySize: number, properties: BasicProperties): Buffer {
  const w = startWriting();
  writeHeaderFrame(w, channel, CLASS_ID.basic, bodySize, properties);
  const out = w.toBuffer();
  release(w);
  return out;
}

/**
 * A content header frame from property bytes as received (ContentHeaderFrame.propertiesBytes):
 * relays a publisher's properties to consumers byte for byte.
 */
export function encodeContentHeaderFrameRaw(
  channel: number,
  classId: number,
  bodySize: number,
  propertiesBytes: Uint8Array,
): Buffer {
  const w = startWriting();
  writeHeaderFrame(w, channel, classId, bodySize, propertiesBytes);
  const out = w.toBuffer();
  release(w);
  return out;
}

function checkFrameSizeMax(frameSizeMaxBytes: number): number {
  if (
    !Number.isInteger(frameSizeMaxBytes) ||
    frameSizeMaxBytes < FRAME_MIN_SIZE ||
    frameSizeMaxBytes > FRAME_SIZE_MAX_LIMIT_BYTES
  ) {
    throw new RangeError(`frame size max must be an integer in [${FRAME_MIN_SIZE}, 2^32-1], got ${frameSizeMaxBytes}`);
  }
  return frameSizeMaxBytes - FRAME_OVERHEAD_BYTES;
}

function bodyFramesBytes(bodyBytes: number, payloadMax: number): number {
  return bodyBytes + Math.ceil(bodyBytes / payloadMax) * FRAME_OVERHEAD_BYTES;
}

function writeBodyFrames(out: Buffer, pos: number, channel: number, body: Uint8Array, payloadMax: number): number {
  for (let from = 0; from < body.length; from += payloadMax) {
    const size = Math.min(payloadMax, body.length - from);
    out[pos] = FRAME_BODY;
    out.writeUInt16BE(channel, pos + 1);
    out.writeUInt32BE(size, pos + 3);
    out.set(body.subarray(from, from + size), pos + FRAME_HEADER_BYTES);
    out[pos + FRAME_HEADER_BYTES + size] = FRAME_END;
    pos += size + FRAME_OVERHEAD_BYTES;
  }
  return pos;
}

/**
 * Body frames for `body`, each at most frameSizeMaxBytes long (header and frame-end included),
 * concatenated. An empty body has no body frames.
 */
export function encodeBodyFrames(channel: number, body: Uint8Array, frameSizeMaxBytes: number): Buffer {
  const payloadMax = checkFrameSizeMax(frameSizeMaxBytes);
  if (channel < 0 || channel > 0xffff || !Number.isInteger(channel)) throw new RangeError(`bad channel ${channel}`);
  const out = Buffer.allocUnsafe(bodyFramesBytes(body.length, payloadMax));
  writeBodyFrames(out, 0, channel, body, payloadMax);
  return out;
}

/**
 * A content-carrying method (basic.publish, basic.deliver, basic.get-ok, basic.return), its content
 * header and its body frames, in one buffer. `properties` is either decoded properties or property
 * bytes as received; the body size is `body.length`.
 */
export function encodeContentFrames<N extends MethodName>(
  channel: number,
  name: N,
  args: MethodInputArgs[N],
  properties: BasicProperties | Uint8Array,
  body: Uint8Array,
  frameSizeMaxBytes: number,
): Buffer {
  const info = METHOD_INFO[name];
  if (!info.hasContent) throw new RangeError(`${name} carries no content`);
  const payloadMax = checkFrameSizeMax(frameSizeMaxBytes);
  const w = startWriting();
  writeMethodFrame(w, channel, name, args);
  writeHeaderFrame(w, channel, info.classId, body.length, properties);
  const out = Buffer.allocUnsafe(w.pos + bodyFramesBytes(body.length, payloadMax));
  const written = w.pos;
  // Copy the method and header frames out of the scratch writer, then the body straight in.
  w.copyTo(out, 0);
  release(w);
  writeBodyFrames(out, written, channel, body, payloadMax);
  return out;
}
