// The STOMP session over an in-memory stream pair (no TLS) on the real ActiveMQ engine and broker
// core (memory store): a scripted client checks frame order, version and heart-beat negotiation,
// receipts, ack ids per version, errors then close, the connect timeout, and that input cut into
// arbitrary chunks means the same as whole frames. Real clients over TLS are in test/e2e/activemq.

import assert from 'node:assert/strict';
import { duplexPair } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { Broker } from '../../core/broker.ts';
import { MemoryMessageStore, createMemoryStoreState } from '../../core/memory-message-store.ts';
import { activeMqPropertiesCodec, createActiveMqEngine } from '../../core/activemq/index.ts';
import type { AmqEngine } from '../../core/activemq/api.ts';
import { createStompSession, type StompSession, type StompSessionOptions } from './session.ts';
import { StompTestPeer } from './test-peer.ts';

const USER = 'stomp-user';
const PASSWORD = 'stomp-password-1';
let broker: Broker;
let engine: AmqEngine;
const sessions: StompSession[] = [];

before(async () => {
  broker = await Broker.open({ store: new MemoryMessageStore(createMemoryStoreState()), codec: activeMqPropertiesCodec, passwordHashing: { logN: 4 } });
  await broker.users.addUser(USER, PASSWORD);
  engine = createActiveMqEngine(broker, { maximumRedeliveries: 2 });
});
after(async () => {
  await Promise.all(sessions.map((s) => s.close()));
  await broker.close();
});

function open(options: Partial<StompSessionOptions> = {}): { peer: StompTestPeer; session: StompSession } {
  const [client, server] = duplexPair();
  const session = createStompSession(server, { engine, closeTimeoutMs: 500, ...options });
  sessions.push(session);
  return { peer: new StompTestPeer(client), session };
}

const LOGIN = { login: USER, passcode: PASSWORD, host: 'localhost' };

async function connected(version = '1.2', extra: Record<string, string> = {}, options: Partial<StompSessionOptions> = {}): Promise<StompTestPeer> {
  const { peer } = open(options);
  const f = await peer.connect({ 'accept-version': version, ...LOGIN, ...extra });
  assert.equal(f.command, 'CONNECTED', f.headers.get('message'));
  return peer;
}

let queueSeq = 0;
const freshQueue = () => `/queue/session-test-${++queueSeq}`;

async function expectErrorThenClose(peer: StompTestPeer, message: RegExp): Promise<void> {
  const f = await peer.next('ERROR');
  assert.match(f.headers.get('message') ?? '', message);
  assert.equal(f.headers.get('content-type'), 'text/plain');
  await peer.closed;
}

describe('STOMP session: CONNECT', () => {
  it('negotiates the highest common version and answers CONNECTED with session, server and heart-beat', async () => {
    for (const [accept, version] of [['1.0,1.1,1.2', '1.2'], ['1.1', '1.1'], ['1.0,1.1', '1.1'], ['1.2,2.0', '1.2']] as const) {
      const { peer } = open();
      const f = await peer.connect({ 'accept-version': accept, ...LOGIN, 'heart-beat': '0,0' });
      assert.equal(f.command, 'CONNECTED');
      assert.equal(f.headers.get('version'), version);
      assert.match(f.headers.get('server') ?? '', /^SealMQ\//);
      assert.ok((f.headers.get('session') ?? '').length > 0);
      assert.match(f.headers.get('heart-beat') ?? '', /^\d+,\d+$/);
      peer.send('DISCONNECT');
      await peer.closed;
    }
  });

  it('takes a CONNECT without accept-version as STOMP 1.0, and STOMP as a synonym of CONNECT', async () => {
    const { peer } = open();
    const f = await peer.connect(LOGIN);
    assert.equal(f.command, 'CONNECTED');
    assert.equal(f.headers.get('version'), '1.0', 'as ActiveMQ, which names 1.0 too');
    assert.equal(f.headers.get('heart-beat'), '0,0', '1.0 has no heart-beating');
    const { peer: p2 } = open();
    p2.send('STOMP', { 'accept-version': '1.2', ...LOGIN });
    assert.equal((await p2.next('CONNECTED')).headers.get('version'), '1.2');
  });

  it('refuses an unsupported version with the versions it speaks, then closes', async () => {
    const { peer } = open();
    peer.send('CONNECT', { 'accept-version': '2.0,3.1', ...LOGIN });
    const f = await peer.next('ERROR');
    assert.equal(f.headers.get('version'), '1.0,1.1,1.2');
    await peer.closed;
  });

  it('refuses a bad login or a bad passcode with the same ERROR, naming neither', async () => {
    const bodies: string[] = [];
    const attempts: Array<Record<string, string>> = [{ login: USER, passcode: 'wrong-passcode' }, { login: 'nobody', passcode: PASSWORD }, {}];
    for (const creds of attempts) {
      const { peer } = open();
      peer.send('CONNECT', { 'accept-version': '1.2', host: 'x', ...creds });
      const f = await peer.next('ERROR');
      assert.equal(f.headers.get('message'), 'Authentication failed');
      const text = Object.values(Object.fromEntries(f.headers)).join(' ') + f.body.toString();
      assert.ok(!text.includes('wrong-passcode') && !text.includes('nobody') && !text.includes(PASSWORD));
      bodies.push(f.body.toString());
      await peer.closed;
    }
    assert.equal(new Set(bodies).size, 1);
  });

  it('refuses any frame before CONNECT, and a second CONNECT', async () => {
    const { peer } = open();
    peer.send('SEND', { destination: '/queue/x', receipt: 'r-early' }, 'x');
    const f = await peer.next('ERROR');
    assert.equal(f.headers.get('receipt-id'), 'r-early');
    await peer.closed;
    const p2 = await connected();
    p2.send('CONNECT', { 'accept-version': '1.2', ...LOGIN });
    await expectErrorThenClose(p2, /Already connected/);
  });

  it('keeps frames small until the login: a big frame before CONNECTED is refused, the same after it is not', async () => {
    const { peer } = open({ connectFrameSizeMaxBytes: 1024 });
    peer.raw(`CONNECT\naccept-version:1.2\nlogin:${USER}\npasscode:${PASSWORD}\npadding:${'p'.repeat(1100)}\n\n\0`);
    const f = await peer.next('ERROR');
    assert.equal(f.headers.get('message'), 'frame exceeds 1024 bytes');
    await peer.closed;
    const p2 = await connected('1.2', {}, { connectFrameSizeMaxBytes: 1024 });
    const q = freshQueue();
    p2.send('SUBSCRIBE', { id: 's', destination: q });
    p2.send('SEND', { destination: q }, 'b'.repeat(4096));
    assert.equal((await p2.next('MESSAGE')).body.length, 4096);
  });

  it('closes a connection that sends no CONNECT in time', async () => {
    const { peer } = open({ connectTimeoutMs: 50 });
    await expectErrorThenClose(peer, /No CONNECT/);
  });
});

describe('STOMP session: messaging', () => {
  it('delivers SEND to a subscriber with receipts, ActiveMQ headers and 1.2 ack ids', async () => {
    const q = freshQueue();
    const peer = await connected();
    peer.send('SUBSCRIBE', { id: 'sub-1', destination: q, ack: 'client-individual', receipt: 'r-sub' });
    assert.equal((await peer.next('RECEIPT')).headers.get('receipt-id'), 'r-sub');
    peer.send('SEND', { destination: q, persistent: 'true', priority: '7', 'correlation-id': 'c1', colour: 'blue', receipt: 'r-send' }, 'hello', false);
    const frames = [await peer.next(), await peer.next()];
    const receipt = frames.find((f) => f.command === 'RECEIPT')!;
    const message = frames.find((f) => f.command === 'MESSAGE')!;
    assert.equal(receipt.headers.get('receipt-id'), 'r-send');
    assert.equal(message.body.toString(), 'hello');
    assert.equal(message.headers.get('subscription'), 'sub-1');
    assert.equal(message.headers.get('destination'), q);
    assert.equal(message.headers.get('persistent'), 'true');
    assert.equal(message.headers.get('priority'), '7');
    assert.equal(message.headers.get('correlation-id'), 'c1');
    assert.equal(message.headers.get('colour'), 'blue');
    assert.equal(message.headers.get('content-length'), undefined, 'a text message has no content-length');
    assert.ok(message.headers.get('message-id'));
    const ack = message.headers.get('ack');
    assert.ok(ack !== undefined);
    peer.send('ACK', { id: ack, receipt: 'r-ack' });
    assert.equal((await peer.next('RECEIPT')).headers.get('receipt-id'), 'r-ack');
    // Acknowledged: a second ACK of the same id is an error.
    peer.send('ACK', { id: ack });
    await expectErrorThenClose(peer, /Unexpected ACK/);
  });

  it('answers SUBSCRIBE\'s receipt before the messages waiting on the queue (as ActiveMQ orders them)', async () => {
    const q = freshQueue();
    const producer = await connected();
    for (const body of ['w1', 'w2', 'w3']) producer.send('SEND', { destination: q, receipt: body }, body);
    for (let i = 0; i < 3; i++) await producer.next('RECEIPT');
    const consumer = await connected();
    consumer.send('SUBSCRIBE', { id: 's', destination: q, ack: 'client', receipt: 'sub' });
    assert.equal((await consumer.next('RECEIPT')).headers.get('receipt-id'), 'sub');
    const got = [await consumer.next('MESSAGE'), await consumer.next('MESSAGE'), await consumer.next('MESSAGE')];
    assert.deepEqual(got.map((m) => m.body.toString()), ['w1', 'w2', 'w3']);
    consumer.send('ACK', { id: got[2]!.headers.get('ack')!, receipt: 'acked' });
    await consumer.next('RECEIPT');
  });

  it('1.1 acknowledges by message-id and subscription; NACK redelivers with redelivered:true', async () => {
    const q = freshQueue();
    const peer = await connected('1.1');
    peer.send('SUBSCRIBE', { id: 's', destination: q, ack: 'client' });
    peer.send('SEND', { destination: q, 'content-type': 'application/octet-stream' }, Buffer.from([0, 1, 2]));
    const m1 = await peer.next('MESSAGE');
    assert.equal(m1.headers.get('ack'), undefined, '1.1 has no ack header');
    assert.equal(m1.headers.get('content-length'), '3', 'a bytes message has content-length');
    assert.deepEqual(m1.body, Buffer.from([0, 1, 2]));
    peer.send('NACK', { subscription: 's', 'message-id': m1.headers.get('message-id')! });
    const m2 = await peer.next('MESSAGE');
    assert.equal(m2.headers.get('redelivered'), 'true');
    assert.equal(m2.headers.get('message-id'), m1.headers.get('message-id'));
    peer.send('ACK', { subscription: 's', 'message-id': m2.headers.get('message-id')!, receipt: 'done' });
    await peer.next('RECEIPT');
    peer.send('DISCONNECT', { receipt: 'bye' });
    assert.equal((await peer.next('RECEIPT')).headers.get('receipt-id'), 'bye');
    await peer.closed;
  });

  it('1.0: SUBSCRIBE without id, ACK by message-id alone, UNSUBSCRIBE by destination, no NACK', async () => {
    const q = freshQueue();
    const peer = await connected('1.0');
    peer.send('SUBSCRIBE', { destination: q, ack: 'client' });
    peer.send('SEND', { destination: q }, 'one');
    const m = await peer.next('MESSAGE');
    assert.equal(m.headers.get('subscription'), undefined, 'no id was given');
    assert.equal(m.headers.get('ack'), undefined);
    peer.send('ACK', { 'message-id': m.headers.get('message-id')!, receipt: 'acked' });
    await peer.next('RECEIPT');
    peer.send('UNSUBSCRIBE', { destination: q, receipt: 'gone' });
    assert.equal((await peer.next('RECEIPT')).headers.get('receipt-id'), 'gone');
    peer.send('NACK', { 'message-id': 'x' });
    await expectErrorThenClose(peer, /v1\.0 mode/);
  });

  it('escapes headers per version in MESSAGE frames (1.2 round trip of : \\n \\ and CR)', async () => {
    const q = freshQueue();
    const peer = await connected('1.2');
    peer.send('SUBSCRIBE', { id: 's', destination: q });
    const value = 'a:b\nc\\d\re';
    peer.send('SEND', { destination: q, 'odd:name': value }, 'x');
    const m = await peer.next('MESSAGE');
    assert.equal(m.headers.get('odd:name'), value);
  });

  it('holds transacted sends until COMMIT, drops them on ABORT', async () => {
    const q = freshQueue();
    const peer = await connected();
    peer.send('SUBSCRIBE', { id: 's', destination: q });
    peer.send('BEGIN', { transaction: 't1' });
    peer.send('SEND', { destination: q, transaction: 't1' }, 'aborted');
    peer.send('ABORT', { transaction: 't1' });
    peer.send('BEGIN', { transaction: 't2' });
    peer.send('SEND', { destination: q, transaction: 't2' }, 'committed');
    peer.send('COMMIT', { transaction: 't2', receipt: 'c' });
    const frames = [await peer.next(), await peer.next()];
    assert.deepEqual(frames.map((f) => f.command).sort(), ['MESSAGE', 'RECEIPT']);
    assert.equal(frames.find((f) => f.command === 'MESSAGE')!.body.toString(), 'committed');
    peer.send('COMMIT', { transaction: 'never-begun' });
    await expectErrorThenClose(peer, /transaction/i);
  });

  it('request/reply through a temporary queue: /temp-queue/x is the client\'s own, others see /remote-temp-queue/...', async () => {
    const service = freshQueue();
    const requester = await connected();
    const responder = await connected();
    requester.send('SUBSCRIBE', { id: 'replies', destination: '/temp-queue/replies', receipt: 'r' });
    await requester.next('RECEIPT');
    responder.send('SUBSCRIBE', { id: 'svc', destination: service, receipt: 'r' });
    await responder.next('RECEIPT');
    requester.send('SEND', { destination: service, 'reply-to': '/temp-queue/replies', 'correlation-id': 'q1' }, 'ping');
    const request = await responder.next('MESSAGE');
    const replyTo = request.headers.get('reply-to') ?? '';
    assert.match(replyTo, /^\/remote-temp-queue\//);
    responder.send('SEND', { destination: replyTo, 'correlation-id': 'q1' }, 'pong');
    const reply = await requester.next('MESSAGE');
    assert.equal(reply.body.toString(), 'pong');
    assert.equal(reply.headers.get('destination'), '/temp-queue/replies', 'the requester sees its own name for it');
    assert.equal(reply.headers.get('correlation-id'), 'q1');
  });

  it('refuses more temporary destinations than the limit', async () => {
    const peer = await connected('1.2', {}, { temporaryDestinationsMax: 2 });
    peer.send('SEND', { destination: '/temp-queue/a', receipt: 'a' }, 'x');
    peer.send('SEND', { destination: '/temp-topic/b', receipt: 'b' }, 'x');
    peer.send('SEND', { destination: '/temp-queue/a', receipt: 'a-again' }, 'x');
    for (const id of ['a', 'b', 'a-again']) assert.equal((await peer.next('RECEIPT')).headers.get('receipt-id'), id);
    peer.send('SEND', { destination: '/temp-queue/c', receipt: 'c' }, 'x');
    const f = await peer.next('ERROR');
    assert.equal(f.headers.get('message'), 'Too many temporary destinations');
    assert.equal(f.headers.get('receipt-id'), 'c');
    await peer.closed;
  });

  it('means the same whether the input arrives whole or one octet at a time', async () => {
    const q = freshQueue();
    const bytes = Buffer.from(
      `CONNECT\naccept-version:1.2\nlogin:${USER}\npasscode:${PASSWORD}\nhost:h\n\n\0\r\n\n` +
        `SUBSCRIBE\r\nid:s\r\ndestination:${q}\r\n\r\n\0` +
        `SEND\ndestination:${q}\ncontent-length:5\n\nab\0cd\0\n` +
        `SEND\ndestination:${q}\nreceipt:end\n\nsecond\0`,
    );
    const results: string[][] = [];
    for (const chunkBytes of [bytes.length, 1, 7]) {
      const { peer } = open();
      for (let at = 0; at < bytes.length; at += chunkBytes) peer.raw(bytes.subarray(at, at + chunkBytes));
      await peer.until(() => peer.frames.length >= 4);
      results.push(peer.frames.map((f) => `${f.command}:${f.command === 'MESSAGE' ? f.body.toString('hex') : ''}`).sort());
      peer.send('DISCONNECT');
      await peer.closed;
    }
    assert.deepEqual(results[1], results[0]);
    assert.deepEqual(results[2], results[0]);
    assert.ok(results[0]!.includes(`MESSAGE:${Buffer.from('ab\0cd').toString('hex')}`));
  });
});

describe('STOMP session: backpressure', () => {
  it('a client that stops reading leaves auto-acknowledged messages in the queue, and gets all of them in order later', async () => {
    const name = `session-test-slow-${++queueSeq}`;
    // At most 64 KiB written and unread: about 60 of the 500 messages leave the queue.
    const consumer = await connected('1.2', {}, { writeBufferMaxBytes: 64 * 1024 });
    consumer.send('SUBSCRIBE', { id: 's', destination: `/queue/${name}`, receipt: 'sub' });
    await consumer.next('RECEIPT');
    consumer.pause();
    const producer = await connected();
    const count = 500;
    const body = 'x'.repeat(1024);
    for (let i = 0; i < count; i++) producer.send('SEND', { destination: `/queue/${name}`, seq: String(i), ...(i === count - 1 ? { receipt: 'last' } : {}) }, body);
    await producer.next('RECEIPT');
    // Every message is safe in the queue or on its way; far from all of them left the queue.
    const queued = broker.vhosts.get('/')!.queues.get(name)!.messageCount;
    assert.ok(queued > count - 100, `${queued} of ${count} still queued`);
    consumer.resume();
    for (let i = 0; i < count; i++) assert.equal((await consumer.next('MESSAGE')).headers.get('seq'), String(i));
    producer.send('DISCONNECT');
    consumer.send('DISCONNECT');
    await Promise.all([producer.closed, consumer.closed]);
  });
});

describe('STOMP session: heart-beats and closing', () => {
  it('sends heart-beats at the negotiated interval and closes a silent peer', async () => {
    const { peer } = open({ heartbeatMinMs: 20 });
    const f = await peer.connect({ 'accept-version': '1.2', ...LOGIN, 'heart-beat': '20,20' });
    assert.equal(f.headers.get('heart-beat'), '20,20');
    // The client promised one every 20 ms and sends nothing: the server gives up.
    await peer.closed;
    assert.ok(peer.heartbeats >= 1, 'the server sent heart-beats while waiting');
  });

  it('keeps a peer that sends heart-beats', async () => {
    // The peer promises one every 100 ms (closed after 150 ms of silence) and sends one every 10 ms;
    // four heart-beats from the server (one per 50 ms of quiet at most) span longer than the grace.
    const { peer } = open({ heartbeatMinMs: 100 });
    await peer.connect({ 'accept-version': '1.2', ...LOGIN, 'heart-beat': '100,100' });
    const timer = setInterval(() => peer.raw('\n'), 10);
    await peer.until(() => peer.heartbeats >= 4);
    clearInterval(timer);
    assert.equal(peer.ended, false);
    peer.send('DISCONNECT');
    await peer.closed;
  });

  it('close() sends ERROR saying the broker is shutting down, then ends the stream', async () => {
    const { peer, session } = open();
    await peer.connect({ 'accept-version': '1.2', ...LOGIN });
    const closing = session.close();
    await expectErrorThenClose(peer, /shutting down/);
    await closing;
  });

  it('refuses malformed frames with an ERROR and closes only that connection', async () => {
    const survivor = await connected();
    const q = freshQueue();
    survivor.send('SUBSCRIBE', { id: 's', destination: q });
    for (const bad of ['FOO\n\n^@', 'SEND\nno colon here\n\n^@', 'SEND\ndestination:/queue/a\ncontent-length:2\n\nabc^@', 'SEND\nfoo:a\\tb\n\n^@']) {
      const peer = await connected();
      peer.raw(bad);
      await expectErrorThenClose(peer, /./);
    }
    const big = await connected('1.2', {}, { bodySizeMaxBytes: 100, frameSizeMaxBytes: 1000 });
    big.send('SEND', { destination: q }, 'x'.repeat(101));
    await expectErrorThenClose(big, /body exceeds 100 bytes/);
    survivor.send('SEND', { destination: q }, 'still here');
    assert.equal((await survivor.next('MESSAGE')).body.toString(), 'still here');
  });
});
