// Fuzzes the STOMP frame decoder with random and mutated inputs, each fed whole and in random chunks,
// across versions, both peers, and tight and default limits. The decoder may refuse input only with
// StompDecodeError carrying a stable code and a short message that echoes no input; it must never
// throw anything else, hang, or hold more than frameSizeMaxBytes (+ a CR) between pushes; chunking
// must change nothing; what it accepts must encode again to the same frame. The seed is printed on
// failure; STOMP_FUZZ_SEED=<n> replays a run, STOMP_FUZZ_INPUTS=<n> changes the number of inputs.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { STOMP_DECODE_ERROR_CODES, StompDecodeError } from './errors.ts';
import { STOMP_CLIENT_COMMANDS, STOMP_SERVER_COMMANDS, type StompDecoded, type StompFrame, type StompVersion } from './frame.ts';
import { STOMP_DEFAULT_LIMITS, type StompDecodeLimits, StompFrameDecoder } from './frame-decoder.ts';
import { encodeStompFrame, isStompHeaderEncodable } from './frame-encoder.ts';
import { frameCaseArb } from './test-arbitraries.ts';

const INPUTS = Number(process.env.STOMP_FUZZ_INPUTS ?? 100_000);
const SEED = Number(process.env.STOMP_FUZZ_SEED ?? 0x570e);
/** Tight limits, so that every limit is hit often; a fifth of the inputs run with the defaults. */
const TIGHT: StompDecodeLimits = { frameSizeMaxBytes: 300, bodySizeMaxBytes: 200, headerSizeMaxBytes: 64, headerLineCountMax: 8 };
/** Held between pushes at most: the frame limit, plus a lone CR that may start a CR LF heart-beat. */
const HELD_SLACK_BYTES = 1;
const CODES = new Set<string>(STOMP_DECODE_ERROR_CODES);

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

interface Setting {
  version: StompVersion;
  peer: 'client' | 'server';
  limits: StompDecodeLimits;
}

interface Outcome {
  out: StompDecoded[];
  error: StompDecodeError | undefined;
  heldMaxBytes: number;
}

function feed(input: Buffer, cuts: number[], s: Setting): Outcome {
  const d = new StompFrameDecoder({ ...s.limits, version: s.version, peer: s.peer });
  const out: StompDecoded[] = [];
  let heldMaxBytes = 0;
  let from = 0;
  try {
    for (const to of [...cuts, input.length]) {
      d.push(input.subarray(from, to));
      from = to;
      for (let f = d.next(); f !== undefined; f = d.next()) out.push(f);
      heldMaxBytes = Math.max(heldMaxBytes, d.bufferedBytes);
    }
  } catch (err) {
    if (!(err instanceof StompDecodeError)) throw err;
    return { out, error: err, heldMaxBytes };
  }
  return { out, error: undefined, heldMaxBytes };
}

/** Whether two frames mean the same: command, headers in order (content-length aside), body. */
function sameFrame(a: StompFrame, b: StompFrame): boolean {
  if (a.command !== b.command || !a.body.equals(b.body)) return false;
  const ha = [...a.headers].filter(([name]) => name !== 'content-length');
  const hb = [...b.headers].filter(([name]) => name !== 'content-length');
  return ha.length === hb.length && ha.every(([n, v], i) => hb[i]![0] === n && hb[i]![1] === v);
}

function sameOutput(a: StompDecoded[], b: StompDecoded[]): boolean {
  return (
    a.length === b.length &&
    a.every((x, i) => {
      const y = b[i]!;
      return x.type === 'heartbeat' ? y.type === 'heartbeat' : y.type === 'frame' && sameFrame(x, y);
    })
  );
}

describe('STOMP frame decoder fuzz', () => {
  it(`survives ${INPUTS} random and mutated inputs, whole and in random chunks (seed ${SEED})`, (t) => {
    const rand = prng(SEED);
    const int = (n: number) => Math.floor(rand() * n);
    const pickOf = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;

    // Valid frames per (version, peer), to splice and mutate.
    const corpus = new Map<string, Buffer[]>();
    for (const c of fc.sample(frameCaseArb, { numRuns: 1500, seed: SEED })) {
      const key = `${c.version} ${c.peer}`;
      const frame = encodeStompFrame({ command: c.command, headers: c.headers, body: c.body }, c.version, { contentLength: c.contentLength });
      (corpus.get(key) ?? corpus.set(key, []).get(key)!).push(frame);
    }
    const SPECIAL = [0x0a, 0x0d, 0x3a, 0x5c, 0x00, 0xff, 0xc3, 0x80, 0x41, 0x20, 0x63, 0x74];
    const randomBytes = (n: number, alphabet?: number[]) => {
      const b = Buffer.allocUnsafe(n);
      for (let i = 0; i < n; i++) b[i] = alphabet === undefined ? int(256) : alphabet[int(alphabet.length)]!;
      return b;
    };

    function mutate(frame: Buffer, pick: () => Buffer): Buffer {
      const b = Buffer.from(frame);
      switch (int(10)) {
        case 0: // flip 1-4 bits
          for (let k = 1 + int(4); k > 0; k--) b[int(b.length)]! ^= 1 << int(8);
          return b;
        case 1: // overwrite 1-4 octets with the octets STOMP gives meaning to
          for (let k = 1 + int(4); k > 0; k--) b[int(b.length)] = pickOf(SPECIAL);
          return b;
        case 2: // truncate
          return b.subarray(0, int(b.length));
        case 3: // append junk
          return Buffer.concat([b, randomBytes(1 + int(16), int(2) === 0 ? SPECIAL : undefined)]);
        case 4: {
          // rewrite or add content-length: shorter, longer, over the limits, huge, or not a number
          const values = ['0', '1', String(int(300)), String(int(100_000)), '999999999999999', '18446744073709551616', '-1', 'x', '', ' 3', '1e2'];
          const value = pickOf(values);
          const s = b.toString('latin1');
          const at = s.indexOf('content-length:');
          if (at >= 0) {
            const eol = s.indexOf('\n', at);
            return Buffer.concat([b.subarray(0, at + 15), Buffer.from(value), b.subarray(eol < 0 ? b.length : eol)]);
          }
          const firstEol = s.indexOf('\n');
          return Buffer.concat([b.subarray(0, firstEol + 1), Buffer.from(`content-length:${value}\n`), b.subarray(firstEol + 1)]);
        }
        case 5: {
          // insert or delete an octet in the middle
          const at = int(b.length);
          return int(2) === 0 ? Buffer.concat([b.subarray(0, at), Buffer.from([pickOf(SPECIAL)]), b.subarray(at)]) : Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
        }
        case 6: // splice two frames
          return Buffer.concat([b.subarray(0, int(b.length)), pick().subarray(int(8))]);
        case 7: {
          // many header lines, or one long one
          const firstEol = b.indexOf(0x0a);
          const line = Buffer.from(pickOf(['foo:bar', `medium:${'v'.repeat(40)}`, `long:${'v'.repeat(int(120))}`]) + '\n');
          const lines = Buffer.concat(Array.from({ length: 1 + int(10) }, () => line));
          return Buffer.concat([b.subarray(0, firstEol + 1), lines, b.subarray(firstEol + 1)]);
        }
        case 8: {
          // another command: the other side's, lower case, or made up
          const firstEol = b.indexOf(0x0a);
          const commands = [...STOMP_CLIENT_COMMANDS, ...STOMP_SERVER_COMMANDS, 'send', 'FOO', 'SEND ', 'CONNECT\r', 'X'.repeat(20)];
          return Buffer.concat([Buffer.from(pickOf(commands)), b.subarray(firstEol < 0 ? b.length : firstEol)]);
        }
        default: {
          // an escape sequence, defined or not, somewhere in the headers
          const at = int(Math.max(1, b.indexOf('\n\n') < 0 ? b.length : b.indexOf('\n\n')));
          const esc = Buffer.from(pickOf(['\\n', '\\c', '\\\\', '\\r', '\\t', '\\', '\\x']));
          return Buffer.concat([b.subarray(0, at), esc, b.subarray(at)]);
        }
      }
    }

    function input(frames: Buffer[]): Buffer {
      const pick = () => pickOf(frames);
      const eols = () => Buffer.from(pickOf(['', '', '\n', '\r\n', '\n\n']));
      const parts: Buffer[] = [];
      switch (int(10)) {
        case 0: // random bytes
          parts.push(randomBytes(int(400)));
          break;
        case 1: // random bytes from STOMP's alphabet behind a plausible command
          parts.push(Buffer.from(`${pickOf([...STOMP_CLIENT_COMMANDS, ...STOMP_SERVER_COMMANDS])}\n`), randomBytes(int(300), [...SPECIAL, 0x61, 0x62, 0x6b]));
          break;
        case 2: // valid frames and heart-beats only: must decode cleanly (within the limits)
          for (let k = 1 + int(4); k > 0; k--) parts.push(eols(), pick());
          break;
        default: // valid frames with one mutated among them
          for (let k = int(3); k > 0; k--) parts.push(pick(), eols());
          parts.push(mutate(pick(), pick));
          if (int(2) === 0) parts.push(eols(), pick());
      }
      return Buffer.concat(parts);
    }

    const stats = { inputs: 0, refused: 0, frames: 0, heartbeats: 0, reencoded: 0, byCode: new Map<string, number>() };
    const messages = new Set<string>();
    let current: Buffer | undefined;
    let setting: Setting | undefined;
    try {
      for (let i = 0; i < INPUTS; i++) {
        const version = pickOf(['1.0', '1.1', '1.2'] as const);
        const peer = int(4) === 0 ? 'server' : 'client';
        const limits = int(5) === 0 ? STOMP_DEFAULT_LIMITS : TIGHT;
        setting = { version, peer, limits };
        const bytes = input(corpus.get(`${version} ${peer}`)!);
        current = bytes;
        const cuts: number[] = [];
        for (let k = int(8); k > 0; k--) cuts.push(int(bytes.length + 1));
        if (int(200) === 0) for (let at = 1; at < bytes.length; at++) cuts.push(at); // octet by octet
        cuts.sort((a, b) => a - b);

        const whole = feed(bytes, [], setting);
        const chunked = feed(bytes, cuts, setting);
        stats.inputs++;

        // Precondition: between pushes the decoder holds at most one frame's limit.
        assert.ok(chunked.heldMaxBytes <= limits.frameSizeMaxBytes + HELD_SLACK_BYTES, `held ${chunked.heldMaxBytes} bytes`);
        if (bytes.length > limits.frameSizeMaxBytes + HELD_SLACK_BYTES) {
          assert.ok(whole.heldMaxBytes <= limits.frameSizeMaxBytes + HELD_SLACK_BYTES, `held ${whole.heldMaxBytes} bytes`);
        }

        // Chunking changes nothing: same frames and heart-beats, same error.
        assert.equal(chunked.error?.code, whole.error?.code);
        assert.ok(sameOutput(chunked.out, whole.out), 'chunked output differs');

        if (whole.error !== undefined) {
          stats.refused++;
          stats.byCode.set(whole.error.code, (stats.byCode.get(whole.error.code) ?? 0) + 1);
          assert.ok(CODES.has(whole.error.code));
          assert.match(whole.error.message, /^[ -~]{1,80}$/);
          messages.add(whole.error.message);
        }
        for (const f of whole.out) {
          if (f.type === 'heartbeat') {
            stats.heartbeats++;
            continue;
          }
          stats.frames++;
          // What the decoder accepted encodes and decodes to the same frame. (A 1.2 CONNECT value
          // ending in CR decodes but cannot be written unescaped; such headers are left out.)
          const headers = [...f.headers].filter(([n, v]) => isStompHeaderEncodable(version, f.command, n, v));
          const encoded = encodeStompFrame({ command: f.command, headers, body: f.body }, version);
          const again = feed(encoded, [], { version, peer, limits: STOMP_DEFAULT_LIMITS });
          assert.equal(again.error, undefined, `re-encoded ${f.command} decodes`);
          assert.equal(again.out.length, 1);
          assert.ok(sameFrame(again.out[0] as StompFrame, { ...f, headers: new Map(headers) }), `${f.command} is stable`);
          stats.reencoded++;
        }
      }
    } catch (err) {
      console.error(`fuzz failed with STOMP_FUZZ_SEED=${SEED}; setting ${JSON.stringify(setting)}; input ${current?.toString('hex')}`);
      throw err;
    }

    t.diagnostic(`inputs ${stats.inputs}, refused ${stats.refused}, frames ${stats.frames}, heart-beats ${stats.heartbeats}`);
    t.diagnostic(`refusals by code: ${JSON.stringify(Object.fromEntries([...stats.byCode].sort()))}`);
    // The run must have exercised both sides: plenty refused, plenty accepted, every error kind.
    assert.equal(stats.inputs, INPUTS);
    assert.ok(stats.refused > INPUTS / 4, `refused ${stats.refused}`);
    assert.ok(stats.frames > INPUTS / 2, `decoded ${stats.frames} frames`);
    assert.ok(stats.heartbeats > INPUTS / 10, `decoded ${stats.heartbeats} heart-beats`);
    if (INPUTS >= 10_000) {
      for (const code of STOMP_DECODE_ERROR_CODES) assert.ok((stats.byCode.get(code) ?? 0) > 0, `no input was refused with ${code}`);
    }
    // Messages are fixed words and limits: a handful of distinct texts, never the input echoed.
    assert.ok(messages.size <= 30, `${messages.size} distinct error messages: ${[...messages].slice(0, 5).join(' | ')}`);
  });
});
