// The harness every codec fuzz test runs on: a seeded PRNG, the loop of N random and mutated inputs,
// each fed to a fresh decoder whole and in random chunks, and the checks every decoder must pass
// (it refuses only with its own decode error and a known code; chunking changes nothing; it holds
// and allocates no more than its limit; enough inputs are refused, each error code at least once).
// Each codec keeps its corpus, its own mutations, and its decoder-specific checks (re-encoding what
// it accepted, the fields of its errors); the mutations all framings share are here.

import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { withLargestAllocation } from './allocation.ts';

/** mulberry32: small, fast, seedable. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Draws from one seeded stream, so that a seed replays a whole run. */
export class FuzzRandom {
  readonly next: () => number;

  constructor(seed: number) {
    this.next = prng(seed);
  }

  /** 0 <= result < n. */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }

  /** `n` random octets, or octets of `alphabet`. */
  bytes(n: number, alphabet?: readonly number[]): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = alphabet === undefined ? this.int(256) : alphabet[this.int(alphabet.length)]!;
    return b;
  }

  /** Sorted cut points for an input of `length` octets: up to `most - 1`, and every octet once in `octetByOctetOneIn` inputs. */
  cuts(length: number, most: number, octetByOctetOneIn?: number): number[] {
    const cuts: number[] = [];
    for (let k = this.int(most); k > 0; k--) cuts.push(this.int(length + 1));
    if (octetByOctetOneIn !== undefined && this.int(octetByOctetOneIn) === 0) for (let at = 1; at < length; at++) cuts.push(at);
    return cuts.sort((a, b) => a - b);
  }
}

// ---- mutations every framing shares; each returns a changed copy (or view) of `b` ----

/** Flips 1-4 bits. */
export function flipBits(r: FuzzRandom, b: Buffer): Buffer {
  const out = Buffer.from(b);
  for (let k = 1 + r.int(4); k > 0; k--) out[r.int(out.length)]! ^= 1 << r.int(8);
  return out;
}

/** Cuts the tail off. */
export function truncate(r: FuzzRandom, b: Buffer): Buffer {
  return b.subarray(0, r.int(b.length));
}

/** Appends 1-16 octets (of `alphabet`, if given). */
export function appendJunk(r: FuzzRandom, b: Buffer, alphabet?: readonly number[]): Buffer {
  return Buffer.concat([b, r.bytes(1 + r.int(16), alphabet)]);
}

/** Inserts an octet (from `octet`) or deletes one, somewhere: a length field now says one too few or too many. */
export function insertOrDeleteOctet(r: FuzzRandom, b: Buffer, octet: () => number = () => r.int(256)): Buffer {
  const at = r.int(b.length);
  return r.int(2) === 0 ? Buffer.concat([b.subarray(0, at), Buffer.from([octet()]), b.subarray(at)]) : Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
}

/** The head of `b` followed by the tail of another input from `other` (its first 0-7 octets dropped). */
export function splice(r: FuzzRandom, b: Buffer, other: () => Buffer): Buffer {
  return Buffer.concat([b.subarray(0, r.int(b.length)), other().subarray(r.int(8))]);
}

// ---- input shapes most codecs use ----

/** 1-4 valid frames: an input that must decode cleanly (within the limits). */
export function validFrames(r: FuzzRandom, pick: () => Buffer): Buffer[] {
  const parts: Buffer[] = [];
  for (let k = 1 + r.int(4); k > 0; k--) parts.push(pick());
  return parts;
}

/** 0-2 valid frames, one mutated, and half the time one more valid frame. */
export function aroundMutated(r: FuzzRandom, pick: () => Buffer, mutate: (b: Buffer) => Buffer): Buffer[] {
  const parts: Buffer[] = [];
  for (let k = r.int(3); k > 0; k--) parts.push(pick());
  parts.push(mutate(pick()));
  if (r.int(2) === 0) parts.push(pick());
  return parts;
}

// ---- feeding a decoder ----

/** The streaming shape every codec's decoder has. */
export interface FuzzDecoder<T> {
  push(chunk: Buffer): void;
  next(): T | undefined;
  readonly bufferedBytes: number;
}

type DecodeErrorClass<E> = abstract new (...args: never[]) => E;

/** What a decoder made of one input: what it decoded before the end or its error, and the most it held between pushes. */
export interface Fed<T, E> {
  out: T[];
  error: E | undefined;
  heldMaxBytes: number;
}

/**
 * Pushes `input` cut at `cuts` into `decoder`, taking every item after each push (`onItem` sees each
 * and may act on the decoder). Only an `errorClass` error ends the feed; anything else is a bug and
 * is thrown.
 */
export function feedDecoder<T, E, D extends FuzzDecoder<T>>(decoder: D & FuzzDecoder<T>, input: Buffer, cuts: readonly number[], errorClass: DecodeErrorClass<E>, onItem?: (item: T, decoder: D) => void): Fed<T, E> {
  const out: T[] = [];
  let heldMaxBytes = 0;
  let from = 0;
  try {
    for (const to of [...cuts, input.length]) {
      decoder.push(input.subarray(from, to));
      from = to;
      for (let item = decoder.next(); item !== undefined; item = decoder.next()) {
        onItem?.(item, decoder);
        out.push(item);
      }
      heldMaxBytes = Math.max(heldMaxBytes, decoder.bufferedBytes);
    }
  } catch (err) {
    if (!(err instanceof errorClass)) throw err;
    return { out, error: err as E, heldMaxBytes };
  }
  return { out, error: undefined, heldMaxBytes };
}

// ---- the run ----

/** One input: the decoder's setting (version, peer, limits...), the octets, and where to cut them. */
export interface FuzzCase<S> {
  setting: S;
  bytes: Buffer;
  cuts: number[];
}

/** What one codec brings to a run; made afresh per run from the run's random stream. */
export interface CodecFuzzRun<T, E extends Error & { code: string }, S, D extends FuzzDecoder<T>> {
  /** The next input; draws setting, octets and cuts from the run's stream in the codec's own order. */
  nextCase(): FuzzCase<S>;
  decoder(setting: S): D;
  /** Sees each decoded item while feeding (e.g. to decode a payload, or expect a protocol header next). */
  onItem?(item: T, decoder: D): void;
  /** Precondition: the most the decoder may hold between pushes, and allocate at once, under `setting` for `input`. */
  bounds(setting: S, input: Buffer): { heldMaxBytes: number; allocationMaxBytes: number };
  /** Whether the whole and the chunked feed decoded the same item. */
  sameItem(whole: T, chunked: T): boolean;
  /** The codec's own checks on a refusal (both feeds refused with the same code). */
  checkRefusal(whole: E, chunked: E, setting: S): void;
  /** The codec's own checks on what was accepted (typically: it encodes again to the same thing). */
  checkAccepted(items: readonly T[], setting: S): void;
  /** After the last input: the codec's diagnostics and its checks that the run exercised it. */
  finish(t: TestContext, stats: FuzzStats): void;
}

export interface CodecFuzzOptions<E> {
  /** `MQTT` reads MQTT_FUZZ_SEED and MQTT_FUZZ_INPUTS (default 100,000 inputs). */
  envPrefix: string;
  defaultSeed: number;
  errorClass: DecodeErrorClass<E>;
  /** Codes a run of 10,000 inputs or more must see each of. */
  requiredCodes: readonly string[];
  /** Every code the decoder may refuse with, where the codec lists them at run time. */
  knownCodes?: readonly string[];
}

export interface FuzzStats {
  inputs: number;
  refused: number;
  byCode: Map<string, number>;
}

/**
 * Declares the fuzz test of one decoder: `title` as the suite, one test that runs `inputs` cases from
 * `makeRun(random, seed)` (the seed also serves a corpus drawn with fast-check). The seed and the
 * failing input are printed when a check fails.
 */
export function describeCodecFuzz<T, E extends Error & { code: string }, S, D extends FuzzDecoder<T>>(
  title: string,
  options: CodecFuzzOptions<E>,
  makeRun: (random: FuzzRandom, seed: number) => CodecFuzzRun<T, E, S, D>,
): void {
  const inputs = Number(process.env[`${options.envPrefix}_FUZZ_INPUTS`] ?? 100_000);
  const seed = Number(process.env[`${options.envPrefix}_FUZZ_SEED`] ?? options.defaultSeed);
  const known = options.knownCodes === undefined ? undefined : new Set(options.knownCodes);
  describe(title, () => {
    it(`survives ${inputs} random and mutated inputs, whole and in random chunks (seed ${seed})`, (t) => {
      const run = makeRun(new FuzzRandom(seed), seed);
      const feed = (setting: S, bytes: Buffer, cuts: number[]) => feedDecoder(run.decoder(setting), bytes, cuts, options.errorClass, run.onItem?.bind(run));
      const stats: FuzzStats = { inputs: 0, refused: 0, byCode: new Map() };
      let current: FuzzCase<S> | undefined;
      // Many inputs are refused, each with a new error: their stack traces are not needed here.
      const stackTraceLimit = Error.stackTraceLimit;
      Error.stackTraceLimit = 0;
      try {
        for (let i = 0; i < inputs; i++) {
          current = run.nextCase();
          const { setting, bytes, cuts } = current;
          // Record every allocation made through Buffer while decoding, to bound it by the limit.
          const { result, allocationMaxBytes } = withLargestAllocation(() => ({ whole: feed(setting, bytes, []), chunked: feed(setting, bytes, cuts) }));
          const { whole, chunked } = result;
          stats.inputs++;

          // Precondition: no allocation beyond one frame's limit, and no more than that held between pushes.
          const bounds = run.bounds(setting, bytes);
          assert.ok(allocationMaxBytes <= bounds.allocationMaxBytes, `allocated ${allocationMaxBytes} bytes`);
          assert.ok(whole.heldMaxBytes <= bounds.heldMaxBytes, `held ${whole.heldMaxBytes} bytes (whole)`);
          assert.ok(chunked.heldMaxBytes <= bounds.heldMaxBytes, `held ${chunked.heldMaxBytes} bytes (chunked)`);

          // Chunking changes nothing: the same items, the same error.
          assert.equal(chunked.error?.code, whole.error?.code);
          assert.equal(chunked.out.length, whole.out.length, 'chunked output differs');
          whole.out.forEach((item, k) => assert.ok(run.sameItem(item, chunked.out[k]!), 'chunked output differs'));

          if (whole.error !== undefined) {
            stats.refused++;
            stats.byCode.set(whole.error.code, (stats.byCode.get(whole.error.code) ?? 0) + 1);
            if (known !== undefined) assert.ok(known.has(whole.error.code), `unknown code ${whole.error.code}`);
            run.checkRefusal(whole.error, chunked.error!, setting);
          }
          run.checkAccepted(whole.out, setting);
        }
      } catch (err) {
        console.error(`fuzz failed with ${options.envPrefix}_FUZZ_SEED=${seed}; setting ${JSON.stringify(current?.setting)}; input ${current?.bytes.toString('hex')}`);
        throw err;
      } finally {
        Error.stackTraceLimit = stackTraceLimit;
      }

      t.diagnostic(`inputs ${stats.inputs}, refused ${stats.refused}`);
      t.diagnostic(`refusals by code: ${JSON.stringify(Object.fromEntries([...stats.byCode].sort()))}`);
      // The run must have exercised both sides: plenty refused, every error kind.
      assert.equal(stats.inputs, inputs);
      assert.ok(stats.refused > inputs / 4, `refused ${stats.refused}`);
      if (inputs >= 10_000) {
        for (const code of options.requiredCodes) assert.ok((stats.byCode.get(code) ?? 0) > 0, `no input was refused with ${code}`);
      }
      run.finish(t, stats);
    });
  });
}
