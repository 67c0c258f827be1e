import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Broker } from './broker.ts';
import { FakeClock } from './clock.ts';
import { MemoryMessageStore, createMemoryStoreState, type MemoryStoreState } from './memory-message-store.ts';
import { DefinitionKind, type AppendEntry, type MessageStore } from './message-store.ts';
import { flush, jsonPropertiesCodec, message, openTestBroker, recordingHandler, text } from './test-support.ts';

/** A memory store whose appends wait until the test releases them, recording batch sizes. */
class GatedStore extends MemoryMessageStore {
  readonly batches: number[] = [];
  readonly #waiting: Array<() => void> = [];
  gated = true;
  failNext = false;

  override async append(entries: readonly AppendEntry[]): Promise<number[]> {
    this.batches.push(entries.length);
    if (this.gated) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    if (this.failNext) {
      this.failNext = false;
      throw new Error('disk on fire');
    }
    return super.append(entries);
  }

  release(): void {
    for (const resolve of this.#waiting.splice(0)) resolve();
  }
}

async function settled<T>(promise: Promise<T> | T): Promise<{ done: boolean; value?: T }> {
  let done = false;
  let value: T | undefined;
  void Promise.resolve(promise).then((v) => {
    done = true;
    value = v;
  });
  await flush();
  return { done, value };
}

async function reopen(state: MemoryStoreState, clock = new FakeClock()) {
  const broker = await Broker.open({ store: new MemoryMessageStore(state), codec: jsonPropertiesCodec, clock, passwordHashing: { logN: 4 } });
  const connection = broker.connect({ vhost: '/', user: null });
  const handler = recordingHandler();
  return { broker, connection, handler, channel: connection.openChannel(handler) };
}

describe('persistence through the MessageStore', () => {
  it('a persistent message on a durable queue is confirmed only once the append is durable', async () => {
    const state = createMemoryStoreState();
    const store = new GatedStore(state);
    const broker = await Broker.open({ store, codec: jsonPropertiesCodec, clock: new FakeClock() });
    const channel = broker.connect({ vhost: '/', user: null }).openChannel(recordingHandler());
    await channel.declareQueue({ queue: 'dq', durable: true });
    const outcome = channel.publish(message('', 'dq', 'p', { persistent: true }));
    assert.equal(outcome.routed, true);
    assert.ok(outcome.confirmation instanceof Promise);
    assert.equal((await settled(outcome.confirmation)).done, false);
    store.release();
    assert.deepEqual(await settled(outcome.confirmation), { done: true, value: true });
    assert.equal((await store.queueStats([...state.queues.keys()][0]!)).messageCount, 1);
  });

  it('transient messages, and persistent ones on transient queues, are confirmed at once and never stored', async () => {
    const store = new GatedStore();
    const broker = await Broker.open({ store, codec: jsonPropertiesCodec, clock: new FakeClock() });
    const channel = broker.connect({ vhost: '/', user: null }).openChannel(recordingHandler());
    await channel.declareQueue({ queue: 'dq', durable: true });
    await channel.declareQueue({ queue: 'tq' });
    assert.equal(channel.publish(message('', 'dq', 'transient')).confirmation, true);
    assert.equal(channel.publish(message('', 'tq', 'persistent', { persistent: true })).confirmation, true);
    await flush();
    assert.deepEqual(store.batches, []);
  });

  it('the publishes of one turn share one append; later ones go to the store while it is in flight', async () => {
    const store = new GatedStore();
    const broker = await Broker.open({ store, codec: jsonPropertiesCodec, clock: new FakeClock() });
    const channel = broker.connect({ vhost: '/', user: null }).openChannel(recordingHandler());
    await channel.declareQueue({ queue: 'a', durable: true });
    await channel.declareQueue({ queue: 'b', durable: true });
    await channel.bindQueue({ queue: 'a', exchange: 'amq.fanout', routingKey: '' });
    await channel.bindQueue({ queue: 'b', exchange: 'amq.fanout', routingKey: '' });
    const first = channel.publish(message('amq.fanout', '', '1', { persistent: true })).confirmation;
    await flush();
    const more = [2, 3, 4].map((i) => channel.publish(message('amq.fanout', '', String(i), { persistent: true })).confirmation);
    await flush();
    // Not held back behind the first: the store gathers and pipelines the syncs itself.
    assert.deepEqual(store.batches, [2, 6]);
    assert.equal((await settled(first)).done, false);
    store.release();
    assert.equal(await first, true);
    assert.deepEqual(await Promise.all(more), [true, true, true]);
    const ids = await store.queueIds();
    assert.equal(ids.length, 2);
    for (const id of ids) {
      assert.deepEqual((await store.read(id, 0, 10)).map((m) => new TextDecoder().decode(m.body)), ['1', '2', '3', '4'], 'stored in publish order');
    }
  });

  it('a store failure gives a negative confirm, and the message is still delivered from memory', async () => {
    const store = new GatedStore();
    store.gated = false;
    store.failNext = true;
    const errors: unknown[] = [];
    const broker = await Broker.open({ store, codec: jsonPropertiesCodec, clock: new FakeClock(), onStoreError: (e) => errors.push(e) });
    const channel = broker.connect({ vhost: '/', user: null }).openChannel(recordingHandler());
    await channel.declareQueue({ queue: 'dq', durable: true });
    assert.equal(await channel.publish(message('', 'dq', 'm', { persistent: true })).confirmation, false);
    assert.equal(errors.length, 1);
    assert.equal(text(channel.get({ queue: 'dq', noAck: true })), 'm');
  });

  it('acknowledged messages are removed from the store, even when acked before the append landed', async () => {
    const state = createMemoryStoreState();
    const store = new GatedStore(state);
    const broker = await Broker.open({ store, codec: jsonPropertiesCodec, clock: new FakeClock(), awaitDeliveryRecord: false });
    const handler = recordingHandler();
    const channel = broker.connect({ vhost: '/', user: null }).openChannel(handler);
    await channel.declareQueue({ queue: 'dq', durable: true });
    channel.consume({ queue: 'dq' });
    const confirmation = channel.publish(message('', 'dq', 'fast', { persistent: true })).confirmation;
    channel.ack(handler.deliveries[0]!.deliveryTag);
    await flush();
    store.release();
    await confirmation;
    await broker.settle();
    const [queueId] = [...state.queues.keys()];
    assert.equal((await store.queueStats(queueId!)).messageCount, 0);
  });

  it('deleting a queue while its append is in flight leaves none of its messages in the store', async () => {
    const store = new GatedStore();
    const broker = await Broker.open({ store, codec: jsonPropertiesCodec, clock: new FakeClock() });
    const channel = broker.connect({ vhost: '/', user: null }).openChannel(recordingHandler());
    await channel.declareQueue({ queue: 'dq', durable: true });
    const confirmation = channel.publish(message('', 'dq', 'm', { persistent: true })).confirmation;
    await flush();
    const deleted = channel.deleteQueue('dq');
    await flush();
    store.release();
    await confirmation;
    assert.equal(await deleted, 1);
    assert.deepEqual(await store.queueIds(), []);
  });

  it('queue names are never used as store ids', async () => {
    const t = await openTestBroker();
    await t.channel.declareQueue({ queue: 'secret-queue-name', durable: true });
    t.channel.publish(message('', 'secret-queue-name', 'm', { persistent: true }));
    await t.broker.settle();
    const ids = await t.store.queueIds();
    assert.equal(ids.length, 1);
    assert.equal(ids[0]!.includes('secret'), false);
  });
});

/** A memory store whose delivery records wait until the test releases them. */
class GatedRecordStore extends MemoryMessageStore {
  readonly #waiting: Array<() => void> = [];
  override async recordDelivery(queueId: string, offsets: readonly number[]): Promise<void> {
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
    return super.recordDelivery(queueId, offsets);
  }
  release(): void {
    for (const resolve of this.#waiting.splice(0)) resolve();
  }
}

describe('delivery records before sending (awaitDeliveryRecord, the default)', () => {
  async function setup() {
    const store = new GatedRecordStore();
    const broker = await Broker.open({ store, codec: jsonPropertiesCodec, clock: new FakeClock() });
    const handler = recordingHandler();
    const channel = broker.connect({ vhost: '/', user: null }).openChannel(handler);
    await channel.declareQueue({ queue: 'dq', durable: true });
    await channel.declareQueue({ queue: 'tq' });
    return { store, broker, handler, channel };
  }

  it('a stored message reaches the consumer only once its delivery is durably recorded, in tag order', async () => {
    const { store, handler, channel } = await setup();
    await channel.publish(message('', 'dq', 'stored-1', { persistent: true })).confirmation;
    await channel.publish(message('', 'dq', 'stored-2', { persistent: true })).confirmation;
    channel.consume({ queue: 'dq' });
    channel.consume({ queue: 'tq' });
    channel.publish(message('', 'tq', 'memory-only'));
    await flush();
    assert.deepEqual(handler.bodies(), []);
    store.release();
    await flush();
    assert.deepEqual(handler.bodies(), ['stored-1', 'stored-2', 'memory-only']);
    assert.deepEqual(handler.deliveries.map((d) => d.deliveryTag), [1, 2, 3]);
  });

  it('a fresh message goes to a waiting consumer at once, and is recorded as delivered when its append lands', async () => {
    const state = createMemoryStoreState();
    const store = new GatedStore(state);
    const broker = await Broker.open({ store, codec: jsonPropertiesCodec, clock: new FakeClock() });
    const handler = recordingHandler();
    const channel = broker.connect({ vhost: '/', user: null }).openChannel(handler);
    await channel.declareQueue({ queue: 'dq', durable: true });
    channel.consume({ queue: 'dq' });
    const confirmation = channel.publish(message('', 'dq', 'fresh', { persistent: true })).confirmation;
    assert.deepEqual(handler.bodies(), ['fresh']);
    await flush();
    store.release();
    await confirmation;
    await broker.settle();
    const [queueId] = await store.queueIds();
    const [stored] = await store.read(queueId!, 0, 10);
    assert.equal(stored!.deliveryCount, 1);
  });

  it('a message delivered before its append is handed over is stored as delivered, with no delivery record of its own', async () => {
    const store = new GatedStore(createMemoryStoreState());
    const records: number[][] = [];
    const recordDelivery = store.recordDelivery.bind(store);
    store.recordDelivery = (queueId, offsets) => (records.push([...offsets]), recordDelivery(queueId, offsets));
    const broker = await Broker.open({ store, codec: jsonPropertiesCodec, clock: new FakeClock() });
    const handler = recordingHandler();
    const channel = broker.connect({ vhost: '/', user: null }).openChannel(handler);
    await channel.declareQueue({ queue: 'dq', durable: true });
    const tag = channel.consume({ queue: 'dq' });
    const early = channel.publish(message('', 'dq', 'early', { persistent: true })).confirmation;
    await flush();
    store.release();
    await early;
    await broker.settle();
    assert.deepEqual(records, [], 'delivered before the append: the count went with the append');

    // Delivered only once the append is with the store: that needs a record of its own.
    channel.cancel(tag);
    const late = channel.publish(message('', 'dq', 'late', { persistent: true })).confirmation;
    await flush();
    channel.consume({ queue: 'dq' });
    store.release();
    await late;
    await broker.settle();
    assert.equal(records.length, 1, 'one delivery record, for the late one');
    const [queueId] = await store.queueIds();
    assert.deepEqual((await store.read(queueId!, 0, 10)).map((m) => m.deliveryCount), [1, 1]);
  });

  it('records the next window ahead, so a backlog is consumed without a sync per delivery', async () => {
    const { store, handler, channel } = await setup();
    for (const body of ['m1', 'm2', 'm3']) await channel.publish(message('', 'dq', body, { persistent: true })).confirmation;
    channel.qos(1, false);
    channel.consume({ queue: 'dq' });
    await flush();
    store.release(); // the record of m1, and of m2 recorded ahead
    await flush();
    assert.deepEqual(handler.bodies(), ['m1']);
    store.release();
    await flush();
    channel.ack(1);
    await flush();
    assert.deepEqual(handler.bodies(), ['m1', 'm2'], 'm2 went out without a new record');
  });

  it('acks with multiple never settle deliveries the client has not been sent yet', async () => {
    const { store, handler, channel } = await setup();
    await channel.publish(message('', 'dq', 'waiting', { persistent: true })).confirmation;
    channel.publish(message('', 'tq', 'got'));
    channel.consume({ queue: 'dq' });
    await flush();
    const got = channel.get({ queue: 'tq' })!;
    assert.equal(got.deliveryTag, 2);
    channel.ack(got.deliveryTag, true);
    channel.ack(0, true);
    assert.throws(() => channel.ack(1), (e) => e instanceof Error && /unknown delivery tag 1/.test((e as { replyText?: string }).replyText ?? ''));
    store.release();
    await flush();
    assert.deepEqual(handler.bodies(), ['waiting']);
    channel.ack(1);
    assert.equal(channel.unackedCount, 0);
  });

  it('deliveries not yet sent when their consumer is cancelled go back to the queue', async () => {
    const { store, handler, channel } = await setup();
    await channel.publish(message('', 'dq', 'm', { persistent: true })).confirmation;
    const tag = channel.consume({ queue: 'dq' });
    await flush();
    channel.cancel(tag);
    store.release();
    await flush();
    assert.deepEqual(handler.deliveries, []);
    assert.equal(channel.unackedCount, 0);
    const again = channel.get({ queue: 'dq', noAck: true })!;
    assert.deepEqual([text(again), again.redelivered], ['m', true]);
  });

  it('a message recorded as delivered comes back redelivered after a crash before any ack', async () => {
    const state = createMemoryStoreState();
    const broker = await Broker.open({ store: new MemoryMessageStore(state), codec: jsonPropertiesCodec, clock: new FakeClock() });
    const handler = recordingHandler();
    const channel = broker.connect({ vhost: '/', user: null }).openChannel(handler);
    await channel.declareQueue({ queue: 'dq', durable: true });
    await channel.publish(message('', 'dq', 'seen', { persistent: true })).confirmation;
    channel.consume({ queue: 'dq' });
    await flush();
    assert.deepEqual(handler.bodies(), ['seen']);
    // No settle: the state as it is the moment the client has the message.
    const r = await reopen(state);
    const d = r.channel.get({ queue: 'dq', noAck: true })!;
    assert.deepEqual([text(d), d.redelivered], ['seen', true]);
  });

  it('with recordDeliveries false (an ACTIVEMQ broker) nothing records a delivery: the message comes back undelivered', async () => {
    const state = createMemoryStoreState();
    const store = new MemoryMessageStore(state);
    let records = 0;
    const recordDelivery = store.recordDelivery.bind(store);
    store.recordDelivery = (queueId, offsets) => {
      records++;
      return recordDelivery(queueId, offsets);
    };
    const broker = await Broker.open({ store, codec: jsonPropertiesCodec, clock: new FakeClock(), recordDeliveries: false });
    const handler = recordingHandler();
    const channel = broker.connect({ vhost: '/', user: null }).openChannel(handler);
    await channel.declareQueue({ queue: 'dq', durable: true });
    for (const body of ['seen', 'next']) await channel.publish(message('', 'dq', body, { persistent: true })).confirmation;
    channel.consume({ queue: 'dq' });
    await flush();
    assert.deepEqual(handler.bodies(), ['seen', 'next'], 'delivered at once, waiting for no record');
    await broker.settle();
    assert.equal(records, 0);
    const r = await reopen(state);
    const d = r.channel.get({ queue: 'dq', noAck: true })!;
    assert.deepEqual([text(d), d.redelivered], ['seen', false]);
  });
});

describe('recovery', () => {
  it('durable exchanges, queues and bindings come back; transient and exclusive ones do not', async () => {
    const t = await openTestBroker();
    await t.channel.declareExchange({ exchange: 'dx', type: 'topic', durable: true, args: { 'alternate-exchange': 'ae' } });
    await t.channel.declareExchange({ exchange: 'tx', type: 'fanout' });
    await t.channel.declareQueue({ queue: 'dq', durable: true, args: { 'x-max-length': 5, 'x-custom': 7n } });
    await t.channel.declareQueue({ queue: 'tq' });
    await t.channel.declareQueue({ queue: 'xq', durable: true, exclusive: true });
    await t.channel.bindQueue({ queue: 'dq', exchange: 'dx', routingKey: 'a.#' });
    await t.channel.bindQueue({ queue: 'dq', exchange: 'amq.headers', routingKey: '', args: { 'x-match': 'any', k: new Uint8Array([1, 2]) } });
    await t.channel.bindQueue({ queue: 'tq', exchange: 'dx', routingKey: '#' });
    await t.channel.bindExchange({ destination: 'dx', source: 'amq.fanout', routingKey: '' });
    await t.broker.settle();

    const r = await reopen(t.state);
    await r.channel.declareExchange({ exchange: 'dx', type: 'topic', durable: true, args: { 'alternate-exchange': 'ae' } });
    await assert.rejects(r.channel.declareExchange({ exchange: 'tx', type: 'fanout', passive: true }));
    await r.channel.declareQueue({ queue: 'dq', durable: true, args: { 'x-max-length': 5 } });
    await assert.rejects(r.channel.declareQueue({ queue: 'tq', passive: true }));
    await assert.rejects(r.channel.declareQueue({ queue: 'xq', passive: true }));
    assert.equal(r.channel.publish(message('dx', 'a.b', 'topic')).routed, true);
    assert.equal(r.channel.publish(message('amq.fanout', 'a.z', 'e2e')).routed, true);
    assert.equal(r.channel.publish(message('amq.headers', '', 'hdr', { headers: { k: new Uint8Array([1, 2]) } })).routed, true);
    assert.deepEqual([1, 2, 3].map(() => text(r.channel.get({ queue: 'dq', noAck: true }))), ['topic', 'e2e', 'hdr']);
  });

  it('persistent messages of durable queues come back in order; delivered-unacked ones are redelivered', async () => {
    const t = await openTestBroker();
    await t.channel.declareQueue({ queue: 'dq', durable: true });
    for (const body of ['m1', 'm2', 'm3', 'm4']) t.channel.publish(message('', 'dq', body, { persistent: true, headers: { n: body } }));
    t.channel.publish(message('', 'dq', 'transient'));
    await t.broker.settle();
    t.channel.consume({ queue: 'dq' });
    await flush(); // the deliveries are recorded, then sent
    t.channel.ack(1); // m1 acknowledged
    await t.broker.settle(); // m2..m4 and transient delivered, unacknowledged: the "crash" happens now

    const r = await reopen(t.state);
    r.channel.consume({ queue: 'dq', noAck: true });
    assert.deepEqual(r.handler.deliveries.map((d) => [text(d), d.redelivered, d.view.headers?.n]), [
      ['m2', true, 'm2'],
      ['m3', true, 'm3'],
      ['m4', true, 'm4'],
    ]);
  });

  it('reports recovery progress per queue', async () => {
    const t = await openTestBroker();
    for (const name of ['a', 'b']) {
      await t.channel.declareQueue({ queue: name, durable: true });
      t.channel.publish(message('', name, 'm', { persistent: true }));
    }
    t.channel.publish(message('', 'b', 'm2', { persistent: true }));
    await t.broker.settle();
    const seen: unknown[] = [];
    await Broker.open({ store: new MemoryMessageStore(t.state), codec: jsonPropertiesCodec, clock: new FakeClock(), onRecoveryProgress: (p) => seen.push(p) });
    assert.equal(seen.length, 2);
    assert.deepEqual(seen[1], { queuesRecovered: 2, queuesTotal: 2, messagesRecovered: 3 });
  });

  it('never-delivered messages recover with redelivered=false', async () => {
    const t = await openTestBroker();
    await t.channel.declareQueue({ queue: 'dq', durable: true });
    t.channel.publish(message('', 'dq', 'fresh', { persistent: true }));
    await t.broker.settle();
    const r = await reopen(t.state);
    const d = r.channel.get({ queue: 'dq', noAck: true })!;
    assert.deepEqual([text(d), d.redelivered], ['fresh', false]);
  });

  it('deleted queues, exchanges and bindings stay deleted, and their messages are gone from the store', async () => {
    const t = await openTestBroker();
    await t.channel.declareExchange({ exchange: 'dx', type: 'direct', durable: true });
    await t.channel.declareQueue({ queue: 'dq', durable: true });
    await t.channel.declareQueue({ queue: 'dq2', durable: true });
    await t.channel.bindQueue({ queue: 'dq2', exchange: 'dx', routingKey: 'k' });
    t.channel.publish(message('', 'dq', 'x', { persistent: true }));
    await t.channel.deleteQueue('dq');
    await t.channel.unbindQueue({ queue: 'dq2', exchange: 'dx', routingKey: 'k' });
    await t.channel.deleteExchange('dx');
    await t.broker.settle();
    assert.deepEqual(await t.store.queueIds(), []);
    const r = await reopen(t.state);
    await assert.rejects(r.channel.declareQueue({ queue: 'dq', passive: true }));
    await assert.rejects(r.channel.declareExchange({ exchange: 'dx', type: 'direct', passive: true }));
    assert.equal((await t.store.listDefinitions(DefinitionKind.BINDING)).length, 0);
  });

  it('the default vhost exists on a new store and is stored; stored queues with no definition are dropped', async () => {
    const state = createMemoryStoreState();
    const store: MessageStore = new MemoryMessageStore(state);
    await store.append([{ queueId: 'orphan', message: { exchange: '', routingKey: 'q', properties: new Uint8Array(), body: new Uint8Array([1]) } }]);
    const broker = await Broker.open({ store, codec: jsonPropertiesCodec, clock: new FakeClock() });
    assert.ok(broker.vhosts.has('/'));
    assert.deepEqual((await store.listDefinitions(DefinitionKind.VHOST)).map((d) => d.name), ['/']);
    assert.deepEqual(await store.queueIds(), []);
  });

  it('recovered messages still follow the queue TTL (counted from recovery)', async () => {
    const t = await openTestBroker();
    await t.channel.declareQueue({ queue: 'dq', durable: true, args: { 'x-message-ttl': 1000 } });
    t.channel.publish(message('', 'dq', 'm', { persistent: true }));
    await t.broker.settle();
    const clock = new FakeClock();
    const r = await reopen(t.state, clock);
    clock.advance(1001);
    assert.equal(r.channel.get({ queue: 'dq' }), undefined);
  });
});
