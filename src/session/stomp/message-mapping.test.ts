import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StompFrameDecoder, type StompFrame } from '../../codec/stomp/index.ts';
import type { AmqDelivery, AmqMessage, Destination } from '../../core/activemq/api.ts';
import { formatStompDestination, parseStompDestination } from '../../core/activemq/destinations.ts';
import { StompSessionError } from './errors.ts';
import { deliveryHeaders, sendFrameToMessage } from './message-mapping.ts';

function frame(text: string, version: '1.0' | '1.1' | '1.2' = '1.2'): StompFrame {
  const d = new StompFrameDecoder({ version });
  d.push(Buffer.from(text.replace(/\^@/g, '\0')));
  const f = d.next();
  assert.ok(f !== undefined && f.type === 'frame');
  return f;
}

describe('STOMP SEND -> neutral message (ActiveMQ LegacyFrameTranslator rules)', () => {
  it('is non-persistent text by default, priority 4, no expiry, and copies the body', () => {
    const f = frame('SEND\ndestination:/queue/a\n\nhello^@');
    const { destination, message, transaction } = sendFrameToMessage(f, parseStompDestination);
    assert.deepEqual(destination, { kind: 'queue', name: 'a' });
    assert.equal(message.persistent, false);
    assert.equal(message.bodyType, 'text');
    assert.equal(message.priority, 4);
    assert.equal(message.expiration, 0);
    assert.equal(transaction, undefined);
    assert.equal(Buffer.from(message.body).toString(), 'hello');
    assert.notEqual(message.body.buffer, f.body.buffer, 'a copy, not a view of the socket chunk');
    assert.deepEqual(message.properties, {});
  });

  it('maps persistent:true, priority, expires, correlation-id, reply-to, type, content-type, content-length and user headers', () => {
    const f = frame(
      'SEND\ndestination:/topic/t.x\npersistent:TRUE\npriority:7\nexpires:1900000000000\ncorrelation-id:c-1\nreply-to:/queue/replies\n' +
        'type:order\ncontent-type:application/octet-stream\ncontent-length:3\ntransaction:tx-9\nreceipt:r1\ncolour:blue\nweird\\cname:a\\nb\n\na\0b^@',
    );
    const { destination, message, transaction } = sendFrameToMessage(f, parseStompDestination);
    assert.deepEqual(destination, { kind: 'topic', name: 't.x' });
    assert.equal(message.persistent, true);
    assert.equal(message.priority, 7);
    assert.equal(message.expiration, 1_900_000_000_000);
    assert.equal(message.correlationId, 'c-1');
    assert.deepEqual(message.replyTo, { kind: 'queue', name: 'replies' });
    assert.equal(message.type, 'order');
    assert.equal(message.contentType, 'application/octet-stream');
    assert.equal(message.bodyType, 'bytes');
    assert.deepEqual(Buffer.from(message.body), Buffer.from('a\0b'));
    assert.equal(transaction, 'tx-9');
    assert.deepEqual(message.properties, { colour: 'blue', 'weird:name': 'a\nb' });
  });

  it('refuses a SEND without destination, and bad priority or expires values', () => {
    for (const text of [
      'SEND\n\nx^@',
      'SEND\ndestination:/queue/a\npriority:10\n\n^@',
      'SEND\ndestination:/queue/a\npriority:high\n\n^@',
      'SEND\ndestination:/queue/a\nexpires:-1\n\n^@',
      'SEND\ndestination:/queue/a\nexpires:soon\n\n^@',
    ]) {
      assert.throws(() => sendFrameToMessage(frame(text), parseStompDestination), StompSessionError, text);
    }
  });
});

describe('neutral delivery -> MESSAGE headers', () => {
  const message: AmqMessage = {
    body: Buffer.from('x'),
    bodyType: 'text',
    persistent: true,
    priority: 6,
    expiration: 0,
    timestamp: 1_700_000_000_000,
    messageId: 'ID:abc-1',
    correlationId: 'corr',
    replyTo: { kind: 'queue', name: 'r' },
    type: 't',
    contentType: 'text/plain',
    properties: { count: 3, flag: true, big: 12n, none: null, raw: new Uint8Array([1]), destination: 'evil', 'line\nbreak': 'v' },
  };
  const delivery = (redelivered: boolean): AmqDelivery => ({
    subscriptionId: 's',
    token: 5,
    destination: { kind: 'queue', name: 'q' } satisfies Destination,
    message,
    redelivered,
    deliveryCount: redelivered ? 2 : 1,
  });

  it('carries ActiveMQ headers, typed properties as text, and never lets a property shadow a header', () => {
    const h = deliveryHeaders(delivery(true), { version: '1.2', subscription: 'sub-0', ackId: '5', messageId: 'ID:abc-1', formatDestination: formatStompDestination });
    assert.deepEqual(Object.fromEntries(h), {
      subscription: 'sub-0',
      'message-id': 'ID:abc-1',
      destination: '/queue/q',
      ack: '5',
      expires: '0',
      priority: '6',
      timestamp: '1700000000000',
      persistent: 'true',
      redelivered: 'true',
      'correlation-id': 'corr',
      'reply-to': '/queue/r',
      type: 't',
      'content-type': 'text/plain',
      count: '3',
      flag: 'true',
      big: '12',
      'line\nbreak': 'v',
    });
  });

  it('omits redelivered on a first delivery, and in 1.0 leaves out what cannot be written unescaped', () => {
    const h = new Map(deliveryHeaders(delivery(false), { version: '1.0', subscription: undefined, ackId: undefined, messageId: 'ID:abc-1', formatDestination: formatStompDestination }));
    assert.equal(h.has('redelivered'), false);
    assert.equal(h.has('subscription'), false);
    assert.equal(h.has('ack'), false);
    assert.equal(h.has('line\nbreak'), false);
    assert.equal(h.get('destination'), '/queue/q');
  });
});
