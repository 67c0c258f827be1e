// Fuzzes the MQTT decode path (framing + mqtt-packet + our checks) with random and mutated client
// packets, each input fed whole and in random chunks, for 3.1.1 and 5.0, with tight and default
// limits, on the shared harness (test/helpers/fuzz.ts: no other error, chunking changes nothing, no
// more than one packet's limit held between pushes or allocated at once). Here: the refusal is an
// MqttDecodeError with a short message that echoes no input, and what the decoder accepts encodes
// again to the same packet. MQTT_FUZZ_SEED=<n> replays a run, MQTT_FUZZ_INPUTS=<n> changes the
// number of inputs.

import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import type { Packet } from 'mqtt-packet';
import { appendJunk, aroundMutated, describeCodecFuzz, feedDecoder, flipBits, insertOrDeleteOctet, splice, truncate, validFrames } from '../../../test/helpers/fuzz.ts';
import { MQTT_DECODE_ERROR_CODES, MqttDecodeError } from './errors.ts';
import { MQTT_DEFAULT_LIMITS, type MqttDecodeLimits, MqttPacketDecoder } from './packet-decoder.ts';
import { encodeForTest, randomPacket } from './test-arbitraries.ts';

const TIGHT: MqttDecodeLimits = { packetSizeMaxBytes: 300 };

interface Setting {
  version: 4 | 5;
  limits: MqttDecodeLimits;
}

const decoder = (s: Setting) => new MqttPacketDecoder({ ...s.limits, protocolVersion: s.version });

/** Whether two packets mean the same (the parser's `length` bookkeeping aside). */
function samePacket(a: Packet, b: Packet): boolean {
  const { length: _a, ...restA } = a as Packet & { length?: number };
  const { length: _b, ...restB } = b as Packet & { length?: number };
  return isDeepStrictEqual(restA, restB);
}

describeCodecFuzz<Packet, MqttDecodeError, Setting, MqttPacketDecoder>(
  'MQTT decoder fuzz',
  { envPrefix: 'MQTT', defaultSeed: 0x3a77, errorClass: MqttDecodeError, requiredCodes: MQTT_DECODE_ERROR_CODES, knownCodes: MQTT_DECODE_ERROR_CODES },
  (r) => {
    const corpus = { 4: [] as Buffer[], 5: [] as Buffer[] };
    for (const version of [4, 5] as const) {
      for (let i = 0; i < 1500; i++) corpus[version].push(encodeForTest(randomPacket(r.next, version), version));
    }

    function mutate(packet: Buffer, pick: () => Buffer): Buffer {
      const b = Buffer.from(packet);
      switch (r.int(9)) {
        case 0:
          return flipBits(r, b);
        case 1: // reserved flag bits or type in the first byte
          b[0] = (b[0]! & 0xf0) | r.int(16);
          if (r.int(3) === 0) b[0] = (r.int(16) << 4) | (b[0] & 0x0f);
          return b;
        case 2:
          return truncate(r, b);
        case 3:
          return appendJunk(r, b);
        case 4: {
          // another remaining length: 5 continuation bytes, huge, shorter, longer
          const lengths = [
            [0xff, 0xff, 0xff, 0xff, 0x7f],
            [0x80, 0x80, 0x80, 0x80, 0x01],
            [0xff, 0xff, 0xff, 0x7f],
            [r.int(128)],
            [0x80 | r.int(128), r.int(4)],
          ];
          let end = 1;
          while (end < b.length && end < 5 && (b[end]! & 0x80) !== 0) end++;
          return Buffer.concat([b.subarray(0, 1), Buffer.from(r.pick(lengths)), b.subarray(end + 1)]);
        }
        case 5: {
          // invalid UTF-8 or U+0000 somewhere
          const at = 2 + r.int(Math.max(1, b.length - 2));
          const bad = Buffer.from(r.pick([[0xc3, 0x28], [0xff], [0xed, 0xa0, 0x80], [0x00], [0xf4, 0x90, 0x80, 0x80]]));
          bad.copy(b, Math.min(at, b.length - bad.length > 0 ? at : 0));
          return b;
        }
        case 6:
          return splice(r, b, pick);
        case 7:
          return insertOrDeleteOctet(r, b);
        default: // overwrite a few bytes with property ids and small numbers
          for (let k = 1 + r.int(3); k > 0; k--) b[r.int(b.length)] = r.pick([0x01, 0x02, 0x03, 0x08, 0x0b, 0x11, 0x18, 0x21, 0x23, 0x26, 0x7f, 0x80, 0xff, 0]);
          return b;
      }
    }

    function input(packets: Buffer[]): Buffer {
      const pick = () => r.pick(packets);
      const parts: Buffer[] = [];
      switch (r.int(10)) {
        case 0:
          parts.push(r.bytes(r.int(400)));
          break;
        case 1:
        case 2: // valid packets only
          parts.push(...validFrames(r, pick));
          break;
        default:
          parts.push(...aroundMutated(r, pick, (b) => mutate(b, pick)));
      }
      return Buffer.concat(parts);
    }

    const stats = { packets: 0, reencoded: 0, unencodable: 0 };
    const messages = new Set<string>();
    return {
      nextCase() {
        const setting: Setting = { version: r.int(2) === 0 ? 4 : 5, limits: r.int(5) === 0 ? MQTT_DEFAULT_LIMITS : TIGHT };
        const bytes = input(corpus[setting.version]);
        return { setting, bytes, cuts: r.cuts(bytes.length, 8, 200) };
      },
      decoder,
      // Less than one packet's limit held between pushes, and never more than that allocated for one
      // packet, whatever the header declares.
      bounds: (s) => ({ heldMaxBytes: s.limits.packetSizeMaxBytes - 1, allocationMaxBytes: s.limits.packetSizeMaxBytes }),
      sameItem: samePacket,
      checkRefusal(error) {
        assert.match(error.message, /^[ -~]{1,80}$/);
        messages.add(error.message);
      },
      checkAccepted(packets, setting) {
        for (const p of packets) {
          stats.packets++;
          // What the decoder accepted encodes and decodes to the same packet.
          const pv = p.cmd === 'connect' ? (p.protocolVersion === 5 ? 5 : 4) : setting.version;
          let encoded: Buffer;
          try {
            encoded = encodeForTest(p, pv);
          } catch {
            // The generator refuses what only the session may refuse (an empty client id without
            // clean session); counted, and bounded below.
            stats.unencodable++;
            continue;
          }
          const again = feedDecoder(decoder({ version: pv, limits: MQTT_DEFAULT_LIMITS }), encoded, [], MqttDecodeError);
          assert.equal(again.error, undefined, `re-encoded ${p.cmd} decodes`);
          assert.equal(again.out.length, 1);
          assert.ok(samePacket(again.out[0]!, p), `${p.cmd} is stable`);
          stats.reencoded++;
          if (p.cmd === 'connect') break; // a CONNECT changes the version for what follows
        }
      },
      finish(t, { inputs }) {
        t.diagnostic(`packets ${stats.packets}, not re-encodable ${stats.unencodable}`);
        assert.ok(stats.packets > inputs / 2, `decoded ${stats.packets} packets`);
        assert.ok(stats.unencodable < stats.packets / 1000, `${stats.unencodable} accepted packets could not be encoded again`);
        assert.ok(messages.size <= 40, `${messages.size} distinct error messages: ${[...messages].slice(0, 5).join(' | ')}`);
      },
    };
  },
);
