import assert from 'node:assert/strict';
import { scryptSync } from 'node:crypto';
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openRootKey, RootKey, RootKeyError, ROOT_KEY_FILE, ROOT_KEY_PARAMS_FILE } from '../crypto/root-key.ts';
import { readSealedJson } from '../crypto/sealed-file.ts';
import { KMS_STORE_FILE, KmsStoreError, materialPurpose, type KmsState } from './key-store.ts';
import { KmsService } from './kms-service.ts';
import { ACCOUNT, admin, kmsFixture, principal, REGION, rejectsWith } from './testing.ts';

const utf8 = (s: string) => Buffer.from(s, 'utf8');

async function allFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await allFiles(path)));
    else out.push(path);
  }
  return out;
}

/** Every encoding a secret could be written in. */
function encodings(secret: Buffer): Buffer[] {
  return [secret, utf8(secret.toString('base64')), utf8(secret.toString('base64url')), utf8(secret.toString('hex'))];
}

async function keyMaterials(dir: string, rootKey: RootKey): Promise<Buffer[]> {
  const state = (await readSealedJson<KmsState>(join(dir, KMS_STORE_FILE), rootKey, 'sealmq/kms/store/v1'))!;
  return state.keys.flatMap((k) => k.materials.map((m) => rootKey.open(Buffer.from(m.sealedMaterial, 'base64'), materialPurpose(k.keyId, m.version))));
}

describe('KMS persistence', () => {
  it('restart: keys, aliases, grants, states, rotations and pending deletions survive', async () => {
    const f = await kmsFixture();
    try {
      let kms = f.kms;
      const enabled = (await kms.createKey(admin, { Description: 'enabled', Tags: [{ TagKey: 't', TagValue: 'v' }] })).KeyMetadata.KeyId;
      const disabled = (await kms.createKey(admin, { Description: 'disabled' })).KeyMetadata.KeyId;
      const pending = (await kms.createKey(admin, { Description: 'pending' })).KeyMetadata.KeyId;
      await kms.createAlias(admin, { AliasName: 'alias/keep', TargetKeyId: enabled });
      await kms.enableKeyRotation(admin, { KeyId: enabled, RotationPeriodInDays: 180 });
      const before = (await kms.encrypt(admin, { KeyId: enabled, Plaintext: utf8('before rotation'), EncryptionContext: { a: 'b' } })).CiphertextBlob;
      await kms.rotateKeyOnDemand(admin, { KeyId: enabled });
      const app = principal('app');
      const grant = await kms.createGrant(admin, { KeyId: enabled, GranteePrincipal: app.arn, RetiringPrincipal: app.arn, Operations: ['Decrypt'], Name: 'g' });
      await kms.disableKey(admin, { KeyId: disabled });
      const scheduled = await kms.scheduleKeyDeletion(admin, { KeyId: pending, PendingWindowInDays: 7 });
      const mq = await kms.ensureServiceManagedKey();
      const owned = await kms.createServiceOwnedKey('b-1');
      const ownedDk = await kms.serviceOwnedGenerateDataKey({ KeyId: owned.KeyId, KeySpec: 'AES_256', EncryptionContext: { b: '1' } });

      kms = await f.reopen();
      const md = (await kms.describeKey(admin, { KeyId: 'alias/keep' })).KeyMetadata;
      assert.equal(md.KeyId, enabled);
      assert.equal(md.Description, 'enabled');
      assert.deepEqual((await kms.listResourceTags(admin, { KeyId: enabled })).Tags, [{ TagKey: 't', TagValue: 'v' }]);
      assert.equal((await kms.describeKey(admin, { KeyId: disabled })).KeyMetadata.KeyState, 'Disabled');
      const p = (await kms.describeKey(admin, { KeyId: pending })).KeyMetadata;
      assert.equal(p.KeyState, 'PendingDeletion');
      assert.equal(p.DeletionDate!.getTime(), scheduled.DeletionDate.getTime());
      const rotation = await kms.getKeyRotationStatus(admin, { KeyId: enabled });
      assert.equal(rotation.RotationPeriodInDays, 180);
      assert.equal((await kms.decrypt(admin, { CiphertextBlob: before, EncryptionContext: { a: 'b' } })).Plaintext.toString(), 'before rotation');
      // The grant survives, and so does its token (the MAC key is persisted).
      assert.deepEqual((await kms.listGrants(admin, { KeyId: enabled })).Grants.map((g) => g.GrantId), [grant.GrantId]);
      assert.equal((await kms.decrypt(app, { CiphertextBlob: before, EncryptionContext: { a: 'b' }, GrantTokens: [grant.GrantToken] })).Plaintext.toString(), 'before rotation');
      assert.equal((await kms.describeKey(admin, { KeyId: 'alias/aws/mq' })).KeyMetadata.KeyId, mq.KeyId);
      assert.deepEqual((await kms.serviceOwnedDecrypt({ CiphertextBlob: ownedDk.CiphertextBlob, EncryptionContext: { b: '1' } })).Plaintext, ownedDk.Plaintext);

      // A pending deletion whose window ended while the KMS was down is carried out at open.
      f.clock.advanceDays(8);
      kms = await f.reopen();
      await rejectsWith(kms.describeKey(admin, { KeyId: pending }), 'NotFoundException');
      kms = await f.reopen();
      await rejectsWith(kms.describeKey(admin, { KeyId: pending }), 'NotFoundException');
    } finally {
      await f.cleanup();
    }
  });

  it('concurrent changes are all written: 40 parallel CreateKey/CreateAlias calls survive a restart', async () => {
    const f = await kmsFixture();
    try {
      const ids = await Promise.all(Array.from({ length: 40 }, async (_, i) => {
        const id = (await f.kms.createKey(admin, { Description: `k${i}` })).KeyMetadata.KeyId;
        await f.kms.createAlias(admin, { AliasName: `alias/p${i}`, TargetKeyId: id });
        return id;
      }));
      const kms = await f.reopen();
      const listed = (await kms.listKeys(admin, { Limit: 1000 })).Keys.map((k) => k.KeyId);
      assert.deepEqual([...listed].sort(), [...ids].sort());
      assert.equal((await kms.listAliases(admin, { Limit: 100 })).Aliases.filter((a) => a.AliasName.startsWith('alias/p')).length, 40);
    } finally {
      await f.cleanup();
    }
  });

  it('a damaged store is a clear error at open and the file is left as it was', async () => {
    const f = await kmsFixture();
    try {
      await f.kms.createKey(admin, {});
      await f.kms.close();
      const path = join(f.dir, KMS_STORE_FILE);
      const bytes = await readFile(path);
      bytes[bytes.length - 10] = bytes[bytes.length - 10]! ^ 0x20;
      await writeFile(path, bytes);
      await assert.rejects(
        KmsService.open({ dir: f.dir, rootKey: f.rootKey, accountId: ACCOUNT, region: REGION, maintenanceIntervalMs: 0 }),
        (error: unknown) => error instanceof KmsStoreError && error.message.includes(path) && /damaged|cannot be read/.test(error.message),
      );
      assert.deepEqual(await readFile(path), bytes);
      // A truncated file, too.
      await writeFile(path, bytes.subarray(0, 20));
      await assert.rejects(KmsService.open({ dir: f.dir, rootKey: f.rootKey, accountId: ACCOUNT, region: REGION, maintenanceIntervalMs: 0 }), KmsStoreError);
    } finally {
      await f.cleanup().catch(() => undefined);
    }
  });

  it('a missing root key is ROOT_KEY_MISSING (never a fresh KMS); another root key cannot open the store', async () => {
    const f = await kmsFixture();
    try {
      await f.kms.createKey(admin, {});
      await f.kms.close();
      const keyFile = join(f.dir, ROOT_KEY_FILE);
      const original = await readFile(keyFile);
      await rm(keyFile);
      await assert.rejects(openRootKey({ dir: f.dir }), (e: unknown) => e instanceof RootKeyError && e.code === 'ROOT_KEY_MISSING');
      assert.deepEqual((await readdir(f.dir)).sort(), [KMS_STORE_FILE]);
      // A different root key (e.g. restored from the wrong backup) cannot read the store.
      const otherDir = join(f.dir, '..', 'other');
      const other = await openRootKey({ dir: otherDir });
      await assert.rejects(KmsService.open({ dir: f.dir, rootKey: other, accountId: ACCOUNT, region: REGION, maintenanceIntervalMs: 0 }), KmsStoreError);
      await writeFile(keyFile, original, { mode: 0o600 });
      const reopened = await KmsService.open({ dir: f.dir, rootKey: await openRootKey({ dir: f.dir }), accountId: ACCOUNT, region: REGION, maintenanceIntervalMs: 0 });
      assert.equal((await reopened.listKeys(admin, {})).Keys.length, 1);
      await reopened.close();
    } finally {
      await f.cleanup();
    }
  });

  it('a store under another account is refused', async () => {
    const f = await kmsFixture();
    try {
      await f.kms.close();
      await assert.rejects(KmsService.open({ dir: f.dir, rootKey: f.rootKey, accountId: '999999999999', region: REGION, maintenanceIntervalMs: 0 }), KmsStoreError);
    } finally {
      await f.cleanup();
    }
  });

  it('the store file has mode 0600', async () => {
    const f = await kmsFixture();
    try {
      assert.equal((await stat(join(f.dir, KMS_STORE_FILE))).mode & 0o777, 0o600);
    } finally {
      await f.cleanup();
    }
  });

  for (const mode of ['key file', 'passphrase'] as const) {
    it(`at rest (${mode}): no key material, data key or Encrypt plaintext in any file; the root key only in root.key`, async () => {
      const passphrase = mode === 'passphrase' ? 'a long passphrase for tests' : undefined;
      const f = await kmsFixture(passphrase ? { passphrase } : {});
      try {
        const kms = f.kms;
        const secrets: Buffer[] = [];
        const id = (await kms.createKey(admin, {})).KeyMetadata.KeyId;
        await kms.createAlias(admin, { AliasName: 'alias/scan', TargetKeyId: id });
        await kms.rotateKeyOnDemand(admin, { KeyId: id });
        const plaintext = utf8('PLAINTEXT-MARKER-the-quick-brown-fox-0123456789');
        secrets.push(plaintext);
        await kms.encrypt(admin, { KeyId: id, Plaintext: plaintext, EncryptionContext: { k: 'v' } });
        secrets.push((await kms.generateDataKey(admin, { KeyId: id, KeySpec: 'AES_256' })).Plaintext);
        await kms.createGrant(admin, { KeyId: id, GranteePrincipal: principal('x').arn, Operations: ['Decrypt'] });
        await kms.ensureServiceManagedKey();
        const owned = await kms.createServiceOwnedKey('b-9');
        secrets.push((await kms.serviceOwnedGenerateDataKey({ KeyId: owned.KeyId, KeySpec: 'AES_256' })).Plaintext);
        const materials = await keyMaterials(f.dir, f.rootKey);
        assert.ok(materials.length >= 4);
        secrets.push(...materials);

        let rootKeyBytes: Buffer;
        if (passphrase) {
          const params = JSON.parse(await readFile(join(f.dir, ROOT_KEY_PARAMS_FILE), 'utf8'));
          rootKeyBytes = scryptSync(passphrase, Buffer.from(params.salt, 'base64'), 32, { N: params.N, r: params.r, p: params.p });
        } else {
          rootKeyBytes = (await readFile(join(f.dir, ROOT_KEY_FILE))).subarray(-32);
        }
        const files = await allFiles(f.dir);
        assert.ok(files.some((p) => p.endsWith(KMS_STORE_FILE)));
        assert.equal(files.some((p) => p.endsWith(ROOT_KEY_FILE)), !passphrase);
        for (const file of files) {
          const contents = await readFile(file);
          for (const secret of secrets) {
            for (const encoded of encodings(secret)) assert.ok(!contents.includes(encoded), `a secret appears in ${file}`);
          }
          if (!file.endsWith(`/${ROOT_KEY_FILE}`)) {
            for (const encoded of encodings(rootKeyBytes)) assert.ok(!contents.includes(encoded), `the root key appears in ${file}`);
          }
          for (const text of ['alias/scan', 'Enable IAM User Permissions', 'b-9']) {
            assert.ok(!contents.includes(utf8(text)), `metadata "${text}" appears in the clear in ${file}`);
          }
        }
      } finally {
        await f.cleanup();
      }
    });
  }
});
