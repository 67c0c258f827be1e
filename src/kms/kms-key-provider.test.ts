import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DecryptionFailedError, KeyUnavailableError } from '../crypto/key-provider.ts';
import { KmsKeyProvider } from './kms-key-provider.ts';
import { admin, kmsFixture, MQ_VIA, principal, type KmsFixture } from './testing.ts';

function unavailable(reason: string) {
  return (error: unknown) => error instanceof KeyUnavailableError && error.reason === reason;
}

describe('KmsKeyProvider', () => {
  let f: KmsFixture;
  before(async () => {
    f = await kmsFixture();
  });
  after(async () => f.cleanup());

  it('generates and unwraps data keys as a principal, bound to the context', async () => {
    const id = (await f.kms.createKey(admin, {})).KeyMetadata.KeyId;
    const provider = KmsKeyProvider.forCaller(f.kms, admin);
    const context = { 'aws:mq:broker-id': 'b-1', purpose: 'segment' };
    const dk = await provider.generateDataKey({ keyId: id, encryptionContext: context });
    assert.equal(dk.plaintextDataKey.length, 32);
    assert.match(dk.keyArn, /^arn:aws:kms:us-east-1:\d{12}:key\//);
    assert.deepEqual(await provider.decryptDataKey({ encryptedDataKey: dk.encryptedDataKey, encryptionContext: context, keyId: id }), dk.plaintextDataKey);
    await assert.rejects(provider.decryptDataKey({ encryptedDataKey: dk.encryptedDataKey, encryptionContext: { purpose: 'other' } }), DecryptionFailedError);
    const other = (await f.kms.createKey(admin, {})).KeyMetadata.KeyId;
    await assert.rejects(provider.decryptDataKey({ encryptedDataKey: dk.encryptedDataKey, encryptionContext: context, keyId: other }), DecryptionFailedError);
  });

  it('maps refusals to KeyUnavailableError reasons: DISABLED, PENDING_DELETION, NOT_FOUND, ACCESS_DENIED (revoked grant)', async () => {
    const id = (await f.kms.createKey(admin, {})).KeyMetadata.KeyId;
    const broker = principal('broker');
    const grant = await f.kms.createGrant(admin, {
      KeyId: id,
      GranteePrincipal: broker.arn,
      Operations: ['GenerateDataKey', 'Decrypt'],
      Constraints: { EncryptionContextSubset: { 'aws:mq:broker-id': 'b-2' } },
    });
    const provider = KmsKeyProvider.forCaller(f.kms, broker);
    const context = { 'aws:mq:broker-id': 'b-2' };
    const dk = await provider.generateDataKey({ keyId: id, encryptionContext: context, grantTokens: [grant.GrantToken] });
    await assert.rejects(provider.generateDataKey({ keyId: id, encryptionContext: { 'aws:mq:broker-id': 'b-3' } }), unavailable('ACCESS_DENIED'));

    await f.kms.disableKey(admin, { KeyId: id });
    await assert.rejects(provider.decryptDataKey({ encryptedDataKey: dk.encryptedDataKey, encryptionContext: context }), unavailable('DISABLED'));
    await f.kms.enableKey(admin, { KeyId: id });
    assert.deepEqual(await provider.decryptDataKey({ encryptedDataKey: dk.encryptedDataKey, encryptionContext: context }), dk.plaintextDataKey);

    await f.kms.revokeGrant(admin, { KeyId: id, GrantId: grant.GrantId });
    await assert.rejects(provider.decryptDataKey({ encryptedDataKey: dk.encryptedDataKey, encryptionContext: context }), unavailable('ACCESS_DENIED'));

    const adminProvider = KmsKeyProvider.forCaller(f.kms, admin);
    await f.kms.scheduleKeyDeletion(admin, { KeyId: id, PendingWindowInDays: 7 });
    await assert.rejects(adminProvider.decryptDataKey({ encryptedDataKey: dk.encryptedDataKey, encryptionContext: context }), unavailable('PENDING_DELETION'));
    f.clock.advanceDays(7);
    await f.kms.runMaintenance();
    await assert.rejects(adminProvider.decryptDataKey({ encryptedDataKey: dk.encryptedDataKey, encryptionContext: context }), unavailable('NOT_FOUND'));
    await assert.rejects(adminProvider.generateDataKey({ keyId: 'alias/none', encryptionContext: {} }), unavailable('NOT_FOUND'));
  });

  it('alias/aws/mq works through the Amazon MQ service (kms:ViaService), not directly', async () => {
    const viaMq = KmsKeyProvider.forCaller(f.kms, admin, { viaService: MQ_VIA });
    const dk = await viaMq.generateDataKey({ keyId: 'alias/aws/mq', encryptionContext: { b: '1' } });
    assert.deepEqual(await viaMq.decryptDataKey({ encryptedDataKey: dk.encryptedDataKey, encryptionContext: { b: '1' } }), dk.plaintextDataKey);
    await assert.rejects(KmsKeyProvider.forCaller(f.kms, admin).decryptDataKey({ encryptedDataKey: dk.encryptedDataKey, encryptionContext: { b: '1' } }), unavailable('ACCESS_DENIED'));
  });

  it('service-owned keys: usable by the service provider, gone after destroy', async () => {
    const { KeyId } = await f.kms.createServiceOwnedKey('b-7');
    const provider = KmsKeyProvider.forServiceOwnedKeys(f.kms);
    const dk = await provider.generateDataKey({ keyId: KeyId, encryptionContext: { b: '7' } });
    assert.deepEqual(await provider.decryptDataKey({ encryptedDataKey: dk.encryptedDataKey, encryptionContext: { b: '7' } }), dk.plaintextDataKey);
    await assert.rejects(KmsKeyProvider.forCaller(f.kms, admin).generateDataKey({ keyId: KeyId, encryptionContext: {} }), unavailable('NOT_FOUND'));
    await f.kms.destroyServiceOwnedKey(KeyId);
    await assert.rejects(provider.decryptDataKey({ encryptedDataKey: dk.encryptedDataKey, encryptionContext: { b: '7' } }), unavailable('NOT_FOUND'));
  });
});
