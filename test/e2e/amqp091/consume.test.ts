// Acknowledgements, transactions, exclusivity and errors over TLS with both clients: nack/reject with
// and without requeue (redelivered flag), basic.get, recover, tx commit/rollback, exclusive queues
// and consumers, consumer cancel notification on queue delete, passive declare NOT_FOUND closing only
// the channel, and channel errors vs connection errors.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import amqplib, { type Channel, type ConsumeMessage } from 'amqplib';
import { AMQPClient, type AMQPMessage } from '@cloudamqp/amqp-client';
import { startAmqpTestBroker, type AmqpTestBroker } from '../../helpers/amqp-broker.ts';

let env: AmqpTestBroker;
before(async () => {
  env = await startAmqpTestBroker();
});
after(async () => {
  await env.close();
});

const connect = () => amqplib.connect(env.url, { ca: [env.caPem] });

function closeError(target: { once(event: 'error', cb: (err: unknown) => void): unknown }): Promise<{ code: number; message: string }> {
  return new Promise((resolve) => target.once('error', (err) => resolve(err as { code: number; message: string })));
}

describe('amqplib: acknowledgements', () => {
  let conn: amqplib.ChannelModel;
  let ch: Channel;
  before(async () => {
    conn = await connect();
    ch = await conn.createChannel();
  });
  after(async () => {
    await conn.close();
  });

  it('basic.get, reject and nack with requeue redeliver with redelivered=true; without requeue discard', async () => {
    const q = (await ch.assertQueue('', { exclusive: true })).queue;
    ch.sendToQueue(q, Buffer.from('a'));
    ch.sendToQueue(q, Buffer.from('b'));
    const first = await ch.get(q);
    assert.ok(first);
    assert.equal(first.content.toString(), 'a');
    assert.equal(first.fields.redelivered, false);
    assert.equal(first.fields.messageCount, 1);
    ch.reject(first, true);
    const again = await ch.get(q);
    assert.ok(again);
    assert.equal(again.content.toString(), 'a');
    assert.equal(again.fields.redelivered, true);
    const b = await ch.get(q);
    assert.ok(b);
    ch.nackAll(true);
    const a3 = await ch.get(q);
    const b3 = await ch.get(q);
    assert.ok(a3 && b3);
    assert.deepEqual([a3.content.toString(), b3.content.toString(), a3.fields.redelivered, b3.fields.redelivered], ['a', 'b', true, true]);
    ch.nack(a3, false, false);
    ch.reject(b3, false);
    assert.equal(await ch.get(q), false);
    assert.equal((await ch.checkQueue(q)).messageCount, 0);
  });

  it('recover requeues unacknowledged deliveries', async () => {
    const q = (await ch.assertQueue('', { exclusive: true })).queue;
    ch.sendToQueue(q, Buffer.from('r'));
    const m = await ch.get(q);
    assert.ok(m);
    await ch.recover();
    const again = await ch.get(q, { noAck: true });
    assert.ok(again);
    assert.equal(again.fields.redelivered, true);
  });

  it('tx.commit publishes and acks; tx.rollback discards both', async () => {
    const txc = await conn.createChannel();
    const q = (await txc.assertQueue('', { exclusive: true })).queue;
    // amqplib has no tx API on its channel model; its channel's _rpc sends the methods (ids: class 90).
    type RpcChannel = { _rpc(method: number, fields: object, expect: number, cb: (err: unknown, ok: unknown) => void): void };
    const call = (method: number, expect: number) =>
      new Promise((resolve, reject) => (txc as unknown as RpcChannel)._rpc(method, {}, expect, (err, ok) => (err ? reject(err) : resolve(ok))));
    const TX_SELECT = 0x5a000a;
    const TX_SELECT_OK = 0x5a000b;
    const TX_COMMIT = 0x5a0014;
    const TX_COMMIT_OK = 0x5a0015;
    const TX_ROLLBACK = 0x5a001e;
    const TX_ROLLBACK_OK = 0x5a001f;
    await call(TX_SELECT, TX_SELECT_OK);
    txc.sendToQueue(q, Buffer.from('rolled-back'));
    await call(TX_ROLLBACK, TX_ROLLBACK_OK);
    assert.equal((await ch.checkQueue(q)).messageCount, 0);
    txc.sendToQueue(q, Buffer.from('committed'));
    assert.equal((await ch.checkQueue(q)).messageCount, 0, 'not visible before commit');
    await call(TX_COMMIT, TX_COMMIT_OK);
    assert.equal((await ch.checkQueue(q)).messageCount, 1);
    await txc.close();
  });

  it('redelivers with redelivered=true what a lost connection left unacknowledged', async () => {
    const q = (await ch.assertQueue('lost-conn-q', { durable: false })).queue;
    ch.sendToQueue(q, Buffer.from('u1'));
    ch.sendToQueue(q, Buffer.from('u2'));
    const doomed = await connect();
    doomed.on('error', () => undefined);
    const dch = await doomed.createChannel();
    const seen: string[] = [];
    await dch.consume(q, (m) => m && seen.push(m.content.toString()));
    while (seen.length < 2) await new Promise((r) => setTimeout(r, 5));
    // With an error, so that amqplib stops its heartbeat timers too.
    (doomed.connection as unknown as { stream: { destroy(err: Error): void } }).stream.destroy(new Error('connection lost'));
    const again: Array<[string, boolean]> = [];
    while (again.length < 2) {
      const m = await ch.get(q, { noAck: true });
      if (m !== false) again.push([m.content.toString(), m.fields.redelivered]);
      else await new Promise((r) => setTimeout(r, 5));
    }
    assert.deepEqual(again, [['u1', true], ['u2', true]]);
    await ch.deleteQueue(q);
  });

  it('sends basic.cancel to consumers when their queue is deleted', async () => {
    const q = (await ch.assertQueue('', { exclusive: true })).queue;
    const other = await conn.createChannel();
    const cancelled = new Promise<ConsumeMessage | null>((resolve) => void other.consume(q, (m) => resolve(m)));
    await new Promise((r) => setImmediate(r));
    await ch.deleteQueue(q);
    assert.equal(await cancelled, null, 'amqplib reports a broker cancel as a null message');
    await other.close();
  });

  it('exclusive queues refuse other connections and exclusive consumers refuse others (403/405)', async () => {
    const q = (await ch.assertQueue('', { exclusive: true })).queue;
    const conn2 = await connect();
    const ch2 = await conn2.createChannel();
    const err405 = closeError(ch2);
    await assert.rejects(ch2.consume(q, () => undefined));
    assert.equal((await err405).code, 405);
    const shared = (await ch.assertQueue('shared-excl-consumer', { durable: false, autoDelete: false })).queue;
    await ch.consume(shared, () => undefined, { exclusive: true });
    const ch3 = await conn2.createChannel();
    const err403 = closeError(ch3);
    await assert.rejects(ch3.consume(shared, () => undefined));
    assert.equal((await err403).code, 403);
    await conn2.close();
    await ch.deleteQueue(shared);
  });

  it('a passive declare of a missing queue closes the channel with 404 and the connection carries on', async () => {
    const bad = await conn.createChannel();
    const closed = closeError(bad);
    await assert.rejects(bad.checkQueue('does-not-exist'), /404/);
    assert.equal((await closed).code, 404);
    const fresh = await conn.createChannel();
    const q = await fresh.assertQueue('', { exclusive: true });
    assert.match(q.queue, /^amq\.gen-/);
    await fresh.close();
  });

  it('a soft error (unknown delivery tag) closes only the channel; a hard error (unknown exchange type) the connection', async () => {
    // Soft: an unknown delivery tag is 406 on the channel only.
    const soft = await conn.createChannel();
    const softClosed = closeError(soft);
    soft.ack({ fields: { deliveryTag: 999 } } as ConsumeMessage);
    assert.equal((await softClosed).code, 406);
    // Hard: an unknown exchange type is 503 COMMAND_INVALID on the connection.
    const conn2 = await connect();
    const connClosed = closeError(conn2);
    const ch2 = await conn2.createChannel();
    ch2.on('error', () => undefined);
    await assert.rejects(ch2.assertExchange('weird', 'no-such-type'));
    assert.equal((await connClosed).code, 503);
    // The first connection is unaffected.
    assert.ok((await ch.assertQueue('', { exclusive: true })).queue);
  });
});

describe('@cloudamqp/amqp-client: acknowledgements', () => {
  it('nack/reject with and without requeue, get, tx, cancel notify, passive 404', async () => {
    const client = await new AMQPClient(env.url, { ca: env.caPem }).connect();
    const ch = await client.channel();
    const q = (await ch.queueDeclare('', { exclusive: true })).name;
    await ch.basicPublish('', q, 'x');
    const m1 = (await ch.basicGet(q, { noAck: false }))!;
    assert.equal(m1.redelivered, false);
    await m1.nack(true);
    const m2 = (await ch.basicGet(q, { noAck: false }))!;
    assert.equal(m2.redelivered, true);
    await m2.reject(false);
    assert.equal(await ch.basicGet(q), null);

    const tx = await client.channel();
    await tx.txSelect();
    await tx.basicPublish('', q, 'tx-1');
    await tx.txRollback();
    await tx.basicPublish('', q, 'tx-2');
    await tx.txCommit();
    const got = (await ch.basicGet(q, { noAck: true }))!;
    assert.equal(got.bodyToString(), 'tx-2');
    assert.equal(await ch.basicGet(q), null);

    const sub = await client.channel();
    const consumer = await sub.basicConsume(q, { noAck: false }, (_m: AMQPMessage) => undefined);
    await ch.queueDelete(q);
    await assert.rejects(consumer.wait(), /cancel/i);

    const bad = await client.channel();
    await assert.rejects(bad.queueDeclare('missing-queue', { passive: true }), /404|NOT_FOUND/);
    assert.equal(bad.closed, true);
    const ok = await client.channel();
    const mine = (await ok.queueDeclare('', { exclusive: true })).name;

    // Another connection may not use an exclusive queue (405, channel only); an exclusive consumer
    // keeps others off a queue (403).
    const other = await new AMQPClient(env.url, { ca: env.caPem }).connect();
    const och = await other.channel();
    await assert.rejects(och.basicConsume(mine, {}, () => undefined), /405|RESOURCE_LOCKED/);
    await ok.queueDeclare('c-shared', { autoDelete: false });
    await ok.basicConsume('c-shared', { exclusive: true }, () => undefined);
    const och2 = await other.channel();
    await assert.rejects(och2.basicConsume('c-shared', {}, () => undefined), /403|ACCESS_REFUSED/);
    // A hard error closes the whole connection; this one carries on.
    const och3 = await other.channel();
    await assert.rejects(och3.exchangeDeclare('weird', 'no-such-type' as 'direct'), /503|COMMAND_INVALID/);
    while (!other.closed) await new Promise((r) => setTimeout(r, 5));
    await ok.queueDelete('c-shared');
    assert.ok((await ok.queueDeclare('', { exclusive: true })).name);
    await client.close();
  });
});
