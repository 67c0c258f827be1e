// The broker supervisor in-process, on a real KMS and real stores: one broker's failure leaves the
// others running, users replaced while a broker opens are applied, a disabled customer key is
// reported as INVALID_KMS_KEY and its re-enabling as RUNNING, and a deletion finished after a
// restart (knowing only the broker id) retires the grant, destroys the service-owned key and
// removes the files.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import amqplib from 'amqplib';
import { hashPassword } from '../identity/password-hash.ts';
import { admin, kmsFixture, type KmsFixture } from '../kms/testing.ts';
import { ensureCertificates } from '../transport/certificates.ts';
import { silentLogger } from '../util/logger.ts';
import { BrokerSupervisor, INVALID_KMS_KEY } from './broker-supervisor.ts';
import { KmsEncryptionKeys } from './mq/kms-encryption-keys.ts';
import type { BrokerEncryption, BrokerRuntimeReport, BrokerSpec, BrokerUserSpec } from './mq/ports.ts';

const HASHING = { logN: 4 } as const;
const PASSWORD = 'Sealed-Broker-Pass-42';

let base: string;
let fixture: KmsFixture;
let tls: { certPem: string; keyPem: string; caPem: string };

before(async () => {
  base = await mkdtemp(join(tmpdir(), 'sealmq-supervisor-'));
  fixture = await kmsFixture();
  const certificate = await ensureCertificates({ dir: join(base, 'tls'), dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  tls = { certPem: certificate.certPem, keyPem: certificate.keyPem, caPem: certificate.caPem! };
});
after(async () => {
  await fixture.cleanup();
  await rm(base, { recursive: true, force: true });
});

function newSupervisor(dir: string, options: { dataKeyCacheAgeMaxMs?: number; keyCheckIntervalMs?: number } = {}): BrokerSupervisor {
  return new BrokerSupervisor({
    dir,
    host: '127.0.0.1',
    accountId: fixture.kms.accountId,
    region: 'us-east-1',
    kms: fixture.kms,
    certificate: () => tls,
    dataKeyCacheAgeMaxMs: options.dataKeyCacheAgeMaxMs ?? 60_000,
    keyCheckIntervalMs: options.keyCheckIntervalMs ?? 60_000,
    passwordHashing: HASHING,
    flowControl: false,
    logger: silentLogger(),
  });
}

async function user(username: string, password = PASSWORD): Promise<BrokerUserSpec> {
  return { username, passwordHash: await hashPassword(password, HASHING), consoleAccess: false, groups: [], replicationUser: false };
}

function spec(brokerId: string, encryption: BrokerEncryption, users: BrokerUserSpec[], engineType: 'RABBITMQ' | 'ACTIVEMQ' = 'RABBITMQ'): BrokerSpec {
  return {
    brokerId,
    brokerArn: `arn:aws:mq:us-east-1:${fixture.kms.accountId}:broker:t:${brokerId}`,
    brokerName: `t-${brokerId.slice(2, 10)}`,
    engineType,
    engineVersion: '3.13',
    deploymentMode: 'SINGLE_INSTANCE',
    hostInstanceType: 'mq.m5.large',
    storageType: 'EBS',
    authenticationStrategy: 'SIMPLE',
    encryption,
    configuration: { id: 'c-1', revision: 1, data: '' },
    users,
    logs: { general: false, audit: false },
  };
}

/** Records reports and lets a test wait for the next one that matches. */
class Reports {
  readonly seen: BrokerRuntimeReport[] = [];
  /** Reports before this index were consumed by next(). */
  #cursor = 0;
  #wake: (() => void) | undefined;
  readonly report = (report: BrokerRuntimeReport): void => {
    this.seen.push(report);
    this.#wake?.();
  };
  /** The next report not yet consumed, which must be in `state`. */
  async next(state: BrokerRuntimeReport['state']): Promise<BrokerRuntimeReport> {
    const deadline = Date.now() + 20_000;
    while (this.#cursor >= this.seen.length) {
      if (Date.now() > deadline) throw new Error(`no ${state} report; saw ${JSON.stringify(this.seen)}`);
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        setTimeout(resolve, 100);
      });
    }
    const report = this.seen[this.#cursor++]!;
    assert.equal(report.state, state, `reports: ${JSON.stringify(this.seen)}`);
    return report;
  }
}

function newBrokerId(): string {
  return `b-${randomUUID()}`;
}

async function serviceOwned(brokerId: string): Promise<BrokerEncryption> {
  return { kind: 'SERVICE_OWNED', keyArn: (await fixture.kms.createServiceOwnedKey(brokerId)).Arn };
}

function amqpsPort(supervisor: BrokerSupervisor, brokerId: string): number {
  const port = supervisor.getEndpoints(brokerId)?.[0]?.listeners.find((l) => l.scheme === 'amqps')?.port;
  assert.ok(port !== undefined, 'the broker lists an amqps listener');
  return port;
}

async function canConnect(port: number, username: string, password = PASSWORD): Promise<boolean> {
  try {
    const conn = await amqplib.connect(`amqps://${encodeURIComponent(username)}:${encodeURIComponent(password)}@127.0.0.1:${port}`, { ca: [tls.caPem] });
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue('probe', { durable: true });
    ch.sendToQueue('probe', Buffer.from('x'), { persistent: true });
    await ch.waitForConfirms();
    await conn.close();
    return true;
  } catch (error) {
    if (/ACCESS_REFUSED|403/.test(String(error))) return false;
    throw error;
  }
}

describe('BrokerSupervisor', () => {
  it("one broker's failure (its key is gone) leaves the other running and serving", async () => {
    const supervisor = newSupervisor(join(base, 'isolation'));
    try {
      const good = newBrokerId();
      const bad = newBrokerId();
      const goodReports = new Reports();
      const badReports = new Reports();
      await supervisor.create(spec(good, await serviceOwned(good), [await user('alice')]), goodReports.report);
      await goodReports.next('RUNNING');
      const missingKey = `arn:aws:kms:us-east-1:${fixture.kms.accountId}:key/${randomUUID()}`;
      await supervisor.create(spec(bad, { kind: 'SERVICE_OWNED', keyArn: missingKey }, [await user('bob')]), badReports.report);
      const failed = await badReports.next('CREATION_FAILED');
      assert.equal(failed.state, 'CREATION_FAILED');
      assert.equal(supervisor.getEndpoints(bad), undefined);
      assert.equal(await canConnect(amqpsPort(supervisor, good), 'alice'), true);
      assert.deepEqual(goodReports.seen, [{ state: 'RUNNING' }]);

      const active = newBrokerId();
      const activeReports = new Reports();
      await supervisor.create(spec(active, await serviceOwned(active), [await user('carol')], 'ACTIVEMQ'), activeReports.report);
      const report = await activeReports.next('CREATION_FAILED');
      assert.match((report as { reason?: string }).reason ?? '', /ACTIVEMQ engine is not available/);
    } finally {
      await supervisor.close();
    }
  });

  it('applies users replaced while the broker opens, and replaces them on a running broker', async () => {
    const supervisor = newSupervisor(join(base, 'users'));
    try {
      const id = newBrokerId();
      const reports = new Reports();
      await supervisor.create(spec(id, await serviceOwned(id), [await user('first')]), reports.report);
      await supervisor.applyUsers(id, [await user('first'), await user('second')]);
      await reports.next('RUNNING');
      const port = amqpsPort(supervisor, id);
      assert.equal(await canConnect(port, 'second'), true, 'a user added while opening can log in');
      await supervisor.applyUsers(id, [await user('second', 'Another-Pass-Word-7')]);
      assert.equal(await canConnect(port, 'first'), false, 'a removed user is refused');
      assert.equal(await canConnect(port, 'second'), false, 'the old password is refused');
      assert.equal(await canConnect(port, 'second', 'Another-Pass-Word-7'), true);
    } finally {
      await supervisor.close();
    }
  });

  it('a disabled customer key is reported as INVALID_KMS_KEY, and its re-enabling as RUNNING', async () => {
    const supervisor = newSupervisor(join(base, 'key-check'), { dataKeyCacheAgeMaxMs: 50, keyCheckIntervalMs: 50 });
    try {
      const id = newBrokerId();
      const key = (await fixture.kms.createKey(admin, {})).KeyMetadata;
      const grant = await new KmsEncryptionKeys(fixture.kms).createBrokerGrant(key.Arn, id, admin);
      const reports = new Reports();
      await supervisor.create(spec(id, { kind: 'CUSTOMER_MANAGED', keyArn: key.Arn, grantId: grant.grantId }, [await user('dora')]), reports.report);
      await reports.next('RUNNING');
      await fixture.kms.disableKey(admin, { KeyId: key.KeyId });
      const critical = await reports.next('CRITICAL_ACTION_REQUIRED');
      assert.deepEqual(
        (critical as unknown as { actionsRequired: { actionRequiredCode: string }[] }).actionsRequired.map((a) => a.actionRequiredCode),
        [INVALID_KMS_KEY],
      );
      await fixture.kms.enableKey(admin, { KeyId: key.KeyId });
      await reports.next('RUNNING');
      assert.equal(await canConnect(amqpsPort(supervisor, id), 'dora'), true);
    } finally {
      await supervisor.close();
    }
  });

  it('a broker whose customer key is disabled while SealMQ is down starts as INVALID_KMS_KEY, and runs once the key is enabled', async () => {
    const dir = join(base, 'start-disabled');
    const id = newBrokerId();
    const key = (await fixture.kms.createKey(admin, {})).KeyMetadata;
    const grant = await new KmsEncryptionKeys(fixture.kms).createBrokerGrant(key.Arn, id, admin);
    const brokerSpec = spec(id, { kind: 'CUSTOMER_MANAGED', keyArn: key.Arn, grantId: grant.grantId }, [await user('fay')]);
    const first = newSupervisor(dir);
    try {
      const reports = new Reports();
      await first.create(brokerSpec, reports.report);
      await reports.next('RUNNING');
    } finally {
      await first.close();
    }
    await fixture.kms.disableKey(admin, { KeyId: key.KeyId });
    const second = newSupervisor(dir, { keyCheckIntervalMs: 50 });
    try {
      const reports = new Reports();
      const error = await second.start(brokerSpec, reports.report);
      assert.equal(error?.name, 'KeyUnavailableError');
      const critical = await reports.next('CRITICAL_ACTION_REQUIRED');
      assert.equal((critical as unknown as { actionsRequired: { actionRequiredCode: string }[] }).actionsRequired[0]?.actionRequiredCode, INVALID_KMS_KEY);
      await new Promise((r) => setTimeout(r, 200)); // retries refused meanwhile are not reported again
      assert.equal(reports.seen.length, 1);
      await fixture.kms.enableKey(admin, { KeyId: key.KeyId });
      await reports.next('RUNNING');
      assert.equal(await canConnect(amqpsPort(second, id), 'fay'), true);
    } finally {
      await second.close();
    }
  });

  it('finishes a deletion after a restart knowing only the broker id: grant retired, service-owned key destroyed, files removed', async () => {
    const dir = join(base, 'restart-delete');
    const first = newSupervisor(dir);
    const owned = newBrokerId();
    const customer = newBrokerId();
    const key = (await fixture.kms.createKey(admin, {})).KeyMetadata;
    const grant = await new KmsEncryptionKeys(fixture.kms).createBrokerGrant(key.Arn, customer, admin);
    try {
      const reports = new Reports();
      await first.create(spec(owned, await serviceOwned(owned), [await user('erin')]), reports.report);
      await reports.next('RUNNING');
      const customerReports = new Reports();
      await first.create(spec(customer, { kind: 'CUSTOMER_MANAGED', keyArn: key.Arn, grantId: grant.grantId }, [await user('erin')]), customerReports.report);
      await customerReports.next('RUNNING');
    } finally {
      await first.close();
    }

    const second = newSupervisor(dir);
    try {
      for (const id of [owned, customer]) {
        const reports = new Reports();
        await second.delete(id, reports.report);
        await reports.next('DELETED');
        assert.ok(!existsSync(join(dir, id)), 'the broker directory is removed');
      }
      assert.equal(fixture.kms.listServiceOwnedKeys().some((k) => k.OwnerId === owned), false, 'the service-owned key is destroyed');
      const grants = await fixture.kms.listGrants(admin, { KeyId: key.KeyId });
      assert.equal(grants.Grants.some((g) => g.GrantId === grant.grantId), false, 'the mq_grant is retired');
    } finally {
      await second.close();
    }
  });
});
