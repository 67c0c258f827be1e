// A small KeyProvider for store tests: a real AES-256-GCM key wrap under an in-memory master key,
// the encryption context bound as AAD (sorted JSON), and a switch that makes it refuse the way a
// disabled KMS key does. Stands in for the embedded KMS (src/kms) until that is wired to the store.

import { aes256Gcm, randomSecretBytes } from '../../src/crypto/aead.ts';
import {
  DecryptionFailedError,
  KeyUnavailableError,
  KeyUnavailableReason,
  type DataKeyRequest,
  type DecryptDataKeyRequest,
  type GeneratedDataKey,
  type KeyProvider,
} from '../../src/crypto/key-provider.ts';

function contextAad(keyId: string, context: Readonly<Record<string, string>>): Buffer {
  const sorted = Object.keys(context)
    .sort()
    .map((k) => [k, context[k]]);
  return Buffer.from(JSON.stringify([keyId, sorted]), 'utf8');
}

export class TestKeyProvider implements KeyProvider {
  readonly #masterKeys = new Map<string, Buffer>();
  disabled = false;
  generateCalls = 0;
  decryptCalls = 0;

  /** `masterKey` (32 bytes) lets another process unwrap the same data keys (crash tests). */
  constructor(keyIds: readonly string[] = ['test-key'], masterKey?: Buffer) {
    for (const keyId of keyIds) this.#masterKeys.set(keyId, masterKey ?? randomSecretBytes(32));
  }

  #masterKey(keyId: string): Buffer {
    if (this.disabled) throw new KeyUnavailableError(KeyUnavailableReason.DISABLED, keyId, `${keyId} is disabled.`);
    const master = this.#masterKeys.get(keyId);
    if (master === undefined) throw new KeyUnavailableError(KeyUnavailableReason.NOT_FOUND, keyId, `${keyId} not found`);
    return master;
  }

  async generateDataKey(request: DataKeyRequest): Promise<GeneratedDataKey> {
    this.generateCalls++;
    const master = this.#masterKey(request.keyId);
    const plaintextDataKey = randomSecretBytes(32);
    const nonce = randomSecretBytes(12);
    const keyIdBytes = Buffer.from(request.keyId, 'utf8');
    const sealed = aes256Gcm.seal(master, nonce, contextAad(request.keyId, request.encryptionContext), plaintextDataKey);
    const encryptedDataKey = Buffer.concat([Buffer.from([1, keyIdBytes.length]), keyIdBytes, nonce, sealed]);
    return { plaintextDataKey, encryptedDataKey, keyArn: `arn:aws:kms:test:000000000000:key/${request.keyId}` };
  }

  async decryptDataKey(request: DecryptDataKeyRequest): Promise<Buffer> {
    this.decryptCalls++;
    const blob = request.encryptedDataKey;
    if (blob.length < 2 || blob[0] !== 1) throw new DecryptionFailedError();
    const keyIdLength = blob[1]!;
    const keyId = blob.subarray(2, 2 + keyIdLength).toString('utf8');
    if (request.keyId !== undefined && request.keyId !== keyId) throw new DecryptionFailedError();
    const master = this.#masterKey(keyId);
    const nonce = blob.subarray(2 + keyIdLength, 14 + keyIdLength);
    const sealed = blob.subarray(14 + keyIdLength);
    return aes256Gcm.open(master, nonce, contextAad(keyId, request.encryptionContext), sealed);
  }
}
