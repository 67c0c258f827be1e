// Starts, in-process, what an amqps client talks to: a broker core on the in-memory store, the AMQP
// 0-9-1 session, and a TLS listener on 127.0.0.1:0 with the shared test CA (test-broker.ts); creates
// a test user with full permissions on `/`. Returns the URL and CA the real clients need.

import { randomBytes } from 'node:crypto';
import type { Broker, BrokerOptions } from '../../src/core/broker.ts';
import type { MessageStore } from '../../src/core/message-store.ts';
import { amqp091PropertiesCodec, createAmqp091Session, type Amqp091SessionOptions } from '../../src/session/amqp091/index.ts';
import { startBrokerListener, type BrokerListener, type BrokerListenerOptions } from '../../src/transport/broker-listener.ts';
import { openTestBroker, setTestUser, testCertificates } from './test-broker.ts';

export interface AmqpTestBroker {
  readonly broker: Broker;
  readonly listener: BrokerListener;
  readonly port: number;
  readonly caPem: string;
  readonly username: string;
  readonly password: string;
  /** amqps://user:password@127.0.0.1:port/ with URL-encoded credentials. */
  readonly url: string;
  /** The URL with other credentials or query parameters. */
  urlWith(options: { username?: string; password?: string; query?: string }): string;
  close(): Promise<void>;
}

export interface AmqpTestBrokerOptions {
  readonly broker?: Partial<Omit<BrokerOptions, 'store' | 'codec'>>;
  /** Default: a fresh in-memory store. The encrypted segment store implements the same port. */
  readonly store?: MessageStore;
  readonly session?: Partial<Omit<Amqp091SessionOptions, 'broker'>>;
  readonly listener?: Partial<Pick<BrokerListenerOptions, 'tls' | 'plainText' | 'connectionsMax' | 'tlsHandshakeTimeoutMs'>>;
}

export async function startAmqpTestBroker(options: AmqpTestBrokerOptions = {}): Promise<AmqpTestBroker> {
  const tls = await testCertificates();
  const broker = await openTestBroker(amqp091PropertiesCodec, options);
  const username = 'test-user';
  const password = randomBytes(12).toString('base64url');
  await setTestUser(broker, username, password, ['administrator']);
  await broker.users.setPermissions(username, '/', { configure: '.*', write: '.*', read: '.*' });
  const listener = await startBrokerListener({
    name: 'amqps',
    host: '127.0.0.1',
    port: 0,
    tls: { policy: 'rabbitmq', certPem: tls.certPem, keyPem: tls.keyPem },
    ...options.listener,
    onConnection: (socket) => createAmqp091Session(socket, { broker, closeTimeoutMs: 1000, ...options.session }),
  });
  const scheme = listener.tls ? 'amqps' : 'amqp';
  const urlWith = (o: { username?: string; password?: string; query?: string }) =>
    `${scheme}://${encodeURIComponent(o.username ?? username)}:${encodeURIComponent(o.password ?? password)}@127.0.0.1:${listener.port}/${o.query === undefined ? '' : `?${o.query}`}`;
  return {
    broker,
    listener,
    port: listener.port,
    caPem: tls.caPem,
    username,
    password,
    url: urlWith({}),
    urlWith,
    async close() {
      await listener.close();
      await broker.close();
    },
  };
}
