// Fuzzes the MQTT decode path (framing + mqtt-packet + our checks) with random and mutated client
// packets, each input fed whole and in random chunks, for 3.1.1 and 5.0, with tight and default
// limits. The decoder may refuse input only with MqttDecodeError (a stable code, a short message that
// echoes no input); it must never throw anything else, hold more than one packet's limit between
// pushes, or allocate a buffer larger than that limit; chunking must change nothing; what it
// accepts must encode again to the same packet. MQTT_FUZZ_SEED=<n> replays a run,
// MQTT_FUZZ_INPUTS=<n> changes the number of inputs.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import type { Packet } from 'mqtt-packet';
import { withLargestAllocation } from '../../../test/helpers/allocation.ts';
import { MQTT_DECODE_ERROR_CODES, MqttDecodeError } from './errors.ts';
import { MQTT_DEFAULT_LIMITS, type MqttDecodeLimits, MqttPacketDecoder } from './packet-decoder.ts';
import { encodeForTest, prng, randomPacket } from './test-arbitraries.ts';

const INPUTS = Number(process.env.MQTT_FUZZ_INPUTS ?? 100_000);
const SEED = Number(process.env.MQTT_FUZZ_SEED ?? 0x3a77);
const TIGHT: MqttDecodeLimits = { packetSizeMaxBytes: 300 };
const CODES = new Set<string>(MQTT_DECODE_ERROR_CODES);

interface Outcome {
  out: Packet[];
  error: MqttDecodeError | undefined;
  heldMaxBytes: number;
}

function feed(input: Buffer, cuts: number[], version: 4 | 5, limits: MqttDecodeLimits): Outcome {
  const d = new MqttPacketDecoder({ ...limits, protocolVersion: version });
  const out: Packet[] = [];
  let heldMaxBytes = 0;
  let from = 0;
  try {
    for (const to of [...cuts, input.length]) {
      d.push(input.subarray(from, to));
      from = to;
      for (let p = d.next(); p !== undefined; p = d.next()) out.push(p);
      heldMaxBytes = Math.max(heldMaxBytes, d.bufferedBytes);
    }
  } catch (err) {
    if (!(err instanceof MqttDecodeError)) throw err;
    return { out, error: err, heldMaxBytes };
  }
  return { out, error: undefined, heldMaxBytes };
}

/** Whether two packets mean the same (the parser's `length` bookkeeping aside). */
function samePacket(a: Packet, b: Packet): boolean {
  const { length: _a, ...restA } = a as Packet & { length?: number };
  const { length: _b, ...restB } = b as Packet & { length?: number };
  return isDeepStrictEqual(restA, restB);
}

describe('MQTT decoder fuzz', () => {
  it(`survives ${INPUTS} random and mutated inputs, whole and in random chunks (seed ${SEED})`, (t) => {
    const rand = prng(SEED);
    const int = (n: number) => Math.floor(rand() * n);
    const pickOf = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
    const randomBytes = (n: number) => {
      const b = Buffer.allocUnsafe(n);
      for (let i = 0; i < n; i++) b[i] = int(256);
      return b;
    };

    const corpus = { 4: [] as Buffer[], 5: [] as Buffer[] };
    for (const version of [4, 5] as const) {
      for (let i = 0; i < 1500; i++) corpus[version].push(encodeForTest(randomPacket(rand, version), version));
    }

    function mutate(packet: Buffer, pick: () => Buffer): Buffer {
      const b = Buffer.from(packet);
      switch (int(9)) {
        case 0: // flip 1-4 bits
          for (let k = 1 + int(4); k > 0; k--) b[int(b.length)]! ^= 1 << int(8);
          return b;
        case 1: // reserved flag bits or type in the first byte
          b[0] = (b[0]! & 0xf0) | int(16);
          if (int(3) === 0) b[0] = (int(16) << 4) | (b[0] & 0x0f);
          return b;
        case 2: // truncate
          return b.subarray(0, int(b.length));
        case 3: // append junk
          return Buffer.concat([b, randomBytes(1 + int(16))]);
        case 4: {
          // another remaining length: 5 continuation bytes, huge, shorter, longer
          const lengths = [
            [0xff, 0xff, 0xff, 0xff, 0x7f],
            [0x80, 0x80, 0x80, 0x80, 0x01],
            [0xff, 0xff, 0xff, 0x7f],
            [int(128)],
            [0x80 | int(128), int(4)],
          ];
          let end = 1;
          while (end < b.length && end < 5 && (b[end]! & 0x80) !== 0) end++;
          return Buffer.concat([b.subarray(0, 1), Buffer.from(pickOf(lengths)), b.subarray(end + 1)]);
        }
        case 5: {
          // invalid UTF-8 or U+0000 somewhere
          const at = 2 + int(Math.max(1, b.length - 2));
          const bad = Buffer.from(pickOf([[0xc3, 0x28], [0xff], [0xed, 0xa0, 0x80], [0x00], [0xf4, 0x90, 0x80, 0x80]]));
          bad.copy(b, Math.min(at, b.length - bad.length > 0 ? at : 0));
          return b;
        }
        case 6: // splice two packets
          return Buffer.concat([b.subarray(0, int(b.length)), pick().subarray(int(8))]);
        case 7: {
          // insert or delete a byte
          const at = int(b.length);
          return int(2) === 0 ? Buffer.concat([b.subarray(0, at), Buffer.from([int(256)]), b.subarray(at)]) : Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
        }
        default: // overwrite a few bytes with property ids and small numbers
          for (let k = 1 + int(3); k > 0; k--) b[int(b.length)] = pickOf([0x01, 0x02, 0x03, 0x08, 0x0b, 0x11, 0x18, 0x21, 0x23, 0x26, 0x7f, 0x80, 0xff, 0]);
          return b;
      }
    }

    function input(packets: Buffer[]): Buffer {
      const pick = () => pickOf(packets);
      const parts: Buffer[] = [];
      switch (int(10)) {
        case 0:
          parts.push(randomBytes(int(400)));
          break;
        case 1:
        case 2: // valid packets only: must decode cleanly (within the limits)
          for (let k = 1 + int(4); k > 0; k--) parts.push(pick());
          break;
        default:
          for (let k = int(3); k > 0; k--) parts.push(pick());
          parts.push(mutate(pick(), pick));
          if (int(2) === 0) parts.push(pick());
      }
      return Buffer.concat(parts);
    }

    const stats = { inputs: 0, refused: 0, packets: 0, reencoded: 0, unencodable: 0, byCode: new Map<string, number>() };
    const messages = new Set<string>();
    let current: Buffer | undefined;
    let setting = '';
    // Half the inputs are refused, each with a new error: their stack traces are not needed here.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      for (let i = 0; i < INPUTS; i++) {
        const version = int(2) === 0 ? 4 : 5;
        const limits = int(5) === 0 ? MQTT_DEFAULT_LIMITS : TIGHT;
        setting = `v${version} max ${limits.packetSizeMaxBytes}`;
        const bytes = input(corpus[version]);
        current = bytes;
        const cuts: number[] = [];
        for (let k = int(8); k > 0; k--) cuts.push(int(bytes.length + 1));
        if (int(200) === 0) for (let at = 1; at < bytes.length; at++) cuts.push(at); // byte by byte
        cuts.sort((a, b) => a - b);

        const whole = feed(bytes, [], version, limits);
        const { result: chunked, allocationMaxBytes } = withLargestAllocation(() => feed(bytes, cuts, version, limits));
        stats.inputs++;

        // Precondition: between pushes the decoder holds less than one packet's limit, and never
        // allocates more than that for one packet, whatever the header declares.
        assert.ok(chunked.heldMaxBytes < limits.packetSizeMaxBytes, `held ${chunked.heldMaxBytes} bytes`);
        assert.ok(allocationMaxBytes <= limits.packetSizeMaxBytes, `allocated ${allocationMaxBytes} bytes`);

        // Chunking changes nothing.
        assert.equal(chunked.error?.code, whole.error?.code);
        assert.equal(chunked.out.length, whole.out.length, 'chunked output differs');
        chunked.out.forEach((p, k) => assert.ok(samePacket(p, whole.out[k]!), 'chunked output differs'));

        if (whole.error !== undefined) {
          stats.refused++;
          stats.byCode.set(whole.error.code, (stats.byCode.get(whole.error.code) ?? 0) + 1);
          assert.ok(CODES.has(whole.error.code));
          assert.match(whole.error.message, /^[ -~]{1,80}$/);
          messages.add(whole.error.message);
        }
        for (const p of whole.out) {
          stats.packets++;
          // What the decoder accepted encodes and decodes to the same packet.
          const pv = p.cmd === 'connect' ? (p.protocolVersion === 5 ? 5 : 4) : version;
          let encoded: Buffer;
          try {
            encoded = encodeForTest(p, pv);
          } catch {
            // The generator refuses what only the session may refuse (an empty client id without
            // clean session); counted, and bounded below.
            stats.unencodable++;
            continue;
          }
          const again = feed(encoded, [], pv, MQTT_DEFAULT_LIMITS);
          assert.equal(again.error, undefined, `re-encoded ${p.cmd} decodes`);
          assert.equal(again.out.length, 1);
          assert.ok(samePacket(again.out[0]!, p), `${p.cmd} is stable`);
          stats.reencoded++;
          if (p.cmd === 'connect') break; // a CONNECT changes the version for what follows
        }
      }
    } catch (err) {
      console.error(`fuzz failed with MQTT_FUZZ_SEED=${SEED}; ${setting}; input ${current?.toString('hex')}`);
      throw err;
    } finally {
      Error.stackTraceLimit = stackTraceLimit;
    }

    t.diagnostic(`inputs ${stats.inputs}, refused ${stats.refused}, packets ${stats.packets}, not re-encodable ${stats.unencodable}`);
    t.diagnostic(`refusals by code: ${JSON.stringify(Object.fromEntries([...stats.byCode].sort()))}`);
    assert.equal(stats.inputs, INPUTS);
    assert.ok(stats.refused > INPUTS / 4, `refused ${stats.refused}`);
    assert.ok(stats.packets > INPUTS / 2, `decoded ${stats.packets} packets`);
    assert.ok(stats.unencodable < stats.packets / 1000, `${stats.unencodable} accepted packets could not be encoded again`);
    if (INPUTS >= 10_000) {
      for (const code of MQTT_DECODE_ERROR_CODES) assert.ok((stats.byCode.get(code) ?? 0) > 0, `no input was refused with ${code}`);
    }
    assert.ok(messages.size <= 40, `${messages.size} distinct error messages: ${[...messages].slice(0, 5).join(' | ')}`);
  });
});
