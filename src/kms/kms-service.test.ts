import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseCiphertextHeader } from './ciphertext.ts';
import type { KmsService } from './kms-service.ts';
import { ACCOUNT, admin, kmsFixture, MQ_VIA, principal, REGION, rejectsWith, type KmsFixture } from './testing.ts';

const utf8 = (s: string) => Buffer.from(s, 'utf8');
const arnOf = (keyId: string) => `arn:aws:kms:${REGION}:${ACCOUNT}:key/${keyId}`;

describe('KmsService', () => {
  let f: KmsFixture;
  let kms: KmsService;
  before(async () => {
    f = await kmsFixture();
    kms = f.kms;
  });
  after(async () => f.cleanup());

  async function newKey(description = 'k'): Promise<string> {
    return (await kms.createKey(admin, { Description: description })).KeyMetadata.KeyId;
  }

  describe('keys', () => {
    it('CreateKey returns AWS metadata; DescribeKey finds it by id, ARN, alias and alias ARN', async () => {
      const md = (await kms.createKey(admin, { Description: 'orders', Tags: [{ TagKey: 't', TagValue: 'v' }] })).KeyMetadata;
      assert.match(md.KeyId, /^[0-9a-f-]{36}$/);
      assert.equal(md.Arn, arnOf(md.KeyId));
      assert.equal(md.AWSAccountId, ACCOUNT);
      assert.equal(md.KeyState, 'Enabled');
      assert.equal(md.KeyManager, 'CUSTOMER');
      assert.equal(md.KeySpec, 'SYMMETRIC_DEFAULT');
      assert.equal(md.CreationDate.getTime(), f.clock.ms);
      await kms.createAlias(admin, { AliasName: 'alias/orders', TargetKeyId: md.KeyId });
      for (const id of [md.KeyId, md.Arn, 'alias/orders', `arn:aws:kms:${REGION}:${ACCOUNT}:alias/orders`]) {
        assert.equal((await kms.describeKey(admin, { KeyId: id })).KeyMetadata.KeyId, md.KeyId, id);
      }
    });

    it('CreateKey refuses other key specs, usages, origins', async () => {
      await rejectsWith(kms.createKey(admin, { KeySpec: 'RSA_2048' }), 'UnsupportedOperationException');
      await rejectsWith(kms.createKey(admin, { CustomerMasterKeySpec: 'HMAC_256' }), 'UnsupportedOperationException');
      await rejectsWith(kms.createKey(admin, { KeyUsage: 'SIGN_VERIFY' }), 'ValidationException');
      await rejectsWith(kms.createKey(admin, { Origin: 'EXTERNAL' }), 'UnsupportedOperationException');
      await rejectsWith(kms.createKey(admin, { MultiRegion: true }), 'UnsupportedOperationException');
      await rejectsWith(kms.createKey(admin, { Tags: [{ TagKey: 'aws:x', TagValue: '' }] }), 'TagException');
    });

    it('unknown keys and aliases are NotFoundException with AWS texts', async () => {
      const missing = '11111111-2222-3333-4444-555555555555';
      assert.equal(await rejectsWith(kms.describeKey(admin, { KeyId: missing }), 'NotFoundException'), `Key '${arnOf(missing)}' does not exist`);
      assert.equal(
        await rejectsWith(kms.describeKey(admin, { KeyId: 'alias/nope' }), 'NotFoundException'),
        `Alias arn:aws:kms:${REGION}:${ACCOUNT}:alias/nope is not found.`,
      );
      await rejectsWith(kms.describeKey(admin, { KeyId: 'garbage' }), 'NotFoundException');
      await rejectsWith(kms.describeKey(admin, { KeyId: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/${missing}` }), 'NotFoundException');
    });

    it('ListKeys pages with Limit and Marker, each key once; a foreign marker is InvalidMarkerException', async () => {
      const ids = [await newKey(), await newKey(), await newKey()];
      const seen: string[] = [];
      let marker: string | undefined;
      let pages = 0;
      do {
        const page = await kms.listKeys(admin, { Limit: 2, ...(marker ? { Marker: marker } : {}) });
        pages++;
        assert.ok(page.Keys.length <= 2);
        seen.push(...page.Keys.map((k) => k.KeyId));
        marker = page.Truncated ? page.NextMarker : undefined;
      } while (marker);
      assert.ok(pages >= 2);
      assert.equal(new Set(seen).size, seen.length);
      for (const id of ids) assert.ok(seen.includes(id));
      await rejectsWith(kms.listKeys(admin, { Marker: 'bogus-marker' }), 'InvalidMarkerException');
    });

    it('UpdateKeyDescription, DisableKey, EnableKey', async () => {
      const id = await newKey('before');
      await kms.updateKeyDescription(admin, { KeyId: id, Description: 'after' });
      await kms.disableKey(admin, { KeyId: id });
      let md = (await kms.describeKey(admin, { KeyId: id })).KeyMetadata;
      assert.equal(md.Description, 'after');
      assert.equal(md.KeyState, 'Disabled');
      assert.equal(md.Enabled, false);
      await kms.enableKey(admin, { KeyId: id });
      md = (await kms.describeKey(admin, { KeyId: id })).KeyMetadata;
      assert.equal(md.KeyState, 'Enabled');
    });

    it('a disabled key refuses cryptography and CreateGrant with DisabledException "<arn> is disabled."', async () => {
      const id = await newKey();
      const blob = (await kms.encrypt(admin, { KeyId: id, Plaintext: utf8('x') })).CiphertextBlob;
      await kms.disableKey(admin, { KeyId: id });
      assert.equal(await rejectsWith(kms.encrypt(admin, { KeyId: id, Plaintext: utf8('x') }), 'DisabledException'), `${arnOf(id)} is disabled.`);
      await rejectsWith(kms.decrypt(admin, { CiphertextBlob: blob }), 'DisabledException');
      await rejectsWith(kms.generateDataKey(admin, { KeyId: id, KeySpec: 'AES_256' }), 'DisabledException');
      await rejectsWith(kms.createGrant(admin, { KeyId: id, GranteePrincipal: principal('x').arn, Operations: ['Decrypt'] }), 'DisabledException');
      await rejectsWith(kms.enableKeyRotation(admin, { KeyId: id }), 'DisabledException');
      await rejectsWith(kms.rotateKeyOnDemand(admin, { KeyId: id }), 'DisabledException');
      // Metadata operations still work.
      await kms.getKeyPolicy(admin, { KeyId: id });
      await kms.listGrants(admin, { KeyId: id });
    });

    it('ScheduleKeyDeletion: 7-30 days (default 30), pending-deletion rules, CancelKeyDeletion leaves it Disabled', async () => {
      const id = await newKey();
      await rejectsWith(kms.scheduleKeyDeletion(admin, { KeyId: id, PendingWindowInDays: 6 }), 'ValidationException');
      await rejectsWith(kms.scheduleKeyDeletion(admin, { KeyId: id, PendingWindowInDays: 31 }), 'ValidationException');
      const blob = (await kms.encrypt(admin, { KeyId: id, Plaintext: utf8('x') })).CiphertextBlob;
      const out = await kms.scheduleKeyDeletion(admin, { KeyId: id });
      assert.equal(out.PendingWindowInDays, 30);
      assert.equal(out.KeyState, 'PendingDeletion');
      assert.equal(out.KeyId, arnOf(id));
      assert.equal(out.DeletionDate.getTime(), f.clock.ms + 30 * 86_400_000);
      const md = (await kms.describeKey(admin, { KeyId: id })).KeyMetadata;
      assert.equal(md.KeyState, 'PendingDeletion');
      assert.equal(md.PendingDeletionWindowInDays, 30);
      const pending = `${arnOf(id)} is pending deletion.`;
      assert.equal(await rejectsWith(kms.encrypt(admin, { KeyId: id, Plaintext: utf8('x') }), 'KMSInvalidStateException'), pending);
      await rejectsWith(kms.decrypt(admin, { CiphertextBlob: blob }), 'KMSInvalidStateException');
      await rejectsWith(kms.enableKey(admin, { KeyId: id }), 'KMSInvalidStateException');
      await rejectsWith(kms.disableKey(admin, { KeyId: id }), 'KMSInvalidStateException');
      await rejectsWith(kms.scheduleKeyDeletion(admin, { KeyId: id, PendingWindowInDays: 7 }), 'KMSInvalidStateException');
      await rejectsWith(kms.createAlias(admin, { AliasName: 'alias/to-pending', TargetKeyId: id }), 'KMSInvalidStateException');
      await rejectsWith(kms.tagResource(admin, { KeyId: id, Tags: [{ TagKey: 'a', TagValue: 'b' }] }), 'KMSInvalidStateException');
      await rejectsWith(kms.updateKeyDescription(admin, { KeyId: id, Description: 'x' }), 'KMSInvalidStateException');
      await rejectsWith(kms.enableKeyRotation(admin, { KeyId: id }), 'KMSInvalidStateException');
      assert.deepEqual((await kms.cancelKeyDeletion(admin, { KeyId: id })).KeyId, arnOf(id));
      const after = (await kms.describeKey(admin, { KeyId: id })).KeyMetadata;
      assert.equal(after.KeyState, 'Disabled');
      assert.equal(after.DeletionDate, undefined);
      assert.equal(await rejectsWith(kms.cancelKeyDeletion(admin, { KeyId: id }), 'KMSInvalidStateException'), `${arnOf(id)} is not pending deletion.`);
    });

    it('UpdateAlias to a key pending deletion is KMSInvalidStateException', async () => {
      const a = await newKey();
      const b = await newKey();
      await kms.createAlias(admin, { AliasName: 'alias/pending-src', TargetKeyId: a });
      await kms.scheduleKeyDeletion(admin, { KeyId: b, PendingWindowInDays: 7 });
      await rejectsWith(kms.updateAlias(admin, { AliasName: 'alias/pending-src', TargetKeyId: b }), 'KMSInvalidStateException');
    });

    it('at the end of the waiting period the key and its aliases are destroyed (timer with the injected clock)', async () => {
      const id = await newKey();
      await kms.createAlias(admin, { AliasName: 'alias/doomed', TargetKeyId: id });
      await kms.createGrant(admin, { KeyId: id, GranteePrincipal: principal('g').arn, Operations: ['Decrypt'] });
      const blob = (await kms.encrypt(admin, { KeyId: id, Plaintext: utf8('x') })).CiphertextBlob;
      await kms.scheduleKeyDeletion(admin, { KeyId: id, PendingWindowInDays: 7 });
      f.clock.advanceDays(6);
      await kms.runMaintenance();
      assert.equal((await kms.describeKey(admin, { KeyId: id })).KeyMetadata.KeyState, 'PendingDeletion');
      f.clock.advanceDays(1);
      await kms.runMaintenance();
      await rejectsWith(kms.describeKey(admin, { KeyId: id }), 'NotFoundException');
      await rejectsWith(kms.describeKey(admin, { KeyId: 'alias/doomed' }), 'NotFoundException');
      assert.ok(!(await kms.listAliases(admin)).Aliases.some((a) => a.AliasName === 'alias/doomed'));
      assert.ok(!(await kms.listKeys(admin)).Keys.some((k) => k.KeyId === id));
      await rejectsWith(kms.decrypt(admin, { CiphertextBlob: blob }), 'NotFoundException');
    });
  });

  describe('key policies and tags', () => {
    it('the default policy gives the account root kms:*; ListKeyPolicies; unknown policy name', async () => {
      const id = await newKey();
      const policy = JSON.parse((await kms.getKeyPolicy(admin, { KeyId: id, PolicyName: 'default' })).Policy);
      assert.deepEqual(policy.Statement[0], {
        Sid: 'Enable IAM User Permissions',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
        Action: 'kms:*',
        Resource: '*',
      });
      assert.deepEqual((await kms.listKeyPolicies(admin, { KeyId: id })).PolicyNames, ['default']);
      await rejectsWith(kms.getKeyPolicy(admin, { KeyId: id, PolicyName: 'other' }), 'NotFoundException');
    });

    it('PutKeyPolicy: malformed documents, the lockout safety check and its bypass', async () => {
      const id = await newKey();
      await rejectsWith(kms.putKeyPolicy(admin, { KeyId: id, Policy: '{not json' }), 'MalformedPolicyDocumentException');
      await rejectsWith(kms.putKeyPolicy(admin, { KeyId: id, Policy: '{"Statement":[{"Effect":"Allow","Action":"kms:*"}]}' }), 'MalformedPolicyDocumentException');
      const lockout = JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:user/nobody` }, Action: 'kms:*', Resource: '*' }] });
      await rejectsWith(kms.putKeyPolicy(admin, { KeyId: id, Policy: lockout }), 'MalformedPolicyDocumentException');
      await rejectsWith(kms.createKey(admin, { Policy: lockout }), 'MalformedPolicyDocumentException');
      await kms.putKeyPolicy(admin, { KeyId: id, Policy: lockout, BypassPolicyLockoutSafetyCheck: true });
      // The caller is now locked out, as the check warned.
      await rejectsWith(kms.getKeyPolicy(admin, { KeyId: id }), 'AccessDeniedException');
      await rejectsWith(kms.describeKey(admin, { KeyId: id }), 'AccessDeniedException');
    });

    it('an explicit Deny in the key policy wins over the account delegation', async () => {
      const id = await newKey();
      const policy = {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' },
          { Effect: 'Deny', Principal: { AWS: '*' }, Action: 'kms:Decrypt', Resource: '*' },
        ],
      };
      await kms.putKeyPolicy(admin, { KeyId: id, Policy: JSON.stringify(policy) });
      const blob = (await kms.encrypt(admin, { KeyId: id, Plaintext: utf8('x') })).CiphertextBlob;
      const message = await rejectsWith(kms.decrypt(admin, { CiphertextBlob: blob }), 'AccessDeniedException');
      assert.equal(message, `User: ${admin.arn} is not authorized to perform: kms:Decrypt on resource: ${arnOf(id)} with an explicit deny in a resource-based policy`);
    });

    it('the key policy decides: delegation needs an identity policy; a direct principal needs none; conditions apply', async () => {
      const id = await newKey();
      const nobody = principal('nobody');
      const message = await rejectsWith(kms.encrypt(nobody, { KeyId: arnOf(id), Plaintext: utf8('x') }), 'AccessDeniedException');
      assert.equal(message, `User: ${nobody.arn} is not authorized to perform: kms:Encrypt on resource: ${arnOf(id)} because no identity-based policy allows the kms:Encrypt action`);
      const reader = principal('reader');
      const policy = {
        Statement: [
          { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' },
          {
            Effect: 'Allow',
            Principal: { AWS: reader.arn },
            Action: ['kms:Encrypt', 'kms:Decrypt'],
            Resource: '*',
            Condition: { StringEquals: { 'kms:EncryptionContext:tenant': 't1' } },
          },
        ],
      };
      await kms.putKeyPolicy(admin, { KeyId: id, Policy: JSON.stringify(policy) });
      const blob = (await kms.encrypt(reader, { KeyId: arnOf(id), Plaintext: utf8('x'), EncryptionContext: { tenant: 't1' } })).CiphertextBlob;
      assert.equal((await kms.decrypt(reader, { CiphertextBlob: blob, EncryptionContext: { tenant: 't1' } })).Plaintext.toString(), 'x');
      await rejectsWith(kms.encrypt(reader, { KeyId: arnOf(id), Plaintext: utf8('x'), EncryptionContext: { tenant: 't2' } }), 'AccessDeniedException');
      await rejectsWith(kms.describeKey(reader, { KeyId: id }), 'AccessDeniedException');
      // An identity-policy Deny wins even for the administrator.
      const denied = principal('denied', [
        { Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
        { Statement: [{ Effect: 'Deny', Action: 'kms:Decrypt', Resource: arnOf(id) }] },
      ]);
      const m = await rejectsWith(kms.decrypt(denied, { CiphertextBlob: blob, EncryptionContext: { tenant: 't1' } }), 'AccessDeniedException');
      assert.match(m, /explicit deny in an identity-based policy/);
    });

    it('operations on no key use identity policies on "*"', async () => {
      const nobody = principal('nobody');
      await rejectsWith(kms.createKey(nobody, {}), 'AccessDeniedException');
      await rejectsWith(kms.listKeys(nobody, {}), 'AccessDeniedException');
      await rejectsWith(kms.listAliases(nobody, {}), 'AccessDeniedException');
      await rejectsWith(kms.generateRandom(nobody, { NumberOfBytes: 8 }), 'AccessDeniedException');
      const creator = principal('creator', [{ Statement: [{ Effect: 'Allow', Action: ['kms:CreateKey', 'kms:PutKeyPolicy'], Resource: '*' }] }]);
      const md = (await kms.createKey(creator, {})).KeyMetadata;
      assert.equal(md.KeyState, 'Enabled');
      await rejectsWith(kms.listKeys(creator, {}), 'AccessDeniedException');
    });

    it('TagResource merges, ListResourceTags pages, UntagResource removes; aws: prefix is TagException', async () => {
      const id = await newKey();
      await kms.tagResource(admin, { KeyId: id, Tags: [{ TagKey: 'a', TagValue: '1' }, { TagKey: 'b', TagValue: '2' }] });
      await kms.tagResource(admin, { KeyId: id, Tags: [{ TagKey: 'a', TagValue: '3' }] });
      const first = await kms.listResourceTags(admin, { KeyId: id, Limit: 1 });
      assert.deepEqual(first.Tags, [{ TagKey: 'a', TagValue: '3' }]);
      assert.equal(first.Truncated, true);
      const second = await kms.listResourceTags(admin, { KeyId: id, Limit: 1, Marker: first.NextMarker! });
      assert.deepEqual(second.Tags, [{ TagKey: 'b', TagValue: '2' }]);
      assert.equal(second.Truncated, false);
      await kms.untagResource(admin, { KeyId: id, TagKeys: ['a'] });
      assert.deepEqual((await kms.listResourceTags(admin, { KeyId: id })).Tags, [{ TagKey: 'b', TagValue: '2' }]);
      await rejectsWith(kms.tagResource(admin, { KeyId: id, Tags: [{ TagKey: 'aws:owner', TagValue: 'x' }] }), 'TagException');
    });
  });

  describe('aliases', () => {
    it('Create, Update, List (all and by key), Delete', async () => {
      const a = await newKey();
      const b = await newKey();
      await kms.createAlias(admin, { AliasName: 'alias/app-one', TargetKeyId: a });
      let listed = (await kms.listAliases(admin, { KeyId: a })).Aliases;
      assert.deepEqual(listed.map((x) => [x.AliasName, x.AliasArn, x.TargetKeyId]), [['alias/app-one', `arn:aws:kms:${REGION}:${ACCOUNT}:alias/app-one`, a]]);
      f.clock.ms += 1000;
      await kms.updateAlias(admin, { AliasName: 'alias/app-one', TargetKeyId: b });
      assert.deepEqual((await kms.listAliases(admin, { KeyId: a })).Aliases, []);
      listed = (await kms.listAliases(admin, { KeyId: b })).Aliases;
      assert.equal(listed[0]!.LastUpdatedDate!.getTime() - listed[0]!.CreationDate!.getTime(), 1000);
      assert.equal((await kms.encrypt(admin, { KeyId: 'alias/app-one', Plaintext: utf8('x') })).KeyId, arnOf(b));
      await kms.deleteAlias(admin, { AliasName: 'alias/app-one' });
      await rejectsWith(kms.describeKey(admin, { KeyId: 'alias/app-one' }), 'NotFoundException');
      await rejectsWith(kms.deleteAlias(admin, { AliasName: 'alias/app-one' }), 'NotFoundException');
      await rejectsWith(kms.updateAlias(admin, { AliasName: 'alias/app-one', TargetKeyId: a }), 'NotFoundException');
    });

    it('reserved prefix, missing prefix, bad characters, duplicates', async () => {
      const id = await newKey();
      await rejectsWith(kms.createAlias(admin, { AliasName: 'alias/aws/mine', TargetKeyId: id }), 'NotAuthorizedException');
      await rejectsWith(kms.createAlias(admin, { AliasName: 'no-prefix', TargetKeyId: id }), 'ValidationException');
      await rejectsWith(kms.createAlias(admin, { AliasName: 'alias/bad name', TargetKeyId: id }), 'InvalidAliasNameException');
      await kms.createAlias(admin, { AliasName: 'alias/dup', TargetKeyId: id });
      await rejectsWith(kms.createAlias(admin, { AliasName: 'alias/dup', TargetKeyId: id }), 'AlreadyExistsException');
      await rejectsWith(kms.createAlias(admin, { AliasName: 'alias/x', TargetKeyId: 'alias/dup' }), 'NotFoundException');
    });

    it('ListAliases pages and shows alias/aws/mq without a target until it is created', async () => {
      const all = await kms.listAliases(admin, {});
      const mq = all.Aliases.find((a) => a.AliasName === 'alias/aws/mq');
      assert.ok(mq);
      assert.equal(mq.TargetKeyId, undefined);
      const first = await kms.listAliases(admin, { Limit: 1 });
      assert.equal(first.Aliases.length, 1);
      assert.equal(first.Truncated, true);
      const rest = await kms.listAliases(admin, { Marker: first.NextMarker! });
      assert.ok(!rest.Aliases.some((a) => a.AliasName === first.Aliases[0]!.AliasName));
    });
  });

  describe('alias/aws/mq (service-managed key)', () => {
    it('is created on first DescribeKey with KeyManager AWS and yearly rotation, once', async () => {
      const md = (await kms.describeKey(admin, { KeyId: 'alias/aws/mq' })).KeyMetadata;
      assert.equal(md.KeyManager, 'AWS');
      assert.equal(md.KeyState, 'Enabled');
      assert.equal((await kms.describeKey(admin, { KeyId: 'alias/aws/mq' })).KeyMetadata.KeyId, md.KeyId);
      assert.equal((await kms.ensureServiceManagedKey()).KeyId, md.KeyId);
      const rotation = await kms.getKeyRotationStatus(admin, { KeyId: md.KeyId });
      assert.equal(rotation.KeyRotationEnabled, true);
      assert.equal(rotation.RotationPeriodInDays, 365);
      assert.deepEqual((await kms.listAliases(admin, { KeyId: md.KeyId })).Aliases.map((a) => a.AliasName), ['alias/aws/mq']);
      assert.ok((await kms.listKeys(admin, { Limit: 1000 })).Keys.some((k) => k.KeyId === md.KeyId));
    });

    it('users may not disable, delete, schedule deletion, tag, rotate on demand or re-policy it', async () => {
      const id = (await kms.ensureServiceManagedKey()).KeyId;
      const policy = JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: { AWS: admin.arn }, Action: 'kms:*', Resource: '*' }] });
      await rejectsWith(kms.disableKey(admin, { KeyId: id }), 'AccessDeniedException');
      await rejectsWith(kms.scheduleKeyDeletion(admin, { KeyId: id, PendingWindowInDays: 7 }), 'AccessDeniedException');
      await rejectsWith(kms.tagResource(admin, { KeyId: id, Tags: [{ TagKey: 'x', TagValue: 'y' }] }), 'AccessDeniedException');
      await rejectsWith(kms.rotateKeyOnDemand(admin, { KeyId: id }), 'AccessDeniedException');
      await rejectsWith(kms.disableKeyRotation(admin, { KeyId: id }), 'AccessDeniedException');
      await rejectsWith(kms.putKeyPolicy(admin, { KeyId: id, Policy: policy, BypassPolicyLockoutSafetyCheck: true }), 'AccessDeniedException');
      await rejectsWith(kms.deleteAlias(admin, { AliasName: 'alias/aws/mq' }), 'NotAuthorizedException');
      await rejectsWith(kms.updateAlias(admin, { AliasName: 'alias/aws/mq', TargetKeyId: await newKey() }), 'NotAuthorizedException');
      await rejectsWith(kms.createAlias(admin, { AliasName: 'alias/mine-to-mq', TargetKeyId: id }), 'AccessDeniedException');
      assert.equal((await kms.describeKey(admin, { KeyId: 'alias/aws/mq' })).KeyMetadata.KeyState, 'Enabled');
    });

    it('is usable for cryptography only through Amazon MQ (kms:ViaService)', async () => {
      await rejectsWith(kms.generateDataKey(admin, { KeyId: 'alias/aws/mq', KeySpec: 'AES_256' }), 'AccessDeniedException');
      const dk = await kms.generateDataKey(admin, { KeyId: 'alias/aws/mq', KeySpec: 'AES_256', EncryptionContext: { b: '1' } }, { viaService: MQ_VIA });
      const back = await kms.decrypt(admin, { CiphertextBlob: dk.CiphertextBlob, EncryptionContext: { b: '1' } }, { viaService: MQ_VIA });
      assert.deepEqual(back.Plaintext, dk.Plaintext);
    });
  });

  describe('cryptography', () => {
    it('Encrypt/Decrypt bind the context (order-free, exact); KeyId is the key ARN', async () => {
      const id = await newKey();
      const enc = await kms.encrypt(admin, { KeyId: id, Plaintext: utf8('attack at dawn'), EncryptionContext: { a: '1', b: '2' } });
      assert.equal(enc.KeyId, arnOf(id));
      assert.equal(enc.EncryptionAlgorithm, 'SYMMETRIC_DEFAULT');
      assert.ok(!enc.CiphertextBlob.includes(utf8('attack at dawn')));
      const dec = await kms.decrypt(admin, { CiphertextBlob: enc.CiphertextBlob, EncryptionContext: { b: '2', a: '1' } });
      assert.equal(dec.Plaintext.toString(), 'attack at dawn');
      assert.equal(dec.KeyId, arnOf(id));
      const wrongContexts: (Record<string, string> | undefined)[] = [undefined, { a: '1' }, { a: '1', b: '3' }, { a: '1', b: '2', c: '3' }, { A: '1', b: '2' }];
      for (const context of wrongContexts) {
        await rejectsWith(kms.decrypt(admin, { CiphertextBlob: enc.CiphertextBlob, ...(context ? { EncryptionContext: context } : {}) }), 'InvalidCiphertextException');
      }
      const shifted = await kms.encrypt(admin, { KeyId: id, Plaintext: utf8('s'), EncryptionContext: { ab: 'c' } });
      await rejectsWith(kms.decrypt(admin, { CiphertextBlob: shifted.CiphertextBlob, EncryptionContext: { a: 'bc' } }), 'InvalidCiphertextException');
    });

    it('any changed byte, truncation or garbage is InvalidCiphertextException', async () => {
      const id = await newKey();
      const blob = (await kms.encrypt(admin, { KeyId: id, Plaintext: utf8('secret'), EncryptionContext: { a: 'b' } })).CiphertextBlob;
      for (let i = 0; i < blob.length; i++) {
        const changed = Buffer.from(blob);
        changed[i] = changed[i]! ^ 0x01;
        await rejectsWith(kms.decrypt(admin, { CiphertextBlob: changed, EncryptionContext: { a: 'b' } }), 'InvalidCiphertextException');
      }
      await rejectsWith(kms.decrypt(admin, { CiphertextBlob: blob.subarray(0, blob.length - 1), EncryptionContext: { a: 'b' } }), 'InvalidCiphertextException');
      await rejectsWith(kms.decrypt(admin, { CiphertextBlob: utf8('not a ciphertext blob at all, not at all') }), 'InvalidCiphertextException');
      await rejectsWith(kms.decrypt(admin, { CiphertextBlob: Buffer.alloc(1) }), 'InvalidCiphertextException');
      await rejectsWith(kms.decrypt(admin, { CiphertextBlob: Buffer.alloc(6145, 1) }), 'ValidationException');
      await rejectsWith(kms.decrypt(admin, { CiphertextBlob: Buffer.alloc(0) }), 'ValidationException');
    });

    it('a KeyId that does not match the blob is IncorrectKeyException; a matching alias is fine', async () => {
      const id = await newKey();
      const other = await newKey();
      await kms.createAlias(admin, { AliasName: 'alias/match', TargetKeyId: id });
      const blob = (await kms.encrypt(admin, { KeyId: id, Plaintext: utf8('x') })).CiphertextBlob;
      await rejectsWith(kms.decrypt(admin, { CiphertextBlob: blob, KeyId: other }), 'IncorrectKeyException');
      assert.equal((await kms.decrypt(admin, { CiphertextBlob: blob, KeyId: 'alias/match' })).Plaintext.toString(), 'x');
      await rejectsWith(kms.decrypt(admin, { CiphertextBlob: blob, EncryptionAlgorithm: 'RSAES_OAEP_SHA_1' }), 'InvalidKeyUsageException');
    });

    it('Plaintext size, data key specs and GenerateRandom ranges', async () => {
      const id = await newKey();
      await rejectsWith(kms.encrypt(admin, { KeyId: id, Plaintext: Buffer.alloc(4097) }), 'ValidationException');
      await rejectsWith(kms.encrypt(admin, { KeyId: id, Plaintext: Buffer.alloc(0) }), 'ValidationException');
      const big = await kms.encrypt(admin, { KeyId: id, Plaintext: Buffer.alloc(4096, 7) });
      assert.ok(big.CiphertextBlob.length <= 6144);
      assert.equal((await kms.generateDataKey(admin, { KeyId: id, KeySpec: 'AES_256' })).Plaintext.length, 32);
      assert.equal((await kms.generateDataKey(admin, { KeyId: id, KeySpec: 'AES_128' })).Plaintext.length, 16);
      assert.equal((await kms.generateDataKey(admin, { KeyId: id, NumberOfBytes: 1024 })).Plaintext.length, 1024);
      await rejectsWith(kms.generateDataKey(admin, { KeyId: id }), 'ValidationException');
      await rejectsWith(kms.generateDataKey(admin, { KeyId: id, KeySpec: 'AES_256', NumberOfBytes: 32 }), 'ValidationException');
      await rejectsWith(kms.generateDataKey(admin, { KeyId: id, NumberOfBytes: 1025 }), 'ValidationException');
      const noPlain = await kms.generateDataKeyWithoutPlaintext(admin, { KeyId: id, KeySpec: 'AES_256', EncryptionContext: { p: 'q' } });
      assert.equal((noPlain as { Plaintext?: Buffer }).Plaintext, undefined);
      assert.equal((await kms.decrypt(admin, { CiphertextBlob: noPlain.CiphertextBlob, EncryptionContext: { p: 'q' } })).Plaintext.length, 32);
      const r1 = await kms.generateRandom(admin, { NumberOfBytes: 64 });
      const r2 = await kms.generateRandom(admin, { NumberOfBytes: 64 });
      assert.equal(r1.Plaintext.length, 64);
      assert.notDeepEqual(r1.Plaintext, r2.Plaintext);
      await rejectsWith(kms.generateRandom(admin, { NumberOfBytes: 0 }), 'ValidationException');
      await rejectsWith(kms.generateRandom(admin, {}), 'ValidationException');
      await rejectsWith(kms.encrypt(admin, { KeyId: id, Plaintext: utf8('x'), DryRun: true }), 'DryRunOperationException');
    });

    it('ReEncrypt moves a ciphertext to another key and context', async () => {
      const a = await newKey();
      const b = await newKey();
      const enc = await kms.encrypt(admin, { KeyId: a, Plaintext: utf8('moving'), EncryptionContext: { v: '1' } });
      const re = await kms.reEncrypt(admin, { CiphertextBlob: enc.CiphertextBlob, SourceEncryptionContext: { v: '1' }, DestinationKeyId: b, DestinationEncryptionContext: { v: '2' } });
      assert.equal(re.SourceKeyId, arnOf(a));
      assert.equal(re.KeyId, arnOf(b));
      assert.equal((await kms.decrypt(admin, { CiphertextBlob: re.CiphertextBlob, EncryptionContext: { v: '2' } })).Plaintext.toString(), 'moving');
      await rejectsWith(kms.reEncrypt(admin, { CiphertextBlob: enc.CiphertextBlob, DestinationKeyId: b }), 'InvalidCiphertextException');
      await rejectsWith(kms.reEncrypt(admin, { CiphertextBlob: enc.CiphertextBlob, SourceEncryptionContext: { v: '1' }, SourceKeyId: b, DestinationKeyId: b }), 'IncorrectKeyException');
    });
  });

  describe('rotation', () => {
    it('ciphertexts from before two rotations still decrypt; new ones name the new material version', async () => {
      const id = await newKey();
      assert.equal((await kms.getKeyRotationStatus(admin, { KeyId: id })).KeyRotationEnabled, false);
      await rejectsWith(kms.enableKeyRotation(admin, { KeyId: id, RotationPeriodInDays: 89 }), 'ValidationException');
      await kms.enableKeyRotation(admin, { KeyId: id, RotationPeriodInDays: 90 });
      const status = await kms.getKeyRotationStatus(admin, { KeyId: id });
      assert.equal(status.KeyRotationEnabled, true);
      assert.equal(status.RotationPeriodInDays, 90);
      assert.equal(status.NextRotationDate!.getTime(), f.clock.ms + 90 * 86_400_000);
      const gen0 = (await kms.encrypt(admin, { KeyId: id, Plaintext: utf8('generation 0') })).CiphertextBlob;
      const material0 = (await kms.describeKey(admin, { KeyId: id })).KeyMetadata.CurrentKeyMaterialId;
      assert.equal((await kms.rotateKeyOnDemand(admin, { KeyId: id })).KeyId, arnOf(id));
      const gen1 = (await kms.encrypt(admin, { KeyId: id, Plaintext: utf8('generation 1') })).CiphertextBlob;
      await kms.rotateKeyOnDemand(admin, { KeyId: id });
      const gen2 = (await kms.encrypt(admin, { KeyId: id, Plaintext: utf8('generation 2') })).CiphertextBlob;
      assert.deepEqual([gen0, gen1, gen2].map((b) => parseCiphertextHeader(b).materialVersion), [1, 2, 3]);
      for (const [blob, text] of [[gen0, 'generation 0'], [gen1, 'generation 1'], [gen2, 'generation 2']] as const) {
        assert.equal((await kms.decrypt(admin, { CiphertextBlob: blob })).Plaintext.toString(), text);
      }
      const d0 = await kms.decrypt(admin, { CiphertextBlob: gen0 });
      const d2 = await kms.decrypt(admin, { CiphertextBlob: gen2 });
      assert.equal(d0.KeyMaterialId, material0);
      assert.notEqual(d0.KeyMaterialId, d2.KeyMaterialId);
      assert.equal((await kms.listKeyRotations(admin, { KeyId: id })).Rotations.length, 2);
      await kms.disableKeyRotation(admin, { KeyId: id });
      assert.equal((await kms.getKeyRotationStatus(admin, { KeyId: id })).KeyRotationEnabled, false);
    });

    it('automatic rotation runs when due, only for enabled keys, and on re-enable when overdue', async () => {
      const id = await newKey();
      await kms.enableKeyRotation(admin, { KeyId: id, RotationPeriodInDays: 90 });
      const before = (await kms.encrypt(admin, { KeyId: id, Plaintext: utf8('old') })).CiphertextBlob;
      f.clock.advanceDays(89);
      await kms.runMaintenance();
      assert.equal(parseCiphertextHeader((await kms.encrypt(admin, { KeyId: id, Plaintext: utf8('x') })).CiphertextBlob).materialVersion, 1);
      f.clock.advanceDays(1);
      await kms.runMaintenance();
      assert.equal(parseCiphertextHeader((await kms.encrypt(admin, { KeyId: id, Plaintext: utf8('x') })).CiphertextBlob).materialVersion, 2);
      await kms.disableKey(admin, { KeyId: id });
      f.clock.advanceDays(100);
      await kms.runMaintenance();
      await kms.enableKey(admin, { KeyId: id });
      assert.equal(parseCiphertextHeader((await kms.encrypt(admin, { KeyId: id, Plaintext: utf8('x') })).CiphertextBlob).materialVersion, 3);
      assert.equal((await kms.decrypt(admin, { CiphertextBlob: before })).Plaintext.toString(), 'old');
    });

    it('on-demand rotation is limited to 10 per key', async () => {
      const id = await newKey();
      for (let i = 0; i < 10; i++) await kms.rotateKeyOnDemand(admin, { KeyId: id });
      await rejectsWith(kms.rotateKeyOnDemand(admin, { KeyId: id }), 'LimitExceededException');
    });
  });

  describe('grants', () => {
    it('a grant lets another principal use a key within its constraints, until revoked; Name is idempotent', async () => {
      const id = await newKey();
      const app = principal('grantee-app');
      const blob = (await kms.encrypt(admin, { KeyId: id, Plaintext: utf8('for app'), EncryptionContext: { tenant: 't1' } })).CiphertextBlob;
      await rejectsWith(kms.decrypt(app, { CiphertextBlob: blob, EncryptionContext: { tenant: 't1' } }), 'AccessDeniedException');
      const params = {
        KeyId: id,
        GranteePrincipal: app.arn,
        RetiringPrincipal: app.arn,
        Operations: ['Decrypt', 'GenerateDataKey'],
        Constraints: { EncryptionContextSubset: { tenant: 't1' } },
        Name: 'app-grant',
      };
      const grant = await kms.createGrant(admin, params);
      assert.match(grant.GrantId, /^[0-9a-f]{64}$/);
      const again = await kms.createGrant(admin, params);
      assert.equal(again.GrantId, grant.GrantId);
      assert.notEqual(again.GrantToken, grant.GrantToken);
      const different = await kms.createGrant(admin, { ...params, Operations: ['Decrypt'] });
      assert.notEqual(different.GrantId, grant.GrantId);
      await kms.revokeGrant(admin, { KeyId: id, GrantId: different.GrantId });

      assert.equal((await kms.decrypt(app, { CiphertextBlob: blob, EncryptionContext: { tenant: 't1' }, GrantTokens: [again.GrantToken] })).Plaintext.toString(), 'for app');
      assert.equal((await kms.generateDataKey(app, { KeyId: arnOf(id), KeySpec: 'AES_256', EncryptionContext: { tenant: 't1', extra: 'ok' } })).Plaintext.length, 32);
      await rejectsWith(kms.generateDataKey(app, { KeyId: arnOf(id), KeySpec: 'AES_256', EncryptionContext: { tenant: 't2' } }), 'AccessDeniedException');
      await rejectsWith(kms.generateDataKey(app, { KeyId: arnOf(id), KeySpec: 'AES_256' }), 'AccessDeniedException');
      await rejectsWith(kms.encrypt(app, { KeyId: arnOf(id), Plaintext: utf8('x'), EncryptionContext: { tenant: 't1' } }), 'AccessDeniedException');
      await rejectsWith(kms.describeKey(app, { KeyId: id }), 'AccessDeniedException');

      const entry = (await kms.listGrants(admin, { KeyId: id })).Grants.find((g) => g.GrantId === grant.GrantId)!;
      assert.equal(entry.Name, 'app-grant');
      assert.equal(entry.KeyId, arnOf(id));
      assert.equal(entry.IssuingAccount, `arn:aws:iam::${ACCOUNT}:root`);
      assert.deepEqual(entry.Constraints, { EncryptionContextSubset: { tenant: 't1' } });
      assert.equal((entry as { GrantToken?: string }).GrantToken, undefined);
      assert.deepEqual((await kms.listGrants(admin, { KeyId: id, GranteePrincipal: app.arn })).Grants.map((g) => g.GrantId), [grant.GrantId]);
      const retirable = await kms.listRetirableGrants(admin, { RetiringPrincipal: app.arn });
      assert.ok(retirable.Grants.some((g) => g.GrantId === grant.GrantId));

      await kms.revokeGrant(admin, { KeyId: id, GrantId: grant.GrantId });
      await rejectsWith(kms.decrypt(app, { CiphertextBlob: blob, EncryptionContext: { tenant: 't1' } }), 'AccessDeniedException');
      await rejectsWith(kms.decrypt(app, { CiphertextBlob: blob, EncryptionContext: { tenant: 't1' }, GrantTokens: [grant.GrantToken] }), 'AccessDeniedException');
      await rejectsWith(kms.revokeGrant(admin, { KeyId: id, GrantId: grant.GrantId }), 'NotFoundException');
    });

    it('EncryptionContextEquals must match exactly; both constraint kinds at once are refused', async () => {
      const id = await newKey();
      const app = principal('eq-app');
      await kms.createGrant(admin, { KeyId: id, GranteePrincipal: app.arn, Operations: ['Encrypt'], Constraints: { EncryptionContextEquals: { a: '1' } } });
      await kms.encrypt(app, { KeyId: arnOf(id), Plaintext: utf8('x'), EncryptionContext: { a: '1' } });
      await rejectsWith(kms.encrypt(app, { KeyId: arnOf(id), Plaintext: utf8('x'), EncryptionContext: { a: '1', b: '2' } }), 'AccessDeniedException');
      await rejectsWith(
        kms.createGrant(admin, { KeyId: id, GranteePrincipal: app.arn, Operations: ['Encrypt'], Constraints: { EncryptionContextEquals: { a: '1' }, EncryptionContextSubset: { a: '1' } } }),
        'ValidationException',
      );
      await rejectsWith(kms.createGrant(admin, { KeyId: id, GranteePrincipal: app.arn, Operations: ['Destroy'] }), 'ValidationException');
      await rejectsWith(kms.createGrant(admin, { KeyId: id, GranteePrincipal: app.arn, Operations: ['Sign'] }), 'ValidationException');
      await rejectsWith(kms.createGrant(admin, { KeyId: id, GranteePrincipal: app.arn, Operations: [] }), 'ValidationException');
    });

    it('a grant with CreateGrant can pass on only its own operations', async () => {
      const id = await newKey();
      const broker = principal('broker');
      await kms.createGrant(admin, { KeyId: id, GranteePrincipal: broker.arn, Operations: ['CreateGrant', 'Decrypt'] });
      await kms.createGrant(broker, { KeyId: id, GranteePrincipal: principal('worker').arn, Operations: ['Decrypt'] });
      await rejectsWith(kms.createGrant(broker, { KeyId: id, GranteePrincipal: principal('worker').arn, Operations: ['Encrypt'] }), 'AccessDeniedException');
    });

    it('RetireGrant by token (retiring principal), by KeyId+GrantId (issuing account admin), and refused to others', async () => {
      const id = await newKey();
      const app = principal('retirer');
      const stranger = principal('stranger');
      const g1 = await kms.createGrant(admin, { KeyId: id, GranteePrincipal: app.arn, RetiringPrincipal: app.arn, Operations: ['Encrypt'] });
      const g2 = await kms.createGrant(admin, { KeyId: id, GranteePrincipal: app.arn, Operations: ['Encrypt'] });
      const g3 = await kms.createGrant(admin, { KeyId: id, GranteePrincipal: app.arn, Operations: ['Encrypt', 'RetireGrant'] });
      await rejectsWith(kms.retireGrant(stranger, { GrantToken: g1.GrantToken }), 'AccessDeniedException');
      await kms.retireGrant(app, { GrantToken: g1.GrantToken });
      await rejectsWith(kms.retireGrant(app, { KeyId: id, GrantId: g2.GrantId }), 'AccessDeniedException');
      await kms.retireGrant(admin, { KeyId: id, GrantId: g2.GrantId });
      await kms.retireGrant(app, { KeyId: id, GrantId: g3.GrantId });
      assert.deepEqual((await kms.listGrants(admin, { KeyId: id })).Grants, []);
      await rejectsWith(kms.encrypt(app, { KeyId: arnOf(id), Plaintext: utf8('x') }), 'AccessDeniedException');
      await rejectsWith(kms.retireGrant(app, { GrantToken: g1.GrantToken }), 'NotFoundException');
    });

    it('ListRetirableGrants: a principal may list its own retirable grants; others need kms:ListRetirableGrants', async () => {
      const id = await newKey();
      const app = principal('self-lister');
      const g = await kms.createGrant(admin, { KeyId: id, GranteePrincipal: app.arn, RetiringPrincipal: app.arn, Operations: ['Encrypt'] });
      assert.deepEqual((await kms.listRetirableGrants(app, { RetiringPrincipal: app.arn })).Grants.map((x) => x.GrantId), [g.GrantId]);
      await rejectsWith(kms.listRetirableGrants(app, { RetiringPrincipal: admin.arn }), 'AccessDeniedException');
    });

    it('the service retires grants it made without a principal', async () => {
      const id = await newKey();
      const g = await kms.createGrant(admin, { KeyId: id, GranteePrincipal: principal('b').arn, Operations: ['Decrypt'], Name: 'mq_grant' }, { viaService: MQ_VIA });
      await kms.serviceRetireGrant({ KeyId: arnOf(id), GrantId: g.GrantId });
      assert.deepEqual((await kms.listGrants(admin, { KeyId: id })).Grants, []);
      await rejectsWith(kms.serviceRetireGrant({ KeyId: id, GrantId: g.GrantId }), 'NotFoundException');
    });

    it('bad tokens and grant ids', async () => {
      const id = await newKey();
      await rejectsWith(kms.retireGrant(admin, { GrantToken: 'bm90IGEgdG9rZW4=' }), 'InvalidGrantTokenException');
      await rejectsWith(kms.encrypt(admin, { KeyId: id, Plaintext: utf8('x'), GrantTokens: ['forged'] }), 'InvalidGrantTokenException');
      const g = await kms.createGrant(admin, { KeyId: id, GranteePrincipal: principal('x').arn, Operations: ['Encrypt'] });
      const forged = Buffer.from(g.GrantToken, 'base64url');
      forged[40] = forged[40]! ^ 1;
      await rejectsWith(kms.retireGrant(admin, { GrantToken: forged.toString('base64url') }), 'InvalidGrantTokenException');
      await rejectsWith(kms.revokeGrant(admin, { KeyId: id, GrantId: '0'.repeat(64) }), 'NotFoundException');
      await rejectsWith(kms.revokeGrant(admin, { KeyId: id, GrantId: 'xyz' }), 'InvalidGrantIdException');
      await rejectsWith(kms.retireGrant(admin, {}), 'ValidationException');
      await rejectsWith(kms.encrypt(admin, { KeyId: id, Plaintext: utf8('x'), GrantTokens: Array(11).fill(g.GrantToken) }), 'ValidationException');
    });
  });

  describe('service-owned keys', () => {
    it('are hidden from the account, usable by the service, and crypto-shredded on destroy', async () => {
      const { KeyId } = await kms.createServiceOwnedKey('b-1234');
      assert.ok(!(await kms.listKeys(admin, { Limit: 1000 })).Keys.some((k) => k.KeyId === KeyId));
      await rejectsWith(kms.describeKey(admin, { KeyId }), 'NotFoundException');
      await rejectsWith(kms.encrypt(admin, { KeyId, Plaintext: utf8('x') }), 'NotFoundException');
      const dk = await kms.serviceOwnedGenerateDataKey({ KeyId, KeySpec: 'AES_256', EncryptionContext: { broker: 'b-1234' } });
      await rejectsWith(kms.decrypt(admin, { CiphertextBlob: dk.CiphertextBlob, EncryptionContext: { broker: 'b-1234' } }), 'InvalidCiphertextException');
      assert.deepEqual((await kms.serviceOwnedDecrypt({ CiphertextBlob: dk.CiphertextBlob, EncryptionContext: { broker: 'b-1234' } })).Plaintext, dk.Plaintext);
      assert.ok(kms.listServiceOwnedKeys().some((k) => k.KeyId === KeyId && k.OwnerId === 'b-1234'));
      await kms.destroyServiceOwnedKey(KeyId);
      assert.ok(!kms.listServiceOwnedKeys().some((k) => k.KeyId === KeyId));
      await rejectsWith(kms.serviceOwnedDecrypt({ CiphertextBlob: dk.CiphertextBlob, EncryptionContext: { broker: 'b-1234' } }), 'NotFoundException');
      await rejectsWith(kms.destroyServiceOwnedKey(KeyId), 'NotFoundException');
    });
  });
});
