// A scripted AMQP 0-9-1 peer on a raw TLS socket, for bad-input and limit tests: it speaks just
// enough of the handshake with the codec's encoders, then sends whatever bytes a test wants and
// reports the frames the server answers with and when the socket ends.

import { connect, type TLSSocket } from 'node:tls';
import {
  type Amqp091Frame,
  Amqp091FrameDecoder,
  encodeMethodFrame,
  encodeProtocolHeader,
  type MethodName,
  type MethodInputArgs,
  toFieldTable,
} from '../../../src/codec/amqp091/index.ts';

export class RawAmqpClient {
  readonly frames: Amqp091Frame[] = [];
  readonly raw: Buffer[] = [];
  /** Answer the server's connection.close with close-ok, as a well-behaved client does. */
  answerClose = true;
  readonly ended: Promise<void>;
  #decoder = new Amqp091FrameDecoder({ expectProtocolHeader: false, frameSizeMaxBytes: 1 << 20 });
  #waiters: Array<() => void> = [];

  private constructor(readonly socket: TLSSocket) {
    socket.on('data', (chunk: Buffer) => {
      this.raw.push(chunk);
      this.#decoder.push(chunk);
      try {
        for (let f = this.#decoder.next(); f !== undefined; f = this.#decoder.next()) {
          this.frames.push(f);
          if (this.answerClose && f.type === 'method' && f.method.name === 'connection.close' && !socket.destroyed) {
            socket.write(encodeMethodFrame(0, 'connection.close-ok', {}));
          }
        }
      } catch {
        // A protocol header answer is not a frame; tests look at `raw` for it.
      }
      for (const w of this.#waiters.splice(0)) w();
    });
    socket.on('error', () => undefined);
    this.ended = new Promise((resolve) => socket.once('close', () => resolve()));
    void this.ended.then(() => {
      for (const w of this.#waiters.splice(0)) w();
    });
  }

  static async connect(port: number, caPem: string): Promise<RawAmqpClient> {
    const socket = connect({ host: '127.0.0.1', port, ca: [caPem] });
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', () => resolve());
      socket.once('error', reject);
    });
    return new RawAmqpClient(socket);
  }

  write(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  send<N extends MethodName>(channel: number, name: N, args: MethodInputArgs[N]): void {
    this.write(encodeMethodFrame(channel, name, args));
  }

  /** Waits until a method frame with this name arrives (or the socket closes: undefined). */
  async waitMethod(name: MethodName): Promise<Extract<Amqp091Frame, { type: 'method' }> | undefined> {
    for (;;) {
      const f = this.frames.find((x) => x.type === 'method' && x.method.name === name);
      if (f !== undefined) return f as Extract<Amqp091Frame, { type: 'method' }>;
      if (this.socket.destroyed || this.socket.readableEnded) return undefined;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** The connection.close the server sent, if any, once the socket has closed. */
  async closeReply(): Promise<{ replyCode: number; classId: number; methodId: number; replyText: string } | undefined> {
    const f = await this.waitMethod('connection.close');
    if (f === undefined || f.method.name !== 'connection.close') return undefined;
    return f.method.args;
  }

  /** Header, start-ok (PLAIN), tune-ok, open; resolves after open-ok (or rejects). */
  async handshake(username: string, password: string, tune: { frameMax?: number; heartbeat?: number; channelMax?: number } = {}): Promise<void> {
    this.write(encodeProtocolHeader());
    await this.#need('connection.start');
    this.send(0, 'connection.start-ok', {
      clientProperties: toFieldTable({ product: 'raw-test', capabilities: { 'connection.blocked': true, consumer_cancel_notify: true } }),
      mechanism: 'PLAIN',
      response: Buffer.from(`\0${username}\0${password}`),
    });
    const tuneFrame = await this.#need('connection.tune');
    const offered = tuneFrame.method.name === 'connection.tune' ? tuneFrame.method.args : { frameMax: 131072, channelMax: 2047, heartbeat: 0 };
    this.send(0, 'connection.tune-ok', {
      frameMax: tune.frameMax ?? offered.frameMax,
      channelMax: tune.channelMax ?? offered.channelMax,
      heartbeat: tune.heartbeat ?? 0,
    });
    this.send(0, 'connection.open', { virtualHost: '/' });
    await this.#need('connection.open-ok');
  }

  async openChannel(channel: number): Promise<void> {
    this.send(channel, 'channel.open', {});
    for (;;) {
      const f = this.frames.find((x) => x.type === 'method' && x.method.name === 'channel.open-ok' && x.channel === channel);
      if (f !== undefined) return;
      if (this.socket.destroyed) throw new Error('socket closed');
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  async #need(name: MethodName): Promise<Extract<Amqp091Frame, { type: 'method' }>> {
    const f = await this.waitMethod(name);
    if (f === undefined) throw new Error(`socket closed before ${name}`);
    return f;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** A frame with arbitrary type, channel, declared size, payload and end octet. */
export function rawFrame(type: number, channel: number, payload: Uint8Array, options: { declaredSize?: number; end?: number } = {}): Buffer {
  const out = Buffer.alloc(7 + payload.length + 1);
  out[0] = type;
  out.writeUInt16BE(channel, 1);
  out.writeUInt32BE(options.declaredSize ?? payload.length, 3);
  out.set(payload, 7);
  out[7 + payload.length] = options.end ?? 0xce;
  return out;
}
