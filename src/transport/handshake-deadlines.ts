// Deadlines for sockets that have connected but not finished their handshake (TLS, or TLS plus a
// WebSocket upgrade): each raw TCP socket is cut when its time runs out, released when the
// handshake completes, and all of them are cut when a listener stops accepting. Keyed by the peer's
// address and port, which the TLS socket that wraps a raw socket shares. The listeners own what
// runs after the handshake.

import type { Socket } from 'node:net';

export class HandshakeDeadlines {
  readonly #pending = new Map<string, { readonly timer: NodeJS.Timeout; readonly raw: Socket }>();
  readonly #timeoutMs: number;
  readonly #onTimeout: () => void;

  /** `onTimeout` is told (for a log line) before a late socket is destroyed. */
  constructor(timeoutMs: number, onTimeout: () => void) {
    this.#timeoutMs = timeoutMs;
    this.#onTimeout = onTimeout;
  }

  static #key(socket: Socket): string {
    return `${socket.remoteAddress}|${socket.remotePort}`;
  }

  /** A raw socket just connected: it must finish its handshake within the timeout. */
  track(raw: Socket): void {
    const key = HandshakeDeadlines.#key(raw);
    const timer = setTimeout(() => {
      this.#pending.delete(key);
      this.#onTimeout();
      raw.destroy();
    }, this.#timeoutMs);
    timer.unref();
    this.#pending.set(key, { timer, raw });
    raw.once('close', () => {
      clearTimeout(timer);
      if (this.#pending.get(key)?.timer === timer) this.#pending.delete(key);
    });
  }

  /** The handshake on this socket (or the TLS socket wrapping it) completed in time. */
  done(socket: Socket): void {
    const key = HandshakeDeadlines.#key(socket);
    clearTimeout(this.#pending.get(key)?.timer);
    this.#pending.delete(key);
  }

  /** Cuts every socket still in its handshake. */
  destroyAll(): void {
    for (const { timer, raw } of this.#pending.values()) {
      clearTimeout(timer);
      raw.destroy();
    }
    this.#pending.clear();
  }
}
