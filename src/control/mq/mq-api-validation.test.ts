import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { callerWith, activeMqBroker, makeHarness, PASSWORD, rabbitMqBroker, READ_ONLY, runningBroker, type CallOptions } from './test-harness.ts';

interface ErrorCase {
  name: string;
  method: string;
  path: string | ((ids: { brokerId: string; rabbitId: string; configurationId: string }) => string);
  options?: CallOptions;
  errorType: string;
  errorAttribute?: string;
}

const ldap = {
  hosts: ['ldaps://ldap.example.com:636'],
  roleBase: 'ou=groups,dc=example,dc=com',
  roleSearchMatching: '(member={0})',
  serviceAccountPassword: 'ldap-service-secret-1',
  serviceAccountUsername: 'cn=svc,dc=example,dc=com',
  userBase: 'ou=users,dc=example,dc=com',
  userSearchMatching: '(uid={0})',
};

const CASES: ErrorCase[] = [
  { name: 'broker name missing', method: 'POST', path: '/v1/brokers', options: { body: activeMqBroker({ brokerName: undefined }) }, errorType: 'BadRequestException', errorAttribute: 'brokerName' },
  { name: 'broker name with a space', method: 'POST', path: '/v1/brokers', options: { body: activeMqBroker({ brokerName: 'my broker' }) }, errorType: 'BadRequestException', errorAttribute: 'brokerName' },
  { name: 'broker name of 51 characters', method: 'POST', path: '/v1/brokers', options: { body: activeMqBroker({ brokerName: 'b'.repeat(51) }) }, errorType: 'BadRequestException', errorAttribute: 'brokerName' },
  { name: 'broker name with a wildcard', method: 'POST', path: '/v1/brokers', options: { body: activeMqBroker({ brokerName: 'orders*' }) }, errorType: 'BadRequestException', errorAttribute: 'brokerName' },
  { name: 'unknown engine type', method: 'POST', path: '/v1/brokers', options: { body: activeMqBroker({ engineType: 'KAFKA' }) }, errorType: 'BadRequestException', errorAttribute: 'engineType' },
  { name: 'unknown deployment mode', method: 'POST', path: '/v1/brokers', options: { body: activeMqBroker({ deploymentMode: 'MULTI' }) }, errorType: 'BadRequestException', errorAttribute: 'deploymentMode' },
  { name: 'cluster mode for ActiveMQ', method: 'POST', path: '/v1/brokers', options: { body: activeMqBroker({ deploymentMode: 'CLUSTER_MULTI_AZ' }) }, errorType: 'BadRequestException', errorAttribute: 'deploymentMode' },
  { name: 'active/standby on mq.t3.micro', method: 'POST', path: '/v1/brokers', options: { body: activeMqBroker({ deploymentMode: 'ACTIVE_STANDBY_MULTI_AZ', hostInstanceType: 'mq.t3.micro' }) }, errorType: 'BadRequestException', errorAttribute: 'deploymentMode' },
  { name: 'unknown instance type', method: 'POST', path: '/v1/brokers', options: { body: activeMqBroker({ hostInstanceType: 'mq.huge' }) }, errorType: 'BadRequestException', errorAttribute: 'hostInstanceType' },
  { name: 'EFS for RabbitMQ', method: 'POST', path: '/v1/brokers', options: { body: rabbitMqBroker({ storageType: 'EFS' }) }, errorType: 'BadRequestException', errorAttribute: 'storageType' },
  { name: 'unknown engine version', method: 'POST', path: '/v1/brokers', options: { body: activeMqBroker({ engineVersion: '4.0' }) }, errorType: 'BadRequestException', errorAttribute: 'engineVersion' },
  { name: 'publiclyAccessible missing', method: 'POST', path: '/v1/brokers', options: { body: activeMqBroker({ publiclyAccessible: undefined }) }, errorType: 'BadRequestException', errorAttribute: 'publiclyAccessible' },
  { name: 'publiclyAccessible not a boolean', method: 'POST', path: '/v1/brokers', options: { body: activeMqBroker({ publiclyAccessible: 'no' }) }, errorType: 'BadRequestException', errorAttribute: 'publiclyAccessible' },
  { name: 'autoMinorVersionUpgrade false on 5.18', method: 'POST', path: '/v1/brokers', options: { body: activeMqBroker({ autoMinorVersionUpgrade: false }) }, errorType: 'BadRequestException', errorAttribute: 'autoMinorVersionUpgrade' },
  { name: 'RabbitMQ with two users', method: 'POST', path: '/v1/brokers', options: { body: rabbitMqBroker({ users: [{ username: 'one-user', password: PASSWORD }, { username: 'two-user', password: PASSWORD }] }) }, errorType: 'BadRequestException', errorAttribute: 'users' },
  { name: 'RabbitMQ with no user', method: 'POST', path: '/v1/brokers', options: { body: rabbitMqBroker({ users: [] }) }, errorType: 'BadRequestException', errorAttribute: 'users' },
  { name: 'ActiveMQ with no user', method: 'POST', path: '/v1/brokers', options: { body: activeMqBroker({ users: undefined }) }, errorType: 'BadRequestException', errorAttribute: 'users' },
  { name: 'guest on RabbitMQ', method: 'POST', path: '/v1/brokers', options: { body: rabbitMqBroker({ users: [{ username: 'guest', password: PASSWORD }] }) }, errorType: 'BadRequestException', errorAttribute: 'username' },
  { name: 'tilde in a RabbitMQ username', method: 'POST', path: '/v1/brokers', options: { body: rabbitMqBroker({ users: [{ username: 'svc~a', password: PASSWORD }] }) }, errorType: 'BadRequestException', errorAttribute: 'username' },
  { name: 'one-character username', method: 'POST', path: '/v1/brokers', options: { body: activeMqBroker({ users: [{ username: 'a', password: PASSWORD }] }) }, errorType: 'BadRequestException', errorAttribute: 'username' },
  { name: 'username of 101 characters', method: 'POST', path: '/v1/brokers', options: { body: activeMqBroker({ users: [{ username: 'u'.repeat(101), password: PASSWORD }] }) }, errorType: 'BadRequestException', errorAttribute: 'username' },
  { name: 'username with a slash', method: 'POST', path: '/v1/brokers', options: { body: activeMqBroker({ users: [{ username: 'a/b', password: PASSWORD }] }) }, errorType: 'BadRequestException', errorAttribute: 'username' },
  { name: 'password of 11 characters', method: 'POST', path: '/v1/brokers', options: { body: activeMqBroker({ users: [{ username: 'app-admin', password: 'Abcdefghij1' }] }) }, errorType: 'BadRequestException', errorAttribute: 'password' },
  { name: 'password of 251 characters', method: 'POST', path: '/v1/brokers', options: { body: activeMqBroker({ users: [{ username: 'app-admin', password: 'Ab1-'.repeat(62) + 'xyz' }] }) }, errorType: 'BadRequestException', errorAttribute: 'password' },
  { name: 'password with 3 distinct characters', method: 'POST', path: '/v1/brokers', options: { body: activeMqBroker({ users: [{ username: 'app-admin', password: 'abcabcabcabcabc' }] }) }, errorType: 'BadRequestException', errorAttribute: 'password' },
  { name: 'password with a comma', method: 'POST', path: '/v1/brokers', options: { body: activeMqBroker({ users: [{ username: 'app-admin', password: 'Good-Password,1' }] }) }, errorType: 'BadRequestException', errorAttribute: 'password' },
  { name: 'password with a colon', method: 'POST', path: '/v1/brokers', options: { body: activeMqBroker({ users: [{ username: 'app-admin', password: 'Good-Password:1' }] }) }, errorType: 'BadRequestException', errorAttribute: 'password' },
  { name: 'password with an equals sign', method: 'POST', path: '/v1/brokers', options: { body: activeMqBroker({ users: [{ username: 'app-admin', password: 'Good-Password=1' }] }) }, errorType: 'BadRequestException', errorAttribute: 'password' },
  { name: 'password missing', method: 'POST', path: '/v1/brokers', options: { body: activeMqBroker({ users: [{ username: 'app-admin' }] }) }, errorType: 'BadRequestException', errorAttribute: 'password' },
  { name: 'duplicate usernames', method: 'POST', path: '/v1/brokers', options: { body: activeMqBroker({ users: [{ username: 'dup-user', password: PASSWORD }, { username: 'dup-user', password: PASSWORD }] }) }, errorType: 'BadRequestException', errorAttribute: 'users' },
  { name: 'replication user with console access', method: 'POST', path: '/v1/brokers', options: { body: activeMqBroker({ users: [{ username: 'repl-user', password: PASSWORD, consoleAccess: true, replicationUser: true }] }) }, errorType: 'BadRequestException', errorAttribute: 'replicationUser' },
  { name: 'a group of one character', method: 'POST', path: '/v1/brokers', options: { body: activeMqBroker({ users: [{ username: 'app-admin', password: PASSWORD, groups: ['a'] }] }) }, errorType: 'BadRequestException', errorAttribute: 'groups' },
  { name: 'maintenance window on an unknown day', method: 'POST', path: '/v1/brokers', options: { body: activeMqBroker({ maintenanceWindowStartTime: { dayOfWeek: 'FUNDAY', timeOfDay: '01:00' } }) }, errorType: 'BadRequestException', errorAttribute: 'dayOfWeek' },
  { name: 'maintenance window at 25:00', method: 'POST', path: '/v1/brokers', options: { body: activeMqBroker({ maintenanceWindowStartTime: { dayOfWeek: 'MONDAY', timeOfDay: '25:00' } }) }, errorType: 'BadRequestException', errorAttribute: 'timeOfDay' },
  { name: 'maintenance window in an unknown time zone', method: 'POST', path: '/v1/brokers', options: { body: activeMqBroker({ maintenanceWindowStartTime: { dayOfWeek: 'MONDAY', timeOfDay: '01:00', timeZone: 'Mars/Olympus' } }) }, errorType: 'BadRequestException', errorAttribute: 'timeZone' },
  { name: 'audit logs on RabbitMQ', method: 'POST', path: '/v1/brokers', options: { body: rabbitMqBroker({ logs: { audit: true } }) }, errorType: 'BadRequestException', errorAttribute: 'logs' },
  { name: 'LDAP on RabbitMQ', method: 'POST', path: '/v1/brokers', options: { body: rabbitMqBroker({ authenticationStrategy: 'LDAP', ldapServerMetadata: ldap }) }, errorType: 'BadRequestException', errorAttribute: 'authenticationStrategy' },
  { name: 'LDAP without metadata', method: 'POST', path: '/v1/brokers', options: { body: activeMqBroker({ authenticationStrategy: 'LDAP' }) }, errorType: 'BadRequestException', errorAttribute: 'ldapServerMetadata' },
  { name: 'encryptionOptions without useAwsOwnedKey', method: 'POST', path: '/v1/brokers', options: { body: activeMqBroker({ encryptionOptions: { kmsKeyId: 'alias/x' } }) }, errorType: 'BadRequestException', errorAttribute: 'useAwsOwnedKey' },
  { name: 'unknown configuration', method: 'POST', path: '/v1/brokers', options: { body: activeMqBroker({ configuration: { id: 'c-00000000-0000-4000-8000-999999999999' } }) }, errorType: 'BadRequestException', errorAttribute: 'configuration' },
  { name: 'configuration of the other engine', method: 'POST', path: '/v1/brokers', options: { body: rabbitMqBroker({ brokerName: 'x', configuration: { id: '@config' } }) }, errorType: 'BadRequestException', errorAttribute: 'configuration' },
  { name: 'more than 5 security groups', method: 'POST', path: '/v1/brokers', options: { body: activeMqBroker({ securityGroups: ['1', '2', '3', '4', '5', '6'] }) }, errorType: 'BadRequestException', errorAttribute: 'securityGroups' },
  { name: 'tag key starting with aws:', method: 'POST', path: '/v1/brokers', options: { body: activeMqBroker({ tags: { 'aws:owner': 'x' } }) }, errorType: 'BadRequestException', errorAttribute: 'tags' },
  { name: 'body that is not an object', method: 'POST', path: '/v1/brokers', options: { body: [1, 2] }, errorType: 'BadRequestException' },
  { name: 'describe an unknown broker', method: 'GET', path: '/v1/brokers/b-00000000-0000-4000-8000-999999999999', errorType: 'NotFoundException', errorAttribute: 'broker-id' },
  { name: 'delete an unknown broker', method: 'DELETE', path: '/v1/brokers/b-unknown', errorType: 'NotFoundException', errorAttribute: 'broker-id' },
  { name: 'ListBrokers maxResults 0', method: 'GET', path: '/v1/brokers', options: { query: { maxResults: '0' } }, errorType: 'BadRequestException', errorAttribute: 'maxResults' },
  { name: 'ListBrokers maxResults not a number', method: 'GET', path: '/v1/brokers', options: { query: { maxResults: 'ten' } }, errorType: 'BadRequestException', errorAttribute: 'maxResults' },
  { name: 'ListBrokers with a forged nextToken', method: 'GET', path: '/v1/brokers', options: { query: { nextToken: 'Zm9yZ2Vk' } }, errorType: 'BadRequestException', errorAttribute: 'nextToken' },
  { name: 'engine downgrade', method: 'PUT', path: ({ brokerId }) => `/v1/brokers/${brokerId}`, options: { body: { engineVersion: '5.16.7' } }, errorType: 'BadRequestException', errorAttribute: 'engineVersion' },
  { name: 'update to an instance type of no engine', method: 'PUT', path: ({ brokerId }) => `/v1/brokers/${brokerId}`, options: { body: { hostInstanceType: 'mq.t9.tiny' } }, errorType: 'BadRequestException', errorAttribute: 'hostInstanceType' },
  { name: 'CreateUser that exists', method: 'POST', path: ({ brokerId }) => `/v1/brokers/${brokerId}/users/app-admin`, options: { body: { password: PASSWORD } }, errorType: 'ConflictException', errorAttribute: 'username' },
  { name: 'CreateUser guest on RabbitMQ', method: 'POST', path: ({ rabbitId }) => `/v1/brokers/${rabbitId}/users/guest`, options: { body: { password: PASSWORD } }, errorType: 'BadRequestException', errorAttribute: 'username' },
  { name: 'CreateUser without password', method: 'POST', path: ({ brokerId }) => `/v1/brokers/${brokerId}/users/new-user`, options: { body: {} }, errorType: 'BadRequestException', errorAttribute: 'password' },
  { name: 'UpdateUser with a weak password', method: 'PUT', path: ({ brokerId }) => `/v1/brokers/${brokerId}/users/app-admin`, options: { body: { password: 'aaaaaaaaaaaaaaaa' } }, errorType: 'BadRequestException', errorAttribute: 'password' },
  { name: 'UpdateUser that does not exist', method: 'PUT', path: ({ brokerId }) => `/v1/brokers/${brokerId}/users/nobody`, options: { body: { consoleAccess: true } }, errorType: 'NotFoundException', errorAttribute: 'username' },
  { name: 'DeleteUser that does not exist', method: 'DELETE', path: ({ brokerId }) => `/v1/brokers/${brokerId}/users/nobody`, errorType: 'NotFoundException', errorAttribute: 'username' },
  { name: 'configuration name with a space', method: 'POST', path: '/v1/configurations', options: { body: { name: 'my config', engineType: 'ACTIVEMQ' } }, errorType: 'BadRequestException', errorAttribute: 'name' },
  { name: 'configuration without engine type', method: 'POST', path: '/v1/configurations', options: { body: { name: 'cfg' } }, errorType: 'BadRequestException', errorAttribute: 'engineType' },
  { name: 'configuration data not base64', method: 'PUT', path: ({ configurationId }) => `/v1/configurations/${configurationId}`, options: { body: { data: 'not base64!' } }, errorType: 'BadRequestException', errorAttribute: 'data' },
  { name: 'ActiveMQ configuration data not XML', method: 'PUT', path: ({ configurationId }) => `/v1/configurations/${configurationId}`, options: { body: { data: Buffer.from('key = value').toString('base64') } }, errorType: 'BadRequestException', errorAttribute: 'data' },
  { name: 'revision that is not a number', method: 'GET', path: ({ configurationId }) => `/v1/configurations/${configurationId}/revisions/latest`, errorType: 'BadRequestException', errorAttribute: 'configuration-revision' },
  { name: 'unknown configuration id', method: 'GET', path: '/v1/configurations/c-nope', errorType: 'NotFoundException', errorAttribute: 'configuration-id' },
  { name: 'CreateTags without tags', method: 'POST', path: ({ configurationId }) => `/v1/tags/${encodeURIComponent(`arn:aws:mq:us-east-1:123456789012:configuration:${configurationId}`)}`, options: { body: {} }, errorType: 'BadRequestException', errorAttribute: 'tags' },
  { name: 'DeleteTags without tagKeys', method: 'DELETE', path: ({ configurationId }) => `/v1/tags/${encodeURIComponent(`arn:aws:mq:us-east-1:123456789012:configuration:${configurationId}`)}`, errorType: 'BadRequestException', errorAttribute: 'tagKeys' },
  { name: 'engine types for an unknown engine', method: 'GET', path: '/v1/broker-engine-types', options: { query: { engineType: 'ZEROMQ' } }, errorType: 'BadRequestException', errorAttribute: 'engineType' },
  { name: 'unknown route', method: 'GET', path: '/v1/queues', errorType: 'NotFoundException' },
];

async function setup() {
  const h = makeHarness();
  const { brokerId } = await runningBroker(h, activeMqBroker({ brokerName: 'fixture-amq' }));
  const { brokerId: rabbitId } = await runningBroker(h, rabbitMqBroker({ brokerName: 'fixture-rmq' }));
  const configuration = await h.call('POST', '/v1/configurations', { body: { name: 'fixture-cfg', engineType: 'ACTIVEMQ' } });
  return { h, ids: { brokerId, rabbitId, configurationId: configuration.id as string } };
}

describe('validation and errors: AWS error type and errorAttribute', () => {
  it(`has at least 25 cases (${CASES.length})`, () => assert.ok(CASES.length >= 25));
  for (const testCase of CASES) {
    it(`${testCase.name} -> ${testCase.errorType} (${testCase.errorAttribute ?? 'no attribute'})`, async () => {
      const { h, ids } = await setup();
      const path = typeof testCase.path === 'function' ? testCase.path(ids) : testCase.path;
      let options = testCase.options ?? {};
      if (testCase.name === 'configuration of the other engine') options = { body: rabbitMqBroker({ brokerName: 'x', configuration: { id: ids.configurationId } }) };
      const error = await h.fail(testCase.method, path, options, testCase.errorType, testCase.errorAttribute);
      assert.ok(error.message.length > 0);
      assert.ok(!error.message.includes(PASSWORD));
    });
  }
});

describe('guard rails: personal data refused per kind and per field, never echoed', () => {
  const kinds = [
    { kind: 'e-mail address', value: 'jane.doe@example.com', nameSafe: 'jane.doe@example.com' },
    { kind: 'phone number', value: '+44 20 7946 0958', nameSafe: '020-7946-0958' },
    { kind: 'payment card number', value: '4111 1111 1111 1111', nameSafe: '4111-1111-1111-1111' },
  ];
  // Names and usernames have strict character sets; the phone and card values used there fit them,
  // so the guard rail (not the character-set rule) must be what refuses them. An e-mail address
  // cannot fit, and the guard rail runs first so that the error says why.
  for (const { kind, value, nameSafe } of kinds) {
    it(`broker name with a ${kind}`, async () => {
      const h = makeHarness();
      const error = await h.fail('POST', '/v1/brokers', { body: activeMqBroker({ brokerName: nameSafe }) }, 'BadRequestException', 'brokerName');
      assert.match(error.message, new RegExp(kind));
      assert.ok(!error.message.includes(nameSafe));
    });
    it(`username (CreateBroker) with a ${kind}`, async () => {
      const h = makeHarness();
      const error = await h.fail('POST', '/v1/brokers', { body: activeMqBroker({ users: [{ username: nameSafe, password: PASSWORD }] }) }, 'BadRequestException', 'username');
      assert.match(error.message, new RegExp(kind));
    });
    it(`username (CreateUser) with a ${kind}`, async () => {
      const h = makeHarness();
      const { brokerId } = await runningBroker(h, activeMqBroker());
      const error = await h.fail('POST', `/v1/brokers/${brokerId}/users/${encodeURIComponent(value)}`, { body: { password: PASSWORD } }, 'BadRequestException', 'username');
      assert.match(error.message, new RegExp(kind));
      assert.ok(!error.message.includes(value));
    });
    it(`configuration name with a ${kind}`, async () => {
      const h = makeHarness();
      const error = await h.fail('POST', '/v1/configurations', { body: { name: nameSafe, engineType: 'ACTIVEMQ' } }, 'BadRequestException', 'name');
      assert.match(error.message, new RegExp(kind));
    });
    it(`tag key with a ${kind}`, async () => {
      const h = makeHarness();
      const error = await h.fail('POST', '/v1/brokers', { body: activeMqBroker({ tags: { [value]: 'x' } }) }, 'BadRequestException', 'tags');
      assert.match(error.message, new RegExp(`Tag key .*${kind}`));
      assert.ok(!error.message.includes(value));
    });
    it(`tag value with a ${kind} (CreateTags)`, async () => {
      const h = makeHarness();
      const { brokerArn } = await runningBroker(h, activeMqBroker());
      const error = await h.fail('POST', `/v1/tags/${encodeURIComponent(brokerArn)}`, { body: { tags: { owner: value } } }, 'BadRequestException', 'tags');
      assert.match(error.message, new RegExp(`Tag value .*${kind}`));
      assert.ok(!error.message.includes(value));
    });
  }
});

describe('guard rails: URLs with credentials', () => {
  it('LDAP hosts', async () => {
    const h = makeHarness();
    const body = activeMqBroker({ authenticationStrategy: 'LDAP', ldapServerMetadata: { ...ldap, hosts: ['ldaps://svc:hunter2hunter2@ldap.example.com'] } });
    const error = await h.fail('POST', '/v1/brokers', { body }, 'BadRequestException', 'hosts');
    assert.ok(!error.message.includes('hunter2'));
  });
  it('LDAP serviceAccountPassword given as a URL with credentials', async () => {
    const h = makeHarness();
    const body = activeMqBroker({ authenticationStrategy: 'LDAP', ldapServerMetadata: { ...ldap, serviceAccountPassword: 'ldap://svc:hunter2hunter2@ldap' } });
    await h.fail('POST', '/v1/brokers', { body }, 'BadRequestException', 'serviceAccountPassword');
  });
  it('LDAP metadata in UpdateBroker', async () => {
    const h = makeHarness();
    const { brokerId } = await runningBroker(h, activeMqBroker());
    await h.fail('PUT', `/v1/brokers/${brokerId}`, { body: { ldapServerMetadata: { ...ldap, userBase: 'ldap://a:b@host/ou=users' } } }, 'BadRequestException', 'userBase');
  });
  it('configuration data', async () => {
    const h = makeHarness();
    const created = await h.call('POST', '/v1/configurations', { body: { name: 'cfg', engineType: 'ACTIVEMQ' } });
    const xml = '<broker><networkConnectors><networkConnector uri="static:(ssl://bridge:s3cretpassword@peer:61617)"/></networkConnectors></broker>';
    const error = await h.fail('PUT', `/v1/configurations/${created.id}`, { body: { data: Buffer.from(xml).toString('base64') } }, 'BadRequestException', 'data');
    assert.ok(!error.message.includes('s3cret'));
  });
  it('tag values', async () => {
    const h = makeHarness();
    await h.fail('POST', '/v1/brokers', { body: activeMqBroker({ tags: { endpoint: 'amqps://app:pw12345678@host' } }) }, 'BadRequestException', 'tags');
  });
  it('LDAP metadata without credentials is accepted, and its password is never shown', async () => {
    const h = makeHarness();
    const { brokerId } = await runningBroker(h, activeMqBroker({ authenticationStrategy: 'LDAP', ldapServerMetadata: ldap, users: [] }));
    const described = await h.call('GET', `/v1/brokers/${brokerId}`);
    assert.equal(described.authenticationStrategy, 'LDAP');
    assert.deepEqual(described.ldapServerMetadata.hosts, ldap.hosts);
    assert.equal(described.ldapServerMetadata.serviceAccountPassword, undefined);
    assert.ok(!JSON.stringify(described).includes(ldap.serviceAccountPassword));
  });
});

describe('authorization', () => {
  it('a read-only principal (mq:Describe*, mq:List*) may describe and list but is refused every change', async () => {
    const h = makeHarness();
    const { brokerId, brokerArn } = await runningBroker(h, activeMqBroker());
    const configuration = await h.call('POST', '/v1/configurations', { body: { name: 'cfg', engineType: 'ACTIVEMQ' } });
    const asReader = { caller: READ_ONLY };
    await h.call('GET', `/v1/brokers/${brokerId}`, asReader);
    await h.call('GET', '/v1/brokers', asReader);
    await h.call('GET', `/v1/brokers/${brokerId}/users`, asReader);
    await h.call('GET', `/v1/brokers/${brokerId}/users/app-admin`, asReader);
    await h.call('GET', `/v1/configurations/${configuration.id}`, asReader);
    await h.call('GET', '/v1/configurations', asReader);
    await h.call('GET', `/v1/configurations/${configuration.id}/revisions`, asReader);
    await h.call('GET', `/v1/configurations/${configuration.id}/revisions/1`, asReader);
    await h.call('GET', `/v1/tags/${encodeURIComponent(brokerArn)}`, asReader);
    await h.call('GET', '/v1/broker-engine-types', asReader);
    await h.call('GET', '/v1/broker-instance-options', asReader);

    const refused: [string, string, CallOptions, string][] = [
      ['POST', '/v1/brokers', { body: activeMqBroker({ brokerName: 'sneaky' }) }, 'CreateBroker'],
      ['PUT', `/v1/brokers/${brokerId}`, { body: { autoMinorVersionUpgrade: true } }, 'UpdateBroker'],
      ['POST', `/v1/brokers/${brokerId}/reboot`, { body: {} }, 'RebootBroker'],
      ['DELETE', `/v1/brokers/${brokerId}`, {}, 'DeleteBroker'],
      ['POST', `/v1/brokers/${brokerId}/users/new-user`, { body: { password: PASSWORD } }, 'CreateUser'],
      ['PUT', `/v1/brokers/${brokerId}/users/app-admin`, { body: { consoleAccess: false } }, 'UpdateUser'],
      ['DELETE', `/v1/brokers/${brokerId}/users/app-admin`, {}, 'DeleteUser'],
      ['POST', '/v1/configurations', { body: { name: 'cfg2', engineType: 'ACTIVEMQ' } }, 'CreateConfiguration'],
      ['PUT', `/v1/configurations/${configuration.id}`, { body: { data: Buffer.from('<broker/>').toString('base64') } }, 'UpdateConfiguration'],
      ['DELETE', `/v1/configurations/${configuration.id}`, {}, 'DeleteConfiguration'],
      ['POST', `/v1/tags/${encodeURIComponent(brokerArn)}`, { body: { tags: { a: 'b' } } }, 'CreateTags'],
      ['DELETE', `/v1/tags/${encodeURIComponent(brokerArn)}`, { query: { tagKeys: 'a' } }, 'DeleteTags'],
    ];
    for (const [method, path, options, operation] of refused) {
      const error = await h.fail(method, path, { ...options, caller: READ_ONLY }, 'ForbiddenException');
      assert.equal(error.httpStatus, 403);
      assert.match(error.message, new RegExp(`^User: arn:aws:iam::123456789012:user/auditor is not authorized to perform: mq:${operation} on resource: `));
      assert.ok(!error.message.includes(PASSWORD));
    }
    assert.equal(h.runtime.calls.filter((c) => c.action !== 'create').length, 0);
    assert.equal((await h.call('GET', '/v1/brokers')).brokerSummaries.length, 1);
    assert.equal((await h.call('GET', `/v1/brokers/${brokerId}`)).brokerState, 'RUNNING');
  });

  it('no policy means no access; an explicit Deny wins; resource ARNs scope access', async () => {
    const h = makeHarness();
    const { brokerId, brokerArn } = await runningBroker(h, activeMqBroker());
    const { brokerId: otherId } = await runningBroker(h, activeMqBroker({ brokerName: 'other' }));
    await h.fail('GET', '/v1/brokers', { caller: callerWith('nobody', []) }, 'ForbiddenException');
    const denied = callerWith('denied', [
      { Statement: [{ Effect: 'Allow', Action: 'mq:*', Resource: '*' }, { Effect: 'Deny', Action: 'mq:DeleteBroker', Resource: '*' }] },
    ]);
    const error = await h.fail('DELETE', `/v1/brokers/${brokerId}`, { caller: denied }, 'ForbiddenException');
    assert.match(error.message, /explicit deny/);
    const scoped = callerWith('scoped', [{ Statement: { Effect: 'Allow', Action: 'mq:DescribeBroker', Resource: brokerArn } }]);
    await h.call('GET', `/v1/brokers/${brokerId}`, { caller: scoped });
    await h.fail('GET', `/v1/brokers/${otherId}`, { caller: scoped }, 'ForbiddenException');
    // An unknown id is refused, not reported missing, to a caller scoped to another broker.
    await h.fail('GET', '/v1/brokers/b-unknown', { caller: scoped }, 'ForbiddenException');
  });
});

describe('secrets', () => {
  it('passwords never appear in responses, errors or the saved state', async () => {
    const h = makeHarness();
    const { brokerId } = await runningBroker(h, activeMqBroker());
    const { brokerId: rabbitId } = await runningBroker(h, rabbitMqBroker());
    const second = 'Second-Secret-Password-7';
    await h.call('POST', `/v1/brokers/${brokerId}/users/other-user`, { body: { password: second } });
    await h.call('PUT', `/v1/brokers/${rabbitId}/users/rabbit-admin`, { body: { password: second } });
    await h.call('GET', `/v1/brokers/${brokerId}`);
    await h.call('GET', `/v1/brokers/${brokerId}/users/other-user`);
    await h.call('GET', `/v1/brokers/${brokerId}/users`);
    await h.fail('POST', `/v1/brokers/${brokerId}/users/other-user`, { body: { password: second } }, 'ConflictException', 'username');
    await h.fail('POST', `/v1/brokers/${brokerId}/users/x`, { body: { password: `${second},` } }, 'BadRequestException', 'username');
    await h.fail('POST', `/v1/brokers/${brokerId}/users/xy`, { body: { password: `${second},` } }, 'BadRequestException', 'password');
    await h.call('POST', `/v1/brokers/${brokerId}/reboot`, { body: {} });
    const everything = [...h.transcript, h.store.savedText ?? '', JSON.stringify([...h.runtime.specs.values()])].join('\n');
    for (const secret of [PASSWORD, second]) assert.ok(!everything.includes(secret), 'a password leaked');
    assert.ok(h.transcript.length > 5);
  });
});
