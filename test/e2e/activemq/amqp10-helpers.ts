// Shared pieces of the AMQP 1.0 end-to-end suites: an ActiveMQ test broker running the AMQP 1.0
// session, rhea connections over TLS with promises around their events, and a raw TLS socket that
// reads AMQP 1.0 frames back for the bad-input tests.

import { randomUUID } from 'node:crypto';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import rhea, { type Connection, type Delivery, type EventContext, type Message, type Receiver, type ReceiverOptions, type Sender, type SenderOptions } from 'rhea';
import { startActiveMqTestBroker, type ActiveMqTestBroker, type ActiveMqTestBrokerOptions } from '../../helpers/activemq-broker.ts';
import { createAmqp10Session, type Amqp10SessionOptions } from '../../../src/session/amqp10/index.ts';
import { type Amqp10Frame, Amqp10FrameDecoder } from '../../../src/codec/amqp10/index.ts';

export async function startAmqp10Broker(
  session: Partial<Omit<Amqp10SessionOptions, 'engine'>> = {},
  options: Partial<Omit<ActiveMqTestBrokerOptions, 'session'>> = {},
): Promise<ActiveMqTestBroker> {
  return startActiveMqTestBroker({
    ...options,
    session: (socket, engine) => createAmqp10Session(socket, { engine, remoteAddress: socket.remoteAddress, closeTimeoutMs: 1000, ...session }),
  });
}

export interface ConnectOptions {
  readonly username?: string;
  readonly password?: string;
  readonly containerId?: string;
  readonly maxFrameSize?: number;
  readonly idleTimeoutMs?: number;
}

/** A rhea connection over TLS, open; rejects with the connection error (SASL failure, close). */
export function connect(b: ActiveMqTestBroker, o: ConnectOptions = {}): Promise<Connection> {
  const container = rhea.create_container({ id: o.containerId ?? `test-${randomUUID()}` });
  const connection = container.connect({
    host: '127.0.0.1',
    port: b.port,
    transport: 'tls',
    ca: b.caPem,
    username: o.username ?? b.username,
    password: o.password ?? b.password,
    reconnect: false,
    ...(o.maxFrameSize === undefined ? {} : { max_frame_size: o.maxFrameSize }),
    ...(o.idleTimeoutMs === undefined ? {} : { idle_time_out: o.idleTimeoutMs }),
  } as Parameters<typeof container.connect>[0]);
  return new Promise((resolve, reject) => {
    connection.once('connection_open', () => resolve(connection));
    connection.once('connection_error', (ctx: EventContext) => reject(ctx.error ?? ctx.connection.error ?? new Error('connection error')));
    connection.once('disconnected', (ctx: EventContext) => reject(ctx.error ?? ctx.connection.error ?? new Error('disconnected')));
    connection.on('error', () => undefined);
  });
}

export function closeConnection(c: Connection): Promise<void> {
  if (!c.is_open()) return Promise.resolve();
  return new Promise((resolve) => {
    c.once('connection_close', () => resolve());
    c.once('disconnected', () => resolve());
    c.close();
  });
}

/** rhea hands a link's error over decoded or as the raw described list: one shape for the tests. */
export function linkError(raw: unknown): Error & { condition?: string; description?: string } {
  const e = raw as { condition?: unknown; description?: unknown; value?: Array<{ value?: unknown }> } | undefined;
  const condition = typeof e?.condition === 'string' ? e.condition : e?.value?.[0]?.value;
  const description = typeof e?.description === 'string' ? e.description : e?.value?.[1]?.value;
  return Object.assign(new Error(typeof description === 'string' ? description : 'link error'), {
    condition: typeof condition === 'string' ? condition : undefined,
    description: typeof description === 'string' ? description : undefined,
  });
}

export function openSender(c: Connection, target: SenderOptions['target'] | undefined, options: Omit<SenderOptions, 'target'> = {}): Promise<Sender> {
  const sender = c.open_sender(target === undefined ? options : { ...options, target });
  return new Promise((resolve, reject) => {
    sender.once('sender_open', () => setImmediate(() => sender.is_remote_open() && resolve(sender)));
    sender.once('sender_error', (ctx: EventContext) => reject(linkError(ctx.sender?.error)));
  });
}

export function openReceiver(c: Connection, options: ReceiverOptions): Promise<Receiver> {
  const receiver = c.open_receiver(options);
  return new Promise((resolve, reject) => {
    // A refused link is attached without a source, then at once detached with the error (section
    // 2.6.3): the broker writes both together, so the detach has arrived by the next turn.
    receiver.once('receiver_open', () => setImmediate(() => receiver.is_remote_open() && resolve(receiver)));
    receiver.once('receiver_error', (ctx: EventContext) => reject(linkError(ctx.receiver?.error)));
  });
}

/** Sends once the link has credit; resolves with the outcome the broker settled it with. */
export function send(sender: Sender, message: Message): Promise<'accepted' | 'rejected' | 'released' | 'modified' | 'settled'> {
  return new Promise((resolve, reject) => {
    const go = () => {
      const delivery = sender.send(message);
      if (sender.snd_settle_mode === 1) {
        resolve('settled');
        return;
      }
      const onAccepted = (ctx: EventContext) => {
        if (ctx.delivery !== delivery) return;
        off();
        resolve('accepted');
      };
      const onRejected = (ctx: EventContext) => {
        if (ctx.delivery !== delivery) return;
        off();
        resolve('rejected');
      };
      const onReleased = (ctx: EventContext) => {
        if (ctx.delivery !== delivery) return;
        off();
        resolve('released');
      };
      const onError = (ctx: EventContext) => {
        off();
        reject(ctx.sender?.error ?? new Error('sender error'));
      };
      const off = () => {
        sender.off('accepted', onAccepted);
        sender.off('rejected', onRejected);
        sender.off('released', onReleased);
        sender.off('sender_error', onError);
      };
      sender.on('accepted', onAccepted);
      sender.on('rejected', onRejected);
      sender.on('released', onReleased);
      sender.on('sender_error', onError);
    };
    if (sender.sendable()) go();
    else sender.once('sendable', go);
  });
}

/** The outcome's error of the last rejected delivery on `sender` (the rejected event's context). */
export function sendExpectRejection(sender: Sender, message: Message): Promise<{ condition: string; description?: string }> {
  return new Promise((resolve, reject) => {
    const go = () => {
      const delivery = sender.send(message);
      const onRejected = (ctx: EventContext) => {
        if (ctx.delivery !== delivery) return;
        sender.off('rejected', onRejected);
        const state = ctx.delivery.remote_state as { error?: { condition: string; description?: string } } | undefined;
        resolve(state?.error ?? { condition: '' });
      };
      sender.on('rejected', onRejected);
      sender.once('accepted', (ctx: EventContext) => {
        if (ctx.delivery === delivery) reject(new Error('accepted'));
      });
    };
    if (sender.sendable()) go();
    else sender.once('sendable', go);
  });
}

/** Collects messages of a receiver; `next()` waits for the next one. */
export class Inbox {
  readonly items: Array<{ message: Message; delivery: Delivery }> = [];
  #waiters: Array<() => void> = [];
  #taken = 0;

  constructor(readonly receiver: Receiver) {
    receiver.on('message', (ctx: EventContext) => {
      this.items.push({ message: ctx.message!, delivery: ctx.delivery! });
      for (const w of this.#waiters.splice(0)) w();
    });
  }

  async next(): Promise<{ message: Message; delivery: Delivery }> {
    while (this.items.length <= this.#taken) await new Promise<void>((resolve) => this.#waiters.push(resolve));
    return this.items[this.#taken++]!;
  }

  async take(n: number): Promise<Array<{ message: Message; delivery: Delivery }>> {
    const out = [];
    for (let i = 0; i < n; i++) out.push(await this.next());
    return out;
  }
}

export function detach(link: Receiver | Sender): Promise<void> {
  return new Promise((resolve) => {
    link.once(link.is_receiver() ? 'receiver_close' : 'sender_close', () => resolve());
    link.detach();
  });
}

export function closeLink(link: Receiver | Sender): Promise<void> {
  return new Promise((resolve) => {
    link.once(link.is_receiver() ? 'receiver_close' : 'sender_close', () => resolve());
    link.close();
  });
}

/** A raw TLS connection to the broker that decodes what the server writes as AMQP 1.0 frames. */
export class RawPeer {
  readonly frames: Amqp10Frame[] = [];
  readonly received: Buffer[] = [];
  ended = false;
  #decoder = new Amqp10FrameDecoder({ expectProtocolHeader: true, frameSizeMaxBytes: 1 << 20 });
  #waiters: Array<() => void> = [];
  decodeError: unknown;

  private constructor(readonly socket: TLSSocket) {
    socket.on('data', (chunk: Buffer) => {
      this.received.push(chunk);
      this.#decoder.push(chunk);
      try {
        for (let f = this.#decoder.next(); f !== undefined; f = this.#decoder.next()) {
          this.frames.push(f);
          // After the server's SASL outcome comes its AMQP header.
          if (f.type === 'sasl' && f.performative.kind === 'sasl-outcome') this.#decoder.expectProtocolHeader();
        }
      } catch (err) {
        this.decodeError = err;
      }
      this.#wake();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.ended = true;
      this.#wake();
    });
  }

  static open(b: ActiveMqTestBroker): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const socket = tlsConnect({ host: '127.0.0.1', port: b.port, ca: b.caPem }, () => resolve(new RawPeer(socket)));
      socket.once('error', reject);
    });
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Waits until `predicate` holds for what has arrived, or the socket closed (then checks once more). */
  async until(predicate: () => boolean): Promise<boolean> {
    while (!predicate()) {
      if (this.ended) return predicate();
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
    return true;
  }

  async closed(): Promise<void> {
    await this.until(() => false);
  }

  /** The first frame matching, waiting for it. */
  async frame<T extends Amqp10Frame>(match: (f: Amqp10Frame) => f is T): Promise<T | undefined> {
    await this.until(() => this.frames.some(match));
    return this.frames.find(match);
  }

  destroy(): void {
    this.socket.destroy();
  }
}
