import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Amqp091DecodeError, type Amqp091DecodeErrorCode } from './errors.ts';
import { type Amqp091Frame, Amqp091FrameDecoder, PROTOCOL_HEADER } from './frame-decoder.ts';
import {
  encodeBodyFrames,
  encodeContentFrames,
  encodeContentHeaderFrame,
  encodeHeartbeatFrame,
  encodeMethodFrame,
  encodeProtocolHeader,
} from './frame-encoder.ts';
import { FRAME_MIN_SIZE } from './generated.ts';

function hex(s: string): Buffer {
  return Buffer.from(s.replace(/ /g, ''), 'hex');
}

/** Feeds `bytes` to a fresh decoder and returns the frames, or the decode error it threw. */
function run(
  bytes: Buffer,
  options: ConstructorParameters<typeof Amqp091FrameDecoder>[0] = { expectProtocolHeader: false },
): { frames: Amqp091Frame[]; error?: Amqp091DecodeError } {
  const d = new Amqp091FrameDecoder(options);
  const frames: Amqp091Frame[] = [];
  d.push(bytes);
  try {
    for (const f of d.frames()) frames.push(f);
  } catch (err) {
    assert.ok(err instanceof Amqp091DecodeError, `only Amqp091DecodeError, got ${String(err)}`);
    return { frames, error: err };
  }
  return { frames };
}

function expectError(bytes: Buffer, code: Amqp091DecodeErrorCode, replyCode: number, options?: ConstructorParameters<typeof Amqp091FrameDecoder>[0]) {
  const { error } = run(bytes, options);
  assert.ok(error !== undefined, `expected ${code}`);
  assert.equal(error.code, code);
  assert.equal(error.replyCode, replyCode);
  assert.ok(error.replyText.startsWith(`${error.replyCodeName} - `));
  return error;
}

describe('frame decoder: protocol header', () => {
  it('accepts AMQP 0-9-1 and then frames', () => {
    const { frames, error } = run(Buffer.concat([encodeProtocolHeader(), encodeHeartbeatFrame()]), {});
    assert.equal(error, undefined);
    assert.deepEqual(frames.map((f) => f.type), ['protocol-header', 'heartbeat']);
    assert.deepEqual(PROTOCOL_HEADER, Buffer.from('AMQP\x00\x00\x09\x01', 'latin1'));
  });

  for (const [what, bytes] of [
    ['AMQP 1.0', Buffer.from('AMQP\x00\x01\x00\x00', 'latin1')],
    ['AMQP 0-9 (old)', Buffer.from('AMQP\x01\x01\x00\x09', 'latin1')],
    ['an HTTP request', Buffer.from('GET / HTTP/1.1\r\n', 'latin1')],
    ['a TLS client hello', hex('16 03 01 02 00 01 00 01')],
  ] as const) {
    it(`refuses ${what}`, () => {
      expectError(bytes, 'PROTOCOL_HEADER_MISMATCH', 501, {});
    });
  }

  it('refuses a wrong header at its first wrong octet, without waiting for 8', () => {
    const d = new Amqp091FrameDecoder();
    d.push(Buffer.from('AM'));
    assert.equal(d.next(), undefined);
    d.push(Buffer.from('X'));
    assert.throws(() => d.next(), (err: unknown) => err instanceof Amqp091DecodeError && err.code === 'PROTOCOL_HEADER_MISMATCH');
  });

  it('waits for a header split across chunks', () => {
    const d = new Amqp091FrameDecoder();
    for (const b of encodeProtocolHeader()) {
      assert.equal(d.next(), undefined);
      d.push(Buffer.from([b]));
    }
    assert.deepEqual(d.next(), { type: 'protocol-header' });
  });
});

describe('frame decoder: frame rules', () => {
  it('refuses a frame declaring 2 GiB from its 7 header octets, before any payload', () => {
    const d = new Amqp091FrameDecoder({ expectProtocolHeader: false, frameSizeMaxBytes: 131072 });
    d.push(hex('01 0001 80000000'));
    assert.throws(
      () => d.next(),
      (err: unknown) => err instanceof Amqp091DecodeError && err.code === 'FRAME_TOO_LARGE' && err.replyCode === 501,
    );
    assert.equal(d.bufferedBytes, 7, 'nothing buffered beyond the header');
  });

  it('refuses a frame one octet over frame_max and accepts one exactly at it', () => {
    const body = (n: number) => Buffer.concat([hex('03 0001'), Buffer.from([0, 0, (n >> 8) & 0xff, n & 0xff]), Buffer.alloc(n), hex('ce')]);
    assert.equal(run(body(FRAME_MIN_SIZE - 8)).error, undefined);
    expectError(body(FRAME_MIN_SIZE - 7), 'FRAME_TOO_LARGE', 501);
  });

  it('applies a raised frame_max after setFrameSizeMax (after tune-ok)', () => {
    const d = new Amqp091FrameDecoder({ expectProtocolHeader: false });
    d.setFrameSizeMax(131072);
    d.push(encodeContentFrames(1, 'basic.publish', {}, {}, Buffer.alloc(100_000), 131072));
    assert.deepEqual([...d.frames()].map((f) => f.type), ['method', 'header', 'body']);
    assert.throws(() => d.setFrameSizeMax(100), RangeError);
  });

  it('refuses a bad frame-end octet', () => {
    const good = encodeHeartbeatFrame();
    good[7] = 0xcd;
    expectError(good, 'BAD_FRAME_END', 501);
  });

  it('refuses an unknown frame type', () => {
    expectError(hex('04 0000 00000000 ce'), 'UNKNOWN_FRAME_TYPE', 501);
  });

  it('refuses a heartbeat off channel 0 (spec 4.2.3: 503) and one with a payload (501)', () => {
    expectError(hex('08 0001 00000000 ce'), 'NOT_ON_CHANNEL_ZERO', 503);
    expectError(hex('08 0000 00000001 00 ce'), 'BAD_HEARTBEAT', 501);
  });

  it('refuses connection methods off channel 0 (503) and other methods on channel 0 (504)', () => {
    const tuneOk = encodeMethodFrame(0, 'connection.tune-ok', { channelMax: 1, frameMax: 4096, heartbeat: 0 });
    tuneOk.writeUInt16BE(5, 1);
    const err = expectError(tuneOk, 'NOT_ON_CHANNEL_ZERO', 503);
    assert.deepEqual([err.channel, err.classId, err.methodId], [5, 10, 31]);
    expectError(encodeMethodFrame(0, 'basic.qos', {}), 'METHOD_ON_CHANNEL_ZERO', 504);
  });

  it('refuses content frames on channel 0 as unexpected (505)', () => {
    expectError(hex('03 0000 00000001 41 ce'), 'CONTENT_ON_CHANNEL_ZERO', 505);
    expectError(encodeContentHeaderFrame(0, 1, {}), 'CONTENT_ON_CHANNEL_ZERO', 505);
  });

  it('refuses an unknown class or method with NOT_IMPLEMENTED, naming them', () => {
    const err = expectError(hex('01 0003 00000004 003c 0029 ce'), 'UNKNOWN_METHOD', 540);
    assert.deepEqual([err.channel, err.classId, err.methodId], [3, 60, 41]);
    expectError(hex('01 0003 00000004 0063 000a ce'), 'UNKNOWN_METHOD', 540);
  });

  it('refuses truncated arguments and trailing octets with FRAME_ERROR', () => {
    // basic.qos needs 7 argument octets; give 6, then 8.
    const err = expectError(hex('01 0001 0000000a 003c 000a 000000000000 ce'), 'TRUNCATED', 501);
    assert.deepEqual([err.classId, err.methodId], [60, 10]);
    expectError(hex('01 0001 0000000c 003c 000a 00000000000000 00 ce'), 'TRAILING_BYTES', 501);
    expectError(hex('01 0001 00000003 003c 00 ce'), 'TRUNCATED', 501);
  });

  it('refuses a name or routing key that is not UTF-8 with SYNTAX_ERROR rather than mangling it', () => {
    // basic.publish, ticket 0, exchange "", routing key <c3 28>, bits 0
    const err = expectError(hex('01 0001 0000000b 003c 0028 0000 00 02c328 00 ce'), 'BAD_SHORTSTR', 502);
    assert.deepEqual([err.channel, err.classId, err.methodId], [1, 60, 40]);
    const ok = run(hex('01 0001 0000000b 003c 0028 0000 00 02c3a9 00 ce'));
    assert.equal(ok.frames[0]?.type === 'method' && ok.frames[0].method.name === 'basic.publish' && ok.frames[0].method.args.routingKey, 'é');
  });

  it('refuses content headers with flags for no property (502) or of a class without content (505)', () => {
    const header = encodeContentHeaderFrame(1, 0, {});
    header[header.length - 2] = 0x01; // continuation flag
    expectError(header, 'BAD_PROPERTY_FLAGS', 502);
    const other = encodeContentHeaderFrame(1, 0, {});
    other.writeUInt16BE(50, 7);
    expectError(other, 'UNKNOWN_CONTENT_CLASS', 505);
  });

  it('keeps failing with the same error once it has failed', () => {
    const d = new Amqp091FrameDecoder({ expectProtocolHeader: false });
    d.push(hex('09 0000 00000000 ce'));
    let first: unknown;
    assert.throws(() => d.next(), (err) => ((first = err), true));
    d.push(encodeHeartbeatFrame());
    assert.throws(() => d.next(), (err) => err === first);
  });
});

describe('frame decoder: streaming', () => {
  const stream = Buffer.concat([
    encodeProtocolHeader(),
    encodeMethodFrame(0, 'connection.start-ok', {
      clientProperties: new Map([['product', { type: 'S', value: 'test' }]]),
      response: Buffer.from('\0user\0pass'),
    }),
    encodeMethodFrame(1, 'channel.open', {}),
    encodeContentFrames(1, 'basic.publish', { routingKey: 'q' }, { deliveryMode: 2 }, Buffer.alloc(9000, 7), FRAME_MIN_SIZE),
    encodeHeartbeatFrame(),
  ]);
  const whole = run(stream, {});

  it('decodes a whole stream', () => {
    assert.equal(whole.error, undefined);
    assert.deepEqual(
      whole.frames.map((f) => f.type),
      ['protocol-header', 'method', 'method', 'method', 'header', 'body', 'body', 'body', 'heartbeat'],
    );
    const bodies = whole.frames.flatMap((f) => (f.type === 'body' ? [f.payload] : []));
    assert.deepEqual(Buffer.concat(bodies), Buffer.alloc(9000, 7));
  });

  it('gives the same frames for the stream cut into random chunks', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 40 }), (cuts) => {
        const points = [0, ...cuts.sort((a, b) => a - b), stream.length];
        const d = new Amqp091FrameDecoder();
        const frames: Amqp091Frame[] = [];
        for (let i = 1; i < points.length; i++) {
          d.push(stream.subarray(points[i - 1], points[i]));
          for (const f of d.frames()) frames.push(f);
          assert.ok(d.bufferedBytes < FRAME_MIN_SIZE);
        }
        assert.deepStrictEqual(frames, whole.frames);
        assert.equal(d.bufferedBytes, 0);
      }),
      { numRuns: 200 },
    );
  });

  it('gives the same frames fed one octet at a time', () => {
    const d = new Amqp091FrameDecoder();
    const frames: Amqp091Frame[] = [];
    for (let i = 0; i < stream.length; i++) {
      d.push(stream.subarray(i, i + 1));
      for (const f of d.frames()) frames.push(f);
    }
    assert.deepStrictEqual(frames, whole.frames);
  });

  it('assembles a 128 KiB frame trickled one octet at a time, with small chunks mixed with large', () => {
    const body = Buffer.alloc(131072 - 8);
    for (let i = 0; i < body.length; i++) body[i] = (i * 7) & 0xff;
    const frame = encodeBodyFrames(1, body, 131072);
    const d = new Amqp091FrameDecoder({ expectProtocolHeader: false, frameSizeMaxBytes: 131072 });
    const frames: Amqp091Frame[] = [];
    for (let at = 0; at < frame.length; ) {
      const n = at % 5000 < 4000 ? 1 : 3000;
      d.push(frame.subarray(at, at + n));
      at += n;
      for (const f of d.frames()) frames.push(f);
    }
    assert.equal(frames.length, 1);
    assert.ok(frames[0]?.type === 'body' && frames[0].payload.equals(body));
    assert.equal(d.bufferedBytes, 0);
  });

  it('does not modify the chunks it is given', () => {
    const copy = Buffer.from(stream);
    run(copy, {});
    assert.deepEqual(copy, stream);
  });
});
