// AMQP 1.0 bad input on raw TLS sockets: garbage instead of the protocol header, AMQP without SASL,
// bad credentials, frames with impossible sizes, undecodable performatives, protocol-state errors,
// an oversized message, an idle peer and broker shutdown. Each ends only that connection with the
// error the state allows (our header, a SASL outcome, or close with the AMQP error), while a rhea
// client connected before keeps sending and receiving.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Connection } from 'rhea';
import type { ActiveMqTestBroker } from '../../helpers/activemq-broker.ts';
import {
  AMQP_PROTOCOL_HEADER,
  type Amqp10Frame,
  type AmqpFrame,
  encodeFrame,
  encodeMessage,
  encodeSaslFrame,
  encodeTransferFrames,
  type PerformativeInit,
  SASL_PROTOCOL_HEADER,
} from '../../../src/codec/amqp10/index.ts';
import { closeConnection, closeLink, connect, Inbox, openReceiver, openSender, RawPeer, send, startAmqp10Broker } from './amqp10-helpers.ts';

let b: ActiveMqTestBroker;
let healthy: Connection;

before(async () => {
  b = await startAmqp10Broker({ messageSizeMaxBytes: 64 * 1024 });
  healthy = await connect(b);
});
after(async () => {
  await closeConnection(healthy);
  await b.close();
});

/** The healthy client still sends and receives. */
async function healthyStillWorks(): Promise<void> {
  const q = `queue://healthy-${randomUUID().slice(0, 8)}`;
  const sender = await openSender(healthy, q);
  assert.equal(await send(sender, { body: 'still here' }), 'accepted');
  const inbox = new Inbox(await openReceiver(healthy, { source: q }));
  assert.equal((await inbox.next()).message.body, 'still here');
  await closeLink(inbox.receiver);
  await closeLink(sender);
}

function saslInit(username: string, password: string): Buffer {
  return encodeSaslFrame({ kind: 'sasl-init', mechanism: 'PLAIN', initialResponse: Buffer.from(`\0${username}\0${password}`) });
}

const isClose = (f: Amqp10Frame): f is AmqpFrame => f.type === 'amqp' && f.performative.kind === 'close';
const isOpen = (f: Amqp10Frame): f is AmqpFrame => f.type === 'amqp' && f.performative.kind === 'open';

function closeCondition(f: AmqpFrame | undefined): string | undefined {
  return f?.performative.kind === 'close' ? f.performative.error?.condition : undefined;
}

/** A raw peer through SASL and open. */
async function openedPeer(extra: PerformativeInit[] = []): Promise<RawPeer> {
  const peer = await RawPeer.open(b);
  peer.write(Buffer.concat([SASL_PROTOCOL_HEADER, saslInit(b.username, b.password), AMQP_PROTOCOL_HEADER, encodeFrame(0, { kind: 'open', containerId: `raw-${randomUUID()}` })]));
  assert.ok(await peer.frame(isOpen), 'the server opens');
  for (const p of extra) peer.write(encodeFrame(0, p));
  return peer;
}

describe('AMQP 1.0 bad input: protocol headers and SASL', () => {
  it('answers garbage with its protocol header and closes', async () => {
    const peer = await RawPeer.open(b);
    peer.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    await peer.closed();
    assert.deepEqual(Buffer.concat(peer.received), SASL_PROTOCOL_HEADER);
    await healthyStillWorks();
  });

  it('answers AMQP without SASL with the SASL header and closes', async () => {
    const peer = await RawPeer.open(b);
    peer.write(AMQP_PROTOCOL_HEADER);
    await peer.closed();
    assert.deepEqual(Buffer.concat(peer.received), SASL_PROTOCOL_HEADER);
  });

  it('offers PLAIN only and answers bad credentials with outcome code 1', async () => {
    const peer = await RawPeer.open(b);
    peer.write(Buffer.concat([SASL_PROTOCOL_HEADER, saslInit(b.username, 'not-the-password')]));
    await peer.closed();
    const mechanisms = peer.frames.find((f) => f.type === 'sasl' && f.performative.kind === 'sasl-mechanisms');
    assert.ok(mechanisms?.type === 'sasl' && mechanisms.performative.kind === 'sasl-mechanisms');
    assert.deepEqual(mechanisms.performative.saslServerMechanisms, ['PLAIN']);
    const outcome = peer.frames.find((f) => f.type === 'sasl' && f.performative.kind === 'sasl-outcome');
    assert.ok(outcome?.type === 'sasl' && outcome.performative.kind === 'sasl-outcome');
    assert.equal(outcome.performative.code, 1);
    assert.equal(peer.frames.some(isOpen), false);
  });

  it('refuses PLAIN acting for another identity (authzid) with outcome code 1', async () => {
    const peer = await RawPeer.open(b);
    const response = Buffer.from(`someone-else\0${b.username}\0${b.password}`);
    peer.write(Buffer.concat([SASL_PROTOCOL_HEADER, encodeSaslFrame({ kind: 'sasl-init', mechanism: 'PLAIN', initialResponse: response })]));
    await peer.closed();
    const outcome = peer.frames.find((f) => f.type === 'sasl' && f.performative.kind === 'sasl-outcome');
    assert.ok(outcome?.type === 'sasl' && outcome.performative.kind === 'sasl-outcome' && outcome.performative.code === 1);
  });

  it('refuses ANONYMOUS with outcome code 1', async () => {
    const peer = await RawPeer.open(b);
    peer.write(Buffer.concat([SASL_PROTOCOL_HEADER, encodeSaslFrame({ kind: 'sasl-init', mechanism: 'ANONYMOUS', initialResponse: Buffer.from('x') })]));
    await peer.closed();
    const outcome = peer.frames.find((f) => f.type === 'sasl' && f.performative.kind === 'sasl-outcome');
    assert.ok(outcome?.type === 'sasl' && outcome.performative.kind === 'sasl-outcome' && outcome.performative.code === 1);
  });
});

describe('AMQP 1.0 bad input: frames', () => {
  it('closes with framing-error on a frame declaring 4 GiB', async () => {
    const peer = await openedPeer();
    peer.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0]));
    const close = await peer.frame(isClose);
    assert.equal(closeCondition(close), 'amqp:connection:framing-error');
    await peer.closed();
    await healthyStillWorks();
  });

  it('closes with framing-error on a frame declaring fewer than 8 octets', async () => {
    const peer = await openedPeer();
    peer.write(Buffer.from([0, 0, 0, 4, 2, 0, 0, 0]));
    assert.equal(closeCondition(await peer.frame(isClose)), 'amqp:connection:framing-error');
    await peer.closed();
  });

  it('closes with decode-error on an undecodable performative', async () => {
    const peer = await openedPeer();
    // A well-formed described empty list whose descriptor (0x99) names no performative.
    peer.write(Buffer.from([0, 0, 0, 0x0c, 2, 0, 0, 0, 0x00, 0x53, 0x99, 0x45]));
    const close = await peer.frame(isClose);
    assert.equal(closeCondition(close), 'amqp:decode-error');
    await peer.closed();
    await healthyStillWorks();
  });

  it('closes with decode-error on a performative whose list runs past its frame', async () => {
    const peer = await openedPeer();
    peer.write(Buffer.from([0, 0, 0, 0x0e, 2, 0, 0, 0, 0x00, 0x53, 0x11, 0xc0, 0x20, 0x05]));
    assert.equal(closeCondition(await peer.frame(isClose)), 'amqp:decode-error');
    await peer.closed();
  });

  it('closes with illegal-state on a second open, and answers our close with the end of the stream', async () => {
    const peer = await openedPeer([{ kind: 'open', containerId: 'again' }]);
    assert.equal(closeCondition(await peer.frame(isClose)), 'amqp:illegal-state');
    peer.write(encodeFrame(0, { kind: 'close' }));
    await peer.closed();
  });

  it('ends the session on a transfer for a handle that is not attached', async () => {
    const peer = await openedPeer([
      { kind: 'begin', nextOutgoingId: 0, incomingWindow: 100, outgoingWindow: 100 },
      { kind: 'transfer', handle: 7, deliveryId: 0, deliveryTag: Buffer.from([1]) },
    ]);
    const end = await peer.frame((f): f is AmqpFrame => f.type === 'amqp' && f.performative.kind === 'end');
    assert.ok(end?.performative.kind === 'end');
    assert.equal(end.performative.error?.condition, 'amqp:session:unattached-handle');
    peer.destroy();
  });

  it('closes with resource-limit-exceeded on a begin above channel-max', async () => {
    const peer = await openedPeer();
    const open = peer.frames.find(isOpen);
    assert.ok(open?.performative.kind === 'open');
    const channelMax = open.performative.channelMax;
    peer.write(encodeFrame(channelMax + 1, { kind: 'begin', nextOutgoingId: 0, incomingWindow: 10, outgoingWindow: 10 }));
    assert.equal(closeCondition(await peer.frame(isClose)), 'amqp:resource-limit-exceeded');
    peer.destroy();
  });

  it('ends the session on an attach above handle-max, and on a handle in use', async () => {
    const peer = await openedPeer([{ kind: 'begin', nextOutgoingId: 0, incomingWindow: 10, outgoingWindow: 10 }]);
    const begin = await peer.frame((f): f is AmqpFrame => f.type === 'amqp' && f.performative.kind === 'begin');
    assert.ok(begin?.performative.kind === 'begin');
    const handleMax = begin.performative.handleMax;
    const q = `queue://h-${randomUUID()}`;
    peer.write(encodeFrame(0, { kind: 'attach', name: 'over', handle: handleMax + 1, role: false, source: {}, target: { kind: 'target', address: q } }));
    const end = await peer.frame((f): f is AmqpFrame => f.type === 'amqp' && f.performative.kind === 'end');
    assert.ok(end?.performative.kind === 'end');
    assert.equal(end.performative.error?.condition, 'amqp:resource-limit-exceeded');
    // A new session on another channel: a handle used twice.
    peer.write(encodeFrame(0, { kind: 'end' }));
    peer.write(encodeFrame(1, { kind: 'begin', nextOutgoingId: 0, incomingWindow: 10, outgoingWindow: 10 }));
    for (const name of ['a', 'b']) peer.write(encodeFrame(1, { kind: 'attach', name, handle: 0, role: false, source: {}, target: { kind: 'target', address: q } }));
    const ends = await peer.until(() => peer.frames.filter((f) => f.type === 'amqp' && f.performative.kind === 'end').length >= 2);
    assert.ok(ends);
    const second = peer.frames.filter((f): f is AmqpFrame => f.type === 'amqp' && f.performative.kind === 'end')[1]!;
    assert.ok(second.performative.kind === 'end');
    assert.equal(second.performative.error?.condition, 'amqp:session:handle-in-use');
    peer.destroy();
  });

  it('detaches a link whose message exceeds max-message-size', async () => {
    const peer = await openedPeer([
      { kind: 'begin', nextOutgoingId: 0, incomingWindow: 100, outgoingWindow: 100 },
      { kind: 'attach', name: 'big', handle: 0, role: false, source: {}, target: { kind: 'target', address: `queue://big-${randomUUID()}` } },
    ]);
    await peer.frame((f): f is AmqpFrame => f.type === 'amqp' && f.performative.kind === 'flow');
    const payload = encodeMessage({ body: { kind: 'data', data: [Buffer.alloc(100 * 1024)] } });
    for (const frame of encodeTransferFrames(0, { handle: 0, deliveryId: 0, deliveryTag: Buffer.from([1]) }, payload, 16 * 1024)) peer.write(frame);
    const detach = await peer.frame((f): f is AmqpFrame => f.type === 'amqp' && f.performative.kind === 'detach');
    assert.ok(detach?.performative.kind === 'detach');
    assert.equal(detach.performative.error?.condition, 'amqp:link:message-size-exceeded');
    assert.equal(detach.performative.closed, true);
    peer.destroy();
    await healthyStillWorks();
  });
});

describe('AMQP 1.0: per-connection limits', () => {
  it('refuses a dynamic node past temporaryDestinationsMax, and a link past linksMax', async () => {
    const limited = await startAmqp10Broker({ temporaryDestinationsMax: 2, linksMax: 4 });
    try {
      const c = await connect(limited);
      for (let i = 0; i < 2; i++) await openReceiver(c, { source: { dynamic: true } as never });
      await assert.rejects(openReceiver(c, { source: { dynamic: true } as never }), (err: Error & { condition?: string }) => err.condition === 'amqp:resource-limit-exceeded');
      await openSender(c, `queue://limits-${randomUUID()}`);
      // 2 dynamic receivers and a sender are attached (the refused link is gone): one more fits, then none.
      await openSender(c, `queue://limits-${randomUUID()}`);
      await assert.rejects(openSender(c, `queue://limits-${randomUUID()}`), (err: Error & { condition?: string }) => err.condition === 'amqp:resource-limit-exceeded');
      await closeConnection(c);
    } finally {
      await limited.close();
    }
  });
});

describe('AMQP 1.0: idle time-out and shutdown', () => {
  it('sends empty frames at half the peer idle-time-out, and closes a silent peer', async () => {
    const idle = await startAmqp10Broker({ idleTimeoutMs: 600 });
    try {
      const peer = await RawPeer.open(idle);
      peer.write(Buffer.concat([SASL_PROTOCOL_HEADER, saslInit(idle.username, idle.password), AMQP_PROTOCOL_HEADER, encodeFrame(0, { kind: 'open', containerId: 'idle', idleTimeOut: 400 })]));
      const open = await peer.frame(isOpen);
      assert.ok(open?.performative.kind === 'open');
      assert.equal(open.performative.idleTimeOut, 600);
      assert.ok(await peer.until(() => peer.frames.some((f) => f.type === 'empty')), 'an empty frame keeps our idle-time-out');
      const close = await peer.frame(isClose);
      assert.equal(closeCondition(close), 'amqp:resource-limit-exceeded');
      peer.destroy();
    } finally {
      await idle.close();
    }
  });

  it('closes clients with amqp:connection:forced on shutdown', async () => {
    const other = await startAmqp10Broker();
    const c = await connect(other);
    const closed = new Promise<string | undefined>((resolve) => {
      c.once('connection_error', (ctx) => resolve((ctx.connection.error as { condition?: string } | undefined)?.condition));
      c.once('disconnected', () => resolve(undefined));
    });
    await other.close();
    assert.equal(await closed, 'amqp:connection:forced');
  });
});
