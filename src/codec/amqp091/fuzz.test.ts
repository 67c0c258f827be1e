// Fuzzes the AMQP 0-9-1 frame decoder with random and mutated frames on the shared harness
// (test/helpers/fuzz.ts: each input fed whole and in random chunks; no other error, chunking changes
// nothing, less than one frame_max held between pushes and no more than one allocated at once).
// Here: the refusal is an Amqp091DecodeError carrying a hard-error reply code, and what the decoder
// accepts encodes again to something it decodes to the same value. AMQP091_FUZZ_SEED=<n> replays a
// run, AMQP091_FUZZ_INPUTS=<n> changes the number of inputs.

import assert from 'node:assert/strict';
import fc from 'fast-check';
import { appendJunk, aroundMutated, describeCodecFuzz, feedDecoder, flipBits, insertOrDeleteOctet, splice, truncate, validFrames } from '../../../test/helpers/fuzz.ts';
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

/** Frame max for most inputs: the pre-tune limit. A tenth run with the common negotiated 128 KiB. */
const SMALL_FRAME_MAX = FRAME_MIN_SIZE;
const LARGE_FRAME_MAX = 131072;
const REPLY_CODES = new Set<number>(Object.values(DECODE_REPLY_CODE));

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

interface Setting {
  frameSizeMaxBytes: number;
  withHeader: boolean;
}

const decoder = (s: Setting) => new Amqp091FrameDecoder({ frameSizeMaxBytes: s.frameSizeMaxBytes, expectProtocolHeader: s.withHeader });

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

describeCodecFuzz<Amqp091Frame, Amqp091DecodeError, Setting, Amqp091FrameDecoder>(
  'frame decoder fuzz',
  {
    envPrefix: 'AMQP091',
    defaultSeed: 0x5ea1,
    errorClass: Amqp091DecodeError,
    requiredCodes: ['FRAME_TOO_LARGE', 'BAD_FRAME_END', 'UNKNOWN_FRAME_TYPE', 'UNKNOWN_METHOD', 'TRUNCATED', 'UNKNOWN_FIELD_TYPE'],
  },
  (r, seed) => {
    const frames = corpus(seed);
    const pick = () => r.pick(frames);

    function mutate(frame: Buffer): Buffer {
      const b = Buffer.from(frame);
      switch (r.int(9)) {
        case 0:
          return flipBits(r, b);
        case 1: // overwrite 1-8 octets
          for (let k = 1 + r.int(8); k > 0; k--) b[r.int(b.length)] = r.int(256);
          return b;
        case 2:
          return truncate(r, b);
        case 3:
          return appendJunk(r, b);
        case 4: {
          // rewrite the size field: small, near frame_max, or huge (up to 4 GiB)
          const sizes = [r.int(64), SMALL_FRAME_MAX - 8 + r.int(3) - 1, LARGE_FRAME_MAX + r.int(100), 0x8000_0000, 0xffff_ffff];
          if (b.length >= 7) b.writeUInt32BE(r.pick(sizes), 3);
          return b;
        }
        case 5: {
          // mutate inside the payload: class/method ids, lengths, tags
          if (b.length > 12) b.writeUInt16BE(r.int(4) === 0 ? r.int(65536) : b.readUInt16BE(7) + r.int(3) - 1, 7 + 2 * r.int(2));
          if (b.length > 14) b[11 + r.int(b.length - 12)] = r.pick([0, 0xff, 0x7f, 0x80, 0x46, 0x41, 0x53]);
          return b;
        }
        case 6: // keeps the size field, shifts everything
          return insertOrDeleteOctet(r, b);
        case 7:
          return splice(r, b, pick);
        default: // frame type or channel
          b[r.int(3)] = r.int(256);
          return b;
      }
    }

    function input(withHeader: boolean): Buffer {
      const parts: Buffer[] = withHeader ? [r.int(4) === 0 ? mutate(encodeProtocolHeader()) : encodeProtocolHeader()] : [];
      switch (r.int(10)) {
        case 0: // random bytes
          parts.push(r.bytes(r.int(300)));
          break;
        case 1: // random payload behind a plausible header
          parts.push(Buffer.from([r.pick([1, 2, 3, 8]), 0, r.int(3)]), r.bytes(4 + r.int(200)));
          break;
        case 2:
          parts.push(...validFrames(r, pick));
          break;
        default:
          parts.push(...aroundMutated(r, pick, mutate));
      }
      return Buffer.concat(parts);
    }

    let decoded = 0;
    return {
      nextCase() {
        const withHeader = r.int(8) === 0;
        const bytes = input(withHeader);
        const setting = { frameSizeMaxBytes: r.int(10) === 0 ? LARGE_FRAME_MAX : SMALL_FRAME_MAX, withHeader };
        return { setting, bytes, cuts: r.cuts(bytes.length, 6) };
      },
      decoder,
      bounds: (s) => ({ heldMaxBytes: s.frameSizeMaxBytes - 1, allocationMaxBytes: s.frameSizeMaxBytes }),
      // Frames are compared by their encodings.
      sameItem: (whole, chunked) => reencode(whole).equals(reencode(chunked)),
      checkRefusal(whole, chunked) {
        assert.equal(chunked.replyText, whole.replyText);
        assert.ok(REPLY_CODES.has(whole.replyCode));
        assert.ok(Buffer.byteLength(whole.replyText) <= 255);
      },
      checkAccepted(frames) {
        for (const f of frames) {
          decoded++;
          // What the decoder accepted encodes, decodes again, and encodes to the same bytes.
          const encoded = reencode(f);
          const again = feedDecoder(decoder({ frameSizeMaxBytes: 1 << 20, withHeader: f.type === 'protocol-header' }), encoded, [], Amqp091DecodeError);
          assert.equal(again.error, undefined, `re-encoded ${f.type} frame decodes`);
          assert.ok(Buffer.concat(again.out.map(reencode)).equals(encoded), `${f.type} frame is stable`);
        }
      },
      finish(t, { inputs }) {
        t.diagnostic(`frames decoded ${decoded}`);
        assert.ok(decoded > inputs / 2, `decoded ${decoded} frames`);
      },
    };
  },
);
