// AMQP 1.0 local transactions (part 4) through a coordinator link, driven from a raw TLS peer (rhea
// has no transaction API): declare, transactional sends that appear only on commit, a rollback that
// drops them, an acknowledgement inside a transaction that a rollback undoes (the message comes
// back), and an unknown txn-id refused. A rhea receiver checks what the queue holds.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Connection } from 'rhea';
import type { ActiveMqTestBroker } from '../../helpers/activemq-broker.ts';
import {
  AMQP_PROTOCOL_HEADER,
  type Amqp10Frame,
  type AmqpFrame,
  type AmqpValue,
  encodeDeclareValue,
  encodeDischargeValue,
  encodeFrame,
  encodeMessage,
  encodeSaslFrame,
  type PerformativeInit,
  SASL_PROTOCOL_HEADER,
} from '../../../src/codec/amqp10/index.ts';
import { closeConnection, closeLink, connect, Inbox, openReceiver, RawPeer, startAmqp10Broker } from './amqp10-helpers.ts';

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

/** A raw client with a session, a coordinator on handle 0 and a sender to `queue` on handle 1. */
class TxClient {
  #deliveryId = 0;
  #seen = 0;

  private constructor(readonly peer: RawPeer) {}

  static async open(queue: string): Promise<TxClient> {
    const peer = await RawPeer.open(b);
    const response = Buffer.from(`\0${b.username}\0${b.password}`);
    peer.write(
      Buffer.concat([
        SASL_PROTOCOL_HEADER,
        encodeSaslFrame({ kind: 'sasl-init', mechanism: 'PLAIN', initialResponse: response }),
        AMQP_PROTOCOL_HEADER,
        encodeFrame(0, { kind: 'open', containerId: `tx-${randomUUID()}` }),
        encodeFrame(0, { kind: 'begin', nextOutgoingId: 0, incomingWindow: 1000, outgoingWindow: 1000 }),
        encodeFrame(0, { kind: 'attach', name: 'coordinator', handle: 0, role: false, source: {}, target: { kind: 'coordinator', capabilities: ['amqp:local-transactions'] } }),
        encodeFrame(0, { kind: 'attach', name: 'sender', handle: 1, role: false, source: {}, target: { kind: 'target', address: queue } }),
      ]),
    );
    const client = new TxClient(peer);
    await client.next((f) => f.performative.kind === 'flow' && f.performative.handle === 1);
    return client;
  }

  /** The next frame (after those already taken) that matches. */
  async next(match: (f: AmqpFrame) => boolean): Promise<AmqpFrame> {
    for (;;) {
      const ok = await this.peer.until(() => this.peer.frames.slice(this.#seen).some((f) => f.type === 'amqp' && match(f)));
      assert.ok(ok, 'the connection closed before the frame came');
      const index = this.peer.frames.findIndex((f, i) => i >= this.#seen && f.type === 'amqp' && match(f));
      this.#seen = index + 1;
      return this.peer.frames[index] as AmqpFrame;
    }
  }

  write(p: PerformativeInit, payload?: Buffer): void {
    this.peer.write(encodeFrame(0, p, payload));
  }

  /** Transfers `body` on `handle` and returns the disposition state the broker settles it with. */
  async transfer(handle: number, body: AmqpValue, state?: Extract<PerformativeInit, { kind: 'transfer' }>['state']): Promise<NonNullable<Extract<Amqp10Frame, { type: 'amqp' }>['performative'] & { kind: 'disposition' }>['state']> {
    const deliveryId = this.#deliveryId++;
    this.write(
      { kind: 'transfer', handle, deliveryId, deliveryTag: Buffer.from([deliveryId]), ...(state === undefined ? {} : { state }) },
      encodeMessage({ body: { kind: 'amqp-value', value: body } }),
    );
    const d = await this.next((f) => f.performative.kind === 'disposition' && f.performative.first <= deliveryId && (f.performative.last ?? f.performative.first) >= deliveryId);
    assert.ok(d.performative.kind === 'disposition');
    return d.performative.state;
  }

  async declare(): Promise<Buffer> {
    const state = await this.transfer(0, encodeDeclareValue({}));
    assert.equal(state?.kind, 'declared');
    return (state as { txnId: Buffer }).txnId;
  }

  async discharge(txnId: Buffer, fail: boolean): Promise<string | undefined> {
    const state = await this.transfer(0, encodeDischargeValue({ txnId, fail }));
    return state?.kind;
  }
}

/** Every message in `queue` now: a receiver drains its credit and reports what came. */
async function drainQueue(queue: string): Promise<string[]> {
  const receiver = await openReceiver(conn, { source: queue, credit_window: 0 });
  const inbox = new Inbox(receiver);
  const drained = new Promise<void>((resolve) => receiver.once('receiver_drained', () => resolve()));
  receiver.drain = true;
  receiver.add_credit(100);
  await drained;
  await closeLink(receiver);
  return inbox.items.map((i) => i.message.body as string);
}

describe('AMQP 1.0 transactions', () => {
  it('a committed transaction delivers its messages, a rolled-back one does not', async () => {
    const queue = `queue://tx-${randomUUID().slice(0, 8)}`;
    const client = await TxClient.open(queue);
    const committed = await client.declare();
    const rolledBack = await client.declare();
    assert.notDeepEqual(committed, rolledBack);
    const sendState = await client.transfer(1, 'kept', { kind: 'transactional-state', txnId: committed });
    assert.equal(sendState?.kind, 'transactional-state');
    assert.equal((sendState as { outcome?: { kind: string } }).outcome?.kind, 'accepted');
    await client.transfer(1, 'dropped', { kind: 'transactional-state', txnId: rolledBack });
    assert.deepEqual(await drainQueue(queue), [], 'nothing is visible before the discharge');
    assert.equal(await client.discharge(rolledBack, true), 'accepted');
    assert.equal(await client.discharge(committed, false), 'accepted');
    assert.deepEqual(await drainQueue(queue), ['kept']);
    client.peer.destroy();
  });

  it('refuses a discharge of an unknown transaction', async () => {
    const client = await TxClient.open(`queue://tx-${randomUUID().slice(0, 8)}`);
    const state = await client.transfer(0, encodeDischargeValue({ txnId: Buffer.from('nope'), fail: false }));
    assert.equal(state?.kind, 'rejected');
    assert.equal((state as { error?: { condition: string } }).error?.condition, 'amqp:transaction:unknown-id');
    client.peer.destroy();
  });

  it('an acknowledgement inside a rolled-back transaction gives the message back', async () => {
    const queue = `queue://tx-${randomUUID().slice(0, 8)}`;
    const client = await TxClient.open(queue);
    assert.equal((await client.transfer(1, 'to-ack'))?.kind, 'accepted');
    const txnId = await client.declare();
    client.write({ kind: 'attach', name: 'receiver', handle: 2, role: true, source: { address: queue }, target: { kind: 'target' } });
    await client.next((f) => f.performative.kind === 'attach' && f.performative.name === 'receiver');
    client.write({ kind: 'flow', nextIncomingId: 0, incomingWindow: 1000, nextOutgoingId: 100, outgoingWindow: 1000, handle: 2, deliveryCount: 0, linkCredit: 1 });
    const t = await client.next((f) => f.performative.kind === 'transfer');
    assert.ok(t.performative.kind === 'transfer' && t.performative.deliveryId !== undefined);
    client.write({ kind: 'disposition', role: true, first: t.performative.deliveryId, settled: true, state: { kind: 'transactional-state', txnId, outcome: { kind: 'accepted' } } });
    assert.equal(await client.discharge(txnId, true), 'accepted');
    // Rolled back: the same receiver gets the message again once it gives credit.
    client.write({ kind: 'flow', nextIncomingId: 1, incomingWindow: 1000, nextOutgoingId: 100, outgoingWindow: 1000, handle: 2, deliveryCount: 1, linkCredit: 1 });
    const again = await client.next((f) => f.performative.kind === 'transfer');
    assert.ok(again.performative.kind === 'transfer' && again.performative.deliveryId !== undefined);
    assert.notEqual(again.performative.deliveryId, t.performative.deliveryId);
    // This time the transaction commits: the acknowledgement holds after the connection is gone.
    const second = await client.declare();
    client.write({ kind: 'disposition', role: true, first: again.performative.deliveryId, settled: true, state: { kind: 'transactional-state', txnId: second, outcome: { kind: 'accepted' } } });
    assert.equal(await client.discharge(second, false), 'accepted');
    client.peer.destroy();
    await client.peer.closed();
    assert.deepEqual(await drainQueue(queue), []);
  });
});
