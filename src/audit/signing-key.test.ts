import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRootKey } from '../crypto/root-key.ts';
import { fileSigningKeyLoader, sealedFileSigningKeyLoader } from './signing-key.ts';
import { publicKeyFingerprint } from './trail-format.ts';

test('a signing key sealed under the root key is never on disk in plaintext and loads back the same', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sealmq-audit-key-'));
  try {
    const rootKey = await openRootKey({ dir: join(dir, 'kms') });
    const path = join(dir, 'audit-signing-key.sealed');
    const first = await sealedFileSigningKeyLoader(path, rootKey).loadSigningKey();
    const second = await sealedFileSigningKeyLoader(path, rootKey).loadSigningKey();
    assert.equal(publicKeyFingerprint(first), publicKeyFingerprint(second));
    const onDisk = await readFile(path);
    const pkcs8 = first.export({ format: 'der', type: 'pkcs8' });
    assert.equal(onDisk.includes(pkcs8.subarray(-32)), false, 'the private key bytes are not in the file');
    assert.equal(onDisk.toString('latin1').includes('PRIVATE KEY'), false);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the file loader keeps the key it created', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sealmq-audit-key-'));
  try {
    const path = join(dir, 'k.pem');
    const first = await fileSigningKeyLoader(path).loadSigningKey();
    const second = await fileSigningKeyLoader(path).loadSigningKey();
    assert.equal(publicKeyFingerprint(first), publicKeyFingerprint(second));
    assert.equal(first.asymmetricKeyType, 'ed25519');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
