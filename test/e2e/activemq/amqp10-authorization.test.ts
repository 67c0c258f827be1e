// AMQP 1.0 and ActiveMQ-style destination permissions, over TLS with rhea: a user without read is
// refused a receiving link with amqp:unauthorized-access; a user without write has an unsettled
// message rejected with it, and a pre-settled one gets its link detached with it; the allowed
// users send and receive. Also the container-id as JMS client id: shared by rhea connections that
// do not ask to be the container's sole connection, refused for one that does.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { EventContext } from 'rhea';
import type { ActiveMqTestBroker } from '../../helpers/activemq-broker.ts';
import { closeConnection, closeLink, connect, Inbox, linkError, openReceiver, openSender, send, sendExpectRejection, startAmqp10Broker } from './amqp10-helpers.ts';
import rhea from 'rhea';

let b: ActiveMqTestBroker;
let readerPassword: string;
let writerPassword: string;

before(async () => {
  b = await startAmqp10Broker(
    {},
    {
      engine: {
        authorization: [
          { kind: 'queue', pattern: 'orders.>', read: ['readers'], write: ['writers'], admin: ['readers', 'writers'] },
          { kind: 'queue', pattern: 'ActiveMQ.DLQ', read: ['readers'], write: ['readers', 'writers'], admin: ['readers', 'writers'] },
          { kind: 'topic', pattern: '>', read: ['admins'], write: ['admins'], admin: ['admins'] },
        ],
      },
      groups: ['admins'],
    },
  );
  readerPassword = await b.addUser('reader', ['readers']);
  writerPassword = await b.addUser('writer', ['writers']);
});
after(async () => {
  await b.close();
});

describe('AMQP 1.0 authorization', () => {
  it('refuses a receiving link without read, and delivers to one with it', async () => {
    const q = `queue://orders.${randomUUID().slice(0, 8)}`;
    const writer = await connect(b, { username: 'writer', password: writerPassword });
    const reader = await connect(b, { username: 'reader', password: readerPassword });
    await assert.rejects(openReceiver(writer, { source: q }), (err: Error & { condition?: string }) => err.condition === 'amqp:unauthorized-access');
    const sender = await openSender(writer, q);
    assert.equal(await send(sender, { body: 'allowed' }), 'accepted');
    const inbox = new Inbox(await openReceiver(reader, { source: q }));
    assert.equal((await inbox.next()).message.body, 'allowed');
    await closeConnection(writer);
    await closeConnection(reader);
  });

  it('rejects an unsettled message without write; detaches a pre-settled sender', async () => {
    const q = `queue://orders.${randomUUID().slice(0, 8)}`;
    const reader = await connect(b, { username: 'reader', password: readerPassword });
    const sender = await openSender(reader, q);
    const rejection = await sendExpectRejection(sender, { body: 'not allowed' });
    assert.equal(rejection.condition, 'amqp:unauthorized-access');
    const settled = await openSender(reader, q, { snd_settle_mode: 1 });
    const detached = new Promise<string | undefined>((resolve) => settled.once('sender_error', (ctx: EventContext) => resolve(linkError(ctx.sender?.error).condition)));
    settled.send({ body: 'not allowed either' });
    assert.equal(await detached, 'amqp:unauthorized-access');
    // The connection carries on.
    const inbox = new Inbox(await openReceiver(reader, { source: q, credit_window: 0 }));
    const drained = new Promise<void>((resolve) => inbox.receiver.once('receiver_drained', () => resolve()));
    inbox.receiver.drain = true;
    inbox.receiver.add_credit(5);
    await drained;
    assert.equal(inbox.items.length, 0, 'nothing was stored');
    await closeLink(sender);
    await closeConnection(reader);
  });
});

describe('AMQP 1.0 container-id as client id', () => {
  it('connections sharing a container-id both open; durable subscriptions need their own', async () => {
    const containerId = `shared-${randomUUID()}`;
    const first = await connect(b, { containerId });
    const second = await connect(b, { containerId });
    const topic = `topic://${randomUUID().slice(0, 8)}`;
    const source = { address: topic, durable: 2, expiry_policy: 'never' } as const;
    await openReceiver(first, { name: 'sub', source });
    await assert.rejects(openReceiver(second, { name: 'sub2', source }), (err: Error & { condition?: string }) => err.condition === 'amqp:invalid-field');
    await closeConnection(first);
    await closeConnection(second);
  });

  it('a client that asks to be the sole connection of its container is refused while another holds it', async () => {
    const containerId = `sole-${randomUUID()}`;
    const first = await connect(b, { containerId });
    const container = rhea.create_container({ id: containerId });
    const refused = container.connect({
      host: '127.0.0.1',
      port: b.port,
      transport: 'tls',
      ca: b.caPem,
      username: b.username,
      password: b.password,
      reconnect: false,
      desired_capabilities: ['sole-connection-for-container'],
    } as Parameters<typeof container.connect>[0]);
    refused.on('error', () => undefined);
    const error = await new Promise<{ condition?: string; info?: unknown }>((resolve) =>
      refused.once('connection_error', (ctx: EventContext) => resolve((ctx.connection.error ?? {}) as { condition?: string; info?: unknown })),
    );
    assert.equal(error.condition, 'amqp:invalid-field');
    assert.deepEqual(error.info, { 'invalid-field': 'container-id' });
    await closeConnection(first);
  });
});
