// The KeyProvider port (src/crypto/key-provider.ts) served in-process by the embedded KMS: the store
// and the brokers get data keys as a principal, through the same authorization as the KMS API (key
// policy, grants, grant tokens, encryption contexts), or as the service for service-owned keys. KMS
// refusals become KeyUnavailableError with a reason; authentication failures DecryptionFailedError.
import {
  DecryptionFailedError,
  KeyUnavailableError,
  type DataKeyRequest,
  type DecryptDataKeyRequest,
  type GeneratedDataKey,
  type KeyProvider,
  type KeyUnavailableReason,
} from '../crypto/key-provider.ts';
import type { CallerIdentity } from '../identity/caller.ts';
import { KmsError } from './kms-errors.ts';
import type { KmsService } from './kms-service.ts';

/** The `kms:ViaService` value for calls the Amazon MQ control plane and brokers make (alias/aws/mq's policy requires it). */
export function mqViaService(region: string): string {
  return `mq.${region}.amazonaws.com`;
}

export interface KmsKeyProviderOptions {
  /** `kms:ViaService` for the key policy, e.g. `mq.us-east-1.amazonaws.com` (needed for alias/aws/mq). */
  viaService?: string;
}

export class KmsKeyProvider implements KeyProvider {
  private constructor(
    private readonly kms: KmsService,
    private readonly caller: CallerIdentity | undefined,
    private readonly options: KmsKeyProviderOptions,
  ) {}

  /** Data keys for `caller`, authorized exactly as the same caller over the KMS API. */
  static forCaller(kms: KmsService, caller: CallerIdentity, options: KmsKeyProviderOptions = {}): KmsKeyProvider {
    return new KmsKeyProvider(kms, caller, options);
  }

  /** Data keys under service-owned keys (KmsService.createServiceOwnedKey); no principal involved. */
  static forServiceOwnedKeys(kms: KmsService): KmsKeyProvider {
    return new KmsKeyProvider(kms, undefined, {});
  }

  async generateDataKey(request: DataKeyRequest): Promise<GeneratedDataKey> {
    const input = {
      KeyId: request.keyId,
      KeySpec: 'AES_256',
      EncryptionContext: { ...request.encryptionContext },
      ...(request.grantTokens ? { GrantTokens: [...request.grantTokens] } : {}),
    };
    try {
      const out =
        this.caller === undefined
          ? await this.kms.serviceOwnedGenerateDataKey(input)
          : await this.kms.generateDataKey(this.caller, input, this.#callOptions());
      return { plaintextDataKey: out.Plaintext, encryptedDataKey: out.CiphertextBlob, keyArn: out.KeyId };
    } catch (error) {
      throw translate(error, request.keyId);
    }
  }

  async decryptDataKey(request: DecryptDataKeyRequest): Promise<Buffer> {
    const input = {
      CiphertextBlob: request.encryptedDataKey,
      EncryptionContext: { ...request.encryptionContext },
      ...(request.keyId !== undefined ? { KeyId: request.keyId } : {}),
      ...(request.grantTokens ? { GrantTokens: [...request.grantTokens] } : {}),
    };
    try {
      const out =
        this.caller === undefined ? await this.kms.serviceOwnedDecrypt(input) : await this.kms.decrypt(this.caller, input, this.#callOptions());
      return out.Plaintext;
    } catch (error) {
      throw translate(error, request.keyId ?? '(from the ciphertext)');
    }
  }

  #callOptions() {
    return this.options.viaService !== undefined ? { viaService: this.options.viaService } : {};
  }
}

function translate(error: unknown, keyId: string): Error {
  if (!(error instanceof KmsError)) return error as Error;
  const unavailable = (reason: KeyUnavailableReason) => new KeyUnavailableError(reason, keyId, `${error.errorType}: ${error.message}`);
  switch (error.errorType) {
    case 'DisabledException':
      return unavailable('DISABLED');
    case 'KMSInvalidStateException':
      return unavailable(error.message.includes('pending deletion') ? 'PENDING_DELETION' : 'INVALID_STATE');
    case 'NotFoundException':
      return unavailable('NOT_FOUND');
    case 'AccessDeniedException':
    case 'InvalidGrantTokenException':
      return unavailable('ACCESS_DENIED');
    case 'InvalidCiphertextException':
    case 'IncorrectKeyException':
      return new DecryptionFailedError();
    default:
      return error;
  }
}
