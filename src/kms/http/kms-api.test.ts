import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { admin, kmsFixture, principal, type KmsFixture } from '../testing.ts';
import { KMS_OPERATIONS, KmsApi, kmsErrorResponse } from './kms-api.ts';

async function rejectsWith(promise: Promise<unknown>, errorType: string): Promise<string> {
  try {
    await promise;
  } catch (error) {
    const e = error as { errorType?: string; message?: string; httpStatus?: number };
    assert.equal(e.errorType, errorType, `expected ${errorType}, got ${e.errorType}: ${e.message}`);
    return e.message ?? '';
  }
  throw new Error(`expected ${errorType}, but the call succeeded`);
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

describe('KmsApi (KMS JSON 1.1 operations, in-process)', () => {
  let f: KmsFixture;
  let api: KmsApi;
  before(async () => {
    f = await kmsFixture();
    api = new KmsApi(f.kms);
  });
  after(async () => f.cleanup());
  const call = (operation: string, input: unknown = {}, caller = admin) => api.handle(caller, operation, input);

  it('serves every operation of issue 2', () => {
    for (const op of [
      'CreateKey', 'DescribeKey', 'ListKeys', 'UpdateKeyDescription', 'EnableKey', 'DisableKey', 'ScheduleKeyDeletion', 'CancelKeyDeletion',
      'GetKeyPolicy', 'PutKeyPolicy', 'ListKeyPolicies', 'TagResource', 'UntagResource', 'ListResourceTags', 'EnableKeyRotation',
      'DisableKeyRotation', 'GetKeyRotationStatus', 'RotateKeyOnDemand', 'CreateAlias', 'UpdateAlias', 'DeleteAlias', 'ListAliases',
      'Encrypt', 'Decrypt', 'ReEncrypt', 'GenerateDataKey', 'GenerateDataKeyWithoutPlaintext', 'GenerateRandom', 'CreateGrant',
      'ListGrants', 'ListRetirableGrants', 'RetireGrant', 'RevokeGrant',
    ]) {
      assert.ok(KMS_OPERATIONS.includes(op), op);
    }
  });

  it('returns wire shapes: epoch-second numbers, base64 blobs, {} for no-output operations', async () => {
    const created = (await call('CreateKey', { Description: 'wire' })) as { KeyMetadata: Record<string, unknown> };
    const md = created.KeyMetadata;
    assert.equal(typeof md.CreationDate, 'number');
    assert.ok(Math.abs((md.CreationDate as number) - f.clock.ms / 1000) < 1);
    const keyId = md.KeyId as string;
    const enc = await call('Encrypt', { KeyId: keyId, Plaintext: b64('hello'), EncryptionContext: { a: 'b' } });
    assert.equal(typeof enc.CiphertextBlob, 'string');
    assert.equal(enc.KeyId, md.Arn);
    const dec = await call('Decrypt', { CiphertextBlob: enc.CiphertextBlob, EncryptionContext: { a: 'b' } });
    assert.equal(Buffer.from(dec.Plaintext as string, 'base64').toString(), 'hello');
    assert.deepEqual(await call('EnableKey', { KeyId: keyId }), {});
    assert.deepEqual(await call('UpdateKeyDescription', { KeyId: keyId, Description: 'x' }), {});
    const scheduled = await call('ScheduleKeyDeletion', { KeyId: keyId, PendingWindowInDays: 7 });
    assert.equal(typeof scheduled.DeletionDate, 'number');
    assert.equal((await call('DescribeKey', { KeyId: keyId }) as { KeyMetadata: { DeletionDate: unknown } }).KeyMetadata.DeletionDate, scheduled.DeletionDate);
    await call('CancelKeyDeletion', { KeyId: keyId });
  });

  it('drives every operation end to end', async () => {
    const keyId = ((await call('CreateKey', {})) as { KeyMetadata: { KeyId: string } }).KeyMetadata.KeyId;
    const other = ((await call('CreateKey', {})) as { KeyMetadata: { KeyId: string } }).KeyMetadata.KeyId;
    assert.ok(((await call('ListKeys', { Limit: 1000 })).Keys as { KeyId: string }[]).some((k) => k.KeyId === keyId));
    await call('DisableKey', { KeyId: keyId });
    await call('EnableKey', { KeyId: keyId });
    assert.deepEqual((await call('ListKeyPolicies', { KeyId: keyId })).PolicyNames, ['default']);
    const policy = (await call('GetKeyPolicy', { KeyId: keyId, PolicyName: 'default' })).Policy as string;
    assert.deepEqual(await call('PutKeyPolicy', { KeyId: keyId, PolicyName: 'default', Policy: policy }), {});
    await call('TagResource', { KeyId: keyId, Tags: [{ TagKey: 'k', TagValue: 'v' }] });
    assert.deepEqual((await call('ListResourceTags', { KeyId: keyId })).Tags, [{ TagKey: 'k', TagValue: 'v' }]);
    await call('UntagResource', { KeyId: keyId, TagKeys: ['k'] });
    await call('EnableKeyRotation', { KeyId: keyId, RotationPeriodInDays: 100 });
    const status = await call('GetKeyRotationStatus', { KeyId: keyId });
    assert.equal(status.RotationPeriodInDays, 100);
    assert.equal(typeof status.NextRotationDate, 'number');
    await call('RotateKeyOnDemand', { KeyId: keyId });
    await call('DisableKeyRotation', { KeyId: keyId });
    await call('CreateAlias', { AliasName: 'alias/api', TargetKeyId: keyId });
    await call('UpdateAlias', { AliasName: 'alias/api', TargetKeyId: other });
    const aliases = (await call('ListAliases', { KeyId: other })).Aliases as Record<string, unknown>[];
    assert.equal(aliases[0]!.AliasName, 'alias/api');
    assert.equal(typeof aliases[0]!.CreationDate, 'number');
    await call('DeleteAlias', { AliasName: 'alias/api' });
    const dk = await call('GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256' });
    assert.equal(Buffer.from(dk.Plaintext as string, 'base64').length, 32);
    const dk2 = await call('GenerateDataKeyWithoutPlaintext', { KeyId: keyId, NumberOfBytes: 16 });
    assert.equal(dk2.Plaintext, undefined);
    const re = await call('ReEncrypt', { CiphertextBlob: dk2.CiphertextBlob, DestinationKeyId: other });
    assert.equal(re.SourceKeyId, `arn:aws:kms:us-east-1:111122223333:key/${keyId}`);
    assert.equal(Buffer.from((await call('Decrypt', { CiphertextBlob: re.CiphertextBlob })).Plaintext as string, 'base64').length, 16);
    assert.equal(Buffer.from((await call('GenerateRandom', { NumberOfBytes: 10 })).Plaintext as string, 'base64').length, 10);
    const app = principal('api-app');
    const grant = await call('CreateGrant', { KeyId: keyId, GranteePrincipal: app.arn, RetiringPrincipal: app.arn, Operations: ['Encrypt'] });
    const grants = (await call('ListGrants', { KeyId: keyId })).Grants as Record<string, unknown>[];
    assert.equal(grants.length, 1);
    assert.equal(typeof grants[0]!.CreationDate, 'number');
    assert.equal(((await call('ListRetirableGrants', { RetiringPrincipal: app.arn })).Grants as unknown[]).length, 1);
    await call('Encrypt', { KeyId: `arn:aws:kms:us-east-1:111122223333:key/${keyId}`, Plaintext: b64('x'), GrantTokens: [grant.GrantToken] }, app);
    assert.deepEqual(await call('RetireGrant', { GrantToken: grant.GrantToken }, app), {});
    const g2 = await call('CreateGrant', { KeyId: keyId, GranteePrincipal: app.arn, Operations: ['Decrypt'] });
    assert.deepEqual(await call('RevokeGrant', { KeyId: keyId, GrantId: g2.GrantId }), {});
  });

  it('an unknown operation is UnknownOperationException', async () => {
    await rejectsWith(call('DestroyEverything', {}), 'UnknownOperationException');
    await rejectsWith(call('toString', {}), 'UnknownOperationException');
    await rejectsWith(call('__proto__', {}), 'UnknownOperationException');
    await rejectsWith(call('Sign', {}), 'UnsupportedOperationException');
  });

  it('missing, wrong-typed and out-of-range fields are ValidationException naming the field', async () => {
    assert.equal(
      await rejectsWith(call('DescribeKey', {}), 'ValidationException'),
      "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null",
    );
    assert.match(await rejectsWith(call('DescribeKey', { KeyId: 5 }), 'ValidationException'), /at 'keyId'.*type string/);
    assert.match(await rejectsWith(call('ListKeys', { Limit: 0 }), 'ValidationException'), /Value '0' at 'limit'.*greater than or equal to 1/);
    assert.match(await rejectsWith(call('ListKeys', { Limit: 1.5 }), 'ValidationException'), /'limit'/);
    assert.match(await rejectsWith(call('GenerateRandom', { NumberOfBytes: '12' }), 'ValidationException'), /'numberOfBytes'/);
    assert.match(await rejectsWith(call('GenerateDataKey', { KeyId: 'x', KeySpec: 'AES_512' }), 'ValidationException'), /'keySpec'.*enum/);
    assert.match(await rejectsWith(call('CreateGrant', { KeyId: 'x', GranteePrincipal: 'a', Operations: ['Destroy'] }), 'ValidationException'), /'operations\.1\.member'/);
    assert.match(await rejectsWith(call('CreateAlias', { AliasName: 'bad name', TargetKeyId: 'x' }), 'ValidationException'), /'aliasName'.*pattern/);
    assert.match(await rejectsWith(call('Encrypt', { KeyId: 'x', Plaintext: b64('x'), EncryptionContext: { a: 1 } }), 'ValidationException'), /'encryptionContext'.*map of strings/);
    assert.match(await rejectsWith(call('TagResource', { KeyId: 'x', Tags: [{ TagKey: '' , TagValue: 'v' }] }), 'ValidationException'), /'tags\.1\.member\.tagKey'/);
    assert.match(await rejectsWith(call('ScheduleKeyDeletion', { KeyId: 'x', PendingWindowInDays: 400 }), 'ValidationException'), /'pendingWindowInDays'/);
    const two = await rejectsWith(call('CreateAlias', {}), 'ValidationException');
    assert.match(two, /^2 validation errors detected: /);
    assert.equal((await rejectsWith(call('Encrypt', {}), 'ValidationException')).includes("'plaintext'"), true);
  });

  it('blobs must be base64; errors never echo plaintext', async () => {
    const keyId = ((await call('CreateKey', {})) as { KeyMetadata: { KeyId: string } }).KeyMetadata.KeyId;
    const message = await rejectsWith(call('Encrypt', { KeyId: keyId, Plaintext: 'not base64!!' }), 'ValidationException');
    assert.match(message, /'plaintext'.*base64/);
    assert.ok(!message.includes('not base64!!'));
    await rejectsWith(call('Decrypt', { CiphertextBlob: '%%%' }), 'ValidationException');
    const big = Buffer.alloc(4097, 0x41).toString('base64');
    const tooBig = await rejectsWith(call('Encrypt', { KeyId: keyId, Plaintext: big }), 'ValidationException');
    assert.ok(!tooBig.includes('AAAA') && !tooBig.includes('QUFB'));
    const secret = Buffer.from('top secret plaintext').toString('base64');
    const wrongType = await rejectsWith(call('Encrypt', { KeyId: 7, Plaintext: secret }), 'ValidationException');
    assert.ok(!wrongType.includes(secret));
  });

  it('Precondition: an encryption context is bound exactly as sent, even a "__proto__" key', async () => {
    const keyId = ((await call('CreateKey', {})) as { KeyMetadata: { KeyId: string } }).KeyMetadata.KeyId;
    const enc = await call('Encrypt', JSON.parse(`{"KeyId":"${keyId}","Plaintext":"${b64('x')}","EncryptionContext":{"__proto__":"a"}}`));
    await rejectsWith(call('Decrypt', { CiphertextBlob: enc.CiphertextBlob }), 'InvalidCiphertextException');
    await rejectsWith(call('Decrypt', JSON.parse(`{"CiphertextBlob":"${enc.CiphertextBlob}","EncryptionContext":{"__proto__":"b"}}`)), 'InvalidCiphertextException');
    const dec = await call('Decrypt', JSON.parse(`{"CiphertextBlob":"${enc.CiphertextBlob}","EncryptionContext":{"__proto__":"a"}}`));
    assert.equal(Buffer.from(dec.Plaintext as string, 'base64').toString(), 'x');
  });

  it('a body that is not a JSON object is SerializationException; an absent body is {}', async () => {
    await rejectsWith(call('ListKeys', [1, 2]), 'SerializationException');
    await rejectsWith(call('ListKeys', 'text'), 'SerializationException');
    assert.ok(Array.isArray((await call('ListKeys', null)).Keys));
  });

  it('kmsErrorResponse: AWS errors as they are; anything else a 500 KMSInternalException without detail', async () => {
    const notFound = await call('DescribeKey', { KeyId: 'alias/none' }).catch((e: unknown) => e);
    assert.deepEqual(kmsErrorResponse(notFound), {
      statusCode: 400,
      errorType: 'NotFoundException',
      body: { __type: 'NotFoundException', message: 'Alias arn:aws:kms:us-east-1:111122223333:alias/none is not found.' },
    });
    const fault = kmsErrorResponse(new Error('EIO: /data/kms/kms-store.sealed'));
    assert.equal(fault.statusCode, 500);
    assert.equal(fault.body.__type, 'KMSInternalException');
    assert.ok(!fault.body.message.includes('EIO'));
  });

  it('errors carry the AWS type and status: 400 for client errors', async () => {
    try {
      await call('DescribeKey', { KeyId: '11111111-2222-3333-4444-555555555555' });
      assert.fail('expected an error');
    } catch (error) {
      const e = error as { errorType: string; httpStatus: number; name: string };
      assert.equal(e.errorType, 'NotFoundException');
      assert.equal(e.name, 'NotFoundException');
      assert.equal(e.httpStatus, 400);
    }
  });
});
