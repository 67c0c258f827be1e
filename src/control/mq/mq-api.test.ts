import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { activeMqBroker, makeHarness, PASSWORD, rabbitMqBroker, runningBroker, ACCOUNT, READ_ONLY, REGION } from './test-harness.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('brokers', () => {
  it('CreateBroker returns an Amazon MQ id and ARN, and the broker goes CREATION_IN_PROGRESS -> RUNNING on the runtime report', async () => {
    const h = makeHarness();
    const created = await h.call('POST', '/v1/brokers', { body: activeMqBroker() });
    assert.deepEqual(Object.keys(created).sort(), ['brokerArn', 'brokerId']);
    assert.match(created.brokerId, /^b-/);
    assert.match(created.brokerId.slice(2), UUID);
    assert.equal(created.brokerArn, `arn:aws:mq:${REGION}:${ACCOUNT}:broker:orders-prod:${created.brokerId}`);

    let described = await h.call('GET', `/v1/brokers/${created.brokerId}`);
    assert.equal(described.brokerState, 'CREATION_IN_PROGRESS');
    assert.deepEqual(h.runtime.calls, [{ action: 'create', brokerId: created.brokerId }]);

    h.runtime.report(created.brokerId, { state: 'RUNNING' });
    await h.settle();
    described = await h.call('GET', `/v1/brokers/${created.brokerId}`);
    assert.equal(described.brokerState, 'RUNNING');
    assert.equal(described.brokerName, 'orders-prod');
    assert.equal(described.brokerArn, created.brokerArn);
    assert.equal(described.engineType, 'ACTIVEMQ');
    assert.equal(described.engineVersion, '5.18');
    assert.equal(described.deploymentMode, 'SINGLE_INSTANCE');
    assert.equal(described.hostInstanceType, 'mq.m5.large');
    assert.equal(described.publiclyAccessible, false);
    assert.equal(described.authenticationStrategy, 'SIMPLE');
    assert.equal(described.autoMinorVersionUpgrade, true);
    assert.equal(described.storageType, 'EFS');
    assert.equal(described.created, '2026-01-15T12:00:00.000Z');
    assert.deepEqual(described.encryptionOptions, { useAwsOwnedKey: true });
    assert.deepEqual(described.users, [{ username: 'app-admin' }]);
    assert.deepEqual(described.maintenanceWindowStartTime, { dayOfWeek: 'SUNDAY', timeOfDay: '00:00', timeZone: 'UTC' });
    assert.deepEqual(described.logs, {
      general: false,
      generalLogGroup: `/aws/amazonmq/broker/${created.brokerId}/general`,
      audit: false,
      auditLogGroup: `/aws/amazonmq/broker/${created.brokerId}/audit`,
    });
    assert.match(described.configurations.current.id, /^c-/);
    assert.equal(described.configurations.current.revision, 1);
    assert.deepEqual(described.configurations.history, []);
    assert.equal(described.brokerInstances.length, 1);
    assert.deepEqual(described.brokerInstances[0].endpoints, [
      'ssl://localhost:20000',
      'amqp+ssl://localhost:20001',
      'stomp+ssl://localhost:20002',
      'mqtt+ssl://localhost:20003',
      'wss://localhost:20004',
    ]);
    assert.equal(described.brokerInstances[0].consoleURL, 'https://localhost:20005');
    assert.equal(described.actionsRequired, undefined);
    // The default configuration Amazon MQ makes for a broker is listed.
    const configurations = await h.call('GET', '/v1/configurations');
    assert.equal(configurations.configurations[0].name, 'orders-prod-configuration');
  });

  it('RabbitMQ brokers get one amqps endpoint and EBS storage', async () => {
    const h = makeHarness();
    const { brokerId } = await runningBroker(h, rabbitMqBroker());
    const described = await h.call('GET', `/v1/brokers/${brokerId}`);
    assert.deepEqual(described.brokerInstances[0].endpoints, ['amqps://localhost:20000']);
    assert.equal(described.storageType, 'EBS');
    assert.equal(described.engineVersion, '3.13');
    assert.equal(described.logs.audit, undefined);
  });

  it('ACTIVE_STANDBY_MULTI_AZ brokers show two instances', async () => {
    const h = makeHarness();
    const { brokerId } = await runningBroker(h, activeMqBroker({ deploymentMode: 'ACTIVE_STANDBY_MULTI_AZ' }));
    const described = await h.call('GET', `/v1/brokers/${brokerId}`);
    assert.equal(described.brokerInstances.length, 2);
  });

  it('a runtime that cannot start the broker leaves it CREATION_FAILED', async () => {
    const h = makeHarness();
    h.runtime.failCreate = true;
    const { brokerId } = await h.call('POST', '/v1/brokers', { body: activeMqBroker() });
    assert.equal((await h.call('GET', `/v1/brokers/${brokerId}`)).brokerState, 'CREATION_FAILED');
    assert.deepEqual(h.internalErrors, ['CreateBroker']);
    h.runtime.failCreate = false;
    const later = await h.call('POST', '/v1/brokers', { body: activeMqBroker({ brokerName: 'other' }) });
    h.runtime.report(later.brokerId, { state: 'CREATION_FAILED', reason: 'no port' });
    await h.settle();
    assert.equal((await h.call('GET', `/v1/brokers/${later.brokerId}`)).brokerState, 'CREATION_FAILED');
  });

  it('creatorRequestId makes CreateBroker idempotent; reusing it with another request is a ConflictException', async () => {
    const h = makeHarness();
    const body = activeMqBroker({ creatorRequestId: 'a7c3e0e6-0b3f-4e8e-9d51-1a0d0e0c0b0a' });
    const first = await h.call('POST', '/v1/brokers', { body });
    const again = await h.call('POST', '/v1/brokers', { body: structuredClone(body) });
    assert.deepEqual(again, first);
    assert.equal((await h.call('GET', '/v1/brokers')).brokerSummaries.length, 1);
    assert.equal(h.runtime.calls.length, 1);
    await h.fail('POST', '/v1/brokers', { body: { ...body, hostInstanceType: 'mq.m5.xlarge' } }, 'ConflictException', 'creatorRequestId');
    await h.fail('POST', '/v1/brokers', { body: { ...body, users: [{ username: 'app-admin', password: 'Another-Password-77' }] } }, 'ConflictException', 'creatorRequestId');
  });

  it('broker names are unique (ConflictException naming brokerName)', async () => {
    const h = makeHarness();
    await h.call('POST', '/v1/brokers', { body: activeMqBroker() });
    await h.fail('POST', '/v1/brokers', { body: activeMqBroker() }, 'ConflictException', 'brokerName');
  });

  it('ListBrokers pages with maxResults and nextToken', async () => {
    const h = makeHarness();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      h.clock.advance(1000);
      ids.push((await h.call('POST', '/v1/brokers', { body: activeMqBroker({ brokerName: `broker-${i}` }) })).brokerId);
    }
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await h.call('GET', '/v1/brokers', { query: token === undefined ? { maxResults: '2' } : { maxResults: '2', nextToken: token } });
      pages++;
      assert.ok(page.brokerSummaries.length <= 2);
      for (const summary of page.brokerSummaries) {
        seen.push(summary.brokerId);
        assert.deepEqual(Object.keys(summary).sort(), ['brokerArn', 'brokerId', 'brokerName', 'brokerState', 'created', 'deploymentMode', 'engineType', 'hostInstanceType']);
      }
      token = page.nextToken;
    } while (token !== undefined);
    assert.equal(pages, 3);
    assert.deepEqual(seen, ids);
    const all = await h.call('GET', '/v1/brokers');
    assert.equal(all.brokerSummaries.length, 5);
    assert.equal(all.nextToken, undefined);
  });

  it('UpdateBroker queues engine, instance type and configuration changes for the next reboot; the rest applies at once', async () => {
    const h = makeHarness();
    const { brokerId } = await runningBroker(h, activeMqBroker({ engineVersion: '5.17.6', autoMinorVersionUpgrade: false }));
    const configuration = await h.call('POST', '/v1/configurations', { body: { name: 'orders-config', engineType: 'ACTIVEMQ' } });
    const xml = Buffer.from('<?xml version="1.0"?><broker xmlns="http://activemq.apache.org/schema/core"/>').toString('base64');
    await h.call('PUT', `/v1/configurations/${configuration.id}`, { body: { data: xml, description: 'second' } });
    const before = await h.call('GET', `/v1/brokers/${brokerId}`);

    const updated = await h.call('PUT', `/v1/brokers/${brokerId}`, {
      body: {
        engineVersion: '5.18',
        hostInstanceType: 'mq.m5.xlarge',
        configuration: { id: configuration.id, revision: 2 },
        autoMinorVersionUpgrade: true,
        maintenanceWindowStartTime: { dayOfWeek: 'tuesday', timeOfDay: '03:30', timeZone: 'Europe/Paris' },
        securityGroups: ['sg-1'],
        logs: { general: true },
      },
    });
    assert.equal(updated.brokerId, brokerId);
    assert.equal(updated.engineVersion, '5.18');
    assert.deepEqual(updated.configuration, { id: configuration.id, revision: 2 });
    assert.deepEqual(updated.maintenanceWindowStartTime, { dayOfWeek: 'TUESDAY', timeOfDay: '03:30', timeZone: 'Europe/Paris' });

    let described = await h.call('GET', `/v1/brokers/${brokerId}`);
    assert.equal(described.engineVersion, '5.17.6');
    assert.equal(described.pendingEngineVersion, '5.18');
    assert.equal(described.pendingHostInstanceType, 'mq.m5.xlarge');
    assert.deepEqual(described.configurations.pending, { id: configuration.id, revision: 2 });
    assert.deepEqual(described.logs.pending, { general: true, audit: false });
    assert.equal(described.autoMinorVersionUpgrade, true);
    assert.deepEqual(described.securityGroups, ['sg-1']);

    // Asking for the current value again withdraws a pending change.
    await h.call('PUT', `/v1/brokers/${brokerId}`, { body: { hostInstanceType: 'mq.m5.large' } });
    assert.equal((await h.call('GET', `/v1/brokers/${brokerId}`)).pendingHostInstanceType, undefined);
    await h.call('PUT', `/v1/brokers/${brokerId}`, { body: { hostInstanceType: 'mq.m5.xlarge' } });

    await h.call('POST', `/v1/brokers/${brokerId}/reboot`, { body: {} });
    described = await h.call('GET', `/v1/brokers/${brokerId}`);
    assert.equal(described.brokerState, 'REBOOT_IN_PROGRESS');
    assert.equal(described.engineVersion, '5.18');
    assert.equal(described.hostInstanceType, 'mq.m5.xlarge');
    assert.equal(described.pendingEngineVersion, undefined);
    assert.deepEqual(described.configurations.current, { id: configuration.id, revision: 2 });
    assert.deepEqual(described.configurations.history, [before.configurations.current]);
    assert.equal(described.configurations.pending, undefined);
    assert.equal(described.logs.general, true);
    const spec = h.runtime.specs.get(brokerId)!;
    assert.equal(spec.configuration.revision, 2);
    assert.equal(spec.configuration.data, xml);
    h.runtime.report(brokerId, { state: 'RUNNING' });
    await h.settle();
    assert.equal((await h.call('GET', `/v1/brokers/${brokerId}`)).brokerState, 'RUNNING');
  });

  it('ReencryptBroker (SealMQ): refused for an unknown broker, one not RUNNING, a caller without mq:ReencryptBroker, and a runtime without re-encryption', async () => {
    const h = makeHarness();
    const { brokerId } = await h.call('POST', '/v1/brokers', { body: activeMqBroker() });
    await h.fail('POST', '/v1/brokers/b-00000000-0000-0000-0000-000000000000/reencrypt', { body: {} }, 'NotFoundException', 'broker-id');
    await h.fail('POST', `/v1/brokers/${brokerId}/reencrypt`, { body: {} }, 'BadRequestException', 'broker-id');
    h.runtime.report(brokerId, { state: 'RUNNING' });
    await h.settle();
    await h.fail('POST', `/v1/brokers/${brokerId}/reencrypt`, { body: {}, caller: READ_ONLY }, 'ForbiddenException');
    // The in-memory runtime has no reencrypt(): a clear BadRequestException, not an internal error.
    await h.fail('POST', `/v1/brokers/${brokerId}/reencrypt`, { body: {} }, 'BadRequestException', 'broker-id');
  });

  it('RebootBroker needs a running broker, and is refused while the KMS key is invalid', async () => {
    const h = makeHarness();
    const { brokerId } = await h.call('POST', '/v1/brokers', { body: activeMqBroker() });
    await h.fail('POST', `/v1/brokers/${brokerId}/reboot`, { body: {} }, 'BadRequestException', 'broker-id');
    h.runtime.report(brokerId, { state: 'RUNNING' });
    await h.settle();
    h.runtime.report(brokerId, {
      state: 'CRITICAL_ACTION_REQUIRED',
      actionsRequired: [{ actionRequiredCode: 'INVALID_KMS_KEY', actionRequiredInfo: 'Enable the KMS key and check its grants.' }],
    });
    await h.settle();
    const described = await h.call('GET', `/v1/brokers/${brokerId}`);
    assert.equal(described.brokerState, 'CRITICAL_ACTION_REQUIRED');
    assert.deepEqual(described.actionsRequired, [{ actionRequiredCode: 'INVALID_KMS_KEY', actionRequiredInfo: 'Enable the KMS key and check its grants.' }]);
    await h.fail('POST', `/v1/brokers/${brokerId}/reboot`, { body: {} }, 'BadRequestException', 'broker-id');
    h.runtime.report(brokerId, { state: 'RUNNING' });
    await h.settle();
    const recovered = await h.call('GET', `/v1/brokers/${brokerId}`);
    assert.equal(recovered.brokerState, 'RUNNING');
    assert.equal(recovered.actionsRequired, undefined);
    assert.deepEqual(await h.call('POST', `/v1/brokers/${brokerId}/reboot`, { body: {} }), {});
  });

  it('DeleteBroker returns the id, shows DELETION_IN_PROGRESS, and the broker is gone after the runtime reports', async () => {
    const h = makeHarness();
    const { brokerId } = await runningBroker(h, activeMqBroker());
    assert.deepEqual(await h.call('DELETE', `/v1/brokers/${brokerId}`), { brokerId });
    assert.equal((await h.call('GET', `/v1/brokers/${brokerId}`)).brokerState, 'DELETION_IN_PROGRESS');
    // A second delete while it is going is answered the same way and not sent twice.
    assert.deepEqual(await h.call('DELETE', `/v1/brokers/${brokerId}`), { brokerId });
    assert.equal(h.runtime.calls.filter((c) => c.action === 'delete').length, 1);
    // A late RUNNING does not resurrect it.
    h.runtime.report(brokerId, { state: 'RUNNING' });
    await h.settle();
    assert.equal((await h.call('GET', `/v1/brokers/${brokerId}`)).brokerState, 'DELETION_IN_PROGRESS');
    h.runtime.report(brokerId, { state: 'DELETED' });
    await h.settle();
    await h.fail('GET', `/v1/brokers/${brokerId}`, {}, 'NotFoundException', 'broker-id');
    assert.equal((await h.call('GET', '/v1/brokers')).brokerSummaries.length, 0);
  });

  it('a failed reboot leaves the broker rebootable, and a failed delete is retried by the next DeleteBroker', async () => {
    const h = makeHarness();
    const { brokerId } = await runningBroker(h, activeMqBroker());
    h.runtime.failReboot = true;
    await h.fail('POST', `/v1/brokers/${brokerId}/reboot`, { body: {} }, 'InternalServerErrorException');
    const described = await h.call('GET', `/v1/brokers/${brokerId}`);
    assert.equal(described.brokerState, 'CRITICAL_ACTION_REQUIRED');
    assert.equal(described.actionsRequired[0].actionRequiredCode, 'BROKER_REBOOT_FAILED');
    h.runtime.failReboot = false;
    await h.call('POST', `/v1/brokers/${brokerId}/reboot`, { body: {} });

    h.runtime.failDelete = true;
    await h.fail('DELETE', `/v1/brokers/${brokerId}`, {}, 'InternalServerErrorException');
    assert.equal((await h.call('GET', `/v1/brokers/${brokerId}`)).brokerState, 'DELETION_IN_PROGRESS');
    assert.deepEqual(await h.api.brokersBeingDeleted(), [brokerId]);
    h.runtime.failDelete = false;
    assert.deepEqual(await h.call('DELETE', `/v1/brokers/${brokerId}`), { brokerId });
    assert.equal(h.runtime.calls.filter((c) => c.action === 'delete').length, 2);
  });

  it('state survives a new MqApi over the same store, and brokerSpecs lists what to restart', async () => {
    const h = makeHarness({ autoComplete: true });
    const { brokerId } = await h.call('POST', '/v1/brokers', { body: activeMqBroker() });
    await h.settle();
    const { MqApi } = await import('./mq-api.ts');
    const reopened = new MqApi({
      accountId: ACCOUNT,
      region: REGION,
      host: 'localhost',
      clock: h.clock,
      ids: { uuid: () => 'ffffffff-ffff-4fff-8fff-ffffffffffff' },
      store: h.store,
      runtime: h.runtime,
      keys: h.keys,
      passwords: h.passwords,
    });
    const specs = await reopened.brokerSpecs();
    assert.equal(specs.length, 1);
    assert.equal(specs[0]!.brokerId, brokerId);
    assert.equal(specs[0]!.users[0]!.username, 'app-admin');
    assert.ok(!JSON.stringify(specs).includes(PASSWORD));
  });
});

describe('encryption options', () => {
  it('default: a service-owned key of the broker\'s own', async () => {
    const h = makeHarness();
    const { brokerId } = await h.call('POST', '/v1/brokers', { body: activeMqBroker({ encryptionOptions: { useAwsOwnedKey: true } }) });
    assert.equal(h.runtime.specs.get(brokerId)!.encryption.kind, 'SERVICE_OWNED');
    assert.equal(h.runtime.specs.get(brokerId)!.encryption.keyArn, h.keys.serviceOwnedKeys.get(brokerId));
    assert.deepEqual((await h.call('GET', `/v1/brokers/${brokerId}`)).encryptionOptions, { useAwsOwnedKey: true });
    assert.equal(h.keys.grants.length, 0);
  });

  it('useAwsOwnedKey false without kmsKeyId: alias/aws/mq, shared by the account\'s brokers', async () => {
    const h = makeHarness();
    const a = await h.call('POST', '/v1/brokers', { body: activeMqBroker({ brokerName: 'a', encryptionOptions: { useAwsOwnedKey: false } }) });
    const b = await h.call('POST', '/v1/brokers', { body: rabbitMqBroker({ brokerName: 'b', encryptionOptions: { useAwsOwnedKey: false } }) });
    const specA = h.runtime.specs.get(a.brokerId)!;
    const specB = h.runtime.specs.get(b.brokerId)!;
    assert.equal(specA.encryption.kind, 'SERVICE_MANAGED');
    assert.equal(specA.encryption.keyArn, h.keys.serviceManagedKeyArn);
    assert.equal(specB.encryption.keyArn, specA.encryption.keyArn);
    assert.deepEqual((await h.call('GET', `/v1/brokers/${a.brokerId}`)).encryptionOptions, { useAwsOwnedKey: false });
  });

  it('a customer-managed key by alias: DescribeBroker shows the key ARN, and an mq_grant binds the key to the broker', async () => {
    const h = makeHarness();
    const key = h.keys.addKey({ aliases: ['alias/orders'] });
    const { brokerId } = await h.call('POST', '/v1/brokers', { body: activeMqBroker({ encryptionOptions: { useAwsOwnedKey: false, kmsKeyId: 'alias/orders' } }) });
    assert.deepEqual((await h.call('GET', `/v1/brokers/${brokerId}`)).encryptionOptions, { useAwsOwnedKey: false, kmsKeyId: key.keyArn });
    assert.equal(h.keys.grants.length, 1);
    const grant = h.keys.grants[0]!;
    assert.equal(grant.name, 'mq_grant');
    assert.equal(grant.keyArn, key.keyArn);
    assert.deepEqual(grant.constraints.encryptionContextSubset, { 'aws:mq:broker-id': brokerId });
    const spec = h.runtime.specs.get(brokerId)!;
    assert.deepEqual(spec.encryption, { kind: 'CUSTOMER_MANAGED', keyArn: key.keyArn, grantId: grant.grantId });
  });

  it('a customer-managed key by key id, key ARN and alias ARN', async () => {
    const h = makeHarness();
    const key = h.keys.addKey({ aliases: ['alias/k'] });
    for (const [i, id] of [key.keyId, key.keyArn, `arn:aws:kms:${REGION}:${ACCOUNT}:alias/k`].entries()) {
      const { brokerId } = await h.call('POST', '/v1/brokers', { body: activeMqBroker({ brokerName: `b${i}`, encryptionOptions: { useAwsOwnedKey: false, kmsKeyId: id } }) });
      assert.equal((await h.call('GET', `/v1/brokers/${brokerId}`)).encryptionOptions.kmsKeyId, key.keyArn);
    }
  });

  it('refuses unusable keys with BadRequestException naming kmsKeyId, before anything is created', async () => {
    const h = makeHarness();
    h.keys.addKey({ aliases: ['alias/off'], keyState: 'Disabled' });
    h.keys.addKey({ aliases: ['alias/doomed'], keyState: 'PendingDeletion' });
    h.keys.addKey({ aliases: ['alias/sign'], keyUsage: 'SIGN_VERIFY', keySpec: 'RSA_2048' });
    h.keys.addKey({ aliases: ['alias/hmac'], keySpec: 'HMAC_256' });
    for (const kmsKeyId of ['alias/missing', 'alias/off', 'alias/doomed', 'alias/sign', 'alias/hmac']) {
      await h.fail('POST', '/v1/brokers', { body: activeMqBroker({ encryptionOptions: { useAwsOwnedKey: false, kmsKeyId } }) }, 'BadRequestException', 'kmsKeyId');
    }
    await h.fail('POST', '/v1/brokers', { body: activeMqBroker({ encryptionOptions: { useAwsOwnedKey: true, kmsKeyId: 'alias/off' } }) }, 'BadRequestException', 'kmsKeyId');
    assert.equal(h.runtime.calls.length, 0);
    assert.equal(h.keys.grants.length, 0);
    assert.equal((await h.call('GET', '/v1/brokers')).brokerSummaries.length, 0);
  });

  it('UpdateBroker cannot change the encryption options', async () => {
    const h = makeHarness();
    const { brokerId } = await runningBroker(h, activeMqBroker());
    await h.fail('PUT', `/v1/brokers/${brokerId}`, { body: { encryptionOptions: { useAwsOwnedKey: false } } }, 'BadRequestException', 'encryptionOptions');
    assert.deepEqual((await h.call('GET', `/v1/brokers/${brokerId}`)).encryptionOptions, { useAwsOwnedKey: true });
  });
});

describe('users', () => {
  it('ActiveMQ: user changes are pending until a reboot applies them', async () => {
    const h = makeHarness();
    const { brokerId } = await runningBroker(h, activeMqBroker());
    assert.deepEqual(await h.call('POST', `/v1/brokers/${brokerId}/users/app-reader`, { body: { password: 'Reader-Password-1', groups: ['readers'] } }), {});
    let user = await h.call('GET', `/v1/brokers/${brokerId}/users/app-reader`);
    assert.deepEqual(user, { brokerId, username: 'app-reader', pending: { pendingChange: 'CREATE', consoleAccess: false, groups: ['readers'] } });
    // Update while pending create stays a CREATE.
    await h.call('PUT', `/v1/brokers/${brokerId}/users/app-reader`, { body: { consoleAccess: true } });
    user = await h.call('GET', `/v1/brokers/${brokerId}/users/app-reader`);
    assert.equal(user.pending.pendingChange, 'CREATE');
    assert.equal(user.pending.consoleAccess, true);
    await h.call('PUT', `/v1/brokers/${brokerId}/users/app-admin`, { body: { groups: ['admins', 'ops'] } });
    await h.call('DELETE', `/v1/brokers/${brokerId}/users/app-admin`);
    const list = await h.call('GET', `/v1/brokers/${brokerId}/users`);
    assert.deepEqual(list.users, [
      { username: 'app-admin', pendingChange: 'DELETE' },
      { username: 'app-reader', pendingChange: 'CREATE' },
    ]);
    assert.equal(list.brokerId, brokerId);
    assert.deepEqual((await h.call('GET', `/v1/brokers/${brokerId}`)).users, list.users);
    // Nothing reached the running broker yet.
    assert.deepEqual(h.runtime.users.get(brokerId)!.map((u) => u.username), ['app-admin']);

    await h.call('POST', `/v1/brokers/${brokerId}/reboot`, { body: {} });
    assert.deepEqual(h.runtime.users.get(brokerId)!.map((u) => u.username), ['app-reader']);
    assert.deepEqual((await h.call('GET', `/v1/brokers/${brokerId}/users`)).users, [{ username: 'app-reader' }]);
    user = await h.call('GET', `/v1/brokers/${brokerId}/users/app-reader`);
    assert.deepEqual(user, { brokerId, username: 'app-reader', consoleAccess: true, groups: ['readers'], replicationUser: false });
    await h.fail('GET', `/v1/brokers/${brokerId}/users/app-admin`, {}, 'NotFoundException', 'username');
  });

  it('ActiveMQ: deleting a user that is only pending creation removes it at once', async () => {
    const h = makeHarness();
    const { brokerId } = await runningBroker(h, activeMqBroker());
    await h.call('POST', `/v1/brokers/${brokerId}/users/temp-user`, { body: { password: PASSWORD } });
    await h.call('DELETE', `/v1/brokers/${brokerId}/users/temp-user`);
    assert.deepEqual((await h.call('GET', `/v1/brokers/${brokerId}/users`)).users, [{ username: 'app-admin' }]);
  });

  it('RabbitMQ: user changes apply at once (SealMQ has no management API for them)', async () => {
    const h = makeHarness();
    const { brokerId } = await runningBroker(h, rabbitMqBroker());
    await h.call('POST', `/v1/brokers/${brokerId}/users/svc-orders`, { body: { password: PASSWORD } });
    assert.deepEqual(h.runtime.users.get(brokerId)!.map((u) => u.username), ['rabbit-admin', 'svc-orders']);
    assert.deepEqual((await h.call('GET', `/v1/brokers/${brokerId}/users`)).users, [{ username: 'rabbit-admin' }, { username: 'svc-orders' }]);
    const before = h.runtime.users.get(brokerId)!.find((u) => u.username === 'svc-orders')!.passwordHash;
    await h.call('PUT', `/v1/brokers/${brokerId}/users/svc-orders`, { body: { password: 'A-New-Password-42' } });
    const after = h.runtime.users.get(brokerId)!.find((u) => u.username === 'svc-orders')!.passwordHash;
    assert.notEqual(after, before);
    await h.call('DELETE', `/v1/brokers/${brokerId}/users/svc-orders`);
    assert.deepEqual(h.runtime.users.get(brokerId)!.map((u) => u.username), ['rabbit-admin']);
  });

  it('CreateBroker with many users keeps their order and hashes every password', async () => {
    const h = makeHarness();
    const users = Array.from({ length: 7 }, (_, i) => ({ username: `user-${i}`, password: `${PASSWORD}-${i}` }));
    const { brokerId } = await h.call('POST', '/v1/brokers', { body: activeMqBroker({ users }) });
    assert.deepEqual((await h.call('GET', `/v1/brokers/${brokerId}`)).users.map((u: { username: string }) => u.username), users.map((u) => u.username));
    assert.equal(h.passwords.hashed, 7);
    assert.ok(h.runtime.specs.get(brokerId)!.users.every((u) => u.passwordHash.startsWith('fake$')));
  });

  it('ListUsers pages', async () => {
    const h = makeHarness();
    const { brokerId } = await runningBroker(h, activeMqBroker());
    for (const name of ['u-a', 'u-b', 'u-c']) await h.call('POST', `/v1/brokers/${brokerId}/users/${name}`, { body: { password: PASSWORD } });
    const first = await h.call('GET', `/v1/brokers/${brokerId}/users`, { query: { maxResults: '3' } });
    assert.equal(first.users.length, 3);
    assert.equal(first.maxResults, 3);
    const second = await h.call('GET', `/v1/brokers/${brokerId}/users`, { query: { maxResults: '3', nextToken: first.nextToken } });
    assert.deepEqual(second.users, [{ username: 'u-c', pendingChange: 'CREATE' }]);
    assert.equal(second.nextToken, undefined);
  });

  it('usernames in the path are percent-decoded', async () => {
    const h = makeHarness();
    const { brokerId } = await runningBroker(h, activeMqBroker());
    await h.call('POST', `/v1/brokers/${brokerId}/users/${encodeURIComponent('svc~batch')}`, { body: { password: PASSWORD } });
    assert.equal((await h.call('GET', `/v1/brokers/${brokerId}/users/svc~batch`)).username, 'svc~batch');
  });
});

describe('configurations', () => {
  it('create, describe, update (new revision), list, revisions, delete', async () => {
    const h = makeHarness();
    const created = await h.call('POST', '/v1/configurations', { body: { name: 'orders-config', engineType: 'ACTIVEMQ', tags: { team: 'orders' } } });
    assert.match(created.id, /^c-/);
    assert.equal(created.arn, `arn:aws:mq:${REGION}:${ACCOUNT}:configuration:${created.id}`);
    assert.equal(created.authenticationStrategy, 'SIMPLE');
    assert.equal(created.name, 'orders-config');
    assert.equal(created.latestRevision.revision, 1);
    assert.equal(created.created, '2026-01-15T12:00:00.000Z');

    const described = await h.call('GET', `/v1/configurations/${created.id}`);
    assert.equal(described.engineType, 'ACTIVEMQ');
    assert.equal(described.engineVersion, '5.18');
    assert.deepEqual(described.tags, { team: 'orders' });

    h.clock.advance(60_000);
    const data = Buffer.from('<broker xmlns="http://activemq.apache.org/schema/core"><plugins/></broker>').toString('base64');
    const updated = await h.call('PUT', `/v1/configurations/${created.id}`, { body: { data, description: 'plugins' } });
    assert.equal(updated.latestRevision.revision, 2);
    assert.equal(updated.latestRevision.description, 'plugins');
    assert.equal(updated.latestRevision.created, '2026-01-15T12:01:00.000Z');
    assert.deepEqual(updated.warnings, []);

    const revision = await h.call('GET', `/v1/configurations/${created.id}/revisions/2`);
    assert.deepEqual(revision, { configurationId: created.id, created: '2026-01-15T12:01:00.000Z', data, description: 'plugins' });
    const first = await h.call('GET', `/v1/configurations/${created.id}/revisions/1`);
    assert.match(Buffer.from(first.data, 'base64').toString(), /<broker/);
    const revisions = await h.call('GET', `/v1/configurations/${created.id}/revisions`);
    assert.deepEqual(revisions.revisions.map((r: { revision: number }) => r.revision), [1, 2]);
    assert.equal(revisions.configurationId, created.id);
    await h.fail('GET', `/v1/configurations/${created.id}/revisions/3`, {}, 'NotFoundException', 'configuration-revision');

    const list = await h.call('GET', '/v1/configurations');
    assert.equal(list.configurations.length, 1);
    assert.equal(list.configurations[0].latestRevision.revision, 2);

    assert.deepEqual(await h.call('DELETE', `/v1/configurations/${created.id}`), { configurationId: created.id });
    await h.fail('GET', `/v1/configurations/${created.id}`, {}, 'NotFoundException', 'configuration-id');
  });

  it('a configuration in use by a broker cannot be deleted', async () => {
    const h = makeHarness();
    const created = await h.call('POST', '/v1/configurations', { body: { name: 'cfg', engineType: 'RABBITMQ' } });
    await h.call('POST', '/v1/brokers', { body: rabbitMqBroker({ configuration: { id: created.id } }) });
    await h.fail('DELETE', `/v1/configurations/${created.id}`, {}, 'ConflictException', 'configuration-id');
  });
});

describe('tags', () => {
  it('CreateTags, ListTags and DeleteTags on a broker ARN sent percent-encoded; 204 for the writes', async () => {
    const h = makeHarness();
    const { brokerArn, brokerId } = await runningBroker(h, activeMqBroker({ tags: { env: 'prod' } }));
    const path = `/v1/tags/${encodeURIComponent(brokerArn)}`;
    assert.ok(path.includes('arn%3Aaws%3Amq'));
    const response = await h.send('POST', path, { body: { tags: { team: 'orders', tier: 'gold' } } });
    assert.deepEqual(response, { status: 204, body: undefined });
    assert.deepEqual(await h.call('GET', path), { tags: { env: 'prod', team: 'orders', tier: 'gold' } });
    assert.equal((await h.send('DELETE', path, { query: { tagKeys: ['team', 'env'] } })).status, 204);
    assert.deepEqual(await h.call('GET', path), { tags: { tier: 'gold' } });
    assert.deepEqual((await h.call('GET', `/v1/brokers/${brokerId}`)).tags, { tier: 'gold' });
  });

  it('tags on configurations; an unknown ARN is NotFoundException', async () => {
    const h = makeHarness();
    const created = await h.call('POST', '/v1/configurations', { body: { name: 'cfg', engineType: 'ACTIVEMQ' } });
    await h.call('POST', `/v1/tags/${encodeURIComponent(created.arn)}`, { body: { tags: { a: '1' } } });
    assert.deepEqual((await h.call('GET', `/v1/configurations/${created.id}`)).tags, { a: '1' });
    await h.fail('GET', `/v1/tags/${encodeURIComponent(`arn:aws:mq:${REGION}:${ACCOUNT}:broker:x:b-nope`)}`, {}, 'NotFoundException', 'resource-arn');
  });
});

describe('engine types and instance options', () => {
  it('DescribeBrokerEngineTypes lists both engines, filtered by engineType', async () => {
    const h = makeHarness();
    const all = await h.call('GET', '/v1/broker-engine-types');
    assert.deepEqual(all.brokerEngineTypes.map((e: { engineType: string }) => e.engineType), ['ACTIVEMQ', 'RABBITMQ']);
    const rabbit = await h.call('GET', '/v1/broker-engine-types', { query: { engineType: 'RABBITMQ' } });
    assert.equal(rabbit.brokerEngineTypes.length, 1);
    assert.deepEqual(rabbit.brokerEngineTypes[0].engineVersions[0], { name: '3.13' });
  });

  it('DescribeBrokerInstanceOptions filters by engine, instance type and storage, and pages', async () => {
    const h = makeHarness();
    const options = await h.call('GET', '/v1/broker-instance-options', { query: { engineType: 'ACTIVEMQ', hostInstanceType: 'mq.m5.large' } });
    assert.deepEqual(options.brokerInstanceOptions.map((o: { storageType: string }) => o.storageType).sort(), ['EBS', 'EFS']);
    const efs = options.brokerInstanceOptions.find((o: { storageType: string }) => o.storageType === 'EFS');
    assert.deepEqual(efs.supportedDeploymentModes, ['SINGLE_INSTANCE', 'ACTIVE_STANDBY_MULTI_AZ']);
    assert.deepEqual(efs.availabilityZones, [{ name: 'us-east-1a' }, { name: 'us-east-1b' }, { name: 'us-east-1c' }]);
    const rabbitEbs = await h.call('GET', '/v1/broker-instance-options', { query: { engineType: 'RABBITMQ', storageType: 'EFS' } });
    assert.deepEqual(rabbitEbs.brokerInstanceOptions, []);
    const page = await h.call('GET', '/v1/broker-instance-options', { query: { maxResults: '3' } });
    assert.equal(page.brokerInstanceOptions.length, 3);
    assert.ok(page.nextToken);
  });
});
