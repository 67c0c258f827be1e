// Authenticated encryption for stored records: AES-256-GCM with a caller-supplied 96-bit nonce and
// AAD. This file owns the primitive and its uniform failure ("decryption failed", no oracle detail);
// callers own nonce uniqueness (the segment store derives nonces from its chunk index under a data
// key used for one segment only) and what the AAD binds.

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { DecryptionFailedError } from './key-provider.ts';

export const AEAD_KEY_BYTES = 32;
export const AEAD_NONCE_BYTES = 12;
export const AEAD_TAG_BYTES = 16;

/**
 * A record cipher. Output of `seal` is ciphertext followed by a 16-byte tag; `open` takes the same
 * and returns the plaintext or throws `DecryptionFailedError`.
 */
export interface RecordCipher {
  /** Algorithm name, for logs and format checks. */
  readonly name: string;
  seal(plaintextDataKey: Buffer, nonce: Buffer, aad: Buffer, plaintext: Buffer): Buffer;
  /** The same bytes as `seal`, as pieces to write in order (saves copying large chunks). */
  sealParts(plaintextDataKey: Buffer, nonce: Buffer, aad: Buffer, plaintext: Buffer): Buffer[];
  open(plaintextDataKey: Buffer, nonce: Buffer, aad: Buffer, ciphertextAndTag: Buffer): Buffer;
}

function checkKeyAndNonce(plaintextDataKey: Buffer, nonce: Buffer): void {
  // Precondition: the key is exactly 256 bits and the nonce 96 bits (NIST SP 800-38D deterministic IV).
  if (plaintextDataKey.length !== AEAD_KEY_BYTES) throw new RangeError('AES-256-GCM needs a 32-byte key');
  if (nonce.length !== AEAD_NONCE_BYTES) throw new RangeError('AES-256-GCM needs a 12-byte nonce');
}

/** AES-256-GCM, the only cipher reachable from configuration. */
export const aes256Gcm: RecordCipher = {
  name: 'AES-256-GCM',
  seal(plaintextDataKey, nonce, aad, plaintext) {
    checkKeyAndNonce(plaintextDataKey, nonce);
    const cipher = createCipheriv('aes-256-gcm', plaintextDataKey, nonce, { authTagLength: AEAD_TAG_BYTES });
    cipher.setAAD(aad);
    const out = Buffer.allocUnsafe(plaintext.length + AEAD_TAG_BYTES);
    const body = cipher.update(plaintext);
    body.copy(out, 0);
    const rest = cipher.final();
    rest.copy(out, body.length);
    cipher.getAuthTag().copy(out, plaintext.length);
    return out;
  },
  sealParts(plaintextDataKey, nonce, aad, plaintext) {
    checkKeyAndNonce(plaintextDataKey, nonce);
    const cipher = createCipheriv('aes-256-gcm', plaintextDataKey, nonce, { authTagLength: AEAD_TAG_BYTES });
    cipher.setAAD(aad);
    const body = cipher.update(plaintext);
    const rest = cipher.final();
    return rest.length === 0 ? [body, cipher.getAuthTag()] : [body, rest, cipher.getAuthTag()];
  },
  open(plaintextDataKey, nonce, aad, ciphertextAndTag) {
    checkKeyAndNonce(plaintextDataKey, nonce);
    if (ciphertextAndTag.length < AEAD_TAG_BYTES) throw new DecryptionFailedError();
    const split = ciphertextAndTag.length - AEAD_TAG_BYTES;
    try {
      const decipher = createDecipheriv('aes-256-gcm', plaintextDataKey, nonce, { authTagLength: AEAD_TAG_BYTES });
      decipher.setAAD(aad);
      decipher.setAuthTag(ciphertextAndTag.subarray(split));
      const body = decipher.update(ciphertextAndTag.subarray(0, split));
      const rest = decipher.final();
      return rest.length === 0 ? body : Buffer.concat([body, rest]);
    } catch {
      // Uniform failure: whether the tag, the AAD or the key was wrong is not said.
      throw new DecryptionFailedError();
    }
  },
};

/** Cryptographically random bytes (nonces for randomly-nonced blobs, test keys). */
export function randomSecretBytes(length: number): Buffer {
  return randomBytes(length);
}
