import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Amqp10DecodeError, Amqp10FrameSizeError } from './errors.ts';
import {
  AMQP_PROTOCOL_HEADER,
  type Amqp10Frame,
  Amqp10FrameDecoder,
  encodeEmptyFrame,
  encodeFrame,
  encodeSaslFrame,
  encodeTransferFrames,
  SASL_PROTOCOL_HEADER,
} from './frames.ts';
import { FRAME_PERFORMATIVE_KINDS, type PerformativeInit, SASL_PERFORMATIVE_KINDS, type SaslPerformativeInit } from './generated.ts';
import { compositeArb } from './test-arbitraries.ts';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function decodeAll(bytes: Buffer, options = {}): Amqp10Frame[] {
  const d = new Amqp10FrameDecoder(options);
  d.push(bytes);
  return [...d.frames()];
}

function assertRefused(bytes: Buffer, code: string, condition: string, options = {}): void {
  assert.throws(
    () => decodeAll(bytes, options),
    (err: unknown) => err instanceof Amqp10DecodeError && err.code === code && err.condition === condition,
  );
}

describe('AMQP 1.0 frames: known answers', () => {
  it('protocol headers are AMQP 0 1 0 0 and AMQP 3 1 0 0', () => {
    assert.equal(AMQP_PROTOCOL_HEADER.toString('hex'), '414d515000010000');
    assert.equal(SASL_PROTOCOL_HEADER.toString('hex'), '414d515003010000');
  });

  it('decodes a SASL exchange header, sasl-init PLAIN, then the AMQP header, open and an empty frame', () => {
    const saslInit = encodeSaslFrame({ kind: 'sasl-init', mechanism: 'PLAIN', initialResponse: Buffer.from('\0u\0p') });
    assert.equal(saslInit.toString('hex'), hex('0000001b 02 01 0000 005341 c0 0e 02 a305504c41494e a00400750070').toString('hex'));
    const d = new Amqp10FrameDecoder();
    d.push(Buffer.concat([SASL_PROTOCOL_HEADER, saslInit]));
    assert.deepEqual(d.next(), { type: 'protocol-header', protocolId: 3 });
    assert.deepEqual(d.next(), { type: 'sasl', performative: { kind: 'sasl-init', mechanism: 'PLAIN', initialResponse: Buffer.from('\0u\0p') } });
    assert.equal(d.next(), undefined);
    d.expectProtocolHeader();
    d.push(Buffer.concat([AMQP_PROTOCOL_HEADER, encodeFrame(0, { kind: 'open', containerId: 'c' }), encodeEmptyFrame()]));
    assert.deepEqual([...d.frames()], [
      { type: 'protocol-header', protocolId: 0 },
      { type: 'amqp', channel: 0, performative: { kind: 'open', containerId: 'c', maxFrameSize: 4294967295, channelMax: 65535 } },
      { type: 'empty', channel: 0 },
    ]);
    assert.equal(d.bufferedBytes, 0);
  });

  it('encodes open as known bytes', () => {
    assert.equal(encodeFrame(0, { kind: 'open', containerId: 'c' }).toString('hex'), hex('00000011 02 00 0000 005310 c0 04 01 a1 01 63').toString('hex'));
    assert.equal(encodeEmptyFrame().toString('hex'), '0000000802000000');
  });

  it('matches an open frame another AMQP 1.0 implementation writes (fe2o3-amqp\'s transport test)', () => {
    const bytes = hex('00000029 02 00 0000 005310 c0 1c 05 a1 04 31323334 a1 09 3132372e302e302e31 70 000003e8 60 0009 52 05');
    const open = { kind: 'open', containerId: '1234', hostname: '127.0.0.1', maxFrameSize: 1000, channelMax: 9, idleTimeOut: 5 } as const;
    assert.equal(encodeFrame(0, open).toString('hex'), bytes.toString('hex'));
    assert.deepEqual(decodeAll(bytes, { expectProtocolHeader: false }), [{ type: 'amqp', channel: 0, performative: open }]);
  });

  it('skips an extended header and keeps the channel', () => {
    const f = encodeFrame(5, { kind: 'end' });
    const extended = Buffer.concat([f.subarray(0, 8), Buffer.alloc(4), f.subarray(8)]);
    extended.writeUInt32BE(extended.length, 0);
    extended[4] = 3;
    assert.deepEqual(decodeAll(extended, { expectProtocolHeader: false }), [{ type: 'amqp', channel: 5, performative: { kind: 'end' } }]);
  });

  it('returns a transfer\'s payload', () => {
    const bytes = encodeFrame(1, { kind: 'transfer', handle: 0, deliveryId: 0, deliveryTag: Buffer.from('t') }, Buffer.from('hello'));
    const [f] = decodeAll(bytes, { expectProtocolHeader: false });
    assert.equal(f?.type, 'amqp');
    assert.equal((f as { payload?: Buffer }).payload?.toString(), 'hello');
  });

  it('splits a large payload into transfers within max-frame-size, more=true on all but the last', () => {
    const payload = Buffer.alloc(5000, 7);
    const frames = encodeTransferFrames(3, { handle: 1, deliveryId: 9, deliveryTag: Buffer.from([1]), settled: true }, payload, 512);
    assert.ok(frames.length > 9);
    for (const f of frames) assert.ok(f.length <= 512);
    const decoded = decodeAll(Buffer.concat(frames), { expectProtocolHeader: false }) as Array<Extract<Amqp10Frame, { type: 'amqp' }>>;
    assert.deepEqual(Buffer.concat(decoded.map((f) => f.payload!)), payload);
    assert.deepEqual(decoded.map((f) => (f.performative as { more: boolean }).more), [...Array(frames.length - 1).fill(true), false]);
    assert.equal((decoded[0]!.performative as { deliveryId?: number }).deliveryId, 9);
  });

  it('a payload that fits is one frame, the same octets encodeFrame gives', () => {
    const transfer = { handle: 2, deliveryId: 5, deliveryTag: Buffer.from([9, 9]), messageFormat: 0, settled: false };
    const payload = Buffer.alloc(300, 3);
    const frames = encodeTransferFrames(4, transfer, payload, 512);
    assert.equal(frames.length, 1);
    assert.deepEqual(frames[0], encodeFrame(4, { kind: 'transfer', ...transfer, more: false }, payload));
  });

  it('the direct encoding of a delivery transfer gives the generic encoder\'s octets', () => {
    fc.assert(
      fc.property(
        fc.record({
          handle: fc.oneof(fc.constantFrom(0, 255, 256, 0xffff_ffff), fc.nat()),
          deliveryId: fc.oneof(fc.constantFrom(0, 255, 256, 0xffff_ffff), fc.nat()),
          deliveryTag: fc.uint8Array({ maxLength: 32 }).map((u) => Buffer.from(u)),
          messageFormat: fc.option(fc.oneof(fc.constantFrom(0, 0x80013700), fc.nat()), { nil: undefined }),
          settled: fc.boolean(),
          more: fc.boolean(),
        }),
        fc.uint8Array({ maxLength: 64 }).map((u) => Buffer.from(u)),
        (t, payload) => {
          const frames = encodeTransferFrames(1, t, payload, 0xffff_ffff);
          assert.deepEqual(frames, [encodeFrame(1, { kind: 'transfer', ...t }, payload)]);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('refuses to encode a frame larger than the peer\'s max-frame-size', () => {
    assert.throws(() => encodeFrame(0, { kind: 'open', containerId: 'x'.repeat(600) }, undefined, 512), Amqp10FrameSizeError);
  });
});

describe('AMQP 1.0 frames: bad input', () => {
  it('refuses a wrong protocol header at its first wrong octet', () => {
    const d = new Amqp10FrameDecoder();
    d.push(Buffer.from('GE'));
    assert.throws(() => d.next(), (e: unknown) => e instanceof Amqp10DecodeError && e.code === 'PROTOCOL_HEADER_MISMATCH');
    // and keeps refusing
    assert.throws(() => d.next(), Amqp10DecodeError);
    assertRefused(hex('414d515000000901'), 'PROTOCOL_HEADER_MISMATCH', 'amqp:connection:framing-error');
    assertRefused(hex('414d515002010000'), 'PROTOCOL_HEADER_MISMATCH', 'amqp:connection:framing-error');
  });

  it('refuses a frame larger than max-frame-size from its first 4 octets', () => {
    const d = new Amqp10FrameDecoder({ expectProtocolHeader: false });
    d.push(hex('ffffffff'));
    assert.throws(() => d.next(), (e: unknown) => e instanceof Amqp10DecodeError && e.code === 'FRAME_TOO_LARGE' && e.condition === 'amqp:connection:framing-error');
  });

  it('accepts larger frames after setFrameSizeMax', () => {
    const big = encodeFrame(0, { kind: 'open', containerId: 'x'.repeat(1000) });
    assertRefused(big, 'FRAME_TOO_LARGE', 'amqp:connection:framing-error', { expectProtocolHeader: false });
    const d = new Amqp10FrameDecoder({ expectProtocolHeader: false });
    d.setFrameSizeMax(65536);
    d.push(big);
    assert.equal(d.next()?.type, 'amqp');
  });

  it('refuses bad sizes, data offsets and frame types', () => {
    assertRefused(hex('00000007 02 00 0000'), 'BAD_FRAME_HEADER', 'amqp:connection:framing-error', { expectProtocolHeader: false });
    assertRefused(hex('00000008 01 00 0000'), 'BAD_FRAME_HEADER', 'amqp:connection:framing-error', { expectProtocolHeader: false });
    assertRefused(hex('00000008 03 00 0000'), 'BAD_FRAME_HEADER', 'amqp:connection:framing-error', { expectProtocolHeader: false });
    assertRefused(hex('00000008 02 02 0000'), 'UNKNOWN_FRAME_TYPE', 'amqp:connection:framing-error', { expectProtocolHeader: false });
  });

  it('refuses a performative in the wrong frame type, an empty SASL frame, a body that is no performative', () => {
    const open = encodeFrame(0, { kind: 'open', containerId: 'c' });
    open[5] = 1;
    assertRefused(open, 'UNEXPECTED_PERFORMATIVE', 'amqp:connection:framing-error', { expectProtocolHeader: false });
    const init = encodeSaslFrame({ kind: 'sasl-init', mechanism: 'ANONYMOUS' });
    init[5] = 0;
    assertRefused(init, 'UNEXPECTED_PERFORMATIVE', 'amqp:connection:framing-error', { expectProtocolHeader: false });
    assertRefused(hex('00000008 02 01 0000'), 'TRUNCATED', 'amqp:decode-error', { expectProtocolHeader: false });
    assertRefused(hex('00000009 02 00 0000 40'), 'UNKNOWN_DESCRIPTOR', 'amqp:decode-error', { expectProtocolHeader: false });
    assertRefused(hex('0000000c 02 00 0000 005324 45'), 'UNEXPECTED_PERFORMATIVE', 'amqp:connection:framing-error', { expectProtocolHeader: false });
    assertRefused(hex('0000000d 02 00 0000 005318 45 40'), 'TRAILING_BYTES', 'amqp:decode-error', { expectProtocolHeader: false });
  });
});

describe('AMQP 1.0 frames: round trips', () => {
  it('every performative and SASL frame decodes to itself, whole and byte by byte', () => {
    const perfArb = fc.oneof(
      ...FRAME_PERFORMATIVE_KINDS.map((k) => compositeArb(k).map((p) => ({ sasl: false, p }))),
      ...SASL_PERFORMATIVE_KINDS.map((k) => compositeArb(k).map((p) => ({ sasl: true, p }))),
    );
    fc.assert(
      fc.property(perfArb, fc.integer({ min: 0, max: 0xffff }), ({ sasl, p }, channel) => {
        const bytes = sasl ? encodeSaslFrame(p as SaslPerformativeInit, 1 << 20) : encodeFrame(channel, p as PerformativeInit);
        const expected = sasl ? { type: 'sasl', performative: p } : { type: 'amqp', channel, performative: p, ...(p.kind === 'transfer' ? { payload: Buffer.alloc(0) } : {}) };
        assert.deepEqual(decodeAll(bytes, { expectProtocolHeader: false, frameSizeMaxBytes: 1 << 20 }), [expected]);
        const d = new Amqp10FrameDecoder({ expectProtocolHeader: false, frameSizeMaxBytes: 1 << 20 });
        const got: Amqp10Frame[] = [];
        for (const b of bytes) {
          d.push(Buffer.from([b]));
          got.push(...d.frames());
        }
        assert.deepEqual(got, [expected]);
      }),
      { numRuns: 500 },
    );
  });
});
