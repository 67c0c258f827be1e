import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BrokerError } from './errors.ts';
import { headersMatch } from './exchange.ts';
import { message, openTestBroker, text } from './test-support.ts';
import type { ConsumerChannel } from './channel.ts';

async function queues(channel: ConsumerChannel, ...names: string[]): Promise<void> {
  for (const name of names) await channel.declareQueue({ queue: name });
}

function drainAll(channel: ConsumerChannel, ...names: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const name of names) {
    out[name] = [];
    for (let d = channel.get({ queue: name, noAck: true }); d !== undefined; d = channel.get({ queue: name, noAck: true })) out[name].push(text(d)!);
  }
  return out;
}

function code(error: unknown): string {
  assert.ok(error instanceof BrokerError, `expected a BrokerError, got ${String(error)}`);
  return error.code;
}

describe('routing', () => {
  it('the default exchange routes by queue name and cannot be bound to', async () => {
    const { channel } = await openTestBroker();
    await queues(channel, 'q1');
    assert.equal(channel.publish(message('', 'q1', 'hello')).routed, true);
    assert.equal(channel.publish(message('', 'nope', 'lost')).routed, false);
    assert.deepEqual(drainAll(channel, 'q1'), { q1: ['hello'] });
    await assert.rejects(channel.bindQueue({ queue: 'q1', exchange: '', routingKey: 'x' }), (e) => code(e) === 'ACCESS_REFUSED');
  });

  it('direct exchanges route on exact routing keys, to each bound queue', async () => {
    const { channel } = await openTestBroker();
    await channel.declareExchange({ exchange: 'd', type: 'direct' });
    await queues(channel, 'a', 'b');
    await channel.bindQueue({ queue: 'a', exchange: 'd', routingKey: 'k1' });
    await channel.bindQueue({ queue: 'b', exchange: 'd', routingKey: 'k1' });
    await channel.bindQueue({ queue: 'b', exchange: 'd', routingKey: 'k2' });
    channel.publish(message('d', 'k1', 'one'));
    channel.publish(message('d', 'k2', 'two'));
    assert.equal(channel.publish(message('d', 'k3', 'three')).routed, false);
    assert.deepEqual(drainAll(channel, 'a', 'b'), { a: ['one'], b: ['one', 'two'] });
  });

  it('fanout exchanges ignore the routing key', async () => {
    const { channel } = await openTestBroker();
    await queues(channel, 'a', 'b');
    await channel.bindQueue({ queue: 'a', exchange: 'amq.fanout', routingKey: '' });
    await channel.bindQueue({ queue: 'b', exchange: 'amq.fanout', routingKey: 'whatever' });
    channel.publish(message('amq.fanout', 'any.key', 'm'));
    assert.deepEqual(drainAll(channel, 'a', 'b'), { a: ['m'], b: ['m'] });
  });

  it('topic exchanges match * and #, and a queue bound twice gets one copy', async () => {
    const { channel } = await openTestBroker();
    await queues(channel, 'q1', 'q2');
    await channel.bindQueue({ queue: 'q1', exchange: 'amq.topic', routingKey: '*.orange.*' });
    await channel.bindQueue({ queue: 'q2', exchange: 'amq.topic', routingKey: '*.*.rabbit' });
    await channel.bindQueue({ queue: 'q2', exchange: 'amq.topic', routingKey: 'lazy.#' });
    for (const key of ['quick.orange.rabbit', 'lazy.orange.elephant', 'quick.orange.fox', 'lazy.brown.fox', 'lazy.pink.rabbit', 'quick.brown.fox', 'orange', 'quick.orange.male.rabbit', 'lazy.orange.male.rabbit']) {
      channel.publish(message('amq.topic', key, key));
    }
    assert.deepEqual(drainAll(channel, 'q1', 'q2'), {
      q1: ['quick.orange.rabbit', 'lazy.orange.elephant', 'quick.orange.fox'],
      q2: ['quick.orange.rabbit', 'lazy.orange.elephant', 'lazy.brown.fox', 'lazy.pink.rabbit', 'lazy.orange.male.rabbit'],
    });
  });

  it('headers exchanges match with x-match all, any, all-with-x and any-with-x', async () => {
    const { channel } = await openTestBroker();
    await queues(channel, 'all', 'any', 'allx', 'anyx', 'none');
    await channel.bindQueue({ queue: 'all', exchange: 'amq.headers', routingKey: '', args: { 'x-match': 'all', format: 'pdf', type: 'report' } });
    await channel.bindQueue({ queue: 'any', exchange: 'amq.headers', routingKey: '', args: { 'x-match': 'any', format: 'pdf', type: 'report' } });
    await channel.bindQueue({ queue: 'allx', exchange: 'amq.match', routingKey: '', args: { 'x-match': 'all-with-x', 'x-tenant': 'a' } });
    await channel.bindQueue({ queue: 'anyx', exchange: 'amq.match', routingKey: '', args: { 'x-match': 'any-with-x', 'x-tenant': 'a', other: 1 } });
    channel.publish(message('amq.headers', '', 'pdf-report', { headers: { format: 'pdf', type: 'report' } }));
    channel.publish(message('amq.headers', '', 'pdf-only', { headers: { format: 'pdf' } }));
    channel.publish(message('amq.headers', '', 'neither', { headers: { format: 'zip' } }));
    channel.publish(message('amq.match', '', 'tenant-a', { headers: { 'x-tenant': 'a' } }));
    channel.publish(message('amq.match', '', 'tenant-b', { headers: { 'x-tenant': 'b', other: 1 } }));
    assert.deepEqual(drainAll(channel, 'all', 'any', 'allx', 'anyx'), {
      all: ['pdf-report'],
      any: ['pdf-report', 'pdf-only'],
      allx: ['tenant-a'],
      anyx: ['tenant-a', 'tenant-b'],
    });
    await assert.rejects(
      channel.bindQueue({ queue: 'none', exchange: 'amq.headers', routingKey: '', args: { 'x-match': 'some' } }),
      (e) => code(e) === 'PRECONDITION_FAILED',
    );
  });

  it('headers matching: x- keys ignored by all/any, void values match on presence, numbers by value', () => {
    assert.equal(headersMatch({ 'x-match': 'all', 'x-foo': 'bar' }, 'all', {}), true);
    assert.equal(headersMatch({ a: 1 }, 'any', {}), false);
    assert.equal(headersMatch({}, 'any', { a: 1 }), false);
    assert.equal(headersMatch({}, 'all', { a: 1 }), true);
    assert.equal(headersMatch({ a: null }, 'all', { a: 'anything' }), true);
    assert.equal(headersMatch({ a: null }, 'all', {}), false);
    assert.equal(headersMatch({ n: 5 }, 'all', { n: 5n }), true);
    assert.equal(headersMatch({ n: 5 }, 'all', { n: '5' }), false);
  });

  it('exchange-to-exchange bindings reach each queue once, even through loops', async () => {
    const { channel } = await openTestBroker();
    await channel.declareExchange({ exchange: 'e1', type: 'fanout' });
    await channel.declareExchange({ exchange: 'e2', type: 'fanout' });
    await channel.declareExchange({ exchange: 'e3', type: 'topic' });
    await channel.bindExchange({ destination: 'e2', source: 'e1', routingKey: '' });
    await channel.bindExchange({ destination: 'e1', source: 'e2', routingKey: '' }); // loop
    await channel.bindExchange({ destination: 'e3', source: 'e2', routingKey: '' });
    await queues(channel, 'q', 'only-e3');
    await channel.bindQueue({ queue: 'q', exchange: 'e1', routingKey: '' });
    await channel.bindQueue({ queue: 'q', exchange: 'e2', routingKey: '' });
    await channel.bindQueue({ queue: 'only-e3', exchange: 'e3', routingKey: 'a.*' });
    channel.publish(message('e1', 'a.b', 'via-e1'));
    channel.publish(message('e1', 'x', 'not-topic'));
    assert.deepEqual(drainAll(channel, 'q', 'only-e3'), { q: ['via-e1', 'not-topic'], 'only-e3': ['via-e1'] });
    await channel.unbindExchange({ destination: 'e2', source: 'e1', routingKey: '' });
    channel.publish(message('e1', 'a.b', 'after-unbind'));
    assert.deepEqual(drainAll(channel, 'q', 'only-e3'), { q: ['after-unbind'], 'only-e3': [] });
  });

  it('an alternate exchange gets what its exchange cannot route, which then counts as routed', async () => {
    const { channel } = await openTestBroker();
    await channel.declareExchange({ exchange: 'unrouted', type: 'fanout' });
    await channel.declareExchange({ exchange: 'main', type: 'direct', args: { 'alternate-exchange': 'unrouted' } });
    await queues(channel, 'good', 'catch-all');
    await channel.bindQueue({ queue: 'good', exchange: 'main', routingKey: 'ok' });
    await channel.bindQueue({ queue: 'catch-all', exchange: 'unrouted', routingKey: '' });
    assert.equal(channel.publish(message('main', 'ok', 'routed')).routed, true);
    assert.equal(channel.publish(message('main', 'other', 'alternate')).routed, true);
    assert.deepEqual(drainAll(channel, 'good', 'catch-all'), { good: ['routed'], 'catch-all': ['alternate'] });
  });

  it('internal exchanges refuse publishes but route from other exchanges', async () => {
    const { channel } = await openTestBroker();
    await channel.declareExchange({ exchange: 'inner', type: 'fanout', internal: true });
    await channel.bindExchange({ destination: 'inner', source: 'amq.fanout', routingKey: '' });
    await queues(channel, 'q');
    await channel.bindQueue({ queue: 'q', exchange: 'inner', routingKey: '' });
    assert.throws(() => channel.publish(message('inner', '', 'x')), (e) => code(e) === 'ACCESS_REFUSED');
    channel.publish(message('amq.fanout', '', 'through'));
    assert.deepEqual(drainAll(channel, 'q'), { q: ['through'] });
  });

  it('CC and BCC headers add routing keys; BCC is removed from what queues receive', async () => {
    const { channel } = await openTestBroker();
    await queues(channel, 'main', 'copy', 'blind');
    channel.publish(message('', 'main', 'm', { headers: { CC: ['copy'], BCC: ['blind'], keep: 1 } }));
    for (const name of ['main', 'copy', 'blind']) {
      const d = channel.get({ queue: name, noAck: true })!;
      assert.equal(text(d), 'm', name);
      assert.equal(d.view.headers!.BCC, undefined);
      assert.deepEqual(d.view.headers!.CC, ['copy']);
      assert.equal(new TextDecoder().decode(d.properties).includes('blind'), false);
    }
  });

  it('publishing to a missing exchange is NOT_FOUND, a channel error', async () => {
    const { channel } = await openTestBroker();
    assert.throws(
      () => channel.publish(message('missing', '', 'x')),
      (e) => e instanceof BrokerError && e.code === 'NOT_FOUND' && e.scope === 'channel' && e.replyCode === 404 && e.replyText === "NOT_FOUND - no exchange 'missing' in vhost '/'",
    );
  });
});

describe('exchange declaration', () => {
  it('amq.* and the default exchange exist in every vhost and cannot be declared or deleted', async () => {
    const { channel } = await openTestBroker();
    for (const name of ['amq.direct', 'amq.fanout', 'amq.topic', 'amq.headers', 'amq.match', '']) {
      await channel.declareExchange({ exchange: name, type: 'direct', passive: true });
    }
    await assert.rejects(channel.declareExchange({ exchange: 'amq.direct', type: 'direct' }), (e) => code(e) === 'ACCESS_REFUSED');
    await assert.rejects(channel.declareExchange({ exchange: 'amq.custom', type: 'direct' }), (e) => code(e) === 'ACCESS_REFUSED');
    await assert.rejects(channel.deleteExchange('amq.topic'), (e) => code(e) === 'ACCESS_REFUSED');
  });

  it('passive declare of a missing exchange is NOT_FOUND', async () => {
    const { channel } = await openTestBroker();
    await assert.rejects(channel.declareExchange({ exchange: 'nope', type: 'direct', passive: true }), (e) => code(e) === 'NOT_FOUND');
  });

  it('redeclaring with another type, durability or alternate exchange is PRECONDITION_FAILED; the same is fine', async () => {
    const { channel } = await openTestBroker();
    await channel.declareExchange({ exchange: 'x', type: 'direct', durable: true });
    await channel.declareExchange({ exchange: 'x', type: 'direct', durable: true });
    await assert.rejects(channel.declareExchange({ exchange: 'x', type: 'fanout', durable: true }), (e) => code(e) === 'PRECONDITION_FAILED');
    await assert.rejects(channel.declareExchange({ exchange: 'x', type: 'direct', durable: false }), (e) => code(e) === 'PRECONDITION_FAILED');
    await assert.rejects(channel.declareExchange({ exchange: 'x', type: 'direct', durable: true, args: { 'alternate-exchange': 'ae' } }), (e) => code(e) === 'PRECONDITION_FAILED');
  });

  it('an unknown exchange type is COMMAND_INVALID, a connection error', async () => {
    const { channel } = await openTestBroker();
    await assert.rejects(channel.declareExchange({ exchange: 'x', type: 'x-weird' }), (e) => e instanceof BrokerError && e.code === 'COMMAND_INVALID' && e.scope === 'connection');
  });

  it('delete is idempotent, if-unused refuses an exchange with bindings, and deletion removes its bindings', async () => {
    const { channel } = await openTestBroker();
    await channel.deleteExchange('never-declared');
    await channel.declareExchange({ exchange: 'x', type: 'fanout' });
    await channel.declareQueue({ queue: 'q' });
    await channel.bindQueue({ queue: 'q', exchange: 'x', routingKey: '' });
    await assert.rejects(channel.deleteExchange('x', { ifUnused: true }), (e) => code(e) === 'PRECONDITION_FAILED');
    await channel.deleteExchange('x');
    await channel.declareExchange({ exchange: 'x', type: 'fanout' });
    assert.equal(channel.publish(message('x', '', 'm')).routed, false);
  });

  it('an auto-delete exchange goes when its last binding goes', async () => {
    const { channel } = await openTestBroker();
    await channel.declareExchange({ exchange: 'ad', type: 'fanout', autoDelete: true });
    await channel.declareQueue({ queue: 'q1' });
    await channel.declareQueue({ queue: 'q2' });
    await channel.bindQueue({ queue: 'q1', exchange: 'ad', routingKey: '' });
    await channel.bindQueue({ queue: 'q2', exchange: 'ad', routingKey: '' });
    await channel.unbindQueue({ queue: 'q1', exchange: 'ad', routingKey: '' });
    await channel.declareExchange({ exchange: 'ad', type: 'fanout', passive: true });
    await channel.deleteQueue('q2');
    await assert.rejects(channel.declareExchange({ exchange: 'ad', type: 'fanout', passive: true }), (e) => code(e) === 'NOT_FOUND');
  });

  it('unbind is idempotent', async () => {
    const { channel } = await openTestBroker();
    await channel.declareQueue({ queue: 'q' });
    await channel.unbindQueue({ queue: 'q', exchange: 'amq.direct', routingKey: 'never' });
    await channel.unbindQueue({ queue: 'missing', exchange: 'amq.direct', routingKey: 'never' });
    await channel.unbindExchange({ destination: 'missing', source: 'amq.direct', routingKey: '' });
  });
});
