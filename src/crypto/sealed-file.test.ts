import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openRootKey } from './root-key.ts';
import { readSealedJson, SealedFileError, writeSealedJson } from './sealed-file.ts';

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});
async function setup() {
  const dir = await mkdtemp(join(tmpdir(), 'sealmq-sealed-'));
  dirs.push(dir);
  return { dir, rootKey: await openRootKey({ dir }) };
}

describe('sealed JSON files', () => {
  it('round-trips a value, mode 0600, no plaintext on disk, no temporary files left', async () => {
    const { dir, rootKey } = await setup();
    const path = join(dir, 'store.sealed');
    await writeSealedJson(path, rootKey, 'kms-store', { secret: 'very-secret-value', n: 1 });
    assert.deepEqual(await readSealedJson(path, rootKey, 'kms-store'), { secret: 'very-secret-value', n: 1 });
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.ok(!(await readFile(path)).includes(Buffer.from('very-secret-value')));
    assert.deepEqual((await readdir(dir)).sort(), ['root.key', 'store.sealed']);
  });

  it('an absent file reads as undefined', async () => {
    const { dir, rootKey } = await setup();
    assert.equal(await readSealedJson(join(dir, 'none.sealed'), rootKey, 'p'), undefined);
  });

  it('a damaged file, a wrong purpose or another root key is a SealedFileError naming the file', async () => {
    const { dir, rootKey } = await setup();
    const path = join(dir, 'store.sealed');
    await writeSealedJson(path, rootKey, 'p', { a: 1 });
    await assert.rejects(readSealedJson(path, rootKey, 'q'), (e: unknown) => e instanceof SealedFileError && e.message.includes(path));
    const bytes = await readFile(path);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 1;
    await writeFile(path, bytes);
    await assert.rejects(readSealedJson(path, rootKey, 'p'), SealedFileError);
    await writeFile(path, bytes.subarray(0, 5));
    await assert.rejects(readSealedJson(path, rootKey, 'p'), SealedFileError);
    const other = await setup();
    await writeSealedJson(path, other.rootKey, 'p', { a: 1 });
    await assert.rejects(readSealedJson(path, rootKey, 'p'), SealedFileError);
  });
});
