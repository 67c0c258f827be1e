import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Amqp10DecodeError } from './errors.ts';
import { type Header, type Properties } from './generated.ts';
import { type Amqp10Message, decodeMessage, encodeMessage } from './message.ts';
import { compositeArb, valueArb, binaryArb, symbolStringArb, stringArb } from './test-arbitraries.ts';
import { encodeValue, long, map, symbol } from './types.ts';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('AMQP 1.0 messages', () => {
  it('encodes a data body as known bytes and decodes it with its bare message', () => {
    const bytes = encodeMessage({ header: { durable: true }, body: { kind: 'data', data: [Buffer.from('hi')] } });
    assert.equal(bytes.toString('hex'), hex('005370 c0 02 01 41   005375 a0 02 6869').toString('hex'));
    const { message, bareMessage } = decodeMessage(bytes);
    assert.deepEqual(message, { header: { kind: 'header', durable: true }, body: { kind: 'data', data: [Buffer.from('hi')] } });
    assert.equal(bareMessage.toString('hex'), '005375a0026869');
  });

  it('decodes an amqp-value body (00 53 77 a1 ...)', () => {
    assert.deepEqual(decodeMessage(hex('005377 a1 05 68656c6c6f')).message, { body: { kind: 'amqp-value', value: 'hello' } });
  });

  it('the bare message excludes header, annotations and footer', () => {
    const m = encodeMessage({
      header: { priority: 4 },
      messageAnnotations: map([[symbol('x-opt-a'), 'b']]),
      properties: { messageId: 'id-1', to: '/queue/a' },
      applicationProperties: map([['k', long(1)]]),
      body: { kind: 'amqp-sequence', sequences: [['a'], ['b']] },
      footer: map([[symbol('f'), null]]),
    });
    const { bareMessage } = decodeMessage(m);
    const start = m.indexOf(hex('005373'));
    const end = m.lastIndexOf(hex('005378'));
    assert.deepEqual(bareMessage, m.subarray(start, end));
  });

  const refuse = (bytes: Buffer, what: string) =>
    assert.throws(() => decodeMessage(bytes), (e: unknown) => e instanceof Amqp10DecodeError && e.code === 'BAD_SECTION' && e.condition === 'amqp:decode-error', what);

  it('refuses sections out of order, repeated, mixed bodies and non-sections', () => {
    const header = encodeValue({ type: 'described', descriptor: { type: 'ulong', value: 0x70n }, value: [] });
    const props = encodeValue({ type: 'described', descriptor: { type: 'ulong', value: 0x73n }, value: [] });
    const data = hex('005375 a0 00');
    const value = hex('005377 40');
    refuse(Buffer.concat([props, header]), 'header after properties');
    refuse(Buffer.concat([header, header]), 'two headers');
    refuse(Buffer.concat([data, value]), 'data then amqp-value');
    refuse(Buffer.concat([value, value]), 'two amqp-values');
    refuse(hex('40'), 'a bare null');
    refuse(hex('005310 c0 03 01 a1 00'), 'an open performative');
  });

  it('round-trips any message', () => {
    const bodyArb = fc.oneof(
      fc.array(binaryArb, { minLength: 1, maxLength: 3 }).map((data) => ({ kind: 'data' as const, data })),
      fc.array(fc.array(valueArb, { maxLength: 3 }), { minLength: 1, maxLength: 3 }).map((sequences) => ({ kind: 'amqp-sequence' as const, sequences })),
      valueArb.map((value) => ({ kind: 'amqp-value' as const, value })),
    );
    const annotationsArb = fc.array(fc.tuple(symbolStringArb.map(symbol), valueArb), { maxLength: 3 }).map(map);
    const messageArb = fc.record(
      {
        header: compositeArb('header') as fc.Arbitrary<Header>,
        deliveryAnnotations: annotationsArb,
        messageAnnotations: annotationsArb,
        properties: compositeArb('properties') as fc.Arbitrary<Properties>,
        applicationProperties: fc.array(fc.tuple(stringArb, valueArb), { maxLength: 3 }).map(map),
        body: bodyArb,
        footer: annotationsArb,
      },
      { requiredKeys: [], noNullPrototype: true },
    );
    fc.assert(
      fc.property(messageArb, (m: Amqp10Message) => {
        assert.deepEqual(decodeMessage(encodeMessage(m)).message, m);
      }),
      { numRuns: 500 },
    );
  });
});
