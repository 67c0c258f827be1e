// What the in-process test brokers (activemq-broker.ts, amqp-broker.ts) share: one test CA and
// server certificate per process, a broker core opened cheaply for tests (in-memory store unless one
// is given, low-cost password hashing), and the test user set on a fresh or a reopened store. The
// protocol, its codec and its listener stay with each of them.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Broker, type BrokerOptions } from '../../src/core/broker.ts';
import { MemoryMessageStore, createMemoryStoreState } from '../../src/core/memory-message-store.ts';
import type { MessageStore } from '../../src/core/message-store.ts';
import { ensureCertificates } from '../../src/transport/certificates.ts';

export interface TestCertificates {
  readonly certPem: string;
  readonly keyPem: string;
  readonly caPem: string;
}

let certificates: Promise<TestCertificates> | undefined;

/** One CA and server certificate (localhost, 127.0.0.1) per test process: RSA key generation is slow. */
export function testCertificates(): Promise<TestCertificates> {
  certificates ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sealmq-test-tls-'));
    try {
      const cert = await ensureCertificates({ dir, dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
      return { certPem: cert.certPem, keyPem: cert.keyPem, caPem: cert.caPem! };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  })();
  return certificates;
}

/** Opens a broker core with `codec` on `store` (default: a fresh in-memory one). */
export function openTestBroker(codec: BrokerOptions['codec'], options: { broker?: Partial<Omit<BrokerOptions, 'store' | 'codec'>>; store?: MessageStore } = {}): Promise<Broker> {
  return Broker.open({
    passwordHashing: { logN: 4 },
    ...options.broker,
    store: options.store ?? new MemoryMessageStore(createMemoryStoreState()),
    codec,
  });
}

/** Adds the user, or, on a reopened store that has it already, gives it this run's password and tags. */
export async function setTestUser(broker: Broker, username: string, password: string, tags: string[]): Promise<void> {
  if (broker.users.getUser(username) === undefined) {
    await broker.users.addUser(username, password, tags);
    return;
  }
  await broker.users.changePassword(username, password);
  await broker.users.setTags(username, tags);
}
