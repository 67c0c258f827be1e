import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../clock.ts';
import { AmqError, type AmqBrowsedMessage, type Destination } from './api.ts';
import { engineFixtures, record, settle, textMessage } from './engine-test-support.ts';

const open = engineFixtures();

const queue = (name: string): Destination => ({ kind: 'queue', name });

function texts(browsed: readonly AmqBrowsedMessage[]): string[] {
  return browsed.map((b) => new TextDecoder().decode(b.message.body));
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => err instanceof AmqError && err.code === code);
}

describe('ActiveMQ engine: browsing a queue', () => {
  it('shows the ready messages in order and leaves them all for a consumer, first-time deliveries', async () => {
    const f = await open();
    const producer = await f.connect();
    for (let i = 0; i < 20; i++) await producer.send(queue('orders'), textMessage(`m${i}`, { persistent: true, properties: { n: i } }));
    const browser = await f.connect();
    const first = await browser.browse(queue('orders'));
    const second = await browser.browse(queue('orders'));
    const expected = Array.from({ length: 20 }, (_, i) => `m${i}`);
    assert.deepEqual(texts(first), expected);
    assert.deepEqual(texts(second), expected, 'browsing twice shows the same messages');
    assert.ok(first.every((b) => !b.redelivered && b.deliveryCount === 1));
    assert.deepEqual(first[3]!.destination, queue('orders'));
    assert.equal(first[3]!.message.properties.n, 3);
    assert.equal(first[3]!.message.persistent, true);
    assert.equal(f.broker.vhosts.get('/')!.queues.get('orders')!.messageCount, 20, 'nothing removed');

    const consumer = await f.connect();
    const r = await record(consumer, { id: 'c', destination: queue('orders'), ackMode: 'individual' });
    await r.waitFor(20);
    assert.deepEqual(r.bodies(), expected);
    assert.ok(r.deliveries.every((d) => !d.redelivered && d.deliveryCount === 1), 'browsing counted no delivery');
  });

  it('applies a selector, with JMSRedelivered and JMSXDeliveryCount as a consumer would see them', async () => {
    const f = await open();
    const c = await f.connect();
    for (let i = 0; i < 6; i++) await c.send(queue('q'), textMessage(`m${i}`, { properties: { colour: i % 2 === 0 ? 'red' : 'blue' } }));
    assert.deepEqual(texts(await c.browse(queue('q'), { selector: "colour = 'red'" })), ['m0', 'm2', 'm4']);
    assert.deepEqual(texts(await c.browse(queue('q'), { selector: 'JMSRedelivered = TRUE' })), []);
    assert.deepEqual(texts(await c.browse(queue('q'), { selector: '   ' })).length, 6, 'a blank selector selects everything');
    await rejectsWith(c.browse(queue('q'), { selector: 'colour = ' }), 'invalid-selector');
  });

  it('does not show messages delivered to a consumer and not yet acknowledged; a handed-back one shows as redelivered', async () => {
    const f = await open();
    const producer = await f.connect();
    for (let i = 0; i < 5; i++) await producer.send(queue('work'), textMessage(`m${i}`));
    const consumer = await f.connect();
    const r = await record(consumer, { id: 'c', destination: queue('work'), ackMode: 'individual', prefetch: 2 });
    await r.waitFor(2);
    const browser = await f.connect();
    assert.deepEqual(texts(await browser.browse(queue('work'))), ['m2', 'm3', 'm4']);
    await r.subscription.close();
    await settle();
    const browsed = await browser.browse(queue('work'));
    assert.deepEqual(texts(browsed), ['m0', 'm1', 'm2', 'm3', 'm4']);
    assert.equal(browsed[0]!.redelivered, true);
    assert.equal(browsed[0]!.deliveryCount, 2);
    assert.equal(browsed[2]!.redelivered, false);
    assert.deepEqual(texts(await browser.browse(queue('work'), { selector: 'JMSXDeliveryCount > 1' })), ['m0', 'm1']);
  });

  it('leaves expired messages out (and does not expire anything itself)', async () => {
    const clock = new FakeClock();
    const f = await open({ broker: { clock } });
    const c = await f.connect();
    await c.send(queue('q'), textMessage('keep1'));
    await c.send(queue('q'), textMessage('short', { expiration: clock.now() + 1000 }));
    await c.send(queue('q'), textMessage('keep2', { expiration: clock.now() + 60_000 }));
    assert.deepEqual(texts(await c.browse(queue('q'))), ['keep1', 'short', 'keep2']);
    clock.advance(2000);
    // The core expires at the head only: 'short' is still in the queue behind 'keep1'.
    assert.deepEqual(texts(await c.browse(queue('q'))), ['keep1', 'keep2']);
    const r = await record(c, { id: 'c', destination: queue('q'), ackMode: 'auto' });
    await r.waitFor(2);
    await settle();
    assert.deepEqual(r.bodies(), ['keep1', 'keep2']);
  });

  it('shows persistent messages recovered from the store after a restart', async () => {
    const first = await open();
    const c = await first.connect();
    for (let i = 0; i < 3; i++) await c.send(queue('durable'), textMessage(`p${i}`, { persistent: true }));
    await c.send(queue('durable'), textMessage('transient'));
    await first.close();
    const second = await open({ state: first.state });
    const browser = await second.connect();
    const browsed = await browser.browse(queue('durable'));
    assert.deepEqual(texts(browsed), ['p0', 'p1', 'p2']);
    assert.ok(browsed.every((b) => b.message.persistent && b.deliveryCount === 1));
  });

  it('looks at no more than browseMessagesMax ready messages from the head', async () => {
    const f = await open({ engine: { browseMessagesMax: 4 } });
    const c = await f.connect();
    for (let i = 0; i < 10; i++) await c.send(queue('big'), textMessage(`m${i}`, { properties: { even: i % 2 === 0 } }));
    assert.deepEqual(texts(await c.browse(queue('big'))), ['m0', 'm1', 'm2', 'm3']);
    // The bound is on messages looked at: a selector does not make a browse scan further.
    assert.deepEqual(texts(await c.browse(queue('big'), { selector: 'even = TRUE' })), ['m0', 'm2']);
  });

  it('browses a missing queue as empty without creating it', async () => {
    const f = await open();
    const c = await f.connect();
    assert.deepEqual(await c.browse(queue('nowhere')), []);
    assert.equal(f.engine.hasQueue('nowhere'), false);
  });

  it('refuses topics, wildcards, reserved names and temporary queues of other connections', async () => {
    const f = await open();
    const c = await f.connect();
    const other = await f.connect();
    await rejectsWith(c.browse({ kind: 'topic', name: 'news' }), 'invalid-destination');
    await rejectsWith(c.browse(c.createTemporary('temp-topic')), 'invalid-destination');
    await rejectsWith(c.browse(queue('orders.>')), 'invalid-destination');
    await rejectsWith(c.browse(queue('ActiveMQ.Subscription.Durable:x:y')), 'invalid-destination');
    await rejectsWith(c.browse(queue('amq.gen-1')), 'invalid-destination');
    const temp = c.createTemporary('temp-queue');
    await c.send(temp, textMessage('mine'));
    assert.deepEqual(texts(await c.browse(temp)), ['mine']);
    await rejectsWith(other.browse(temp), 'invalid-destination');
    await c.close();
    await rejectsWith(c.browse(queue('q')), 'closed');
  });

  it('browses ActiveMQ.DLQ', async () => {
    const f = await open({ engine: { maximumRedeliveries: 0 } });
    const c = await f.connect();
    await c.send(queue('q'), textMessage('poison', { persistent: true }));
    const r = await record(c, { id: 'c', destination: queue('q'), ackMode: 'individual' });
    await r.waitFor(1);
    c.nack(r.deliveries[0]!.token);
    await settle();
    const browsed = await c.browse(queue('ActiveMQ.DLQ'));
    assert.deepEqual(texts(browsed), ['poison']);
  });

  it('needs read permission on the queue', async () => {
    const entries = [{ kind: 'queue' as const, pattern: 'orders.>', read: ['readers'], write: ['writers'], admin: ['writers'] }];
    const f = await open({ engine: { authorization: entries } });
    const writer = await f.connect({ groups: ['writers'] });
    await writer.send(queue('orders.eu'), textMessage('o1'));
    await rejectsWith(writer.browse(queue('orders.eu')), 'not-authorized');
    const reader = await f.connect({ groups: ['readers'] });
    assert.deepEqual(texts(await reader.browse(queue('orders.eu'))), ['o1']);
  });
});
