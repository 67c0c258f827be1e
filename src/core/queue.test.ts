import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConsumerChannel } from './channel.ts';
import { BrokerError } from './errors.ts';
import { flush, message, openTestBroker, text } from './test-support.ts';
import type { HeaderTable } from './types.ts';

function code(error: unknown): string {
  assert.ok(error instanceof BrokerError, `expected a BrokerError, got ${String(error)}`);
  return error.code;
}

function getAll(channel: ConsumerChannel, queue: string): string[] {
  const out: string[] = [];
  for (let d = channel.get({ queue, noAck: true }); d !== undefined; d = channel.get({ queue, noAck: true })) out.push(text(d)!);
  return out;
}

describe('queue declaration', () => {
  it('server-named queues get amq.gen- names, and amq.* names are reserved', async () => {
    const { channel } = await openTestBroker();
    const result = await channel.declareQueue({ queue: '', exclusive: true });
    assert.match(result.queue, /^amq\.gen-[A-Za-z0-9_-]{22}$/);
    const other = await channel.declareQueue({ queue: '' });
    assert.notEqual(other.queue, result.queue);
    await assert.rejects(channel.declareQueue({ queue: 'amq.mine' }), (e) => code(e) === 'ACCESS_REFUSED');
  });

  it('declare-ok reports ready messages and consumers; passive declare of a missing queue is NOT_FOUND', async () => {
    const { channel } = await openTestBroker();
    await channel.declareQueue({ queue: 'q' });
    channel.publish(message('', 'q', 'a'));
    channel.publish(message('', 'q', 'b'));
    assert.deepEqual(await channel.declareQueue({ queue: 'q', passive: true }), { queue: 'q', messageCount: 2, consumerCount: 0 });
    await assert.rejects(channel.declareQueue({ queue: 'nope', passive: true }), (e) => code(e) === 'NOT_FOUND');
  });

  it('redeclare with different durable, auto-delete or arguments is PRECONDITION_FAILED; unknown arguments are ignored', async () => {
    const { channel } = await openTestBroker();
    await channel.declareQueue({ queue: 'q', durable: true, args: { 'x-message-ttl': 1000, 'x-custom': 'a' } });
    await channel.declareQueue({ queue: 'q', durable: true, args: { 'x-message-ttl': 1000n, 'x-custom': 'b' } });
    await assert.rejects(channel.declareQueue({ queue: 'q', durable: false, args: { 'x-message-ttl': 1000 } }), (e) => code(e) === 'PRECONDITION_FAILED');
    await assert.rejects(channel.declareQueue({ queue: 'q', durable: true, autoDelete: true, args: { 'x-message-ttl': 1000 } }), (e) => code(e) === 'PRECONDITION_FAILED');
    await assert.rejects(channel.declareQueue({ queue: 'q', durable: true, args: { 'x-message-ttl': 2000 } }), (e) => code(e) === 'PRECONDITION_FAILED');
    await assert.rejects(channel.declareQueue({ queue: 'q', durable: true }), (e) => code(e) === 'PRECONDITION_FAILED');
  });

  it('validates arguments as RabbitMQ does', async () => {
    const { channel } = await openTestBroker();
    const bad: HeaderTable[] = [
      { 'x-message-ttl': -1 },
      { 'x-message-ttl': 'soon' },
      { 'x-expires': 0 },
      { 'x-max-length': -5 },
      { 'x-overflow': 'drop-tail' },
      { 'x-max-priority': 256 },
      { 'x-max-priority': 0 },
      { 'x-dead-letter-routing-key': 'rk' },
      { 'x-single-active-consumer': 'yes' },
      { 'x-queue-type': 'stream' },
    ];
    for (const args of bad) {
      await assert.rejects(channel.declareQueue({ queue: 'bad', args }), (e) => code(e) === 'PRECONDITION_FAILED', JSON.stringify(args));
    }
    await channel.declareQueue({ queue: 'good', args: { 'x-message-ttl': 0, 'x-max-length': 0, 'x-max-priority': 10, 'x-queue-type': 'classic', 'x-overflow': 'reject-publish-dlx', 'x-dead-letter-exchange': '' } });
  });

  it('exclusive queues are locked to their connection and deleted when it closes', async () => {
    const t = await openTestBroker();
    await t.channel.declareQueue({ queue: 'mine', exclusive: true });
    const other = t.broker.connect({ vhost: '/', user: null });
    const { channel } = t.openChannel(other);
    await assert.rejects(channel.declareQueue({ queue: 'mine' }), (e) => code(e) === 'RESOURCE_LOCKED');
    await assert.rejects(channel.declareQueue({ queue: 'mine', passive: true }), (e) => code(e) === 'RESOURCE_LOCKED');
    assert.throws(() => channel.consume({ queue: 'mine' }), (e) => code(e) === 'RESOURCE_LOCKED');
    assert.throws(() => channel.get({ queue: 'mine' }), (e) => code(e) === 'RESOURCE_LOCKED');
    await assert.rejects(channel.deleteQueue('mine'), (e) => code(e) === 'RESOURCE_LOCKED');
    await assert.rejects(channel.purgeQueue('mine'), (e) => code(e) === 'RESOURCE_LOCKED');
    await assert.rejects(t.channel.declareQueue({ queue: 'mine' }), (e) => code(e) === 'RESOURCE_LOCKED');
    await t.channel.declareQueue({ queue: 'shared' });
    await assert.rejects(t.channel.declareQueue({ queue: 'shared', exclusive: true }), (e) => code(e) === 'RESOURCE_LOCKED');
    await t.channel.declareQueue({ queue: 'mine', exclusive: true });
    await t.connection.close();
    await channel.declareQueue({ queue: 'mine', exclusive: true });
  });

  it('auto-delete queues go when their last consumer is cancelled, not before the first', async () => {
    const { channel } = await openTestBroker();
    await channel.declareQueue({ queue: 'ad', autoDelete: true });
    const a = channel.consume({ queue: 'ad' });
    const b = channel.consume({ queue: 'ad' });
    channel.cancel(a);
    await channel.declareQueue({ queue: 'ad', passive: true, autoDelete: true });
    channel.cancel(b);
    await flush();
    await assert.rejects(channel.declareQueue({ queue: 'ad', passive: true }), (e) => code(e) === 'NOT_FOUND');
  });

  it('purge removes ready messages only; delete is idempotent with if-empty and if-unused', async () => {
    const { channel } = await openTestBroker();
    await channel.declareQueue({ queue: 'q' });
    for (const body of ['a', 'b', 'c']) channel.publish(message('', 'q', body));
    const held = channel.get({ queue: 'q' })!;
    assert.equal(await channel.purgeQueue('q'), 2);
    channel.reject(held.deliveryTag, true);
    assert.deepEqual(getAll(channel, 'q'), ['a']);
    channel.publish(message('', 'q', 'x'));
    await assert.rejects(channel.deleteQueue('q', { ifEmpty: true }), (e) => code(e) === 'PRECONDITION_FAILED');
    const tag = channel.consume({ queue: 'q' });
    await assert.rejects(channel.deleteQueue('q', { ifUnused: true }), (e) => code(e) === 'PRECONDITION_FAILED');
    channel.cancel(tag);
    assert.equal(await channel.deleteQueue('q'), 0);
    assert.equal(await channel.deleteQueue('q'), 0);
    assert.equal(await channel.deleteQueue('never'), 0);
  });

  it('deleting a queue cancels its consumers (consumer cancel notification) and removes its bindings', async () => {
    const t = await openTestBroker();
    await t.channel.declareQueue({ queue: 'q' });
    await t.channel.bindQueue({ queue: 'q', exchange: 'amq.direct', routingKey: 'k' });
    const tag = t.channel.consume({ queue: 'q' });
    await t.channel.deleteQueue('q');
    assert.deepEqual(t.handler.cancelled, [tag]);
    assert.equal(t.channel.consumerCount, 0);
    await t.channel.declareQueue({ queue: 'q' });
    assert.equal(t.channel.publish(message('amq.direct', 'k', 'm')).routed, false);
  });

  it('an empty queue name refers to the last queue declared on the channel', async () => {
    const { channel } = await openTestBroker();
    const { queue } = await channel.declareQueue({ queue: '' });
    await channel.bindQueue({ queue: '', exchange: 'amq.direct', routingKey: '' });
    channel.publish(message('amq.direct', queue, 'by-name'));
    assert.deepEqual(getAll(channel, ''), ['by-name']);
  });
});

describe('quorum queues (accepted for compatibility)', () => {
  it('must be durable, not exclusive and not auto-delete', async () => {
    const { channel } = await openTestBroker();
    const args = { 'x-queue-type': 'quorum' };
    await assert.rejects(channel.declareQueue({ queue: 'q', args }), (e) => code(e) === 'PRECONDITION_FAILED');
    await assert.rejects(channel.declareQueue({ queue: 'q', durable: true, exclusive: true, args }), (e) => code(e) === 'PRECONDITION_FAILED');
    await assert.rejects(channel.declareQueue({ queue: 'q', durable: true, autoDelete: true, args }), (e) => code(e) === 'PRECONDITION_FAILED');
    await channel.declareQueue({ queue: 'q', durable: true, args });
    await assert.rejects(channel.declareQueue({ queue: 'q', durable: true }), (e) => code(e) === 'PRECONDITION_FAILED');
  });

  it('dead-letter a message requeued more often than x-delivery-limit (reason delivery_limit)', async () => {
    const { channel } = await openTestBroker();
    await channel.declareQueue({ queue: 'dead' });
    await channel.declareQueue({ queue: 'q', durable: true, args: { 'x-queue-type': 'quorum', 'x-delivery-limit': 2, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'dead' } });
    channel.publish(message('', 'q', 'poison'));
    for (let i = 0; i < 3; i++) channel.reject(channel.get({ queue: 'q' })!.deliveryTag, true);
    assert.equal(channel.get({ queue: 'q' }), undefined);
    const dead = channel.get({ queue: 'dead', noAck: true })!;
    assert.equal(text(dead), 'poison');
    assert.equal((dead.view.headers!['x-death'] as HeaderTable[])[0]!.reason, 'delivery_limit');
  });
});

describe('message TTL', () => {
  it('x-message-ttl expires messages that were not consumed in time', async () => {
    const { channel, clock } = await openTestBroker();
    await channel.declareQueue({ queue: 'q', args: { 'x-message-ttl': 1000 } });
    channel.publish(message('', 'q', 'old'));
    clock.advance(600);
    channel.publish(message('', 'q', 'new'));
    clock.advance(500);
    assert.deepEqual(getAll(channel, 'q'), ['new']);
  });

  it('per-message expiration (string ms) uses the lower of it and the queue TTL', async () => {
    const { channel, clock } = await openTestBroker();
    await channel.declareQueue({ queue: 'q', args: { 'x-message-ttl': 10_000 } });
    channel.publish(message('', 'q', 'short', { expiration: '100' }));
    channel.publish(message('', 'q', 'long', { expiration: '60000' }));
    clock.advance(101);
    assert.equal((await channel.declareQueue({ queue: 'q', passive: true })).messageCount, 1);
    clock.advance(10_000);
    assert.deepEqual(getAll(channel, 'q'), []);
  });

  it('an invalid expiration is refused with PRECONDITION_FAILED', async () => {
    const { channel } = await openTestBroker();
    await channel.declareQueue({ queue: 'q' });
    assert.throws(() => channel.publish(message('', 'q', 'x', { expiration: '-1' })), (e) => code(e) === 'PRECONDITION_FAILED');
    assert.throws(() => channel.publish(message('', 'q', 'x', { expiration: '1.5' })), (e) => code(e) === 'PRECONDITION_FAILED');
  });

  it('messages expire only at the head: a longer-lived head holds back shorter ones behind it', async () => {
    const { channel, clock } = await openTestBroker();
    await channel.declareQueue({ queue: 'q' });
    channel.publish(message('', 'q', 'head', { expiration: '5000' }));
    channel.publish(message('', 'q', 'behind', { expiration: '100' }));
    clock.advance(1000);
    assert.equal((await channel.declareQueue({ queue: 'q', passive: true })).messageCount, 2);
    clock.advance(4001);
    assert.equal((await channel.declareQueue({ queue: 'q', passive: true })).messageCount, 0);
  });

  it('TTL 0 delivers to a waiting consumer and otherwise expires at once', async () => {
    const t = await openTestBroker();
    await t.channel.declareQueue({ queue: 'q', args: { 'x-message-ttl': 0 } });
    t.channel.publish(message('', 'q', 'nobody-waiting'));
    assert.equal(t.channel.get({ queue: 'q' }), undefined);
    t.channel.consume({ queue: 'q', noAck: true });
    t.channel.publish(message('', 'q', 'delivered'));
    assert.deepEqual(t.handler.bodies(), ['delivered']);
  });

  it('a requeued message keeps its original expiry', async () => {
    const { channel, clock } = await openTestBroker();
    await channel.declareQueue({ queue: 'q', args: { 'x-message-ttl': 1000 } });
    channel.publish(message('', 'q', 'm'));
    const d = channel.get({ queue: 'q' })!;
    clock.advance(2000);
    channel.reject(d.deliveryTag, true);
    assert.equal(channel.get({ queue: 'q' }), undefined);
  });

  it('x-expires deletes a queue left unused, and use restarts the countdown', async () => {
    const { channel, clock } = await openTestBroker();
    await channel.declareQueue({ queue: 'q', args: { 'x-expires': 1000 } });
    clock.advance(800);
    channel.get({ queue: 'q' });
    clock.advance(800);
    await channel.declareQueue({ queue: 'q', passive: true });
    const tag = channel.consume({ queue: 'q' });
    clock.advance(5000);
    await channel.declareQueue({ queue: 'q', passive: true });
    channel.cancel(tag);
    clock.advance(1001);
    await flush();
    await assert.rejects(channel.declareQueue({ queue: 'q', passive: true }), (e) => code(e) === 'NOT_FOUND');
  });
});

describe('dead-lettering', () => {
  async function withDlx() {
    const t = await openTestBroker();
    await t.channel.declareExchange({ exchange: 'dlx', type: 'fanout' });
    await t.channel.declareQueue({ queue: 'dead' });
    await t.channel.bindQueue({ queue: 'dead', exchange: 'dlx', routingKey: '' });
    return t;
  }

  it('expired messages go to the DLX with an x-death entry (reason expired) and no expiration', async () => {
    const t = await withDlx();
    await t.channel.declareQueue({ queue: 'work', args: { 'x-message-ttl': 100, 'x-dead-letter-exchange': 'dlx' } });
    t.channel.publish(message('', 'work', 'late', { expiration: '50', headers: { app: 'x' } }));
    t.clock.advance(51);
    const d = t.channel.get({ queue: 'dead', noAck: true })!;
    assert.equal(text(d), 'late');
    assert.equal(d.exchange, 'dlx');
    assert.equal(d.routingKey, 'work');
    assert.equal(d.view.expiration, undefined);
    const headers = d.view.headers!;
    assert.equal(headers.app, 'x');
    const deaths = headers['x-death'] as HeaderTable[];
    assert.equal(deaths.length, 1);
    assert.equal(deaths[0]!.reason, 'expired');
    assert.equal(deaths[0]!.queue, 'work');
    assert.equal(deaths[0]!.count, 1);
    assert.equal(deaths[0]!.exchange, '');
    assert.deepEqual(deaths[0]!['routing-keys'], ['work']);
    assert.equal(deaths[0]!['original-expiration'], '50');
    assert.ok(deaths[0]!.time instanceof Date);
    assert.equal(headers['x-first-death-reason'], 'expired');
    assert.equal(headers['x-first-death-queue'], 'work');
    // The encoded properties were rewritten through the codec too.
    const redecoded = JSON.parse(new TextDecoder().decode(d.properties)) as { expiration?: string };
    assert.equal(redecoded.expiration, undefined);
  });

  it('rejected messages (requeue=false) are dead-lettered with x-dead-letter-routing-key', async () => {
    const t = await openTestBroker();
    await t.channel.declareQueue({ queue: 'retry' });
    await t.channel.declareQueue({ queue: 'work', args: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'retry' } });
    t.channel.publish(message('', 'work', 'bad'));
    t.channel.publish(message('', 'work', 'worse'));
    t.channel.reject(t.channel.get({ queue: 'work' })!.deliveryTag, false);
    t.channel.nack(t.channel.get({ queue: 'work' })!.deliveryTag, false, false);
    const got = [t.channel.get({ queue: 'retry', noAck: true })!, t.channel.get({ queue: 'retry', noAck: true })!];
    assert.deepEqual(got.map(text), ['bad', 'worse']);
    assert.equal((got[0]!.view.headers!['x-death'] as HeaderTable[])[0]!.reason, 'rejected');
  });

  it('x-death entries are counted per {queue, reason} across a retry cycle that includes a rejection', async () => {
    const t = await openTestBroker();
    // work --reject--> wait (TTL) --expire--> work
    await t.channel.declareQueue({ queue: 'work', args: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'wait' } });
    await t.channel.declareQueue({ queue: 'wait', args: { 'x-message-ttl': 10, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'work' } });
    t.channel.publish(message('', 'work', 'job'));
    for (let round = 1; round <= 3; round++) {
      const d = t.channel.get({ queue: 'work' })!;
      assert.equal(text(d), 'job', `round ${round}`);
      t.channel.reject(d.deliveryTag, false);
      t.clock.advance(11);
    }
    const d = t.channel.get({ queue: 'work', noAck: true })!;
    const deaths = d.view.headers!['x-death'] as HeaderTable[];
    assert.deepEqual(
      deaths.map((e) => [e.queue, e.reason, e.count]),
      [
        ['wait', 'expired', 3],
        ['work', 'rejected', 3],
      ],
    );
  });

  it('a cycle with no rejection drops the message instead of looping', async () => {
    const t = await openTestBroker();
    await t.channel.declareQueue({ queue: 'loop', args: { 'x-message-ttl': 10, 'x-dead-letter-exchange': '' } });
    t.channel.publish(message('', 'loop', 'm'));
    t.clock.advance(11);
    t.clock.advance(11);
    assert.equal((await t.channel.declareQueue({ queue: 'loop', passive: true, args: { 'x-message-ttl': 10, 'x-dead-letter-exchange': '' } })).messageCount, 0);
  });

  it('without a DLX, rejected messages are dropped', async () => {
    const t = await openTestBroker();
    await t.channel.declareQueue({ queue: 'q' });
    t.channel.publish(message('', 'q', 'm'));
    t.channel.reject(t.channel.get({ queue: 'q' })!.deliveryTag, false);
    assert.equal(t.channel.get({ queue: 'q' }), undefined);
  });
});

describe('max length', () => {
  it('drop-head (default) drops the oldest and dead-letters them with reason maxlen', async () => {
    const t = await openTestBroker();
    await t.channel.declareQueue({ queue: 'dead' });
    await t.channel.declareQueue({ queue: 'q', args: { 'x-max-length': 2, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'dead' } });
    for (const body of ['1', '2', '3', '4']) t.channel.publish(message('', 'q', body));
    assert.deepEqual(getAll(t.channel, 'q'), ['3', '4']);
    const dead = t.channel.get({ queue: 'dead', noAck: true })!;
    assert.equal(text(dead), '1');
    assert.equal((dead.view.headers!['x-death'] as HeaderTable[])[0]!.reason, 'maxlen');
  });

  it('x-max-length-bytes counts body bytes', async () => {
    const t = await openTestBroker();
    await t.channel.declareQueue({ queue: 'q', args: { 'x-max-length-bytes': 10 } });
    for (const body of ['aaaa', 'bbbb', 'cccc']) t.channel.publish(message('', 'q', body));
    assert.deepEqual(getAll(t.channel, 'q'), ['bbbb', 'cccc']);
  });

  it('reject-publish refuses new messages with a negative confirm, counting only ready messages', async () => {
    const t = await openTestBroker();
    await t.channel.declareQueue({ queue: 'q', args: { 'x-max-length': 1, 'x-overflow': 'reject-publish' } });
    assert.equal(t.channel.publish(message('', 'q', 'first')).confirmation, true);
    assert.deepEqual(t.channel.publish(message('', 'q', 'second')), { routed: true, confirmation: false });
    const held = t.channel.get({ queue: 'q' })!;
    assert.equal(t.channel.publish(message('', 'q', 'third')).confirmation, true);
    t.channel.ack(held.deliveryTag);
    assert.deepEqual(getAll(t.channel, 'q'), ['third']);
  });

  it('reject-publish-dlx dead-letters the refused message', async () => {
    const t = await openTestBroker();
    await t.channel.declareQueue({ queue: 'dead' });
    await t.channel.declareQueue({ queue: 'q', args: { 'x-max-length': 1, 'x-overflow': 'reject-publish-dlx', 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'dead' } });
    t.channel.publish(message('', 'q', 'kept'));
    assert.equal(t.channel.publish(message('', 'q', 'refused')).confirmation, false);
    assert.deepEqual(getAll(t.channel, 'q'), ['kept']);
    assert.deepEqual(getAll(t.channel, 'dead'), ['refused']);
  });
});

describe('priority queues', () => {
  it('deliver higher priorities first, FIFO within a priority, capping at x-max-priority', async () => {
    const t = await openTestBroker();
    await t.channel.declareQueue({ queue: 'p', args: { 'x-max-priority': 5 } });
    t.channel.publish(message('', 'p', 'low-1'));
    t.channel.publish(message('', 'p', 'high-1', { priority: 5 }));
    t.channel.publish(message('', 'p', 'mid', { priority: 3 }));
    t.channel.publish(message('', 'p', 'huge', { priority: 200 }));
    t.channel.publish(message('', 'p', 'low-2', { priority: 0 }));
    assert.deepEqual(getAll(t.channel, 'p'), ['high-1', 'huge', 'mid', 'low-1', 'low-2']);
  });

  it('a queue without x-max-priority ignores priorities', async () => {
    const t = await openTestBroker();
    await t.channel.declareQueue({ queue: 'q' });
    t.channel.publish(message('', 'q', 'a'));
    t.channel.publish(message('', 'q', 'b', { priority: 9 }));
    assert.deepEqual(getAll(t.channel, 'q'), ['a', 'b']);
  });
});
