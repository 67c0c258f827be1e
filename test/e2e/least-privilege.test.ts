// Least privilege, end to end (issue 5 "Must show"): a read-only principal (Allow mq:Describe*,
// mq:List*, kms:Describe*, kms:List*) describes and lists brokers, users and keys through the real
// SDK clients, and is refused every create, update, delete, reboot and kms:Decrypt with the AWS error
// type; each refusal is in the audit trail (read back with `sealmq audit list`) with its error code,
// the principal's ARN and the request id the client was given.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  ListAliasesCommand,
  ListKeysCommand,
  ScheduleKeyDeletionCommand,
  type KMSClient,
} from '@aws-sdk/client-kms';
import {
  CreateBrokerCommand,
  CreateConfigurationCommand,
  CreateTagsCommand,
  CreateUserCommand,
  DeleteBrokerCommand,
  DeleteTagsCommand,
  DeleteUserCommand,
  DescribeBrokerCommand,
  DescribeUserCommand,
  ForbiddenException,
  ListBrokersCommand,
  ListConfigurationsCommand,
  ListUsersCommand,
  RebootBrokerCommand,
  UpdateBrokerCommand,
  UpdateUserCommand,
  type MqClient,
} from '@aws-sdk/client-mq';
import type { AuditEvent } from '../../src/core/audit-sink.ts';
import { createPrincipal, kmsClient, mqClient, readBrokerCredentials, runCli, startServer, type RunningServer, type TestPrincipal } from '../helpers/server.ts';

const READ_ONLY_POLICY = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow' as const, Action: ['mq:Describe*', 'mq:List*', 'kms:Describe*', 'kms:List*'], Resource: '*' }],
};
const PASSWORD = 'Least-Privilege-Pass-42';

let server: RunningServer;
let reader: TestPrincipal;
let readerMq: MqClient;
let readerKms: KMSClient;
let adminKms: KMSClient;
let keyId: string;
let ciphertext: Uint8Array;
let startedAt: string;

before(async () => {
  server = await startServer();
  startedAt = new Date(Date.now() - 1000).toISOString();
  reader = await createPrincipal(server, 'auditor', READ_ONLY_POLICY);
  readerMq = mqClient(server, reader);
  readerKms = kmsClient(server, reader);
  adminKms = kmsClient(server);
  keyId = (await adminKms.send(new CreateKeyCommand({ Description: 'least privilege test key' }))).KeyMetadata!.KeyId!;
  ciphertext = (await adminKms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('least privilege') }))).CiphertextBlob!;
});
after(async () => {
  readerMq?.destroy();
  readerKms?.destroy();
  adminKms?.destroy();
  await server?.stop();
});

/** A refusal the client saw: the operation, its AWS error type and the request id it was given. */
interface Refusal {
  operation: string;
  errorType: string;
  requestId: string;
}
const refusals: Refusal[] = [];

/** The KMS client has no AccessDeniedException class: its errors are told apart by name, as AWS documents. */
const AccessDeniedException = 'AccessDeniedException';

async function refused(operation: string, type: typeof ForbiddenException | typeof AccessDeniedException, call: () => Promise<unknown>): Promise<void> {
  let error: unknown;
  try {
    await call();
  } catch (e) {
    error = e;
  }
  const expected = typeof type === 'string' ? type : type.name;
  if (typeof type !== 'string') assert.ok(error instanceof type, `${operation}: expected ${expected}, got ${error === undefined ? 'success' : (error as Error).name}`);
  assert.equal((error as Error | undefined)?.name, expected, `${operation}: expected ${expected}, got ${error === undefined ? 'success' : `${(error as Error).name}: ${(error as Error).message}`}`);
  const requestId = (error as { $metadata?: { requestId?: string } }).$metadata?.requestId;
  assert.ok(requestId !== undefined, `${operation}: the refusal has a request id`);
  refusals.push({ operation, errorType: expected, requestId });
}

describe('a read-only principal', () => {
  it('describes and lists brokers, users, configurations and keys', async () => {
    const brokerId = server.endpoints.brokerId!;
    const { username } = await readBrokerCredentials(server);
    const listed = await readerMq.send(new ListBrokersCommand({}));
    assert.ok(listed.BrokerSummaries?.some((b) => b.BrokerId === brokerId));
    assert.equal((await readerMq.send(new DescribeBrokerCommand({ BrokerId: brokerId }))).BrokerId, brokerId);
    assert.ok((await readerMq.send(new ListUsersCommand({ BrokerId: brokerId }))).Users?.some((u) => u.Username === username));
    assert.equal((await readerMq.send(new DescribeUserCommand({ BrokerId: brokerId, Username: username }))).Username, username);
    assert.ok(Array.isArray((await readerMq.send(new ListConfigurationsCommand({}))).Configurations));
    assert.ok((await readerKms.send(new ListKeysCommand({}))).Keys?.some((k) => k.KeyId === keyId));
    assert.equal((await readerKms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.KeyId, keyId);
    assert.ok(Array.isArray((await readerKms.send(new ListAliasesCommand({}))).Aliases));
  });

  it('is refused every Amazon MQ create, update, delete and reboot with ForbiddenException', async () => {
    const brokerId = server.endpoints.brokerId!;
    const { username } = await readBrokerCredentials(server);
    await refused('CreateBroker', ForbiddenException, () =>
      readerMq.send(
        new CreateBrokerCommand({
          BrokerName: 'not-allowed',
          EngineType: 'RABBITMQ',
          DeploymentMode: 'SINGLE_INSTANCE',
          HostInstanceType: 'mq.m5.large',
          PubliclyAccessible: false,
          AutoMinorVersionUpgrade: true,
          Users: [{ Username: 'owner', Password: PASSWORD }],
        }),
      ),
    );
    await refused('UpdateBroker', ForbiddenException, () => readerMq.send(new UpdateBrokerCommand({ BrokerId: brokerId, AutoMinorVersionUpgrade: false })));
    await refused('RebootBroker', ForbiddenException, () => readerMq.send(new RebootBrokerCommand({ BrokerId: brokerId })));
    await refused('DeleteBroker', ForbiddenException, () => readerMq.send(new DeleteBrokerCommand({ BrokerId: brokerId })));
    await refused('CreateUser', ForbiddenException, () => readerMq.send(new CreateUserCommand({ BrokerId: brokerId, Username: 'intruder', Password: PASSWORD })));
    await refused('UpdateUser', ForbiddenException, () => readerMq.send(new UpdateUserCommand({ BrokerId: brokerId, Username: username, Password: PASSWORD })));
    await refused('DeleteUser', ForbiddenException, () => readerMq.send(new DeleteUserCommand({ BrokerId: brokerId, Username: username })));
    await refused('CreateConfiguration', ForbiddenException, () => readerMq.send(new CreateConfigurationCommand({ Name: 'not-allowed', EngineType: 'RABBITMQ', EngineVersion: '3.13' })));
    const brokerArn = (await readerMq.send(new DescribeBrokerCommand({ BrokerId: brokerId }))).BrokerArn!;
    await refused('CreateTags', ForbiddenException, () => readerMq.send(new CreateTagsCommand({ ResourceArn: brokerArn, Tags: { team: 'audit' } })));
    await refused('DeleteTags', ForbiddenException, () => readerMq.send(new DeleteTagsCommand({ ResourceArn: brokerArn, TagKeys: ['team'] })));
    // Nothing changed: the default broker is still there and running.
    assert.equal((await readerMq.send(new DescribeBrokerCommand({ BrokerId: brokerId }))).BrokerState, 'RUNNING');
  });

  it('is refused kms:Decrypt and every KMS create, update and delete with AccessDeniedException', async () => {
    await refused('Decrypt', AccessDeniedException, () => readerKms.send(new DecryptCommand({ CiphertextBlob: ciphertext })));
    await refused('Encrypt', AccessDeniedException, () => readerKms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('no') })));
    await refused('GenerateDataKey', AccessDeniedException, () => readerKms.send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256' })));
    await refused('CreateKey', AccessDeniedException, () => readerKms.send(new CreateKeyCommand({})));
    await refused('CreateAlias', AccessDeniedException, () => readerKms.send(new CreateAliasCommand({ AliasName: 'alias/not-allowed', TargetKeyId: keyId })));
    await refused('DisableKey', AccessDeniedException, () => readerKms.send(new DisableKeyCommand({ KeyId: keyId })));
    await refused('ScheduleKeyDeletion', AccessDeniedException, () => readerKms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 })));
    // The key is untouched.
    assert.equal((await adminKms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.KeyState, 'Enabled');
  });

  it('has each refusal in the audit trail, with its error code, the principal ARN and the request id (sealmq audit list)', async () => {
    assert.ok(refusals.length >= 17, `refusals recorded by the tests above: ${refusals.length}`);
    // Events are appended in the background; poll the CLI until every refusal is there.
    const deadline = Date.now() + 30_000;
    let events: AuditEvent[] = [];
    for (;;) {
      const listed = await runCli(['audit', 'list', '--data-dir', server.dataDir, '--since', startedAt, '--json']);
      assert.equal(listed.exitCode, 0, listed.stderr);
      events = listed.stdout.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as AuditEvent);
      const ids = new Set(events.map((e) => e.requestID));
      if (refusals.every((r) => ids.has(r.requestId)) || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    for (const refusal of refusals) {
      const event = events.find((e) => e.requestID === refusal.requestId);
      assert.ok(event !== undefined, `${refusal.operation} (request ${refusal.requestId}) is in the audit trail`);
      assert.equal(event.eventName, refusal.operation);
      assert.equal(event.errorCode, refusal.errorType, `${refusal.operation} errorCode`);
      assert.equal(event.userIdentity?.arn, reader.arn);
      assert.equal(event.userIdentity?.accessKeyId, reader.accessKeyId);
      assert.equal(event.eventSource, refusal.errorType === 'ForbiddenException' ? 'mq.amazonaws.com' : 'kms.amazonaws.com');
      assert.equal(event.eventType, 'AwsApiCall');
      assert.equal(event.readOnly, false);
      assert.equal(event.sourceIPAddress, '127.0.0.1');
      assert.ok((event.errorMessage ?? '').length > 0, `${refusal.operation} has an error message`);
      assert.equal(event.responseElements ?? null, null);
    }
    // The refused kms:Decrypt names the key, and the refused reboot the broker.
    const decrypt = events.find((e) => e.requestID === refusals.find((r) => r.operation === 'Decrypt')!.requestId)!;
    assert.equal(JSON.stringify(decrypt.requestParameters).includes('"CiphertextBlob":"***"'), true);
    const reboot = events.find((e) => e.requestID === refusals.find((r) => r.operation === 'RebootBroker')!.requestId)!;
    assert.ok(reboot.resources?.some((r) => r.ARN.endsWith(`:${server.endpoints.brokerId}`)), JSON.stringify(reboot.resources));
    // The allowed reads are there too, marked read-only and without an error.
    const describe = events.find((e) => e.eventName === 'DescribeBroker' && e.userIdentity?.arn === reader.arn);
    assert.ok(describe !== undefined && describe.errorCode === undefined && describe.readOnly === true);
    // And the summary form of `sealmq audit list` names the principal and the error.
    const summary = await runCli(['audit', 'list', '--data-dir', server.dataDir, '--since', startedAt, '--event-name', 'RebootBroker']);
    assert.equal(summary.exitCode, 0);
    assert.match(summary.stdout, new RegExp(`RebootBroker\\s+${reader.arn.replace(/[/.]/g, '\\$&')}\\s+127\\.0\\.0\\.1\\s+ForbiddenException`));
  });

  it('a request signed with an unknown access key is refused and recorded with the key id it claimed', async () => {
    const stranger = kmsClient(server, { accessKeyId: 'AKIAUNKNOWNKEY000001', secretAccessKey: 'not-a-real-secret-access-key-000000000000' });
    let requestId: string | undefined;
    try {
      await stranger.send(new ListKeysCommand({}));
      assert.fail('ListKeys with an unknown access key succeeded');
    } catch (error) {
      assert.equal((error as Error).name, 'UnrecognizedClientException');
      requestId = (error as { $metadata?: { requestId?: string } }).$metadata?.requestId;
    } finally {
      stranger.destroy();
    }
    const deadline = Date.now() + 30_000;
    for (;;) {
      const listed = await runCli(['audit', 'list', '--data-dir', server.dataDir, '--since', startedAt, '--event-name', 'ListKeys', '--json']);
      const event = listed.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as AuditEvent).find((e) => e.requestID === requestId);
      if (event !== undefined) {
        assert.equal(event.errorCode, 'UnrecognizedClientException');
        assert.equal(event.userIdentity?.accessKeyId, 'AKIAUNKNOWNKEY000001');
        assert.equal(event.userIdentity?.arn, undefined);
        return;
      }
      if (Date.now() > deadline) assert.fail('the refused signature is not in the audit trail');
      await new Promise((r) => setTimeout(r, 200));
    }
  });
});
