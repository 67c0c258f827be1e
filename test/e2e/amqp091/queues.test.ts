// Queue and exchange features the issue lists, through the session with both clients: per-message
// expiration, x-expires, x-max-length-bytes, x-single-active-consumer, x-max-priority, auto-delete,
// if-empty/if-unused deletes, purge, passive exchange declare, reserved amq.* names, argument
// mismatch on redeclare, consumer priorities.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import amqplib, { type Channel } from 'amqplib';
import { AMQPClient } from '@cloudamqp/amqp-client';
import { startAmqpTestBroker, type AmqpTestBroker } from '../../helpers/amqp-broker.ts';

let env: AmqpTestBroker;
let conn: amqplib.ChannelModel;
before(async () => {
  env = await startAmqpTestBroker();
  conn = await amqplib.connect(env.url, { ca: [env.caPem] });
});
after(async () => {
  await conn.close();
  await env.close();
});

async function drain(ch: Channel, queue: string): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const m = await ch.get(queue, { noAck: true });
    if (m === false) return out;
    out.push(m.content.toString());
  }
}

async function channelError(ch: Channel, action: () => Promise<unknown>): Promise<number> {
  const closed = new Promise<{ code: number }>((resolve) => ch.once('error', resolve));
  await assert.rejects(action());
  return (await closed).code;
}

describe('queues and exchanges (amqplib)', () => {
  it('per-message expiration, x-max-length-bytes and x-max-priority', async () => {
    const ch = await conn.createChannel();
    const q = (await ch.assertQueue('', { exclusive: true })).queue;
    ch.sendToQueue(q, Buffer.from('expires'), { expiration: '1' });
    ch.sendToQueue(q, Buffer.from('stays'));
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(await drain(ch, q), ['stays']);

    const bytes = (await ch.assertQueue('', { exclusive: true, arguments: { 'x-max-length-bytes': 10 } })).queue;
    for (const b of ['aaaa', 'bbbb', 'cccc']) ch.sendToQueue(bytes, Buffer.from(b));
    assert.deepEqual(await drain(ch, bytes), ['bbbb', 'cccc']);

    const prio = (await ch.assertQueue('', { exclusive: true, maxPriority: 5 })).queue;
    ch.sendToQueue(prio, Buffer.from('low'), { priority: 1 });
    ch.sendToQueue(prio, Buffer.from('high'), { priority: 5 });
    ch.sendToQueue(prio, Buffer.from('none'));
    assert.deepEqual(await drain(ch, prio), ['high', 'low', 'none']);
    await ch.close();
  });

  it('x-expires deletes an unused queue', async () => {
    const ch = await conn.createChannel();
    await ch.assertQueue('expiring-q', { arguments: { 'x-expires': 20 } });
    for (;;) {
      const probe = await conn.createChannel();
      probe.on('error', () => undefined);
      try {
        await probe.checkQueue('expiring-q');
        await probe.close();
        await new Promise((r) => setTimeout(r, 10));
      } catch (err) {
        assert.match(String(err), /404/);
        break;
      }
    }
    await ch.close();
  });

  it('x-single-active-consumer delivers to one consumer until it cancels', async () => {
    const ch = await conn.createChannel();
    const q = (await ch.assertQueue('', { exclusive: true, arguments: { 'x-single-active-consumer': true } })).queue;
    const got: string[] = [];
    const first = await ch.consume(q, (m) => m && got.push(`1:${m.content}`), { noAck: true });
    await ch.consume(q, (m) => m && got.push(`2:${m.content}`), { noAck: true });
    ch.sendToQueue(q, Buffer.from('a'));
    ch.sendToQueue(q, Buffer.from('b'));
    while (got.length < 2) await new Promise((r) => setTimeout(r, 5));
    await ch.cancel(first.consumerTag);
    ch.sendToQueue(q, Buffer.from('c'));
    while (got.length < 3) await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(got, ['1:a', '1:b', '2:c']);
    await ch.close();
  });

  it('consumer priorities: the higher-priority consumer gets the messages while it has capacity', async () => {
    const ch = await conn.createChannel();
    const q = (await ch.assertQueue('', { exclusive: true })).queue;
    const got: string[] = [];
    await ch.consume(q, (m) => m && got.push('low'), { noAck: true, priority: 1 });
    await ch.consume(q, (m) => m && got.push('high'), { noAck: true, priority: 10 });
    for (let i = 0; i < 5; i++) ch.sendToQueue(q, Buffer.from(String(i)));
    while (got.length < 5) await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(got, ['high', 'high', 'high', 'high', 'high']);
    await ch.close();
  });

  it('auto-delete queues go with their last consumer; purge; if-empty and if-unused deletes', async () => {
    const ch = await conn.createChannel();
    const auto = (await ch.assertQueue('auto-q', { autoDelete: true, durable: false })).queue;
    const c = await ch.consume(auto, () => undefined);
    await ch.cancel(c.consumerTag);
    assert.equal(await channelError(ch, () => ch.checkQueue(auto)), 404);

    const ch2 = await conn.createChannel();
    const q = (await ch2.assertQueue('', { exclusive: true })).queue;
    ch2.sendToQueue(q, Buffer.from('x'));
    ch2.sendToQueue(q, Buffer.from('y'));
    await ch2.checkQueue(q);
    assert.equal((await ch2.purgeQueue(q)).messageCount, 2);
    ch2.sendToQueue(q, Buffer.from('z'));
    await ch2.checkQueue(q);
    assert.equal(await channelError(ch2, () => ch2.deleteQueue(q, { ifEmpty: true })), 406);
    const ch3 = await conn.createChannel();
    await ch3.consume(q, () => undefined);
    const ch4 = await conn.createChannel();
    assert.equal(await channelError(ch4, () => ch4.deleteQueue(q, { ifUnused: true })), 406);
    const ch5 = await conn.createChannel();
    assert.equal((await ch5.deleteQueue(q)).messageCount, 0, 'z went to the consumer');
    await ch5.deleteQueue('no-such-queue'); // idempotent, as RabbitMQ
    await ch5.close();
  });

  it('exchanges: passive declare, reserved amq.* names, if-unused delete, argument mismatch', async () => {
    const ch = await conn.createChannel();
    await ch.checkExchange('amq.topic');
    assert.equal(await channelError(ch, () => ch.checkExchange('no-such-exchange')), 404);
    const ch2 = await conn.createChannel();
    assert.equal(await channelError(ch2, () => ch2.assertExchange('amq.mine', 'direct')), 403);
    const ch3 = await conn.createChannel();
    await ch3.assertExchange('used-x', 'fanout', { durable: false });
    const q = (await ch3.assertQueue('', { exclusive: true })).queue;
    await ch3.bindQueue(q, 'used-x', '');
    assert.equal(await channelError(ch3, () => ch3.deleteExchange('used-x', { ifUnused: true })), 406);
    const ch4 = await conn.createChannel();
    assert.equal(await channelError(ch4, () => ch4.assertExchange('used-x', 'direct', { durable: false })), 406);
    const ch5 = await conn.createChannel();
    await ch5.assertQueue('args-q', { durable: false, arguments: { 'x-max-length': 5 } });
    assert.equal(await channelError(ch5, () => ch5.assertQueue('args-q', { durable: false, arguments: { 'x-max-length': 6 } })), 406);
    const ch6 = await conn.createChannel();
    await ch6.deleteQueue('args-q');
    await ch6.deleteExchange('used-x');
    await ch6.close();
  });
});

describe('queues and exchanges (@cloudamqp/amqp-client)', () => {
  it('priorities, max-length-bytes, per-message TTL, purge, passive exchange 404', async () => {
    const client = await new AMQPClient(env.url, { ca: env.caPem }).connect();
    const ch = await client.channel();
    const prio = (await ch.queueDeclare('', { exclusive: true }, { 'x-max-priority': 9 })).name;
    await ch.basicPublish('', prio, 'p1', { priority: 1 });
    await ch.basicPublish('', prio, 'p9', { priority: 9 });
    assert.equal((await ch.basicGet(prio))?.bodyToString(), 'p9');
    const ttl = (await ch.queueDeclare('', { exclusive: true })).name;
    await ch.basicPublish('', ttl, 'gone', { expiration: '1' });
    await ch.basicPublish('', ttl, 'kept');
    await new Promise((r) => setTimeout(r, 20));
    assert.equal((await ch.basicGet(ttl))?.bodyToString(), 'kept');
    const bytes = (await ch.queueDeclare('', { exclusive: true }, { 'x-max-length-bytes': 4 })).name;
    await ch.basicPublish('', bytes, '1234');
    await ch.basicPublish('', bytes, '5678');
    assert.equal((await ch.queuePurge(bytes)).messageCount, 1);
    await assert.rejects(ch.exchangeDeclare('missing-x', 'direct', { passive: true }), /404|NOT_FOUND/);
    await client.close();
  });
});
