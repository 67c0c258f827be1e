// A scripted STOMP client for tests: writes raw bytes or frames to any byte stream (an in-memory
// duplex pair or a TLS socket) and reads the server's frames with the codec's decoder in `server`
// mode, so that every byte the broker writes must be a well-formed server frame or heart-beat.

import type { Duplex } from 'node:stream';
import {
  encodeStompFrame,
  type StompCommand,
  type StompFrame,
  StompFrameDecoder,
  type StompHeadersInput,
  type StompVersion,
} from '../../codec/stomp/index.ts';

export class StompTestPeer {
  readonly frames: StompFrame[] = [];
  heartbeats = 0;
  /** Set once the server ended or closed the stream. */
  ended = false;
  readonly closed: Promise<void>;
  version: StompVersion = '1.2';
  readonly #stream: Duplex;
  readonly #decoder = new StompFrameDecoder({ peer: 'server', frameSizeMaxBytes: 64 * 1024 * 1024, bodySizeMaxBytes: 60 * 1024 * 1024 });
  #read = 0;
  #waiters: Array<() => void> = [];

  constructor(stream: Duplex) {
    this.#stream = stream;
    stream.on('data', (chunk: Buffer) => {
      this.#decoder.push(Buffer.from(chunk));
      // Throws (failing the test) if the server writes anything malformed.
      for (const f of this.#decoder.frames()) {
        if (f.type === 'heartbeat') this.heartbeats++;
        else {
          // Later frames are escaped per the negotiated version.
          if (f.command === 'CONNECTED') this.#setVersion((f.headers.get('version') ?? '1.0') as StompVersion);
          this.frames.push({ ...f, body: Buffer.from(f.body) });
        }
      }
      this.#wake();
    });
    stream.on('error', () => undefined);
    this.closed = new Promise((resolve) => {
      const done = () => {
        this.ended = true;
        this.#wake();
        resolve();
      };
      stream.once('end', done);
      stream.once('close', done);
    });
  }

  #setVersion(version: StompVersion): void {
    this.version = version;
    this.#decoder.setVersion(version);
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  /** Writes raw bytes (text is UTF-8; `^@` stands for NUL as in the specification). */
  raw(bytes: string | Buffer): void {
    this.#stream.write(typeof bytes === 'string' ? Buffer.from(bytes.replace(/\^@/g, '\0')) : bytes);
  }

  /** Writes a frame encoded for the negotiated version. */
  send(command: StompCommand, headers: StompHeadersInput = {}, body?: string | Uint8Array, contentLength = true): void {
    this.#stream.write(encodeStompFrame({ command, headers, body }, this.version, { contentLength }));
  }

  /** CONNECT and wait for CONNECTED (or whatever comes back). */
  async connect(headers: Record<string, string>): Promise<StompFrame> {
    this.send('CONNECT', headers);
    return this.next();
  }

  /** The next frame not yet returned; rejects if the stream ends first. */
  async next(command?: StompCommand): Promise<StompFrame> {
    for (;;) {
      if (this.#read < this.frames.length) {
        const f = this.frames[this.#read++]!;
        if (command !== undefined && f.command !== command) {
          throw new Error(`expected ${command}, got ${f.command} ${JSON.stringify(Object.fromEntries(f.headers))}`);
        }
        return f;
      }
      if (this.ended) throw new Error(`stream ended while waiting for ${command ?? 'a frame'}`);
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** Waits until `predicate` holds (checked on every frame or heart-beat). */
  async until(predicate: () => boolean): Promise<void> {
    while (!predicate()) {
      if (this.ended) throw new Error('stream ended');
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** Stops reading (the server's writes back up, as with a slow client). */
  pause(): void {
    this.#stream.pause();
  }

  resume(): void {
    this.#stream.resume();
  }

  end(): void {
    this.#stream.end();
  }
}
