import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Amqp091FrameDecoder, type Amqp091Frame } from './frame-decoder.ts';
import { encodeContentHeaderFrame, encodeMethodFrame } from './frame-encoder.ts';
import {
  type Amqp091Method,
  type BasicProperties,
  BASIC_PROPERTY_FLAG,
  BASIC_PROPERTY_LIST,
  CLASS_ID,
  HARD_ERROR,
  isHardError,
  lookupMethod,
  METHOD_INFO,
  type MethodInputArgs,
  type MethodName,
  REPLY_CODE,
  replyCodeName,
  SOFT_ERROR,
} from './generated.ts';
import {
  amqplibCanEncodeTable,
  amqplibDefs,
  anyMethodArb,
  basicPropertiesArb,
  expectedRecord,
  toAmqplibTable,
} from './test-arbitraries.ts';
import type { FieldTable } from './field-table.ts';

const FRAME_MAX = 1024 * 1024;

function decodeAll(bytes: Buffer): Amqp091Frame[] {
  const d = new Amqp091FrameDecoder({ expectProtocolHeader: false, frameSizeMaxBytes: FRAME_MAX });
  d.push(bytes);
  const frames = [...d.frames()];
  assert.equal(d.bufferedBytes, 0, 'all input consumed');
  return frames;
}

function decodeMethod(bytes: Buffer): Amqp091Method {
  const [frame] = decodeAll(bytes);
  assert.ok(frame !== undefined && frame.type === 'method');
  return frame.method;
}

function channelFor(name: MethodName, n: number): number {
  return METHOD_INFO[name].classId === CLASS_ID.connection ? 0 : n;
}

function pascalId(name: MethodName): number {
  const pascal = name
    .split(/[.-]/)
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('');
  const id = amqplibDefs[pascal];
  assert.equal(typeof id, 'number', `amqplib knows ${pascal}`);
  return id as number;
}

/** Our arguments in amqplib's notation: tables as typed plain objects. */
function toAmqplibFields(args: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(args)) out[k] = v instanceof Map ? toAmqplibTable(v as FieldTable) : v;
  return out;
}

function tablesAmqplibCanEncode(args: object): boolean {
  return Object.values(args).every((v) => !(v instanceof Map) || amqplibCanEncodeTable(v as FieldTable));
}

describe('generated constants and lookup', () => {
  it('names reply codes as the spec does, split into soft (channel) and hard (connection) errors', () => {
    assert.equal(SOFT_ERROR.NOT_FOUND, 404);
    assert.equal(SOFT_ERROR.PRECONDITION_FAILED, 406);
    assert.equal(SOFT_ERROR.ACCESS_REFUSED, 403);
    assert.equal(SOFT_ERROR.RESOURCE_LOCKED, 405);
    assert.equal(HARD_ERROR.FRAME_ERROR, 501);
    assert.equal(HARD_ERROR.NOT_IMPLEMENTED, 540);
    assert.equal(HARD_ERROR.CONNECTION_FORCED, 320);
    assert.equal(REPLY_CODE.REPLY_SUCCESS, 200);
    assert.equal(isHardError(504), true);
    assert.equal(isHardError(406), false);
    assert.equal(replyCodeName(506), 'RESOURCE_ERROR');
    assert.equal(replyCodeName(999), undefined);
    assert.equal(Object.keys(SOFT_ERROR).length + Object.keys(HARD_ERROR).length, 18);
  });

  it('has every method with its ids, including the RabbitMQ extensions', () => {
    assert.equal(Object.keys(METHOD_INFO).length, 66);
    assert.deepEqual(
      ['exchange.bind', 'exchange.bind-ok', 'exchange.unbind', 'exchange.unbind-ok'].map((n) => lookupMethod(40, METHOD_INFO[n as MethodName].methodId)?.name),
      ['exchange.bind', 'exchange.bind-ok', 'exchange.unbind', 'exchange.unbind-ok'],
    );
    assert.equal(METHOD_INFO['exchange.unbind-ok'].methodId, 51);
    assert.equal(METHOD_INFO['basic.nack'].methodId, 120);
    assert.equal(METHOD_INFO['confirm.select'].classId, 85);
    assert.equal(METHOD_INFO['connection.blocked'].methodId, 60);
    assert.equal(METHOD_INFO['connection.update-secret'].methodId, 70);
    assert.equal(lookupMethod(60, 40)?.name, 'basic.publish');
    assert.equal(lookupMethod(60, 40)?.hasContent, true);
    assert.equal(lookupMethod(50, 10)?.synchronous, true);
    assert.equal(lookupMethod(40, 41), undefined);
  });

  it('lists the basic properties in wire order with their flag bits', () => {
    assert.deepEqual(
      BASIC_PROPERTY_LIST.map((p) => p.specName),
      ['content-type', 'content-encoding', 'headers', 'delivery-mode', 'priority', 'correlation-id', 'reply-to',
        'expiration', 'message-id', 'timestamp', 'type', 'user-id', 'app-id', 'cluster-id'],
    );
    assert.equal(BASIC_PROPERTY_FLAG.contentType, 0x8000);
    assert.equal(BASIC_PROPERTY_FLAG.clusterId, 0x0004);
  });
});

describe('method frames: known answers', () => {
  const vectors: { what: string; bytes: string; encode: () => Buffer; args: object }[] = [
    {
      what: 'connection.tune',
      // type 1, channel 0, size 12, class 10 method 30, channel-max 2047, frame-max 131072, heartbeat 60
      bytes: '01 0000 0000000c 000a 001e 07ff 00020000 003c ce',
      encode: () => encodeMethodFrame(0, 'connection.tune', { channelMax: 2047, frameMax: 131072, heartbeat: 60 }),
      args: { channelMax: 2047, frameMax: 131072, heartbeat: 60 },
    },
    {
      what: 'basic.ack with a 64-bit delivery tag and multiple',
      bytes: '01 0001 0000000d 003c 0050 0000010000000005 01 ce',
      encode: () => encodeMethodFrame(1, 'basic.ack', { deliveryTag: 2 ** 40 + 5, multiple: true }),
      args: { deliveryTag: 2 ** 40 + 5, multiple: true },
    },
    {
      what: 'exchange.unbind-ok (method 51)',
      bytes: '01 0007 00000004 0028 0033 ce',
      encode: () => encodeMethodFrame(7, 'exchange.unbind-ok', {}),
      args: {},
    },
    {
      what: 'basic.nack: bits delivery-tag, multiple=0, requeue=1 packed in one octet',
      bytes: '01 0002 0000000d 003c 0078 0000000000000003 02 ce',
      encode: () => encodeMethodFrame(2, 'basic.nack', { deliveryTag: 3 }),
      args: { deliveryTag: 3, multiple: false, requeue: true },
    },
    {
      what: 'queue.declare durable with x-message-ttl as a signed 32-bit int',
      // ticket 0, queue "q", bits durable (0x02), table { "x-message-ttl": I 60000 }
      bytes: `01 0001 00000020 0032 000a 0000 0171 02 00000013 0d ${Buffer.from('x-message-ttl').toString('hex')} 49 0000ea60 ce`,
      encode: () =>
        encodeMethodFrame(1, 'queue.declare', {
          queue: 'q',
          durable: true,
          arguments: new Map([['x-message-ttl', { type: 'I', value: 60000 }]]),
        }),
      args: {
        ticket: 0,
        queue: 'q',
        passive: false,
        durable: true,
        exclusive: false,
        autoDelete: false,
        nowait: false,
        arguments: new Map([['x-message-ttl', { type: 'I', value: 60000 }]]),
      },
    },
    {
      what: 'basic.deliver',
      bytes: `01 0003 00000015 003c 003c 03 ${Buffer.from('ctg').toString('hex')} 0000000000000009 01 00 02 ${Buffer.from('rk').toString('hex')} ce`,
      encode: () =>
        encodeMethodFrame(3, 'basic.deliver', { consumerTag: 'ctg', deliveryTag: 9, redelivered: true, exchange: '', routingKey: 'rk' }),
      args: { consumerTag: 'ctg', deliveryTag: 9, redelivered: true, exchange: '', routingKey: 'rk' },
    },
  ];
  for (const v of vectors) {
    it(v.what, () => {
      const wire = Buffer.from(v.bytes.replace(/ /g, ''), 'hex');
      assert.equal(v.encode().toString('hex'), wire.toString('hex'));
      assert.deepStrictEqual(decodeMethod(wire).args, v.args);
    });
  }

  it('fills in spec defaults for arguments left out', () => {
    const args = decodeMethod(encodeMethodFrame(0, 'connection.start', { serverProperties: new Map() })).args;
    assert.deepStrictEqual(args, {
      versionMajor: 0,
      versionMinor: 9,
      serverProperties: new Map(),
      mechanisms: Buffer.from('PLAIN'),
      locales: Buffer.from('en_US'),
    });
    assert.deepStrictEqual(decodeMethod(encodeMethodFrame(1, 'basic.reject', { deliveryTag: 1 })).args, {
      deliveryTag: 1,
      requeue: true,
    });
  });

  it('refuses to encode a shortstr over 255 bytes (a bug in the caller)', () => {
    assert.throws(() => encodeMethodFrame(1, 'queue.delete', { queue: 'é'.repeat(128) }), RangeError);
    assert.doesNotThrow(() => encodeMethodFrame(1, 'queue.delete', { queue: 'q'.repeat(255) }));
  });
});

describe('method frames: against amqplib', () => {
  it('encodes every method to the same bytes as amqplib', () => {
    fc.assert(
      fc.property(
        anyMethodArb.filter(({ args }) => tablesAmqplibCanEncode(args)),
        fc.integer({ min: 1, max: 65535 }),
        ({ name, args }, n) => {
          const channel = channelFor(name, n);
          const ours = encodeMethodFrame(channel, name, args as MethodInputArgs[typeof name]);
          const theirs = amqplibDefs.encodeMethod(pascalId(name), channel, toAmqplibFields(args));
          assert.equal(ours.toString('hex'), theirs.toString('hex'), name);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('covers every method in the spec', () => {
    for (const name of Object.keys(METHOD_INFO) as MethodName[]) pascalId(name);
  });
});

describe('method frames: round trips', () => {
  it('decodes every method back to its arguments', () => {
    fc.assert(
      fc.property(anyMethodArb, fc.integer({ min: 1, max: 65535 }), ({ name, args }, n) => {
        const channel = channelFor(name, n);
        const [frame] = decodeAll(encodeMethodFrame(channel, name, args as MethodInputArgs[typeof name]));
        assert.ok(frame !== undefined && frame.type === 'method');
        assert.equal(frame.channel, channel);
        assert.equal(frame.method.name, name);
        assert.equal(frame.method.classId, METHOD_INFO[name].classId);
        assert.equal(frame.method.methodId, METHOD_INFO[name].methodId);
        assert.deepStrictEqual(frame.method.args, expectedRecord(args));
      }),
      { numRuns: 3000 },
    );
  });

  it('hits every method at least once', () => {
    // Every method explicitly, so that none depends on the random draw above.
    for (const name of Object.keys(METHOD_INFO) as MethodName[]) {
      const [sample] = fc.sample(anyMethodArb.filter((m) => m.name === name), { numRuns: 1, seed: 42 });
      assert.ok(sample !== undefined);
      const channel = channelFor(name, 1);
      const method = decodeMethod(encodeMethodFrame(channel, name, sample.args as MethodInputArgs[typeof name]));
      assert.deepStrictEqual(method.args, expectedRecord(sample.args));
    }
  });
});

describe('content header properties', () => {
  it('known answer: content-type, delivery-mode and a header, against amqplib', () => {
    const properties: BasicProperties = {
      contentType: 'text/plain',
      headers: new Map([['h', { type: 'S', value: 'v' }]]),
      deliveryMode: 2,
    };
    // class 60, weight 0, body size 5, flags 0xB000, "text/plain", table { h: S "v" }, delivery-mode 2
    const hex =
      `02 0001 00000026 003c 0000 0000000000000005 b000 0a ${Buffer.from('text/plain').toString('hex')} ` +
      '00000008 0168 53 00000001 76 02 ce';
    const wire = Buffer.from(hex.replace(/ /g, ''), 'hex');
    assert.equal(encodeContentHeaderFrame(1, 5, properties).toString('hex'), wire.toString('hex'));
    const [frame] = decodeAll(wire);
    assert.ok(frame?.type === 'header');
    assert.equal(frame.bodySize, 5);
    assert.deepStrictEqual(frame.properties, properties);
    assert.equal(frame.propertiesBytes.toString('hex'), wire.subarray(19, wire.length - 1).toString('hex'));
  });

  it('encodes the same bytes as amqplib for random properties', () => {
    fc.assert(
      fc.property(
        basicPropertiesArb.filter((p) => p.headers === undefined || amqplibCanEncodeTable(p.headers)),
        fc.integer({ min: 1, max: 65535 }),
        fc.maxSafeNat(),
        (p, channel, size) => {
          const theirs = amqplibDefs.encodeProperties(amqplibDefs.BasicProperties as number, channel, size, toAmqplibFields(p));
          assert.equal(encodeContentHeaderFrame(channel, size, p).toString('hex'), theirs.toString('hex'));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('round-trips random properties and body sizes', () => {
    fc.assert(
      fc.property(basicPropertiesArb, fc.integer({ min: 1, max: 65535 }), fc.maxSafeNat(), (p, channel, size) => {
        const [frame] = decodeAll(encodeContentHeaderFrame(channel, size, p));
        assert.ok(frame?.type === 'header');
        assert.equal(frame.channel, channel);
        assert.equal(frame.classId, 60);
        assert.equal(frame.bodySize, size);
        assert.deepStrictEqual(frame.properties, expectedRecord(p));
      }),
      { numRuns: 1000 },
    );
  });
});
