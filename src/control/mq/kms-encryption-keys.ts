// The EncryptionKeys port on the embedded KMS (kms/kms-service.ts): customer keys are looked up and
// granted as the API caller (as Amazon MQ does, the caller needs kms:DescribeKey and kms:CreateGrant
// on the key), via the service (`kms:ViaService` mq.<region>.amazonaws.com); alias/aws/mq and
// service-owned keys are the KMS's own control-plane operations. Also the one definition of a
// broker's principal, which the grant names and the broker's KeyProvider must use. KMS errors never
// reach an Amazon MQ caller as KMS error types: they become BadRequestException on `kmsKeyId`.
import type { CallerIdentity } from '../../identity/caller.ts';
import { KmsError } from '../../kms/kms-errors.ts';
import type { KmsService } from '../../kms/kms-service.ts';
import { AwsApiError } from '../../util/aws-error.ts';
import type { CustomerKeyResolution, EncryptionKeys } from './ports.ts';

/** Amazon MQ's grant name. */
export const MQ_GRANT_NAME = 'mq_grant';

/** The encryption-context key that binds a broker's data keys (and its grant) to the broker. */
export const BROKER_ENCRYPTION_CONTEXT_KEY = 'aws:mq:broker-id';

/** What a broker may do with its customer-managed key: data keys and their unwrapping, nothing else. */
export const MQ_GRANT_OPERATIONS = ['Encrypt', 'Decrypt', 'ReEncryptFrom', 'ReEncryptTo', 'GenerateDataKey', 'GenerateDataKeyWithoutPlaintext'] as const;

/** The ARN of a broker's own principal, the grantee of its `mq_grant`. */
export function brokerPrincipalArn(accountId: string, brokerId: string): string {
  return `arn:aws:iam::${accountId}:role/sealmq-broker/${brokerId}`;
}

/**
 * The identity a broker uses for its data keys (KmsKeyProvider.forCaller): no identity policy, so it
 * can use a customer key only through its grant, and only for its own encryption context.
 */
export function brokerCaller(accountId: string, brokerId: string): CallerIdentity {
  return { accountId, arn: brokerPrincipalArn(accountId, brokerId), principalId: `AROASEALMQBROKER:${brokerId}`, policies: [] };
}

export interface KmsEncryptionKeysOptions {
  /** `kms:ViaService` for calls on the caller's behalf, e.g. `mq.us-east-1.amazonaws.com`. */
  viaService?: string;
}

export class KmsEncryptionKeys implements EncryptionKeys {
  constructor(
    private readonly kms: KmsService,
    private readonly options: KmsEncryptionKeysOptions = {},
  ) {}

  #callOptions() {
    return this.options.viaService === undefined ? {} : { viaService: this.options.viaService };
  }

  async resolveCustomerKey(kmsKeyId: string, caller: CallerIdentity): Promise<CustomerKeyResolution> {
    let metadata;
    try {
      metadata = (await this.kms.describeKey(caller, { KeyId: kmsKeyId }, this.#callOptions())).KeyMetadata;
    } catch (error) {
      if (!(error instanceof KmsError)) throw error;
      if (error.errorType === 'AccessDeniedException') return { status: 'access-denied' };
      // NotFoundException, and a malformed id (ValidationException) that cannot name any key.
      return { status: 'not-found' };
    }
    if (metadata.KeyState !== 'Enabled') return { status: 'not-enabled', keyState: metadata.KeyState };
    if (metadata.KeyUsage !== 'ENCRYPT_DECRYPT') return { status: 'wrong-usage', keyUsage: metadata.KeyUsage };
    const keySpec = (metadata as { KeySpec?: string }).KeySpec ?? 'SYMMETRIC_DEFAULT';
    if (keySpec !== 'SYMMETRIC_DEFAULT') return { status: 'not-symmetric', keySpec };
    return { status: 'ok', keyArn: metadata.Arn };
  }

  async ensureServiceManagedKey(): Promise<{ keyArn: string }> {
    return { keyArn: (await this.kms.ensureServiceManagedKey()).Arn };
  }

  async createServiceOwnedKey(brokerId: string): Promise<{ keyArn: string }> {
    return { keyArn: (await this.kms.createServiceOwnedKey(brokerId)).Arn };
  }

  async createBrokerGrant(keyArn: string, brokerId: string, caller: CallerIdentity): Promise<{ grantId: string }> {
    try {
      const grant = await this.kms.createGrant(
        caller,
        {
          KeyId: keyArn,
          GranteePrincipal: brokerPrincipalArn(this.kms.accountId, brokerId),
          Operations: [...MQ_GRANT_OPERATIONS],
          Constraints: { EncryptionContextSubset: { [BROKER_ENCRYPTION_CONTEXT_KEY]: brokerId } },
          Name: MQ_GRANT_NAME,
        },
        this.#callOptions(),
      );
      return { grantId: grant.GrantId };
    } catch (error) {
      if (!(error instanceof KmsError)) throw error;
      const why =
        error.errorType === 'AccessDeniedException'
          ? 'you are not allowed to create grants on the KMS key (kms:CreateGrant)'
          : error.errorType === 'DisabledException' || error.errorType === 'KMSInvalidStateException'
            ? 'the KMS key is not enabled'
            : `the KMS refused it (${error.errorType})`;
      throw new AwsApiError('BadRequestException', `The broker's grant on the KMS key could not be created: ${why}.`, 400, 'kmsKeyId');
    }
  }
}
