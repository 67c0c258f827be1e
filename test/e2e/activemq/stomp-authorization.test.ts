// ActiveMQ-style destination permissions as a STOMP client meets them over TLS (stompit): a SEND
// or SUBSCRIBE the user's groups do not allow is an ERROR `User is not authorized` and the end of
// that connection (with `receipt-id` when a receipt was asked for); what is allowed works.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createStompSession } from '../../../src/session/stomp/index.ts';
import type { StompTestPeer } from '../../../src/session/stomp/test-peer.ts';
import { startActiveMqTestBroker, type ActiveMqTestBroker } from '../../helpers/activemq-broker.ts';
import { Inbox, readBody, type StompitMessage, stompitConnect, stompitDisconnect, stompitSend, rawStompPeer } from './stomp-clients.ts';

let server: ActiveMqTestBroker;

before(async () => {
  server = await startActiveMqTestBroker({
    groups: ['admins'],
    engine: {
      authorization: [
        { kind: 'queue', pattern: '>', read: ['admins'], write: ['admins'], admin: ['admins'] },
        { kind: 'topic', pattern: '>', read: ['admins'], write: ['admins'], admin: ['admins'] },
        { kind: 'queue', pattern: 'orders.>', read: ['readers', 'admins'], write: ['admins'], admin: ['readers', 'admins'] },
      ],
    },
    session: (socket, engine) => createStompSession(socket, { engine, remoteAddress: socket.remoteAddress, closeTimeoutMs: 1000 }),
  });
});
after(async () => {
  await server.close();
});

async function rawPeer(username: string, password: string): Promise<StompTestPeer> {
  const peer = await rawStompPeer(server);
  const f = await peer.connect({ 'accept-version': '1.2', host: 'localhost', login: username, passcode: password });
  assert.equal(f.command, 'CONNECTED', f.headers.get('message'));
  return peer;
}

describe('STOMP and destination permissions', () => {
  it('a reader may consume orders.* but not send there; elsewhere it may do nothing', async () => {
    const readerPassword = await server.addUser('reader', ['readers']);
    // The admin puts a message on orders.new.
    const admin = await stompitConnect(server);
    await stompitSend(admin, { destination: '/queue/orders.new' }, 'order 1');
    await stompitDisconnect(admin);

    const reader = await stompitConnect(server, { login: 'reader', passcode: readerPassword });
    const inbox = new Inbox<StompitMessage>();
    reader.subscribe({ destination: '/queue/orders.new' }, (error, message) => {
      if (error === null) inbox.push(message);
    });
    assert.equal(await readBody(await inbox.next()), 'order 1');
    await stompitDisconnect(reader);

    const sender = await rawPeer('reader', readerPassword);
    sender.send('SEND', { destination: '/queue/orders.new', receipt: 'w' }, 'forged');
    const refusal = await sender.next('ERROR');
    assert.equal(refusal.headers.get('message'), 'User is not authorized');
    assert.equal(refusal.headers.get('receipt-id'), 'w');
    assert.ok(!refusal.body.toString().includes('forged'), 'no message body in the error');
    await sender.closed;

    const snooper = await rawPeer('reader', readerPassword);
    snooper.send('SUBSCRIBE', { id: 's', destination: '/topic/payroll' });
    assert.equal((await snooper.next('ERROR')).headers.get('message'), 'User is not authorized');
    await snooper.closed;
  });
});
