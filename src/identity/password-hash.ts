// Password hashing for broker users: scrypt at OWASP strength (N=2^17, r=8, p=1; security.md
// section 7.1) with a 16-byte random salt and a 32-byte output, stored as a self-describing
// PHC-style string `$scrypt$ln=17,r=8,p=1$<salt b64>$<hash b64>` so parameters can rise later
// (`needsRehash`). Verification is constant-time. Who may log in is the user registry's business.

import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export interface PasswordHashOptions {
  /** log2 of scrypt's N. 17 by default (OWASP); tests may lower it. */
  readonly logN?: number;
  readonly r?: number;
  readonly p?: number;
}

/** Longest password accepted, to bound the work one attempt can cause. */
export const PASSWORD_MAX_BYTES = 1024;
const SALT_BYTES = 16;
const HASH_BYTES = 32;
const DEFAULT_LOG_N = 17;
const ENCODED_PATTERN = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

/** A password that cannot be hashed (too long). */
export class PasswordRejectedError extends Error {
  readonly code = 'PASSWORD_REJECTED';
  constructor() {
    super(`password longer than ${PASSWORD_MAX_BYTES} bytes`);
    this.name = 'PasswordRejectedError';
  }
}

function deriveKey(password: string, salt: Buffer, logN: number, r: number, p: number): Promise<Buffer> {
  const N = 2 ** logN;
  // Node's default maxmem (32 MiB) is below scrypt's 128*N*r bytes at N=2^17.
  const options: ScryptOptions = { N, r, p, maxmem: 128 * N * r * p + 16 * 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, HASH_BYTES, options, (error, derived) => (error ? reject(error) : resolve(derived)));
  });
}

function b64(bytes: Buffer): string {
  return bytes.toString('base64').replace(/=+$/, '');
}

/** Hashes a password with a fresh random salt. */
export async function hashPassword(password: string, options: PasswordHashOptions = {}): Promise<string> {
  if (Buffer.byteLength(password, 'utf8') > PASSWORD_MAX_BYTES) throw new PasswordRejectedError();
  const logN = options.logN ?? DEFAULT_LOG_N;
  const r = options.r ?? 8;
  const p = options.p ?? 1;
  const salt = randomBytes(SALT_BYTES);
  const hash = await deriveKey(password, salt, logN, r, p);
  return `$scrypt$ln=${logN},r=${r},p=${p}$${b64(salt)}$${b64(hash)}`;
}

/**
 * Whether `password` matches `encoded`. False for a malformed encoding or an over-long password;
 * the comparison of the derived hashes is constant-time.
 */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const match = ENCODED_PATTERN.exec(encoded);
  if (match === null) return false;
  const [, logN, r, p, saltText, hashText] = match;
  const expected = Buffer.from(hashText!, 'base64');
  const logNValue = Number(logN);
  if (expected.length !== HASH_BYTES || logNValue < 1 || logNValue > 22) return false;
  const tooLong = Buffer.byteLength(password, 'utf8') > PASSWORD_MAX_BYTES;
  // An over-long password still costs one derivation, so its rejection takes the usual time.
  const derived = await deriveKey(tooLong ? '' : password, Buffer.from(saltText!, 'base64'), logNValue, Number(r), Number(p));
  return timingSafeEqual(derived, expected) && !tooLong;
}

/** Whether a stored hash was made with weaker parameters than `options` ask for now. */
export function needsRehash(encoded: string, options: PasswordHashOptions = {}): boolean {
  const match = ENCODED_PATTERN.exec(encoded);
  if (match === null) return true;
  return Number(match[1]) < (options.logN ?? DEFAULT_LOG_N) || Number(match[2]) < (options.r ?? 8) || Number(match[3]) < (options.p ?? 1);
}
