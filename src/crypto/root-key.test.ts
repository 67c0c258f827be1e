import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openRootKey, RootKeyError, RootKeySealError, ROOT_KEY_FILE, ROOT_KEY_PARAMS_FILE } from './root-key.ts';

const cheap = { N: 1024, r: 8, p: 1 };
const dirs: string[] = [];
async function freshDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sealmq-rootkey-'));
  dirs.push(dir);
  return join(dir, 'kms');
}
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

function assertRootKeyError(code: string) {
  return (error: unknown) => error instanceof RootKeyError && error.code === code;
}

describe('root key (random key file)', () => {
  it('creates root.key with mode 0600 on first start and reuses it later', async () => {
    const dir = await freshDir();
    const first = await openRootKey({ dir });
    const sealed = first.seal(Buffer.from('hello'), 'test');
    const mode = (await stat(join(dir, ROOT_KEY_FILE))).mode & 0o777;
    assert.equal(mode, 0o600);
    const second = await openRootKey({ dir });
    assert.equal(second.open(sealed, 'test').toString(), 'hello');
  });

  it('binds the purpose as AAD and detects any changed byte', async () => {
    const key = await openRootKey({ dir: await freshDir() });
    const sealed = key.seal(Buffer.from('secret'), 'a');
    assert.throws(() => key.open(sealed, 'b'), RootKeySealError);
    for (let i = 0; i < sealed.length; i++) {
      const changed = Buffer.from(sealed);
      changed[i] = changed[i]! ^ 0x01;
      assert.throws(() => key.open(changed, 'a'), RootKeySealError);
    }
  });

  it('uses a fresh nonce for every seal', async () => {
    const key = await openRootKey({ dir: await freshDir() });
    assert.notDeepEqual(key.seal(Buffer.from('x'), 'p'), key.seal(Buffer.from('x'), 'p'));
  });

  it('the key is the last 32 bytes of root.key; files in the first layout (key before checksum) still open', async () => {
    const dir = await freshDir();
    const key = await openRootKey({ dir });
    const sealed = key.seal(Buffer.from('layout'), 'p');
    const bytes = await readFile(join(dir, ROOT_KEY_FILE));
    assert.equal(bytes.length, 72);
    const { createHash } = await import('node:crypto');
    assert.deepEqual(bytes.subarray(8, 40), createHash('sha256').update(bytes.subarray(0, 8)).update(bytes.subarray(-32)).digest());
    await writeFile(join(dir, ROOT_KEY_FILE), Buffer.concat([bytes.subarray(0, 8), bytes.subarray(40), bytes.subarray(8, 40)]));
    assert.equal((await openRootKey({ dir })).open(sealed, 'p').toString(), 'layout');
  });

  it('a damaged root.key is ROOT_KEY_DAMAGED', async () => {
    const dir = await freshDir();
    await openRootKey({ dir });
    const bytes = await readFile(join(dir, ROOT_KEY_FILE));
    bytes[12] = bytes[12]! ^ 0xff;
    await writeFile(join(dir, ROOT_KEY_FILE), bytes);
    await assert.rejects(openRootKey({ dir }), assertRootKeyError('ROOT_KEY_DAMAGED'));
  });

  it('a folder with sealed data but no root key is ROOT_KEY_MISSING, not a fresh key', async () => {
    const dir = await freshDir();
    await openRootKey({ dir });
    await writeFile(join(dir, 'keystore.sealed'), 'x');
    await rm(join(dir, ROOT_KEY_FILE));
    await assert.rejects(openRootKey({ dir }), assertRootKeyError('ROOT_KEY_MISSING'));
    assert.deepEqual((await readdir(dir)).sort(), ['keystore.sealed']);
  });

  it('two starts racing on an empty folder end up with one and the same root key', async () => {
    const dir = await freshDir();
    const keys = await Promise.all([openRootKey({ dir }), openRootKey({ dir }), openRootKey({ dir })]);
    const sealed = keys[0]!.seal(Buffer.from('x'), 'p');
    for (const key of keys) assert.equal(key.open(sealed, 'p').toString(), 'x');
    assert.deepEqual(await readdir(dir), [ROOT_KEY_FILE]);
  });

  it('a temporary file left by a crash mid-write is removed at the next start', async () => {
    const dir = await freshDir();
    await openRootKey({ dir });
    await writeFile(join(dir, `${ROOT_KEY_FILE}.tmp-abc123`), 'partial key');
    await openRootKey({ dir });
    assert.deepEqual(await readdir(dir), [ROOT_KEY_FILE]);
  });

  it('destroy() makes the key unusable', async () => {
    const key = await openRootKey({ dir: await freshDir() });
    key.destroy();
    assert.throws(() => key.seal(Buffer.from('x'), 'p'));
  });
});

describe('root key (passphrase)', () => {
  it('derives the key, writes it nowhere, and re-derives the same key', async () => {
    const dir = await freshDir();
    const first = await openRootKey({ dir, passphrase: 'correct horse', scryptCost: cheap });
    const sealed = first.seal(Buffer.from('hello'), 'p');
    assert.deepEqual(await readdir(dir), [ROOT_KEY_PARAMS_FILE]);
    const params = JSON.parse(await readFile(join(dir, ROOT_KEY_PARAMS_FILE), 'utf8'));
    assert.equal(params.N, 1024);
    const second = await openRootKey({ dir, passphrase: 'correct horse' });
    assert.equal(second.open(sealed, 'p').toString(), 'hello');
  });

  it('a wrong passphrase is WRONG_PASSPHRASE, never a fresh key', async () => {
    const dir = await freshDir();
    await openRootKey({ dir, passphrase: 'correct horse', scryptCost: cheap });
    const before = await readFile(join(dir, ROOT_KEY_PARAMS_FILE));
    await assert.rejects(openRootKey({ dir, passphrase: 'wrong horse' }), assertRootKeyError('WRONG_PASSPHRASE'));
    assert.deepEqual(await readFile(join(dir, ROOT_KEY_PARAMS_FILE)), before);
  });

  it('passphrase on a key-file folder, or none on a passphrase folder, is PASSPHRASE_MODE_MISMATCH', async () => {
    const a = await freshDir();
    await openRootKey({ dir: a });
    await assert.rejects(openRootKey({ dir: a, passphrase: 'x', scryptCost: cheap }), assertRootKeyError('PASSPHRASE_MODE_MISMATCH'));
    const b = await freshDir();
    await openRootKey({ dir: b, passphrase: 'x', scryptCost: cheap });
    await assert.rejects(openRootKey({ dir: b }), assertRootKeyError('PASSPHRASE_MODE_MISMATCH'));
  });

  it('damaged parameters are ROOT_KEY_DAMAGED', async () => {
    const dir = await freshDir();
    await openRootKey({ dir, passphrase: 'x', scryptCost: cheap });
    await writeFile(join(dir, ROOT_KEY_PARAMS_FILE), '{"version":1');
    await assert.rejects(openRootKey({ dir, passphrase: 'x' }), assertRootKeyError('ROOT_KEY_DAMAGED'));
  });
});
