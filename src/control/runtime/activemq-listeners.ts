// The client listeners of one ACTIVEMQ-engine broker: AMQP 1.0, STOMP and MQTT over TLS and STOMP
// and MQTT over secure WebSocket, each with the `activemq` TLS policy, each connection running the
// protocol's session on the broker's engine. Amazon MQ's schemes and ports (DescribeBroker lists
// them in this order; `ssl://` 61617 comes with OpenWire, issue 7 leaves it for later):
//
//   amqp+ssl   5671    AMQP 1.0          stomp+ssl  61614   STOMP 1.0-1.2
//   mqtt+ssl   8883    MQTT 3.1.1 / 5    wss        61619   STOMP or MQTT over WebSocket
//
// Which port each listener gets is the supervisor's (listenPort); the engine, the store and the
// broker's lifecycle are too. This file owns the mapping from listener to session and the set of
// sessions open now, so that a quarantine or shutdown can end them all.
import type { Duplex } from 'node:stream';
import type { AmqEngine } from '../../core/activemq/api.ts';
import { startBrokerListener, type ListenerSession } from '../../transport/broker-listener.ts';
import { startWebSocketListener } from '../../transport/websocket-listener.ts';
import type { Logger } from '../../util/logger.ts';

/** The protocols the ActiveMQ engine's sessions speak. */
export type ActiveMqProtocol = 'amqp10' | 'stomp' | 'mqtt';

/** Starts one protocol session on a stream (TLS socket or WebSocket). */
export type ActiveMqSessionFactory = (
  stream: Duplex,
  options: { readonly engine: AmqEngine; readonly remoteAddress?: string; readonly logger: Logger },
) => ListenerSession;

/** Amazon MQ's ActiveMQ listeners, in DescribeBroker's order. */
export const ACTIVEMQ_LISTENERS = [
  { scheme: 'amqp+ssl', defaultPort: 5671, protocol: 'amqp10' },
  { scheme: 'stomp+ssl', defaultPort: 61614, protocol: 'stomp' },
  { scheme: 'mqtt+ssl', defaultPort: 8883, protocol: 'mqtt' },
  { scheme: 'wss', defaultPort: 61619, protocol: 'websocket' },
] as const;

export type ActiveMqScheme = (typeof ACTIVEMQ_LISTENERS)[number]['scheme'];

/** Amazon MQ's port for an ActiveMQ scheme, or undefined for another scheme. */
export function activeMqDefaultPort(scheme: string): number | undefined {
  return ACTIVEMQ_LISTENERS.find((l) => l.scheme === scheme)?.defaultPort;
}

/** A listening port, whichever transport. */
export interface PortListener {
  readonly port: number;
  readonly connectionCount: number;
  updateCertificate(certPem: string, keyPem: string): void;
  /** Stops taking connections; running sessions go on. */
  stopAccepting(): void;
  close(): Promise<void>;
}

export interface ActiveMqListenersOptions {
  readonly engine: AmqEngine;
  readonly sessions: Readonly<Record<ActiveMqProtocol, ActiveMqSessionFactory>>;
  readonly host: string;
  /** The server certificate in force. */
  readonly certificate: () => { readonly certPem: string; readonly keyPem: string };
  /**
   * Opens one listener: the caller chooses the port(s) to try and calls `start` with each (the
   * supervisor's port policy). Rejects when none could be opened.
   */
  readonly listenPort: (scheme: ActiveMqScheme, start: (port: number) => Promise<PortListener>) => Promise<PortListener>;
  /** WebSocket messages over this close the connection with 1009 (default: the listener's). */
  readonly webSocketPayloadMaxBytes?: number;
  readonly logger: Logger;
}

export interface ActiveMqListeners {
  /** In DescribeBroker's order. */
  readonly listeners: readonly { readonly scheme: ActiveMqScheme; readonly listener: PortListener }[];
  /** Sessions running now, every listener together. */
  readonly sessionCount: number;
  /** Asks every session to close (each protocol's "server shutting down"); resolves with how many there were. */
  closeSessions(): Promise<number>;
  /** Every listener stops taking connections; running sessions go on. */
  stopAccepting(): void;
  /** Closes every listener (their sessions first). */
  close(): Promise<void>;
}

/** Opens the four listeners; on a failure closes those already open and rethrows. */
export async function startActiveMqListeners(options: ActiveMqListenersOptions): Promise<ActiveMqListeners> {
  const { engine, sessions: factories, logger } = options;
  const open = new Set<ListenerSession>();
  const track = (session: ListenerSession, stream: Duplex): ListenerSession => {
    open.add(session);
    stream.once('close', () => open.delete(session));
    return session;
  };
  const started: { scheme: ActiveMqScheme; listener: PortListener }[] = [];
  try {
    for (const { scheme, protocol } of ACTIVEMQ_LISTENERS) {
      const log = logger.child({ listener: scheme });
      const listener = await options.listenPort(scheme, (port) => {
        const { certPem, keyPem } = options.certificate();
        const tls = { policy: 'activemq' as const, certPem, keyPem };
        if (protocol === 'websocket') {
          return startWebSocketListener({
            name: scheme,
            host: options.host,
            port,
            tls,
            ...(options.webSocketPayloadMaxBytes !== undefined ? { maxPayloadBytes: options.webSocketPayloadMaxBytes } : {}),
            logger: log,
            onConnection: (stream, info) => {
              const session = factories[info.protocol](stream, {
                engine,
                ...(info.remoteAddress !== undefined ? { remoteAddress: info.remoteAddress } : {}),
                logger: log.child({ protocol: info.protocol, transport: 'wss' }),
              });
              return track(session, stream);
            },
          });
        }
        return startBrokerListener({
          name: scheme,
          host: options.host,
          port,
          tls,
          logger: log,
          onConnection: (socket) => {
            const session = factories[protocol](socket, {
              engine,
              ...(socket.remoteAddress !== undefined ? { remoteAddress: socket.remoteAddress } : {}),
              logger: log.child({ protocol }),
            });
            return track(session, socket);
          },
        });
      });
      started.push({ scheme, listener });
    }
  } catch (error) {
    await Promise.all(started.map(({ listener }) => listener.close().catch(() => undefined)));
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    listeners: started,
    get sessionCount() {
      return open.size;
    },
    async closeSessions() {
      const all = [...open];
      await Promise.all(all.map((session) => session.close().catch(() => undefined)));
      return all.length;
    },
    stopAccepting() {
      for (const { listener } of started) listener.stopAccepting();
    },
    close() {
      closing ??= Promise.all(started.map(({ listener }) => listener.close())).then(() => undefined);
      return closing;
    },
  };
}
