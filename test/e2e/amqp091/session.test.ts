// Session behaviour that the clients observe directly: AMQPLAIN, vhost access (530), properties
// relayed byte for byte, consumer cancel notification only for clients that advertise it, per-channel
// (global) prefetch, and CONNECTION_FORCED on shutdown. (Socket backpressure is tested over an in-memory
// socket in src/session/amqp091/session.test.ts: loopback TCP buffers here autotune to 32 MiB.)

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import amqplib from 'amqplib';
import { AMQPClient } from '@cloudamqp/amqp-client';
import { encodeContentFrames, encodeMethodFrame, encodeProtocolHeader, toFieldTable } from '../../../src/codec/amqp091/index.ts';
import { encodePropertyBytes } from '../../../src/session/amqp091/properties-codec.ts';
import { startAmqpTestBroker, type AmqpTestBroker } from '../../helpers/amqp-broker.ts';
import { RawAmqpClient } from './raw-client.ts';

let env: AmqpTestBroker;
before(async () => {
  env = await startAmqpTestBroker();
});
after(async () => {
  await env.close();
});

describe('session', () => {
  it('authenticates with AMQPLAIN (amqplib)', async () => {
    const conn = await amqplib.connect(`amqps://127.0.0.1:${env.port}`, { ca: [env.caPem], credentials: amqplib.credentials.amqplain(env.username, env.password) });
    await conn.close();
    await assert.rejects(
      amqplib.connect(`amqps://127.0.0.1:${env.port}`, { ca: [env.caPem], credentials: amqplib.credentials.amqplain(env.username, 'wrong') }),
      /403|ACCESS_REFUSED/,
    );
  });

  it('refuses connection.open on a vhost that is missing or not permitted with 530', async () => {
    await env.broker.addVhost('other');
    // amqplib reports only that connection.close came instead of open-ok.
    await assert.rejects(amqplib.connect(`${env.url}other`, { ca: [env.caPem] }), /ConnectionClose/);
    const raw = await RawAmqpClient.connect(env.port, env.caPem);
    raw.write(encodeProtocolHeader());
    await raw.waitMethod('connection.start');
    raw.send(0, 'connection.start-ok', { clientProperties: new Map(), mechanism: 'PLAIN', response: Buffer.from(`\0${env.username}\0${env.password}`) });
    await raw.waitMethod('connection.tune');
    raw.send(0, 'connection.tune-ok', { frameMax: 131072, channelMax: 16, heartbeat: 0 });
    raw.send(0, 'connection.open', { virtualHost: 'nope' });
    const close = await raw.closeReply();
    assert.equal(close?.replyCode, 530);
    assert.deepEqual([close?.classId, close?.methodId], [10, 40]);
    await assert.rejects(new AMQPClient(`${env.url}other`, { ca: env.caPem }).connect(), /530|NOT_ALLOWED|access/i);
  });

  it('relays content properties byte for byte', async () => {
    const properties = encodePropertyBytes({
      contentType: 'application/x-test',
      headers: toFieldTable({ f32: 1, nested: { deep: [1, 'two', { three: true }] } }),
      deliveryMode: 1,
      timestamp: 1_700_000_000,
      appId: 'raw',
    });
    // Types amqplib would never pick: a float, an unsigned short, a decimal, a byte array.
    const odd = new Map(toFieldTable({ plain: 'x' }));
    odd.set('f', { type: 'f', value: 1.5 });
    odd.set('u', { type: 'u', value: 65535 });
    odd.set('D', { type: 'D', value: { scale: 2, digits: 12345 } });
    odd.set('x', { type: 'x', value: new Uint8Array([0, 255]) });
    const oddProperties = encodePropertyBytes({ headers: odd, priority: 9 });
    const c = await RawAmqpClient.connect(env.port, env.caPem);
    await c.handshake(env.username, env.password);
    await c.openChannel(1);
    c.send(1, 'queue.declare', { queue: 'raw-relay', exclusive: true });
    await c.waitMethod('queue.declare-ok');
    c.write(encodeContentFrames(1, 'basic.publish', { exchange: '', routingKey: 'raw-relay' }, properties, Buffer.from('one'), 131072));
    c.write(encodeContentFrames(1, 'basic.publish', { exchange: '', routingKey: 'raw-relay' }, oddProperties, Buffer.from('two'), 131072));
    c.send(1, 'basic.consume', { queue: 'raw-relay', consumerTag: 'raw', noAck: true });
    for (;;) {
      const headers = c.frames.filter((f) => f.type === 'header');
      if (headers.length === 2) {
        assert.deepEqual(Buffer.from((headers[0] as { propertiesBytes: Buffer }).propertiesBytes), properties);
        assert.deepEqual(Buffer.from((headers[1] as { propertiesBytes: Buffer }).propertiesBytes), oddProperties);
        break;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    c.destroy();
  });

  it('sends basic.cancel on queue deletion only to clients that advertised consumer_cancel_notify', async () => {
    const c = await RawAmqpClient.connect(env.port, env.caPem);
    // A handshake without the capability.
    c.write(encodeProtocolHeader());
    await c.waitMethod('connection.start');
    c.send(0, 'connection.start-ok', { clientProperties: toFieldTable({ product: 'old-client' }), mechanism: 'PLAIN', response: Buffer.from(`\0${env.username}\0${env.password}`) });
    await c.waitMethod('connection.tune');
    c.send(0, 'connection.tune-ok', { frameMax: 131072, channelMax: 16, heartbeat: 0 });
    c.send(0, 'connection.open', { virtualHost: '/' });
    await c.waitMethod('connection.open-ok');
    await c.openChannel(1);
    c.send(1, 'queue.declare', { queue: 'cancel-notify-q' });
    await c.waitMethod('queue.declare-ok');
    c.send(1, 'basic.consume', { queue: 'cancel-notify-q', consumerTag: 'old' });
    await c.waitMethod('basic.consume-ok');

    const notified = await RawAmqpClient.connect(env.port, env.caPem);
    await notified.handshake(env.username, env.password);
    await notified.openChannel(1);
    notified.send(1, 'basic.consume', { queue: 'cancel-notify-q', consumerTag: 'new' });
    await notified.waitMethod('basic.consume-ok');

    c.send(1, 'queue.delete', { queue: 'cancel-notify-q' });
    await c.waitMethod('queue.delete-ok');
    const cancel = await notified.waitMethod('basic.cancel');
    assert.ok(cancel && cancel.method.name === 'basic.cancel');
    assert.equal(cancel.method.args.consumerTag, 'new');
    assert.equal(c.frames.some((f) => f.type === 'method' && f.method.name === 'basic.cancel'), false);
    c.destroy();
    notified.destroy();
  });

  it('global prefetch limits the whole channel (amqplib prefetch(n, true))', async () => {
    const conn = await amqplib.connect(env.url, { ca: [env.caPem] });
    const ch = await conn.createChannel();
    const q1 = (await ch.assertQueue('', { exclusive: true })).queue;
    const q2 = (await ch.assertQueue('', { exclusive: true })).queue;
    for (let i = 0; i < 5; i++) {
      ch.sendToQueue(q1, Buffer.from('a'));
      ch.sendToQueue(q2, Buffer.from('b'));
    }
    await ch.prefetch(3, true);
    const got: amqplib.ConsumeMessage[] = [];
    await ch.consume(q1, (m) => m && got.push(m));
    await ch.consume(q2, (m) => m && got.push(m));
    while (got.length < 3) await new Promise((r) => setTimeout(r, 5));
    await ch.checkQueue(q1); // a round trip: any extra delivery would have arrived before its reply
    assert.equal(got.length, 3);
    ch.ack(got[0]!);
    while (got.length < 4) await new Promise((r) => setTimeout(r, 5));
    await ch.checkQueue(q1);
    assert.equal(got.length, 4);
    await conn.close();
  });

  it('closes clients with 320 CONNECTION_FORCED on shutdown', async () => {
    const own = await startAmqpTestBroker();
    const conn = await amqplib.connect(own.url, { ca: [own.caPem] });
    // amqplib reports a server-initiated close with CONNECTION_FORCED on 'close', not 'error'.
    const closed = new Promise<{ code: number } | undefined>((resolve) => conn.once('close', resolve));
    await own.close();
    assert.equal((await closed)?.code, 320);
  });
});
