// Starts, in-process, what STOMP, MQTT and AMQP 1.0 clients talk to on an ACTIVEMQ broker: a broker
// core (in-memory store unless one is given) opened with the ActiveMQ properties codec, the ActiveMQ
// engine, a test user, and a TLS listener (policy 'activemq') on 127.0.0.1:0 with the shared test
// certificates (test-broker.ts), running the session the caller gives on each accepted socket.

import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Broker, BrokerOptions } from '../../src/core/broker.ts';
import { ACTIVEMQ_BROKER_OPTIONS, createActiveMqEngine, type ActiveMqEngine, type ActiveMqEngineOptions } from '../../src/core/activemq/engine.ts';
import { groupTags } from '../../src/core/activemq/authorization.ts';
import type { MessageStore } from '../../src/core/message-store.ts';
import { startBrokerListener, type BrokerListener, type BrokerListenerOptions, type ListenerSession } from '../../src/transport/broker-listener.ts';
import { openTestBroker, setTestUser, testCertificates } from './test-broker.ts';

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

export async function startActiveMqTestBroker(options: ActiveMqTestBrokerOptions): Promise<ActiveMqTestBroker> {
  const tls = await testCertificates();
  // As the supervisor opens an ACTIVEMQ broker.
  const { codec, recordDeliveries } = ACTIVEMQ_BROKER_OPTIONS;
  const broker = await openTestBroker(codec, { ...options, broker: { recordDeliveries, ...options.broker } });
  const engine = createActiveMqEngine(broker, options.engine);
  await engine.ready();
  const addUser = async (name: string, groups: readonly string[] = []): Promise<string> => {
    const password = randomBytes(12).toString('base64url');
    await setTestUser(broker, name, password, groupTags(groups));
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
