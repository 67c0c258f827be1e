import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toFieldTable } from '../../codec/amqp091/index.ts';
import { amqp091PropertiesCodec, decodePropertyBytes, encodePropertyBytes, fieldTableToHeaders, headersToFieldTable } from './properties-codec.ts';

describe('AMQP 0-9-1 properties codec for the core', () => {
  it('decodeView reads persistence, expiration, priority and headers', () => {
    const bytes = encodePropertyBytes({ deliveryMode: 2, expiration: '60000', priority: 3, headers: toFieldTable({ a: 1, b: 'x', c: [true, null] }) });
    const view = amqp091PropertiesCodec.decodeView(bytes);
    assert.equal(view.persistent, true);
    assert.equal(view.expiration, '60000');
    assert.equal(view.priority, 3);
    assert.deepEqual(view.headers, { a: 1, b: 'x', c: [true, null] });
    assert.equal(amqp091PropertiesCodec.decodeView(encodePropertyBytes({})).persistent, false);
  });

  it('rewrite replaces headers, drops expiration, keeps other properties and unchanged header types', () => {
    const original = toFieldTable({ keep: 5, old: 'v' });
    const bytes = encodePropertyBytes({ contentType: 'text/plain', messageId: 'm1', expiration: '10', headers: original });
    const headers = { ...fieldTableToHeaders(original), 'x-death': [{ count: 1, reason: 'expired', time: new Date(1_700_000_000_000) }] };
    const rewritten = decodePropertyBytes(amqp091PropertiesCodec.rewrite(bytes, { headers, expiration: undefined }));
    assert.equal(rewritten.contentType, 'text/plain');
    assert.equal(rewritten.messageId, 'm1');
    assert.equal(rewritten.expiration, undefined);
    assert.deepEqual(rewritten.headers?.get('keep'), original.get('keep'), 'original wire type kept (b)');
    const death = rewritten.headers?.get('x-death');
    assert.equal(death?.type, 'A');
    const entry = (death!.value as readonly { type: string; value: ReadonlyMap<string, { type: string; value: unknown }> }[])[0]!;
    assert.deepEqual(entry.value.get('count'), { type: 'l', value: 1n });
    assert.deepEqual(entry.value.get('time'), { type: 'T', value: 1_700_000_000n });
  });

  it('headersToFieldTable maps plain values to RabbitMQ types', () => {
    const t = headersToFieldTable({ i: 7, d: 1.5, s: 's', b: false, n: null, x: new Uint8Array([1]), big: 2n ** 60n });
    assert.deepEqual([...t.values()].map((v) => v.type), ['l', 'd', 'S', 't', 'V', 'x', 'l']);
  });
});
