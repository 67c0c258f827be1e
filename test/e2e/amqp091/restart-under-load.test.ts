// SIGKILL under load (issue 4 "Must show"): the real `sealmq serve` is killed while three amqplib
// publishers stream persistent messages with publisher confirms and a consumer with manual acks
// holds some deliveries unacknowledged. After the restart every confirmed message is back, every
// durable definition (exchanges, an exchange-to-exchange binding, queues with arguments, queue
// bindings, a user made through the Amazon MQ API) is back, and each delivery that was held
// unacknowledged comes again with redelivered=true.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateUserCommand, type MqClient } from '@aws-sdk/client-mq';
import amqplib from 'amqplib';
import type { ChannelModel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import { mqClient, readBrokerCredentials, startServer, type RunningServer } from '../../helpers/server.ts';
import { amqpsUrl, type AmqpLogin } from '../../helpers/amqp-client.ts';

const EXCHANGE = 'restart.orders';
const UPSTREAM = 'restart.upstream';
const STORED = 'restart.stored';
const HELD = 'restart.held';
const USER = 'restart-app';
const USER_PASSWORD = 'Restart-App-Pass-7Kq';
const PUBLISHERS = 3;
/** Deliveries the consumer keeps unacknowledged (below its prefetch, so it keeps consuming). */
const HOLD = 25;
const PREFETCH = 100;
const IN_FLIGHT_MAX = 200;
const WAIT_MS = 60_000;

let server: RunningServer;
let mq: MqClient;
let admin: AmqpLogin;

before(async () => {
  server = await startServer();
  mq = mqClient(server);
  const { username, password } = await readBrokerCredentials(server);
  admin = { endpoint: server.endpoints.amqps!, username, password, caPem: server.caPem };
});
after(async () => {
  mq?.destroy();
  await server?.stop();
});

function connect(login: AmqpLogin): Promise<ChannelModel> {
  return amqplib.connect(amqpsUrl(login), { ca: [login.caPem] });
}

/** A connection that will be cut by the kill: its errors are expected and ignored. */
async function doomedConnection(): Promise<ChannelModel> {
  const conn = await connect(admin);
  conn.on('error', () => undefined);
  return conn;
}

interface Publisher {
  readonly confirmed: Set<string>;
  readonly stopped: Promise<void>;
}

/**
 * Publishes `p<index>-<n>` bodies until the connection dies, half through the exchange with a routing
 * key bound to STORED and half to UPSTREAM (bound to EXCHANGE), every tenth to HELD; records each
 * message the broker confirmed.
 */
async function startPublisher(index: number, stop: { requested: boolean }): Promise<Publisher> {
  const conn = await doomedConnection();
  const ch: ConfirmChannel = await conn.createConfirmChannel();
  ch.on('error', () => undefined);
  const confirmed = new Set<string>();
  let inFlight = 0;
  let waiters: (() => void)[] = [];
  let dead = false;
  conn.on('close', () => {
    dead = true;
    for (const wake of waiters.splice(0)) wake();
  });
  const stopped = (async () => {
    for (let n = 0; !dead && !stop.requested; n++) {
      while (inFlight >= IN_FLIGHT_MAX && !dead) await new Promise<void>((resolve) => waiters.push(resolve));
      if (dead) break;
      const id = `p${index}-${n}`;
      const [exchange, routingKey] = n % 10 === 0 ? ['', HELD] : n % 2 === 0 ? [EXCHANGE, `orders.${index}`] : [UPSTREAM, `orders.${index}.up`];
      inFlight++;
      try {
        ch.publish(exchange, routingKey, Buffer.from(id), { persistent: true, messageId: id }, (error: unknown) => {
          inFlight--;
          if (error === null || error === undefined) confirmed.add(id);
          const wake = waiters.shift();
          wake?.();
        });
      } catch {
        break; // the channel is closed: the server is gone
      }
      // Let the socket and the confirms through now and then.
      if (n % 50 === 49) await new Promise((r) => setImmediate(r));
    }
  })();
  return { confirmed, stopped };
}

/** Drains a queue with manual acks until it has been empty for a moment; returns each message. */
async function drain(conn: ChannelModel, queue: string): Promise<ConsumeMessage[]> {
  const ch = await conn.createChannel();
  await ch.prefetch(500);
  const got: ConsumeMessage[] = [];
  let expected = (await ch.checkQueue(queue)).messageCount;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${queue}: got ${got.length} of ${expected} messages`)), WAIT_MS);
    const check = () => {
      if (got.length >= expected) {
        clearTimeout(timer);
        resolve();
      }
    };
    void ch.consume(queue, (msg) => {
      if (msg === null) return;
      got.push(msg);
      ch.ack(msg);
      check();
    });
    check();
  });
  // Nothing more arrives: a passive declare after the acks says the queue is empty.
  await ch.close();
  const verify = await conn.createChannel();
  expected = (await verify.checkQueue(queue)).messageCount;
  await verify.close();
  assert.equal(expected, 0, `${queue} is empty once drained`);
  return got;
}

describe('SIGKILL under load', () => {
  it('brings back every confirmed persistent message and durable definition, and redelivers the unacknowledged with redelivered=true', async () => {
    // Durable definitions, with a user made through the Amazon MQ API.
    await mq.send(new CreateUserCommand({ BrokerId: server.endpoints.brokerId!, Username: USER, Password: USER_PASSWORD }));
    const setup = await connect(admin);
    const ch = await setup.createChannel();
    await ch.assertExchange(EXCHANGE, 'topic', { durable: true });
    await ch.assertExchange(UPSTREAM, 'direct', { durable: true, arguments: { 'alternate-exchange': EXCHANGE } });
    for (let i = 0; i < PUBLISHERS; i++) await ch.bindExchange(EXCHANGE, UPSTREAM, `orders.${i}.up`);
    await ch.assertQueue(STORED, { durable: true, arguments: { 'x-max-priority': 5 } });
    await ch.bindQueue(STORED, EXCHANGE, 'orders.#');
    await ch.assertQueue(HELD, { durable: true });
    await setup.close();

    // The consumer: manual acks, holding the first HOLD deliveries, acknowledging the rest.
    const consumerConn = await doomedConnection();
    const consumer = await consumerConn.createChannel();
    consumer.on('error', () => undefined);
    await consumer.prefetch(PREFETCH);
    const held = new Map<string, ConsumeMessage>();
    const acked = new Set<string>();
    let heldEnough!: () => void;
    const heldAll = new Promise<void>((resolve) => (heldEnough = resolve));
    await consumer.consume(HELD, (msg) => {
      if (msg === null) return;
      if (held.size < HOLD) {
        held.set(msg.content.toString(), msg);
        if (held.size === HOLD) heldEnough();
      } else {
        consumer.ack(msg);
        acked.add(msg.content.toString());
      }
    });

    const stop = { requested: false };
    const publishers = await Promise.all(Array.from({ length: PUBLISHERS }, (_, i) => startPublisher(i, stop)));
    // Under load: the consumer holds its deliveries, has acknowledged others, and confirms keep coming.
    await heldAll;
    const confirmedCount = () => publishers.reduce((sum, p) => sum + p.confirmed.size, 0);
    const deadline = Date.now() + WAIT_MS;
    while ((confirmedCount() < 3000 || acked.size < 50) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(acked.size >= 50, `the consumer acknowledged deliveries while publishers ran (${acked.size})`);

    const killed = await server.kill('SIGKILL');
    assert.equal(killed.signal, 'SIGKILL');
    stop.requested = true;
    await Promise.all(publishers.map((p) => p.stopped));
    const confirmed = new Set<string>();
    for (const p of publishers) for (const id of p.confirmed) confirmed.add(id);
    assert.ok(confirmed.size >= 3000, `confirmed before the kill: ${confirmed.size}`);
    await consumerConn.close().catch(() => undefined);

    await server.restart();
    const login = { ...admin, endpoint: server.endpoints.amqps! };

    // The user made through the API is back and may connect.
    const asUser = await connect({ ...login, username: USER, password: USER_PASSWORD });
    await asUser.close();

    const conn = await connect(login);
    try {
      // Definitions: passive declares succeed; a declare with other arguments is refused as a mismatch.
      const check = await conn.createChannel();
      await check.checkExchange(EXCHANGE);
      await check.checkExchange(UPSTREAM);
      await check.checkQueue(STORED);
      await check.checkQueue(HELD);
      await check.close();
      const mismatch = await conn.createChannel();
      const refused = new Promise<{ code: number }>((resolve) => mismatch.once('error', resolve));
      await assert.rejects(mismatch.assertQueue(STORED, { durable: true }));
      assert.equal((await refused).code, 406, 'STORED kept its x-max-priority argument');

      // Every confirmed message is back, on the queue it was routed to, except those the consumer
      // acknowledged (an acknowledgement the broker had not yet recorded may bring one back: at least once).
      const stored = await drain(conn, STORED);
      const heldAgain = await drain(conn, HELD);
      const back = new Map<string, ConsumeMessage>();
      for (const msg of [...stored, ...heldAgain]) back.set(msg.content.toString(), msg);
      const missing = [...confirmed].filter((id) => !back.has(id) && !acked.has(id));
      assert.deepEqual(missing.slice(0, 10), [], `${missing.length} of ${confirmed.size} confirmed messages are missing`);
      for (const msg of [...stored, ...heldAgain]) {
        assert.match(msg.content.toString(), /^p\d+-\d+$/, 'nothing that was not published');
        assert.equal(msg.properties.deliveryMode, 2);
        assert.equal(msg.properties.messageId, msg.content.toString());
      }
      for (const msg of stored) assert.notEqual(Number(msg.content.toString().split('-')[1]) % 10, 0, 'HELD messages did not leak into STORED');

      // The deliveries held unacknowledged come again with redelivered=true.
      for (const id of held.keys()) {
        assert.ok(!acked.has(id));
        const again = heldAgain.find((msg) => msg.content.toString() === id);
        assert.ok(again !== undefined, `held delivery ${id} is back`);
        assert.equal(again.fields.redelivered, true, `held delivery ${id} is flagged redelivered`);
      }

      // Bindings are back: through UPSTREAM's exchange-to-exchange binding and the topic binding.
      const confirm = await conn.createConfirmChannel();
      confirm.publish(UPSTREAM, 'orders.1.up', Buffer.from('after-restart-e2e'), { persistent: true });
      confirm.publish(EXCHANGE, 'orders.9', Buffer.from('after-restart-topic'), { persistent: true });
      await confirm.waitForConfirms();
      const afterRestart = (await drain(conn, STORED)).map((msg) => msg.content.toString()).sort();
      assert.deepEqual(afterRestart, ['after-restart-e2e', 'after-restart-topic']);
    } finally {
      await conn.close();
    }
  });
});
