// TCP/TLS listeners for broker protocols: a node:tls server with one of the named policies of
// tls-policy.ts and the certificate given, a handshake timeout for sockets that never finish TLS, a
// connection limit, an error handler on every socket, and a graceful close that asks each session to
// close before cutting what is left. A plain TCP listener exists only when explicitly asked for, and
// says so loudly in the log. What runs on an accepted socket (a protocol session) is the caller's.

import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import type { Logger } from '../util/logger.ts';
import { HandshakeDeadlines } from './handshake-deadlines.ts';
import { TLS_POLICIES, tlsServerOptions, type TlsPolicy, type TlsPolicyName } from './tls-policy.ts';

/** A session running on an accepted socket, as the listener needs to see it. */
export interface ListenerSession {
  /** Closes with the protocol's own "server shutting down" close; resolves when the socket is gone. */
  close(): Promise<void>;
}

export interface BrokerListenerTls {
  /** A named policy (e.g. 'rabbitmq') or a policy object (e.g. tls12Only(TLS_POLICIES.rabbitmq)). */
  readonly policy: TlsPolicyName | TlsPolicy;
  readonly certPem: string;
  readonly keyPem: string;
}

export interface BrokerListenerOptions {
  /** Protocol name for logs, e.g. 'amqps'. */
  readonly name: string;
  readonly host: string;
  /** 0 = any free port. */
  readonly port: number;
  /** TLS settings; required unless `plainText` is true. */
  readonly tls?: BrokerListenerTls;
  /** Explicitly serve unencrypted TCP (logged as a warning at start). Never the default. */
  readonly plainText?: boolean;
  /** Sockets over this many are refused at accept (default 1000). */
  readonly connectionsMax?: number;
  /** A socket that has not completed TLS within this is closed (default 10 s). */
  readonly tlsHandshakeTimeoutMs?: number;
  /** How long close() waits for sessions to close before destroying their sockets (default 5 s). */
  readonly closeTimeoutMs?: number;
  readonly logger?: Logger;
  /** Starts the protocol on an accepted (and, with TLS, handshaken) socket. */
  readonly onConnection: (socket: Socket) => ListenerSession;
}

export interface BrokerListener {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  /** Sessions currently running. */
  readonly connectionCount: number;
  /**
   * Serves a new certificate and key to new connections (e.g. from watchCertificate in
   * certificates.ts); established connections keep theirs. Throws if the pair is unusable.
   */
  updateCertificate(certPem: string, keyPem: string): void;
  /**
   * Stops taking connections (and cuts sockets still in the TLS handshake); running sessions go
   * on. A quarantine calls this before it closes the sessions, so no client slips in meanwhile.
   */
  stopAccepting(): void;
  close(): Promise<void>;
}

/** Opens a broker protocol listener; resolves once it is listening. */
export async function startBrokerListener(options: BrokerListenerOptions): Promise<BrokerListener> {
  const log = options.logger;
  const sessions = new Map<Socket, ListenerSession>();
  const connectionsMax = options.connectionsMax ?? 1000;
  let server: TcpServer | TlsServer;
  let updateCertificate = (_certPem: string, _keyPem: string): void => {
    throw new Error(`listener ${options.name} has no TLS`);
  };
  /** Sockets still in the TLS handshake are cut at close(): they have no session to close. */
  let destroyPending = (): void => undefined;

  const accept = (socket: Socket): void => {
    socket.on('error', (err: NodeJS.ErrnoException) => log?.debug({ listener: options.name, code: err.code }, 'socket error'));
    const session = options.onConnection(socket);
    sessions.set(socket, session);
    socket.once('close', () => sessions.delete(socket));
  };

  if (options.tls !== undefined) {
    const policy = typeof options.tls.policy === 'string' ? TLS_POLICIES[options.tls.policy] : options.tls.policy;
    const tlsServer = createTlsServer({
      // Small frames (confirms, acks, deliveries) go out at once, as RabbitMQ's nodelay default.
      noDelay: true,
      ...tlsServerOptions(policy),
      cert: options.tls.certPem,
      key: options.tls.keyPem,
      handshakeTimeout: options.tlsHandshakeTimeoutMs ?? 10_000,
    });
    // Node's own handshakeTimeout starts only once a ClientHello arrives; a socket that connects
    // and sends nothing would stay forever. Time every accepted socket until its handshake ends,
    // keyed by the peer's address and port (the TLS socket wraps the TCP socket of that peer).
    const deadlines = new HandshakeDeadlines(options.tlsHandshakeTimeoutMs ?? 10_000, () => log?.debug({ listener: options.name }, 'TLS handshake timeout'));
    destroyPending = () => deadlines.destroyAll();
    tlsServer.on('connection', (raw: Socket) => {
      raw.on('error', (err: NodeJS.ErrnoException) => log?.debug({ listener: options.name, code: err.code }, 'socket error before TLS'));
      deadlines.track(raw);
    });
    updateCertificate = (certPem, keyPem) => tlsServer.setSecureContext({ ...tlsServerOptions(policy), cert: certPem, key: keyPem });
    tlsServer.on('secureConnection', (socket: TLSSocket) => {
      deadlines.done(socket);
      accept(socket);
    });
    // Refused handshakes (old versions, suites outside the policy, plain text, timeouts): the
    // socket is already destroyed by Node; record why without any peer data.
    tlsServer.on('tlsClientError', (err: NodeJS.ErrnoException) => log?.debug({ listener: options.name, code: err.code }, 'TLS handshake refused'));
    server = tlsServer;
  } else if (options.plainText === true) {
    log?.warn(
      { listener: options.name, host: options.host, port: options.port },
      `PLAIN-TEXT LISTENER ENABLED for ${options.name}: credentials and messages on this port travel unencrypted`,
    );
    server = createTcpServer({ noDelay: true }, (socket) => accept(socket));
  } else {
    throw new Error(`listener ${options.name}: TLS settings are required unless plainText is explicitly enabled`);
  }
  server.maxConnections = connectionsMax;
  server.on('drop', () => log?.warn({ listener: options.name, connectionsMax }, 'connection refused: connection limit reached'));
  server.on('error', (err: NodeJS.ErrnoException) => log?.error({ listener: options.name, code: err.code }, 'listener error'));

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(options.port, options.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  log?.info({ listener: options.name, host: address.address, port: address.port, tls: options.tls !== undefined }, 'listening');

  let closing: Promise<void> | undefined;
  let stopped: Promise<void> | undefined;
  const stopAccepting = (): Promise<void> => {
    if (stopped === undefined) {
      stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      destroyPending();
    }
    return stopped;
  };
  return {
    host: address.address,
    port: address.port,
    tls: options.tls !== undefined,
    get connectionCount() {
      return sessions.size;
    },
    updateCertificate: (certPem, keyPem) => updateCertificate(certPem, keyPem),
    stopAccepting: () => void stopAccepting(),
    close() {
      closing ??= (async () => {
        const stopped = stopAccepting();
        const closeTimeoutMs = options.closeTimeoutMs ?? 5000;
        const all = [...sessions.entries()].map(([socket, session]) => {
          let timer: NodeJS.Timeout | undefined;
          const cut = new Promise<void>((resolve) => {
            timer = setTimeout(() => {
              socket.destroy();
              resolve();
            }, closeTimeoutMs);
          });
          return Promise.race([session.close().catch(() => undefined), cut]).finally(() => clearTimeout(timer));
        });
        await Promise.all(all);
        await stopped;
      })();
      return closing;
    },
  };
}
