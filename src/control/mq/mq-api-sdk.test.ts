// Round trip through @aws-sdk/client-mq without a network: the SDK's own serializers build the
// requests and its deserializers read MqApi's responses, through an in-process request handler that
// plays the part of the HTTPS server (errors as x-amzn-ErrorType + {errorAttribute, message}).
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import {
  BadRequestException,
  CreateBrokerCommand,
  CreateConfigurationCommand,
  CreateTagsCommand,
  CreateUserCommand,
  DeleteBrokerCommand,
  DeleteTagsCommand,
  DescribeBrokerCommand,
  DescribeBrokerEngineTypesCommand,
  DescribeBrokerInstanceOptionsCommand,
  DescribeConfigurationRevisionCommand,
  DescribeUserCommand,
  ForbiddenException,
  ListConfigurationRevisionsCommand,
  ListTagsCommand,
  ListUsersCommand,
  MqClient,
  NotFoundException,
  paginateListBrokers,
  RebootBrokerCommand,
  UpdateBrokerCommand,
  UpdateConfigurationCommand,
} from '@aws-sdk/client-mq';
import { HttpResponse, type HttpRequest } from '@smithy/protocol-http';
import type { CallerIdentity } from '../../identity/caller.ts';
import { AwsApiError } from '../../util/aws-error.ts';
import { ADMIN, makeHarness, PASSWORD, READ_ONLY } from './test-harness.ts';

function sdkClient(h: ReturnType<typeof makeHarness>, caller: CallerIdentity, seen: string[]): MqClient {
  const handler = {
    async handle(request: HttpRequest): Promise<{ response: HttpResponse }> {
      seen.push(`${request.method} ${request.path}`);
      const query = new URLSearchParams();
      for (const [key, value] of Object.entries(request.query ?? {})) {
        for (const item of Array.isArray(value) ? value : [value]) if (item !== null && item !== undefined) query.append(key, item);
      }
      const text = typeof request.body === 'string' ? request.body : request.body === undefined ? '' : new TextDecoder().decode(request.body as Uint8Array);
      try {
        const result = await h.api.handle(caller, { method: request.method, rawPath: request.path, query, body: text === '' ? undefined : JSON.parse(text) });
        const body = Readable.from(result.body === undefined ? [] : [Buffer.from(JSON.stringify(result.body))]);
        return { response: new HttpResponse({ statusCode: result.status, headers: { 'content-type': 'application/json', 'x-amzn-requestid': 'req-1' }, body }) };
      } catch (error) {
        assert.ok(error instanceof AwsApiError);
        const body = Readable.from([Buffer.from(JSON.stringify({ errorAttribute: error.errorAttribute, message: error.message }))]);
        return { response: new HttpResponse({ statusCode: error.httpStatus, headers: { 'content-type': 'application/json', 'x-amzn-errortype': error.errorType }, body }) };
      }
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs() {
      return {};
    },
  };
  return new MqClient({
    region: 'us-east-1',
    endpoint: 'https://localhost:8443',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
    requestHandler: handler as never,
    maxAttempts: 1,
  });
}

describe('@aws-sdk/client-mq round trip (in process)', () => {
  it('drives brokers, users, configurations, tags and engine data through the SDK', async () => {
    const h = makeHarness({ autoComplete: true });
    const seen: string[] = [];
    const mq = sdkClient(h, ADMIN, seen);
    const key = h.keys.addKey({ aliases: ['alias/events'] });

    const created = await mq.send(
      new CreateBrokerCommand({
        BrokerName: 'events-prod',
        EngineType: 'RABBITMQ',
        DeploymentMode: 'SINGLE_INSTANCE',
        HostInstanceType: 'mq.m5.large',
        PubliclyAccessible: false,
        EncryptionOptions: { UseAwsOwnedKey: false, KmsKeyId: 'alias/events' },
        Users: [{ Username: 'rabbit-admin', Password: PASSWORD }],
        Tags: { env: 'prod' },
      }),
    );
    assert.match(created.BrokerId!, /^b-/);
    assert.match(created.BrokerArn!, /^arn:aws:mq:us-east-1:123456789012:broker:events-prod:b-/);
    await h.settle();

    const described = await mq.send(new DescribeBrokerCommand({ BrokerId: created.BrokerId }));
    assert.equal(described.BrokerState, 'RUNNING');
    assert.ok(described.Created instanceof Date);
    assert.equal(described.Created!.toISOString(), '2026-01-15T12:00:00.000Z');
    assert.deepEqual(described.EncryptionOptions, { UseAwsOwnedKey: false, KmsKeyId: key.keyArn });
    assert.deepEqual(described.BrokerInstances![0]!.Endpoints, ['amqps://localhost:20000']);
    assert.equal(described.BrokerInstances![0]!.ConsoleURL, 'https://localhost:20001');
    assert.deepEqual(described.Users, [{ Username: 'rabbit-admin' }]);
    assert.deepEqual(described.Tags, { env: 'prod' });
    assert.equal(described.PubliclyAccessible, false);

    // The idempotency token the SDK fills in is honoured on a retry of the same request.
    const token = '5a8f6c1e-3f0b-4b1d-9a4e-0c2f1d3b4a5c';
    const input = { BrokerName: 'orders-prod', EngineType: 'ACTIVEMQ' as const, DeploymentMode: 'SINGLE_INSTANCE' as const, HostInstanceType: 'mq.m5.large', PubliclyAccessible: false, Users: [{ Username: 'app-admin', Password: PASSWORD }], CreatorRequestId: token };
    const first = await mq.send(new CreateBrokerCommand(input));
    const retry = await mq.send(new CreateBrokerCommand(input));
    assert.equal(retry.BrokerId, first.BrokerId);
    await h.settle();

    const ids: string[] = [];
    for await (const page of paginateListBrokers({ client: mq, pageSize: 1 }, {})) ids.push(...page.BrokerSummaries!.map((b) => b.BrokerId!));
    assert.deepEqual(ids.sort(), [created.BrokerId!, first.BrokerId!].sort());

    const updated = await mq.send(new UpdateBrokerCommand({ BrokerId: first.BrokerId, HostInstanceType: 'mq.m5.xlarge' }));
    assert.equal(updated.HostInstanceType, 'mq.m5.xlarge');
    await mq.send(new CreateUserCommand({ BrokerId: first.BrokerId, Username: 'app-reader', Password: 'Reader-Password-1', Groups: ['readers'] }));
    const user = await mq.send(new DescribeUserCommand({ BrokerId: first.BrokerId, Username: 'app-reader' }));
    assert.deepEqual(user.Pending, { PendingChange: 'CREATE', ConsoleAccess: false, Groups: ['readers'] });
    await mq.send(new RebootBrokerCommand({ BrokerId: first.BrokerId }));
    await h.settle();
    const users = await mq.send(new ListUsersCommand({ BrokerId: first.BrokerId }));
    assert.deepEqual(users.Users!.map((u) => u.Username), ['app-admin', 'app-reader']);
    assert.equal((await mq.send(new DescribeBrokerCommand({ BrokerId: first.BrokerId }))).HostInstanceType, 'mq.m5.xlarge');

    const configuration = await mq.send(new CreateConfigurationCommand({ Name: 'orders-config', EngineType: 'ACTIVEMQ' }));
    assert.ok(configuration.Created instanceof Date);
    assert.equal(configuration.LatestRevision!.Revision, 1);
    const data = Buffer.from('<broker xmlns="http://activemq.apache.org/schema/core"/>').toString('base64');
    const updatedConfiguration = await mq.send(new UpdateConfigurationCommand({ ConfigurationId: configuration.Id, Data: data, Description: 'v2' }));
    assert.equal(updatedConfiguration.LatestRevision!.Revision, 2);
    const revision = await mq.send(new DescribeConfigurationRevisionCommand({ ConfigurationId: configuration.Id, ConfigurationRevision: '2' }));
    assert.equal(revision.Data, data);
    assert.equal(revision.ConfigurationId, configuration.Id);
    const revisions = await mq.send(new ListConfigurationRevisionsCommand({ ConfigurationId: configuration.Id }));
    assert.deepEqual(revisions.Revisions!.map((r) => r.Revision), [1, 2]);

    await mq.send(new CreateTagsCommand({ ResourceArn: created.BrokerArn, Tags: { team: 'events', tier: 'gold' } }));
    assert.ok(seen.some((line) => line.startsWith('POST /v1/tags/arn%3Aaws%3Amq%3A')), 'the SDK percent-encodes the ARN');
    await mq.send(new DeleteTagsCommand({ ResourceArn: created.BrokerArn, TagKeys: ['env', 'tier'] }));
    assert.deepEqual((await mq.send(new ListTagsCommand({ ResourceArn: created.BrokerArn }))).Tags, { team: 'events' });

    const engines = await mq.send(new DescribeBrokerEngineTypesCommand({ EngineType: 'ACTIVEMQ' }));
    assert.equal(engines.BrokerEngineTypes![0]!.EngineVersions![0]!.Name, '5.18');
    const options = await mq.send(new DescribeBrokerInstanceOptionsCommand({ EngineType: 'RABBITMQ', HostInstanceType: 'mq.t3.micro' }));
    assert.deepEqual(options.BrokerInstanceOptions![0]!.SupportedDeploymentModes, ['SINGLE_INSTANCE']);

    assert.equal((await mq.send(new DeleteBrokerCommand({ BrokerId: created.BrokerId }))).BrokerId, created.BrokerId);
    await h.settle();
    await assert.rejects(mq.send(new DescribeBrokerCommand({ BrokerId: created.BrokerId })), (error: unknown) => {
      assert.ok(error instanceof NotFoundException);
      assert.equal(error.ErrorAttribute, 'broker-id');
      assert.equal(error.$metadata.httpStatusCode, 404);
      return true;
    });
  });

  it('errors reach the caller as the SDK exception classes with ErrorAttribute', async () => {
    const h = makeHarness({ autoComplete: true });
    const mq = sdkClient(h, ADMIN, []);
    await assert.rejects(
      mq.send(
        new CreateBrokerCommand({
          BrokerName: 'orders',
          EngineType: 'ACTIVEMQ',
          DeploymentMode: 'SINGLE_INSTANCE',
          HostInstanceType: 'mq.m5.large',
          PubliclyAccessible: false,
          Users: [{ Username: 'app-admin', Password: 'short' }],
        }),
      ),
      (error: unknown) => {
        assert.ok(error instanceof BadRequestException);
        assert.equal(error.ErrorAttribute, 'password');
        assert.equal(error.message, 'Password is invalid. Enter a password 12 to 250 characters long.');
        return true;
      },
    );
    const reader = sdkClient(h, READ_ONLY, []);
    await assert.rejects(
      reader.send(new CreateConfigurationCommand({ Name: 'x', EngineType: 'ACTIVEMQ' })),
      (error: unknown) => error instanceof ForbiddenException && error.$metadata.httpStatusCode === 403,
    );
  });
});
