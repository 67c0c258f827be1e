// The default broker on the in-memory MQ API: made once on first start with a generated password in
// a 0600 file; a crash between CreateBroker and recording it makes no second broker; later starts
// reuse it; once deleted it is not made again and its stale credentials file goes. Its creation is
// one CreateBroker audit event by the service, with the password hidden; a refused one is recorded too.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { mkdtemp, readFile, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { MemoryAuditSink } from '../../core/audit-sink.ts';
import { silentLogger } from '../../util/logger.ts';
import { ACCOUNT, ADMIN, READ_ONLY, REGION, makeHarness } from '../mq/test-harness.ts';
import { BROKER_CREDENTIALS_FILE, DEFAULT_BROKER_FILE, ensureDefaultBroker, readBrokerCredentials } from './default-broker.ts';

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function dataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sealmq-default-broker-'));
  dirs.push(dir);
  return dir;
}

describe('ensureDefaultBroker', () => {
  it('makes one RABBITMQ broker on its service-owned key with a generated administrator, and reuses it later', async () => {
    const h = makeHarness({ autoComplete: true });
    const dir = await dataDir();
    const created = await ensureDefaultBroker({ dataDir: dir, mq: h.api, caller: ADMIN, logger: silentLogger() });
    assert.ok(created?.created);
    const credentialsFile = join(dir, BROKER_CREDENTIALS_FILE);
    assert.equal(created.credentialsFile, credentialsFile);
    assert.equal(statSync(credentialsFile).mode & 0o777, 0o600);
    const credentials = await readBrokerCredentials(credentialsFile);
    assert.equal(credentials?.username, 'admin');
    assert.match(credentials?.password ?? '', /^[A-Za-z0-9_-]{32}$/);

    await h.settle();
    const described = await h.call('GET', `/v1/brokers/${created.brokerId}`);
    assert.equal(described.brokerName, 'default');
    assert.equal(described.engineType, 'RABBITMQ');
    assert.equal(described.deploymentMode, 'SINGLE_INSTANCE');
    assert.deepEqual(described.encryptionOptions, { useAwsOwnedKey: true });
    assert.equal(h.runtime.specs.get(created.brokerId)?.encryption.kind, 'SERVICE_OWNED');
    assert.deepEqual(described.users, [{ username: 'admin' }]);

    const again = await ensureDefaultBroker({ dataDir: dir, mq: h.api, caller: ADMIN, logger: silentLogger() });
    assert.deepEqual(again, { ...created, created: false });
    assert.equal((await readBrokerCredentials(credentialsFile))?.password, credentials?.password, 'the password is not changed');
  });

  it('a crash after CreateBroker but before it was recorded makes no second broker', async () => {
    const h = makeHarness({ autoComplete: true });
    const dir = await dataDir();
    const first = await ensureDefaultBroker({ dataDir: dir, mq: h.api, caller: ADMIN, logger: silentLogger() });
    await unlink(join(dir, DEFAULT_BROKER_FILE));
    const retried = await ensureDefaultBroker({ dataDir: dir, mq: h.api, caller: ADMIN, logger: silentLogger() });
    assert.equal(retried?.brokerId, first?.brokerId);
    const list = await h.call('GET', '/v1/brokers');
    assert.equal(list.brokerSummaries.length, 1);
  });

  it('is not made again once deleted, and its credentials file is removed', async () => {
    const h = makeHarness({ autoComplete: true });
    const dir = await dataDir();
    const created = await ensureDefaultBroker({ dataDir: dir, mq: h.api, caller: ADMIN, logger: silentLogger() });
    await h.settle();
    await h.call('DELETE', `/v1/brokers/${created!.brokerId}`);
    await h.settle();
    let checkedPort = false;
    const later = await ensureDefaultBroker({
      dataDir: dir,
      mq: h.api,
      caller: ADMIN,
      logger: silentLogger(),
      beforeCreate: async () => {
        checkedPort = true;
      },
    });
    assert.equal(later, undefined);
    assert.equal(checkedPort, false, 'nothing is created');
    await assert.rejects(readFile(join(dir, BROKER_CREDENTIALS_FILE)), { code: 'ENOENT' });
    assert.equal((await h.call('GET', '/v1/brokers')).brokerSummaries.length, 0);
  });

  it('records its creation as a CreateBroker by the service itself, password hidden, once', async () => {
    const h = makeHarness({ autoComplete: true });
    const dir = await dataDir();
    const sink = new MemoryAuditSink();
    const audit = { sink, region: REGION, accountId: ACCOUNT };
    const created = await ensureDefaultBroker({ dataDir: dir, mq: h.api, caller: ADMIN, logger: silentLogger(), audit });
    assert.equal(sink.events.length, 1);
    const event = sink.events[0]!;
    assert.equal(event.eventSource, 'mq.amazonaws.com');
    assert.equal(event.eventName, 'CreateBroker');
    assert.equal(event.eventType, 'AwsApiCall');
    assert.deepEqual(event.userIdentity, { type: 'AWSService', invokedBy: 'mq.amazonaws.com' });
    assert.equal(event.sourceIPAddress, 'mq.amazonaws.com');
    assert.equal(event.errorCode, undefined);
    assert.equal(event.readOnly, false);
    assert.equal(event.awsRegion, REGION);
    assert.equal(event.requestParameters?.['brokerName'], 'default');
    const password = (await readBrokerCredentials(join(dir, BROKER_CREDENTIALS_FILE)))!.password;
    assert.ok(!JSON.stringify(event).includes(password), 'the generated password is not in the event');
    const users = event.requestParameters?.['users'] as { username: string; password: string }[];
    assert.equal(users[0]?.username, 'admin');
    assert.match(users[0]!.password, /HIDDEN|\*\*\*/);
    assert.equal(event.responseElements?.['brokerId'], created!.brokerId);
    assert.equal(event.resources?.[0]?.ARN, event.responseElements?.['brokerArn']);
    assert.ok(event.resources?.[0]?.ARN.endsWith(`:${created!.brokerId}`));
    assert.match(String(event.requestID), /^[0-9a-f-]{36}$/);

    await ensureDefaultBroker({ dataDir: dir, mq: h.api, caller: ADMIN, logger: silentLogger(), audit });
    assert.equal(sink.events.length, 1, 'a later start creates nothing and records nothing');
  });

  it('records a refused creation with its error code, and fails', async () => {
    const h = makeHarness({ autoComplete: true });
    const sink = new MemoryAuditSink();
    await assert.rejects(
      ensureDefaultBroker({ dataDir: await dataDir(), mq: h.api, caller: READ_ONLY, logger: silentLogger(), audit: { sink, region: REGION, accountId: ACCOUNT } }),
      { errorType: 'ForbiddenException' },
    );
    assert.equal(sink.events.length, 1);
    assert.equal(sink.events[0]!.eventName, 'CreateBroker');
    assert.equal(sink.events[0]!.errorCode, 'ForbiddenException');
    assert.equal(sink.events[0]!.responseElements, null);
  });
});
