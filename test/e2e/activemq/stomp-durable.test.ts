// STOMP durable topic subscriptions over TLS with stompit, as ActiveMQ offers them: `client-id` on
// CONNECT plus `activemq.subscriptionName` on SUBSCRIBE. The subscription collects while its client
// is away, keeps persistent messages across a broker reopen on the same store (non-persistent ones
// are gone, as in ActiveMQ), and UNSUBSCRIBE with the name removes it. The service-level restart with
// the encrypted store is tested elsewhere (H6); here the broker is reopened on the same memory store.

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createMemoryStoreState, MemoryMessageStore } from '../../../src/core/memory-message-store.ts';
import { createStompSession } from '../../../src/session/stomp/index.ts';
import { startActiveMqTestBroker, type ActiveMqTestBroker } from '../../helpers/activemq-broker.ts';
import { Inbox, readBody, type StompitClient, type StompitMessage, stompitConnect, stompitDisconnect, stompitSend } from './stomp-clients.ts';

const state = createMemoryStoreState();
let server: ActiveMqTestBroker | undefined;

async function start(): Promise<ActiveMqTestBroker> {
  server = await startActiveMqTestBroker({
    store: new MemoryMessageStore(state),
    session: (socket, engine) => createStompSession(socket, { engine, remoteAddress: socket.remoteAddress, closeTimeoutMs: 1000 }),
  });
  return server;
}
after(async () => {
  await server?.close();
});

const TOPIC = `/topic/news-${process.pid}`;
const CLIENT_ID = `durable-client-${process.pid}`;
const NAME = 'news-sub';

/** Subscribes durably; resolves once the broker has the subscription (a receipt for a later frame). */
async function durableInbox(client: StompitClient): Promise<Inbox<{ message: StompitMessage; body: string }>> {
  const inbox = new Inbox<{ message: StompitMessage; body: string }>();
  client.subscribe({ destination: TOPIC, ack: 'client-individual', 'activemq.subscriptionName': NAME }, (error, message) => {
    if (error === null) void readBody(message).then((body) => inbox.push({ message, body }));
  });
  await new Promise<void>((resolve) => client.begin().abort({ onReceipt: resolve }));
  return inbox;
}

/** Receives until `marker`, acknowledging each, and returns the bodies before it. */
async function drainUntil(client: StompitClient, inbox: Inbox<{ message: StompitMessage; body: string }>, marker: string): Promise<string[]> {
  const bodies: string[] = [];
  for (;;) {
    const { message, body } = await inbox.next();
    client.ack(message);
    if (body === marker) return bodies;
    bodies.push(body);
  }
}

describe('STOMP durable subscriptions', () => {
  it('collect while the subscriber is away, survive a broker reopen (persistent only), and go with UNSUBSCRIBE by name', async () => {
    let s = await start();
    const producer = await stompitConnect(s);
    let consumer = await stompitConnect(s, { 'client-id': CLIENT_ID });
    let inbox = await durableInbox(consumer);
    await stompitSend(producer, { destination: TOPIC, persistent: 'true' }, 'live');
    assert.deepEqual(await drainUntil(consumer, inbox, 'live'), []);
    await stompitDisconnect(consumer);

    // Away: the subscription keeps collecting, persistent or not.
    await stompitSend(producer, { destination: TOPIC, persistent: 'true' }, 'p1');
    await stompitSend(producer, { destination: TOPIC }, 'np1');
    await stompitSend(producer, { destination: TOPIC, persistent: 'true' }, 'p2');
    consumer = await stompitConnect(s, { 'client-id': CLIENT_ID });
    inbox = await durableInbox(consumer);
    await stompitSend(producer, { destination: TOPIC, persistent: 'true' }, 'marker-1');
    assert.deepEqual(await drainUntil(consumer, inbox, 'marker-1'), ['p1', 'np1', 'p2']);
    await stompitDisconnect(consumer);

    // Away across a broker reopen: only the persistent message is still there.
    await stompitSend(producer, { destination: TOPIC }, 'np2');
    await stompitSend(producer, { destination: TOPIC, persistent: 'true' }, 'p3');
    await stompitDisconnect(producer);
    await s.close();
    s = await start();
    consumer = await stompitConnect(s, { 'client-id': CLIENT_ID });
    inbox = await durableInbox(consumer);
    const producer2 = await stompitConnect(s);
    await stompitSend(producer2, { destination: TOPIC, persistent: 'true' }, 'marker-2');
    assert.deepEqual(await drainUntil(consumer, inbox, 'marker-2'), ['p3']);

    // UNSUBSCRIBE with the subscription name removes it: what is sent next is not kept for it.
    await new Promise<void>((resolve) => consumer.send({ destination: TOPIC }, { onReceipt: resolve }).end('sync'));
    await drainUntil(consumer, inbox, 'sync');
    await stompitDisconnect(consumer);
    consumer = await stompitConnect(s, { 'client-id': CLIENT_ID });
    await new Promise<void>((resolve) => {
      const frame = consumer.send({ destination: '/queue/unused-sync' }, { onReceipt: resolve });
      // UNSUBSCRIBE naming the durable subscription (no active subscription on this connection).
      (consumer as unknown as { sendFrame(c: string, h: Record<string, string>): { end(): void } }).sendFrame('UNSUBSCRIBE', { id: 'gone', 'activemq.subscriptionName': NAME }).end();
      frame.end('x');
    });
    await stompitSend(producer2, { destination: TOPIC, persistent: 'true' }, 'lost');
    inbox = await durableInbox(consumer);
    await stompitSend(producer2, { destination: TOPIC, persistent: 'true' }, 'marker-3');
    assert.deepEqual(await drainUntil(consumer, inbox, 'marker-3'), [], 'a new subscription, with nothing from before it');
    await stompitDisconnect(consumer);
    await stompitDisconnect(producer2);
  });

  it('a client-id in use and a durable subscription without client-id are refused with ERROR', async () => {
    const s = server ?? (await start());
    const first = await stompitConnect(s, { 'client-id': `${CLIENT_ID}-twice` });
    await assert.rejects(stompitConnect(s, { 'client-id': `${CLIENT_ID}-twice` }), /Client ID already in use/);
    await stompitDisconnect(first);
    const anonymous = await stompitConnect(s);
    const error = await new Promise<Error>((resolve) => {
      anonymous.on('error', resolve);
      anonymous.subscribe({ destination: TOPIC, 'activemq.subscriptionName': 'x' }, () => undefined);
    });
    assert.match(error.message, /client-id/);
  });
});
