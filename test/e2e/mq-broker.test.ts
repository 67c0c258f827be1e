// Brokers for real, end to end: the real `sealmq serve`, driven with @aws-sdk/client-mq and
// @aws-sdk/client-kms over HTTPS, and amqplib over TLS to the brokers' amqps endpoints. The default
// broker a first start makes; a broker per key choice (service-owned, alias/aws/mq, a customer key
// with its mq_grant); users created through the API connecting; reboot keeping persistent messages;
// delete removing the broker, its grant and its files; a restart of SealMQ keeping brokers running.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateKeyCommand, DisableKeyCommand, EnableKeyCommand, ListGrantsCommand, type KMSClient } from '@aws-sdk/client-kms';
import {
  CreateBrokerCommand,
  CreateUserCommand,
  DeleteBrokerCommand,
  DeleteUserCommand,
  DescribeBrokerCommand,
  ListBrokersCommand,
  BadRequestException,
  RebootBrokerCommand,
  type CreateBrokerCommandInput,
  type DescribeBrokerResponse,
  type MqClient,
} from '@aws-sdk/client-mq';
import { AMQPClient } from '@cloudamqp/amqp-client';
import { kmsClient, mqClient, readBrokerCredentials, startServer, type RunningServer } from '../helpers/server.ts';
import { type AmqpLogin, amqpsUrl, connectAmqps, consumeAcked, publishConfirmed as publishConfirmedAs } from '../helpers/amqp-client.ts';
import { waitForBrokerDeletion, waitForBrokerState } from '../helpers/mq-brokers.ts';

const WAIT_MS = 30_000;
const PASSWORD = 'Sealed-Broker-Pass-42';

let server: RunningServer;
let mq: MqClient;
let kms: KMSClient;

before(async () => {
  // Short data-key cache and key checks, so a disabled key is noticed within about a second.
  server = await startServer({ env: { SEALMQ_DATA_KEY_CACHE_AGE_MAX_MS: '200', SEALMQ_KEY_CHECK_INTERVAL_MS: '1000' } });
  mq = mqClient(server);
  kms = kmsClient(server);
});
after(async () => {
  mq?.destroy();
  kms?.destroy();
  await server?.stop();
});

async function describeBroker(brokerId: string): Promise<DescribeBrokerResponse> {
  return mq.send(new DescribeBrokerCommand({ BrokerId: brokerId }));
}

const waitForState = (brokerId: string, state: string): Promise<DescribeBrokerResponse> => waitForBrokerState(mq, brokerId, state, { waitMs: WAIT_MS });
const waitForDeletion = (brokerId: string): Promise<void> => waitForBrokerDeletion(mq, brokerId, WAIT_MS);

/** DATA/endpoints.json as it is now: every running broker and its listeners. */
function listedBrokers(): Map<string, string[]> {
  const file = JSON.parse(readFileSync(join(server.dataDir, 'endpoints.json'), 'utf8')) as { brokers?: { brokerId: string; endpoints: string[] }[] };
  return new Map((file.brokers ?? []).map((b) => [b.brokerId, b.endpoints]));
}

/** Waits until endpoints.json lists (or no longer lists) a broker; it is rewritten just after the state changes. */
async function waitListed(brokerId: string, listed: boolean): Promise<string[] | undefined> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const endpoints = listedBrokers().get(brokerId);
    if ((endpoints !== undefined) === listed) return endpoints;
    if (Date.now() > deadline) assert.fail(`endpoints.json ${listed ? 'does not list' : 'still lists'} ${brokerId}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function amqpsEndpoint(broker: DescribeBrokerResponse): string {
  const endpoints = broker.BrokerInstances?.[0]?.Endpoints ?? [];
  const amqps = endpoints.find((e) => e.startsWith('amqps://'));
  assert.ok(amqps !== undefined, `no amqps endpoint in ${JSON.stringify(endpoints)}`);
  assert.match(amqps, /^amqps:\/\/127\.0\.0\.1:\d+$/);
  return amqps;
}

const login = (endpoint: string, username: string, password: string): AmqpLogin => ({ endpoint, username, password, caPem: server.caPem });
const connect = (endpoint: string, username: string, password: string) => connectAmqps(login(endpoint, username, password));
const publishConfirmed = (endpoint: string, username: string, password: string, queue: string, bodies: string[]) =>
  publishConfirmedAs(login(endpoint, username, password), queue, bodies);
/** Consumes exactly `count` messages with manual acks and returns their bodies. */
const consume = (endpoint: string, username: string, password: string, queue: string, count: number) =>
  consumeAcked(login(endpoint, username, password), queue, count, WAIT_MS);

function rabbitBroker(name: string, extra: Partial<CreateBrokerCommandInput> = {}): CreateBrokerCommandInput {
  return {
    BrokerName: name,
    EngineType: 'RABBITMQ',
    DeploymentMode: 'SINGLE_INSTANCE',
    HostInstanceType: 'mq.m5.large',
    PubliclyAccessible: false,
    AutoMinorVersionUpgrade: true,
    Users: [{ Username: 'owner', Password: PASSWORD }],
    ...extra,
  };
}

describe('the default broker', () => {
  it('is listed and RUNNING, named in endpoints.json, and takes an amqplib connection with the credentials file', async () => {
    const { amqps, brokerId, brokerCredentialsFile } = server.endpoints;
    assert.ok(amqps !== undefined && brokerId !== undefined && brokerCredentialsFile !== undefined, 'endpoints.json names the default broker');
    assert.match(amqps, /^amqps:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(brokerCredentialsFile, join(server.dataDir, 'broker-credentials'));
    assert.equal(statSync(brokerCredentialsFile).mode & 0o777, 0o600);
    // endpoints.json is written just before the ready banner is printed: wait (bounded) for the banner.
    for (let waited = 0; !server.output().includes('SealMQ is ready.') && waited < 10_000; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.match(server.output(), new RegExp(`Default broker: +${amqps.replace(/[.]/g, '\\.')}`));
    assert.match(server.output(), /Broker credentials: +\S+broker-credentials/);

    const list = await mq.send(new ListBrokersCommand({}));
    const summary = list.BrokerSummaries?.find((b) => b.BrokerId === brokerId);
    assert.ok(summary !== undefined, 'the default broker is listed');
    assert.equal(summary.BrokerName, 'default');
    assert.equal(summary.EngineType, 'RABBITMQ');
    assert.equal(summary.BrokerState, 'RUNNING');
    const described = await describeBroker(brokerId);
    assert.equal(amqpsEndpoint(described), amqps);
    assert.deepEqual(described.EncryptionOptions, { UseAwsOwnedKey: true });

    const { username, password } = await readBrokerCredentials(server);
    assert.ok(!server.output().includes(password), 'the broker password is in no log line');
    await publishConfirmed(amqps, username, password, 'default-q', ['one', 'two']);
    assert.deepEqual(await consume(amqps, username, password, 'default-q', 2), ['one', 'two']);
    await assert.rejects(connect(amqps, username, `${password}x`), /ACCESS_REFUSED|403/);

    // The other client library the RabbitMQ engine is tested with works the same way.
    const conn = await new AMQPClient(amqpsUrl(login(amqps, username, password)), { ca: server.caPem }).connect();
    const ch = await conn.channel();
    await ch.confirmSelect();
    await ch.queueDeclare('default-q2', { durable: true });
    await ch.basicPublish('', 'default-q2', 'three', { deliveryMode: 2 });
    const got = await ch.basicGet('default-q2', { noAck: true });
    assert.equal(got?.bodyToString(), 'three');
    await conn.close();
  });
});

describe('brokers created through the API', () => {
  const brokers: Record<'serviceOwned' | 'serviceManaged' | 'customer', { id: string; endpoint: string }> = {} as never;
  let customerKeyId: string;

  it('reach RUNNING with each of the three key choices, with endpoints and encryptionOptions described', async () => {
    const key = await kms.send(new CreateKeyCommand({ Description: 'customer key for a broker' }));
    customerKeyId = key.KeyMetadata!.KeyId!;
    const [serviceOwned, serviceManaged, customer] = await Promise.all([
      mq.send(new CreateBrokerCommand(rabbitBroker('owned-key'))),
      mq.send(new CreateBrokerCommand(rabbitBroker('managed-key', { EncryptionOptions: { UseAwsOwnedKey: false } }))),
      mq.send(new CreateBrokerCommand(rabbitBroker('customer-key', { EncryptionOptions: { UseAwsOwnedKey: false, KmsKeyId: customerKeyId } }))),
    ]);
    for (const [name, created] of Object.entries({ serviceOwned, serviceManaged, customer })) {
      assert.match(created.BrokerId!, /^b-[0-9a-f-]{36}$/);
      const described = await waitForState(created.BrokerId!, 'RUNNING');
      brokers[name as keyof typeof brokers] = { id: created.BrokerId!, endpoint: amqpsEndpoint(described) };
      assert.ok(existsSync(join(server.dataDir, 'brokers', created.BrokerId!)), 'the broker has its own directory');
    }
    assert.deepEqual((await describeBroker(brokers.serviceOwned.id)).EncryptionOptions, { UseAwsOwnedKey: true });
    assert.deepEqual((await describeBroker(brokers.serviceManaged.id)).EncryptionOptions, { UseAwsOwnedKey: false });
    const customerDescribed = await describeBroker(brokers.customer.id);
    assert.equal(customerDescribed.EncryptionOptions?.UseAwsOwnedKey, false);
    assert.equal(customerDescribed.EncryptionOptions?.KmsKeyId, key.KeyMetadata!.Arn);
    // Every broker listens on its own port.
    assert.equal(new Set(Object.values(brokers).map((b) => b.endpoint)).size, 3);
    for (const broker of Object.values(brokers)) assert.deepEqual(await waitListed(broker.id, true), [broker.endpoint], 'endpoints.json lists the broker');
    assert.deepEqual(listedBrokers().get(server.endpoints.brokerId!), [server.endpoints.amqps]);

    const grants = await kms.send(new ListGrantsCommand({ KeyId: customerKeyId }));
    const grant = grants.Grants?.find((g) => g.Name === 'mq_grant');
    assert.ok(grant !== undefined, 'CreateBroker made an mq_grant on the customer key');
    assert.equal(grant.GranteePrincipal, `arn:aws:iam::${server.accountId}:role/sealmq-broker/${brokers.customer.id}`);
    assert.deepEqual(grant.Constraints?.EncryptionContextSubset, { 'aws:mq:broker-id': brokers.customer.id });
  });

  it('a user created through the API connects to each broker, publishes with confirms and consumes', async () => {
    for (const [name, broker] of Object.entries(brokers)) {
      await mq.send(new CreateUserCommand({ BrokerId: broker.id, Username: `app-${name}`, Password: PASSWORD }));
      const bodies = [`${name}-1`, `${name}-2`, `${name}-3`];
      await publishConfirmed(broker.endpoint, `app-${name}`, PASSWORD, 'orders', bodies);
      assert.deepEqual(await consume(broker.endpoint, `app-${name}`, PASSWORD, 'orders', 3), bodies);
      // The user exists on this broker only.
      const other = name === 'customer' ? brokers.serviceOwned : brokers.customer;
      await assert.rejects(connect(other.endpoint, `app-${name}`, PASSWORD), /ACCESS_REFUSED|403/);
    }
    // RabbitMQ applies user changes at once: a deleted user is refused straight away.
    await mq.send(new CreateUserCommand({ BrokerId: brokers.serviceOwned.id, Username: 'short-lived', Password: PASSWORD }));
    await (await connect(brokers.serviceOwned.endpoint, 'short-lived', PASSWORD)).close();
    await mq.send(new DeleteUserCommand({ BrokerId: brokers.serviceOwned.id, Username: 'short-lived' }));
    await assert.rejects(connect(brokers.serviceOwned.endpoint, 'short-lived', PASSWORD), /ACCESS_REFUSED|403/);
  });

  it('RebootBroker brings the broker back RUNNING with a durable queue and its persistent messages', async () => {
    const broker = brokers.customer;
    await publishConfirmed(broker.endpoint, 'owner', PASSWORD, 'kept', ['a', 'b', 'c']);
    await mq.send(new RebootBrokerCommand({ BrokerId: broker.id }));
    const described = await waitForState(broker.id, 'RUNNING');
    assert.equal(amqpsEndpoint(described), broker.endpoint, 'the broker keeps its port across a reboot');
    assert.deepEqual(await consume(broker.endpoint, 'owner', PASSWORD, 'kept', 3), ['a', 'b', 'c']);
    await (await connect(broker.endpoint, 'app-customer', PASSWORD)).close(); // users survive the reboot
  });

  it('a disabled customer key makes the broker CRITICAL_ACTION_REQUIRED (INVALID_KMS_KEY, no reboot); enabled again it is RUNNING with nothing lost', async () => {
    const broker = brokers.customer;
    await publishConfirmed(broker.endpoint, 'owner', PASSWORD, 'through-key-loss', ['k1', 'k2']);
    await kms.send(new DisableKeyCommand({ KeyId: customerKeyId }));
    const critical = await waitForState(broker.id, 'CRITICAL_ACTION_REQUIRED');
    assert.deepEqual(critical.ActionsRequired?.map((a) => a.ActionRequiredCode), ['INVALID_KMS_KEY']);
    await assert.rejects(mq.send(new RebootBrokerCommand({ BrokerId: broker.id })), BadRequestException);
    assert.equal((await describeBroker(brokers.serviceOwned.id)).BrokerState, 'RUNNING', 'other brokers are untouched');
    await kms.send(new EnableKeyCommand({ KeyId: customerKeyId }));
    const recovered = await waitForState(broker.id, 'RUNNING');
    assert.equal(recovered.ActionsRequired, undefined);
    assert.deepEqual(await consume(broker.endpoint, 'owner', PASSWORD, 'through-key-loss', 2), ['k1', 'k2']);
  });

  it('an ACTIVEMQ broker runs beside the RABBITMQ ones with its amqp+ssl, stomp+ssl, mqtt+ssl and wss endpoints, and is deleted alone', async () => {
    const created = await mq.send(
      new CreateBrokerCommand({
        BrokerName: 'active',
        EngineType: 'ACTIVEMQ',
        DeploymentMode: 'SINGLE_INSTANCE',
        HostInstanceType: 'mq.m5.large',
        PubliclyAccessible: false,
        AutoMinorVersionUpgrade: true,
        Users: [{ Username: 'owner', Password: PASSWORD }],
      }),
    );
    await waitForState(created.BrokerId!, 'RUNNING');
    const endpoints = (await describeBroker(created.BrokerId!)).BrokerInstances?.[0]?.Endpoints ?? [];
    assert.deepEqual(
      endpoints.map((e) => e.split('://')[0]),
      ['amqp+ssl', 'stomp+ssl', 'mqtt+ssl', 'wss'],
    );
    assert.equal((await describeBroker(brokers.serviceOwned.id)).BrokerState, 'RUNNING');
    await mq.send(new DeleteBrokerCommand({ BrokerId: created.BrokerId! }));
    await waitForDeletion(created.BrokerId!);
    assert.equal((await describeBroker(brokers.serviceOwned.id)).BrokerState, 'RUNNING');
  });

  it('DeleteBroker removes the broker, retires its mq_grant and removes its directory', async () => {
    const broker = brokers.customer;
    const dir = join(server.dataDir, 'brokers', broker.id);
    assert.ok(existsSync(dir));
    const deleted = await mq.send(new DeleteBrokerCommand({ BrokerId: broker.id }));
    assert.equal(deleted.BrokerId, broker.id);
    await waitForDeletion(broker.id);
    assert.ok(!existsSync(dir), 'the broker directory is gone');
    await waitListed(broker.id, false);
    const grants = await kms.send(new ListGrantsCommand({ KeyId: customerKeyId }));
    assert.equal(grants.Grants?.some((g) => g.Name === 'mq_grant'), false, 'the mq_grant is retired');
    await assert.rejects(connect(broker.endpoint, 'owner', PASSWORD), /ECONNREFUSED/);
    const list = await mq.send(new ListBrokersCommand({}));
    assert.equal(list.BrokerSummaries?.some((b) => b.BrokerId === broker.id), false);
  });

  it('a restart of SealMQ keeps brokers listed and RUNNING, on the same ports, with their messages and users', async () => {
    const broker = brokers.serviceManaged;
    await publishConfirmed(broker.endpoint, 'app-serviceManaged', PASSWORD, 'durable-across-restart', ['x', 'y']);
    const defaultBefore = server.endpoints;
    // A graceful shutdown closes every broker: a connected client is told CONNECTION_FORCED.
    const held = await connect(broker.endpoint, 'owner', PASSWORD);
    held.on('error', () => undefined);
    const closed = new Promise<unknown>((resolve) => held.on('close', resolve));
    assert.ok(!server.output().includes(PASSWORD), 'no API user password is in any log line');
    await server.restart();
    assert.match(String(await closed), /CONNECTION_FORCED|320/);
    assert.equal(server.endpoints.brokerId, defaultBefore.brokerId, 'the default broker is reused');
    assert.equal(server.endpoints.amqps, defaultBefore.amqps, 'the default broker keeps its port');
    mq.destroy();
    mq = mqClient(server);
    const list = await mq.send(new ListBrokersCommand({}));
    const states = Object.fromEntries((list.BrokerSummaries ?? []).map((b) => [b.BrokerName, b.BrokerState]));
    assert.deepEqual(states, { default: 'RUNNING', 'owned-key': 'RUNNING', 'managed-key': 'RUNNING' });
    const described = await describeBroker(broker.id);
    assert.equal(amqpsEndpoint(described), broker.endpoint);
    assert.deepEqual(await consume(broker.endpoint, 'app-serviceManaged', PASSWORD, 'durable-across-restart', 2), ['x', 'y']);
    const { username, password } = await readBrokerCredentials(server);
    await publishConfirmed(server.endpoints.amqps!, username, password, 'after-restart', ['z']);
    assert.deepEqual(await consume(server.endpoints.amqps!, username, password, 'after-restart', 1), ['z']);
  });

  it('after SIGKILL, the next start brings every broker back with its confirmed persistent messages', async () => {
    const broker = brokers.serviceOwned;
    await publishConfirmed(broker.endpoint, 'owner', PASSWORD, 'crash-safe', ['p', 'q', 'r']);
    await server.kill('SIGKILL');
    await server.restart();
    mq.destroy();
    mq = mqClient(server);
    const described = await waitForState(broker.id, 'RUNNING');
    assert.equal(amqpsEndpoint(described), broker.endpoint);
    assert.deepEqual(await consume(broker.endpoint, 'owner', PASSWORD, 'crash-safe', 3), ['p', 'q', 'r']);
  });

  it("no broker user's name or password, queue name or message body is stored in plaintext; none but the name is logged", async () => {
    const marker = 'plainmark7d2e';
    const broker = brokers.serviceManaged;
    // Usernames may be logged (connection events name the user); they are stored only encrypted.
    const username = 'usermark4c9b';
    const password = 'Pass-secretmark-91f3';
    await mq.send(new CreateUserCommand({ BrokerId: broker.id, Username: username, Password: password }));
    await publishConfirmed(broker.endpoint, username, password, `queue-${marker}`, [`body-${marker}-1`, `body-${marker}-2`]);
    await consume(broker.endpoint, username, password, `queue-${marker}`, 1); // one acknowledged, one left stored
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.isFile()) files.push(path);
      }
    };
    walk(server.dataDir);
    assert.ok(files.some((f) => f.includes(join('brokers', broker.id, 'store'))), 'the broker store has files');
    for (const file of files) {
      let bytes: Buffer;
      try {
        bytes = readFileSync(file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // a segment reclaimed meanwhile
        throw error;
      }
      // The audit trail names who acted (userIdentity.userName, as CloudTrail does): a username is
      // expected there, and nothing else of these.
      const inAuditTrail = file.startsWith(join(server.dataDir, 'audit') + '/');
      for (const secret of inAuditTrail ? [marker, password, PASSWORD] : [marker, username, password, PASSWORD]) {
        assert.equal(bytes.includes(secret), false, `${secret} in plaintext in ${file}`);
      }
    }
    for (const secret of [marker, password, PASSWORD]) assert.equal(server.output().includes(secret), false, `${secret} in the log`);
  });

  it('the default broker is an ordinary broker: rebooted and deleted like any other, and not made again', async () => {
    const brokerId = server.endpoints.brokerId!;
    await mq.send(new RebootBrokerCommand({ BrokerId: brokerId }));
    await waitForState(brokerId, 'RUNNING');
    await mq.send(new DeleteBrokerCommand({ BrokerId: brokerId }));
    await waitForDeletion(brokerId);
    await server.restart();
    assert.equal(server.endpoints.amqps, undefined);
    assert.equal(server.endpoints.brokerId, undefined);
    assert.ok(!existsSync(join(server.dataDir, 'broker-credentials')), 'the stale credentials file is removed');
    mq.destroy();
    mq = mqClient(server);
    const list = await mq.send(new ListBrokersCommand({}));
    assert.deepEqual((list.BrokerSummaries ?? []).map((b) => b.BrokerName).sort(), ['managed-key', 'owned-key']);
  });
});
