// Bad input on a raw TLS socket: each case closes that connection with the right reply code (or,
// for a wrong protocol header, answers with ours and closes), while an amqplib client on the same
// broker keeps working.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import amqplib, { type Channel } from 'amqplib';
import { encodeMethodFrame, encodeProtocolHeader, PROTOCOL_HEADER } from '../../../src/codec/amqp091/index.ts';
import { startAmqpTestBroker, type AmqpTestBroker } from '../../helpers/amqp-broker.ts';
import { RawAmqpClient, rawFrame } from './raw-client.ts';

let env: AmqpTestBroker;
let bystander: amqplib.ChannelModel;
let bystanderChannel: Channel;

before(async () => {
  env = await startAmqpTestBroker();
  bystander = await amqplib.connect(env.url, { ca: [env.caPem] });
  bystanderChannel = await bystander.createChannel();
});
after(async () => {
  await bystander.close();
  await env.close();
});

async function bystanderStillWorks(): Promise<void> {
  const q = (await bystanderChannel.assertQueue('', { exclusive: true })).queue;
  bystanderChannel.sendToQueue(q, Buffer.from('still here'));
  for (;;) {
    const m = await bystanderChannel.get(q, { noAck: true });
    if (m !== false) {
      assert.equal(m.content.toString(), 'still here');
      return;
    }
  }
}

async function expectClose(client: RawAmqpClient, replyCode: number, ids?: { classId: number; methodId: number }): Promise<void> {
  const close = await client.closeReply();
  assert.ok(close, 'the server sent connection.close');
  assert.equal(close.replyCode, replyCode, close.replyText);
  if (ids !== undefined) assert.deepEqual({ classId: close.classId, methodId: close.methodId }, ids);
  await client.ended;
  await bystanderStillWorks();
}

const opts = { timeout: 10_000 };

describe('bad input on a raw TLS socket', () => {
  it('wrong protocol header: answered with AMQP 0-9-1 and the socket closed', opts, async () => {
    const c = await RawAmqpClient.connect(env.port, env.caPem);
    c.write(Buffer.from('AMQP\x00\x00\x09\x02'));
    await c.ended;
    assert.deepEqual(Buffer.concat(c.raw), PROTOCOL_HEADER);
    await bystanderStillWorks();
  });

  it('an HTTP request instead of AMQP: answered with the protocol header and closed', opts, async () => {
    const c = await RawAmqpClient.connect(env.port, env.caPem);
    c.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    await c.ended;
    assert.deepEqual(Buffer.concat(c.raw), PROTOCOL_HEADER);
  });

  it('bad frame end: 501 FRAME_ERROR', opts, async () => {
    const c = await RawAmqpClient.connect(env.port, env.caPem);
    c.write(encodeProtocolHeader());
    await c.waitMethod('connection.start');
    const good = encodeMethodFrame(0, 'connection.start-ok', { clientProperties: new Map(), response: '\0a\0b' });
    good[good.length - 1] = 0x00;
    c.write(good);
    await expectClose(c, 501);
  });

  it('a frame declaring 2 GiB before authentication: 501 FRAME_ERROR at once', opts, async () => {
    const c = await RawAmqpClient.connect(env.port, env.caPem);
    c.write(encodeProtocolHeader());
    await c.waitMethod('connection.start');
    c.write(rawFrame(1, 0, Buffer.alloc(16), { declaredSize: 0x8000_0000 }));
    await expectClose(c, 501);
  });

  it('a frame over the negotiated frame_max: 501 FRAME_ERROR', opts, async () => {
    const c = await RawAmqpClient.connect(env.port, env.caPem);
    await c.handshake(env.username, env.password, { frameMax: 8192 });
    await c.openChannel(1);
    c.write(rawFrame(3, 1, Buffer.alloc(9000)));
    await expectClose(c, 501);
  });

  it('a frame over 4096 octets before tune: 501 FRAME_ERROR', opts, async () => {
    const c = await RawAmqpClient.connect(env.port, env.caPem);
    c.write(encodeProtocolHeader());
    await c.waitMethod('connection.start');
    c.write(rawFrame(1, 0, Buffer.alloc(5000)));
    await expectClose(c, 501);
  });

  it('a method on a channel that is not open: 504 CHANNEL_ERROR', opts, async () => {
    const c = await RawAmqpClient.connect(env.port, env.caPem);
    await c.handshake(env.username, env.password);
    c.send(7, 'basic.qos', { prefetchCount: 1 });
    await expectClose(c, 504, { classId: 60, methodId: 10 });
  });

  it('a method on a channel after it was closed: 504 CHANNEL_ERROR', opts, async () => {
    const c = await RawAmqpClient.connect(env.port, env.caPem);
    await c.handshake(env.username, env.password);
    await c.openChannel(1);
    c.send(1, 'channel.close', { replyCode: 200, replyText: '', classId: 0, methodId: 0 });
    await c.waitMethod('channel.close-ok');
    c.send(1, 'queue.declare', { queue: 'x' });
    await expectClose(c, 504, { classId: 50, methodId: 10 });
  });

  it('a body frame without a header: 505 UNEXPECTED_FRAME', opts, async () => {
    const c = await RawAmqpClient.connect(env.port, env.caPem);
    await c.handshake(env.username, env.password);
    await c.openChannel(1);
    c.write(rawFrame(3, 1, Buffer.from('orphan body')));
    await expectClose(c, 505);
  });

  it('a method where content was expected: 505 UNEXPECTED_FRAME', opts, async () => {
    const c = await RawAmqpClient.connect(env.port, env.caPem);
    await c.handshake(env.username, env.password);
    await c.openChannel(1);
    c.send(1, 'basic.publish', { exchange: '', routingKey: 'q' });
    c.send(1, 'basic.qos', { prefetchCount: 1 });
    await expectClose(c, 505);
  });

  it('an unknown class or method: 540 NOT_IMPLEMENTED', opts, async () => {
    const c = await RawAmqpClient.connect(env.port, env.caPem);
    await c.handshake(env.username, env.password);
    await c.openChannel(1);
    const payload = Buffer.alloc(4);
    payload.writeUInt16BE(99, 0);
    payload.writeUInt16BE(1, 2);
    c.write(rawFrame(1, 1, payload));
    await expectClose(c, 540, { classId: 99, methodId: 1 });
  });

  it('a peer that ignores connection.close is cut off after the close timeout', opts, async () => {
    const c = await RawAmqpClient.connect(env.port, env.caPem);
    c.answerClose = false;
    await c.handshake(env.username, env.password);
    c.send(3, 'basic.qos', { prefetchCount: 1 });
    await c.closeReply();
    await c.ended;
    assert.ok(c.socket.destroyed);
  });

  it('basic.publish with immediate=true: 540 NOT_IMPLEMENTED, as RabbitMQ', opts, async () => {
    const c = await RawAmqpClient.connect(env.port, env.caPem);
    await c.handshake(env.username, env.password);
    await c.openChannel(1);
    c.send(1, 'basic.publish', { exchange: '', routingKey: 'q', immediate: true });
    await expectClose(c, 540, { classId: 60, methodId: 40 });
  });

  it('a channel method before connection.open: 503 COMMAND_INVALID', opts, async () => {
    const c = await RawAmqpClient.connect(env.port, env.caPem);
    c.write(encodeProtocolHeader());
    await c.waitMethod('connection.start');
    c.send(1, 'channel.open', {});
    await expectClose(c, 503);
  });
});
