// The KMS ciphertext blob and the canonical encoding of an encryption context. Owns the byte layout
// and the AES-256-GCM sealing under one version of a KMS key's material; which key and version to
// use, and what a failure means to the caller, are left to the service.
//
// Ciphertext blob (big-endian), at most 49 + 4096 bytes for Encrypt, well under AWS's 6144:
//   0      1                      17                  21          33         49
//   +------+----------------------+-------------------+-----------+----------+-------------+
//   | 0x01 | key id (UUID, 16 B)  | material version  | nonce 12B | tag 16 B | ciphertext  |
//   +------+----------------------+-------------------+-----------+----------+-------------+
//   AAD = bytes 0..21 (version, key id, material version) | encodeEncryptionContext(context)
//
// Encryption context encoding (unambiguous: {"ab":"c"} and {"a":"bc"} differ):
//   count (u32) | for each pair sorted by the UTF-8 bytes of its key: keyLen (u32) | key | valueLen (u32) | value
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export const CIPHERTEXT_VERSION = 0x01;
export const CIPHERTEXT_HEADER_BYTES = 21;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
export const CIPHERTEXT_OVERHEAD_BYTES = CIPHERTEXT_HEADER_BYTES + NONCE_BYTES + TAG_BYTES;
export const CIPHERTEXT_MAX_BYTES = 6144;

export type EncryptionContext = Readonly<Record<string, string>>;

export interface CiphertextHeader {
  readonly keyId: string;
  readonly materialVersion: number;
}

/** The blob is not one of ours, or is truncated; the caller reports InvalidCiphertextException. */
export class CiphertextFormatError extends Error {
  constructor() {
    super('decryption failed');
    this.name = 'CiphertextFormatError';
  }
}

/** Authentication failed: a changed byte or another encryption context. */
export class CiphertextAuthError extends Error {
  constructor() {
    super('decryption failed');
    this.name = 'CiphertextAuthError';
  }
}

export function encodeEncryptionContext(context: EncryptionContext | undefined): Buffer {
  const pairs = Object.entries(context ?? {}).map(([k, v]) => [Buffer.from(k, 'utf8'), Buffer.from(v, 'utf8')] as const);
  pairs.sort((a, b) => Buffer.compare(a[0], b[0]));
  const parts: Buffer[] = [u32(pairs.length)];
  for (const [k, v] of pairs) parts.push(u32(k.length), k, u32(v.length), v);
  return Buffer.concat(parts);
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

function uuidToBytes(keyId: string): Buffer {
  const hex = keyId.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/.test(hex)) throw new Error(`assertion failed: key id is not a UUID`);
  return Buffer.from(hex, 'hex');
}

function bytesToUuid(bytes: Buffer): string {
  const h = bytes.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Reads the header without authenticating anything. */
export function parseCiphertextHeader(blob: Buffer): CiphertextHeader {
  if (blob.length < CIPHERTEXT_OVERHEAD_BYTES || blob.length > CIPHERTEXT_MAX_BYTES || blob[0] !== CIPHERTEXT_VERSION) {
    throw new CiphertextFormatError();
  }
  return { keyId: bytesToUuid(blob.subarray(1, 17)), materialVersion: blob.readUInt32BE(17) };
}

export function sealCiphertext(
  plaintextKeyMaterial: Buffer,
  header: CiphertextHeader,
  plaintext: Buffer,
  context: EncryptionContext | undefined,
): Buffer {
  const head = Buffer.alloc(CIPHERTEXT_HEADER_BYTES);
  head[0] = CIPHERTEXT_VERSION;
  uuidToBytes(header.keyId).copy(head, 1);
  head.writeUInt32BE(header.materialVersion, 17);
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', plaintextKeyMaterial, nonce);
  cipher.setAAD(Buffer.concat([head, encodeEncryptionContext(context)]));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([head, nonce, cipher.getAuthTag(), body]);
}

export function openCiphertext(plaintextKeyMaterial: Buffer, blob: Buffer, context: EncryptionContext | undefined): Buffer {
  parseCiphertextHeader(blob);
  const head = blob.subarray(0, CIPHERTEXT_HEADER_BYTES);
  const nonce = blob.subarray(CIPHERTEXT_HEADER_BYTES, CIPHERTEXT_HEADER_BYTES + NONCE_BYTES);
  const tag = blob.subarray(CIPHERTEXT_HEADER_BYTES + NONCE_BYTES, CIPHERTEXT_OVERHEAD_BYTES);
  const body = blob.subarray(CIPHERTEXT_OVERHEAD_BYTES);
  try {
    const decipher = createDecipheriv('aes-256-gcm', plaintextKeyMaterial, nonce);
    decipher.setAAD(Buffer.concat([head, encodeEncryptionContext(context)]));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    throw new CiphertextAuthError();
  }
}
