import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BrokerError } from './errors.ts';
import { message, openTestBroker, text } from './test-support.ts';

function code(error: unknown): string {
  assert.ok(error instanceof BrokerError, `expected a BrokerError, got ${String(error)}`);
  return error.code;
}

async function withQueue(count: number, options: Parameters<typeof openTestBroker>[0] = {}) {
  const t = await openTestBroker(options);
  await t.channel.declareQueue({ queue: 'q' });
  for (let i = 1; i <= count; i++) t.channel.publish(message('', 'q', `m${i}`));
  return t;
}

describe('consuming and acknowledging', () => {
  it('delivers in order with delivery tags from 1 per channel', async () => {
    const t = await withQueue(3);
    const tag = t.channel.consume({ queue: 'q', consumerTag: 'c1' });
    assert.equal(tag, 'c1');
    assert.deepEqual(t.handler.bodies(), ['m1', 'm2', 'm3']);
    assert.deepEqual(t.handler.deliveries.map((d) => [d.deliveryTag, d.consumerTag, d.redelivered]), [
      [1, 'c1', false],
      [2, 'c1', false],
      [3, 'c1', false],
    ]);
    const other = t.openChannel();
    other.channel.publish(message('', 'q', 'm4'));
    assert.equal(t.handler.deliveries[3]!.deliveryTag, 4);
    other.channel.consume({ queue: 'q' });
    t.channel.publish(message('', 'q', 'm5'));
    t.channel.publish(message('', 'q', 'm6'));
    assert.equal(other.handler.deliveries[0]!.deliveryTag, 1);
  });

  it('generates consumer tags and refuses a reused one', async () => {
    const t = await withQueue(0);
    assert.match(t.channel.consume({ queue: 'q' }), /^amq\.ctag-/);
    t.channel.consume({ queue: 'q', consumerTag: 'x' });
    assert.throws(() => t.channel.consume({ queue: 'q', consumerTag: 'x' }), (e) => code(e) === 'NOT_ALLOWED');
  });

  it('per-consumer prefetch (global=false) limits each consumer; acks let more through', async () => {
    const t = await withQueue(10);
    t.channel.qos(2, false);
    t.channel.consume({ queue: 'q', consumerTag: 'a' });
    t.channel.consume({ queue: 'q', consumerTag: 'b' });
    assert.equal(t.handler.deliveries.length, 4);
    assert.deepEqual(t.handler.deliveries.map((d) => d.consumerTag).sort(), ['a', 'a', 'b', 'b']);
    t.channel.ack(t.handler.deliveries[0]!.deliveryTag);
    assert.equal(t.handler.deliveries.length, 5);
    assert.equal(t.handler.deliveries[4]!.consumerTag, t.handler.deliveries[0]!.consumerTag);
  });

  it('a refill batch tops a full prefetch up in bursts, and a lone free slot within a bound', async () => {
    const t = await withQueue(30);
    t.channel.consume({ queue: 'q', consumerTag: 'c', prefetch: 8, refillBatch: 4 });
    assert.equal(t.handler.deliveries.length, 8);
    for (let i = 0; i < 3; i++) t.channel.ack(t.handler.deliveries[i]!.deliveryTag);
    assert.equal(t.handler.deliveries.length, 8, 'held until a batch is free');
    t.channel.ack(t.handler.deliveries[3]!.deliveryTag);
    assert.equal(t.handler.deliveries.length, 12, 'the batch goes at once');
    assert.deepEqual(t.handler.bodies().slice(8), ['m9', 'm10', 'm11', 'm12']);
    // One slot freed and no more: it is filled after the bounded wait, not never.
    t.channel.ack(t.handler.deliveries[4]!.deliveryTag);
    assert.equal(t.handler.deliveries.length, 12);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(t.handler.deliveries.length, 13);
    // Cancelled while held, with a slot free: the wait ends with it, nothing more arrives.
    t.channel.ack(t.handler.deliveries[5]!.deliveryTag);
    t.channel.cancel('c');
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(t.handler.deliveries.length, 13);
  });

  it('without a refill batch a freed slot is filled at once', async () => {
    const t = await withQueue(12);
    t.channel.consume({ queue: 'q', consumerTag: 'c', prefetch: 8 });
    assert.equal(t.handler.deliveries.length, 8);
    t.channel.ack(t.handler.deliveries[0]!.deliveryTag);
    assert.equal(t.handler.deliveries.length, 9);
  });

  it('qos global=false applies to consumers created afterwards only', async () => {
    const t = await withQueue(5);
    t.channel.consume({ queue: 'q', consumerTag: 'unlimited' });
    t.channel.qos(1, false);
    assert.equal(t.handler.deliveries.length, 5);
  });

  it('per-channel prefetch (global=true) is shared by the consumers, and both limits apply', async () => {
    const t = await withQueue(10);
    t.channel.qos(3, true);
    t.channel.qos(1, false);
    t.channel.consume({ queue: 'q', consumerTag: 'a' });
    assert.equal(t.handler.deliveries.length, 1);
    t.channel.consume({ queue: 'q', consumerTag: 'b' });
    t.channel.consume({ queue: 'q', consumerTag: 'c' });
    t.channel.consume({ queue: 'q', consumerTag: 'd' });
    assert.equal(t.handler.deliveries.length, 3);
    assert.deepEqual(t.handler.deliveries.map((d) => d.consumerTag), ['a', 'b', 'c']);
    t.channel.ack(t.handler.deliveries[1]!.deliveryTag);
    assert.equal(t.handler.deliveries.length, 4);
    assert.equal(t.channel.unackedCount, 3);
  });

  it('no-ack consumers ignore prefetch and leave nothing unacknowledged', async () => {
    const t = await withQueue(5);
    t.channel.qos(1, true);
    t.channel.consume({ queue: 'q', noAck: true });
    assert.equal(t.handler.deliveries.length, 5);
    assert.equal(t.channel.unackedCount, 0);
    assert.throws(() => t.channel.ack(1), (e) => code(e) === 'PRECONDITION_FAILED');
  });

  it('ack multiple acknowledges every tag up to the one given; 0 with multiple means all', async () => {
    const t = await withQueue(5);
    t.channel.consume({ queue: 'q' });
    t.channel.ack(3, true);
    assert.equal(t.channel.unackedCount, 2);
    t.channel.ack(0, true);
    assert.equal(t.channel.unackedCount, 0);
  });

  it('an unknown or already acknowledged tag is PRECONDITION_FAILED (channel error)', async () => {
    const t = await withQueue(1);
    t.channel.consume({ queue: 'q' });
    t.channel.ack(1);
    assert.throws(() => t.channel.ack(1), (e) => e instanceof BrokerError && e.code === 'PRECONDITION_FAILED' && e.scope === 'channel' && /unknown delivery tag 1/.test(e.replyText));
    assert.throws(() => t.channel.reject(99), (e) => code(e) === 'PRECONDITION_FAILED');
  });

  it('requeued messages go back to their original position, redelivered', async () => {
    const t = await withQueue(4);
    const got = [1, 2, 3].map(() => t.channel.get({ queue: 'q' })!);
    assert.deepEqual(got.map(text), ['m1', 'm2', 'm3']);
    t.channel.nack(got[2]!.deliveryTag, false, true);
    t.channel.reject(got[0]!.deliveryTag, true);
    const after = [1, 2, 3].map(() => t.channel.get({ queue: 'q', noAck: true })!);
    assert.deepEqual(after.map((d) => [text(d), d.redelivered]), [
      ['m1', true],
      ['m3', true],
      ['m4', false],
    ]);
  });

  it('nack multiple with requeue puts them all back in order', async () => {
    const t = await withQueue(3);
    t.channel.qos(0, false);
    t.channel.consume({ queue: 'q', consumerTag: 'c' });
    t.channel.cancel('c');
    t.channel.nack(3, true, true);
    const after = [1, 2, 3].map(() => t.channel.get({ queue: 'q', noAck: true })!);
    assert.deepEqual(after.map((d) => [text(d), d.redelivered]), [
      ['m1', true],
      ['m2', true],
      ['m3', true],
    ]);
  });

  it('basic.get reports the ready count left and returns undefined when empty', async () => {
    const t = await withQueue(2);
    const first = t.channel.get({ queue: 'q' })!;
    assert.equal(first.messageCount, 1);
    assert.equal(first.consumerTag, undefined);
    assert.equal(t.channel.get({ queue: 'q', noAck: true })!.messageCount, 0);
    assert.equal(t.channel.get({ queue: 'q' }), undefined);
    assert.throws(() => t.channel.get({ queue: 'missing' }), (e) => code(e) === 'NOT_FOUND');
  });

  it('recover(requeue=true) redelivers every unacknowledged message; requeue=false is NOT_IMPLEMENTED', async () => {
    const t = await withQueue(2);
    t.channel.consume({ queue: 'q' });
    assert.equal(t.handler.deliveries.length, 2);
    t.channel.recover(true);
    assert.deepEqual(t.handler.deliveries.slice(2).map((d) => [text(d), d.redelivered, d.deliveryTag]), [
      ['m1', true, 3],
      ['m2', true, 4],
    ]);
    assert.throws(() => t.channel.recover(false), (e) => code(e) === 'NOT_IMPLEMENTED');
  });

  it('closing a channel requeues its unacknowledged messages for other consumers, redelivered', async () => {
    const t = await withQueue(3);
    const other = t.openChannel();
    t.channel.consume({ queue: 'q' });
    t.channel.ack(2);
    t.channel.close();
    other.channel.consume({ queue: 'q', noAck: true });
    assert.deepEqual(other.handler.deliveries.map((d) => [text(d), d.redelivered]), [
      ['m1', true],
      ['m3', true],
    ]);
  });

  it('closing a connection requeues the unacknowledged messages of all its channels', async () => {
    const t = await withQueue(2);
    const conn = t.broker.connect({ vhost: '/', user: null });
    const { channel } = t.openChannel(conn);
    channel.get({ queue: 'q' });
    channel.get({ queue: 'q' });
    assert.equal(t.channel.get({ queue: 'q' }), undefined);
    await conn.close();
    assert.deepEqual([t.channel.get({ queue: 'q', noAck: true }), t.channel.get({ queue: 'q', noAck: true })].map((d) => [text(d), d?.redelivered]), [
      ['m1', true],
      ['m2', true],
    ]);
  });

  it('round-robins between consumers of one priority; higher-priority consumers come first', async () => {
    const t = await withQueue(0);
    t.channel.consume({ queue: 'q', consumerTag: 'a' });
    t.channel.consume({ queue: 'q', consumerTag: 'b' });
    for (let i = 0; i < 4; i++) t.channel.publish(message('', 'q', `r${i}`));
    assert.deepEqual(t.handler.deliveries.map((d) => d.consumerTag), ['a', 'b', 'a', 'b']);

    const p = await withQueue(0);
    p.channel.qos(1, false);
    p.channel.consume({ queue: 'q', consumerTag: 'low' });
    p.channel.consume({ queue: 'q', consumerTag: 'high', args: { 'x-priority': 10 } });
    for (let i = 0; i < 3; i++) p.channel.publish(message('', 'q', `p${i}`));
    assert.deepEqual(p.handler.deliveries.map((d) => d.consumerTag), ['high', 'low']);
    p.channel.ack(p.handler.deliveries[0]!.deliveryTag);
    assert.equal(p.handler.deliveries[2]!.consumerTag, 'high');
  });

  it('an exclusive consumer refuses others, and cannot join a queue that has consumers', async () => {
    const t = await withQueue(0);
    t.channel.consume({ queue: 'q', exclusive: true });
    const other = t.openChannel();
    assert.throws(() => other.channel.consume({ queue: 'q' }), (e) => code(e) === 'ACCESS_REFUSED');
    await t.channel.declareQueue({ queue: 'q2' });
    other.channel.consume({ queue: 'q2' });
    assert.throws(() => t.channel.consume({ queue: 'q2', exclusive: true }), (e) => code(e) === 'ACCESS_REFUSED');
  });

  it('single active consumer: only the first consumer gets messages until it goes', async () => {
    const t = await openTestBroker();
    await t.channel.declareQueue({ queue: 'sac', args: { 'x-single-active-consumer': true } });
    const other = t.openChannel();
    t.channel.consume({ queue: 'sac', consumerTag: 'first' });
    other.channel.consume({ queue: 'sac', consumerTag: 'second' });
    for (let i = 0; i < 3; i++) t.channel.publish(message('', 'sac', `s${i}`));
    assert.equal(t.handler.deliveries.length, 3);
    assert.equal(other.handler.deliveries.length, 0);
    t.channel.close();
    assert.deepEqual(other.handler.deliveries.map((d) => [text(d), d.redelivered]), [
      ['s0', true],
      ['s1', true],
      ['s2', true],
    ]);
  });

  it('paused channels get no deliveries until resumed', async () => {
    const t = await withQueue(2);
    t.channel.setPaused(true);
    t.channel.consume({ queue: 'q' });
    assert.equal(t.handler.deliveries.length, 0);
    t.channel.setPaused(false);
    assert.equal(t.handler.deliveries.length, 2);
  });

  it('mandatory publishes that reach no queue are reported unrouted, with a positive confirm', async () => {
    const t = await openTestBroker();
    assert.deepEqual(t.channel.publish(message('amq.direct', 'nowhere', 'x'), { mandatory: true }), { routed: false, confirmation: true });
  });
});

describe('transactions', () => {
  it('publishes and acks take effect only on commit; rollback discards them', async () => {
    const t = await withQueue(2);
    const a = t.channel.get({ queue: 'q' })!;
    t.channel.txSelect();
    t.channel.publish(message('', 'q', 'tx-1'));
    t.channel.ack(a.deliveryTag);
    assert.throws(() => t.channel.ack(a.deliveryTag), (e) => code(e) === 'PRECONDITION_FAILED');
    const other = t.openChannel();
    assert.equal((await other.channel.declareQueue({ queue: 'q', passive: true })).messageCount, 1);
    t.channel.txRollback();
    assert.equal((await other.channel.declareQueue({ queue: 'q', passive: true })).messageCount, 1);
    assert.equal(t.channel.unackedCount, 1);
    t.channel.publish(message('', 'q', 'tx-2'));
    t.channel.publish(message('amq.direct', 'nowhere', 'returned'), { mandatory: true });
    t.channel.ack(a.deliveryTag);
    const result = await t.channel.txCommit();
    assert.deepEqual(result.returned.map((m) => text(m)), ['returned']);
    assert.equal(t.channel.unackedCount, 0);
    const left: string[] = [];
    for (let d = other.channel.get({ queue: 'q', noAck: true }); d; d = other.channel.get({ queue: 'q', noAck: true })) left.push(text(d)!);
    assert.deepEqual(left, ['m2', 'tx-2']);
  });

  it('commit or rollback without select is PRECONDITION_FAILED', async () => {
    const t = await openTestBroker();
    await assert.rejects(t.channel.txCommit(), (e) => code(e) === 'PRECONDITION_FAILED');
    assert.throws(() => t.channel.txRollback(), (e) => code(e) === 'PRECONDITION_FAILED');
  });
});

describe('limits', () => {
  it('message size, queues and consumers per queue and per channel have typed errors', async () => {
    const t = await openTestBroker({ limits: { messageSizeMaxBytes: 4, queuesMax: 2, consumersPerQueueMax: 1, consumersPerChannelMax: 2 } });
    await t.channel.declareQueue({ queue: 'a' });
    await t.channel.declareQueue({ queue: 'b' });
    await assert.rejects(t.channel.declareQueue({ queue: 'c' }), (e) => code(e) === 'PRECONDITION_FAILED');
    await t.channel.declareQueue({ queue: 'a' });
    assert.throws(() => t.channel.publish(message('', 'a', '12345')), (e) => code(e) === 'PRECONDITION_FAILED');
    t.channel.publish(message('', 'a', '1234'));
    t.channel.consume({ queue: 'a' });
    assert.throws(() => t.channel.consume({ queue: 'a' }), (e) => code(e) === 'RESOURCE_ERROR');
    t.channel.consume({ queue: 'b' });
    await t.channel.deleteQueue('b');
    await t.channel.declareQueue({ queue: 'c' });
  });

  it('unacked per channel caps deliveries like a prefetch', async () => {
    const t = await withQueue(5, { limits: { unackedPerChannelMax: 2 } });
    t.channel.consume({ queue: 'q' });
    assert.equal(t.handler.deliveries.length, 2);
    t.channel.ack(1);
    assert.equal(t.handler.deliveries.length, 3);
  });
});

describe('counters and queue stats', () => {
  it('count publishes, unroutable, deliveries, redeliveries and settlements; report ready and unacked per queue', async () => {
    const t = await withQueue(3);
    t.channel.publish(message('amq.direct', 'nowhere', 'x'));
    const a = t.channel.get({ queue: 'q' })!;
    const b = t.channel.get({ queue: 'q' })!;
    assert.deepEqual(t.broker.queueStats(), [{ vhost: '/', name: 'q', durable: false, ready: 1, readyBytes: 2, unacked: 2, consumers: 0 }]);
    t.channel.ack(a.deliveryTag);
    t.channel.reject(b.deliveryTag, true);
    t.channel.get({ queue: 'q', noAck: true });
    assert.deepEqual(t.broker.counters, { published: 4, unroutable: 1, delivered: 3, redelivered: 1, acknowledged: 1, requeued: 1, discarded: 0 });
  });
});
