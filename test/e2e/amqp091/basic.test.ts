// First milestone over TLS with both real clients: connect and authenticate (a wrong password is
// refused with 403), publish with confirms, consume with prefetch and manual acks.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import amqplib from 'amqplib';
import { AMQPClient, type AMQPMessage } from '@cloudamqp/amqp-client';
import { startAmqpTestBroker, type AmqpTestBroker } from '../../helpers/amqp-broker.ts';

let env: AmqpTestBroker;
before(async () => {
  env = await startAmqpTestBroker();
});
after(async () => {
  await env.close();
});

describe('amqplib over TLS', () => {
  it('connects, announces RabbitMQ capabilities, and refuses a wrong password with 403', async () => {
    const conn = await amqplib.connect(env.url, { ca: [env.caPem] });
    const caps = conn.connection.serverProperties.capabilities as unknown as Record<string, boolean>;
    for (const cap of ['publisher_confirms', 'exchange_exchange_bindings', 'basic.nack', 'consumer_cancel_notify', 'connection.blocked', 'authentication_failure_close', 'per_consumer_qos', 'consumer_priorities']) {
      assert.equal(caps[cap], true, cap);
    }
    await conn.close();
    await assert.rejects(amqplib.connect(env.urlWith({ password: 'wrong' }), { ca: [env.caPem] }), /403|ACCESS_REFUSED/);
    await assert.rejects(amqplib.connect(env.urlWith({ username: 'guest', password: 'guest' }), { ca: [env.caPem] }), /403|ACCESS_REFUSED/);
  });

  it('publishes with confirms and consumes with prefetch and manual acks', async () => {
    const conn = await amqplib.connect(env.url, { ca: [env.caPem] });
    const ch = await conn.createConfirmChannel();
    const q = await ch.assertQueue('', { exclusive: true });
    const n = 50;
    for (let i = 0; i < n; i++) ch.sendToQueue(q.queue, Buffer.from(`m${i}`), { persistent: true, headers: { i } });
    await ch.waitForConfirms();
    const consumer = await conn.createChannel();
    await consumer.prefetch(5);
    const got: string[] = [];
    let inFlightMax = 0;
    let inFlight = 0;
    let acked = 0;
    await new Promise<void>((resolve, reject) => {
      consumer
        .consume(q.queue, (msg) => {
          if (msg === null) return reject(new Error('cancelled'));
          inFlight++;
          inFlightMax = Math.max(inFlightMax, inFlight);
          assert.equal(msg.properties.headers?.i, got.length);
          got.push(msg.content.toString());
          setImmediate(() => {
            inFlight--;
            consumer.ack(msg);
            if (++acked === n) resolve();
          });
        })
        .catch(reject);
    });
    assert.deepEqual(got, Array.from({ length: n }, (_, i) => `m${i}`));
    assert.ok(inFlightMax <= 5, `prefetch respected (${inFlightMax})`);
    await conn.close();
  });
});

describe('@cloudamqp/amqp-client over TLS', () => {
  it('connects and refuses a wrong password', async () => {
    const client = new AMQPClient(env.url, { ca: env.caPem });
    const conn = await client.connect();
    assert.equal(conn.closed, false);
    await conn.close();
    await assert.rejects(new AMQPClient(env.urlWith({ password: 'nope' }), { ca: env.caPem }).connect(), /403|ACCESS_REFUSED|refused/i);
  });

  it('publishes with confirms and consumes with manual acks', async () => {
    const conn = await new AMQPClient(env.url, { ca: env.caPem }).connect();
    const ch = await conn.channel();
    await ch.confirmSelect();
    const { name } = await ch.queueDeclare('', { exclusive: true });
    const tags: number[] = [];
    for (let i = 0; i < 20; i++) tags.push(await ch.basicPublish('', name, `c${i}`, { deliveryMode: 2 }));
    assert.deepEqual(tags, Array.from({ length: 20 }, (_, i) => i + 1));
    await ch.prefetch(3);
    const bodies: string[] = [];
    await new Promise<void>((resolve, reject) => {
      ch.basicConsume(name, { noAck: false }, async (msg: AMQPMessage) => {
        bodies.push(msg.bodyToString() ?? '');
        await msg.ack();
        if (bodies.length === 20) resolve();
      }).catch(reject);
    });
    assert.deepEqual(bodies, Array.from({ length: 20 }, (_, i) => `c${i}`));
    await conn.close();
  });
});
