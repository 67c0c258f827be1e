import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KmsKeyProvider, mqViaService } from '../../kms/kms-key-provider.ts';
import { admin, ACCOUNT, kmsFixture, principal, REGION, type KmsFixture } from '../../kms/testing.ts';
import { FakePasswordHasher, InMemoryBrokerRuntime, SequentialIds, SettableClock } from './memory-ports.ts';
import { brokerCaller, brokerPrincipalArn, KmsEncryptionKeys, MQ_GRANT_NAME } from './kms-encryption-keys.ts';
import { MqApi } from './mq-api.ts';
import { InMemoryMqStateStore } from './state.ts';

describe('KmsEncryptionKeys on the embedded KMS', () => {
  let fixture: KmsFixture;
  before(async () => {
    fixture = await kmsFixture();
  });
  after(async () => {
    await fixture.cleanup();
  });

  const adminCaller = { ...admin };

  function api(keys: KmsEncryptionKeys, runtime = new InMemoryBrokerRuntime()) {
    return new MqApi({
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
  }

  function createBroker(mq: MqApi, name: string, encryptionOptions: unknown, caller = adminCaller) {
    return mq.handle(caller, {
      method: 'POST',
      rawPath: '/v1/brokers',
      query: new URLSearchParams(),
      body: {
        brokerName: name,
        engineType: 'RABBITMQ',
        deploymentMode: 'SINGLE_INSTANCE',
        hostInstanceType: 'mq.m5.large',
        publiclyAccessible: false,
        users: [{ username: 'rabbit-admin', password: 'Correct-Horse-Battery-9' }],
        encryptionOptions,
      },
    });
  }

  it('a customer key by alias: mq_grant for the broker principal; the broker gets data keys only for its own context', async () => {
    const { kms } = fixture;
    const key = (await kms.createKey(admin, { Description: 'orders' })).KeyMetadata;
    await kms.createAlias(admin, { AliasName: 'alias/orders', TargetKeyId: key.KeyId });
    const keys = new KmsEncryptionKeys(kms, { viaService: mqViaService(REGION) });
    const runtime = new InMemoryBrokerRuntime();
    const mq = api(keys, runtime);
    const created = await createBroker(mq, 'orders', { useAwsOwnedKey: false, kmsKeyId: 'alias/orders' });
    const { brokerId } = created.body as { brokerId: string };
    const spec = runtime.specs.get(brokerId)!;
    assert.equal(spec.encryption.kind, 'CUSTOMER_MANAGED');
    assert.equal(spec.encryption.keyArn, key.Arn);

    const grants = (await kms.listGrants(admin, { KeyId: key.KeyId })).Grants;
    assert.equal(grants.length, 1);
    assert.equal(grants[0]!.Name, MQ_GRANT_NAME);
    assert.equal(grants[0]!.GrantId, spec.encryption.grantId);
    assert.equal(grants[0]!.GranteePrincipal, brokerPrincipalArn(ACCOUNT, brokerId));
    assert.deepEqual(grants[0]!.Constraints, { EncryptionContextSubset: { 'aws:mq:broker-id': brokerId } });

    const provider = KmsKeyProvider.forCaller(kms, brokerCaller(ACCOUNT, brokerId));
    const dataKey = await provider.generateDataKey({ keyId: key.Arn, encryptionContext: { 'aws:mq:broker-id': brokerId, purpose: 'segment' } });
    assert.equal(dataKey.plaintextDataKey.length, 32);
    await assert.rejects(provider.generateDataKey({ keyId: key.Arn, encryptionContext: { 'aws:mq:broker-id': 'b-other' } }));
  });

  it('refuses disabled, unknown and inaccessible keys as BadRequestException on kmsKeyId', async () => {
    const { kms } = fixture;
    const disabled = (await kms.createKey(admin, {})).KeyMetadata;
    await kms.disableKey(admin, { KeyId: disabled.KeyId });
    const usable = (await kms.createKey(admin, {})).KeyMetadata;
    const mq = api(new KmsEncryptionKeys(kms, { viaService: mqViaService(REGION) }));
    const mqOnly = principal('mq-only', [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'mq:*', Resource: '*' }] }]);
    for (const [name, kmsKeyId, caller] of [
      ['disabled', disabled.Arn, adminCaller],
      ['unknown', 'alias/nothing-here', adminCaller],
      ['malformed', 'not a key', adminCaller],
      ['no-kms-permission', usable.Arn, mqOnly],
    ] as const) {
      await assert.rejects(createBroker(mq, name, { useAwsOwnedKey: false, kmsKeyId }, caller), (error: unknown) => {
        assert.ok(error instanceof Error);
        const e = error as { errorType?: string; errorAttribute?: string };
        assert.equal(e.errorType, 'BadRequestException', `${name}: ${error.message}`);
        assert.equal(e.errorAttribute, 'kmsKeyId');
        return true;
      });
    }
  });

  it('useAwsOwnedKey false uses alias/aws/mq; the default a service-owned key of the broker', async () => {
    const { kms } = fixture;
    const runtime = new InMemoryBrokerRuntime();
    const mq = api(new KmsEncryptionKeys(kms), runtime);
    const managed = (await createBroker(mq, 'managed', { useAwsOwnedKey: false })).body as { brokerId: string };
    const owned = (await createBroker(mq, 'owned', undefined)).body as { brokerId: string };
    const aliasTarget = (await kms.describeKey(admin, { KeyId: 'alias/aws/mq' })).KeyMetadata;
    assert.equal(runtime.specs.get(managed.brokerId)!.encryption.keyArn, aliasTarget.Arn);
    assert.equal(aliasTarget.KeyManager, 'AWS');
    const ownedArn = runtime.specs.get(owned.brokerId)!.encryption.keyArn;
    assert.ok(kms.listServiceOwnedKeys().some((k) => k.Arn === ownedArn && k.OwnerId === owned.brokerId));
  });
});
