// Starts, in-process, what STOMP, MQTT and AMQP 1.0 clients talk to on an ACTIVEMQ broker: a broker
// core (in-memory store unless one is given) opened with the ActiveMQ properties codec, the ActiveMQ
// engine, a test user, and a TLS listener (policy 'activemq') on 127.0.0.1:0 with the shared test
// certificates, running the session the caller gives on each accepted socket.

import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { Broker, type BrokerOptions } from '../../src/core/broker.ts';
import { activeMqPropertiesCodec } from '../../src/core/activemq/properties-codec.ts';
import { createActiveMqEngine, type ActiveMqEngine, type ActiveMqEngineOptions } from '../../src/core/activemq/engine.ts';
import { groupTags } from '../../src/core/activemq/authorization.ts';
import { MemoryMessageStore, createMemoryStoreState } from '../../src/core/memory-message-store.ts';
import type { MessageStore } from '../../src/core/message-store.ts';
import { startBrokerListener, type BrokerListener, type BrokerListenerOptions, type ListenerSession } from '../../src/transport/broker-listener.ts';
import { ensureCertificates } from '../../src/transport/certificates.ts';

export interface ActiveMqTestBroker {
  readonly broker: Broker;
  readonly engine: ActiveMqEngine;
  readonly listener: BrokerListener;
  readonly port: number;
  readonly caPem: string;
  readonly username: string;
  readonly password: string;
  /** Adds another broker user with Amazon MQ groups; returns its password. */
  addUser(username: string, groups?: readonly string[]): Promise<string>;
  close(): Promise<void>;
}

export interface ActiveMqTestBrokerOptions {
  /** Runs the protocol on each accepted (TLS) socket. */
  readonly session: (socket: Socket, engine: ActiveMqEngine) => ListenerSession;
  readonly broker?: Partial<Omit<BrokerOptions, 'store' | 'codec'>>;
  /** Default: a fresh in-memory store. The encrypted segment store implements the same port. */
  readonly store?: MessageStore;
  readonly engine?: ActiveMqEngineOptions;
  /** Groups of the test user (Amazon MQ `groups`), e.g. for authorization entries. */
  readonly groups?: readonly string[];
  readonly listener?: Partial<Pick<BrokerListenerOptions, 'tls' | 'plainText' | 'connectionsMax' | 'tlsHandshakeTimeoutMs' | 'closeTimeoutMs'>>;
}

let certificates: Promise<{ certPem: string; keyPem: string; caPem: string }> | undefined;

/** One CA and server certificate per test process (RSA key generation is slow). */
function testCertificates(): Promise<{ certPem: string; keyPem: string; caPem: string }> {
  certificates ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sealmq-activemq-tls-'));
    try {
      const cert = await ensureCertificates({ dir, dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
      return { certPem: cert.certPem, keyPem: cert.keyPem, caPem: cert.caPem! };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  })();
  return certificates;
}

export async function startActiveMqTestBroker(options: ActiveMqTestBrokerOptions): Promise<ActiveMqTestBroker> {
  const tls = await testCertificates();
  const broker = await Broker.open({
    passwordHashing: { logN: 4 },
    ...options.broker,
    store: options.store ?? new MemoryMessageStore(createMemoryStoreState()),
    codec: activeMqPropertiesCodec,
  });
  const engine = createActiveMqEngine(broker, options.engine);
  await engine.ready();
  const addUser = async (name: string, groups: readonly string[] = []): Promise<string> => {
    const password = randomBytes(12).toString('base64url');
    // A reopened store already has the user: give it this run's password.
    if (broker.users.getUser(name) === undefined) await broker.users.addUser(name, password, groupTags(groups));
    else {
      await broker.users.changePassword(name, password);
      await broker.users.setTags(name, groupTags(groups));
    }
    return password;
  };
  const username = 'test-user';
  const password = await addUser(username, options.groups ?? []);
  const listener = await startBrokerListener({
    name: 'activemq-test',
    host: '127.0.0.1',
    port: 0,
    tls: { policy: 'activemq', certPem: tls.certPem, keyPem: tls.keyPem },
    closeTimeoutMs: 1000,
    ...options.listener,
    onConnection: (socket) => options.session(socket, engine),
  });
  return {
    broker,
    engine,
    listener,
    port: listener.port,
    caPem: tls.caPem,
    username,
    password,
    addUser,
    async close() {
      await listener.close();
      await broker.close();
    },
  };
}
