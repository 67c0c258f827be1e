// Fuzzes the STOMP frame decoder with random and mutated inputs across versions, both peers, and
// tight and default limits, on the shared harness (test/helpers/fuzz.ts: each input fed whole and in
// random chunks; no other error, chunking changes nothing, no more than frameSizeMaxBytes (+ a CR)
// held between pushes or allocated at once). Here: the refusal is a StompDecodeError with a short
// message that echoes no input, and what the decoder accepts encodes again to the same frame.
// STOMP_FUZZ_SEED=<n> replays a run, STOMP_FUZZ_INPUTS=<n> changes the number of inputs.

import assert from 'node:assert/strict';
import fc from 'fast-check';
import { appendJunk, describeCodecFuzz, feedDecoder, flipBits, insertOrDeleteOctet, splice, truncate } from '../../../test/helpers/fuzz.ts';
import { STOMP_DECODE_ERROR_CODES, StompDecodeError } from './errors.ts';
import { STOMP_CLIENT_COMMANDS, STOMP_SERVER_COMMANDS, type StompDecoded, type StompFrame, type StompVersion } from './frame.ts';
import { STOMP_DEFAULT_LIMITS, type StompDecodeLimits, StompFrameDecoder } from './frame-decoder.ts';
import { encodeStompFrame, isStompHeaderEncodable } from './frame-encoder.ts';
import { frameCaseArb } from './test-arbitraries.ts';

/** Tight limits, so that every limit is hit often; a fifth of the inputs run with the defaults. */
const TIGHT: StompDecodeLimits = { frameSizeMaxBytes: 300, bodySizeMaxBytes: 200, headerSizeMaxBytes: 64, headerLineCountMax: 8 };
/** Held between pushes at most: the frame limit, plus a lone CR that may start a CR LF heart-beat. */
const HELD_SLACK_BYTES = 1;
/** The smallest buffer the decoder allocates for itself (frame-decoder.ts). */
const OWNED_MIN_BYTES = 4096;
const SPECIAL = [0x0a, 0x0d, 0x3a, 0x5c, 0x00, 0xff, 0xc3, 0x80, 0x41, 0x20, 0x63, 0x74];

interface Setting {
  version: StompVersion;
  peer: 'client' | 'server';
  limits: StompDecodeLimits;
}

const decoder = (s: Setting) => new StompFrameDecoder({ ...s.limits, version: s.version, peer: s.peer });

/** Whether two frames mean the same: command, headers in order (content-length aside), body. */
function sameFrame(a: StompFrame, b: StompFrame): boolean {
  if (a.command !== b.command || !a.body.equals(b.body)) return false;
  const ha = [...a.headers].filter(([name]) => name !== 'content-length');
  const hb = [...b.headers].filter(([name]) => name !== 'content-length');
  return ha.length === hb.length && ha.every(([n, v], i) => hb[i]![0] === n && hb[i]![1] === v);
}

/** Whether two decoded items are the same: both heart-beats, or frames that mean the same. */
function sameDecoded(x: StompDecoded, y: StompDecoded): boolean {
  return x.type === 'heartbeat' ? y.type === 'heartbeat' : y.type === 'frame' && sameFrame(x, y);
}

describeCodecFuzz<StompDecoded, StompDecodeError, Setting, StompFrameDecoder>(
  'STOMP frame decoder fuzz',
  { envPrefix: 'STOMP', defaultSeed: 0x570e, errorClass: StompDecodeError, requiredCodes: STOMP_DECODE_ERROR_CODES, knownCodes: STOMP_DECODE_ERROR_CODES },
  (r, seed) => {
    // Valid frames per (version, peer), to splice and mutate.
    const corpus = new Map<string, Buffer[]>();
    for (const c of fc.sample(frameCaseArb, { numRuns: 1500, seed })) {
      const key = `${c.version} ${c.peer}`;
      const frame = encodeStompFrame({ command: c.command, headers: c.headers, body: c.body }, c.version, { contentLength: c.contentLength });
      (corpus.get(key) ?? corpus.set(key, []).get(key)!).push(frame);
    }

    function mutate(frame: Buffer, pick: () => Buffer): Buffer {
      const b = Buffer.from(frame);
      switch (r.int(10)) {
        case 0:
          return flipBits(r, b);
        case 1: // overwrite 1-4 octets with the octets STOMP gives meaning to
          for (let k = 1 + r.int(4); k > 0; k--) b[r.int(b.length)] = r.pick(SPECIAL);
          return b;
        case 2:
          return truncate(r, b);
        case 3: // junk, of the octets STOMP gives meaning to half the time
          return appendJunk(r, b, r.int(2) === 0 ? SPECIAL : undefined);
        case 4: {
          // rewrite or add content-length: shorter, longer, over the limits, huge, or not a number
          const values = ['0', '1', String(r.int(300)), String(r.int(100_000)), '999999999999999', '18446744073709551616', '-1', 'x', '', ' 3', '1e2'];
          const value = r.pick(values);
          const s = b.toString('latin1');
          const at = s.indexOf('content-length:');
          if (at >= 0) {
            const eol = s.indexOf('\n', at);
            return Buffer.concat([b.subarray(0, at + 15), Buffer.from(value), b.subarray(eol < 0 ? b.length : eol)]);
          }
          const firstEol = s.indexOf('\n');
          return Buffer.concat([b.subarray(0, firstEol + 1), Buffer.from(`content-length:${value}\n`), b.subarray(firstEol + 1)]);
        }
        case 5:
          return insertOrDeleteOctet(r, b, () => r.pick(SPECIAL));
        case 6:
          return splice(r, b, pick);
        case 7: {
          // many header lines, or one long one
          const firstEol = b.indexOf(0x0a);
          const line = Buffer.from(r.pick(['foo:bar', `medium:${'v'.repeat(40)}`, `long:${'v'.repeat(r.int(120))}`]) + '\n');
          const lines = Buffer.concat(Array.from({ length: 1 + r.int(10) }, () => line));
          return Buffer.concat([b.subarray(0, firstEol + 1), lines, b.subarray(firstEol + 1)]);
        }
        case 8: {
          // another command: the other side's, lower case, or made up
          const firstEol = b.indexOf(0x0a);
          const commands = [...STOMP_CLIENT_COMMANDS, ...STOMP_SERVER_COMMANDS, 'send', 'FOO', 'SEND ', 'CONNECT\r', 'X'.repeat(20)];
          return Buffer.concat([Buffer.from(r.pick(commands)), b.subarray(firstEol < 0 ? b.length : firstEol)]);
        }
        default: {
          // an escape sequence, defined or not, somewhere in the headers
          const at = r.int(Math.max(1, b.indexOf('\n\n') < 0 ? b.length : b.indexOf('\n\n')));
          const esc = Buffer.from(r.pick(['\\n', '\\c', '\\\\', '\\r', '\\t', '\\', '\\x']));
          return Buffer.concat([b.subarray(0, at), esc, b.subarray(at)]);
        }
      }
    }

    function input(frames: Buffer[]): Buffer {
      const pick = () => r.pick(frames);
      const eols = () => Buffer.from(r.pick(['', '', '\n', '\r\n', '\n\n']));
      const parts: Buffer[] = [];
      switch (r.int(10)) {
        case 0: // random bytes
          parts.push(r.bytes(r.int(400)));
          break;
        case 1: // random bytes from STOMP's alphabet behind a plausible command
          parts.push(Buffer.from(`${r.pick([...STOMP_CLIENT_COMMANDS, ...STOMP_SERVER_COMMANDS])}\n`), r.bytes(r.int(300), [...SPECIAL, 0x61, 0x62, 0x6b]));
          break;
        case 2: // valid frames and heart-beats only: must decode cleanly (within the limits)
          for (let k = 1 + r.int(4); k > 0; k--) parts.push(eols(), pick());
          break;
        default: // valid frames with one mutated among them
          for (let k = r.int(3); k > 0; k--) parts.push(pick(), eols());
          parts.push(mutate(pick(), pick));
          if (r.int(2) === 0) parts.push(eols(), pick());
      }
      return Buffer.concat(parts);
    }

    const stats = { frames: 0, heartbeats: 0 };
    const messages = new Set<string>();
    return {
      nextCase() {
        const setting: Setting = { version: r.pick(['1.0', '1.1', '1.2'] as const), peer: r.int(4) === 0 ? 'server' : 'client', limits: r.int(5) === 0 ? STOMP_DEFAULT_LIMITS : TIGHT };
        const bytes = input(corpus.get(`${setting.version} ${setting.peer}`)!);
        return { setting, bytes, cuts: r.cuts(bytes.length, 8, 200) };
      },
      decoder,
      // The decoder's own buffer grows to twice what it holds plus the chunk pushed (4 KiB at least):
      // what a content-length declares never makes it allocate.
      bounds: (s, input) => ({ heldMaxBytes: s.limits.frameSizeMaxBytes + HELD_SLACK_BYTES, allocationMaxBytes: Math.max(OWNED_MIN_BYTES, 2 * (s.limits.frameSizeMaxBytes + HELD_SLACK_BYTES + input.length)) }),
      sameItem: sameDecoded,
      checkRefusal(error) {
        assert.match(error.message, /^[ -~]{1,80}$/);
        messages.add(error.message);
      },
      checkAccepted(out, { version, peer }) {
        for (const f of out) {
          if (f.type === 'heartbeat') {
            stats.heartbeats++;
            continue;
          }
          stats.frames++;
          // What the decoder accepted encodes and decodes to the same frame. (A 1.2 CONNECT value
          // ending in CR decodes but cannot be written unescaped; such headers are left out.)
          const headers = [...f.headers].filter(([n, v]) => isStompHeaderEncodable(version, f.command, n, v));
          const encoded = encodeStompFrame({ command: f.command, headers, body: f.body }, version);
          const again = feedDecoder(decoder({ version, peer, limits: STOMP_DEFAULT_LIMITS }), encoded, [], StompDecodeError);
          assert.equal(again.error, undefined, `re-encoded ${f.command} decodes`);
          assert.equal(again.out.length, 1);
          assert.ok(sameFrame(again.out[0] as StompFrame, { ...f, headers: new Map(headers) }), `${f.command} is stable`);
        }
      },
      finish(t, { inputs }) {
        t.diagnostic(`frames ${stats.frames}, heart-beats ${stats.heartbeats}`);
        assert.ok(stats.frames > inputs / 2, `decoded ${stats.frames} frames`);
        assert.ok(stats.heartbeats > inputs / 10, `decoded ${stats.heartbeats} heart-beats`);
        // Messages are fixed words and limits: a handful of distinct texts, never the input echoed.
        assert.ok(messages.size <= 30, `${messages.size} distinct error messages: ${[...messages].slice(0, 5).join(' | ')}`);
      },
    };
  },
);
