// The key that signs audit digests: how the trail gets it (an injected loader, so the composition
// root can keep it sealed under the KMS root key) and the default loader, a PKCS#8 PEM file of mode
// 0600 created on first use. Keep that file outside the audit directory's write permissions where
// you can: whoever holds the signing key can rewrite history (security.md 1.4).
import { generateKeyPairSync, createPrivateKey, type KeyObject } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { RootKey } from '../crypto/root-key.ts';
import { readSealedJson, writeSealedJson } from '../crypto/sealed-file.ts';
import { writeFileAtomic } from '../util/atomic-file.ts';
import type { SignatureAlgorithm } from './trail-format.ts';

/** Where the trail gets its private signing key (Ed25519 or RSA). */
export interface AuditSigningKeyLoader {
  /** Returns the private key, creating it on first use if the loader does that. */
  loadSigningKey(): Promise<KeyObject>;
}

/** Makes a new private signing key: Ed25519, or RSA-3072 for SHA256withRSA (FIPS-approved profile). */
export function generateSigningKey(algorithm: SignatureAlgorithm = 'Ed25519'): KeyObject {
  if (algorithm === 'Ed25519') return generateKeyPairSync('ed25519').privateKey;
  return generateKeyPairSync('rsa', { modulusLength: 3072 }).privateKey;
}

/** A loader for a key already in memory (tests; a key unsealed by the composition root). */
export function staticSigningKeyLoader(privateKey: KeyObject): AuditSigningKeyLoader {
  return { loadSigningKey: async () => privateKey };
}

/**
 * A loader that reads a PKCS#8 PEM private key from `path`, or creates one there (mode 0600, folder
 * 0700) when the file does not exist yet.
 */
export function fileSigningKeyLoader(path: string, algorithm: SignatureAlgorithm = 'Ed25519'): AuditSigningKeyLoader {
  return {
    async loadSigningKey() {
      let pem: Buffer | undefined;
      try {
        pem = await readFile(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
      if (pem !== undefined) {
        try {
          return createPrivateKey({ key: pem, format: 'pem' });
        } finally {
          pem.fill(0);
        }
      }
      const privateKey = generateSigningKey(algorithm);
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      const keyPem = Buffer.from(privateKey.export({ format: 'pem', type: 'pkcs8' }));
      try {
        await writeFileAtomic(path, keyPem, 0o600);
      } finally {
        keyPem.fill(0);
      }
      return privateKey;
    },
  };
}

/** The purpose a sealed signing-key file is bound to, so it cannot be swapped for another sealed file. */
export const AUDIT_SIGNING_KEY_PURPOSE = 'sealmq/audit-signing-key/v1';

/**
 * A loader that keeps the private key sealed under the KMS root key (src/crypto/sealed-file.ts) at
 * `path`, creating it on first use: the key is then never on disk in plaintext.
 */
export function sealedFileSigningKeyLoader(path: string, rootKey: RootKey, algorithm: SignatureAlgorithm = 'Ed25519'): AuditSigningKeyLoader {
  return {
    async loadSigningKey() {
      const sealed = await readSealedJson<{ privateKeyPem: string }>(path, rootKey, AUDIT_SIGNING_KEY_PURPOSE);
      if (sealed !== undefined) return createPrivateKey({ key: sealed.privateKeyPem, format: 'pem' });
      const privateKey = generateSigningKey(algorithm);
      await writeSealedJson(path, rootKey, AUDIT_SIGNING_KEY_PURPOSE, {
        privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
      });
      return privateKey;
    },
  };
}
