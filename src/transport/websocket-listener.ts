// The secure WebSocket listener (`wss`, ActiveMQ's 61619): a node:https server with a named TLS
// policy, `ws` for the upgrade, and one protocol session per WebSocket, chosen as ActiveMQ chooses
// it. The WebSocket is handed to the session as a Duplex stream of bytes, so a session runs the same
// over TCP and over WebSocket. What runs on the stream is the caller's (onConnection); frame limits,
// timeouts, the connection limit and WebSocket close codes are this file's.
//
// Which protocol a WebSocket speaks:
//   Sec-WebSocket-Protocol offered   stomp, v10.stomp, v11.stomp, v12.stomp -> STOMP
//                                    mqtt, mqttv3.1                         -> MQTT
//                                    others only                            -> HTTP 400, no upgrade
//   none offered                     path /mqtt...  -> MQTT; any other path -> STOMP (ActiveMQ's default)
// The first offered subprotocol we know wins (RFC 6455 4.2.2: the client lists them by preference).
//
// Frames: MQTT travels in binary messages only ([MQTT-6.0.0-1]: a text message closes the
// connection, 1002); STOMP is sent as text messages (what STOMP-over-WebSocket clients expect)
// unless a write is not valid UTF-8 (a binary body), which goes as a binary message. Close codes:
// 1000 the session ended, 1001 the listener is closing, 1002 protocol error, 1008 policy (connection
// limit), 1009 a message over maxPayloadBytes (sent by ws itself). No permessage-deflate: compressed
// TLS payloads leak secrets (CRIME/BREACH), and the policy turns TLS compression off for the same reason.

import { isUtf8 } from 'node:buffer';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Logger } from '../util/logger.ts';
import type { BrokerListenerTls, ListenerSession } from './broker-listener.ts';
import { HandshakeDeadlines } from './handshake-deadlines.ts';
import { TLS_POLICIES, tlsServerOptions } from './tls-policy.ts';

/** The protocols a WebSocket can carry. */
export type WebSocketProtocol = 'stomp' | 'mqtt';

/** Subprotocol names (Sec-WebSocket-Protocol) and the protocol each selects. */
export const WEBSOCKET_SUBPROTOCOLS: Readonly<Record<string, WebSocketProtocol>> = {
  stomp: 'stomp',
  'v10.stomp': 'stomp',
  'v11.stomp': 'stomp',
  'v12.stomp': 'stomp',
  mqtt: 'mqtt',
  'mqttv3.1': 'mqtt',
};

/** WebSocket close codes used here (RFC 6455 section 7.4.1). */
export const WsCloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  PROTOCOL_ERROR: 1002,
  POLICY_VIOLATION: 1008,
  MESSAGE_TOO_BIG: 1009,
} as const;

export interface WebSocketConnectionInfo {
  readonly protocol: WebSocketProtocol;
  /** The subprotocol agreed, if the client offered one. */
  readonly subprotocol: string | undefined;
  readonly remoteAddress: string | undefined;
}

export interface WebSocketListenerOptions {
  /** For logs, e.g. 'wss'. */
  readonly name: string;
  readonly host: string;
  /** 0 = any free port. */
  readonly port: number;
  readonly tls: BrokerListenerTls;
  /** A WebSocket message over this closes the connection with 1009 (default 16 MiB). */
  readonly maxPayloadBytes?: number;
  /** TLS plus the HTTP upgrade must be done within this, else the socket is cut (default 10 s). */
  readonly handshakeTimeoutMs?: number;
  /** WebSockets over this many are closed with 1008 right after the upgrade (default 1000). */
  readonly connectionsMax?: number;
  /** How long close() waits for sessions before cutting their sockets (default 5 s). */
  readonly closeTimeoutMs?: number;
  readonly logger?: Logger;
  /** Starts the protocol on an upgraded WebSocket, seen as a byte stream. */
  readonly onConnection: (stream: Duplex, info: WebSocketConnectionInfo) => ListenerSession;
}

export interface WebSocketListener {
  readonly host: string;
  readonly port: number;
  /** WebSocket sessions currently running. */
  readonly connectionCount: number;
  /** Serves a new certificate to new connections. */
  updateCertificate(certPem: string, keyPem: string): void;
  /** Stops taking connections and upgrades (503); running sessions go on (see BrokerListener). */
  stopAccepting(): void;
  close(): Promise<void>;
}

/** The protocol a handshake asks for, or undefined when it offers only subprotocols we do not know. */
export function selectWebSocketProtocol(offered: readonly string[], path: string): { protocol: WebSocketProtocol; subprotocol: string | undefined } | undefined {
  if (offered.length > 0) {
    for (const name of offered) {
      const protocol = WEBSOCKET_SUBPROTOCOLS[name.toLowerCase()];
      if (protocol !== undefined) return { protocol, subprotocol: name };
    }
    return undefined;
  }
  const pathname = path.split('?')[0] ?? '';
  return { protocol: /^\/mqtt(\/|$)/i.test(pathname) ? 'mqtt' : 'stomp', subprotocol: undefined };
}

/**
 * A WebSocket as a Duplex of bytes: each message read is pushed as one chunk, each write goes out
 * as one message. Ending the stream closes the WebSocket with 1000 (1001 while the listener
 * closes), destroying it with an error closes it with 1002.
 */
class WebSocketDuplex extends Duplex {
  readonly #ws: WebSocket;
  readonly #protocol: WebSocketProtocol;
  readonly #goingAway: () => boolean;

  constructor(ws: WebSocket, protocol: WebSocketProtocol, goingAway: () => boolean) {
    super({ allowHalfOpen: false });
    this.#ws = ws;
    this.#protocol = protocol;
    this.#goingAway = goingAway;
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (protocol === 'mqtt' && !isBinary) {
        // [MQTT-6.0.0-1] MQTT Control Packets MUST be sent in WebSocket binary data frames.
        this.#closeWith(WsCloseCode.PROTOCOL_ERROR, 'MQTT needs binary frames');
        this.destroy();
        return;
      }
      const chunk = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
      if (!this.push(chunk)) ws.pause();
    });
    ws.once('close', () => {
      this.push(null);
      if (!this.writableEnded) this.destroy();
    });
    ws.on('error', (error) => this.destroy(error));
  }

  override _read(): void {
    if (this.#ws.isPaused) this.#ws.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.#ws.readyState !== this.#ws.OPEN) {
      callback(new Error('the WebSocket is closed'));
      return;
    }
    const binary = this.#protocol === 'mqtt' || !isUtf8(chunk);
    this.#ws.send(chunk, { binary }, (error) => callback(error ?? null));
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#closeWith(this.#goingAway() ? WsCloseCode.GOING_AWAY : WsCloseCode.NORMAL);
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (error !== null) this.#closeWith(WsCloseCode.PROTOCOL_ERROR, 'protocol error');
    else this.#closeWith(this.#goingAway() ? WsCloseCode.GOING_AWAY : WsCloseCode.NORMAL);
    callback(error);
  }

  /** Sends a close frame (once) and cuts the socket if the peer does not answer within 2 s. */
  #closeWith(code: number, reason?: string): void {
    const ws = this.#ws;
    if (ws.readyState === ws.CONNECTING || ws.readyState === ws.OPEN) {
      ws.close(code, reason);
      const timer = setTimeout(() => ws.terminate(), 2000);
      timer.unref();
      ws.once('close', () => clearTimeout(timer));
    }
  }
}

/** Opens a wss listener; resolves once it is listening. */
export async function startWebSocketListener(options: WebSocketListenerOptions): Promise<WebSocketListener> {
  const log = options.logger;
  const policy = typeof options.tls.policy === 'string' ? TLS_POLICIES[options.tls.policy] : options.tls.policy;
  const connectionsMax = options.connectionsMax ?? 1000;
  const handshakeTimeoutMs = options.handshakeTimeoutMs ?? 10_000;
  const sessions = new Map<WebSocket, { readonly session: ListenerSession; readonly stream: Duplex }>();
  let closing = false;

  // Plain HTTP requests (no upgrade) get 426: this port serves WebSockets only.
  const server: HttpsServer = createHttpsServer(
    { noDelay: true, ...tlsServerOptions(policy), cert: options.tls.certPem, key: options.tls.keyPem, handshakeTimeout: handshakeTimeoutMs },
    (_request: IncomingMessage, response: ServerResponse) => {
      response.writeHead(426, { connection: 'close', upgrade: 'websocket', 'content-type': 'text/plain' });
      response.end('This port serves STOMP and MQTT over WebSocket only.\n');
    },
  );
  // Each TCP socket must finish TLS and the upgrade in time.
  const deadlines = new HandshakeDeadlines(handshakeTimeoutMs, () => log?.debug({ listener: options.name }, 'WebSocket handshake timeout'));
  server.on('connection', (raw: Socket) => {
    raw.on('error', (err: NodeJS.ErrnoException) => log?.debug({ listener: options.name, code: err.code }, 'socket error'));
    deadlines.track(raw);
  });
  server.on('secureConnection', (socket: Socket) => socket.on('error', () => undefined));
  server.on('tlsClientError', (err: NodeJS.ErrnoException) => log?.debug({ listener: options.name, code: err.code }, 'TLS handshake refused'));
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    log?.debug({ listener: options.name, code: err.code }, 'bad HTTP request');
    socket.destroy();
  });
  server.on('error', (err: NodeJS.ErrnoException) => log?.error({ listener: options.name, code: err.code }, 'listener error'));
  // A hard cap on sockets (TLS and HTTP included); the WebSocket limit below answers with 1008.
  server.maxConnections = connectionsMax + 64;
  server.on('drop', () => log?.warn({ listener: options.name }, 'connection refused: socket limit reached'));

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxPayloadBytes ?? 16 * 1024 * 1024,
    perMessageDeflate: false,
    clientTracking: false,
    handleProtocols: (offered: Set<string>, request: IncomingMessage) => selectWebSocketProtocol([...offered], request.url ?? '/')?.subprotocol ?? false,
  });
  wss.on('error', (err: Error) => log?.debug({ listener: options.name, err: err.message }, 'WebSocket server error'));

  server.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', () => undefined);
    const offered = (request.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    const selected = selectWebSocketProtocol(offered, request.url ?? '/');
    if (selected === undefined || closing) {
      const status = closing ? '503 Service Unavailable' : '400 Bad Request';
      log?.debug({ listener: options.name, status }, 'WebSocket upgrade refused');
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      deadlines.done(socket);
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws: WebSocket) => {
      deadlines.done(socket);
      ws.on('error', (err: Error) => log?.debug({ listener: options.name, err: err.message }, 'WebSocket error'));
      if (sessions.size >= connectionsMax) {
        log?.warn({ listener: options.name, connectionsMax }, 'WebSocket refused: connection limit reached');
        ws.close(WsCloseCode.POLICY_VIOLATION, 'connection limit reached');
        setTimeout(() => ws.terminate(), 2000).unref();
        return;
      }
      const stream = new WebSocketDuplex(ws, selected.protocol, () => closing);
      stream.on('error', (err: Error) => log?.debug({ listener: options.name, err: err.message }, 'WebSocket stream error'));
      let session: ListenerSession;
      try {
        session = options.onConnection(stream, { ...selected, remoteAddress: socket.remoteAddress });
      } catch (error) {
        log?.error({ listener: options.name, err: (error as Error).message }, 'could not start a WebSocket session');
        stream.destroy(error as Error);
        return;
      }
      sessions.set(ws, { session, stream });
      ws.once('close', () => sessions.delete(ws));
    });
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(options.port, options.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  log?.info({ listener: options.name, host: address.address, port: address.port, tls: true }, 'listening');

  let closed: Promise<void> | undefined;
  let stopped: Promise<void> | undefined;
  const stopAccepting = (): Promise<void> => {
    if (stopped === undefined) {
      closing = true;
      stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      deadlines.destroyAll();
    }
    return stopped;
  };
  return {
    host: address.address,
    port: address.port,
    get connectionCount() {
      return sessions.size;
    },
    updateCertificate(certPem, keyPem) {
      server.setSecureContext({ ...tlsServerOptions(policy), cert: certPem, key: keyPem });
    },
    stopAccepting: () => void stopAccepting(),
    close() {
      closed ??= (async () => {
        const stopped = stopAccepting();
        const closeTimeoutMs = options.closeTimeoutMs ?? 5000;
        await Promise.all(
          [...sessions.entries()].map(([ws, { session }]) => {
            let timer: NodeJS.Timeout | undefined;
            const cut = new Promise<void>((resolve) => {
              timer = setTimeout(() => {
                ws.terminate();
                resolve();
              }, closeTimeoutMs);
            });
            const gone = new Promise<void>((resolve) => (ws.readyState === ws.CLOSED ? resolve() : ws.once('close', () => resolve())));
            const sessionClosed = session
              .close()
              .catch(() => undefined)
              .then(() => {
                // The session has ended its stream; the WebSocket closes with 1001.
                if (ws.readyState === ws.OPEN) ws.close(WsCloseCode.GOING_AWAY, 'broker shutting down');
                return gone;
              });
            return Promise.race([sessionClosed, cut]).finally(() => clearTimeout(timer));
          }),
        );
        server.closeAllConnections();
        await stopped;
      })();
      return closed;
    },
  };
}
