// Fuzzes the frame decoder with random and mutated frames, each fed whole and in random chunks. The
// decoder may refuse input only with Amqp091DecodeError carrying a hard-error reply code; it must
// never throw anything else, hang, or allocate more than one frame_max at a time; what it accepts
// must encode again to something it decodes to the same value. The seed is printed on failure;
// AMQP091_FUZZ_SEED=<n> replays a run, AMQP091_FUZZ_INPUTS=<n> changes the number of inputs.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Amqp091DecodeError, DECODE_REPLY_CODE } from './errors.ts';
import { type Amqp091Frame, Amqp091FrameDecoder } from './frame-decoder.ts';
import {
  encodeBodyFrames,
  encodeContentHeaderFrame,
  encodeHeartbeatFrame,
  encodeMethodFrame,
  encodeProtocolHeader,
} from './frame-encoder.ts';
import { CLASS_ID, FRAME_MIN_SIZE, METHOD_INFO, type MethodInputArgs } from './generated.ts';
import { anyMethodArb, basicPropertiesArb } from './test-arbitraries.ts';
import { withLargestAllocation } from '../../../test/helpers/allocation.ts';

const INPUTS = Number(process.env.AMQP091_FUZZ_INPUTS ?? 100_000);
const SEED = Number(process.env.AMQP091_FUZZ_SEED ?? 0x5ea1);
/** Frame max for most inputs: the pre-tune limit. A tenth run with the common negotiated 128 KiB. */
const SMALL_FRAME_MAX = FRAME_MIN_SIZE;
const LARGE_FRAME_MAX = 131072;
const REPLY_CODES = new Set<number>(Object.values(DECODE_REPLY_CODE));

/** mulberry32: small, fast, seedable. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Valid frames to mutate: every method, content headers, bodies, heartbeats. */
function corpus(seed: number): Buffer[] {
  const frames: Buffer[] = [];
  for (const { name, args } of fc.sample(anyMethodArb, { numRuns: 600, seed })) {
    const channel = METHOD_INFO[name].classId === CLASS_ID.connection ? 0 : 1 + (frames.length % 5);
    const frame = encodeMethodFrame(channel, name, args as MethodInputArgs[typeof name]);
    if (frame.length <= SMALL_FRAME_MAX) frames.push(frame);
  }
  for (const p of fc.sample(basicPropertiesArb, { numRuns: 200, seed })) {
    const frame = encodeContentHeaderFrame(1, 100, p);
    if (frame.length <= SMALL_FRAME_MAX) frames.push(frame);
  }
  for (let n = 0; n < 50; n++) frames.push(encodeBodyFrames(1 + n, Buffer.alloc(n * 37, n), SMALL_FRAME_MAX));
  frames.push(encodeHeartbeatFrame());
  return frames.filter((f) => f.length > 0);
}

interface Outcome {
  frames: Amqp091Frame[];
  error: Amqp091DecodeError | undefined;
  bufferedMaxBytes: number;
}

function feed(input: Buffer, cuts: number[], frameSizeMaxBytes: number, expectProtocolHeader: boolean): Outcome {
  const d = new Amqp091FrameDecoder({ frameSizeMaxBytes, expectProtocolHeader });
  const frames: Amqp091Frame[] = [];
  let bufferedMaxBytes = 0;
  let from = 0;
  try {
    for (const to of [...cuts, input.length]) {
      d.push(input.subarray(from, to));
      from = to;
      for (let f = d.next(); f !== undefined; f = d.next()) frames.push(f);
      // Precondition: between pushes the decoder holds less than one frame.
      bufferedMaxBytes = Math.max(bufferedMaxBytes, d.bufferedBytes);
    }
  } catch (err) {
    if (!(err instanceof Amqp091DecodeError)) throw err;
    return { frames, error: err, bufferedMaxBytes };
  }
  return { frames, error: undefined, bufferedMaxBytes };
}

/** Re-encodes a decoded frame; a decoded value must survive encode -> decode unchanged. */
function reencode(f: Amqp091Frame): Buffer {
  switch (f.type) {
    case 'method':
      return encodeMethodFrame(f.channel, f.method.name, f.method.args as MethodInputArgs[typeof f.method.name]);
    case 'header':
      return encodeContentHeaderFrame(f.channel, f.bodySize, f.properties);
    case 'body':
      return encodeBodyFrames(f.channel, f.payload, 1 << 20);
    case 'heartbeat':
      return encodeHeartbeatFrame();
    case 'protocol-header':
      return encodeProtocolHeader();
  }
}

describe('frame decoder fuzz', () => {
  it(`survives ${INPUTS} random and mutated inputs, whole and in random chunks (seed ${SEED})`, (t) => {
    const rand = prng(SEED);
    const int = (n: number) => Math.floor(rand() * n);
    const frames = corpus(SEED);
    const pick = () => frames[int(frames.length)]!;
    const randomBytes = (n: number) => {
      const b = Buffer.allocUnsafe(n);
      for (let i = 0; i < n; i++) b[i] = int(256);
      return b;
    };

    function mutate(frame: Buffer): Buffer {
      const b = Buffer.from(frame);
      switch (int(9)) {
        case 0: // flip 1-4 bits
          for (let k = 1 + int(4); k > 0; k--) b[int(b.length)]! ^= 1 << int(8);
          return b;
        case 1: // overwrite 1-8 octets
          for (let k = 1 + int(8); k > 0; k--) b[int(b.length)] = int(256);
          return b;
        case 2: // truncate
          return b.subarray(0, int(b.length));
        case 3: // append junk
          return Buffer.concat([b, randomBytes(1 + int(16))]);
        case 4: {
          // rewrite the size field: small, near frame_max, or huge (up to 4 GiB)
          const sizes = [int(64), SMALL_FRAME_MAX - 8 + int(3) - 1, LARGE_FRAME_MAX + int(100), 0x8000_0000, 0xffff_ffff];
          if (b.length >= 7) b.writeUInt32BE(sizes[int(sizes.length)]!, 3);
          return b;
        }
        case 5: {
          // mutate inside the payload: class/method ids, lengths, tags
          if (b.length > 12) b.writeUInt16BE(int(4) === 0 ? int(65536) : b.readUInt16BE(7) + int(3) - 1, 7 + 2 * int(2));
          if (b.length > 14) b[11 + int(b.length - 12)] = [0, 0xff, 0x7f, 0x80, 0x46, 0x41, 0x53][int(7)]!;
          return b;
        }
        case 6: {
          // insert or delete an octet in the middle (keeps the size field, shifts everything)
          const at = int(b.length);
          return int(2) === 0 ? Buffer.concat([b.subarray(0, at), Buffer.from([int(256)]), b.subarray(at)]) : Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
        }
        case 7: // splice two frames
          return Buffer.concat([b.subarray(0, int(b.length)), pick().subarray(int(8))]);
        default: // frame type or channel
          b[int(3)] = int(256);
          return b;
      }
    }

    function input(): { bytes: Buffer; withHeader: boolean } {
      const withHeader = int(8) === 0;
      const parts: Buffer[] = withHeader ? [int(4) === 0 ? mutate(encodeProtocolHeader()) : encodeProtocolHeader()] : [];
      switch (int(10)) {
        case 0: // random bytes
          parts.push(randomBytes(int(300)));
          break;
        case 1: // random payload behind a plausible header
          parts.push(Buffer.from([[1, 2, 3, 8][int(4)]!, 0, int(3)]), randomBytes(4 + int(200)));
          break;
        case 2: // valid frames only: must decode cleanly
          for (let k = 1 + int(4); k > 0; k--) parts.push(pick());
          break;
        default: // valid frames with one mutated among them
          for (let k = int(3); k > 0; k--) parts.push(pick());
          parts.push(mutate(pick()));
          if (int(2) === 0) parts.push(pick());
      }
      return { bytes: Buffer.concat(parts), withHeader };
    }

    const stats = { inputs: 0, refused: 0, frames: 0, byCode: new Map<string, number>() };
    let current: Buffer | undefined;
    try {
      for (let i = 0; i < INPUTS; i++) {
        const { bytes, withHeader } = input();
        current = bytes;
        const frameSizeMaxBytes = int(10) === 0 ? LARGE_FRAME_MAX : SMALL_FRAME_MAX;
        const cuts: number[] = [];
        for (let k = int(6); k > 0; k--) cuts.push(int(bytes.length + 1));
        cuts.sort((a, b) => a - b);

        // Record every allocation made through Buffer while decoding, to bound it by frame_max.
        const { result, allocationMaxBytes } = withLargestAllocation(() => ({
          whole: feed(bytes, [], frameSizeMaxBytes, withHeader),
          chunked: feed(bytes, cuts, frameSizeMaxBytes, withHeader),
        }));
        const { whole, chunked } = result;
        stats.inputs++;

        // Precondition: no allocation beyond one frame, and less than a frame held between pushes.
        assert.ok(allocationMaxBytes <= frameSizeMaxBytes, `allocated ${allocationMaxBytes} bytes`);
        assert.ok(whole.bufferedMaxBytes < frameSizeMaxBytes);
        assert.ok(chunked.bufferedMaxBytes < frameSizeMaxBytes);

        // Chunking changes nothing: same frames (compared by their encodings), same error.
        assert.equal(chunked.frames.length, whole.frames.length);
        assert.equal(chunked.error?.code, whole.error?.code);
        assert.equal(chunked.error?.replyText, whole.error?.replyText);

        if (whole.error !== undefined) {
          stats.refused++;
          stats.byCode.set(whole.error.code, (stats.byCode.get(whole.error.code) ?? 0) + 1);
          assert.ok(REPLY_CODES.has(whole.error.replyCode));
          assert.ok(Buffer.byteLength(whole.error.replyText) <= 255);
        }
        whole.frames.forEach((f, k) => {
          stats.frames++;
          // What the decoder accepted encodes, decodes again, and encodes to the same bytes.
          const encoded = reencode(f);
          assert.ok(reencode(chunked.frames[k]!).equals(encoded), 'chunked frame differs');
          const again = feed(encoded, [], 1 << 20, f.type === 'protocol-header');
          assert.equal(again.error, undefined, `re-encoded ${f.type} frame decodes`);
          assert.ok(Buffer.concat(again.frames.map(reencode)).equals(encoded), `${f.type} frame is stable`);
        });
      }
    } catch (err) {
      console.error(`fuzz failed with AMQP091_FUZZ_SEED=${SEED}; input ${current?.toString('hex')}`);
      throw err;
    }

    t.diagnostic(`inputs ${stats.inputs}, refused ${stats.refused}, frames decoded ${stats.frames}`);
    t.diagnostic(`refusals by code: ${JSON.stringify(Object.fromEntries([...stats.byCode].sort()))}`);
    // The run must have exercised both sides: plenty refused, plenty accepted, many error kinds.
    assert.equal(stats.inputs, INPUTS);
    assert.ok(stats.refused > INPUTS / 4, `refused ${stats.refused}`);
    assert.ok(stats.frames > INPUTS / 2, `decoded ${stats.frames} frames`);
    for (const code of ['FRAME_TOO_LARGE', 'BAD_FRAME_END', 'UNKNOWN_FRAME_TYPE', 'UNKNOWN_METHOD', 'TRUNCATED', 'UNKNOWN_FIELD_TYPE']) {
      assert.ok((stats.byCode.get(code) ?? 0) > 0, `no input was refused with ${code}`);
    }
  });
});
