// End to end: the embedded KMS driven by the real AWS SDK for JavaScript (@aws-sdk/client-kms) over
// HTTPS, trusting the CA that SealMQ generated on first start. Every operation of issue 2 and the
// error cases a user meets, each asserting the AWS error name the SDK turns into an exception class.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import {
  CancelKeyDeletionCommand,
  CreateAliasCommand,
  CreateGrantCommand,
  CreateKeyCommand,
  DecryptCommand,
  DeleteAliasCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  DisableKeyRotationCommand,
  EnableKeyCommand,
  EnableKeyRotationCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateDataKeyWithoutPlaintextCommand,
  GenerateRandomCommand,
  GetKeyPolicyCommand,
  GetKeyRotationStatusCommand,
  type KMSClient,
  ListAliasesCommand,
  ListGrantsCommand,
  ListKeyPoliciesCommand,
  ListKeysCommand,
  ListResourceTagsCommand,
  ListRetirableGrantsCommand,
  PutKeyPolicyCommand,
  ReEncryptCommand,
  RetireGrantCommand,
  RevokeGrantCommand,
  RotateKeyOnDemandCommand,
  ScheduleKeyDeletionCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateAliasCommand,
  UpdateKeyDescriptionCommand,
} from '@aws-sdk/client-kms';

import { createPrincipal, kmsClient, startServer, type RunningServer } from '../helpers/server.ts';
import { rejectsWith } from '../helpers/checks.ts';

const utf8 = (s: string) => Buffer.from(s, 'utf8');

describe('KMS over HTTPS with @aws-sdk/client-kms', () => {
  let server: RunningServer;
  let kms: KMSClient;
  let accountId: string;

  before(async () => {
    server = await startServer();
    kms = kmsClient(server);
    accountId = server.accountId;
  });
  after(async () => {
    kms?.destroy();
    await server?.stop();
  });

  async function newKey(description = 'test key'): Promise<string> {
    const out = await kms.send(new CreateKeyCommand({ Description: description }));
    assert.ok(out.KeyMetadata?.KeyId);
    return out.KeyMetadata.KeyId;
  }

  describe('keys', () => {
    it('CreateKey returns AWS-shaped metadata and DescribeKey reads it back by id, ARN and alias', async () => {
      const created = await kms.send(new CreateKeyCommand({ Description: 'orders', Tags: [{ TagKey: 'team', TagValue: 'payments' }] }));
      const md = created.KeyMetadata!;
      assert.match(md.KeyId!, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      assert.equal(md.Arn, `arn:aws:kms:us-east-1:${accountId}:key/${md.KeyId}`);
      assert.equal(md.AWSAccountId, accountId);
      assert.equal(md.KeyState, 'Enabled');
      assert.equal(md.Enabled, true);
      assert.equal(md.KeyUsage, 'ENCRYPT_DECRYPT');
      assert.equal(md.KeySpec, 'SYMMETRIC_DEFAULT');
      assert.equal(md.KeyManager, 'CUSTOMER');
      assert.equal(md.Origin, 'AWS_KMS');
      assert.deepEqual(md.EncryptionAlgorithms, ['SYMMETRIC_DEFAULT']);
      assert.ok(md.CreationDate instanceof Date);
      assert.ok(Math.abs(md.CreationDate.getTime() - Date.now()) < 60_000);

      await kms.send(new CreateAliasCommand({ AliasName: 'alias/orders', TargetKeyId: md.KeyId }));
      for (const id of [md.KeyId!, md.Arn!, 'alias/orders', `arn:aws:kms:us-east-1:${accountId}:alias/orders`]) {
        const described = await kms.send(new DescribeKeyCommand({ KeyId: id }));
        assert.equal(described.KeyMetadata?.KeyId, md.KeyId, `DescribeKey by ${id}`);
        assert.equal(described.KeyMetadata?.Description, 'orders');
      }
    });

    it('ListKeys pages with Limit and Marker and lists every key once', async () => {
      const ids = [await newKey(), await newKey(), await newKey()];
      const seen: string[] = [];
      let marker: string | undefined;
      let pages = 0;
      do {
        const page = await kms.send(new ListKeysCommand({ Limit: 2, Marker: marker }));
        pages++;
        assert.ok((page.Keys ?? []).length <= 2);
        for (const k of page.Keys ?? []) {
          assert.equal(k.KeyArn, `arn:aws:kms:us-east-1:${accountId}:key/${k.KeyId}`);
          seen.push(k.KeyId!);
        }
        marker = page.Truncated ? page.NextMarker : undefined;
      } while (marker);
      assert.ok(pages >= 2);
      assert.equal(new Set(seen).size, seen.length, 'no key listed twice');
      for (const id of ids) assert.ok(seen.includes(id));
    });

    it('UpdateKeyDescription, DisableKey and EnableKey change what DescribeKey shows', async () => {
      const id = await newKey('before');
      await kms.send(new UpdateKeyDescriptionCommand({ KeyId: id, Description: 'after' }));
      await kms.send(new DisableKeyCommand({ KeyId: id }));
      let md = (await kms.send(new DescribeKeyCommand({ KeyId: id }))).KeyMetadata!;
      assert.equal(md.Description, 'after');
      assert.equal(md.KeyState, 'Disabled');
      assert.equal(md.Enabled, false);
      await kms.send(new EnableKeyCommand({ KeyId: id }));
      md = (await kms.send(new DescribeKeyCommand({ KeyId: id }))).KeyMetadata!;
      assert.equal(md.KeyState, 'Enabled');
    });

    it('ScheduleKeyDeletion defaults to 30 days; CancelKeyDeletion leaves the key Disabled', async () => {
      const id = await newKey();
      const scheduled = await kms.send(new ScheduleKeyDeletionCommand({ KeyId: id }));
      assert.equal(scheduled.KeyState, 'PendingDeletion');
      assert.equal(scheduled.PendingWindowInDays, 30);
      assert.ok(scheduled.DeletionDate instanceof Date);
      const days = (scheduled.DeletionDate.getTime() - Date.now()) / 86_400_000;
      assert.ok(days > 29.9 && days < 30.1, `deletion in ${days} days`);
      const md = (await kms.send(new DescribeKeyCommand({ KeyId: id }))).KeyMetadata!;
      assert.equal(md.KeyState, 'PendingDeletion');
      assert.ok(md.DeletionDate instanceof Date);
      const cancelled = await kms.send(new CancelKeyDeletionCommand({ KeyId: id }));
      assert.equal(cancelled.KeyId, `arn:aws:kms:us-east-1:${accountId}:key/${id}`);
      const after = (await kms.send(new DescribeKeyCommand({ KeyId: id }))).KeyMetadata!;
      assert.equal(after.KeyState, 'Disabled');
      assert.equal(after.DeletionDate, undefined);
    });

    it('key policies: the default policy, ListKeyPolicies, PutKeyPolicy', async () => {
      const id = await newKey();
      const names = await kms.send(new ListKeyPoliciesCommand({ KeyId: id }));
      assert.deepEqual(names.PolicyNames, ['default']);
      const got = await kms.send(new GetKeyPolicyCommand({ KeyId: id, PolicyName: 'default' }));
      const policy = JSON.parse(got.Policy!);
      assert.ok(JSON.stringify(policy).includes(`arn:aws:iam::${accountId}:root`), 'the default policy delegates to the account');
      const newPolicy = {
        Version: '2012-10-17',
        Statement: [
          { Sid: 'root', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${accountId}:root` }, Action: 'kms:*', Resource: '*' },
          { Sid: 'deny-decrypt', Effect: 'Deny', Principal: { AWS: '*' }, Action: 'kms:Decrypt', Resource: '*' },
        ],
      };
      await kms.send(new PutKeyPolicyCommand({ KeyId: id, PolicyName: 'default', Policy: JSON.stringify(newPolicy) }));
      const readBack = JSON.parse((await kms.send(new GetKeyPolicyCommand({ KeyId: id }))).Policy!);
      assert.deepEqual(readBack, newPolicy);
      const blob = (await kms.send(new EncryptCommand({ KeyId: id, Plaintext: utf8('x') }))).CiphertextBlob!;
      await rejectsWith(kms.send(new DecryptCommand({ CiphertextBlob: blob })), 'AccessDeniedException');
    });

    it('tags: TagResource, ListResourceTags, UntagResource', async () => {
      const id = await newKey();
      await kms.send(new TagResourceCommand({ KeyId: id, Tags: [{ TagKey: 'a', TagValue: '1' }, { TagKey: 'b', TagValue: '2' }] }));
      await kms.send(new TagResourceCommand({ KeyId: id, Tags: [{ TagKey: 'a', TagValue: '3' }] }));
      let tags = (await kms.send(new ListResourceTagsCommand({ KeyId: id }))).Tags ?? [];
      assert.deepEqual(
        tags.map((t) => `${t.TagKey}=${t.TagValue}`).sort(),
        ['a=3', 'b=2'],
      );
      await kms.send(new UntagResourceCommand({ KeyId: id, TagKeys: ['a'] }));
      tags = (await kms.send(new ListResourceTagsCommand({ KeyId: id }))).Tags ?? [];
      assert.deepEqual(tags.map((t) => t.TagKey), ['b']);
    });
  });

  describe('aliases', () => {
    it('CreateAlias, UpdateAlias, ListAliases (all and by key) and DeleteAlias', async () => {
      const a = await newKey();
      const b = await newKey();
      await kms.send(new CreateAliasCommand({ AliasName: 'alias/app-one', TargetKeyId: a }));
      let listed = (await kms.send(new ListAliasesCommand({ KeyId: a }))).Aliases ?? [];
      assert.deepEqual(listed.map((x) => x.AliasName), ['alias/app-one']);
      assert.equal(listed[0]!.AliasArn, `arn:aws:kms:us-east-1:${accountId}:alias/app-one`);
      assert.equal(listed[0]!.TargetKeyId, a);
      await kms.send(new UpdateAliasCommand({ AliasName: 'alias/app-one', TargetKeyId: b }));
      assert.deepEqual((await kms.send(new ListAliasesCommand({ KeyId: a }))).Aliases ?? [], []);
      listed = (await kms.send(new ListAliasesCommand({ KeyId: b }))).Aliases ?? [];
      assert.deepEqual(listed.map((x) => x.AliasName), ['alias/app-one']);
      const all = (await kms.send(new ListAliasesCommand({}))).Aliases ?? [];
      assert.ok(all.some((x) => x.AliasName === 'alias/app-one'));
      // Encrypt through the alias names the key it points at now.
      const out = await kms.send(new EncryptCommand({ KeyId: 'alias/app-one', Plaintext: utf8('hi') }));
      assert.equal(out.KeyId, `arn:aws:kms:us-east-1:${accountId}:key/${b}`);
      await kms.send(new DeleteAliasCommand({ AliasName: 'alias/app-one' }));
      await rejectsWith(kms.send(new DescribeKeyCommand({ KeyId: 'alias/app-one' })), 'NotFoundException');
    });

    it('alias/aws/mq is a service-managed key created on first use, and users may not manage it', async () => {
      const md = (await kms.send(new DescribeKeyCommand({ KeyId: 'alias/aws/mq' }))).KeyMetadata!;
      assert.equal(md.KeyManager, 'AWS');
      assert.equal(md.KeyState, 'Enabled');
      const again = (await kms.send(new DescribeKeyCommand({ KeyId: 'alias/aws/mq' }))).KeyMetadata!;
      assert.equal(again.KeyId, md.KeyId, 'created once');
      const rotation = await kms.send(new GetKeyRotationStatusCommand({ KeyId: md.KeyId }));
      assert.equal(rotation.KeyRotationEnabled, true);
      const aliases = (await kms.send(new ListAliasesCommand({ KeyId: md.KeyId }))).Aliases ?? [];
      assert.deepEqual(aliases.map((x) => x.AliasName), ['alias/aws/mq']);
      for (const [what, call] of [
        ['DisableKey', () => kms.send(new DisableKeyCommand({ KeyId: md.KeyId }))],
        ['ScheduleKeyDeletion', () => kms.send(new ScheduleKeyDeletionCommand({ KeyId: md.KeyId, PendingWindowInDays: 7 }))],
        ['TagResource', () => kms.send(new TagResourceCommand({ KeyId: md.KeyId, Tags: [{ TagKey: 'x', TagValue: 'y' }] }))],
        ['PutKeyPolicy', () => kms.send(new PutKeyPolicyCommand({ KeyId: md.KeyId, PolicyName: 'default', Policy: '{"Version":"2012-10-17","Statement":[]}' }))],
        ['DeleteAlias', () => kms.send(new DeleteAliasCommand({ AliasName: 'alias/aws/mq' }))],
      ] as const) {
        try {
          await call();
          assert.fail(`${what} on the service-managed key succeeded`);
        } catch (error) {
          const name = (error as Error).name;
          assert.ok(
            ['AccessDeniedException', 'UnsupportedOperationException', 'NotAuthorizedException', 'KMSInvalidStateException'].includes(name),
            `${what}: ${name}`,
          );
        }
      }
      assert.equal((await kms.send(new DescribeKeyCommand({ KeyId: 'alias/aws/mq' }))).KeyMetadata?.KeyState, 'Enabled');
    });
  });

  describe('cryptography', () => {
    it('Encrypt and Decrypt round trip with an encryption context; the context is bound', async () => {
      const id = await newKey();
      const context = { 'aws:mq:broker-id': 'b-1234', purpose: 'test' };
      const enc = await kms.send(new EncryptCommand({ KeyId: id, Plaintext: utf8('attack at dawn'), EncryptionContext: context }));
      assert.equal(enc.KeyId, `arn:aws:kms:us-east-1:${accountId}:key/${id}`);
      assert.equal(enc.EncryptionAlgorithm, 'SYMMETRIC_DEFAULT');
      assert.ok(enc.CiphertextBlob!.length <= 6144);
      assert.ok(!Buffer.from(enc.CiphertextBlob!).includes(utf8('attack at dawn')));
      const dec = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: { purpose: 'test', 'aws:mq:broker-id': 'b-1234' } }));
      assert.equal(Buffer.from(dec.Plaintext!).toString(), 'attack at dawn');
      assert.equal(dec.KeyId, enc.KeyId);
      // Decrypt with the right KeyId given explicitly also works.
      const dec2 = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, KeyId: id, EncryptionContext: context }));
      assert.equal(Buffer.from(dec2.Plaintext!).toString(), 'attack at dawn');
    });

    it('GenerateDataKey (AES_256, AES_128, NumberOfBytes) and GenerateDataKeyWithoutPlaintext', async () => {
      const id = await newKey();
      const ctx = { purpose: 'segment' };
      const k256 = await kms.send(new GenerateDataKeyCommand({ KeyId: id, KeySpec: 'AES_256', EncryptionContext: ctx }));
      assert.equal(k256.Plaintext!.length, 32);
      const unwrapped = await kms.send(new DecryptCommand({ CiphertextBlob: k256.CiphertextBlob, EncryptionContext: ctx }));
      assert.deepEqual(Buffer.from(unwrapped.Plaintext!), Buffer.from(k256.Plaintext!));
      const k128 = await kms.send(new GenerateDataKeyCommand({ KeyId: id, KeySpec: 'AES_128' }));
      assert.equal(k128.Plaintext!.length, 16);
      const k7 = await kms.send(new GenerateDataKeyCommand({ KeyId: id, NumberOfBytes: 7 }));
      assert.equal(k7.Plaintext!.length, 7);
      const noPlain = await kms.send(new GenerateDataKeyWithoutPlaintextCommand({ KeyId: id, KeySpec: 'AES_256', EncryptionContext: ctx }));
      assert.equal((noPlain as { Plaintext?: unknown }).Plaintext, undefined);
      const later = await kms.send(new DecryptCommand({ CiphertextBlob: noPlain.CiphertextBlob, EncryptionContext: ctx }));
      assert.equal(later.Plaintext!.length, 32);
    });

    it('ReEncrypt moves a ciphertext to another key and context', async () => {
      const a = await newKey();
      const b = await newKey();
      const enc = await kms.send(new EncryptCommand({ KeyId: a, Plaintext: utf8('moving'), EncryptionContext: { v: '1' } }));
      const re = await kms.send(
        new ReEncryptCommand({ CiphertextBlob: enc.CiphertextBlob, SourceEncryptionContext: { v: '1' }, DestinationKeyId: b, DestinationEncryptionContext: { v: '2' } }),
      );
      assert.equal(re.SourceKeyId, `arn:aws:kms:us-east-1:${accountId}:key/${a}`);
      assert.equal(re.KeyId, `arn:aws:kms:us-east-1:${accountId}:key/${b}`);
      const dec = await kms.send(new DecryptCommand({ CiphertextBlob: re.CiphertextBlob, EncryptionContext: { v: '2' } }));
      assert.equal(Buffer.from(dec.Plaintext!).toString(), 'moving');
      await rejectsWith(kms.send(new DecryptCommand({ CiphertextBlob: re.CiphertextBlob, EncryptionContext: { v: '1' } })), 'InvalidCiphertextException');
    });

    it('GenerateRandom returns the bytes asked for, different each time', async () => {
      const a = await kms.send(new GenerateRandomCommand({ NumberOfBytes: 64 }));
      const b = await kms.send(new GenerateRandomCommand({ NumberOfBytes: 64 }));
      assert.equal(a.Plaintext!.length, 64);
      assert.notDeepEqual(Buffer.from(a.Plaintext!), Buffer.from(b.Plaintext!));
    });

    it('rotation: ciphertexts from before two rotations still decrypt, and new ones use new material', async () => {
      const id = await newKey();
      const status0 = await kms.send(new GetKeyRotationStatusCommand({ KeyId: id }));
      assert.equal(status0.KeyRotationEnabled, false);
      await kms.send(new EnableKeyRotationCommand({ KeyId: id, RotationPeriodInDays: 90 }));
      const status1 = await kms.send(new GetKeyRotationStatusCommand({ KeyId: id }));
      assert.equal(status1.KeyRotationEnabled, true);
      assert.equal(status1.RotationPeriodInDays, 90);
      assert.ok(status1.NextRotationDate instanceof Date);
      const before = await kms.send(new EncryptCommand({ KeyId: id, Plaintext: utf8('generation 0') }));
      await kms.send(new RotateKeyOnDemandCommand({ KeyId: id }));
      const middle = await kms.send(new EncryptCommand({ KeyId: id, Plaintext: utf8('generation 1') }));
      await kms.send(new RotateKeyOnDemandCommand({ KeyId: id }));
      const latest = await kms.send(new EncryptCommand({ KeyId: id, Plaintext: utf8('generation 2') }));
      for (const [blob, text] of [
        [before.CiphertextBlob!, 'generation 0'],
        [middle.CiphertextBlob!, 'generation 1'],
        [latest.CiphertextBlob!, 'generation 2'],
      ] as const) {
        const dec = await kms.send(new DecryptCommand({ CiphertextBlob: blob }));
        assert.equal(Buffer.from(dec.Plaintext!).toString(), text);
      }
      // Each rotation gave new material: the three blobs name three different material versions, so
      // they differ in the header even before the random nonce (same key id, same algorithm).
      const dec = await kms.send(new DecryptCommand({ CiphertextBlob: latest.CiphertextBlob! }));
      const decBefore = await kms.send(new DecryptCommand({ CiphertextBlob: before.CiphertextBlob! }));
      if (dec.KeyMaterialId !== undefined || decBefore.KeyMaterialId !== undefined) {
        assert.notEqual(dec.KeyMaterialId, decBefore.KeyMaterialId);
      }
      await kms.send(new DisableKeyRotationCommand({ KeyId: id }));
      assert.equal((await kms.send(new GetKeyRotationStatusCommand({ KeyId: id }))).KeyRotationEnabled, false);
    });
  });

  describe('grants', () => {
    it('a grant lets another principal use a key, only within its constraints, until revoked', async () => {
      const id = await newKey();
      const arn = `arn:aws:kms:us-east-1:${accountId}:key/${id}`;
      const app = await createPrincipal(server, 'grantee-app', { Version: '2012-10-17', Statement: [] });
      const appKms = kmsClient(server, app);
      try {
        const blob = (await kms.send(new EncryptCommand({ KeyId: id, Plaintext: utf8('for app'), EncryptionContext: { tenant: 't1' } }))).CiphertextBlob!;
        await rejectsWith(appKms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: { tenant: 't1' } })), 'AccessDeniedException');

        const grant = await kms.send(
          new CreateGrantCommand({
            KeyId: id,
            GranteePrincipal: app.arn,
            RetiringPrincipal: app.arn,
            Operations: ['Decrypt', 'GenerateDataKey'],
            Constraints: { EncryptionContextSubset: { tenant: 't1' } },
            Name: 'app-grant',
          }),
        );
        assert.ok(grant.GrantId && grant.GrantToken);
        // Name makes CreateGrant idempotent: the same GrantId comes back.
        const again = await kms.send(
          new CreateGrantCommand({
            KeyId: id,
            GranteePrincipal: app.arn,
            RetiringPrincipal: app.arn,
            Operations: ['Decrypt', 'GenerateDataKey'],
            Constraints: { EncryptionContextSubset: { tenant: 't1' } },
            Name: 'app-grant',
          }),
        );
        assert.equal(again.GrantId, grant.GrantId);

        const dec = await appKms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: { tenant: 't1' }, GrantTokens: [grant.GrantToken!] }));
        assert.equal(Buffer.from(dec.Plaintext!).toString(), 'for app');
        const dk = await appKms.send(new GenerateDataKeyCommand({ KeyId: arn, KeySpec: 'AES_256', EncryptionContext: { tenant: 't1', extra: 'ok' } }));
        assert.equal(dk.Plaintext!.length, 32);
        // Constraint not met: another tenant, or no context.
        await rejectsWith(appKms.send(new GenerateDataKeyCommand({ KeyId: arn, KeySpec: 'AES_256', EncryptionContext: { tenant: 't2' } })), 'AccessDeniedException');
        await rejectsWith(appKms.send(new GenerateDataKeyCommand({ KeyId: arn, KeySpec: 'AES_256' })), 'AccessDeniedException');
        // An operation the grant does not allow.
        await rejectsWith(appKms.send(new EncryptCommand({ KeyId: arn, Plaintext: utf8('x'), EncryptionContext: { tenant: 't1' } })), 'AccessDeniedException');

        const listed = (await kms.send(new ListGrantsCommand({ KeyId: id }))).Grants ?? [];
        const entry = listed.find((g) => g.GrantId === grant.GrantId);
        assert.ok(entry);
        assert.equal(entry.Name, 'app-grant');
        assert.equal(entry.GranteePrincipal, app.arn);
        assert.deepEqual([...(entry.Operations ?? [])].sort(), ['Decrypt', 'GenerateDataKey']);
        assert.deepEqual(entry.Constraints?.EncryptionContextSubset, { tenant: 't1' });
        assert.equal((entry as { GrantToken?: string }).GrantToken, undefined, 'ListGrants never returns tokens');

        const retirable = (await appKms.send(new ListRetirableGrantsCommand({ RetiringPrincipal: app.arn }))).Grants ?? [];
        assert.ok(retirable.some((g) => g.GrantId === grant.GrantId));

        await kms.send(new RevokeGrantCommand({ KeyId: id, GrantId: grant.GrantId }));
        await rejectsWith(appKms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: { tenant: 't1' } })), 'AccessDeniedException');
        await rejectsWith(
          appKms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: { tenant: 't1' }, GrantTokens: [grant.GrantToken!] })),
          'AccessDeniedException',
        );
        assert.ok(!((await kms.send(new ListGrantsCommand({ KeyId: id }))).Grants ?? []).some((g) => g.GrantId === grant.GrantId));
      } finally {
        appKms.destroy();
      }
    });

    it('RetireGrant by token (by the retiring principal) and by KeyId + GrantId', async () => {
      const id = await newKey();
      const app = await createPrincipal(server, 'retirer', { Version: '2012-10-17', Statement: [] });
      const appKms = kmsClient(server, app);
      try {
        const g1 = await kms.send(new CreateGrantCommand({ KeyId: id, GranteePrincipal: app.arn, RetiringPrincipal: app.arn, Operations: ['Encrypt'] }));
        const g2 = await kms.send(new CreateGrantCommand({ KeyId: id, GranteePrincipal: app.arn, Operations: ['Encrypt'] }));
        await appKms.send(new RetireGrantCommand({ GrantToken: g1.GrantToken }));
        await kms.send(new RetireGrantCommand({ KeyId: id, GrantId: g2.GrantId }));
        const left = (await kms.send(new ListGrantsCommand({ KeyId: id }))).Grants ?? [];
        assert.deepEqual(left, []);
        await rejectsWith(appKms.send(new EncryptCommand({ KeyId: `arn:aws:kms:us-east-1:${accountId}:key/${id}`, Plaintext: utf8('x') })), 'AccessDeniedException');
      } finally {
        appKms.destroy();
      }
    });
  });

  describe('error cases', () => {
    it('keys that do not exist', async () => {
      await rejectsWith(kms.send(new DescribeKeyCommand({ KeyId: '11111111-2222-3333-4444-555555555555' })), 'NotFoundException');
      await rejectsWith(kms.send(new EncryptCommand({ KeyId: 'alias/nope', Plaintext: utf8('x') })), 'NotFoundException');
      await rejectsWith(kms.send(new DeleteAliasCommand({ AliasName: 'alias/nope' })), 'NotFoundException');
    });

    it('a disabled key refuses cryptography with DisabledException', async () => {
      const id = await newKey();
      const blob = (await kms.send(new EncryptCommand({ KeyId: id, Plaintext: utf8('x') }))).CiphertextBlob!;
      await kms.send(new DisableKeyCommand({ KeyId: id }));
      const message = await rejectsWith(kms.send(new EncryptCommand({ KeyId: id, Plaintext: utf8('x') })), 'DisabledException');
      assert.match(message, /is disabled/);
      await rejectsWith(kms.send(new DecryptCommand({ CiphertextBlob: blob })), 'DisabledException');
      await rejectsWith(kms.send(new GenerateDataKeyCommand({ KeyId: id, KeySpec: 'AES_256' })), 'DisabledException');
      await rejectsWith(kms.send(new CreateGrantCommand({ KeyId: id, GranteePrincipal: `arn:aws:iam::${accountId}:user/x`, Operations: ['Decrypt'] })), 'DisabledException');
      await rejectsWith(kms.send(new EnableKeyRotationCommand({ KeyId: id })), 'DisabledException');
    });

    it('a key pending deletion refuses cryptography and state changes with KMSInvalidStateException', async () => {
      const id = await newKey();
      const other = await newKey();
      const blob = (await kms.send(new EncryptCommand({ KeyId: id, Plaintext: utf8('x') }))).CiphertextBlob!;
      await kms.send(new CreateAliasCommand({ AliasName: 'alias/pending-src', TargetKeyId: other }));
      await kms.send(new ScheduleKeyDeletionCommand({ KeyId: id, PendingWindowInDays: 7 }));
      const message = await rejectsWith(kms.send(new EncryptCommand({ KeyId: id, Plaintext: utf8('x') })), 'KMSInvalidStateException');
      assert.match(message, /pending deletion/);
      await rejectsWith(kms.send(new DecryptCommand({ CiphertextBlob: blob })), 'KMSInvalidStateException');
      await rejectsWith(kms.send(new EnableKeyCommand({ KeyId: id })), 'KMSInvalidStateException');
      await rejectsWith(kms.send(new ScheduleKeyDeletionCommand({ KeyId: id, PendingWindowInDays: 7 })), 'KMSInvalidStateException');
      await rejectsWith(kms.send(new UpdateAliasCommand({ AliasName: 'alias/pending-src', TargetKeyId: id })), 'KMSInvalidStateException');
    });

    it('CancelKeyDeletion on a key that is not pending deletion', async () => {
      const id = await newKey();
      const message = await rejectsWith(kms.send(new CancelKeyDeletionCommand({ KeyId: id })), 'KMSInvalidStateException');
      assert.match(message, /not pending deletion/);
    });

    it('deletion window outside 7..30 days', async () => {
      const id = await newKey();
      await rejectsWith(kms.send(new ScheduleKeyDeletionCommand({ KeyId: id, PendingWindowInDays: 6 })), 'ValidationException');
      await rejectsWith(kms.send(new ScheduleKeyDeletionCommand({ KeyId: id, PendingWindowInDays: 31 })), 'ValidationException');
      assert.equal((await kms.send(new DescribeKeyCommand({ KeyId: id }))).KeyMetadata?.KeyState, 'Enabled');
    });

    it('wrong encryption context, tampered blob, garbage blob and the wrong KeyId', async () => {
      const id = await newKey();
      const other = await newKey();
      const enc = await kms.send(new EncryptCommand({ KeyId: id, Plaintext: utf8('secret'), EncryptionContext: { a: 'b' } }));
      const blob = Buffer.from(enc.CiphertextBlob!);
      await rejectsWith(kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: { a: 'c' } })), 'InvalidCiphertextException');
      await rejectsWith(kms.send(new DecryptCommand({ CiphertextBlob: blob })), 'InvalidCiphertextException');
      await rejectsWith(kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: { a: 'b', extra: 'x' } })), 'InvalidCiphertextException');
      // Context keys and values cannot be shifted into each other ({ab: c} is not {a: bc}).
      const shifted = await kms.send(new EncryptCommand({ KeyId: id, Plaintext: utf8('s'), EncryptionContext: { ab: 'c' } }));
      await rejectsWith(kms.send(new DecryptCommand({ CiphertextBlob: shifted.CiphertextBlob, EncryptionContext: { a: 'bc' } })), 'InvalidCiphertextException');
      const tampered = Buffer.from(blob);
      tampered[tampered.length - 1]! ^= 0x01;
      await rejectsWith(kms.send(new DecryptCommand({ CiphertextBlob: tampered, EncryptionContext: { a: 'b' } })), 'InvalidCiphertextException');
      const middle = Buffer.from(blob);
      middle[Math.floor(middle.length * 0.75)]! ^= 0x80;
      await rejectsWith(kms.send(new DecryptCommand({ CiphertextBlob: middle, EncryptionContext: { a: 'b' } })), 'InvalidCiphertextException');
      await rejectsWith(kms.send(new DecryptCommand({ CiphertextBlob: Buffer.from('not a ciphertext blob at all') })), 'InvalidCiphertextException');
      await rejectsWith(kms.send(new DecryptCommand({ CiphertextBlob: blob.subarray(0, blob.length - 5), EncryptionContext: { a: 'b' } })), 'InvalidCiphertextException');
      await rejectsWith(kms.send(new DecryptCommand({ CiphertextBlob: blob, KeyId: other, EncryptionContext: { a: 'b' } })), 'IncorrectKeyException');
    });

    it('aliases: reserved prefix, bad name, duplicates', async () => {
      const id = await newKey();
      try {
        await kms.send(new CreateAliasCommand({ AliasName: 'alias/aws/mine', TargetKeyId: id }));
        assert.fail('a user created an alias under alias/aws/');
      } catch (error) {
        assert.ok(['NotAuthorizedException', 'InvalidAliasNameException', 'AccessDeniedException'].includes((error as Error).name), (error as Error).name);
      }
      await rejectsWith(kms.send(new CreateAliasCommand({ AliasName: 'no-prefix', TargetKeyId: id })), 'ValidationException');
      await kms.send(new CreateAliasCommand({ AliasName: 'alias/dup', TargetKeyId: id }));
      await rejectsWith(kms.send(new CreateAliasCommand({ AliasName: 'alias/dup', TargetKeyId: id })), 'AlreadyExistsException');
    });

    it('validation: sizes and exclusive parameters', async () => {
      const id = await newKey();
      await rejectsWith(kms.send(new EncryptCommand({ KeyId: id, Plaintext: Buffer.alloc(4097) })), 'ValidationException');
      await rejectsWith(kms.send(new GenerateDataKeyCommand({ KeyId: id, KeySpec: 'AES_256', NumberOfBytes: 32 })), 'ValidationException');
      await rejectsWith(kms.send(new GenerateDataKeyCommand({ KeyId: id })), 'ValidationException');
      await rejectsWith(kms.send(new GenerateDataKeyCommand({ KeyId: id, NumberOfBytes: 1025 })), 'ValidationException');
      await rejectsWith(kms.send(new GenerateRandomCommand({ NumberOfBytes: 0 })), 'ValidationException');
      await rejectsWith(kms.send(new GenerateRandomCommand({ NumberOfBytes: 1025 })), 'ValidationException');
      await rejectsWith(kms.send(new EnableKeyRotationCommand({ KeyId: id, RotationPeriodInDays: 89 })), 'ValidationException');
      await rejectsWith(kms.send(new CreateGrantCommand({ KeyId: id, GranteePrincipal: `arn:aws:iam::${accountId}:user/x`, Operations: ['Destroy' as 'Decrypt'] })), 'ValidationException');
    });

    it('grants: bad token and unknown grant id', async () => {
      const id = await newKey();
      await rejectsWith(kms.send(new RetireGrantCommand({ GrantToken: 'bm90IGEgdG9rZW4=' })), 'InvalidGrantTokenException');
      // AWS answers an unknown grant id with NotFoundException or InvalidGrantIdException.
      let message = '';
      try {
        await kms.send(new RevokeGrantCommand({ KeyId: id, GrantId: '0'.repeat(64) }));
        assert.fail('revoking a grant that does not exist succeeded');
      } catch (error) {
        assert.ok(['NotFoundException', 'InvalidGrantIdException'].includes((error as Error).name), (error as Error).name);
        message = (error as Error).message;
      }
      assert.ok(message.length > 0);
    });

    it('policies: malformed policy document, unknown policy name', async () => {
      const id = await newKey();
      await rejectsWith(kms.send(new PutKeyPolicyCommand({ KeyId: id, PolicyName: 'default', Policy: '{not json' })), 'MalformedPolicyDocumentException');
      await rejectsWith(kms.send(new GetKeyPolicyCommand({ KeyId: id, PolicyName: 'other' })), 'NotFoundException');
      // A policy that would lock the caller out is refused unless the safety check is bypassed.
      const lockout = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${accountId}:user/nobody` }, Action: 'kms:*', Resource: '*' }] });
      await rejectsWith(kms.send(new PutKeyPolicyCommand({ KeyId: id, PolicyName: 'default', Policy: lockout })), 'MalformedPolicyDocumentException');
    });

    it('tags: reserved aws: prefix', async () => {
      const id = await newKey();
      await rejectsWith(kms.send(new TagResourceCommand({ KeyId: id, Tags: [{ TagKey: 'aws:owner', TagValue: 'x' }] })), 'TagException');
    });

    it('ListKeys with a marker it never issued', async () => {
      await rejectsWith(kms.send(new ListKeysCommand({ Marker: 'bogus-marker' })), 'InvalidMarkerException');
    });

    it('a principal without a policy is refused everything, and the key policy cannot be bypassed', async () => {
      const nobody = await createPrincipal(server, 'nobody', { Version: '2012-10-17', Statement: [] });
      const nobodyKms = kmsClient(server, nobody);
      try {
        const id = await newKey();
        await rejectsWith(nobodyKms.send(new CreateKeyCommand({})), 'AccessDeniedException');
        await rejectsWith(nobodyKms.send(new ListKeysCommand({})), 'AccessDeniedException');
        const message = await rejectsWith(nobodyKms.send(new EncryptCommand({ KeyId: `arn:aws:kms:us-east-1:${accountId}:key/${id}`, Plaintext: utf8('x') })), 'AccessDeniedException');
        assert.match(message, /not authorized to perform: kms:Encrypt/);
        assert.ok(message.includes(nobody.arn));
      } finally {
        nobodyKms.destroy();
      }
    });
  });
});
