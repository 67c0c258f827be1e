// The ActiveMQ engine's model beyond plain send and receive: persistence across a reopen (in-memory
// store state and the encrypted segment store), durable subscriptions, selectors, expiration,
// transactions, temporary destinations, retained messages, client ids, noLocal and forced close.

import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { createStoreFixture } from '../../../test/store/store-fixture.ts';
import { FakeClock } from '../clock.ts';
import { AmqError, type AmqConnection, type AmqMessage } from './api.ts';
import { openEngine, record, settle, textMessage, type EngineFixture } from './engine-test-support.ts';

const fixtures: EngineFixture[] = [];

afterEach(async () => {
  for (const f of fixtures.splice(0)) await f.close();
});

async function open(options: Parameters<typeof openEngine>[0] = {}): Promise<EngineFixture> {
  const f = await openEngine(options);
  fixtures.push(f);
  return f;
}

async function reopen(f: EngineFixture, options: Parameters<typeof openEngine>[0] = {}): Promise<EngineFixture> {
  await f.broker.settle();
  await f.close();
  fixtures.splice(fixtures.indexOf(f), 1);
  return open({ state: f.state, ...options });
}

function amqMessage(body: string, persistent: boolean): AmqMessage {
  return { body: new TextEncoder().encode(body), bodyType: 'text', persistent, priority: 4, expiration: 0, timestamp: Date.now(), properties: {} };
}

function isAmqError(code: string) {
  return (e: unknown) => e instanceof AmqError && e.code === code;
}

async function drain(c: AmqConnection, id: string, name: string, kind: 'queue' | 'topic' = 'queue'): Promise<string[]> {
  const r = await record(c, { id, destination: { kind, name }, ackMode: 'auto' });
  await settle();
  await r.subscription.close();
  return r.bodies();
}

describe('ActiveMQ engine: persistence', () => {
  it('keeps persistent queue messages across a broker reopen and loses non-persistent ones', async () => {
    let f = await open();
    const c = await f.connect();
    await c.send({ kind: 'queue', name: 'jobs' }, textMessage('kept', { persistent: true, properties: { k: 7n } }));
    await c.send({ kind: 'queue', name: 'jobs' }, textMessage('lost', { persistent: false }));
    f = await reopen(f);
    const c2 = await f.connect();
    const r = await record(c2, { id: 's', destination: { kind: 'queue', name: 'jobs' }, ackMode: 'individual' });
    await settle();
    assert.deepEqual(r.bodies(), ['kept']);
    assert.equal(r.deliveries[0]!.message.persistent, true);
    assert.deepEqual(r.deliveries[0]!.message.properties, { k: 7n });
  });

  it('a durable subscription collects while detached and survives a reopen of the encrypted segment store', async () => {
    const storeFixture = await createStoreFixture();
    try {
      const store1 = await storeFixture.open();
      let f = await open({ store: store1 });
      const sub = await f.connect({ clientId: 'client-1' });
      const first = await record(sub, { id: 'd', destination: { kind: 'topic', name: 'events.>' }, ackMode: 'individual', durableName: 'audit' });
      await sub.close();
      assert.equal(first.deliveries.length, 0);
      const producer = await f.connect();
      await producer.send({ kind: 'topic', name: 'events.a' }, textMessage('while-away', { persistent: true }));
      await producer.send({ kind: 'topic', name: 'events.b' }, textMessage('not-persistent', { persistent: false }));
      await f.broker.settle();
      await f.close();
      fixtures.splice(fixtures.indexOf(f), 1);
      await store1.close();
      const store2 = await storeFixture.open();
      f = await open({ store: store2 });
      const again = await f.connect({ clientId: 'client-1' });
      const r = await record(again, { id: 'd', destination: { kind: 'topic', name: 'events.>' }, ackMode: 'individual', durableName: 'audit' });
      // Deliveries of stored messages wait for their delivery record to be durable.
      await r.waitFor(1);
      assert.deepEqual(r.bodies(), ['while-away']);
      assert.deepEqual(r.deliveries[0]!.destination, { kind: 'topic', name: 'events.a' });
      // Still bound after the reopen: new messages arrive too.
      const producer2 = await f.connect();
      await producer2.send({ kind: 'topic', name: 'events.c' }, textMessage('after', { persistent: true }));
      await r.waitFor(2);
      assert.deepEqual(r.bodies(), ['while-away', 'after']);
      await f.close();
      fixtures.splice(fixtures.indexOf(f), 1);
      await store2.close();
    } finally {
      await storeFixture.dispose();
    }
  });

  it('after a reopen, a durable subscription keeps its selector and noLocal, and queues keep the redelivery limit', async () => {
    let f = await open({ engine: { maximumRedeliveries: 1 } });
    const owner = await f.connect({ clientId: 'sel' });
    await (await record(owner, { id: 'd', destination: { kind: 'topic', name: 'alerts' }, ackMode: 'individual', durableName: 'red', selector: "level = 'red'", noLocal: true })).subscription.close();
    await owner.send({ kind: 'queue', name: 'retry' }, textMessage('r', { persistent: true }));
    await owner.close();
    f = await reopen(f, { engine: { maximumRedeliveries: 1 } });
    const producer = await f.connect();
    for (const level of ['green', 'red']) await producer.send({ kind: 'topic', name: 'alerts' }, textMessage(level, { persistent: true, properties: { level } }));
    const back = await f.connect({ clientId: 'sel' });
    await back.send({ kind: 'topic', name: 'alerts' }, textMessage('own', { persistent: true, properties: { level: 'red' } }));
    const r = await record(back, { id: 'd', destination: { kind: 'topic', name: 'alerts' }, ackMode: 'individual', durableName: 'red', selector: "level = 'red'", noLocal: true });
    await r.waitFor(1);
    await settle();
    assert.deepEqual(r.bodies(), ['red']);
    const counts: number[] = [];
    await record(back, { id: 'retry', destination: { kind: 'queue', name: 'retry' }, ackMode: 'individual' }, (d) => {
      counts.push(d.deliveryCount);
      queueMicrotask(() => back.nack(d.token));
    });
    await settle();
    assert.deepEqual(counts, [1, 2]);
    assert.deepEqual(await drain(back, 'dlq', 'ActiveMQ.DLQ'), ['r']);
  });

  it('lists the durable subscriptions of a client id, with topic, selector and noLocal, across a reopen', async () => {
    let f = await open();
    const c = await f.connect({ clientId: 'lister' });
    const other = await f.connect({ clientId: 'lister:other' });
    assert.deepEqual(c.durableSubscriptions(), []);
    const a = await c.subscribe({ id: 'a', destination: { kind: 'topic', name: 'news.>' }, ackMode: 'individual', durableName: 'AT_LEAST_ONCE:news/#' }, () => undefined);
    await c.subscribe({ id: 'b', destination: { kind: 'topic', name: 'prices' }, ackMode: 'auto', durableName: 'b', selector: 'p > 1', noLocal: true }, () => undefined);
    // Another client id, even one that starts with this one, is not listed.
    await other.subscribe({ id: 'x', destination: { kind: 'topic', name: 'news.>' }, ackMode: 'auto', durableName: 'x' }, () => undefined);
    await a.close();
    const byName = <T extends { name: string }>(l: readonly T[]) => [...l].sort((p, q) => p.name.localeCompare(q.name));
    assert.deepEqual(byName(c.durableSubscriptions()), [
      { name: 'AT_LEAST_ONCE:news/#', destination: { kind: 'topic', name: 'news.>' }, selector: undefined, noLocal: false, active: false, expiresAfterMs: undefined },
      { name: 'b', destination: { kind: 'topic', name: 'prices' }, selector: 'p > 1', noLocal: true, active: true, expiresAfterMs: undefined },
    ]);
    const anonymous = await f.connect();
    assert.deepEqual(anonymous.durableSubscriptions(), []);
    f = await reopen(f);
    const back = await f.connect({ clientId: 'lister' });
    assert.deepEqual(
      byName(back.durableSubscriptions()).map((d) => [d.name, d.destination.name, d.active]),
      [
        ['AT_LEAST_ONCE:news/#', 'news.>', false],
        ['b', 'prices', false],
      ],
    );
    await back.unsubscribeDurable('b');
    assert.deepEqual(back.durableSubscriptions().map((d) => d.name), ['AT_LEAST_ONCE:news/#']);
  });

  it('one active consumer per durable subscription; unsubscribeDurable removes it and its messages', async () => {
    const f = await open();
    const a = await f.connect({ clientId: 'c' });
    const sub = await record(a, { id: 'd', destination: { kind: 'topic', name: 't' }, ackMode: 'individual', durableName: 'n' });
    const other = await f.connect({ clientId: 'other' });
    await assert.rejects(other.unsubscribeDurable('n'), isAmqError('invalid-destination'));
    await assert.rejects(a.subscribe({ id: 'd2', destination: { kind: 'topic', name: 't' }, ackMode: 'auto', durableName: 'n' }, () => undefined), isAmqError('subscription-in-use'));
    await assert.rejects(a.unsubscribeDurable('n'), isAmqError('subscription-in-use'));
    await sub.subscription.close();
    await other.send({ kind: 'topic', name: 't' }, textMessage('pending', { persistent: true }));
    await a.unsubscribeDurable('n');
    const r = await record(a, { id: 'd3', destination: { kind: 'topic', name: 't' }, ackMode: 'auto', durableName: 'n' });
    await settle();
    assert.deepEqual(r.bodies(), [], 'a new subscription of the same name starts empty');
  });

  it('refuses a durable subscription without a client id, and a second connection with the same client id', async () => {
    const f = await open();
    const anonymous = await f.connect();
    await assert.rejects(anonymous.subscribe({ id: 'x', destination: { kind: 'topic', name: 't' }, ackMode: 'auto', durableName: 'n' }, () => undefined), isAmqError('invalid-destination'));
    const first = await f.connect({ clientId: 'same' });
    await assert.rejects(f.connect({ clientId: 'same' }), isAmqError('client-id-in-use'));
    const reasons: string[] = [];
    first.onForcedClose((reason) => reasons.push(reason));
    const second = await f.connect({ clientId: 'same', takeOverClientId: true });
    assert.equal(reasons.length, 1, 'the connection taken over is told');
    await assert.rejects(first.send({ kind: 'queue', name: 'q' }, textMessage('x')), isAmqError('closed'));
    await second.close();
    await f.connect({ clientId: 'same' });
  });

  it('calls onForcedClose listeners when the user is deleted', async () => {
    const f = await open();
    const c = await f.connect({ username: 'leaving' });
    const reasons: string[] = [];
    c.onForcedClose((reason) => reasons.push(reason));
    await f.broker.deleteUser('leaving');
    assert.equal(reasons.length, 1);
    await assert.rejects(c.send({ kind: 'queue', name: 'q' }, textMessage('x')), isAmqError('closed'));
  });

  it('calls onForcedClose listeners when the broker closes', async () => {
    const f = await open();
    const c = await f.connect();
    const reasons: string[] = [];
    c.onForcedClose((reason) => reasons.push(reason));
    await f.broker.close();
    assert.deepEqual(reasons, ['broker shutdown']);
  });
});

describe('ActiveMQ engine: producer flow control', () => {
  it('holds sends while a resource alarm is raised and lets them through once it clears', async () => {
    let memoryUsed = 0;
    const f = await open({
      broker: { alarmCheckIntervalMs: 60_000, flowControl: { memoryUsedBytes: () => memoryUsed, memoryHighWatermarkBytes: 100, diskFreeBytes: () => 1e12, diskFreeLimitBytes: 1 } },
    });
    const c = await f.connect();
    const r = await record(c, { id: 's', destination: { kind: 'queue', name: 'fc' }, ackMode: 'auto' });
    memoryUsed = 200;
    f.broker.flow.check();
    let sent = false;
    const sending = c.send({ kind: 'queue', name: 'fc' }, textMessage('held')).then(() => (sent = true));
    await settle();
    assert.equal(sent, false);
    assert.deepEqual(r.bodies(), []);
    memoryUsed = 0;
    f.broker.flow.check();
    await sending;
    await settle();
    assert.deepEqual(r.bodies(), ['held']);
  });
});

describe('ActiveMQ engine: selectors and noLocal', () => {
  it('on a queue, leaves messages a consumer does not select for other consumers, in order', async () => {
    const f = await open();
    const producer = await f.connect();
    const c = await f.connect();
    const red = await record(c, { id: 'red', destination: { kind: 'queue', name: 'paint' }, ackMode: 'individual', selector: "color = 'red'" });
    for (const color of ['blue', 'red', 'green', 'red']) await producer.send({ kind: 'queue', name: 'paint' }, textMessage(color, { properties: { color } }));
    await settle();
    assert.deepEqual(red.bodies(), ['red', 'red']);
    const rest = await record(c, { id: 'rest', destination: { kind: 'queue', name: 'paint' }, ackMode: 'individual' });
    await settle();
    assert.deepEqual(rest.bodies(), ['blue', 'green'], 'skipped messages kept their order');
  });

  it('a selecting consumer behind a backlog it does not select still gets what it selects, at its prefetch', async () => {
    const f = await open();
    const producer = await f.connect();
    const c = await f.connect();
    const mine = await record(c, { id: 'mine', destination: { kind: 'queue', name: 'backlog' }, ackMode: 'individual', prefetch: 1, selector: 'n >= 2000' });
    for (let n = 0; n < 2003; n++) await producer.send({ kind: 'queue', name: 'backlog' }, textMessage(`m${n}`, { properties: { n } }));
    await settle();
    assert.deepEqual(mine.bodies(), ['m2000'], 'prefetch 1 holds the rest back');
    c.ack(mine.deliveries[0]!.token);
    await settle();
    assert.deepEqual(mine.bodies(), ['m2000', 'm2001']);
    c.ack(mine.deliveries[1]!.token);
    await settle();
    assert.deepEqual(mine.bodies(), ['m2000', 'm2001', 'm2002']);
    const rest = await record(c, { id: 'rest', destination: { kind: 'queue', name: 'backlog' }, ackMode: 'auto' });
    await settle();
    assert.equal(rest.deliveries.length, 2000);
    assert.deepEqual(rest.bodies().slice(0, 3), ['m0', 'm1', 'm2']);
    assert.equal(rest.bodies()[1999], 'm1999');
  });

  it('selects on JMS headers (JMSPriority, JMSType) and JMSRedelivered', async () => {
    const f = await open();
    const producer = await f.connect();
    await producer.send({ kind: 'queue', name: 'h' }, textMessage('low', { priority: 1, type: 'x' }));
    await producer.send({ kind: 'queue', name: 'h' }, textMessage('high', { priority: 8, type: 'x' }));
    const c = await f.connect();
    const r = await record(c, { id: 'p', destination: { kind: 'queue', name: 'h' }, ackMode: 'individual', selector: "JMSPriority > 5 AND JMSType = 'x'" });
    await settle();
    assert.deepEqual(r.bodies(), ['high']);
    await r.subscription.close();
    const redelivered = await record(c, { id: 'r', destination: { kind: 'queue', name: 'h' }, ackMode: 'individual', selector: 'JMSRedelivered = TRUE' });
    await settle();
    assert.deepEqual(redelivered.bodies(), ['high'], 'only the message handed back before counts as redelivered');
  });

  it('filters each topic subscription by its selector', async () => {
    const f = await open();
    const producer = await f.connect();
    const c = await f.connect();
    const big = await record(c, { id: 'big', destination: { kind: 'topic', name: 'trades' }, ackMode: 'auto', selector: 'qty >= 100' });
    const all = await record(c, { id: 'all', destination: { kind: 'topic', name: 'trades' }, ackMode: 'auto' });
    for (const qty of [5, 500, 100]) await producer.send({ kind: 'topic', name: 'trades' }, textMessage(`q${qty}`, { properties: { qty } }));
    await settle();
    assert.deepEqual(big.bodies(), ['q500', 'q100']);
    assert.deepEqual(all.bodies(), ['q5', 'q500', 'q100']);
  });

  it('refuses an invalid selector', async () => {
    const f = await open();
    const c = await f.connect();
    await assert.rejects(c.subscribe({ id: 'x', destination: { kind: 'queue', name: 'q' }, ackMode: 'auto', selector: 'a = = 1' }, () => undefined), isAmqError('invalid-selector'));
    // The id is free again after the refusal.
    await c.subscribe({ id: 'x', destination: { kind: 'queue', name: 'q' }, ackMode: 'auto' }, () => undefined);
  });

  it('noLocal skips the messages of the subscribing connection only', async () => {
    const f = await open();
    const me = await f.connect();
    const other = await f.connect();
    const r = await record(me, { id: 'n', destination: { kind: 'topic', name: 'chat' }, ackMode: 'auto', noLocal: true });
    await me.send({ kind: 'topic', name: 'chat' }, textMessage('mine'));
    await other.send({ kind: 'topic', name: 'chat' }, textMessage('theirs'));
    await settle();
    assert.deepEqual(r.bodies(), ['theirs']);
  });
});

describe('ActiveMQ engine: expiration', () => {
  it('moves an expired persistent message to ActiveMQ.DLQ and drops an expired non-persistent one', async () => {
    const clock = new FakeClock();
    const f = await open({ broker: { clock } });
    const c = await f.connect();
    const expiration = clock.now() + 1000;
    await c.send({ kind: 'queue', name: 'short' }, textMessage('p', { persistent: true, expiration }));
    await c.send({ kind: 'queue', name: 'short' }, textMessage('n', { persistent: false, expiration }));
    await c.send({ kind: 'queue', name: 'short' }, textMessage('stays', { persistent: true }));
    clock.advance(2000);
    await settle();
    assert.deepEqual(await drain(c, 'q', 'short'), ['stays']);
    const dlq = await record(c, { id: 'dlq', destination: { kind: 'queue', name: 'ActiveMQ.DLQ' }, ackMode: 'auto' });
    await settle();
    assert.deepEqual(dlq.bodies(), ['p']);
    assert.equal(dlq.deliveries[0]!.message.expiration, 0, 'ActiveMQ clears the expiration in the DLQ');
    assert.equal(dlq.deliveries[0]!.message.properties.dlqDeliveryFailureCause, 'Message expired');
  });

  it('a message sent already expired never reaches a consumer', async () => {
    const f = await open();
    const c = await f.connect();
    const r = await record(c, { id: 's', destination: { kind: 'queue', name: 'late' }, ackMode: 'auto' });
    await c.send({ kind: 'queue', name: 'late' }, textMessage('old', { expiration: Date.now() - 1000 }));
    await settle();
    assert.deepEqual(r.bodies(), []);
  });
});

describe('ActiveMQ engine: transactions', () => {
  it('holds sends until commit and drops them on abort', async () => {
    const f = await open();
    const c = await f.connect();
    const r = await record(c, { id: 's', destination: { kind: 'queue', name: 'tx' }, ackMode: 'auto' });
    c.begin('t1');
    await c.send({ kind: 'queue', name: 'tx' }, textMessage('a'), { transaction: 't1' });
    await c.send({ kind: 'queue', name: 'tx' }, textMessage('b'), { transaction: 't1' });
    await settle();
    assert.deepEqual(r.bodies(), []);
    await c.commit('t1');
    await settle();
    assert.deepEqual(r.bodies(), ['a', 'b']);
    c.begin('t2');
    await c.send({ kind: 'queue', name: 'tx' }, textMessage('never'), { transaction: 't2' });
    c.abort('t2');
    await settle();
    assert.deepEqual(r.bodies(), ['a', 'b']);
    assert.throws(() => c.abort('t2'), isAmqError('invalid-transaction'));
    await assert.rejects(c.commit('nope'), isAmqError('invalid-transaction'));
  });

  it('applies acks at commit; an abort redelivers the messages acknowledged in it', async () => {
    const f = await open();
    const c = await f.connect();
    await c.send({ kind: 'queue', name: 'txa' }, textMessage('m1'));
    await c.send({ kind: 'queue', name: 'txa' }, textMessage('m2'));
    const r = await record(c, { id: 's', destination: { kind: 'queue', name: 'txa' }, ackMode: 'individual' });
    await settle();
    c.begin('t');
    c.ack(r.deliveries[0]!.token, { transaction: 't' });
    c.ack(r.deliveries[1]!.token, { transaction: 't' });
    c.abort('t');
    await settle();
    assert.deepEqual(r.bodies(), ['m1', 'm2', 'm1', 'm2']);
    assert.equal(r.deliveries[2]!.redelivered, true);
    c.begin('t');
    c.ack(r.deliveries[2]!.token, { transaction: 't' });
    c.ack(r.deliveries[3]!.token, { transaction: 't' });
    await c.commit('t');
    await r.subscription.close();
    assert.deepEqual(await drain(c, 'after', 'txa'), [], 'committed acks removed the messages');
  });
});

describe('ActiveMQ engine: temporary destinations', () => {
  it('a temporary queue takes messages from any connection, is consumed by its owner only, and goes at close', async () => {
    const f = await open();
    const owner = await f.connect();
    const other = await f.connect();
    const temp = owner.createTemporary('temp-queue');
    assert.equal(temp.kind, 'temp-queue');
    await other.send(temp, textMessage('reply'));
    await assert.rejects(other.subscribe({ id: 'x', destination: temp, ackMode: 'auto' }, () => undefined), isAmqError('invalid-destination'));
    const r = await record(owner, { id: 'r', destination: temp, ackMode: 'auto' });
    await settle();
    assert.deepEqual(r.bodies(), ['reply']);
    assert.deepEqual(r.deliveries[0]!.destination, temp);
    await owner.close();
    await assert.rejects(other.send(temp, textMessage('late')), isAmqError('invalid-destination'));
    assert.equal(f.broker.queueStats().filter((q) => q.name.includes(temp.name)).length, 0);
  });

  it('a temporary topic fans out to its owner subscriptions', async () => {
    const f = await open();
    const owner = await f.connect();
    const other = await f.connect();
    const temp = owner.createTemporary('temp-topic');
    const a = await record(owner, { id: 'a', destination: temp, ackMode: 'auto' });
    const wildcard = await record(owner, { id: 'w', destination: { kind: 'topic', name: '>' }, ackMode: 'auto' });
    await other.send(temp, textMessage('t'));
    await settle();
    assert.deepEqual(a.bodies(), ['t']);
    assert.deepEqual(a.deliveries[0]!.destination, temp);
    assert.deepEqual(wildcard.bodies(), [], 'temporary topics are not ordinary topics');
  });
});

describe('ActiveMQ engine: retained messages', () => {
  it('keeps one retained message per topic, matches patterns, clears with an empty message and survives a reopen', async () => {
    let f = await open();
    await f.engine.retain('home.kitchen.temp', amqMessage('21', false));
    await f.engine.retain('home.kitchen.temp', amqMessage('22', false));
    await f.engine.retain('home.hall.temp', amqMessage('19', true));
    const texts = async (pattern: string) =>
      (await f.engine.retained(pattern)).map((r) => `${r.topic}=${new TextDecoder().decode(r.message.body)}`).sort();
    assert.deepEqual(await texts('home.*.temp'), ['home.hall.temp=19', 'home.kitchen.temp=22']);
    assert.deepEqual(await texts('home.kitchen.>'), ['home.kitchen.temp=22']);
    f = await reopen(f);
    assert.deepEqual(await texts('home.>'), ['home.hall.temp=19', 'home.kitchen.temp=22']);
    await f.engine.retain('home.hall.temp', null);
    await f.engine.retain('home.kitchen.temp', amqMessage('', false));
    assert.deepEqual(await texts('>'), []);
    f = await reopen(f);
    assert.deepEqual(await texts('>'), []);
  });

  it('an expired retained message is not returned and is removed', async () => {
    const f = await open();
    await f.engine.retain('sensor.1', { ...amqMessage('old', true), expiration: Date.now() + 20 });
    await f.engine.retain('sensor.2', amqMessage('kept', true));
    await new Promise((resolve) => setTimeout(resolve, 40));
    assert.deepEqual((await f.engine.retained('sensor.*')).map((r) => r.topic), ['sensor.2']);
    await f.engine.retained('sensor.*');
    assert.equal(f.broker.queueStats().filter((q) => q.name.includes('sensor.1')).length, 0);
  });
});
