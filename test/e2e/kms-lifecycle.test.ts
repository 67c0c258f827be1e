// End to end: what must hold across the KMS's life, beyond single calls — request authentication
// and bad input on the wire, restarts, the data directory at rest, and a newcomer's AWS CLI line.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';

import {
  CreateAliasCommand,
  CreateGrantCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GetKeyRotationStatusCommand,
  type KMSClient,
  ListAliasesCommand,
  ListGrantsCommand,
  ListKeysCommand,
  RotateKeyOnDemandCommand,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';

import { kmsClient, signedRequest, startServer, type RunningServer } from '../helpers/server.ts';
import { filesContaining, filesUnder, rejectsWith } from '../helpers/checks.ts';

const execFileP = promisify(execFile);

describe('KMS on the wire: authentication and bad input', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer();
  });
  after(async () => server?.stop());

  it('a wrong secret gives InvalidSignatureException; an unknown access key UnrecognizedClientException', async () => {
    const wrongSecret = kmsClient(server, { ...server.credentials, secretAccessKey: randomBytes(30).toString('base64').slice(0, 40) });
    const unknownKey = kmsClient(server, { accessKeyId: 'AKIA' + 'Z'.repeat(16), secretAccessKey: server.credentials.secretAccessKey });
    try {
      await rejectsWith(wrongSecret.send(new ListKeysCommand({})), 'InvalidSignatureException');
      await rejectsWith(unknownKey.send(new ListKeysCommand({})), 'UnrecognizedClientException');
    } finally {
      wrongSecret.destroy();
      unknownKey.destroy();
    }
  });

  it('a request signed 20 minutes ago is refused as expired', async () => {
    const late = kmsClient(server, server.credentials, { systemClockOffset: -20 * 60 * 1000, maxAttempts: 1 });
    try {
      const message = await rejectsWith(late.send(new ListKeysCommand({})), 'InvalidSignatureException').catch(() =>
        rejectsWith(late.send(new ListKeysCommand({})), 'RequestExpired'),
      );
      assert.match(message, /expired|Signature/i);
    } finally {
      late.destroy();
    }
  });

  it('a body changed after signing is refused', async () => {
    const res = await signedRequest(server, {
      target: 'TrentService.ListKeys',
      body: '{}',
      tamper: (req) => ({ ...req, body: '{"Limit":1}' }),
    });
    assert.equal(res.status, 400);
    assert.equal(res.json.__type, 'InvalidSignatureException');
  });

  it('malformed JSON, unknown target, missing and wrong-typed fields, oversized body: AWS errors naming the problem', async () => {
    const malformed = await signedRequest(server, { target: 'TrentService.ListKeys', body: '{"Limit": ' });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.json.__type, 'SerializationException');
    assert.equal(malformed.headers['x-amzn-errortype']?.split(':')[0], 'SerializationException');

    const unknown = await signedRequest(server, { target: 'TrentService.FlyToTheMoon', body: '{}' });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.json.__type, 'UnknownOperationException');

    const missing = await signedRequest(server, { target: 'TrentService.Encrypt', body: '{"Plaintext":"aGk="}' });
    assert.equal(missing.status, 400);
    assert.equal(missing.json.__type, 'ValidationException');
    assert.match(String(missing.json.message), /keyId/i);

    const wrongType = await signedRequest(server, { target: 'TrentService.ListKeys', body: '{"Limit":"ten"}' });
    assert.equal(wrongType.status, 400);
    assert.equal(wrongType.json.__type, 'ValidationException');
    assert.match(String(wrongType.json.message), /limit/i);

    const huge = await signedRequest(server, { target: 'TrentService.Encrypt', body: JSON.stringify({ KeyId: 'alias/x', Plaintext: 'A'.repeat(2 * 1024 * 1024) }) });
    assert.equal(huge.status, 413);
    assert.ok(typeof huge.json.__type === 'string' && huge.json.__type.length > 0);
    assert.match(String(huge.json.message), /limit|too large/i);

    // Every response carries a request id and a Date, and the server keeps serving.
    for (const res of [malformed, unknown, missing, wrongType]) {
      assert.match(res.headers['x-amzn-requestid'] ?? '', /^[0-9a-f-]{36}$/);
      assert.ok(res.headers.date);
    }
    const kms = kmsClient(server);
    try {
      const out = await kms.send(new ListKeysCommand({}));
      assert.ok(Array.isArray(out.Keys));
    } finally {
      kms.destroy();
    }
  });
});

describe('KMS state across restarts and at rest', () => {
  let server: RunningServer;
  let kms: KMSClient;
  before(async () => {
    server = await startServer();
    kms = kmsClient(server);
  });
  after(async () => {
    kms?.destroy();
    await server?.stop();
  });

  it('keys, aliases, grants, states, rotations and pending deletions survive a restart; ciphertexts still decrypt', async () => {
    const accountId = server.accountId;
    const enabled = (await kms.send(new CreateKeyCommand({ Description: 'survivor' }))).KeyMetadata!.KeyId!;
    const disabled = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
    const pending = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/survivor', TargetKeyId: enabled }));
    const before = await kms.send(new EncryptCommand({ KeyId: enabled, Plaintext: Buffer.from('old material'), EncryptionContext: { k: 'v' } }));
    await kms.send(new RotateKeyOnDemandCommand({ KeyId: enabled }));
    const grant = await kms.send(
      new CreateGrantCommand({ KeyId: enabled, GranteePrincipal: `arn:aws:iam::${accountId}:user/someone`, Operations: ['Decrypt'], Name: 'kept' }),
    );
    await kms.send(new DisableKeyCommand({ KeyId: disabled }));
    const scheduled = await kms.send(new ScheduleKeyDeletionCommand({ KeyId: pending, PendingWindowInDays: 9 }));
    const mqKey = (await kms.send(new DescribeKeyCommand({ KeyId: 'alias/aws/mq' }))).KeyMetadata!.KeyId!;

    kms.destroy();
    await server.restart();
    kms = kmsClient(server);

    assert.equal((await kms.send(new DescribeKeyCommand({ KeyId: 'alias/survivor' }))).KeyMetadata?.KeyId, enabled);
    assert.equal((await kms.send(new DescribeKeyCommand({ KeyId: enabled }))).KeyMetadata?.Description, 'survivor');
    assert.equal((await kms.send(new DescribeKeyCommand({ KeyId: disabled }))).KeyMetadata?.KeyState, 'Disabled');
    const pendingMd = (await kms.send(new DescribeKeyCommand({ KeyId: pending }))).KeyMetadata!;
    assert.equal(pendingMd.KeyState, 'PendingDeletion');
    assert.equal(pendingMd.DeletionDate?.getTime(), scheduled.DeletionDate?.getTime());
    const grants = (await kms.send(new ListGrantsCommand({ KeyId: enabled }))).Grants ?? [];
    assert.deepEqual(grants.map((g) => [g.GrantId, g.Name]), [[grant.GrantId, 'kept']]);
    assert.equal((await kms.send(new DescribeKeyCommand({ KeyId: 'alias/aws/mq' }))).KeyMetadata?.KeyId, mqKey);
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: before.CiphertextBlob, EncryptionContext: { k: 'v' } }));
    assert.equal(Buffer.from(dec.Plaintext!).toString(), 'old material');
    assert.equal((await kms.send(new GetKeyRotationStatusCommand({ KeyId: enabled }))).KeyRotationEnabled, false);
    const aliases = (await kms.send(new ListAliasesCommand({}))).Aliases ?? [];
    assert.ok(aliases.some((a) => a.AliasName === 'alias/survivor'));
  });

  it('no key material, data key or Encrypt plaintext is in any file; the root key only in its own file', async () => {
    const keyId = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
    const marker = randomBytes(32);
    await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: marker }));
    const dataKeys: Buffer[] = [];
    for (let i = 0; i < 3; i++) {
      const dk = await kms.send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256' }));
      dataKeys.push(Buffer.from(dk.Plaintext!));
    }
    // Restart so everything is flushed and re-read.
    kms.destroy();
    await server.restart();
    kms = kmsClient(server);

    assert.deepEqual(await filesContaining(server.dataDir, marker), [], 'the Encrypt plaintext is on disk');
    assert.deepEqual(await filesContaining(server.dataDir, marker.subarray(0, 16)), [], 'a 16-byte piece of the plaintext is on disk');
    for (const dk of dataKeys) assert.deepEqual(await filesContaining(server.dataDir, dk), [], 'a data key is on disk');

    const rootKeyFile = join(server.dataDir, 'kms', 'root.key');
    const rootKey = await readFile(rootKeyFile);
    assert.equal((await stat(rootKeyFile)).mode & 0o777, 0o600);
    assert.ok(rootKey.length >= 32);
    // The root key file may hold a small header; its 32 key bytes are the last 32 or the whole file.
    const rootBytes = rootKey.length === 32 ? rootKey : rootKey.subarray(rootKey.length - 32);
    const holders = await filesContaining(server.dataDir, rootBytes);
    assert.deepEqual(holders, [rootKeyFile]);

    // Files that hold secrets are private to the owner.
    for (const secret of ['credentials', join('tls', 'server.key'), join('tls', 'ca.key')]) {
      assert.equal((await stat(join(server.dataDir, secret))).mode & 0o077, 0, `${secret} is readable by others`);
    }
  });

  it('a damaged key store is a clear error at start, and the store is left as it was', async () => {
    await server.stop();
    const kmsDir = join(server.dataDir, 'kms');
    const candidates = (await filesUnder(kmsDir)).filter((f) => !f.endsWith('root.key') && !f.endsWith('.json'));
    assert.ok(candidates.length > 0, 'the KMS keeps its keys in a file');
    const target = candidates[0]!;
    const original = await readFile(target);
    const damaged = Buffer.from(original);
    damaged[Math.floor(damaged.length / 2)]! ^= 0xff;
    await writeFile(target, damaged);
    const failed = await server.startExpectingFailure();
    assert.notEqual(failed.exitCode, 0);
    assert.match(failed.output, /kms|key store|damaged|corrupt/i);
    assert.doesNotMatch(failed.output, /^\s+at /m, 'a clear message, not a stack trace');
    assert.deepEqual(await readFile(target), damaged, 'the damaged file was not replaced by a fresh store');
    await writeFile(target, original);
    await server.restart();
    kms.destroy();
    kms = kmsClient(server);
    const keys = (await kms.send(new ListKeysCommand({}))).Keys ?? [];
    assert.ok(keys.length > 0, 'every key is back once the file is repaired');
  });
});

describe('a newcomer with the AWS CLI', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer();
  });
  after(async () => server?.stop());

  it('`aws kms list-keys` works with the credentials file and CA that SealMQ wrote', async (t) => {
    try {
      await execFileP('aws', ['--version']);
    } catch {
      t.skip('the AWS CLI is not installed');
      return;
    }
    const kms = kmsClient(server);
    const keyId = (await kms.send(new CreateKeyCommand({ Description: 'cli' }))).KeyMetadata!.KeyId!;
    kms.destroy();
    const env = {
      ...process.env,
      AWS_SHARED_CREDENTIALS_FILE: join(server.dataDir, 'credentials'),
      AWS_CONFIG_FILE: '/dev/null',
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
      AWS_PROFILE: 'default',
    };
    delete (env as Record<string, string | undefined>).AWS_ACCESS_KEY_ID;
    delete (env as Record<string, string | undefined>).AWS_SECRET_ACCESS_KEY;
    const common = ['--endpoint-url', server.endpoints.api, '--ca-bundle', join(server.dataDir, 'tls', 'ca.pem'), '--region', 'us-east-1', '--output', 'json'];
    const { stdout } = await execFileP('aws', ['kms', 'list-keys', ...common], { env, timeout: 60_000 });
    const listed = JSON.parse(stdout) as { Keys: { KeyId: string }[] };
    assert.ok(listed.Keys.some((k) => k.KeyId === keyId));
    // A call with a body and an encryption context, signed the CLI's way (no x-amz-content-sha256).
    // Blobs go through fileb:// files, which CLI v1 and v2 read the same way.
    const plainFile = join(server.dataDir, '..', `cli-plain-${process.pid}.bin`);
    const blobFile = join(server.dataDir, '..', `cli-blob-${process.pid}.bin`);
    await writeFile(plainFile, 'from the cli');
    const enc = await execFileP('aws', ['kms', 'encrypt', '--key-id', keyId, '--plaintext', `fileb://${plainFile}`, '--encryption-context', 'app=cli', ...common], {
      env,
      timeout: 60_000,
    });
    await writeFile(blobFile, Buffer.from((JSON.parse(enc.stdout) as { CiphertextBlob: string }).CiphertextBlob, 'base64'));
    const dec = await execFileP('aws', ['kms', 'decrypt', '--ciphertext-blob', `fileb://${blobFile}`, '--encryption-context', 'app=cli', ...common], { env, timeout: 60_000 });
    assert.equal(Buffer.from((JSON.parse(dec.stdout) as { Plaintext: string }).Plaintext, 'base64').toString(), 'from the cli');
  });
});
