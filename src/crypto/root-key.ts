// The embedded KMS's root key: the one key that protects every KMS key's material at rest. It owns
// creating the key on first start (a random key file, or a key derived from a passphrase that is
// written nowhere), recognising it on later starts, and sealing/opening small blobs under it.
// What is sealed (the key store's JSON) and where it is written is left to sealed-file.ts and src/kms.
//
// Files in <dir>:
//   root.key        random mode: 'SMQROOT1' (8) | SHA-256(magic | key) (32) | plaintextRootKey (32), mode 0600
//                   (files from before 2026-11-29 have key and checksum the other way round; still read)
//   root-key.json   passphrase mode: {"version":1,"kdf":"scrypt","N","r","p","salt","verifier"}; no key
//
// Sealed blob: 0x01 (version) | nonce (12) | GCM tag (16) | ciphertext; AAD = 0x01 | UTF-8(purpose).
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { link, mkdir, open, readFile, readdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';

export interface ScryptCost {
  N: number;
  r: number;
  p: number;
}

export interface RootKeyOptions {
  /** The KMS folder of the data directory, e.g. `DATA/kms`; created when absent. */
  dir: string;
  /** When given, the root key is derived from it with scrypt and written nowhere. */
  passphrase?: string;
  /** scrypt cost for a new passphrase-derived key; OWASP's N=2^17, r=8, p=1 by default. Tests pass a small cost. */
  scryptCost?: ScryptCost;
}

export const RootKeyErrorCode = {
  WRONG_PASSPHRASE: 'WRONG_PASSPHRASE',
  ROOT_KEY_DAMAGED: 'ROOT_KEY_DAMAGED',
  ROOT_KEY_MISSING: 'ROOT_KEY_MISSING',
  PASSPHRASE_MODE_MISMATCH: 'PASSPHRASE_MODE_MISMATCH',
} as const;
export type RootKeyErrorCode = (typeof RootKeyErrorCode)[keyof typeof RootKeyErrorCode];

/** The root key cannot be opened; the start must stop (never replaced by a fresh key). */
export class RootKeyError extends Error {
  constructor(
    readonly code: RootKeyErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RootKeyError';
  }
}

/** A sealed blob failed to open under the root key: damaged, or sealed for another purpose or key. */
export class RootKeySealError extends Error {
  readonly code = 'ROOT_SEAL_OPEN_FAILED';
  constructor() {
    super('decryption failed');
    this.name = 'RootKeySealError';
  }
}

export const ROOT_KEY_FILE = 'root.key';
export const ROOT_KEY_PARAMS_FILE = 'root-key.json';
export const DEFAULT_SCRYPT_COST: ScryptCost = { N: 2 ** 17, r: 8, p: 1 };

const ROOT_KEY_MAGIC = Buffer.from('SMQROOT1', 'ascii');
const ROOT_KEY_BYTES = 32;
const SEAL_VERSION = 0x01;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const VERIFIER_LABEL = 'sealmq root key verifier v1';

/** The root key in memory. Zeroed by destroy(). */
export class RootKey {
  #plaintextRootKey: Buffer | undefined;

  /** @internal Use openRootKey(). */
  constructor(plaintextRootKey: Buffer) {
    if (plaintextRootKey.length !== ROOT_KEY_BYTES) throw new Error('assertion failed: root key must be 32 bytes');
    this.#plaintextRootKey = Buffer.from(plaintextRootKey);
  }

  /** AES-256-GCM with a random 96-bit nonce; the purpose is bound as AAD. */
  seal(plaintext: Buffer, purpose: string): Buffer {
    const key = this.#key();
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, nonce);
    cipher.setAAD(sealAad(purpose));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([Buffer.from([SEAL_VERSION]), nonce, cipher.getAuthTag(), body]);
  }

  /** Opens a blob from seal(); throws RootKeySealError if it was changed or sealed for another purpose. */
  open(sealed: Buffer, purpose: string): Buffer {
    const key = this.#key();
    if (sealed.length < 1 + NONCE_BYTES + TAG_BYTES || sealed[0] !== SEAL_VERSION) throw new RootKeySealError();
    const nonce = sealed.subarray(1, 1 + NONCE_BYTES);
    const tag = sealed.subarray(1 + NONCE_BYTES, 1 + NONCE_BYTES + TAG_BYTES);
    const body = sealed.subarray(1 + NONCE_BYTES + TAG_BYTES);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, nonce);
      decipher.setAAD(sealAad(purpose));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(body), decipher.final()]);
    } catch {
      throw new RootKeySealError();
    }
  }

  /** Zeroes the key in memory; any later use throws. */
  destroy(): void {
    this.#plaintextRootKey?.fill(0);
    this.#plaintextRootKey = undefined;
  }

  #key(): Buffer {
    if (this.#plaintextRootKey === undefined) throw new Error('assertion failed: root key used after destroy()');
    return this.#plaintextRootKey;
  }
}

function sealAad(purpose: string): Buffer {
  return Buffer.concat([Buffer.from([SEAL_VERSION]), Buffer.from(purpose, 'utf8')]);
}

/**
 * Opens the root key in `dir`, creating it on first start (an empty or absent folder). A folder that
 * holds sealed data but no root key is ROOT_KEY_MISSING, never a fresh key.
 */
export async function openRootKey(options: RootKeyOptions): Promise<RootKey> {
  const { dir, passphrase } = options;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await removeTemporaryFiles(dir, [ROOT_KEY_FILE, ROOT_KEY_PARAMS_FILE]);
  const keyPath = join(dir, ROOT_KEY_FILE);
  const paramsPath = join(dir, ROOT_KEY_PARAMS_FILE);
  const hasKeyFile = await exists(keyPath);
  const hasParams = await exists(paramsPath);

  if (hasKeyFile && hasParams) {
    throw new RootKeyError(
      'ROOT_KEY_DAMAGED',
      `both ${keyPath} and ${paramsPath} exist; the KMS folder is in an unknown state, refusing to guess which root key is right`,
    );
  }
  if (passphrase !== undefined && passphrase.length === 0) {
    throw new RootKeyError('WRONG_PASSPHRASE', 'the root key passphrase (SEALMQ_ROOT_PASSPHRASE) is empty');
  }
  if (passphrase !== undefined && hasKeyFile) {
    throw new RootKeyError(
      'PASSPHRASE_MODE_MISMATCH',
      `a root passphrase was given (SEALMQ_ROOT_PASSPHRASE) but ${dir} was created with a root key file (${ROOT_KEY_FILE}); start without the passphrase`,
    );
  }
  if (passphrase === undefined && hasParams) {
    throw new RootKeyError(
      'PASSPHRASE_MODE_MISMATCH',
      `${dir} was created with a root passphrase; set SEALMQ_ROOT_PASSPHRASE to the same passphrase to start`,
    );
  }
  if (!hasKeyFile && !hasParams && (await holdsSealedData(dir))) {
    throw new RootKeyError(
      'ROOT_KEY_MISSING',
      `${dir} holds sealed KMS data but no root key (${ROOT_KEY_FILE} or ${ROOT_KEY_PARAMS_FILE}); restore it from backup`,
    );
  }

  if (passphrase !== undefined) {
    return hasParams ? openPassphraseKey(paramsPath, passphrase) : createPassphraseKey(dir, paramsPath, passphrase, options.scryptCost);
  }
  return hasKeyFile ? openKeyFile(keyPath) : createKeyFile(dir, keyPath);
}

/** Removes `<name>.tmp-*` left by a crash mid-write (a root.key temporary file holds the key). */
export async function removeTemporaryFiles(dir: string, names: readonly string[]): Promise<void> {
  for (const entry of await readdir(dir)) {
    if (names.some((name) => entry.startsWith(`${name}.tmp-`))) await unlink(join(dir, entry)).catch(() => undefined);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

async function holdsSealedData(dir: string): Promise<boolean> {
  const names = await readdir(dir);
  return names.some((name) => name.endsWith('.sealed'));
}

async function createKeyFile(dir: string, keyPath: string): Promise<RootKey> {
  const plaintextRootKey = randomBytes(ROOT_KEY_BYTES);
  const checksum = keyFileChecksum(plaintextRootKey);
  const contents = Buffer.concat([ROOT_KEY_MAGIC, checksum, plaintextRootKey]);
  try {
    // Exclusive: if another process created the key first, use that one rather than replace it.
    if (!(await writeFileExclusive(dir, keyPath, contents))) return openKeyFile(keyPath);
    return new RootKey(plaintextRootKey);
  } finally {
    contents.fill(0);
    plaintextRootKey.fill(0);
  }
}

async function openKeyFile(keyPath: string): Promise<RootKey> {
  const contents = await readFile(keyPath);
  try {
    const expectedLength = ROOT_KEY_MAGIC.length + ROOT_KEY_BYTES + 32;
    if (contents.length !== expectedLength || !contents.subarray(0, ROOT_KEY_MAGIC.length).equals(ROOT_KEY_MAGIC)) {
      throw new RootKeyError('ROOT_KEY_DAMAGED', `root key file ${keyPath} is damaged (wrong length or header)`);
    }
    const first = contents.subarray(ROOT_KEY_MAGIC.length, ROOT_KEY_MAGIC.length + 32);
    const second = contents.subarray(ROOT_KEY_MAGIC.length + 32);
    if (timingSafeEqual(first, keyFileChecksum(second))) return new RootKey(second);
    if (timingSafeEqual(second, keyFileChecksum(first))) return new RootKey(first); // the first layout
    throw new RootKeyError('ROOT_KEY_DAMAGED', `root key file ${keyPath} is damaged (checksum mismatch)`);
  } finally {
    contents.fill(0);
  }
}

function keyFileChecksum(plaintextRootKey: Buffer): Buffer {
  return createHash('sha256').update(ROOT_KEY_MAGIC).update(plaintextRootKey).digest();
}

interface PassphraseParams {
  version: 1;
  kdf: 'scrypt';
  N: number;
  r: number;
  p: number;
  salt: string;
  verifier: string;
}

async function createPassphraseKey(dir: string, paramsPath: string, passphrase: string, cost = DEFAULT_SCRYPT_COST): Promise<RootKey> {
  const salt = randomBytes(16);
  const plaintextRootKey = await deriveKey(passphrase, salt, cost);
  try {
    const params: PassphraseParams = {
      version: 1,
      kdf: 'scrypt',
      N: cost.N,
      r: cost.r,
      p: cost.p,
      salt: salt.toString('base64'),
      verifier: verifierOf(plaintextRootKey).toString('base64'),
    };
    if (!(await writeFileExclusive(dir, paramsPath, Buffer.from(JSON.stringify(params, null, 2) + '\n', 'utf8')))) {
      return openPassphraseKey(paramsPath, passphrase);
    }
    return new RootKey(plaintextRootKey);
  } finally {
    plaintextRootKey.fill(0);
  }
}

async function openPassphraseKey(paramsPath: string, passphrase: string): Promise<RootKey> {
  const params = parseParams(paramsPath, await readFile(paramsPath, 'utf8'));
  const plaintextRootKey = await deriveKey(passphrase, Buffer.from(params.salt, 'base64'), params);
  try {
    const expected = Buffer.from(params.verifier, 'base64');
    const actual = verifierOf(plaintextRootKey);
    if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) {
      throw new RootKeyError(
        'WRONG_PASSPHRASE',
        `the root passphrase (SEALMQ_ROOT_PASSPHRASE) is not the one ${paramsPath} was created with`,
      );
    }
    return new RootKey(plaintextRootKey);
  } finally {
    plaintextRootKey.fill(0);
  }
}

function parseParams(paramsPath: string, text: string): PassphraseParams {
  const damaged = (why: string) => new RootKeyError('ROOT_KEY_DAMAGED', `root key parameters ${paramsPath} are damaged (${why})`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw damaged('not JSON');
  }
  const v = value as Partial<PassphraseParams> | null;
  const isPositiveInt = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n > 0;
  if (
    v === null ||
    typeof v !== 'object' ||
    v.version !== 1 ||
    v.kdf !== 'scrypt' ||
    !isPositiveInt(v.N) ||
    (v.N & (v.N - 1)) !== 0 ||
    v.N > 2 ** 24 ||
    !isPositiveInt(v.r) ||
    v.r > 64 ||
    !isPositiveInt(v.p) ||
    v.p > 16 ||
    typeof v.salt !== 'string' ||
    typeof v.verifier !== 'string' ||
    Buffer.from(v.salt, 'base64').length < 16 ||
    Buffer.from(v.verifier, 'base64').length !== 32
  ) {
    throw damaged('unexpected fields or values');
  }
  return v as PassphraseParams;
}

function verifierOf(plaintextRootKey: Buffer): Buffer {
  return createHmac('sha256', plaintextRootKey).update(VERIFIER_LABEL).digest();
}

function deriveKey(passphrase: string, salt: Buffer, cost: ScryptCost): Promise<Buffer> {
  const maxmem = 128 * cost.N * cost.r * cost.p + 64 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    scrypt(passphrase.normalize('NFC'), salt, ROOT_KEY_BYTES, { N: cost.N, r: cost.r, p: cost.p, maxmem }, (error, derived) => {
      if (error) reject(error);
      else resolve(derived);
    });
  });
}

/**
 * Like writeFileAtomic, but never replaces an existing file: the complete temporary file is hard-linked
 * into place. Returns false (and writes nothing) if `path` already exists.
 */
async function writeFileExclusive(dir: string, path: string, contents: Buffer): Promise<boolean> {
  const tmpPath = `${path}.tmp-${randomBytes(6).toString('hex')}`;
  try {
    const handle = await open(tmpPath, 'wx', 0o600);
    try {
      await handle.writeFile(contents);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await link(tmpPath, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    }
  } finally {
    await unlink(tmpPath).catch(() => undefined);
  }
  const dirHandle = await open(dir, 'r');
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
  return true;
}

/** Writes a file atomically: a fresh temporary file (mode 0600), fsync, rename, fsync of the folder. */
export async function writeFileAtomic(dir: string, path: string, contents: Buffer): Promise<void> {
  const tmpPath = `${path}.tmp-${randomBytes(6).toString('hex')}`;
  try {
    const handle = await open(tmpPath, 'wx', 0o600);
    try {
      await handle.writeFile(contents);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmpPath, path);
  } catch (error) {
    await unlink(tmpPath).catch(() => undefined);
    throw error;
  }
  const dirHandle = await open(dir, 'r');
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
}
