// MqApi behind the real control-plane HTTPS server (api-server.ts) with SigV4 (identity/), driven by
// @aws-sdk/client-mq over TLS: the wire as the SDK and the CLI see it, with the in-memory runtime and
// keys. Checks what only the real path shows: percent-encoded ARNs under SigV4, repeated query keys,
// 204 without a body, error headers and bodies, and a read-only principal.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  BadRequestException,
  ConflictException,
  CreateBrokerCommand,
  CreateTagsCommand,
  CreateUserCommand,
  DeleteBrokerCommand,
  DeleteTagsCommand,
  DescribeBrokerCommand,
  DescribeUserCommand,
  ForbiddenException,
  ListBrokersCommand,
  ListTagsCommand,
  MqClient,
  NotFoundException,
  RebootBrokerCommand,
  UpdateBrokerCommand,
} from '@aws-sdk/client-mq';
import { openRootKey } from '../../crypto/root-key.ts';
import { PrincipalStore, type ResolvedAccessKey } from '../../identity/principal-store.ts';
import { SigV4Verifier } from '../../identity/sigv4.ts';
import { ensureCertificates } from '../../transport/certificates.ts';
import { silentLogger } from '../../util/logger.ts';
import { ApiServer } from '../api-server.ts';
import { FakePasswordHasher, InMemoryBrokerRuntime, InMemoryEncryptionKeys, SequentialIds, SettableClock } from './memory-ports.ts';
import { MqApi } from './mq-api.ts';
import { InMemoryMqStateStore } from './state.ts';

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';
const PASSWORD = 'Correct-Horse-Battery-9';
const root = mkdtempSync(join(tmpdir(), 'sealmq-mq-https-'));

describe('Amazon MQ API over HTTPS with SigV4 and @aws-sdk/client-mq', () => {
  let server: ApiServer;
  let admin: MqClient;
  let reader: MqClient;
  const runtime = new InMemoryBrokerRuntime(true);
  const keys = new InMemoryEncryptionKeys(REGION, ACCOUNT);

  before(async () => {
    const certificate = await ensureCertificates({ dir: join(root, 'tls') });
    const rootKey = await openRootKey({ dir: join(root, 'kms') });
    const store = await PrincipalStore.open({ dir: join(root, 'identity'), rootKey, accountId: ACCOUNT });
    const adminKey = (await store.ensureAdministrator(async () => undefined))!;
    await store.createPrincipal('auditor', [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['mq:Describe*', 'mq:List*'], Resource: '*' }] }]);
    const readerKey = await store.createAccessKey('auditor');
    const verifier = new SigV4Verifier<ResolvedAccessKey>({ region: REGION, lookup: (id) => store.lookupAccessKey(id) });
    const mq = new MqApi({
      accountId: ACCOUNT,
      region: REGION,
      host: 'localhost',
      clock: new SettableClock(),
      ids: new SequentialIds(),
      store: new InMemoryMqStateStore(),
      runtime,
      keys,
      passwords: new FakePasswordHasher(),
    });
    server = await ApiServer.start({
      host: '127.0.0.1',
      port: 0,
      certificate,
      limits: { bodyMaxBytes: 256 * 1024, headersTimeoutMs: 5000, requestTimeoutMs: 10_000, keepAliveTimeoutMs: 1000, connectionsMax: 100 },
      verifier,
      jsonServices: [],
      mq,
      logger: silentLogger(),
    });
    const client = (accessKeyId: string, secretAccessKey: string) =>
      new MqClient({
        region: REGION,
        endpoint: server.url,
        credentials: { accessKeyId, secretAccessKey },
        requestHandler: { httpsAgent: new Agent({ ca: certificate.caPem!, keepAlive: false }) },
        maxAttempts: 1,
      });
    admin = client(adminKey.accessKeyId, adminKey.secretAccessKey);
    reader = client(readerKey.accessKeyId, readerKey.secretAccessKey);
  });

  after(async () => {
    admin?.destroy();
    reader?.destroy();
    await server?.close();
    rmSync(root, { recursive: true, force: true });
  });

  const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

  it('creates, describes, lists, updates, reboots and deletes a broker; tags its ARN', async () => {
    const key = keys.addKey({ aliases: ['alias/orders'] });
    const created = await admin.send(
      new CreateBrokerCommand({
        BrokerName: 'orders-prod',
        EngineType: 'ACTIVEMQ',
        DeploymentMode: 'SINGLE_INSTANCE',
        HostInstanceType: 'mq.m5.large',
        PubliclyAccessible: false,
        EncryptionOptions: { UseAwsOwnedKey: false, KmsKeyId: 'alias/orders' },
        Users: [{ Username: 'app-admin', Password: PASSWORD, ConsoleAccess: true }],
      }),
    );
    await settle();
    const described = await admin.send(new DescribeBrokerCommand({ BrokerId: created.BrokerId }));
    assert.equal(described.BrokerState, 'RUNNING');
    assert.deepEqual(described.EncryptionOptions, { UseAwsOwnedKey: false, KmsKeyId: key.keyArn });
    assert.ok(described.Created instanceof Date);
    assert.equal(described.BrokerInstances?.[0]?.Endpoints?.length, 5);
    assert.equal((await reader.send(new ListBrokersCommand({}))).BrokerSummaries?.length, 1);

    // ARN in the path, percent-encoded and signed; tag keys repeated in the query; 204 without a body.
    await admin.send(new CreateTagsCommand({ ResourceArn: created.BrokerArn, Tags: { team: 'orders', 'cost center': 'a/b:c' } }));
    await admin.send(new DeleteTagsCommand({ ResourceArn: created.BrokerArn, TagKeys: ['team', 'missing'] }));
    assert.deepEqual((await reader.send(new ListTagsCommand({ ResourceArn: created.BrokerArn }))).Tags, { 'cost center': 'a/b:c' });

    await admin.send(new CreateUserCommand({ BrokerId: created.BrokerId, Username: 'svc~batch', Password: 'Batch-Password-77' }));
    assert.equal((await reader.send(new DescribeUserCommand({ BrokerId: created.BrokerId, Username: 'svc~batch' }))).Pending?.PendingChange, 'CREATE');
    await admin.send(new UpdateBrokerCommand({ BrokerId: created.BrokerId, HostInstanceType: 'mq.m5.xlarge' }));
    await admin.send(new RebootBrokerCommand({ BrokerId: created.BrokerId }));
    await settle();
    const rebooted = await admin.send(new DescribeBrokerCommand({ BrokerId: created.BrokerId }));
    assert.equal(rebooted.HostInstanceType, 'mq.m5.xlarge');
    assert.deepEqual(rebooted.Users?.map((u) => u.Username), ['app-admin', 'svc~batch']);

    await assert.rejects(reader.send(new DeleteBrokerCommand({ BrokerId: created.BrokerId })), ForbiddenException);
    assert.equal((await admin.send(new DeleteBrokerCommand({ BrokerId: created.BrokerId }))).BrokerId, created.BrokerId);
    await settle();
    await assert.rejects(admin.send(new DescribeBrokerCommand({ BrokerId: created.BrokerId })), (error: unknown) => {
      assert.ok(error instanceof NotFoundException);
      assert.equal(error.ErrorAttribute, 'broker-id');
      return true;
    });
  });

  it('errors arrive as the SDK exception classes with ErrorAttribute and no secret', async () => {
    const base = { EngineType: 'RABBITMQ' as const, DeploymentMode: 'SINGLE_INSTANCE' as const, HostInstanceType: 'mq.m5.large', PubliclyAccessible: false };
    await assert.rejects(admin.send(new CreateBrokerCommand({ ...base, BrokerName: 'events', Users: [{ Username: 'guest', Password: PASSWORD }] })), (error: unknown) => {
      assert.ok(error instanceof BadRequestException);
      assert.equal(error.ErrorAttribute, 'username');
      return true;
    });
    await assert.rejects(admin.send(new CreateBrokerCommand({ ...base, BrokerName: 'events', Users: [{ Username: 'rabbit-admin', Password: 'has:colon-1234' }] })), (error: unknown) => {
      assert.ok(error instanceof BadRequestException);
      assert.equal(error.ErrorAttribute, 'password');
      assert.ok(!error.message.includes('has:colon'));
      return true;
    });
    await assert.rejects(admin.send(new CreateBrokerCommand({ ...base, BrokerName: '4111-1111-1111-1111', Users: [{ Username: 'rabbit-admin', Password: PASSWORD }] })), (error: unknown) => {
      assert.ok(error instanceof BadRequestException);
      assert.equal(error.ErrorAttribute, 'brokerName');
      assert.match(error.message, /payment card number/);
      return true;
    });
    await admin.send(new CreateBrokerCommand({ ...base, BrokerName: 'events', Users: [{ Username: 'rabbit-admin', Password: PASSWORD }] }));
    await assert.rejects(admin.send(new CreateBrokerCommand({ ...base, BrokerName: 'events', Users: [{ Username: 'rabbit-admin', Password: PASSWORD }] })), (error: unknown) => {
      assert.ok(error instanceof ConflictException);
      assert.equal(error.ErrorAttribute, 'brokerName');
      return true;
    });
    await assert.rejects(reader.send(new CreateBrokerCommand({ ...base, BrokerName: 'sneaky', Users: [{ Username: 'rabbit-admin', Password: PASSWORD }] })), ForbiddenException);
  });
});
