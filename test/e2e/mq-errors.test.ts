// End to end: Amazon MQ API validation and errors as the real @aws-sdk/client-mq sees them over
// HTTPS with SigV4: each case asserts the exception class the SDK builds from x-amzn-ErrorType and
// the ErrorAttribute that names the field at fault. Guard rails (personal data, credentials in URLs)
// included. Nothing here may create a broker, so no case needs cleaning up.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import {
  CreateBrokerCommand,
  type CreateBrokerRequest,
  CreateConfigurationCommand,
  CreateTagsCommand,
  CreateUserCommand,
  DeleteBrokerCommand,
  DeleteUserCommand,
  DescribeBrokerCommand,
  DescribeBrokerEngineTypesCommand,
  DescribeConfigurationCommand,
  ListBrokersCommand,
  type MqClient,
  RebootBrokerCommand,
  UpdateBrokerCommand,
  UpdateUserCommand,
} from '@aws-sdk/client-mq';

import { mqClient, startServer, type RunningServer } from '../helpers/server.ts';

const PASSWORD = 'Correct-Horse-42';

function rabbitBroker(overrides: Partial<CreateBrokerRequest> = {}): CreateBrokerRequest {
  return {
    BrokerName: 'errors-case',
    EngineType: 'RABBITMQ',
    EngineVersion: '3.13',
    DeploymentMode: 'SINGLE_INSTANCE',
    HostInstanceType: 'mq.m5.large',
    PubliclyAccessible: false,
    AutoMinorVersionUpgrade: true,
    Users: [{ Username: 'app-owner', Password: PASSWORD }],
    ...overrides,
  };
}

describe('Amazon MQ API errors through @aws-sdk/client-mq', () => {
  let server: RunningServer;
  let mq: MqClient;
  let defaultBrokerId: string;

  before(async () => {
    server = await startServer();
    mq = mqClient(server);
    defaultBrokerId = server.endpoints.brokerId!;
    assert.ok(defaultBrokerId);
  });
  after(async () => {
    mq?.destroy();
    await server?.stop();
  });

  /** Sends `command`, expects the AWS error `name` with ErrorAttribute `attribute` (when given). */
  async function refused(command: object, name: string, attribute?: string): Promise<string> {
    try {
      await mq.send(command as Parameters<MqClient['send']>[0]);
    } catch (error) {
      const e = error as { name?: string; message?: string; ErrorAttribute?: string; $metadata?: { httpStatusCode?: number } };
      assert.equal(e.name, name, `expected ${name}, got ${e.name}: ${e.message}`);
      if (attribute !== undefined) assert.equal(e.ErrorAttribute, attribute, `errorAttribute for: ${e.message}`);
      return e.message ?? '';
    }
    assert.fail(`expected ${name}, but the call succeeded`);
  }

  const createCases: [string, Partial<CreateBrokerRequest>, string][] = [
    ['a broker name with a space', { BrokerName: 'my broker' }, 'brokerName'],
    ['a broker name of 51 characters', { BrokerName: 'b'.repeat(51) }, 'brokerName'],
    ['an unknown engine type', { EngineType: 'KAFKA' as 'RABBITMQ' }, 'engineType'],
    ['an unknown deployment mode', { DeploymentMode: 'EVERYWHERE' as 'SINGLE_INSTANCE' }, 'deploymentMode'],
    ['an unknown instance type', { HostInstanceType: 'mq.huge' }, 'hostInstanceType'],
    ['an unknown engine version', { EngineVersion: '0.1' }, 'engineVersion'],
    ['EFS storage for RabbitMQ', { StorageType: 'EFS' }, 'storageType'],
    ['no user for RabbitMQ', { Users: [] }, 'users'],
    ['two users for RabbitMQ', { Users: [{ Username: 'one-user', Password: PASSWORD }, { Username: 'two-user', Password: PASSWORD }] }, 'users'],
    ['the username guest', { Users: [{ Username: 'guest', Password: PASSWORD }] }, 'username'],
    ['a one-character username', { Users: [{ Username: 'a', Password: PASSWORD }] }, 'username'],
    ['a password of 11 characters', { Users: [{ Username: 'app-owner', Password: 'Abcdefghij1' }] }, 'password'],
    ['a password with 3 distinct characters', { Users: [{ Username: 'app-owner', Password: 'abcabcabcabcabc' }] }, 'password'],
    ['a password with a comma', { Users: [{ Username: 'app-owner', Password: 'Good-Password,1' }] }, 'password'],
    ['a password with a colon', { Users: [{ Username: 'app-owner', Password: 'Good-Password:1' }] }, 'password'],
    ['a password with an equals sign', { Users: [{ Username: 'app-owner', Password: 'Good-Password=1' }] }, 'password'],
    ['a maintenance window at 25:00', { MaintenanceWindowStartTime: { DayOfWeek: 'MONDAY', TimeOfDay: '25:00' } }, 'timeOfDay'],
    ['a customer key that does not exist', { EncryptionOptions: { UseAwsOwnedKey: false, KmsKeyId: 'alias/no-such-key' } }, 'kmsKeyId'],
    ['the owned key and a key id together', { EncryptionOptions: { UseAwsOwnedKey: true, KmsKeyId: 'alias/aws/mq' } }, 'kmsKeyId'],
    ['a tag key starting with aws:', { Tags: { 'aws:owner': 'x' } }, 'tags'],
    // Guard rails: personal data in names, tags and usernames; no value is echoed.
    ['an e-mail address in the broker name', { BrokerName: 'jane.doe@example.com' }, 'brokerName'],
    ['a phone number in the username', { Users: [{ Username: 'call-415-555-0132', Password: PASSWORD }] }, 'username'],
    ['a payment card number in a tag value', { Tags: { owner: '4111 1111 1111 1111' } }, 'tags'],
  ];

  for (const [what, overrides, attribute] of createCases) {
    it(`CreateBroker refuses ${what}, naming ${attribute}`, async () => {
      const message = await refused(new CreateBrokerCommand(rabbitBroker(overrides)), 'BadRequestException', attribute);
      assert.ok(message.length > 0);
      assert.ok(!message.includes(PASSWORD), 'the password is not echoed');
      assert.ok(!message.includes('jane.doe@example.com') && !message.includes('4111 1111 1111 1111'), 'personal data is not echoed');
    });
  }

  it('a broker name that is taken is a ConflictException', async () => {
    await refused(new CreateBrokerCommand(rabbitBroker({ BrokerName: 'default' })), 'ConflictException', 'brokerName');
  });

  it('unknown brokers, users and configurations are NotFoundException', async () => {
    const unknown = 'b-00000000-0000-4000-8000-999999999999';
    await refused(new DescribeBrokerCommand({ BrokerId: unknown }), 'NotFoundException', 'broker-id');
    await refused(new DeleteBrokerCommand({ BrokerId: unknown }), 'NotFoundException', 'broker-id');
    await refused(new RebootBrokerCommand({ BrokerId: unknown }), 'NotFoundException', 'broker-id');
    await refused(new UpdateUserCommand({ BrokerId: defaultBrokerId, Username: 'nobody-here', ConsoleAccess: false }), 'NotFoundException', 'username');
    await refused(new DeleteUserCommand({ BrokerId: defaultBrokerId, Username: 'nobody-here' }), 'NotFoundException', 'username');
    await refused(new DescribeConfigurationCommand({ ConfigurationId: 'c-00000000-0000-4000-8000-999999999999' }), 'NotFoundException', 'configuration-id');
  });

  it('users: a weak password and the username guest', async () => {
    await refused(new CreateUserCommand({ BrokerId: defaultBrokerId, Username: 'weak-user', Password: 'aaaaaaaaaaaaaaaa' }), 'BadRequestException', 'password');
    await refused(new CreateUserCommand({ BrokerId: defaultBrokerId, Username: 'guest', Password: PASSWORD }), 'BadRequestException', 'username');
  });

  it('configurations and listing: bad names, engines and page sizes', async () => {
    await refused(new CreateConfigurationCommand({ Name: 'my config', EngineType: 'ACTIVEMQ', EngineVersion: '5.18' }), 'BadRequestException', 'name');
    await refused(new CreateConfigurationCommand({ Name: 'owner-jane.doe@example.com', EngineType: 'ACTIVEMQ', EngineVersion: '5.18' }), 'BadRequestException', 'name');
    await refused(new ListBrokersCommand({ MaxResults: 0 }), 'BadRequestException', 'maxResults');
    await refused(new DescribeBrokerEngineTypesCommand({ EngineType: 'ZEROMQ' }), 'BadRequestException', 'engineType');
    const arn = `arn:aws:mq:us-east-1:${server.accountId}:broker:default:${defaultBrokerId}`;
    await refused(new CreateTagsCommand({ ResourceArn: arn, Tags: { contact: 'ops@example.com' } }), 'BadRequestException', 'tags');
  });

  it('the server keeps serving after every refusal', async () => {
    const described = await mq.send(new DescribeBrokerCommand({ BrokerId: defaultBrokerId }));
    assert.equal(described.BrokerState, 'RUNNING');
    const listed = await mq.send(new ListBrokersCommand({}));
    assert.equal(listed.BrokerSummaries?.filter((b) => b.BrokerName === 'errors-case').length, 0, 'no refused CreateBroker made a broker');
  });
});

describe('UpdateBroker through @aws-sdk/client-mq', () => {
  let server: RunningServer;
  let mq: MqClient;
  before(async () => {
    server = await startServer();
    mq = mqClient(server);
  });
  after(async () => {
    mq?.destroy();
    await server?.stop();
  });

  it('changes the maintenance window at once and the logs at the next reboot, and DescribeBroker shows them', async () => {
    const brokerId = server.endpoints.brokerId!;
    const updated = await mq.send(
      new UpdateBrokerCommand({ BrokerId: brokerId, MaintenanceWindowStartTime: { DayOfWeek: 'WEDNESDAY', TimeOfDay: '03:30', TimeZone: 'UTC' }, Logs: { General: true } }),
    );
    assert.equal(updated.BrokerId, brokerId);
    const described = await mq.send(new DescribeBrokerCommand({ BrokerId: brokerId }));
    assert.deepEqual(described.MaintenanceWindowStartTime, { DayOfWeek: 'WEDNESDAY', TimeOfDay: '03:30', TimeZone: 'UTC' });
    // As in Amazon MQ, a logs change is pending until the next reboot.
    assert.equal(described.Logs?.General, false);
    assert.equal(described.Logs?.Pending?.General, true);
    assert.equal(described.EncryptionOptions?.UseAwsOwnedKey, true, 'the encryption options are unchanged');
    await mq.send(new RebootBrokerCommand({ BrokerId: brokerId }));
    let after = await mq.send(new DescribeBrokerCommand({ BrokerId: brokerId }));
    for (let waited = 0; after.BrokerState !== 'RUNNING' && waited < 30_000; waited += 200) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      after = await mq.send(new DescribeBrokerCommand({ BrokerId: brokerId }));
    }
    assert.equal(after.BrokerState, 'RUNNING');
    assert.equal(after.Logs?.General, true, 'the reboot applied the pending logs change');
    assert.equal(after.Logs?.Pending, undefined);
  });
});
