// Exchanges and queue arguments over TLS with both clients: each exchange type, exchange-to-exchange
// bindings, alternate exchange, mandatory returns before confirms, TTL, max-length with overflow,
// dead-lettering with x-death.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import amqplib, { type Channel, type ConfirmChannel } from 'amqplib';
import { AMQPClient, type AMQPChannel } from '@cloudamqp/amqp-client';
import { startAmqpTestBroker, type AmqpTestBroker } from '../../helpers/amqp-broker.ts';

let env: AmqpTestBroker;
before(async () => {
  env = await startAmqpTestBroker();
});
after(async () => {
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

async function waitFor<T>(probe: () => Promise<T | undefined>): Promise<T> {
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('amqplib: routing', () => {
  let conn: amqplib.ChannelModel;
  let ch: Channel;
  before(async () => {
    conn = await amqplib.connect(env.url, { ca: [env.caPem] });
    ch = await conn.createChannel();
  });
  after(async () => {
    await conn.close();
  });

  it('routes through direct, fanout, topic and headers exchanges', async () => {
    const qa = (await ch.assertQueue('', { exclusive: true })).queue;
    const qb = (await ch.assertQueue('', { exclusive: true })).queue;
    await ch.assertExchange('l.direct', 'direct', { durable: false });
    await ch.assertExchange('l.fanout', 'fanout', { durable: false });
    await ch.assertExchange('l.topic', 'topic', { durable: false });
    await ch.assertExchange('l.headers', 'headers', { durable: false });
    await ch.bindQueue(qa, 'l.direct', 'a');
    await ch.bindQueue(qb, 'l.direct', 'b');
    await ch.bindQueue(qa, 'l.fanout', '');
    await ch.bindQueue(qb, 'l.fanout', 'ignored');
    await ch.bindQueue(qa, 'l.topic', 'x.*.z');
    await ch.bindQueue(qb, 'l.topic', 'x.#');
    await ch.bindQueue(qa, 'l.headers', '', { 'x-match': 'all', kind: 'k1', level: 2 });
    await ch.bindQueue(qb, 'l.headers', '', { 'x-match': 'any', kind: 'k2', level: 2 });
    ch.publish('l.direct', 'a', Buffer.from('direct-a'));
    ch.publish('l.direct', 'b', Buffer.from('direct-b'));
    ch.publish('l.direct', 'c', Buffer.from('direct-none'));
    ch.publish('l.fanout', 'whatever', Buffer.from('fan'));
    ch.publish('l.topic', 'x.y.z', Buffer.from('t-both'));
    ch.publish('l.topic', 'x.y.y.z', Buffer.from('t-b'));
    ch.publish('l.headers', '', Buffer.from('h-both'), { headers: { kind: 'k1', level: 2 } });
    ch.publish('l.headers', '', Buffer.from('h-b'), { headers: { kind: 'k2' } });
    assert.deepEqual(await drain(ch, qa), ['direct-a', 'fan', 't-both', 'h-both']);
    assert.deepEqual(await drain(ch, qb), ['direct-b', 'fan', 't-both', 't-b', 'h-both', 'h-b']);
  });

  it('routes across exchange-to-exchange bindings and to an alternate exchange', async () => {
    const q = (await ch.assertQueue('', { exclusive: true })).queue;
    const qae = (await ch.assertQueue('', { exclusive: true })).queue;
    await ch.assertExchange('l.src', 'topic', { durable: false });
    await ch.assertExchange('l.dst', 'fanout', { durable: false });
    await ch.bindExchange('l.dst', 'l.src', 'orders.#');
    await ch.bindQueue(q, 'l.dst', '');
    await ch.assertExchange('l.ae', 'fanout', { durable: false });
    await ch.bindQueue(qae, 'l.ae', '');
    await ch.assertExchange('l.main', 'direct', { durable: false, alternateExchange: 'l.ae' });
    ch.publish('l.src', 'orders.new', Buffer.from('e2e'));
    ch.publish('l.src', 'other', Buffer.from('dropped'));
    ch.publish('l.main', 'nobody', Buffer.from('to-ae'));
    assert.deepEqual(await drain(ch, q), ['e2e']);
    assert.deepEqual(await drain(ch, qae), ['to-ae']);
    await ch.unbindExchange('l.dst', 'l.src', 'orders.#');
    ch.publish('l.src', 'orders.new', Buffer.from('after-unbind'));
    assert.deepEqual(await drain(ch, q), []);
  });

  it('returns an unroutable mandatory message before confirming it', async () => {
    const cc: ConfirmChannel = await conn.createConfirmChannel();
    const events: string[] = [];
    cc.on('return', (m) => events.push(`return:${(m.fields as unknown as { replyCode: number }).replyCode}:${m.content.toString()}`));
    await new Promise<void>((resolve, reject) =>
      cc.publish('', 'no-such-queue', Buffer.from('lost'), { mandatory: true }, (err) => {
        if (err) return reject(err);
        events.push('ack');
        resolve();
      }),
    );
    assert.deepEqual(events, ['return:312:lost', 'ack']);
    await cc.close();
  });

  it('expires messages by TTL and dead-letters them with x-death', async () => {
    const dlq = (await ch.assertQueue('', { exclusive: true })).queue;
    const q = (await ch.assertQueue('', { exclusive: true, messageTtl: 1, deadLetterExchange: '', deadLetterRoutingKey: dlq })).queue;
    ch.sendToQueue(q, Buffer.from('short-lived'));
    const m = await waitFor(async () => (await ch.get(dlq, { noAck: true })) || undefined);
    assert.equal(m.content.toString(), 'short-lived');
    const death = (m.properties.headers?.['x-death'] as unknown as Array<Record<string, unknown>>)[0]!;
    assert.equal(death.reason, 'expired');
    assert.equal(death.queue, q);
  });

  it('max-length drops the head by default and nacks with reject-publish', async () => {
    const dropHead = (await ch.assertQueue('', { exclusive: true, maxLength: 2 })).queue;
    for (const b of ['1', '2', '3']) ch.sendToQueue(dropHead, Buffer.from(b));
    assert.deepEqual(await drain(ch, dropHead), ['2', '3']);

    const cc = await conn.createConfirmChannel();
    const rejecting = (await cc.assertQueue('', { exclusive: true, maxLength: 1, arguments: { 'x-overflow': 'reject-publish' } })).queue;
    const outcome = (body: string) => new Promise<string>((resolve) => cc.sendToQueue(rejecting, Buffer.from(body), {}, (err) => resolve(err ? 'nack' : 'ack')));
    assert.deepEqual(await Promise.all([outcome('a'), outcome('b')]), ['ack', 'nack']);
    await cc.close();
  });

  it('dead-letters a rejected message (reason rejected)', async () => {
    const dlq = (await ch.assertQueue('', { exclusive: true })).queue;
    const q = (await ch.assertQueue('', { exclusive: true, deadLetterExchange: '', deadLetterRoutingKey: dlq })).queue;
    ch.sendToQueue(q, Buffer.from('bad'), { headers: { keep: 'me' } });
    const m = await waitFor(async () => (await ch.get(q)) || undefined);
    ch.reject(m, false);
    const dead = await waitFor(async () => (await ch.get(dlq, { noAck: true })) || undefined);
    assert.equal(dead.content.toString(), 'bad');
    assert.equal(dead.properties.headers?.keep, 'me');
    assert.equal((dead.properties.headers?.['x-death'] as unknown as Array<Record<string, unknown>>)[0]!.reason, 'rejected');
  });
});

describe('@cloudamqp/amqp-client: routing', () => {
  let client: Awaited<ReturnType<AMQPClient['connect']>>;
  let ch: AMQPChannel;
  before(async () => {
    client = await new AMQPClient(env.url, { ca: env.caPem }).connect();
    ch = await client.channel();
  });
  after(async () => {
    await client.close();
  });

  async function drainC(queue: string): Promise<string[]> {
    const out: string[] = [];
    for (;;) {
      const m = await ch.basicGet(queue, { noAck: true });
      if (m === null) return out;
      out.push(m.bodyToString() ?? '');
    }
  }

  it('routes through topic and headers exchanges, e2e bindings and an alternate exchange', async () => {
    const q = (await ch.queueDeclare('', { exclusive: true })).name;
    const qae = (await ch.queueDeclare('', { exclusive: true })).name;
    await ch.exchangeDeclare('c.topic', 'topic', { durable: false });
    await ch.exchangeDeclare('c.headers', 'headers', { durable: false });
    await ch.exchangeDeclare('c.ae', 'fanout', { durable: false });
    await ch.exchangeDeclare('c.main', 'direct', { durable: false }, { 'alternate-exchange': 'c.ae' });
    await ch.exchangeBind('c.main', 'c.topic', 'a.#');
    await ch.queueBind(q, 'c.main', 'a.b');
    await ch.queueBind(q, 'c.headers', '', { 'x-match': 'any', color: 'red' });
    await ch.queueBind(qae, 'c.ae', '');
    await ch.basicPublish('c.topic', 'a.b', 'via-topic');
    await ch.basicPublish('c.topic', 'a.c', 'to-ae-through-e2e');
    await ch.basicPublish('c.headers', '', 'red', { headers: { color: 'red' } });
    await ch.basicPublish('c.headers', '', 'blue', { headers: { color: 'blue' } });
    assert.deepEqual(await drainC(q), ['via-topic', 'red']);
    assert.deepEqual(await drainC(qae), ['to-ae-through-e2e']);
  });

  it('returns unroutable mandatory messages and nacks on reject-publish overflow', async () => {
    const cc = await client.channel();
    await cc.confirmSelect();
    const returned: string[] = [];
    cc.onReturn = (m) => returned.push(`${m.replyCode}:${m.bodyToString()}`);
    await cc.basicPublish('', 'nobody-here', 'ret', {}, true);
    assert.deepEqual(returned, ['312:ret']);
    const q = (await cc.queueDeclare('', { exclusive: true }, { 'x-max-length': 1, 'x-overflow': 'reject-publish' })).name;
    await cc.basicPublish('', q, 'one');
    await assert.rejects(cc.basicPublish('', q, 'two'));
    await cc.close();
  });

  it('dead-letters expired messages', async () => {
    const dlq = (await ch.queueDeclare('', { exclusive: true })).name;
    const q = (await ch.queueDeclare('', { exclusive: true }, { 'x-message-ttl': 1, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': dlq })).name;
    await ch.basicPublish('', q, 'ttl');
    const m = await waitFor(async () => (await ch.basicGet(dlq, { noAck: true })) ?? undefined);
    assert.equal(m.bodyToString(), 'ttl');
    const deaths = m.properties.headers?.['x-death'] as Array<Record<string, unknown>>;
    assert.equal(deaths[0]!.reason, 'expired');
  });
});
