// A JSON value kept on disk sealed under the root key: written atomically (temporary file, fsync,
// rename, folder fsync, mode 0600) and read back with its integrity checked. What the value means
// (the KMS key store, the control plane's secrets) is left to the caller; so is choosing the purpose,
// which is bound as AAD so that one sealed file cannot be swapped for another.
//
// File: 'SMQSEAL1' (8 bytes) | RootKey.seal(UTF-8 JSON, purpose)
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { RootKeySealError, writeFileAtomic, type RootKey } from './root-key.ts';

const SEALED_FILE_MAGIC = Buffer.from('SMQSEAL1', 'ascii');

/** A sealed file exists but cannot be read: damaged, truncated, or sealed under another root key or purpose. */
export class SealedFileError extends Error {
  readonly code = 'SEALED_FILE_DAMAGED';
  constructor(
    readonly path: string,
    why: string,
  ) {
    super(`sealed file ${path} is damaged or unreadable (${why}); it was left untouched, restore it from backup`);
    this.name = 'SealedFileError';
  }
}

/** Seals `value` (as JSON) under the root key and writes it atomically with mode 0600. */
export async function writeSealedJson(path: string, rootKey: RootKey, purpose: string, value: unknown): Promise<void> {
  const plaintext = Buffer.from(JSON.stringify(value), 'utf8');
  try {
    const sealed = rootKey.seal(plaintext, purpose);
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await writeFileAtomic(dirname(path), path, Buffer.concat([SEALED_FILE_MAGIC, sealed]));
  } finally {
    plaintext.fill(0);
  }
}

/** Reads a file written by writeSealedJson; undefined if it does not exist. Throws SealedFileError if damaged. */
export async function readSealedJson<T>(path: string, rootKey: RootKey, purpose: string): Promise<T | undefined> {
  let contents: Buffer;
  try {
    contents = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if (contents.length < SEALED_FILE_MAGIC.length || !contents.subarray(0, SEALED_FILE_MAGIC.length).equals(SEALED_FILE_MAGIC)) {
    throw new SealedFileError(path, 'unknown header');
  }
  let plaintext: Buffer;
  try {
    plaintext = rootKey.open(contents.subarray(SEALED_FILE_MAGIC.length), purpose);
  } catch (error) {
    if (error instanceof RootKeySealError) {
      throw new SealedFileError(path, 'authentication failed: changed bytes, or another root key or purpose');
    }
    throw error;
  }
  try {
    return JSON.parse(plaintext.toString('utf8')) as T;
  } catch {
    throw new SealedFileError(path, 'not JSON');
  } finally {
    plaintext.fill(0);
  }
}
