// The KeyProvider port: how the store and the brokers get data keys from the KMS. It speaks in
// plaintext and encrypted data keys and encryption contexts, never in HTTP. The embedded KMS
// implements it in-process (src/kms/kms-key-provider.ts) with the same authorization as its API.

/** Where a data key comes from and what it is bound to. */
export interface DataKeyRequest {
  /** KMS key id, ARN or alias the data key is generated under. */
  readonly keyId: string;
  /** Bound as AAD by the KMS; the same context is needed to unwrap the data key. */
  readonly encryptionContext: Readonly<Record<string, string>>;
  /** Grant tokens, for a grant that must be usable at once. */
  readonly grantTokens?: readonly string[];
}

/** A fresh data key: the plaintext copy for memory only, the encrypted copy to store beside the data. */
export interface GeneratedDataKey {
  /** 32 bytes. The caller zeroes it when done (`plaintextDataKey.fill(0)`). */
  readonly plaintextDataKey: Buffer;
  /** The KMS ciphertext blob that wraps it; safe to store. */
  readonly encryptedDataKey: Buffer;
  /** ARN of the KMS key that wrapped it. */
  readonly keyArn: string;
}

export interface DecryptDataKeyRequest {
  readonly encryptedDataKey: Buffer;
  readonly encryptionContext: Readonly<Record<string, string>>;
  /** When given, the blob must have been made under this key. */
  readonly keyId?: string;
  readonly grantTokens?: readonly string[];
}

export interface KeyProvider {
  generateDataKey(request: DataKeyRequest): Promise<GeneratedDataKey>;
  /** Returns the 32-byte plaintext data key; the caller zeroes it when done. */
  decryptDataKey(request: DecryptDataKeyRequest): Promise<Buffer>;
}

/** Why a key cannot be used right now. */
export const KeyUnavailableReason = {
  DISABLED: 'DISABLED',
  PENDING_DELETION: 'PENDING_DELETION',
  NOT_FOUND: 'NOT_FOUND',
  ACCESS_DENIED: 'ACCESS_DENIED',
  INVALID_STATE: 'INVALID_STATE',
} as const;
export type KeyUnavailableReason = (typeof KeyUnavailableReason)[keyof typeof KeyUnavailableReason];

/**
 * The KMS refused to produce or unwrap a data key (key disabled, pending deletion, grant revoked...).
 * An operating condition, not data corruption: the data is intact and becomes readable again once the
 * key is usable.
 */
export class KeyUnavailableError extends Error {
  readonly code = 'KEY_UNAVAILABLE';
  constructor(
    readonly reason: KeyUnavailableReason,
    /** The key the caller asked for, as given (id, ARN or alias); never key material. */
    readonly keyId: string,
    message: string,
  ) {
    super(message);
    this.name = 'KeyUnavailableError';
  }
}

/** A wrapped data key or a record failed authentication: tampered, truncated or under another context. */
export class DecryptionFailedError extends Error {
  readonly code = 'DECRYPTION_FAILED';
  constructor(message = 'decryption failed') {
    super(message);
    this.name = 'DecryptionFailedError';
  }
}
