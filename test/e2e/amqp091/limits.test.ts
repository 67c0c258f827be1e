// Limits, each with its protocol error: message size (406 on the channel, as RabbitMQ's
// max_message_size), frame size (split deliveries at a small frame_max; frame_max and channel_max
// above the server's refused with 530), channels per connection (530), connections (listener),
// queues, consumers and unacknowledged messages (core), handshake timeouts (AMQP and TLS), missed
// heartbeats, and connection.blocked/unblocked from a resource alarm.

import assert from 'node:assert/strict';
import { connect as netConnect } from 'node:net';
import { after, describe, it } from 'node:test';
import amqplib from 'amqplib';
import { AMQPClient } from '@cloudamqp/amqp-client';
import { startAmqpTestBroker, type AmqpTestBroker } from '../../helpers/amqp-broker.ts';
import { encodeProtocolHeader, encodeMethodFrame } from '../../../src/codec/amqp091/index.ts';
import { RawAmqpClient, rawFrame } from './raw-client.ts';

const started: AmqpTestBroker[] = [];
async function start(options: Parameters<typeof startAmqpTestBroker>[0] = {}): Promise<AmqpTestBroker> {
  const env = await startAmqpTestBroker(options);
  started.push(env);
  return env;
}
after(async () => {
  for (const env of started) await env.close();
});

function contentHeader(channel: number, bodySize: number): Buffer {
  const payload = Buffer.alloc(14);
  payload.writeUInt16BE(60, 0);
  payload.writeUInt16BE(0, 2);
  payload.writeBigUInt64BE(BigInt(bodySize), 4);
  payload.writeUInt16BE(0, 12);
  return rawFrame(2, channel, payload);
}

describe('limits', () => {
  it('message size: a header declaring more than the maximum closes the channel with 406; the connection carries on', async () => {
    const env = await start({ broker: { limits: { messageSizeMaxBytes: 1024 } } });
    const c = await RawAmqpClient.connect(env.port, env.caPem);
    await c.handshake(env.username, env.password);
    await c.openChannel(1);
    c.send(1, 'basic.publish', { exchange: '', routingKey: 'q' });
    c.write(contentHeader(1, 1025));
    const close = await c.waitMethod('channel.close');
    assert.ok(close && close.method.name === 'channel.close');
    assert.equal(close.method.args.replyCode, 406);
    assert.match(close.method.args.replyText, /message size 1025 is larger than configured max size 1024/);
    assert.deepEqual([close.method.args.classId, close.method.args.methodId], [60, 40]);
    c.send(1, 'channel.close-ok', {});
    await c.openChannel(2);
    c.destroy();

    const conn = await amqplib.connect(env.url, { ca: [env.caPem] });
    const ch = await conn.createChannel();
    const closed = new Promise<{ code: number }>((resolve) => ch.once('error', resolve));
    ch.sendToQueue('whatever', Buffer.alloc(2000));
    assert.equal((await closed).code, 406);
    await conn.close();
  });

  it('frame size: bodies are split at a small negotiated frame_max and arrive whole (both clients)', async () => {
    const env = await start();
    const body = Buffer.alloc(50_000, 7);
    body.write('start');
    const conn = await amqplib.connect(env.urlWith({ query: 'frameMax=4096' }), { ca: [env.caPem] });
    const ch = await conn.createChannel();
    const q = (await ch.assertQueue('', { exclusive: true })).queue;
    ch.sendToQueue(q, body);
    let m: amqplib.GetMessage | false = false;
    while (m === false) m = await ch.get(q, { noAck: true });
    assert.ok(m.content.equals(body));
    await conn.close();

    // @cloudamqp/amqp-client accepts no frame_max under 8192.
    const client = await new AMQPClient(env.urlWith({ query: 'frameMax=8192' }), { ca: env.caPem }).connect();
    const cch = await client.channel();
    const cq = (await cch.queueDeclare('', { exclusive: true })).name;
    await cch.basicPublish('', cq, body);
    let cm = null;
    while (cm === null) cm = await cch.basicGet(cq, { noAck: true });
    assert.ok(Buffer.from(cm.body!).equals(body));
    await client.close();
  });

  it('tune-ok asking for frame_max or channel_max above the server maximum: 530 NOT_ALLOWED', async () => {
    const env = await start({ session: { frameSizeMaxBytes: 65536, channelMax: 8 } });
    const c1 = await RawAmqpClient.connect(env.port, env.caPem);
    await assert.rejects(c1.handshake(env.username, env.password, { frameMax: 1 << 20 }));
    assert.equal((await c1.closeReply())?.replyCode, 530);
    const c2 = await RawAmqpClient.connect(env.port, env.caPem);
    await assert.rejects(c2.handshake(env.username, env.password, { channelMax: 100 }));
    assert.equal((await c2.closeReply())?.replyCode, 530);
  });

  it('channels per connection: opening a channel above channel_max is 530 NOT_ALLOWED', async () => {
    const env = await start({ session: { channelMax: 4 } });
    const c = await RawAmqpClient.connect(env.port, env.caPem);
    await c.handshake(env.username, env.password);
    await c.openChannel(4);
    c.send(5, 'channel.open', {});
    const close = await c.closeReply();
    assert.equal(close?.replyCode, 530);
    assert.deepEqual([close?.classId, close?.methodId], [20, 10]);
    // amqplib honours the negotiated channel_max itself.
    const conn = await amqplib.connect(env.url, { ca: [env.caPem] });
    for (let i = 0; i < 4; i++) await conn.createChannel();
    await assert.rejects(conn.createChannel(), /channel/i);
    await conn.close();
  });

  it('connections: the listener refuses sockets beyond its maximum', async () => {
    const env = await start({ listener: { connectionsMax: 2 } });
    const a = await amqplib.connect(env.url, { ca: [env.caPem] });
    const b = await amqplib.connect(env.url, { ca: [env.caPem] });
    await assert.rejects(amqplib.connect(env.url, { ca: [env.caPem] }));
    await a.close();
    await new Promise((r) => setTimeout(r, 50));
    const c = await amqplib.connect(env.url, { ca: [env.caPem] });
    await Promise.all([b.close(), c.close()]);
  });

  it('queues, consumers and unacknowledged messages: core limits surface as channel errors or withheld deliveries', async () => {
    const env = await start({ broker: { limits: { queuesMax: 2, consumersPerChannelMax: 1, unackedPerChannelMax: 2 } } });
    const conn = await amqplib.connect(env.url, { ca: [env.caPem] });
    const ch = await conn.createChannel();
    const q1 = (await ch.assertQueue('', { exclusive: true })).queue;
    await ch.assertQueue('', { exclusive: true });
    const closed = new Promise<{ code: number }>((resolve) => ch.once('error', resolve));
    await assert.rejects(ch.assertQueue('', { exclusive: true }));
    assert.equal((await closed).code, 406);

    const ch2 = await conn.createChannel();
    for (let i = 0; i < 5; i++) ch2.sendToQueue(q1, Buffer.from(`u${i}`));
    const got: amqplib.ConsumeMessage[] = [];
    await ch2.consume(q1, (m) => m && got.push(m));
    const ch2closed = new Promise<{ code: number }>((resolve) => ch2.once('error', resolve));
    await assert.rejects(ch2.consume(q1, () => undefined));
    assert.equal((await ch2closed).code, 506);
    assert.ok(got.length <= 2, `at most 2 unacknowledged deliveries (${got.length})`);
    await conn.close();
  });

  it('AMQP handshake timeout: a TLS socket that never sends the protocol header is closed', async () => {
    const env = await start({ session: { handshakeTimeoutMs: 200 } });
    const c = await RawAmqpClient.connect(env.port, env.caPem);
    await c.ended;
    const c2 = await RawAmqpClient.connect(env.port, env.caPem);
    c2.write(encodeProtocolHeader());
    await c2.waitMethod('connection.start');
    await c2.ended; // stalled after connection.start
  });

  it('TLS handshake timeout: a socket that never completes TLS is closed', async () => {
    const env = await start({ listener: { tlsHandshakeTimeoutMs: 200 } });
    const socket = netConnect({ host: '127.0.0.1', port: env.port });
    socket.on('error', () => undefined);
    await new Promise((resolve) => socket.once('close', resolve));
  });

  it('missed heartbeats: a silent client is disconnected; the server sends heartbeats', async () => {
    const env = await start();
    const c = await RawAmqpClient.connect(env.port, env.caPem);
    await c.handshake(env.username, env.password, { heartbeat: 1 });
    await c.ended;
    assert.ok(c.frames.some((f) => f.type === 'heartbeat'), 'server heartbeats seen');
    assert.equal(await c.closeReply(), undefined);
  });

  it('a client that heartbeats stays connected', async () => {
    const env = await start();
    const c = await RawAmqpClient.connect(env.port, env.caPem);
    await c.handshake(env.username, env.password, { heartbeat: 1 });
    const beat = setInterval(() => c.write(Buffer.from([8, 0, 0, 0, 0, 0, 0, 0xce])), 300);
    await new Promise((r) => setTimeout(r, 3000));
    clearInterval(beat);
    assert.equal(c.socket.destroyed, false);
    c.write(encodeMethodFrame(0, 'connection.close', { replyCode: 200, replyText: '', classId: 0, methodId: 0 }));
    await c.waitMethod('connection.close-ok');
    await c.ended;
  });

  it('resource alarm: connection.blocked stops publishers; connection.unblocked lets them on (amqplib)', async () => {
    let memoryUsed = 0;
    const env = await start({
      broker: {
        alarmCheckIntervalMs: 10,
        flowControl: { memoryUsedBytes: () => memoryUsed, memoryHighWatermarkBytes: 100, diskFreeBytes: () => 1e12, diskFreeLimitBytes: 1 },
      },
    });
    const publisher = await amqplib.connect(env.url, { ca: [env.caPem] });
    const consumer = await amqplib.connect(env.url, { ca: [env.caPem] });
    const pch = await publisher.createChannel();
    const cch = await consumer.createChannel();
    const q = (await cch.assertQueue('', { exclusive: true })).queue;
    const blocked = new Promise<string>((resolve) => publisher.once('blocked', resolve));
    memoryUsed = 200;
    assert.match(await blocked, /memory/);
    const unblocked = new Promise<void>((resolve) => publisher.once('unblocked', () => resolve()));
    pch.sendToQueue(q, Buffer.from('held'));
    pch.sendToQueue(q, Buffer.from('held too'));
    // The consumer connection is not blocked: a round trip on it works, and nothing has arrived.
    await cch.checkQueue(q);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await cch.checkQueue(q)).messageCount <= 1, true, 'at most the first publish got through');
    memoryUsed = 0;
    await unblocked;
    let count = 0;
    while (count < 2) count = (await cch.checkQueue(q)).messageCount;
    assert.equal(count, 2);
    await publisher.close();
    await consumer.close();
  });
});
