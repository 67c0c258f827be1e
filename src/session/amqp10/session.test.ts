// The AMQP 1.0 session over an in-memory stream (no TLS) on the real ActiveMQ engine: a scripted peer
// does the handshake in random chunks and moves a message through, then feeds sequences of valid
// performatives with random mutations, in random chunks. Whatever arrives, the session must never
// throw out of its handlers, must write only well-formed frames, must end only its own connection,
// and must leave the engine serving: a fresh session afterwards still sends and receives.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Duplex } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { openEngine, type EngineFixture } from '../../core/activemq/engine-test-support.ts';
import {
  AMQP_PROTOCOL_HEADER,
  type Amqp10Frame,
  Amqp10FrameDecoder,
  encodeFrame,
  encodeMessage,
  encodeSaslFrame,
  type PerformativeInit,
  SASL_PROTOCOL_HEADER,
} from '../../codec/amqp10/index.ts';
import { createAmqp10Session, type Amqp10Session } from './session.ts';

let fixture: EngineFixture;
// An in-memory stream holds no handle open, and the engine's store batches on unref'd timers: a
// socket would keep the process alive, this interval does it here.
let keepAlive: NodeJS.Timeout;
const USER = 'amqp10-session-user';
const PASSWORD = randomBytes(9).toString('base64url');

before(async () => {
  keepAlive = setInterval(() => undefined, 1000);
  fixture = await openEngine();
  await fixture.broker.users.addUser(USER, PASSWORD);
});
after(async () => {
  await fixture.close();
  clearInterval(keepAlive);
});

/** Cuts `b` into chunks of random sizes (1 to 64 octets) with `rand`. */
function chunks(b: Buffer, rand: () => number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < b.length; ) {
    const n = 1 + Math.floor(rand() * 64);
    out.push(b.subarray(i, i + n));
    i += n;
  }
  return out;
}

class MemoryPeer {
  readonly frames: Amqp10Frame[] = [];
  readonly server: Duplex;
  readonly session: Amqp10Session;
  #decoder = new Amqp10FrameDecoder({ expectProtocolHeader: true, frameSizeMaxBytes: 1 << 20 });
  #waiters: Array<() => void> = [];
  ended = false;
  /** While set, the peer does not read: the server's writes stay buffered (socket backpressure). */
  stalled = false;
  #stalledWrites: Array<[Buffer, (err?: Error | null) => void]> = [];

  constructor(options: { frameSizeMaxBytes?: number } = {}) {
    this.server = new Duplex({
      read: () => undefined,
      write: (chunk: Buffer, _enc, cb) => {
        if (this.stalled) {
          this.#stalledWrites.push([Buffer.from(chunk), cb]);
          return;
        }
        this.#decoder.push(Buffer.from(chunk));
        // Must never throw: the server writes only well-formed frames.
        for (let f = this.#decoder.next(); f !== undefined; f = this.#decoder.next()) {
          this.frames.push(f);
          if (f.type === 'sasl' && f.performative.kind === 'sasl-outcome') this.#decoder.expectProtocolHeader();
          // A well-behaved peer answers close.
          if (f.type === 'amqp' && f.performative.kind === 'close') setImmediate(() => this.send(encodeFrame(0, { kind: 'close' })));
        }
        this.#wake();
        cb();
      },
      final: (cb) => {
        this.ended = true;
        this.#wake();
        cb();
        // The peer answers the end of the stream with its own.
        setImmediate(() => this.server.push(null));
      },
    });
    this.server.on('close', () => {
      this.ended = true;
      this.#wake();
    });
    this.session = createAmqp10Session(this.server, { engine: fixture.engine, closeTimeoutMs: 200, frameSizeMaxBytes: options.frameSizeMaxBytes ?? 4096 });
  }

  /** Starts reading again: the buffered writes arrive. */
  unstall(): void {
    this.stalled = false;
    for (const [chunk, cb] of this.#stalledWrites.splice(0)) (this.server as unknown as { _write(c: Buffer, e: string, cb: (err?: Error | null) => void): void })._write(chunk, 'buffer', cb);
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  send(bytes: Buffer, rand?: () => number): void {
    if (this.server.destroyed) return;
    for (const c of rand === undefined ? [bytes] : chunks(bytes, rand)) this.server.push(c);
  }

  async until(predicate: () => boolean): Promise<boolean> {
    while (!predicate()) {
      if (this.ended) return predicate();
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
    return true;
  }

  handshake(): Buffer {
    return Buffer.concat([
      SASL_PROTOCOL_HEADER,
      encodeSaslFrame({ kind: 'sasl-init', mechanism: 'PLAIN', initialResponse: Buffer.from(`\0${USER}\0${PASSWORD}`) }),
      AMQP_PROTOCOL_HEADER,
      encodeFrame(0, { kind: 'open', containerId: 'memory-peer' }),
    ]);
  }
}

const begin: PerformativeInit = { kind: 'begin', nextOutgoingId: 0, incomingWindow: 100, outgoingWindow: 100 };

/** A sender and a receiver link on `queue`, credit for the receiver, and one message. */
function roundTrip(queue: string, body: string): Buffer {
  return Buffer.concat([
    encodeFrame(0, begin),
    encodeFrame(0, { kind: 'attach', name: 'out', handle: 0, role: false, source: {}, target: { kind: 'target', address: queue } }),
    encodeFrame(0, { kind: 'attach', name: 'in', handle: 1, role: true, source: { address: queue }, target: { kind: 'target' } }),
    encodeFrame(0, { kind: 'flow', nextIncomingId: 0, incomingWindow: 100, nextOutgoingId: 1, outgoingWindow: 100, handle: 1, deliveryCount: 0, linkCredit: 5 }),
    encodeFrame(0, { kind: 'transfer', handle: 0, deliveryId: 0, deliveryTag: Buffer.from([0]) }, encodeMessage({ body: { kind: 'amqp-value', value: body } })),
  ]);
}

function transferredBodies(peer: MemoryPeer): string[] {
  return peer.frames.filter((f) => f.type === 'amqp' && f.performative.kind === 'transfer').map((f) => (f.type === 'amqp' ? (f.payload ?? Buffer.alloc(0)).toString('latin1') : ''));
}

describe('AMQP 1.0 session over an in-memory stream', () => {
  it('handshakes and moves a message with input in random chunks', async () => {
    const rand = fc.sample(fc.double({ min: 0, max: 1, maxExcluded: true }), { numRuns: 1, seed: 7 })[0]!;
    let state = Math.floor(rand * 2 ** 31);
    const next = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const peer = new MemoryPeer();
    peer.send(Buffer.concat([peer.handshake(), roundTrip('queue://chunked', 'through-the-chunks')]), next);
    assert.ok(await peer.until(() => transferredBodies(peer).some((b) => b.includes('through-the-chunks'))));
    const kinds = peer.frames.map((f) => (f.type === 'amqp' || f.type === 'sasl' ? f.performative.kind : f.type));
    assert.deepEqual(kinds.slice(0, 5), ['protocol-header', 'sasl-mechanisms', 'sasl-outcome', 'protocol-header', 'open']);
    await peer.session.close();
    const close = peer.frames.find((f) => f.type === 'amqp' && f.performative.kind === 'close');
    assert.equal(close?.type === 'amqp' && close.performative.kind === 'close' ? close.performative.error?.condition : undefined, 'amqp:connection:forced');
  });

  it('a peer that stops reading stops the engine handing over deliveries (slow consumer)', async () => {
    const queue = 'slow-consumer';
    const producer = await fixture.engine.connect({ username: USER, password: PASSWORD });
    const body = Buffer.alloc(16 * 1024, 1);
    const total = 1000;
    for (let i = 0; i < total; i++) await producer.send({ kind: 'queue', name: queue }, { body, bodyType: 'bytes', persistent: false });
    const peer = new MemoryPeer({ frameSizeMaxBytes: 65536 });
    peer.send(peer.handshake());
    await peer.until(() => peer.frames.some((f) => f.type === 'amqp' && f.performative.kind === 'open'));
    peer.stalled = true;
    peer.send(
      Buffer.concat([
        encodeFrame(0, begin),
        encodeFrame(0, { kind: 'attach', name: 'in', handle: 0, role: true, sndSettleMode: 1, source: { address: `queue://${queue}` }, target: { kind: 'target' } }),
        encodeFrame(0, { kind: 'flow', nextIncomingId: 0, incomingWindow: 100_000, nextOutgoingId: 1, outgoingWindow: 100, handle: 0, deliveryCount: 0, linkCredit: 100_000 }),
      ]),
    );
    // Wait until the writes back up, then give the engine every chance to over-deliver.
    while (peer.server.writableLength < 4 * 1024 * 1024) await new Promise((resolve) => setImmediate(resolve));
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    const coreQueue = fixture.broker.vhosts.get('/')!.queue(queue, undefined);
    const left = coreQueue.messageCount;
    assert.ok(left > total / 2, `the engine kept ${left} of ${total} while the peer did not read`);
    assert.ok(peer.server.writableLength < 6 * 1024 * 1024, `buffered ${peer.server.writableLength} octets`);
    peer.unstall();
    assert.ok(await peer.until(() => peer.frames.filter((f) => f.type === 'amqp' && f.performative.kind === 'transfer').length >= total));
    assert.equal(coreQueue.messageCount, 0);
    await peer.session.close();
    await producer.close();
  });

  it('survives mutated performative sequences in random chunks, and the engine keeps serving', async () => {
    const performatives: fc.Arbitrary<PerformativeInit> = fc.oneof(
      fc.constant(begin),
      fc.record({
        kind: fc.constant('attach' as const),
        name: fc.string({ maxLength: 8 }),
        handle: fc.nat(4),
        role: fc.boolean(),
        sndSettleMode: fc.constantFrom(0 as const, 1 as const, 2 as const),
        source: fc.record({ address: fc.constantFrom('queue://fz', 'topic://fz', 'fz', 'queue://a.>', '', 'temp-queue://nope'), dynamic: fc.boolean() }),
        target: fc.record({ kind: fc.constant('target' as const), address: fc.constantFrom('queue://fz', 'topic://fz', 'topic://*', 'x') }),
      }),
      fc.record({
        kind: fc.constant('flow' as const),
        incomingWindow: fc.nat(200),
        nextOutgoingId: fc.nat(10),
        outgoingWindow: fc.nat(200),
        handle: fc.option(fc.nat(4), { nil: undefined }),
        linkCredit: fc.option(fc.nat(20), { nil: undefined }),
        deliveryCount: fc.option(fc.nat(5), { nil: undefined }),
        drain: fc.boolean(),
        echo: fc.boolean(),
      }),
      fc.record({ kind: fc.constant('transfer' as const), handle: fc.nat(4), deliveryId: fc.nat(10), deliveryTag: fc.constant(Buffer.from([1])), settled: fc.boolean(), more: fc.boolean() }),
      fc.record({ kind: fc.constant('disposition' as const), role: fc.boolean(), first: fc.nat(10), last: fc.option(fc.nat(0xffff_ffff), { nil: undefined }), settled: fc.boolean(), state: fc.constantFrom({ kind: 'accepted' as const }, { kind: 'released' as const }, { kind: 'rejected' as const }, { kind: 'modified' as const, undeliverableHere: true }) }),
      fc.record({ kind: fc.constant('detach' as const), handle: fc.nat(4), closed: fc.boolean() }),
      fc.constant({ kind: 'end' as const }),
    );
    const step = fc.tuple(performatives, fc.nat(3), fc.nat(0xffff), fc.nat(255));
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 2 ** 30 }), async (steps, seed) => {
        let state = seed;
        const rand = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
        const peer = new MemoryPeer();
        peer.send(peer.handshake());
        await peer.until(() => peer.frames.some((f) => f.type === 'amqp' && f.performative.kind === 'open'));
        for (const [p, mutation, where, value] of steps) {
          let bytes = encodeFrame(0, p, p.kind === 'transfer' ? encodeMessage({ body: { kind: 'amqp-value', value: 'fz' } }) : undefined);
          if (mutation === 1) {
            bytes = Buffer.from(bytes);
            bytes[where % bytes.length] = value;
          } else if (mutation === 2) bytes = bytes.subarray(0, Math.max(1, where % bytes.length));
          peer.send(bytes, rand);
          await new Promise((resolve) => setImmediate(resolve));
        }
        await peer.session.close();
        assert.ok(peer.server.destroyed || peer.ended);
      }),
      { numRuns: 150, seed: 0x5ea10 },
    );
    // The engine still serves a fresh connection.
    const peer = new MemoryPeer();
    peer.send(Buffer.concat([peer.handshake(), roundTrip('queue://after-fuzz', 'still-serving')]));
    assert.ok(await peer.until(() => transferredBodies(peer).some((b) => b.includes('still-serving'))));
    await peer.session.close();
  });
});
