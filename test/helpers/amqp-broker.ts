// Starts, in-process, what an amqps client talks to: a broker core on the in-memory store, the AMQP
// 0-9-1 session, and a TLS listener on 127.0.0.1:0 with a freshly generated test CA; creates a test
// user with full permissions on `/`. Returns the URL and CA the real clients need.

import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Broker, type BrokerOptions } from '../../src/core/broker.ts';
import { MemoryMessageStore, createMemoryStoreState } from '../../src/core/memory-message-store.ts';
import type { MessageStore } from '../../src/core/message-store.ts';
import { amqp091PropertiesCodec, createAmqp091Session, type Amqp091SessionOptions } from '../../src/session/amqp091/index.ts';
import { startBrokerListener, type BrokerListener, type BrokerListenerOptions } from '../../src/transport/broker-listener.ts';
import { ensureCertificates } from '../../src/transport/certificates.ts';

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

let certificates: Promise<{ certPem: string; keyPem: string; caPem: string }> | undefined;

/** One CA and server certificate per test process (RSA key generation is slow). */
function testCertificates(): Promise<{ certPem: string; keyPem: string; caPem: string }> {
  certificates ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sealmq-amqp-tls-'));
    try {
      const cert = await ensureCertificates({ dir, dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
      return { certPem: cert.certPem, keyPem: cert.keyPem, caPem: cert.caPem! };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  })();
  return certificates;
}

export async function startAmqpTestBroker(options: AmqpTestBrokerOptions = {}): Promise<AmqpTestBroker> {
  const tls = await testCertificates();
  const broker = await Broker.open({
    passwordHashing: { logN: 4 },
    ...options.broker,
    store: options.store ?? new MemoryMessageStore(createMemoryStoreState()),
    codec: amqp091PropertiesCodec,
  });
  const username = 'test-user';
  const password = randomBytes(12).toString('base64url');
  // A reopened store already has the user: give it this run's password.
  if (broker.users.getUser(username) === undefined) await broker.users.addUser(username, password, ['administrator']);
  else await broker.users.changePassword(username, password);
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
