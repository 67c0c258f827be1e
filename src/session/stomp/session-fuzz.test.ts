// The STOMP session under random client behaviour, on the real ActiveMQ engine over an in-memory
// stream: after CONNECT, random sequences of client frames (plausible headers, ids that exist or
// not, transactions, acks of anything), some mutated at the byte level, fed in random chunks, then
// DISCONNECT and the end of the stream. Whatever arrives, the session must not throw out of its
// handlers, must write only well-formed server frames (the peer's decoder would throw), must close
// once the client goes, and the broker must keep serving a fresh session afterwards.

import assert from 'node:assert/strict';
import { duplexPair } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { encodeStompFrame, type StompClientCommand } from '../../codec/stomp/index.ts';
import { Broker } from '../../core/broker.ts';
import { MemoryMessageStore, createMemoryStoreState } from '../../core/memory-message-store.ts';
import { activeMqPropertiesCodec, createActiveMqEngine } from '../../core/activemq/index.ts';
import type { AmqEngine } from '../../core/activemq/api.ts';
import { createStompSession } from './session.ts';
import { StompTestPeer } from './test-peer.ts';

const USER = 'fuzz-user';
const PASSWORD = 'fuzz-password-1';
let broker: Broker;
let engine: AmqEngine;

before(async () => {
  broker = await Broker.open({ store: new MemoryMessageStore(createMemoryStoreState()), codec: activeMqPropertiesCodec, passwordHashing: { logN: 4 } });
  await broker.users.addUser(USER, PASSWORD);
  engine = createActiveMqEngine(broker, { maximumRedeliveries: 1 });
});
after(async () => {
  await broker.close();
});

const destinationArb = fc.constantFrom('/queue/fz.a', '/queue/fz.b', '/topic/fz.t', '/topic/fz.*', '/topic/fz.>', '/temp-queue/r', 'bad', '/queue/');
const idArb = fc.constantFrom('0', '1', '2', 'x');
const txArb = fc.constantFrom('t1', 't2');
const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

const frameArb: fc.Arbitrary<{ command: StompClientCommand; headers: Record<string, string>; body: string }> = fc.oneof(
  fc.record({
    command: fc.constant('SEND' as const),
    headers: fc.record(
      {
        destination: destinationArb,
        persistent: fc.constantFrom('true', 'false'),
        priority: fc.constantFrom('0', '4', '9', '10', 'x'),
        transaction: txArb,
        receipt: fc.constantFrom('r1', 'r2'),
        'reply-to': destinationArb,
        colour: fc.constantFrom('red', 'blue'),
      },
      { requiredKeys: ['destination'] },
    ),
    body: fc.string({ maxLength: 30 }),
  }),
  fc.record({
    command: fc.constant('SUBSCRIBE' as const),
    headers: fc.record(
      {
        id: idArb,
        destination: destinationArb,
        ack: fc.constantFrom('auto', 'client', 'client-individual', 'bogus'),
        selector: fc.constantFrom("colour = 'red'", 'JMSPriority > 3', 'colour =', 'a IN ('),
        'activemq.prefetchSize': fc.constantFrom('1', '5', '0', 'many'),
        'activemq.subscriptionName': fc.constantFrom('d1'),
        receipt: fc.constantFrom('s1'),
      },
      { requiredKeys: ['destination'] },
    ),
    body: fc.constant(''),
  }),
  fc.record({ command: fc.constantFrom('ACK' as const, 'NACK' as const), headers: fc.record({ id: fc.constantFrom('1', '2', '3', '99', 'x'), transaction: txArb }, { requiredKeys: [] }), body: fc.constant('') }),
  fc.record({ command: fc.constant('UNSUBSCRIBE' as const), headers: fc.record({ id: idArb, 'activemq.subscriptionName': fc.constant('d1') }, { requiredKeys: [] }), body: fc.constant('') }),
  fc.record({ command: fc.constantFrom('BEGIN' as const, 'COMMIT' as const, 'ABORT' as const), headers: fc.record({ transaction: txArb, receipt: fc.constant('tx') }, { requiredKeys: [] }), body: fc.constant('') }),
  fc.record({ command: fc.constantFrom('CONNECT' as const, 'STOMP' as const), headers: fc.constant({}), body: fc.constant('') }),
);

const scriptArb = fc.record({
  version: fc.constantFrom('1.0', '1.1', '1.2'),
  clientId: optional(fc.constantFrom('fuzz-client')),
  frames: fc.array(frameArb, { maxLength: 12 }),
  mutation: optional(fc.record({ at: fc.nat(), byte: fc.constantFrom(0x00, 0x0a, 0x0d, 0x3a, 0x5c, 0xff, 0x41) })),
  chunk: fc.integer({ min: 1, max: 64 }),
});

/** Resolves once the session has closed the stream; the stream ending is the test's proof. */
type Script = typeof scriptArb extends fc.Arbitrary<infer T> ? T : never;

async function runScript(script: Script): Promise<void> {
  const [client, server] = duplexPair();
  createStompSession(server, { engine, closeTimeoutMs: 200, subscriptionsMax: 3 });
  const peer = new StompTestPeer(client);
  const connect: Record<string, string> = { 'accept-version': script.version, login: USER, passcode: PASSWORD, host: 'h' };
  if (script.clientId !== undefined) connect['client-id'] = script.clientId;
  const f = await peer.connect(connect);
  if (f.command !== 'CONNECTED') return; // e.g. the client id is still held by a closing run
  let bytes = Buffer.concat(script.frames.map((fr) => encodeStompFrame({ command: fr.command, headers: fr.headers, body: fr.body }, script.version as '1.0')));
  if (script.mutation !== undefined && bytes.length > 0) {
    bytes = Buffer.from(bytes);
    bytes[script.mutation.at % bytes.length] = script.mutation.byte;
  }
  for (let at = 0; at < bytes.length; at += script.chunk) peer.raw(bytes.subarray(at, at + script.chunk));
  peer.send('DISCONNECT', { receipt: 'bye' });
  peer.end();
  await peer.closed;
}

describe('STOMP session fuzz', () => {
  it('survives random frame sequences, mutated and chunked, and the broker keeps serving', async () => {
    await fc.assert(fc.asyncProperty(scriptArb, runScript), { numRuns: 300, seed: 0x570e5 });
    // A fresh session still sends and receives.
    const [client, server] = duplexPair();
    const session = createStompSession(server, { engine });
    const peer = new StompTestPeer(client);
    assert.equal((await peer.connect({ 'accept-version': '1.2', login: USER, passcode: PASSWORD, host: 'h' })).command, 'CONNECTED');
    peer.send('SUBSCRIBE', { id: 'ok', destination: '/queue/fz.after' });
    peer.send('SEND', { destination: '/queue/fz.after' }, 'alive');
    assert.equal((await peer.next('MESSAGE')).body.toString(), 'alive');
    await session.close();
  });
});
