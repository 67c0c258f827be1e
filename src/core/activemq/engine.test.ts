import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AmqError } from './api.ts';
import { bodyText, engineFixtures, record, settle, textMessage } from './engine-test-support.ts';

const open = engineFixtures();

describe('ActiveMQ engine: queues and topics', () => {
  it('load-balances a queue among its consumers, each message to one of them', async () => {
    const f = await open();
    const producer = await f.connect();
    const consumer1 = await f.connect();
    const consumer2 = await f.connect();
    const a = await record(consumer1, { id: 'a', destination: { kind: 'queue', name: 'orders' }, ackMode: 'auto' });
    const b = await record(consumer2, { id: 'b', destination: { kind: 'queue', name: 'orders' }, ackMode: 'auto' });
    for (let i = 0; i < 10; i++) await producer.send({ kind: 'queue', name: 'orders' }, textMessage(`m${i}`));
    await settle();
    assert.equal(a.deliveries.length + b.deliveries.length, 10);
    assert.ok(a.deliveries.length > 0 && b.deliveries.length > 0, 'both consumers get messages');
    assert.deepEqual([...a.bodies(), ...b.bodies()].sort(), Array.from({ length: 10 }, (_, i) => `m${i}`).sort());
    assert.deepEqual(a.deliveries[0]!.destination, { kind: 'queue', name: 'orders' });
  });

  it('keeps queue messages sent before anyone subscribes', async () => {
    const f = await open();
    const producer = await f.connect();
    await producer.send({ kind: 'queue', name: 'q' }, textMessage('early', { properties: { n: 1, s: 'x' }, correlationId: 'c1', type: 't' }));
    const consumer = await f.connect();
    const r = await record(consumer, { id: 's', destination: { kind: 'queue', name: 'q' }, ackMode: 'individual' });
    await settle();
    assert.deepEqual(r.bodies(), ['early']);
    const m = r.deliveries[0]!.message;
    assert.deepEqual(m.properties, { n: 1, s: 'x' });
    assert.equal(m.correlationId, 'c1');
    assert.equal(m.type, 't');
    assert.equal(m.priority, 4);
    assert.ok(m.timestamp > 0);
    assert.ok(m.messageId !== undefined && m.messageId.startsWith('ID:'));
    assert.equal(r.deliveries[0]!.deliveryCount, 1);
    assert.equal(r.deliveries[0]!.redelivered, false);
  });

  it('fans a topic message out to every subscriber, and drops it with none', async () => {
    const f = await open();
    const producer = await f.connect();
    await producer.send({ kind: 'topic', name: 'news' }, textMessage('lost'));
    const c1 = await f.connect();
    const c2 = await f.connect();
    const a = await record(c1, { id: 'a', destination: { kind: 'topic', name: 'news' }, ackMode: 'auto' });
    const b = await record(c2, { id: 'b', destination: { kind: 'topic', name: 'news' }, ackMode: 'individual' });
    await producer.send({ kind: 'topic', name: 'news' }, textMessage('hello'));
    await settle();
    assert.deepEqual(a.bodies(), ['hello']);
    assert.deepEqual(b.bodies(), ['hello']);
    assert.deepEqual(b.deliveries[0]!.destination, { kind: 'topic', name: 'news' });
  });

  it('matches wildcard subscriptions with * (one segment) and > (the rest), delivering the concrete topic', async () => {
    const f = await open();
    const producer = await f.connect();
    const c = await f.connect();
    const star = await record(c, { id: 'star', destination: { kind: 'topic', name: 'price.*.nasdaq' }, ackMode: 'auto' });
    const rest = await record(c, { id: 'rest', destination: { kind: 'topic', name: 'price.>' }, ackMode: 'auto' });
    for (const name of ['price.stock.nasdaq', 'price.stock.nyse', 'price.bond.x.nasdaq', 'other.stock.nasdaq']) {
      await producer.send({ kind: 'topic', name }, textMessage(name));
    }
    await settle();
    assert.deepEqual(star.bodies(), ['price.stock.nasdaq']);
    assert.deepEqual(rest.bodies(), ['price.stock.nasdaq', 'price.stock.nyse', 'price.bond.x.nasdaq']);
    assert.deepEqual(star.deliveries[0]!.destination, { kind: 'topic', name: 'price.stock.nasdaq' });
  });

  it('refuses sends to wildcard destinations', async () => {
    const f = await open();
    const c = await f.connect();
    await assert.rejects(c.send({ kind: 'topic', name: 'a.*' }, textMessage('x')), (e: unknown) => e instanceof AmqError && e.code === 'invalid-destination');
  });
});

describe('ActiveMQ engine: acknowledgement', () => {
  it('client ack settles every earlier delivery of the subscription; individual only its own', async () => {
    const f = await open();
    const producer = await f.connect();
    for (let i = 0; i < 3; i++) await producer.send({ kind: 'queue', name: 'cq' }, textMessage(`c${i}`));
    for (let i = 0; i < 3; i++) await producer.send({ kind: 'queue', name: 'iq' }, textMessage(`i${i}`));
    const c = await f.connect();
    const client = await record(c, { id: 'client', destination: { kind: 'queue', name: 'cq' }, ackMode: 'client' });
    const individual = await record(c, { id: 'ind', destination: { kind: 'queue', name: 'iq' }, ackMode: 'individual' });
    await settle();
    c.ack(client.deliveries[2]!.token);
    c.ack(individual.deliveries[2]!.token);
    // Settled tokens are unknown afterwards: client ack covered c0 and c1 too.
    assert.throws(() => c.ack(client.deliveries[0]!.token), (e: unknown) => e instanceof AmqError && e.code === 'unknown-delivery');
    c.ack(individual.deliveries[0]!.token);
    await c.close();
    // What was not acknowledged comes back to the next consumer, marked redelivered.
    const c2 = await f.connect();
    const again = await record(c2, { id: 'again', destination: { kind: 'queue', name: 'iq' }, ackMode: 'individual' });
    const none = await record(c2, { id: 'none', destination: { kind: 'queue', name: 'cq' }, ackMode: 'individual' });
    await settle();
    assert.deepEqual(again.bodies(), ['i1']);
    assert.equal(again.deliveries[0]!.redelivered, true);
    assert.equal(again.deliveries[0]!.deliveryCount, 2);
    assert.deepEqual(none.bodies(), []);
  });

  it('limits unacknowledged deliveries to the prefetch, and setCredit gives link credit', async () => {
    const f = await open();
    const producer = await f.connect();
    for (let i = 0; i < 10; i++) await producer.send({ kind: 'queue', name: 'pq' }, textMessage(`p${i}`));
    const c = await f.connect();
    const r = await record(c, { id: 'p', destination: { kind: 'queue', name: 'pq' }, ackMode: 'individual', prefetch: 3 });
    await settle();
    assert.equal(r.deliveries.length, 3);
    c.ack(r.deliveries[0]!.token);
    await settle();
    assert.equal(r.deliveries.length, 4);
    r.subscription.setCredit(2);
    await settle();
    assert.equal(r.deliveries.length, 6, 'credit counts deliveries, not unacknowledged ones');
    r.subscription.setCredit(0);
    c.ack(r.deliveries[5]!.token);
    await settle();
    assert.equal(r.deliveries.length, 6, 'no credit, no delivery');
    // Paused and resumed (STOMP's slow reader): the prefetch governs again, not the credit.
    r.subscription.setCredit(undefined);
    await settle();
    assert.equal(r.deliveries.length, 6, 'four unacknowledged, above the prefetch of 3');
    c.ack(r.deliveries[1]!.token);
    c.ack(r.deliveries[2]!.token);
    await settle();
    assert.equal(r.deliveries.length, 7, 'one more, up to 3 unacknowledged, though 3 more messages wait');
  });

  it('auto mode settles on delivery: a closed subscriber does not hand its messages back', async () => {
    const f = await open();
    const producer = await f.connect();
    for (let i = 0; i < 5; i++) await producer.send({ kind: 'queue', name: 'aq' }, textMessage(`a${i}`, { persistent: true }));
    const c = await f.connect();
    const first = await record(c, { id: 'l', destination: { kind: 'queue', name: 'aq' }, ackMode: 'auto' });
    await settle();
    await first.subscription.close();
    const second = await record(c, { id: 'm', destination: { kind: 'queue', name: 'aq' }, ackMode: 'auto' });
    await settle();
    assert.deepEqual(first.bodies(), ['a0', 'a1', 'a2', 'a3', 'a4']);
    assert.deepEqual(second.bodies(), []);
    assert.throws(() => c.ack(first.deliveries[0]!.token), (e: unknown) => e instanceof AmqError && e.code === 'unknown-delivery');
  });

  it('redelivers a nacked message with its count, and moves it to ActiveMQ.DLQ past maximumRedeliveries', async () => {
    const f = await open({ engine: { maximumRedeliveries: 2 } });
    const producer = await f.connect();
    await producer.send({ kind: 'queue', name: 'poison' }, textMessage('bad', { persistent: true }));
    const c = await f.connect();
    const counts: number[] = [];
    await record(c, { id: 's', destination: { kind: 'queue', name: 'poison' }, ackMode: 'individual' }, (d) => {
      counts.push(d.deliveryCount);
      queueMicrotask(() => c.nack(d.token));
    });
    await settle();
    assert.deepEqual(counts, [1, 2, 3]);
    const dlq = await record(c, { id: 'dlq', destination: { kind: 'queue', name: 'ActiveMQ.DLQ' }, ackMode: 'individual' });
    await settle();
    assert.deepEqual(dlq.bodies(), ['bad']);
    const dead = dlq.deliveries[0]!.message;
    assert.equal(dead.persistent, true);
    assert.equal(typeof dead.properties.dlqDeliveryFailureCause, 'string');
    assert.deepEqual(dlq.deliveries[0]!.destination, { kind: 'queue', name: 'ActiveMQ.DLQ' });
  });

  it('drops a non-persistent message past the limit instead of dead-lettering it (ActiveMQ processNonPersistent=false)', async () => {
    const f = await open({ engine: { maximumRedeliveries: 0 } });
    const c = await f.connect();
    await c.send({ kind: 'queue', name: 'np' }, textMessage('gone', { persistent: false }));
    await c.send({ kind: 'queue', name: 'np' }, textMessage('kept', { persistent: true }));
    await record(c, { id: 's', destination: { kind: 'queue', name: 'np' }, ackMode: 'individual' }, (d) => queueMicrotask(() => c.nack(d.token)));
    await settle();
    const dlq = await record(c, { id: 'dlq', destination: { kind: 'queue', name: 'ActiveMQ.DLQ' }, ackMode: 'auto' });
    await settle();
    assert.deepEqual(dlq.bodies(), ['kept']);
    assert.equal(f.broker.queueStats().find((q) => q.name === 'np')?.ready, 0);
  });

  it('nack with poison sends the message to the DLQ at once', async () => {
    const f = await open();
    const c = await f.connect();
    await c.send({ kind: 'queue', name: 'pz' }, textMessage('now', { persistent: true }));
    const r = await record(c, { id: 's', destination: { kind: 'queue', name: 'pz' }, ackMode: 'individual' });
    await settle();
    c.nack(r.deliveries[0]!.token, { poison: true });
    const dlq = await record(c, { id: 'dlq', destination: { kind: 'queue', name: 'ActiveMQ.DLQ' }, ackMode: 'auto' });
    await settle();
    assert.deepEqual(dlq.bodies(), ['now']);
    assert.equal(r.deliveries.length, 1);
  });
});

void bodyText;
