// The broker supervisor in-process, on a real KMS and real stores: one broker's failure leaves the
// others running, users replaced while a broker opens are applied, a disabled customer key is
// reported as INVALID_KMS_KEY and its re-enabling as RUNNING, and a deletion finished after a
// restart (knowing only the broker id) retires the grant, destroys the service-owned key and
// removes the files.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, stat, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import amqplib from 'amqplib';
import { hashPassword } from '../identity/password-hash.ts';
import { admin, kmsFixture, type KmsFixture } from '../kms/testing.ts';
import { ensureCertificates } from '../transport/certificates.ts';
import { silentLogger } from '../util/logger.ts';
import { BrokerSupervisor, INVALID_KMS_KEY, type BrokerSupervisorOptions } from './broker-supervisor.ts';
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

function newSupervisor(
  dir: string,
  options: { dataKeyCacheAgeMaxMs?: number; keyCheckIntervalMs?: number; engineDefaultPorts?: BrokerSupervisorOptions['engineDefaultPorts']; rollbackAnchors?: BrokerSupervisorOptions['rollbackAnchors'] } = {},
): BrokerSupervisor {
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
    ...(options.engineDefaultPorts !== undefined ? { engineDefaultPorts: options.engineDefaultPorts } : {}),
    ...(options.rollbackAnchors !== undefined ? { rollbackAnchors: options.rollbackAnchors } : {}),
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

/** A STOMP 1.2 connection over TLS as raw frames: `first` is the answer to CONNECT. */
async function stompConnect(port: number, username: string, password = PASSWORD): Promise<{ socket: TLSSocket; first: string; next(): Promise<string>; closed: Promise<void> }> {
  const socket = tlsConnect({ host: '127.0.0.1', port, ca: [tls.caPem] });
  socket.on('error', () => undefined);
  const frames: string[] = [];
  let buffer = '';
  let wake: (() => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    for (let end = buffer.indexOf('\0'); end !== -1; end = buffer.indexOf('\0')) {
      frames.push(buffer.slice(0, end + 1).replace(/^\n+/, ''));
      buffer = buffer.slice(end + 1);
    }
    wake?.();
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  let isClosed = false;
  void closed.then(() => {
    isClosed = true;
    wake?.();
  });
  const next = async (): Promise<string> => {
    while (frames.length === 0) {
      if (isClosed) throw new Error('the STOMP connection closed');
      await new Promise<void>((resolve) => (wake = resolve));
    }
    return frames.shift()!;
  };
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', () => resolve());
    socket.once('error', reject);
  });
  socket.write(`CONNECT\naccept-version:1.2\nhost:/\nlogin:${username}\npasscode:${password}\n\n\0`);
  return { socket, first: await next(), next, closed };
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

      // An ActiveMQ broker whose configuration cannot be applied fails alone, naming the configuration.
      const active = newBrokerId();
      const activeReports = new Reports();
      const badConfiguration = Buffer.from('<broker><plugins><authorizationPlugin><map><authorizationMap><authorizationEntries><authorizationEntry read="x"/></authorizationEntries></authorizationMap></map></authorizationPlugin></plugins></broker>').toString('base64');
      await supervisor.create({ ...spec(active, await serviceOwned(active), [await user('carol')], 'ACTIVEMQ'), configuration: { id: 'c-2', revision: 1, data: badConfiguration } }, activeReports.report);
      const report = await activeReports.next('CREATION_FAILED');
      assert.match((report as { reason?: string }).reason ?? '', /ActiveMQ configuration cannot be applied: authorizationEntry: give exactly one of queue or topic/);
      assert.equal(supervisor.getEndpoints(active), undefined);
      assert.equal(await canConnect(amqpsPort(supervisor, good), 'alice'), true);
    } finally {
      await supervisor.close();
    }
  });

  it('runs an ACTIVEMQ broker: amqp+ssl, stomp+ssl, mqtt+ssl and wss in that order; API users with their groups; the configured authorization', async () => {
    const supervisor = newSupervisor(join(base, 'activemq'));
    try {
      const id = newBrokerId();
      const reports = new Reports();
      const configuration = Buffer.from(
        '<broker><plugins><authorizationPlugin><map><authorizationMap><authorizationEntries>' +
          '<authorizationEntry queue="orders.>" read="readers" write="writers" admin="writers"/>' +
          '</authorizationEntries></authorizationMap></map></authorizationPlugin></plugins></broker>',
      ).toString('base64');
      const users = [{ ...(await user('writer')), groups: ['writers'] }, { ...(await user('reader')), groups: ['readers'] }];
      await supervisor.create({ ...spec(id, await serviceOwned(id), users, 'ACTIVEMQ'), configuration: { id: 'c-3', revision: 1, data: configuration } }, reports.report);
      await reports.next('RUNNING');
      const listeners = supervisor.getEndpoints(id)?.[0]?.listeners ?? [];
      assert.deepEqual(listeners.map((l) => l.scheme), ['amqp+ssl', 'stomp+ssl', 'mqtt+ssl', 'wss']);
      assert.equal(new Set(listeners.map((l) => l.port)).size, 4);
      const stompPort = listeners.find((l) => l.scheme === 'stomp+ssl')!.port;

      const writer = await stompConnect(stompPort, 'writer');
      assert.match(writer.first, /^CONNECTED\n/);
      writer.socket.write('SEND\ndestination:/queue/orders.new\nreceipt:r1\n\nhello\0');
      assert.match(await writer.next(), /^RECEIPT\n[\s\S]*receipt-id:r1/);
      writer.socket.write('SEND\ndestination:/queue/other\nreceipt:r2\n\nhello\0');
      assert.match(await writer.next(), /^ERROR\n/, 'no authorization entry covers queue other');
      const reader = await stompConnect(stompPort, 'reader');
      reader.socket.write('SUBSCRIBE\nid:1\ndestination:/queue/orders.new\n\n\0');
      assert.match(await reader.next(), /^MESSAGE\n[\s\S]*\n\nhello\0/);
      reader.socket.destroy();
      writer.socket.destroy();
      assert.match((await stompConnect(stompPort, 'writer', 'Wrong-Pass-Word-1')).first, /^ERROR\n/);
    } finally {
      await supervisor.close();
    }
  });

  it("ACTIVEMQ ports: the engine's port when free, another when it is taken (logged), and the same ports again after a reboot", async () => {
    const holder = createNetServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', () => resolve()));
    const busyPort = (holder.address() as AddressInfo).port;
    const probe = createNetServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
    const freePort = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const supervisor = newSupervisor(join(base, 'activemq-ports'), { engineDefaultPorts: (scheme) => (scheme === 'stomp+ssl' ? freePort : scheme === 'mqtt+ssl' ? busyPort : undefined) });
    try {
      const id = newBrokerId();
      const reports = new Reports();
      const brokerSpec = spec(id, await serviceOwned(id), [await user('hana')], 'ACTIVEMQ');
      await supervisor.create(brokerSpec, reports.report);
      await reports.next('RUNNING');
      const portsOf = () => Object.fromEntries((supervisor.getEndpoints(id)?.[0]?.listeners ?? []).map((l) => [l.scheme, l.port]));
      const first = portsOf();
      assert.equal(first['stomp+ssl'], freePort, "the engine's port when it is free");
      assert.notEqual(first['mqtt+ssl'], busyPort, 'another port when it is taken');
      assert.ok((first['mqtt+ssl'] ?? 0) > 0);
      await new Promise<void>((resolve) => holder.close(() => resolve()));
      await supervisor.reboot(brokerSpec, reports.report);
      await reports.next('RUNNING');
      assert.deepEqual(portsOf(), first, 'a reboot keeps every port, also the one taken instead of a busy default');
    } finally {
      holder.close();
      await supervisor.close();
    }
  });

  it('quarantines an ACTIVEMQ broker whose key is disabled: its STOMP clients get an ERROR naming the key, and it runs again once the key is enabled', async () => {
    const supervisor = newSupervisor(join(base, 'activemq-key'), { dataKeyCacheAgeMaxMs: 50, keyCheckIntervalMs: 50 });
    try {
      const id = newBrokerId();
      const key = (await fixture.kms.createKey(admin, {})).KeyMetadata;
      const grant = await new KmsEncryptionKeys(fixture.kms).createBrokerGrant(key.Arn, id, admin);
      const reports = new Reports();
      await supervisor.create(spec(id, { kind: 'CUSTOMER_MANAGED', keyArn: key.Arn, grantId: grant.grantId }, [await user('gail')], 'ACTIVEMQ'), reports.report);
      await reports.next('RUNNING');
      const stompPort = () => supervisor.getEndpoints(id)?.[0]?.listeners.find((l) => l.scheme === 'stomp+ssl')?.port;
      const client = await stompConnect(stompPort()!, 'gail');
      assert.match(client.first, /^CONNECTED\n/);
      await fixture.kms.disableKey(admin, { KeyId: key.KeyId });
      await reports.next('CRITICAL_ACTION_REQUIRED');
      const error = await client.next();
      assert.match(error, /^ERROR\n/);
      // STOMP 1.2 header escaping turns ':' into '\c'.
      assert.ok(error.replaceAll('\\c', ':').includes(`KMS key ${key.Arn} cannot be used (DISABLED)`), `the ERROR frame names the key: ${error}`);
      await client.closed;
      await fixture.kms.enableKey(admin, { KeyId: key.KeyId });
      await reports.next('RUNNING');
      const again = await stompConnect(stompPort()!, 'gail');
      assert.match(again.first, /^CONNECTED\n/);
      again.socket.destroy();
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

  it('refuses to start a broker whose store was cut back behind its rollback anchor, and removes the anchor with the broker', async () => {
    const dir = join(base, 'rollback');
    const anchorDir = join(base, 'rollback-anchors');
    const withAnchors = () => newSupervisor(dir, { rollbackAnchors: { dir: anchorDir, rootKey: fixture.rootKey } });
    const id = newBrokerId();
    const brokerSpec = spec(id, await serviceOwned(id), [await user('gus')]);
    const first = withAnchors();
    try {
      const reports = new Reports();
      await first.create(brokerSpec, reports.report);
      await reports.next('RUNNING');
      const connection = await amqplib.connect(`amqps://gus:${PASSWORD}@127.0.0.1:${amqpsPort(first, id)}`, { ca: [tls.caPem], servername: 'localhost' });
      const channel = await connection.createConfirmChannel();
      await channel.assertQueue('kept', { durable: true });
      for (let i = 0; i < 5; i++) channel.sendToQueue('kept', Buffer.from(`m${i}`), { persistent: true });
      await channel.waitForConfirms();
      await connection.close();
    } finally {
      await first.close();
    }
    const anchorFile = join(anchorDir, `${id}.sealed`);
    assert.ok(existsSync(anchorFile), 'the anchor is kept outside the broker directory');
    // The newest segment loses its tail, as a crash would leave it: recovery alone would take it
    // for a torn write and carry on with an older state.
    const storeDir = join(dir, id, 'store', 'segments');
    const newest = join(storeDir, (await readdir(storeDir)).sort().at(-1)!);
    await truncate(newest, Math.floor((await stat(newest)).size / 2));

    const second = withAnchors();
    try {
      const reports = new Reports();
      const error = await second.start(brokerSpec, reports.report);
      assert.ok(error !== undefined, 'the broker does not start on a rolled-back store');
      assert.match(String(error.message), /missing|truncat|rollback|anchor/i);
      const deletion = new Reports();
      await second.delete(id, deletion.report);
      await deletion.next('DELETED');
      assert.ok(!existsSync(anchorFile), 'DeleteBroker removes the anchor');
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
