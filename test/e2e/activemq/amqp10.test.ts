// AMQP 1.0 end to end against the ActiveMQ engine, over TLS, with rhea as the client: SASL PLAIN,
// queues and topics, link credit and drain, settled and unsettled sends, release/reject/modified,
// selectors, durable topic subscriptions, multi-frame messages, the header/properties round trip,
// temporary queues, anonymous relay and transactions.

import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import rhea, { type Connection, type Message } from 'rhea';
import type { ActiveMqTestBroker } from '../../helpers/activemq-broker.ts';
import {
  closeConnection,
  closeLink,
  connect,
  detach,
  Inbox,
  openReceiver,
  openSender,
  send,
  sendExpectRejection,
  startAmqp10Broker,
} from './amqp10-helpers.ts';

let b: ActiveMqTestBroker;
let conn: Connection;

before(async () => {
  b = await startAmqp10Broker();
  conn = await connect(b);
});
after(async () => {
  await closeConnection(conn);
  await b.close();
});

const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

describe('AMQP 1.0: connecting', () => {
  it('authenticates with SASL PLAIN and opens', async () => {
    const c = await connect(b);
    assert.equal(c.is_open(), true);
    const props = (c as unknown as { remote: { open: { properties?: Record<string, unknown>; offered_capabilities?: unknown } } }).remote.open;
    assert.equal(props.properties?.['topic-prefix'], 'topic://');
    await closeConnection(c);
  });

  it('refuses a wrong password with SASL outcome auth', async () => {
    await assert.rejects(connect(b, { password: 'wrong-password' }), (err: Error & { condition?: string }) => {
      assert.equal(err.condition, 'amqp:unauthorized-access');
      return true;
    });
  });

  it('refuses an unknown user the same way', async () => {
    await assert.rejects(connect(b, { username: 'nobody', password: 'whatever' }), (err: Error & { condition?: string }) => err.condition === 'amqp:unauthorized-access');
  });
});

describe('AMQP 1.0: queues and topics', () => {
  it('sends to a queue and receives from it (bare name and queue:// are the same queue)', async () => {
    const q = unique('q');
    const sender = await openSender(conn, q);
    assert.equal(await send(sender, { body: 'hello' }), 'accepted');
    const receiver = await openReceiver(conn, { source: `queue://${q}` });
    const inbox = new Inbox(receiver);
    const { message } = await inbox.next();
    assert.equal(message.body, 'hello');
    assert.equal(message.to, `queue://${q}`);
    await closeLink(receiver);
    await closeLink(sender);
  });

  it('publishes to every subscriber of a topic', async () => {
    const t = `topic://${unique('t')}`;
    const r1 = new Inbox(await openReceiver(conn, { source: t }));
    const r2 = new Inbox(await openReceiver(conn, { source: t }));
    const sender = await openSender(conn, t);
    assert.equal(await send(sender, { body: 'news' }), 'accepted');
    assert.equal((await r1.next()).message.body, 'news');
    assert.equal((await r2.next()).message.body, 'news');
    await closeLink(r1.receiver);
    await closeLink(r2.receiver);
    await closeLink(sender);
  });

  it('round-trips header, properties and application properties', async () => {
    const q = `queue://${unique('props')}`;
    const sender = await openSender(conn, q);
    const creation = new Date(Date.now() - 1000);
    const sent: Message = {
      body: 'typed',
      durable: true,
      priority: 7,
      ttl: 60_000,
      message_id: 'mid-1',
      correlation_id: 'cid-1',
      reply_to: 'topic://replies',
      subject: 'OrderPlaced',
      content_type: 'text/plain',
      creation_time: creation,
      application_properties: { color: 'red', count: 42, big: 2 ** 40, ratio: 0.5, flag: true, none: null },
    };
    assert.equal(await send(sender, sent), 'accepted');
    const inbox = new Inbox(await openReceiver(conn, { source: q }));
    const { message, delivery } = await inbox.next();
    assert.equal(message.body, 'typed');
    assert.equal(message.durable, true);
    assert.equal(message.priority, 7);
    assert.ok(typeof message.ttl === 'number' && message.ttl > 0 && message.ttl <= 60_000);
    assert.ok(message.absolute_expiry_time instanceof Date);
    assert.equal(message.message_id, 'mid-1');
    assert.equal(message.correlation_id, 'cid-1');
    assert.equal(message.reply_to, 'topic://replies');
    assert.equal(message.subject, 'OrderPlaced');
    assert.equal(message.content_type, 'text/plain');
    assert.equal((message.creation_time as Date).getTime(), creation.getTime());
    assert.deepEqual(message.application_properties, { color: 'red', count: 42, big: 2 ** 40, ratio: 0.5, flag: true, none: null });
    assert.equal(message.first_acquirer, true);
    assert.equal(delivery.remote_settled, false);
    delivery.accept();
    await closeLink(inbox.receiver);
    await closeLink(sender);
  });

  it('keeps binary, map and list bodies as sent', async () => {
    const q = `queue://${unique('bodies')}`;
    const sender = await openSender(conn, q);
    const bytes = randomBytes(64);
    await send(sender, { body: rhea.message.data_section(bytes) });
    await send(sender, { body: bytes });
    await send(sender, { body: { a: 1, b: 'two' } });
    await send(sender, { body: [1, 'two', true] });
    const inbox = new Inbox(await openReceiver(conn, { source: q }));
    const [data, value, map, list] = await inbox.take(4);
    const section = data!.message.body as { typecode: number; content: Buffer };
    assert.equal(section.typecode, 0x75);
    assert.deepEqual(Buffer.from(section.content), bytes);
    assert.deepEqual(Buffer.from(value!.message.body as Buffer), bytes);
    assert.deepEqual(map!.message.body, { a: 1, b: 'two' });
    assert.deepEqual(list!.message.body, [1, 'two', true]);
    await closeLink(inbox.receiver);
    await closeLink(sender);
  });

  it('carries a multi-frame message larger than the frame size', async () => {
    const q = `queue://${unique('large')}`;
    const sender = await openSender(conn, q);
    const body = randomBytes(1024 * 1024 + 17);
    assert.equal(await send(sender, { body: rhea.message.data_section(body) }), 'accepted');
    // A receiver that announces a small max-frame-size gets it in many frames too.
    const small = await connect(b, { maxFrameSize: 4096 });
    const inbox = new Inbox(await openReceiver(small, { source: q }));
    const { message } = await inbox.next();
    const section = message.body as { content: Buffer };
    assert.equal(Buffer.compare(Buffer.from(section.content), body), 0);
    await closeConnection(small);
    await closeLink(sender);
  });
});

describe('AMQP 1.0: credit and settlement', () => {
  it('a receiver with credit 1 gets one message at a time', async () => {
    const q = `queue://${unique('credit')}`;
    const sender = await openSender(conn, q);
    for (const body of ['m1', 'm2', 'm3']) await send(sender, { body });
    const slow = await openReceiver(conn, { source: q, credit_window: 0, autoaccept: false });
    const slowInbox = new Inbox(slow);
    slow.add_credit(1);
    const first = await slowInbox.next();
    assert.equal(first.message.body, 'm1');
    // The two others were not handed to the credit-less receiver: a second receiver gets them.
    const other = new Inbox(await openReceiver(conn, { source: q }));
    assert.deepEqual((await other.take(2)).map((d) => d.message.body), ['m2', 'm3']);
    assert.equal(slowInbox.items.length, 1);
    first.delivery.accept();
    await closeLink(other.receiver);
    await closeLink(slow);
    await closeLink(sender);
  });

  it('drain uses up the credit the queue cannot fill', async () => {
    const q = `queue://${unique('drain')}`;
    const sender = await openSender(conn, q);
    await send(sender, { body: 'only' });
    const receiver = await openReceiver(conn, { source: q, credit_window: 0 });
    const inbox = new Inbox(receiver);
    const drained = new Promise<void>((resolve) => receiver.once('receiver_drained', () => resolve()));
    receiver.drain = true;
    receiver.add_credit(10);
    await drained;
    assert.equal(inbox.items.length, 1);
    assert.equal((receiver as unknown as { credit: number }).credit, 0);
    await closeLink(receiver);
    await closeLink(sender);
  });

  it('takes pre-settled sends and delivers pre-settled to a settled receiver', async () => {
    const q = `queue://${unique('settled')}`;
    const sender = await openSender(conn, q, { snd_settle_mode: 1 });
    for (let i = 0; i < 5; i++) assert.equal(await send(sender, { body: `s${i}` }), 'settled');
    const receiver = await openReceiver(conn, { source: q, snd_settle_mode: 1 });
    const inbox = new Inbox(receiver);
    const got = await inbox.take(5);
    assert.deepEqual(got.map((d) => d.message.body), ['s0', 's1', 's2', 's3', 's4']);
    assert.ok(got.every((d) => d.delivery.remote_settled));
    await closeLink(receiver);
    await closeLink(sender);
  });

  it('redelivers a released message, with its delivery count', async () => {
    const q = `queue://${unique('release')}`;
    const sender = await openSender(conn, q);
    await send(sender, { body: 'again' });
    const inbox = new Inbox(await openReceiver(conn, { source: q, autoaccept: false }));
    const first = await inbox.next();
    assert.equal(first.message.first_acquirer, true);
    first.delivery.release();
    const second = await inbox.next();
    assert.equal(second.message.body, 'again');
    assert.equal(second.message.delivery_count, 1);
    assert.notEqual(second.message.first_acquirer, true);
    second.delivery.modified({ delivery_failed: true });
    const third = await inbox.next();
    assert.equal(third.message.delivery_count, 2);
    third.delivery.accept();
    await closeLink(inbox.receiver);
    await closeLink(sender);
  });

  it('sends a rejected message to ActiveMQ.DLQ', async () => {
    const q = `queue://${unique('reject')}`;
    const marker = randomUUID();
    const sender = await openSender(conn, q);
    await send(sender, { body: 'poison', durable: true, application_properties: { marker } });
    const inbox = new Inbox(await openReceiver(conn, { source: q, autoaccept: false }));
    (await inbox.next()).delivery.reject({ condition: 'app:bad', description: 'bad' });
    const dlq = new Inbox(await openReceiver(conn, { source: 'queue://ActiveMQ.DLQ', autoaccept: false }));
    for (;;) {
      const { message, delivery } = await dlq.next();
      delivery.accept();
      if (message.application_properties?.marker === marker) {
        assert.equal(message.body, 'poison');
        break;
      }
    }
    await closeLink(dlq.receiver);
    await closeLink(inbox.receiver);
    await closeLink(sender);
  });

  it('settles in receiver-settle-mode second', async () => {
    const q = `queue://${unique('second')}`;
    const sender = await openSender(conn, q, { rcv_settle_mode: 1 });
    assert.equal(await send(sender, { body: 'two-phase' }), 'accepted');
    const receiver = await openReceiver(conn, { source: q, rcv_settle_mode: 1, autoaccept: false });
    const inbox = new Inbox(receiver);
    const { delivery } = await inbox.next();
    const settled = new Promise<void>((resolve) => receiver.once('settled', () => resolve()));
    delivery.accept();
    await settled;
    await closeLink(receiver);
    await closeLink(sender);
  });
});

describe('AMQP 1.0: selectors and durable subscriptions', () => {
  it('a selector filter picks messages on a queue and leaves the others', async () => {
    const q = `queue://${unique('sel')}`;
    const sender = await openSender(conn, q);
    await send(sender, { body: 'blue', application_properties: { color: 'blue' } });
    await send(sender, { body: 'red', application_properties: { color: 'red' } });
    const receiver = await openReceiver(conn, { source: { address: q, filter: rhea.filter.selector("color = 'red'") } });
    const filter = (receiver as unknown as { remote: { attach: { source: { filter?: Record<string, unknown> } } } }).remote.attach.source.filter;
    assert.ok(filter && 'jms-selector' in filter, 'the broker echoes the selector filter it applies');
    const inbox = new Inbox(receiver);
    assert.equal((await inbox.next()).message.body, 'red');
    const rest = new Inbox(await openReceiver(conn, { source: q }));
    assert.equal((await rest.next()).message.body, 'blue');
    await closeLink(rest.receiver);
    await closeLink(receiver);
    await closeLink(sender);
  });

  it('refuses an invalid selector with amqp:invalid-field', async () => {
    await assert.rejects(
      openReceiver(conn, { source: { address: `queue://${unique('badsel')}`, filter: rhea.filter.selector('color = = ') } }),
      (err: Error & { condition?: string }) => err.condition === 'amqp:invalid-field',
    );
  });

  it('a durable topic subscription collects while detached and ends when closed', async () => {
    const containerId = unique('durable-client');
    const topic = `topic://${unique('dur')}`;
    const name = 'sub-1';
    const source = { address: topic, durable: 2, expiry_policy: 'never' } as const;
    const c1 = await connect(b, { containerId });
    const r1 = await openReceiver(c1, { name, source });
    const inbox1 = new Inbox(r1);
    const sender = await openSender(conn, topic);
    await send(sender, { body: 'while-attached', durable: true });
    assert.equal((await inbox1.next()).message.body, 'while-attached');
    await detach(r1);
    await closeConnection(c1);
    await send(sender, { body: 'while-away-1', durable: true });
    await send(sender, { body: 'while-away-2', durable: true });
    const c2 = await connect(b, { containerId });
    const r2 = await openReceiver(c2, { name, source });
    const inbox2 = new Inbox(r2);
    assert.deepEqual((await inbox2.take(2)).map((d) => d.message.body), ['while-away-1', 'while-away-2']);
    // closed=true removes the subscription: what is sent afterwards is not kept for it.
    await closeLink(r2);
    await send(sender, { body: 'after-unsubscribe', durable: true });
    const r3 = await openReceiver(c2, { name, source });
    const inbox3 = new Inbox(r3);
    await send(sender, { body: 'fresh', durable: true });
    assert.equal((await inbox3.next()).message.body, 'fresh');
    await closeLink(r3);
    await closeConnection(c2);
    await closeLink(sender);
  });

  it('no-local skips messages of the same connection', async () => {
    const topic = `topic://${unique('nolocal')}`;
    const c = await connect(b);
    const receiver = await openReceiver(c, {
      source: { address: topic, filter: { 'no-local': rhea.types.wrap_described([], 0x468c00000003) } } as never,
    });
    const inbox = new Inbox(receiver);
    const own = await openSender(c, topic);
    const other = await openSender(conn, topic);
    await send(own, { body: 'mine' });
    await send(other, { body: 'theirs' });
    assert.equal((await inbox.next()).message.body, 'theirs');
    await closeConnection(c);
    await closeLink(other);
  });
});

describe('AMQP 1.0: nodes and transactions', () => {
  it('a dynamic receiver gets a temporary queue that a reply can be sent to', async () => {
    const receiver = conn.open_receiver({ source: { dynamic: true } as never });
    const address = await new Promise<string>((resolve) => receiver.once('receiver_open', (ctx) => resolve(ctx.receiver!.source.address)));
    assert.match(address, /^temp-queue:\/\//);
    const inbox = new Inbox(receiver);
    const sender = await openSender(conn, address);
    await send(sender, { body: 'reply' });
    assert.equal((await inbox.next()).message.body, 'reply');
    await closeLink(sender);
    await closeLink(receiver);
  });

  it('an anonymous-relay sender routes by each message to address', async () => {
    const q1 = `queue://${unique('relay')}`;
    const q2 = `queue://${unique('relay')}`;
    const sender = await openSender(conn, undefined, { target: {} } as never);
    await send(sender, { to: q1, body: 'one' });
    await send(sender, { to: q2, body: 'two' });
    assert.equal((await new Inbox(await openReceiver(conn, { source: q1 })).next()).message.body, 'one');
    assert.equal((await new Inbox(await openReceiver(conn, { source: q2 })).next()).message.body, 'two');
    const rejection = await sendExpectRejection(sender, { body: 'nowhere' });
    assert.equal(rejection.condition, 'amqp:not-found');
    await closeLink(sender);
  });
});
