// The shapes KmsApi returns, parsed by the real @aws-sdk/client-kms: the SDK is given a request
// handler that calls KmsApi in-process (no socket, no SigV4), the way the HTTPS server will, so any
// field the SDK cannot parse (a timestamp, a blob, an error body) shows up here first.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CreateAliasCommand,
  CreateGrantCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GetKeyRotationStatusCommand,
  KMSClient,
  ListAliasesCommand,
  ListGrantsCommand,
  ListKeysCommand,
  ReEncryptCommand,
  ScheduleKeyDeletionCommand,
  EnableKeyRotationCommand,
} from '@aws-sdk/client-kms';
import { HttpResponse, type HttpRequest } from '@smithy/protocol-http';
import { AwsApiError } from '../../util/aws-error.ts';
import { admin, kmsFixture, type KmsFixture } from '../testing.ts';
import { KmsApi } from './kms-api.ts';

function inProcessClient(api: KmsApi): KMSClient {
  return new KMSClient({
    region: 'us-east-1',
    endpoint: 'https://kms.local',
    credentials: { accessKeyId: 'AKIATEST', secretAccessKey: 'secret' },
    maxAttempts: 1,
    requestHandler: {
      async handle(request: HttpRequest) {
        const target = String(request.headers['x-amz-target'] ?? '');
        const operation = target.startsWith('TrentService.') ? target.slice('TrentService.'.length) : target;
        let status = 200;
        let payload: unknown;
        try {
          payload = await api.handle(admin, operation, JSON.parse(String(request.body ?? '{}')));
        } catch (error) {
          if (!(error instanceof AwsApiError)) throw error;
          status = error.httpStatus;
          payload = { __type: error.errorType, message: error.message };
        }
        const body = new TextEncoder().encode(JSON.stringify(payload));
        return { response: new HttpResponse({ statusCode: status, headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': 'r-1' }, body }) };
      },
    } as never,
  });
}

describe('KmsApi as parsed by @aws-sdk/client-kms', () => {
  let f: KmsFixture;
  let client: KMSClient;
  before(async () => {
    f = await kmsFixture();
    client = inProcessClient(new KmsApi(f.kms));
  });
  after(async () => {
    client.destroy();
    await f.cleanup();
  });

  it('parses metadata, dates, blobs, lists and errors', async () => {
    const md = (await client.send(new CreateKeyCommand({ Description: 'sdk' }))).KeyMetadata!;
    assert.ok(md.CreationDate instanceof Date);
    assert.equal(md.CreationDate.getTime(), f.clock.ms);
    assert.equal(md.KeyManager, 'CUSTOMER');
    assert.deepEqual(md.EncryptionAlgorithms, ['SYMMETRIC_DEFAULT']);
    await client.send(new CreateAliasCommand({ AliasName: 'alias/sdk', TargetKeyId: md.KeyId }));
    const enc = await client.send(new EncryptCommand({ KeyId: 'alias/sdk', Plaintext: Buffer.from('hello sdk'), EncryptionContext: { a: 'b' } }));
    assert.ok(enc.CiphertextBlob instanceof Uint8Array);
    assert.equal(enc.KeyId, md.Arn);
    const dec = await client.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: { a: 'b' } }));
    assert.equal(Buffer.from(dec.Plaintext!).toString(), 'hello sdk');
    assert.match(dec.KeyMaterialId ?? '', /^[0-9a-f]{64}$/);
    const dk = await client.send(new GenerateDataKeyCommand({ KeyId: md.KeyId, KeySpec: 'AES_256' }));
    assert.equal(dk.Plaintext!.length, 32);
    const other = (await client.send(new CreateKeyCommand({}))).KeyMetadata!;
    const re = await client.send(new ReEncryptCommand({ CiphertextBlob: dk.CiphertextBlob, DestinationKeyId: other.KeyId }));
    assert.equal(re.KeyId, other.Arn);
    const keys = await client.send(new ListKeysCommand({ Limit: 1 }));
    assert.equal(keys.Keys!.length, 1);
    assert.equal(keys.Truncated, true);
    assert.ok(keys.NextMarker);
    const aliases = await client.send(new ListAliasesCommand({ KeyId: md.KeyId }));
    assert.ok(aliases.Aliases![0]!.CreationDate instanceof Date);
    await client.send(new CreateGrantCommand({ KeyId: md.KeyId, GranteePrincipal: 'arn:aws:iam::111122223333:user/g', Operations: ['Decrypt'] }));
    const grants = await client.send(new ListGrantsCommand({ KeyId: md.KeyId }));
    assert.ok(grants.Grants![0]!.CreationDate instanceof Date);
    await client.send(new EnableKeyRotationCommand({ KeyId: md.KeyId }));
    const rotation = await client.send(new GetKeyRotationStatusCommand({ KeyId: md.KeyId }));
    assert.ok(rotation.NextRotationDate instanceof Date);
    const scheduled = await client.send(new ScheduleKeyDeletionCommand({ KeyId: other.KeyId, PendingWindowInDays: 7 }));
    assert.ok(scheduled.DeletionDate instanceof Date);
    assert.equal(scheduled.DeletionDate.getTime(), f.clock.ms + 7 * 86_400_000);
    for (const [command, name] of [
      [new DescribeKeyCommand({ KeyId: 'alias/missing' }), 'NotFoundException'],
      [new DecryptCommand({ CiphertextBlob: Buffer.from('garbage garbage garbage garbage garbage garbage garbage') }), 'InvalidCiphertextException'],
      [new EncryptCommand({ KeyId: other.KeyId, Plaintext: Buffer.from('x') }), 'KMSInvalidStateException'],
      [new ScheduleKeyDeletionCommand({ KeyId: md.KeyId, PendingWindowInDays: 3 }), 'ValidationException'],
    ] as const) {
      await assert.rejects(client.send(command as never), (error: Error & { $metadata?: { httpStatusCode?: number } }) => {
        assert.equal(error.name, name);
        assert.equal(error.$metadata?.httpStatusCode, 400);
        return true;
      });
    }
  });
});
