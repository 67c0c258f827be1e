// Queue browsing end to end over TLS on one ACTIVEMQ engine, with STOMP (stompit, @stomp/stompjs and
// a raw peer for the exact frames) and AMQP 1.0 (rhea): `browser:true` subscriptions ending with
// `browser:end`, and distribution-mode copy receivers ending with a drain. Every browse is followed
// by normal consumption to show that nothing was taken or counted as delivered.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import rhea, { type Connection, type Receiver } from 'rhea';
import { createStompSession } from '../../../src/session/stomp/index.ts';
import { createAmqp10Session } from '../../../src/session/amqp10/index.ts';
import type { StompTestPeer } from '../../../src/session/stomp/test-peer.ts';
import { startBrokerListener, type BrokerListener } from '../../../src/transport/broker-listener.ts';
import { startActiveMqTestBroker, type ActiveMqTestBroker } from '../../helpers/activemq-broker.ts';
import { testCertificates } from '../../helpers/test-broker.ts';
import { closeConnection, closeLink, connect, Inbox as AmqpInbox, openReceiver, openSender, send } from './amqp10-helpers.ts';
import { Inbox, type IMessage, readBody, type StompitClient, type StompitMessage, stompitConnect, stompitDisconnect, stompitSend, stompjsConnect, rawStompPeer } from './stomp-clients.ts';

let server: ActiveMqTestBroker;
let amqpListener: BrokerListener;
/** The same engine through the AMQP 1.0 session (the test broker's own listener speaks STOMP). */
let amqp: ActiveMqTestBroker;
let conn: Connection;

before(async () => {
  server = await startActiveMqTestBroker({
    session: (socket, engine) => createStompSession(socket, { engine, remoteAddress: socket.remoteAddress, closeTimeoutMs: 1000 }),
  });
  const tls = await testCertificates();
  amqpListener = await startBrokerListener({
    name: 'activemq-test-amqp10',
    host: '127.0.0.1',
    port: 0,
    tls: { policy: 'activemq', certPem: tls.certPem, keyPem: tls.keyPem },
    closeTimeoutMs: 1000,
    onConnection: (socket) => createAmqp10Session(socket, { engine: server.engine, remoteAddress: socket.remoteAddress, closeTimeoutMs: 1000 }),
  });
  amqp = { ...server, listener: amqpListener, port: amqpListener.port };
  conn = await connect(amqp);
});
after(async () => {
  await closeConnection(conn);
  await amqpListener.close();
  await server.close();
});

let seq = 0;
const unique = (prefix: string) => `${prefix}-${process.pid}-${++seq}`;

/** Sends persistent text messages with stompit, in order, each confirmed by a receipt. */
async function fill(queue: string, bodies: readonly string[], headers: (i: number) => Record<string, string> = () => ({})): Promise<void> {
  const client = await stompitConnect(server);
  try {
    for (let i = 0; i < bodies.length; i++) await stompitSend(client, { destination: `/queue/${queue}`, persistent: 'true', ...headers(i) }, bodies[i]!);
  } finally {
    await stompitDisconnect(client);
  }
}

/** Consumes `count` messages normally (stompit, client-individual, each ACKed); returns them. */
async function consume(queue: string, count: number): Promise<Array<{ body: string; headers: Record<string, string> }>> {
  const client = await stompitConnect(server);
  try {
    const inbox = new Inbox<{ message: StompitMessage; body: string }>();
    client.subscribe({ destination: `/queue/${queue}`, ack: 'client-individual' }, (error, message) => {
      if (error === null) void readBody(message).then((body) => inbox.push({ message, body }));
    });
    const got = await inbox.take(count);
    for (const { message } of got) client.ack(message);
    return got.map(({ message, body }) => ({ body, headers: message.headers }));
  } finally {
    await stompitDisconnect(client);
  }
}

async function rawPeer(version = '1.2'): Promise<StompTestPeer> {
  const peer = await rawStompPeer(server);
  const f = await peer.connect({ 'accept-version': version, host: 'localhost', login: server.username, passcode: server.password });
  assert.equal(f.command, 'CONNECTED', f.headers.get('message'));
  return peer;
}

/** Browses with stompit until `browser:end`; returns the messages before it and the end frame's headers. */
async function stompitBrowse(client: StompitClient, headers: Record<string, string>): Promise<{ messages: Array<{ body: string; headers: Record<string, string> }>; end: Record<string, string> }> {
  const inbox = new Inbox<{ message: StompitMessage; body: string }>();
  client.subscribe({ browser: 'true', ...headers }, (error, message) => {
    if (error === null) void readBody(message).then((body) => inbox.push({ message, body }));
  });
  const messages: Array<{ body: string; headers: Record<string, string> }> = [];
  for (;;) {
    const { message, body } = await inbox.next();
    if (message.headers.browser === 'end') {
      assert.equal(body, '', 'browser:end has no body');
      return { messages, end: message.headers };
    }
    messages.push({ body, headers: message.headers });
  }
}

const range = (n: number, prefix = 'm') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('STOMP queue browsing (browser:true)', () => {
  it('shows every message in order, ends with browser:end, and leaves them all to be consumed', async () => {
    const q = unique('browse');
    await fill(q, range(25));
    const client = await stompitConnect(server);
    const { messages, end } = await stompitBrowse(client, { id: 'b1', destination: `/queue/${q}`, ack: 'client-individual' });
    assert.deepEqual(messages.map((m) => m.body), range(25));
    assert.ok(messages.every((m) => m.headers.subscription === 'b1' && m.headers.destination === `/queue/${q}` && m.headers.persistent === 'true'));
    assert.ok(messages.every((m) => m.headers.redelivered === undefined), 'browsed messages are not redelivered ones');
    assert.equal(end.subscription, 'b1');
    assert.equal(end['message-id'], '0');
    assert.equal(end.destination, `/queue/${q}`);
    await stompitDisconnect(client);

    const consumed = await consume(q, 25);
    assert.deepEqual(consumed.map((m) => m.body), range(25));
    assert.ok(consumed.every((m) => m.headers.redelivered === undefined), 'browsing counted no delivery');
  });

  it('applies the selector header', async () => {
    const q = unique('browse-sel');
    await fill(q, range(10), (i) => ({ colour: i % 3 === 0 ? 'red' : 'blue' }));
    const client = await stompitConnect(server);
    const { messages } = await stompitBrowse(client, { id: 'b', destination: `/queue/${q}`, selector: "colour = 'red'" });
    assert.deepEqual(messages.map((m) => m.body), ['m0', 'm3', 'm6', 'm9']);
    await stompitDisconnect(client);
    assert.equal((await consume(q, 10)).length, 10);
  });

  it('browses an empty queue as browser:end alone, on the wire as ActiveMQ writes it', async () => {
    const peer = await rawPeer('1.2');
    peer.send('SUBSCRIBE', { id: 'e', destination: `/queue/${unique('empty')}`, browser: 'true', receipt: 'r1' });
    assert.equal((await peer.next('RECEIPT')).headers.get('receipt-id'), 'r1');
    const end = await peer.next('MESSAGE');
    assert.equal(end.headers.get('browser'), 'end');
    assert.equal(end.headers.get('subscription'), 'e');
    assert.equal(end.headers.get('message-id'), '0');
    assert.equal(end.body.length, 0);
    // Nothing more on the subscription: the next frame is the DISCONNECT's receipt.
    peer.send('DISCONNECT', { receipt: 'bye' });
    assert.equal((await peer.next('RECEIPT')).headers.get('receipt-id'), 'bye');
    await peer.closed;
  });

  it('accepts ACK and NACK of browsed messages and changes nothing (stompjs, STOMP 1.2, ack client)', async () => {
    const q = unique('browse-ack');
    await fill(q, range(3));
    const client: import('@stomp/stompjs').Client = await stompjsConnect(server, { versions: ['1.2'] });
    const inbox = new Inbox<IMessage>();
    client.subscribe(`/queue/${q}`, inbox.push, { id: 'b', browser: 'true', ack: 'client' });
    const browsed = await inbox.take(4);
    assert.deepEqual(browsed.slice(0, 3).map((m) => m.body), range(3));
    assert.equal(browsed[3]!.headers.browser, 'end');
    browsed[0]!.ack();
    browsed[1]!.nack();
    // The connection is still there: a receipt comes back for a frame after the ACK and NACK.
    const receipt = new Promise<void>((resolve) => client.watchForReceipt('after-ack', () => resolve()));
    client.unsubscribe('b', { receipt: 'after-ack' });
    await receipt;
    await client.deactivate();
    const consumed = await consume(q, 3);
    assert.deepEqual(consumed.map((m) => m.body), range(3));
    assert.ok(consumed.every((m) => m.headers.redelivered === undefined));
  });

  it('takes ACK only for ack ids it gave browsed messages (raw 1.2 peer)', async () => {
    const q = unique('browse-ackid');
    await fill(q, range(2));
    const peer = await rawPeer('1.2');
    peer.send('SUBSCRIBE', { id: 'b', destination: `/queue/${q}`, browser: 'true', ack: 'client-individual' });
    const first = await peer.next('MESSAGE');
    const ackId = first.headers.get('ack');
    assert.ok(ackId !== undefined, 'a browsed message in client-individual mode carries an ack id');
    await peer.next('MESSAGE');
    assert.equal((await peer.next('MESSAGE')).headers.get('browser'), 'end');
    peer.send('ACK', { id: ackId, receipt: 'a1' });
    assert.equal((await peer.next('RECEIPT')).headers.get('receipt-id'), 'a1');
    peer.send('ACK', { id: 'browse-999999', receipt: 'a2' });
    const error = await peer.next('ERROR');
    assert.equal(error.headers.get('receipt-id'), 'a2');
    await peer.closed;
    assert.deepEqual((await consume(q, 2)).map((m) => m.body), range(2));
  });

  it('follows a slow reader: a paused stream stops the browse and it resumes to the end', async () => {
    const q = unique('browse-slow');
    const body = 'x'.repeat(4096);
    await fill(q, Array.from({ length: 600 }, (_, i) => `${i}:${body}`));
    const peer = await rawPeer('1.2');
    peer.pause();
    peer.send('SUBSCRIBE', { id: 's', destination: `/queue/${q}`, browser: 'true' });
    peer.resume();
    await peer.until(() => peer.frames.some((f) => f.headers.get('browser') === 'end'));
    const messages = peer.frames.filter((f) => f.command === 'MESSAGE' && f.headers.get('browser') === undefined);
    assert.deepEqual(messages.map((f) => Number(Buffer.from(f.body).toString('utf8').split(':')[0])), Array.from({ length: 600 }, (_, i) => i));
    peer.send('DISCONNECT', { receipt: 'bye' });
    await peer.closed;
    assert.equal((await consume(q, 600)).length, 600);
  });

  it('refuses to browse a topic with an ERROR frame', async () => {
    const peer = await rawPeer('1.2');
    peer.send('SUBSCRIBE', { id: 't', destination: '/topic/news', browser: 'true', receipt: 'r' });
    const error = await peer.next('ERROR');
    assert.equal(error.headers.get('message'), 'Invalid destination');
    assert.equal(error.headers.get('receipt-id'), 'r');
    await peer.closed;
  });

  it('refuses browsing on a STOMP 1.0 connection, as ActiveMQ does', async () => {
    const peer = await rawPeer('1.0');
    peer.send('SUBSCRIBE', { destination: `/queue/${unique('v10')}`, browser: 'true' });
    const error = await peer.next('ERROR');
    assert.match(error.headers.get('message') ?? '', /Queue Browser feature only valid for Stomp v1.1\+ clients/);
    await peer.closed;
  });
});

/** A copy-mode receiver with no credit yet (rhea's credit window off), collecting what arrives. */
async function openBrowser(address: string | Record<string, unknown>, options: Record<string, unknown> = {}): Promise<{ receiver: Receiver; inbox: AmqpInbox }> {
  const source = typeof address === 'string' ? { address, distribution_mode: 'copy' } : { ...address, distribution_mode: 'copy' };
  const receiver = await openReceiver(conn, { source, credit_window: 0, autoaccept: false, ...options } as Parameters<typeof openReceiver>[1]);
  return { receiver, inbox: new AmqpInbox(receiver) };
}

/** Asks to drain `credit` and resolves once the broker says it has drained. */
function drain(receiver: Receiver, credit: number): Promise<void> {
  const drained = new Promise<void>((resolve) => receiver.once('receiver_drained', () => resolve()));
  receiver.drain = true;
  receiver.add_credit(credit);
  return drained;
}

const remoteSource = (r: Receiver) => (r as unknown as { remote: { attach: { source?: { distribution_mode?: string; filter?: unknown } } } }).remote.attach.source;

describe('AMQP 1.0 queue browsing (distribution-mode copy)', () => {
  it('sends copies in order as credit allows, ends with a drain, and leaves every message in the queue', async () => {
    const q = unique('abrowse');
    await fill(q, range(12));
    const { receiver, inbox } = await openBrowser(`queue://${q}`);
    assert.equal(remoteSource(receiver)?.distribution_mode, 'copy', 'the attach echoes distribution-mode copy');
    // Credit for 5: five copies and no more until more credit comes.
    receiver.add_credit(5);
    const firstFive = await inbox.take(5);
    assert.deepEqual(firstFive.map((i) => i.message.body), range(5));
    await drain(receiver, 100);
    assert.deepEqual(inbox.items.map((i) => i.message.body), range(12), 'the rest, then the drain');
    assert.equal((receiver as unknown as { credit: number }).credit, 0, 'drain used up the credit');
    assert.ok(inbox.items.every((i) => i.message.first_acquirer === true && !i.message.delivery_count));
    assert.ok(inbox.items.every((i) => i.message.durable === true));
    // Outcomes of browsed messages change nothing in the queue.
    inbox.items[0]!.delivery.accept();
    inbox.items[1]!.delivery.reject({ condition: 'amqp:internal-error', description: 'test' });
    inbox.items[2]!.delivery.release();
    inbox.items[3]!.delivery.modified({ delivery_failed: true, undeliverable_here: true });
    await closeLink(receiver);

    const again = await openBrowser(`queue://${q}`);
    await drain(again.receiver, 100);
    assert.deepEqual(again.inbox.items.map((i) => i.message.body), range(12), 'a second browse sees them all');
    await closeLink(again.receiver);

    const consumer = new AmqpInbox(await openReceiver(conn, { source: `queue://${q}`, autoaccept: false }));
    const consumed = await consumer.take(12);
    assert.deepEqual(consumed.map((i) => i.message.body), range(12));
    assert.ok(consumed.every((i) => i.message.first_acquirer === true), 'first deliveries: browsing counted none');
    for (const i of consumed) i.delivery.accept();
    await closeLink(consumer.receiver);
  });

  it('sends pre-settled copies to a settled receiver', async () => {
    const q = unique('abrowse-settled');
    await fill(q, range(4));
    const { receiver, inbox } = await openBrowser(`queue://${q}`, { snd_settle_mode: 1 });
    await drain(receiver, 10);
    assert.deepEqual(inbox.items.map((i) => i.message.body), range(4));
    assert.ok(inbox.items.every((i) => i.delivery.remote_settled));
    await closeLink(receiver);
    assert.equal((await consume(q, 4)).length, 4);
  });

  it('applies a selector filter', async () => {
    const q = unique('abrowse-sel');
    await fill(q, range(6), (i) => ({ colour: i % 2 === 0 ? 'red' : 'blue' }));
    const { receiver, inbox } = await openBrowser({ address: `queue://${q}`, filter: rhea.filter.selector("colour = 'blue'") });
    const filter = remoteSource(receiver)?.filter as Record<string, unknown> | undefined;
    assert.ok(filter && 'jms-selector' in filter, 'the selector filter is echoed');
    await drain(receiver, 10);
    assert.deepEqual(inbox.items.map((i) => i.message.body), ['m1', 'm3', 'm5']);
    await closeLink(receiver);
    assert.equal((await consume(q, 6)).length, 6);
  });

  it('answers a drain on an empty queue with no message', async () => {
    const { receiver, inbox } = await openBrowser(`queue://${unique('abrowse-empty')}`);
    await drain(receiver, 10);
    assert.equal(inbox.items.length, 0);
    await closeLink(receiver);
  });

  it('refuses an invalid selector on a browser with amqp:invalid-field', async () => {
    await assert.rejects(openBrowser({ address: `queue://${unique('abrowse-bad')}`, filter: rhea.filter.selector('colour = ') }), (err: Error & { condition?: string }) => {
      assert.equal(err.condition, 'amqp:invalid-field');
      return true;
    });
  });

  it('treats copy on a topic as ActiveMQ does: a plain subscription, not a browse', async () => {
    const t = `topic://${unique('acopy')}`;
    const sender = await openSender(conn, t);
    assert.equal(await send(sender, { body: 'before' }), 'accepted');
    const { receiver, inbox } = await openBrowser(t);
    receiver.add_credit(10);
    assert.equal(await send(sender, { body: 'after' }), 'accepted');
    const got = await inbox.next();
    assert.equal(got.message.body, 'after', 'a topic has nothing to browse: only what is published after attaching');
    got.delivery.accept();
    await closeLink(receiver);
    await closeLink(sender);
  });
});
