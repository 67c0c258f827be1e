// Fuzzes the AMQP 1.0 frame decoder with random and mutated frames, each fed whole and in random
// chunks. The decoder may refuse input only with Amqp10DecodeError carrying an AMQP error condition;
// it must never throw anything else, allocate more than one max-frame-size at a time, or hold more
// than a frame between pushes; what it accepts must encode again to something it decodes the same.
// The seed is printed on failure; AMQP10_FUZZ_SEED=<n> replays a run, AMQP10_FUZZ_INPUTS=<n>
// changes the number of inputs. Transfer payloads are decoded as messages too.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Amqp10DecodeError, CODEC_ERROR_CONDITION } from './errors.ts';
import {
  type Amqp10Frame,
  Amqp10FrameDecoder,
  encodeEmptyFrame,
  encodeFrame,
  encodeProtocolHeader,
  encodeSaslFrame,
  PROTOCOL_ID,
} from './frames.ts';
import { FRAME_PERFORMATIVE_KINDS, type PerformativeInit, SASL_PERFORMATIVE_KINDS, type SaslPerformativeInit } from './generated.ts';
import { decodeMessage, encodeMessage } from './message.ts';
import { compositeArb, valueArb } from './test-arbitraries.ts';
import { withLargestAllocation } from '../../../test/helpers/allocation.ts';

const INPUTS = Number(process.env.AMQP10_FUZZ_INPUTS ?? 100_000);
const SEED = Number(process.env.AMQP10_FUZZ_SEED ?? 0x5ea10);
const SMALL_FRAME_MAX = 512;
const LARGE_FRAME_MAX = 65536;
const CONDITIONS = new Set<string>(Object.values(CODEC_ERROR_CONDITION));

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

/** Valid frames to mutate: every performative, SASL frames, transfers with messages, empty frames. */
function corpus(seed: number): Buffer[] {
  const frames: Buffer[] = [];
  const keep = (f: Buffer) => {
    if (f.length <= SMALL_FRAME_MAX) frames.push(f);
  };
  for (const kind of FRAME_PERFORMATIVE_KINDS) {
    for (const p of fc.sample(compositeArb(kind), { numRuns: 60, seed })) keep(encodeFrame(frames.length % 4, p as PerformativeInit));
  }
  for (const kind of SASL_PERFORMATIVE_KINDS) {
    for (const p of fc.sample(compositeArb(kind), { numRuns: 40, seed })) keep(encodeSaslFrame(p as SaslPerformativeInit, 1 << 20));
  }
  const messages = fc.sample(
    fc.record({
      header: compositeArb('header'),
      properties: compositeArb('properties'),
      body: fc.oneof(valueArb.map((value) => ({ kind: 'amqp-value' as const, value })), fc.constant({ kind: 'data' as const, data: [Buffer.from('hello')] })),
    }),
    { numRuns: 100, seed },
  );
  for (const m of messages) {
    keep(encodeFrame(1, { kind: 'transfer', handle: 0, deliveryId: 1, deliveryTag: Buffer.from([1]) }, encodeMessage(m as Parameters<typeof encodeMessage>[0])));
  }
  frames.push(encodeEmptyFrame(), encodeEmptyFrame(3));
  return frames;
}

interface Outcome {
  frames: Amqp10Frame[];
  error: Amqp10DecodeError | undefined;
  bufferedMaxBytes: number;
}

function feed(input: Buffer, cuts: number[], frameSizeMaxBytes: number, expectProtocolHeader: boolean): Outcome {
  const d = new Amqp10FrameDecoder({ frameSizeMaxBytes, expectProtocolHeader });
  const frames: Amqp10Frame[] = [];
  let bufferedMaxBytes = 0;
  let from = 0;
  try {
    for (const to of [...cuts, input.length]) {
      d.push(input.subarray(from, to));
      from = to;
      for (let f = d.next(); f !== undefined; f = d.next()) {
        if (f.type === 'amqp' && f.payload !== undefined && f.payload.length > 0) decodeMessage(f.payload);
        frames.push(f);
        // After a sasl-outcome the AMQP protocol header follows.
        if (f.type === 'sasl' && f.performative.kind === 'sasl-outcome') d.expectProtocolHeader();
      }
      // Precondition: between pushes the decoder holds less than one frame.
      bufferedMaxBytes = Math.max(bufferedMaxBytes, d.bufferedBytes);
    }
  } catch (err) {
    if (!(err instanceof Amqp10DecodeError)) throw err;
    return { frames, error: err, bufferedMaxBytes };
  }
  return { frames, error: undefined, bufferedMaxBytes };
}

/** Re-encodes a decoded frame; a decoded value must survive encode -> decode unchanged. */
function reencode(f: Amqp10Frame): Buffer {
  switch (f.type) {
    case 'protocol-header':
      return encodeProtocolHeader(f.protocolId);
    case 'amqp':
      return encodeFrame(f.channel, f.performative as PerformativeInit, f.payload);
    case 'sasl':
      return encodeSaslFrame(f.performative as SaslPerformativeInit, 1 << 24);
    case 'empty':
      return encodeEmptyFrame(f.channel);
  }
}

describe('AMQP 1.0 frame decoder fuzz', () => {
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
    const header = () => encodeProtocolHeader(int(2) === 0 ? PROTOCOL_ID.AMQP : PROTOCOL_ID.SASL);

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
          // rewrite the size field: small, near the max, or huge (up to 4 GiB)
          const sizes = [int(16), b.length + int(3) - 1, SMALL_FRAME_MAX + int(3) - 1, LARGE_FRAME_MAX + int(100), 0x8000_0000, 0xffff_ffff];
          if (b.length >= 4) b.writeUInt32BE(sizes[int(sizes.length)]!, 0);
          return b;
        }
        case 5: {
          // mutate inside the body: constructors, sizes and counts of compounds
          if (b.length > 9) b[8 + int(b.length - 8)] = [0x00, 0xff, 0x7f, 0x80, 0x40, 0x45, 0xa1, 0xb0, 0xc0, 0xd0, 0xe0, 0xf0, 0x53][int(13)]!;
          if (b.length > 12 && int(2) === 0) b[11 + int(b.length - 11)] = int(256);
          return b;
        }
        case 6: {
          // insert or delete an octet in the middle (keeps the size field, shifts everything)
          const at = int(b.length);
          return int(2) === 0 ? Buffer.concat([b.subarray(0, at), Buffer.from([int(256)]), b.subarray(at)]) : Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
        }
        case 7: // splice two frames
          return Buffer.concat([b.subarray(0, int(b.length)), pick().subarray(int(8))]);
        default: // doff, frame type or channel
          if (b.length > 7) b[4 + int(4)] = int(256);
          return b;
      }
    }

    function input(): { bytes: Buffer; withHeader: boolean } {
      const withHeader = int(8) === 0;
      const parts: Buffer[] = withHeader ? [int(4) === 0 ? mutate(header()) : header()] : [];
      switch (int(10)) {
        case 0: // random bytes
          parts.push(randomBytes(int(300)));
          break;
        case 1: // random body behind a plausible frame header
          {
            const body = randomBytes(int(200));
            const h = Buffer.from([0, 0, 0, 0, 2, int(2), 0, int(3)]);
            h.writeUInt32BE(8 + body.length, 0);
            parts.push(h, body);
          }
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

        // Record every allocation made through Buffer while decoding, to bound it by the max frame size.
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

        // Chunking changes nothing: same frames, same error.
        assert.equal(chunked.frames.length, whole.frames.length);
        assert.equal(chunked.error?.code, whole.error?.code);
        assert.equal(chunked.error?.description, whole.error?.description);

        if (whole.error !== undefined) {
          stats.refused++;
          stats.byCode.set(whole.error.code, (stats.byCode.get(whole.error.code) ?? 0) + 1);
          assert.ok(CONDITIONS.has(whole.error.condition));
        }
        whole.frames.forEach((f, k) => {
          stats.frames++;
          // What the decoder accepted encodes, decodes again, and encodes to the same bytes.
          const encoded = reencode(f);
          assert.ok(reencode(chunked.frames[k]!).equals(encoded), 'chunked frame differs');
          const again = feed(encoded, [], 1 << 24, f.type === 'protocol-header');
          assert.equal(again.error, undefined, `re-encoded ${f.type} frame decodes`);
          assert.ok(Buffer.concat(again.frames.map(reencode)).equals(encoded), `${f.type} frame is stable`);
        });
      }
    } catch (err) {
      console.error(`fuzz failed with AMQP10_FUZZ_SEED=${SEED}; input ${current?.toString('hex')}`);
      throw err;
    }

    t.diagnostic(`inputs ${stats.inputs}, refused ${stats.refused}, frames decoded ${stats.frames}`);
    t.diagnostic(`refusals by code: ${JSON.stringify(Object.fromEntries([...stats.byCode].sort()))}`);
    // The run must have exercised both sides: plenty refused, plenty accepted, many error kinds.
    assert.equal(stats.inputs, INPUTS);
    assert.ok(stats.refused > INPUTS / 4, `refused ${stats.refused}`);
    assert.ok(stats.frames > INPUTS / 2, `decoded ${stats.frames} frames`);
    for (const code of ['FRAME_TOO_LARGE', 'BAD_FRAME_HEADER', 'UNKNOWN_FRAME_TYPE', 'UNKNOWN_CONSTRUCTOR', 'TRUNCATED', 'BAD_FIELD_TYPE', 'PROTOCOL_HEADER_MISMATCH']) {
      assert.ok((stats.byCode.get(code) ?? 0) > 0, `no input was refused with ${code}`);
    }
  });
});
