import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openRootKey } from '../crypto/root-key.ts';
import { ACCESS_KEY_ID_PATTERN, formatCredentialsFile, parseCredentialsFile, writeCredentialsFile } from './access-keys.ts';
import { ADMINISTRATOR_NAME, PRINCIPALS_FILE, PrincipalError, PrincipalStore, type NewAccessKey } from './principal-store.ts';

const root = mkdtempSync(join(tmpdir(), 'sealmq-principals-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

async function fresh() {
  const dataDir = join(root, `d${n++}`);
  const rootKey = await openRootKey({ dir: join(dataDir, 'kms') });
  const dir = join(dataDir, 'identity');
  const open = () => PrincipalStore.open({ dir, rootKey, accountId: '123456789012' });
  return { dataDir, dir, rootKey, open, store: await open() };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

describe('PrincipalStore', () => {
  it('creates the administrator on first start only, persisting the key before the store', async () => {
    const { store, open, dataDir } = await fresh();
    const persisted: NewAccessKey[] = [];
    const admin = await store.ensureAdministrator(async (key) => {
      persisted.push(key);
      await writeCredentialsFile(join(dataDir, 'credentials'), key);
    });
    assert.ok(admin);
    assert.equal(admin.principalName, ADMINISTRATOR_NAME);
    assert.equal(admin.arn, 'arn:aws:iam::123456789012:user/admin');
    assert.match(admin.accessKeyId, ACCESS_KEY_ID_PATTERN);
    assert.equal(admin.secretAccessKey.length, 40);
    assert.equal(persisted.length, 1);
    assert.equal(await store.ensureAdministrator(async () => assert.fail('not again')), undefined);

    const reopened = await open();
    assert.equal(await reopened.ensureAdministrator(async () => assert.fail('not after restart')), undefined);
    const resolved = reopened.lookupAccessKey(admin.accessKeyId);
    assert.equal(resolved?.secretAccessKey, admin.secretAccessKey);
    assert.equal(resolved?.caller.arn, admin.arn);
    assert.equal(resolved?.caller.accessKeyId, admin.accessKeyId);
    assert.deepEqual(resolved?.caller.policies, [{ Version: '2012-10-17', Statement: [{ Sid: 'AdministratorAccess', Effect: 'Allow', Action: '*', Resource: '*' }] }]);
    const credentials = parseCredentialsFile(readFileSync(join(dataDir, 'credentials'), 'utf8'));
    assert.deepEqual(credentials.default, { aws_access_key_id: admin.accessKeyId, aws_secret_access_key: admin.secretAccessKey });
    assert.equal(statSync(join(dataDir, 'credentials')).mode & 0o777, 0o600);
  });

  it('a failure to persist the first key leaves the store empty, so the next start tries again', async () => {
    const { store, open } = await fresh();
    await assert.rejects(store.ensureAdministrator(async () => Promise.reject(new Error('disk full'))), /disk full/);
    assert.equal(store.size, 0);
    assert.equal((await open()).size, 0);
  });

  it('keeps secret access keys only sealed: no secret, in any encoding, in any file but credentials', async () => {
    const { store, dataDir, open } = await fresh();
    const admin = await store.ensureAdministrator(async () => undefined);
    await store.createPrincipal('app', [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'kms:Encrypt', Resource: '*' }] }]);
    const key = await store.createAccessKey('app');
    const secrets = [key.secretAccessKey, admin!.secretAccessKey];
    for (const file of filesUnder(dataDir)) {
      const content = readFileSync(file);
      for (const secret of secrets) {
        for (const form of [secret, Buffer.from(secret).toString('base64'), Buffer.from(secret).toString('hex')]) {
          assert.ok(!content.includes(form), `${file} holds a secret access key`);
        }
      }
      assert.ok(!content.includes('kms:Encrypt'), `${file} holds a policy in plaintext`);
    }
    assert.equal(statSync(join(dataDir, 'identity', PRINCIPALS_FILE)).mode & 0o777, 0o600);
    assert.equal((await open()).lookupAccessKey(key.accessKeyId)?.secretAccessKey, key.secretAccessKey);
  });

  it('lists principals without secrets', async () => {
    const { store } = await fresh();
    await store.createPrincipal('reader');
    const key = await store.createAccessKey('reader');
    const listed = JSON.stringify(store.list());
    assert.ok(listed.includes(key.accessKeyId));
    assert.ok(!listed.includes(key.secretAccessKey));
  });

  it('refuses duplicate and invalid names, unknown principals, a third key', async () => {
    const { store } = await fresh();
    await store.createPrincipal('dup');
    await assert.rejects(store.createPrincipal('dup'), (e: unknown) => e instanceof PrincipalError && e.code === 'ALREADY_EXISTS');
    await assert.rejects(store.createPrincipal('bad name'), (e: unknown) => e instanceof PrincipalError && e.code === 'INVALID_NAME');
    await assert.rejects(store.createAccessKey('ghost'), (e: unknown) => e instanceof PrincipalError && e.code === 'NOT_FOUND');
    await store.createAccessKey('dup');
    await store.createAccessKey('dup');
    await assert.rejects(store.createAccessKey('dup'), (e: unknown) => e instanceof PrincipalError && e.code === 'LIMIT_EXCEEDED');
  });

  it('a deleted access key or principal no longer authenticates, also after a restart', async () => {
    const { store, open } = await fresh();
    await store.createPrincipal('temp');
    const k1 = await store.createAccessKey('temp');
    const k2 = await store.createAccessKey('temp');
    await store.deleteAccessKey(k1.accessKeyId);
    assert.equal(store.lookupAccessKey(k1.accessKeyId), undefined);
    assert.ok(store.lookupAccessKey(k2.accessKeyId));
    await store.deletePrincipal('temp');
    assert.equal(store.lookupAccessKey(k2.accessKeyId), undefined);
    const reopened = await open();
    assert.equal(reopened.lookupAccessKey(k2.accessKeyId), undefined);
    assert.equal(reopened.get('temp'), undefined);
  });

  it('a damaged store is an error at open and is left as it was', async () => {
    const { store, dir, open } = await fresh();
    await store.createPrincipal('x');
    const path = join(dir, PRINCIPALS_FILE);
    const damaged = readFileSync(path);
    damaged[damaged.length - 5]! ^= 0x01;
    writeFileSync(path, damaged);
    await assert.rejects(open(), /damaged|unreadable/);
    assert.deepEqual(readFileSync(path), damaged);
  });

  it('concurrent writes are serialised and all kept', async () => {
    const { store, open } = await fresh();
    await Promise.all(Array.from({ length: 8 }, (_, i) => store.createPrincipal(`p${i}`)));
    assert.equal((await open()).size, 8);
  });
});

describe('credentials file', () => {
  it('is the AWS shared-credentials format', () => {
    const text = formatCredentialsFile({ accessKeyId: 'AKIAAAAAAAAAAAAAAAAA', secretAccessKey: 'abc/def+ghi' });
    assert.equal(text, '[default]\naws_access_key_id = AKIAAAAAAAAAAAAAAAAA\naws_secret_access_key = abc/def+ghi\n');
    assert.deepEqual(parseCredentialsFile(text), { default: { aws_access_key_id: 'AKIAAAAAAAAAAAAAAAAA', aws_secret_access_key: 'abc/def+ghi' } });
  });
});
