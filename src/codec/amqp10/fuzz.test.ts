// Fuzzes the AMQP 1.0 frame decoder with random and mutated frames on the shared harness
// (test/helpers/fuzz.ts: each input fed whole and in random chunks; no other error, chunking changes
// nothing, less than one max-frame-size held between pushes and no more than one allocated at once).
// Here: the refusal is an Amqp10DecodeError carrying an AMQP error condition, transfer payloads are
// decoded as messages too, and what the decoder accepts encodes again to something it decodes the
// same. AMQP10_FUZZ_SEED=<n> replays a run, AMQP10_FUZZ_INPUTS=<n> changes the number of inputs.

import assert from 'node:assert/strict';
import fc from 'fast-check';
import { appendJunk, aroundMutated, describeCodecFuzz, feedDecoder, flipBits, insertOrDeleteOctet, splice, truncate, validFrames } from '../../../test/helpers/fuzz.ts';
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

const SMALL_FRAME_MAX = 512;
const LARGE_FRAME_MAX = 65536;
const CONDITIONS = new Set<string>(Object.values(CODEC_ERROR_CONDITION));

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

interface Setting {
  frameSizeMaxBytes: number;
  withHeader: boolean;
}

const decoder = (s: Setting) => new Amqp10FrameDecoder({ frameSizeMaxBytes: s.frameSizeMaxBytes, expectProtocolHeader: s.withHeader });

/** Decodes a transfer's payload as a message; after a sasl-outcome the AMQP protocol header follows. */
function onFrame(f: Amqp10Frame, d: Amqp10FrameDecoder): void {
  if (f.type === 'amqp' && f.payload !== undefined && f.payload.length > 0) decodeMessage(f.payload);
  if (f.type === 'sasl' && f.performative.kind === 'sasl-outcome') d.expectProtocolHeader();
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

describeCodecFuzz<Amqp10Frame, Amqp10DecodeError, Setting, Amqp10FrameDecoder>(
  'AMQP 1.0 frame decoder fuzz',
  {
    envPrefix: 'AMQP10',
    defaultSeed: 0x5ea10,
    errorClass: Amqp10DecodeError,
    requiredCodes: ['FRAME_TOO_LARGE', 'BAD_FRAME_HEADER', 'UNKNOWN_FRAME_TYPE', 'UNKNOWN_CONSTRUCTOR', 'TRUNCATED', 'BAD_FIELD_TYPE', 'PROTOCOL_HEADER_MISMATCH'],
  },
  (r, seed) => {
    const frames = corpus(seed);
    const pick = () => r.pick(frames);
    const header = () => encodeProtocolHeader(r.int(2) === 0 ? PROTOCOL_ID.AMQP : PROTOCOL_ID.SASL);

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
          // rewrite the size field: small, near the max, or huge (up to 4 GiB)
          const sizes = [r.int(16), b.length + r.int(3) - 1, SMALL_FRAME_MAX + r.int(3) - 1, LARGE_FRAME_MAX + r.int(100), 0x8000_0000, 0xffff_ffff];
          if (b.length >= 4) b.writeUInt32BE(r.pick(sizes), 0);
          return b;
        }
        case 5: {
          // mutate inside the body: constructors, sizes and counts of compounds
          if (b.length > 9) b[8 + r.int(b.length - 8)] = r.pick([0x00, 0xff, 0x7f, 0x80, 0x40, 0x45, 0xa1, 0xb0, 0xc0, 0xd0, 0xe0, 0xf0, 0x53]);
          if (b.length > 12 && r.int(2) === 0) b[11 + r.int(b.length - 11)] = r.int(256);
          return b;
        }
        case 6: // keeps the size field, shifts everything
          return insertOrDeleteOctet(r, b);
        case 7:
          return splice(r, b, pick);
        default: // doff, frame type or channel
          if (b.length > 7) b[4 + r.int(4)] = r.int(256);
          return b;
      }
    }

    function input(withHeader: boolean): Buffer {
      const parts: Buffer[] = withHeader ? [r.int(4) === 0 ? mutate(header()) : header()] : [];
      switch (r.int(10)) {
        case 0: // random bytes
          parts.push(r.bytes(r.int(300)));
          break;
        case 1: {
          // random body behind a plausible frame header
          const body = r.bytes(r.int(200));
          const h = Buffer.from([0, 0, 0, 0, 2, r.int(2), 0, r.int(3)]);
          h.writeUInt32BE(8 + body.length, 0);
          parts.push(h, body);
          break;
        }
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
      onItem: onFrame,
      bounds: (s) => ({ heldMaxBytes: s.frameSizeMaxBytes - 1, allocationMaxBytes: s.frameSizeMaxBytes }),
      // Frames are compared by their encodings.
      sameItem: (whole, chunked) => reencode(whole).equals(reencode(chunked)),
      checkRefusal(whole, chunked) {
        assert.equal(chunked.description, whole.description);
        assert.ok(CONDITIONS.has(whole.condition));
      },
      checkAccepted(accepted) {
        for (const f of accepted) {
          decoded++;
          // What the decoder accepted encodes, decodes again, and encodes to the same bytes.
          const encoded = reencode(f);
          const again = feedDecoder(decoder({ frameSizeMaxBytes: 1 << 24, withHeader: f.type === 'protocol-header' }), encoded, [], Amqp10DecodeError, onFrame);
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
