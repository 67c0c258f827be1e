// The session over an in-memory socket (no TLS): a scripted client does the handshake, then feeds
// valid frames with random mutations and random byte chunks. Whatever arrives, the session must
// never throw out of its event handlers, must answer only with well-formed frames, and must leave
// the broker serving: a fresh session afterwards still publishes and consumes.

import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { Broker } from '../../core/broker.ts';
import { MemoryMessageStore, createMemoryStoreState } from '../../core/memory-message-store.ts';
import {
  type Amqp091Frame,
  Amqp091FrameDecoder,
  encodeContentFrames,
  encodeMethodFrame,
  encodeProtocolHeader,
  toFieldTable,
} from '../../codec/amqp091/index.ts';
import { amqp091PropertiesCodec } from './properties-codec.ts';
import { createAmqp091Session, type Amqp091Session } from './session.ts';

let broker: Broker;
const USER = 'fuzz-user';
const PASSWORD = 'fuzz-password-1';
before(async () => {
  broker = await Broker.open({ store: new MemoryMessageStore(createMemoryStoreState()), codec: amqp091PropertiesCodec, passwordHashing: { logN: 4 } });
  await broker.users.addUser(USER, PASSWORD);
  await broker.users.setPermissions(USER, '/', { configure: '.*', write: '.*', read: '.*' });
});
after(async () => {
  await broker.close();
});

class MemoryPeer {
  readonly frames: Amqp091Frame[] = [];
  readonly server: Duplex;
  readonly session: Amqp091Session;
  #decoder = new Amqp091FrameDecoder({ expectProtocolHeader: false, frameSizeMaxBytes: 1 << 20 });
  #waiters: Array<() => void> = [];
  closed = false;
  /** While set, the peer does not read: the server's writes stay buffered (socket backpressure). */
  stalled = false;
  #stalledWrites: Array<[Buffer, (err?: Error | null) => void]> = [];

  constructor() {
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
          // A well-behaved client answers connection.close.
          if (f.type === 'method' && f.method.name === 'connection.close') setImmediate(() => this.send(encodeMethodFrame(0, 'connection.close-ok', {})));
        }
        for (const w of this.#waiters.splice(0)) w();
        cb();
      },
      final: (cb) => {
        // The server ended its side: end ours, so that the socket closes.
        this.closed = true;
        this.server.push(null);
        cb();
      },
    });
    this.server.on('close', () => {
      this.closed = true;
      for (const w of this.#waiters.splice(0)) w();
    });
    this.session = createAmqp091Session(this.server as unknown as Socket, { broker, closeTimeoutMs: 50, heartbeatSec: 0 });
  }

  /** Starts reading again: everything the server wrote arrives. */
  release(): void {
    this.stalled = false;
    for (const [chunk, cb] of this.#stalledWrites.splice(0)) {
      this.#decoder.push(chunk);
      for (let f = this.#decoder.next(); f !== undefined; f = this.#decoder.next()) this.frames.push(f);
      cb();
    }
    for (const w of this.#waiters.splice(0)) w();
  }

  send(bytes: Uint8Array): void {
    if (!this.server.destroyed && !this.server.readableEnded && !this.closed) this.server.push(Buffer.from(bytes));
  }

  async wait(name: string): Promise<void> {
    while (!this.frames.some((f) => f.type === 'method' && f.method.name === name)) {
      if (this.closed) throw new Error(`closed before ${name}`);
      await new Promise<void>((r) => this.#waiters.push(r));
    }
  }

  async handshake(): Promise<void> {
    this.send(encodeProtocolHeader());
    await this.wait('connection.start');
    this.send(encodeMethodFrame(0, 'connection.start-ok', { clientProperties: toFieldTable({}), response: `\0${USER}\0${PASSWORD}` }));
    await this.wait('connection.tune');
    this.send(encodeMethodFrame(0, 'connection.tune-ok', { frameMax: 131072, channelMax: 16, heartbeat: 0 }));
    this.send(encodeMethodFrame(0, 'connection.open', { virtualHost: '/' }));
    await this.wait('connection.open-ok');
    this.send(encodeMethodFrame(1, 'channel.open', {}));
    await this.wait('channel.open-ok');
  }
}

/** Valid frames a client might send on channel 1, to mutate. */
function seedFrames(): Buffer[] {
  return [
    encodeMethodFrame(1, 'queue.declare', { queue: 'fz', arguments: toFieldTable({ 'x-max-length': 10 }) }),
    encodeMethodFrame(1, 'queue.bind', { queue: 'fz', exchange: 'amq.topic', routingKey: 'a.#' }),
    encodeMethodFrame(1, 'exchange.declare', { exchange: 'fzx', type: 'headers', arguments: toFieldTable({ 'alternate-exchange': 'amq.fanout' }) }),
    encodeContentFrames(1, 'basic.publish', { exchange: 'amq.topic', routingKey: 'a.b', mandatory: true }, { headers: toFieldTable({ h: 1 }), deliveryMode: 2 }, Buffer.from('body'), 131072),
    encodeMethodFrame(1, 'basic.consume', { queue: 'fz', consumerTag: 'c' }),
    encodeMethodFrame(1, 'basic.ack', { deliveryTag: 1, multiple: true }),
    encodeMethodFrame(1, 'basic.qos', { prefetchCount: 2 }),
    encodeMethodFrame(1, 'confirm.select', {}),
    encodeMethodFrame(1, 'tx.select', {}),
    encodeMethodFrame(1, 'basic.get', { queue: 'fz' }),
    encodeMethodFrame(1, 'channel.close', { replyCode: 200, classId: 0, methodId: 0 }),
    encodeMethodFrame(2, 'channel.open', {}),
    encodeMethodFrame(1, 'queue.delete', { queue: 'fz' }),
  ];
}

describe('AMQP 0-9-1 session socket backpressure', () => {
  it('stops pulling deliveries while the socket buffer is full and resumes on drain', async () => {
    const keepAlive = setInterval(() => undefined, 1000);
    const peer = new MemoryPeer();
    await peer.handshake();
    peer.send(encodeMethodFrame(1, 'queue.declare', { queue: 'slow-reader', exclusive: true }));
    await peer.wait('queue.declare-ok');
    const count = 200;
    const body = Buffer.alloc(8 * 1024, 1);
    for (let i = 0; i < count; i++) peer.send(encodeContentFrames(1, 'basic.publish', { exchange: '', routingKey: 'slow-reader' }, {}, body, 131072));
    const ready = () => broker.queueStats().find((q) => q.name === 'slow-reader')?.ready ?? -1;
    while (ready() < count) await new Promise((r) => setImmediate(r));
    peer.stalled = true;
    peer.send(encodeMethodFrame(1, 'basic.consume', { queue: 'slow-reader', consumerTag: 'slow', noAck: true }));
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    const held = ready();
    // The socket's buffer (16 KiB high-water mark) holds a couple of 8 KiB deliveries, not 200.
    assert.ok(held > count - 10, `deliveries held back while the peer does not read (${held} of ${count} still ready)`);
    peer.release();
    while (ready() > 0) await new Promise((r) => setImmediate(r));
    while (peer.frames.filter((f) => f.type === 'method' && f.method.name === 'basic.deliver').length < count) {
      await new Promise((r) => setImmediate(r));
    }
    await peer.session.close();
    clearInterval(keepAlive);
  });
});

describe('AMQP 0-9-1 session under random input', () => {
  it('never throws, answers only well-formed frames, and leaves the broker serving', async () => {
    // In-memory sockets hold no handle: keep the event loop up while sessions run their (unref'd) timers.
    const keepAlive = setInterval(() => undefined, 1000);
    const seeds = seedFrames();
    const mutation = fc.record({
      picks: fc.array(fc.nat(seeds.length - 1), { minLength: 1, maxLength: 12 }),
      flips: fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 4 }),
      junk: fc.uint8Array({ maxLength: 64 }),
      chunk: fc.integer({ min: 1, max: 64 }),
    });
    await fc.assert(
      fc.asyncProperty(mutation, async ({ picks, flips, junk, chunk }) => {
        const peer = new MemoryPeer();
        await peer.handshake();
        const bytes = Buffer.concat([...picks.map((i) => seeds[i]!), Buffer.from(junk)]);
        for (const [at, value] of flips) bytes[at % bytes.length] = value;
        for (let i = 0; i < bytes.length; i += chunk) peer.send(bytes.subarray(i, i + chunk));
        for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
        await peer.session.close();
      }),
      { numRuns: 300 },
    );
    // The broker still serves a well-behaved client.
    const peer = new MemoryPeer();
    await peer.handshake();
    peer.send(encodeMethodFrame(1, 'queue.declare', { queue: 'after-fuzz', exclusive: true }));
    await peer.wait('queue.declare-ok');
    peer.send(encodeContentFrames(1, 'basic.publish', { exchange: '', routingKey: 'after-fuzz' }, {}, Buffer.from('ok'), 131072));
    peer.send(encodeMethodFrame(1, 'basic.get', { queue: 'after-fuzz', noAck: true }));
    await peer.wait('basic.get-ok');
    const body = peer.frames.find((f) => f.type === 'body');
    assert.equal(body?.type === 'body' ? body.payload.toString() : undefined, 'ok');
    await peer.session.close();
    clearInterval(keepAlive);
  });
});
