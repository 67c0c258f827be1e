// Test-side wrappers for the two STOMP client libraries the end-to-end suites use, over TLS to the
// test broker: stompit (TCP+TLS built in) and @stomp/stompjs with @stomp/tcp-wrapper, whose
// TCPWrapper speaks plain TCP only, so a subclass opens a TLS socket instead (the "small adapter").

import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { Client, type IMessage, type StompHeaders, Versions } from '@stomp/stompjs';
import { TCPWrapper } from '@stomp/tcp-wrapper';
import { StompTestPeer } from '../../../src/session/stomp/test-peer.ts';

// ---- stompit (no type declarations ship with it: the part used here) ----

export interface StompitMessage {
  readonly headers: Record<string, string>;
  readString(encoding: string, callback: (error: Error | null, body?: string) => void): void;
}
interface StompitWritable {
  write(chunk: string | Buffer): boolean;
  end(chunk?: string | Buffer): void;
}
export interface StompitTransaction {
  readonly id: string;
  send(headers: Record<string, string>): StompitWritable;
  commit(options?: { onReceipt?: () => void }): void;
  abort(options?: { onReceipt?: () => void }): void;
}
export interface StompitClient {
  readonly headers: Record<string, string>;
  send(headers: Record<string, string>, options?: { onReceipt?: () => void }): StompitWritable;
  subscribe(headers: Record<string, string>, callback: (error: Error | null, message: StompitMessage) => void): { unsubscribe(headers?: Record<string, string>): void };
  ack(message: StompitMessage, headers?: Record<string, string>): void;
  nack(message: StompitMessage, headers?: Record<string, string>): void;
  begin(headers?: Record<string, string>): StompitTransaction;
  disconnect(callback?: (error?: Error | null) => void): void;
  destroy(error?: Error): void;
  on(event: 'error', listener: (error: Error) => void): void;
}
interface StompitModule {
  connect(options: Record<string, unknown>, callback: (error: Error | null, client: StompitClient) => void): StompitClient;
}

const stompit = createRequire(import.meta.url)('stompit') as StompitModule;

export interface TlsTarget {
  readonly port: number;
  readonly caPem: string;
  readonly username: string;
  readonly password: string;
}

/** Connects stompit over TLS; rejects with the ERROR frame's message (e.g. a bad login). */
/** A scripted STOMP peer (raw frames) over a TLS connection to the broker, not yet connected. */
export async function rawStompPeer(target: Pick<TlsTarget, 'port' | 'caPem'>): Promise<StompTestPeer> {
  const socket = tlsConnect({ host: '127.0.0.1', port: target.port, ca: target.caPem, servername: 'localhost' });
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', resolve);
    socket.once('error', reject);
  });
  return new StompTestPeer(socket);
}

export function stompitConnect(target: TlsTarget, connectHeaders: Record<string, string> = {}): Promise<StompitClient> {
  return new Promise((resolve, reject) => {
    // stompit emits an ERROR frame (a bad login, say) as 'error' on the client after the callback has
    // had it: without a listener that would be an uncaught exception.
    const client = stompit.connect(
      {
        host: '127.0.0.1',
        port: target.port,
        ssl: true,
        ca: [target.caPem],
        servername: 'localhost',
        timeout: 10_000,
        connectHeaders: { host: 'localhost', login: target.username, passcode: target.password, 'heart-beat': '0,0', ...connectHeaders },
      },
      (error, client) => {
        if (error !== null) {
          reject(error);
          return;
        }
        // Later errors (an ERROR frame, the broker going away) must not be unhandled.
        client.on('error', () => undefined);
        resolve(client);
      },
    );
    client.on('error', () => undefined);
  });
}

export function stompitDisconnect(client: StompitClient): Promise<void> {
  return new Promise((resolve) => client.disconnect(() => resolve()));
}

/** Sends and resolves on the RECEIPT. */
export function stompitSend(client: StompitClient, headers: Record<string, string>, body: string | Buffer): Promise<void> {
  return new Promise((resolve) => {
    const frame = client.send({ ...headers }, { onReceipt: resolve });
    frame.end(body);
  });
}

export function readBody(message: StompitMessage): Promise<string> {
  return new Promise((resolve, reject) => message.readString('utf-8', (error, body) => (error === null ? resolve(body ?? '') : reject(error))));
}

// ---- @stomp/stompjs over TLS ----

/** TCPWrapper with a TLS socket: getSocket is its documented extension point. */
function tlsWrapper(host: string, port: number, caPem: string): TCPWrapper {
  class TlsWrapper extends TCPWrapper {
    protected override getSocket(p: number, h: string): Socket {
      return tlsConnect({ port: p, host: h, ca: caPem, servername: 'localhost' });
    }
  }
  return new TlsWrapper(host, port);
}

export interface StompjsOptions {
  readonly versions?: readonly string[];
  readonly login?: string;
  readonly passcode?: string;
  readonly connectHeaders?: StompHeaders;
  readonly heartbeatMs?: number;
  /** Called with every debug line (e.g. `<<< PONG` for a heart-beat from the broker). */
  readonly debug?: (line: string) => void;
}

/** A stompjs Client that has connected; rejects with the ERROR frame's message. */
export async function stompjsConnect(target: TlsTarget, options: StompjsOptions = {}): Promise<Client> {
  const client = new Client({
    webSocketFactory: () => tlsWrapper('127.0.0.1', target.port, target.caPem),
    connectHeaders: { host: 'localhost', login: options.login ?? target.username, passcode: options.passcode ?? target.password, ...options.connectHeaders },
    heartbeatIncoming: options.heartbeatMs ?? 0,
    heartbeatOutgoing: options.heartbeatMs ?? 0,
    reconnectDelay: 0,
    debug: options.debug ?? (() => undefined),
  });
  if (options.versions !== undefined) client.stompVersions = new Versions([...options.versions]);
  await new Promise<void>((resolve, reject) => {
    client.onConnect = () => resolve();
    client.onStompError = (frame) => reject(new Error(frame.headers.message ?? 'ERROR'));
    client.onWebSocketClose = () => reject(new Error('closed before CONNECTED'));
    client.activate();
  });
  return client;
}

/** Collects what a subscription receives, in order. */
export class Inbox<T> {
  readonly #items: T[] = [];
  #waiters: Array<() => void> = [];
  readonly all: T[] = [];

  push = (item: T): void => {
    this.#items.push(item);
    this.all.push(item);
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  };

  async next(): Promise<T> {
    while (this.#items.length === 0) await new Promise<void>((resolve) => this.#waiters.push(resolve));
    return this.#items.shift()!;
  }

  async take(n: number): Promise<T[]> {
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(await this.next());
    return out;
  }

  get pending(): number {
    return this.#items.length;
  }
}

export type { IMessage };
