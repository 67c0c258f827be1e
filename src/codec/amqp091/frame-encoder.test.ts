import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { type Amqp091Frame, Amqp091FrameDecoder } from './frame-decoder.ts';
import {
  encodeBodyFrames,
  encodeContentFrames,
  encodeContentHeaderFrame,
  encodeContentHeaderFrameRaw,
  encodeHeartbeatFrame,
  encodeMethodFrame,
  encodeProtocolHeader,
} from './frame-encoder.ts';
import { FRAME_MIN_SIZE } from './generated.ts';
import { amqplibCanEncodeTable, amqplibDefs, amqplibFrame, basicPropertiesArb, toAmqplibTable } from './test-arbitraries.ts';

function frameSizes(bytes: Buffer): number[] {
  const sizes: number[] = [];
  for (let at = 0; at < bytes.length; ) {
    const size = bytes.readUInt32BE(at + 3);
    assert.equal(bytes[at + 7 + size], 0xce, 'frame-end');
    sizes.push(size);
    at += size + 8;
  }
  return sizes;
}

function decodeAll(bytes: Buffer, frameSizeMaxBytes = 1 << 20): Amqp091Frame[] {
  const d = new Amqp091FrameDecoder({ expectProtocolHeader: false, frameSizeMaxBytes });
  d.push(bytes);
  return [...d.frames()];
}

describe('frame encoders: known answers', () => {
  it('writes the protocol header and heartbeat as amqplib does', () => {
    assert.deepEqual(encodeProtocolHeader(), Buffer.from(amqplibFrame.PROTOCOL_HEADER, 'latin1'));
    assert.equal(encodeHeartbeatFrame().toString('hex'), '080000000000' + '00ce');
    assert.deepEqual(encodeHeartbeatFrame(), amqplibFrame.HEARTBEAT_BUF);
  });

  it('splits a body at frame_max, header and frame-end included', () => {
    const out = encodeBodyFrames(9, Buffer.alloc(10000, 1), 4096);
    assert.deepEqual(frameSizes(out), [4088, 4088, 1824]);
    assert.equal(out.readUInt16BE(1), 9);
    assert.deepEqual(frameSizes(encodeBodyFrames(1, Buffer.alloc(4088), 4096)), [4088]);
    assert.deepEqual(frameSizes(encodeBodyFrames(1, Buffer.alloc(4089), 4096)), [4088, 1]);
    assert.equal(encodeBodyFrames(1, Buffer.alloc(0), 4096).length, 0, 'an empty body has no body frame');
  });

  it('refuses a frame_max below the spec minimum, and content for a method without content', () => {
    assert.throws(() => encodeBodyFrames(1, Buffer.alloc(1), 4095), RangeError);
    assert.throws(() => encodeContentFrames(1, 'basic.ack', { deliveryTag: 1 }, {}, Buffer.alloc(1), 4096), RangeError);
  });
});

describe('frame encoders: content', () => {
  const contentArb = fc.record({
    channel: fc.integer({ min: 1, max: 65535 }),
    properties: basicPropertiesArb.filter((p) => p.headers === undefined || amqplibCanEncodeTable(p.headers)),
    body: fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ minLength: 4000, maxLength: 20000 })).map((b) => Buffer.from(b)),
    frameSizeMaxBytes: fc.integer({ min: FRAME_MIN_SIZE, max: 9000 }),
    routingKey: fc.string({ maxLength: 40 }),
  });

  it('writes method, header and body frames exactly as amqplib sends a publish', () => {
    fc.assert(
      fc.property(contentArb, ({ channel, properties, body, frameSizeMaxBytes, routingKey }) => {
        const ours = encodeContentFrames(channel, 'basic.publish', { exchange: 'x', routingKey }, properties, body, frameSizeMaxBytes);
        const amqplibProps = { ...properties, headers: properties.headers && toAmqplibTable(properties.headers) };
        const expected: Buffer[] = [
          amqplibDefs.encodeMethod(amqplibDefs.BasicPublish as number, channel, { exchange: 'x', routingKey, mandatory: false, immediate: false, ticket: 0 }),
          amqplibDefs.encodeProperties(amqplibDefs.BasicProperties as number, channel, body.length, amqplibProps),
        ];
        for (let at = 0; at < body.length; at += frameSizeMaxBytes - 8) {
          expected.push(amqplibFrame.makeBodyFrame(channel, body.subarray(at, at + frameSizeMaxBytes - 8)));
        }
        assert.equal(ours.toString('hex'), Buffer.concat(expected).toString('hex'));
      }),
      { numRuns: 200 },
    );
  });

  it('is the method frame, the header frame and the body frames concatenated, and decodes back', () => {
    fc.assert(
      fc.property(contentArb, ({ channel, properties, body, frameSizeMaxBytes }) => {
        const args = { consumerTag: 'c', deliveryTag: 7, exchange: '', routingKey: 'q' };
        const all = encodeContentFrames(channel, 'basic.deliver', args, properties, body, frameSizeMaxBytes);
        assert.deepEqual(
          all,
          Buffer.concat([
            encodeMethodFrame(channel, 'basic.deliver', args),
            encodeContentHeaderFrame(channel, body.length, properties),
            encodeBodyFrames(channel, body, frameSizeMaxBytes),
          ]),
        );
        const frames = decodeAll(all, frameSizeMaxBytes);
        assert.ok(frames.every((f) => f.type !== 'heartbeat' && f.type !== 'protocol-header' && f.channel === channel));
        const bodies = frames.flatMap((f) => (f.type === 'body' ? [f.payload] : []));
        assert.deepEqual(Buffer.concat(bodies), body);
      }),
      { numRuns: 200 },
    );
  });

  it('relays property bytes as received, byte for byte (binary strings, duplicate keys and all)', () => {
    // headers: { k: S <c3 28> (not UTF-8), k: b 1 } — a decoded table would lose the duplicate.
    const propertiesBytes = Buffer.from('2000' + '0000000d' + '016b53' + '00000002c328' + '016b6201', 'hex');
    const header = encodeContentHeaderFrameRaw(1, 60, 3, propertiesBytes);
    const [frame] = decodeAll(header);
    assert.ok(frame?.type === 'header');
    assert.deepEqual(frame.propertiesBytes, propertiesBytes);
    assert.deepEqual(encodeContentHeaderFrameRaw(2, frame.classId, frame.bodySize, frame.propertiesBytes).subarray(3), header.subarray(3));
    const viaRaw = encodeContentFrames(1, 'basic.deliver', { consumerTag: 'c', deliveryTag: 1, exchange: '', routingKey: '' }, propertiesBytes, Buffer.from('abc'), 4096);
    assert.ok(viaRaw.includes(header));
  });

  it('returns buffers that later encodes do not overwrite', () => {
    const first = encodeMethodFrame(1, 'basic.ack', { deliveryTag: 1 });
    const copy = Buffer.from(first);
    encodeMethodFrame(1, 'basic.ack', { deliveryTag: 2 });
    encodeContentHeaderFrame(1, 5, { headers: new Map([['big', { type: 'x', value: Buffer.alloc(2 << 20) }]]) });
    assert.deepEqual(first, copy);
  });
});
