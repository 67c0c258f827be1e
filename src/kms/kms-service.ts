// The embedded KMS: keys, material versions and rotation, aliases, grants, key policies, key states,
// scheduled deletion, and the cryptographic operations, with AWS's authorization rules (key policy,
// account delegation to identity policies, grants, explicit deny). Operations take and return AWS
// shapes (PascalCase, Buffers for blobs, Dates for timestamps) with an in-process caller identity.
// Parsing JSON, base64 and field validation of wire input is left to kms/http/kms-api.ts; the byte
// layout of ciphertexts to ciphertext.ts; persistence to key-store.ts.
import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { RootKey } from '../crypto/root-key.ts';
import type { CallerIdentity, PolicyDocument } from '../identity/caller.ts';
import { evaluatePolicies, parsePolicyDocument, PolicyDocumentError, type ConditionContext } from '../identity/policy.ts';
import {
  CIPHERTEXT_MAX_BYTES,
  CiphertextAuthError,
  CiphertextFormatError,
  openCiphertext,
  parseCiphertextHeader,
  sealCiphertext,
  type EncryptionContext,
} from './ciphertext.ts';
import {
  KeyStore,
  KmsStoreError,
  materialPurpose,
  STORE_FORMAT_VERSION,
  type AliasRecord,
  type GrantConstraints,
  type GrantRecord,
  type KeyRecord,
  type KeyState,
  type KmsState,
  type Tag,
} from './key-store.ts';
import { fieldConstraint, KmsError, kmsError, sensitiveFieldConstraint, validationError } from './kms-errors.ts';

export type { EncryptionContext } from './ciphertext.ts';
export type { GrantConstraints, KeyState, Tag } from './key-store.ts';

/** Milliseconds since the epoch; injected so tests can move time. */
export interface Clock {
  now(): number;
}

export interface KmsLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface KmsServiceOptions {
  /** The KMS folder of the data directory (the root key lives there too). */
  dir: string;
  rootKey: RootKey;
  /** 12-digit account id that owns the keys. */
  accountId: string;
  region: string;
  clock?: Clock;
  logger?: KmsLogger;
  /** How often scheduled deletions and due rotations run; 0 = only at open and on runMaintenance(). Default 60 s. */
  maintenanceIntervalMs?: number;
}

/** How the caller reached the KMS, for `kms:ViaService` conditions (e.g. the Amazon MQ control plane). */
export interface CallOptions {
  /** e.g. `mq.us-east-1.amazonaws.com` */
  viaService?: string;
}

export const SERVICE_MANAGED_MQ_ALIAS = 'alias/aws/mq';
export const RESERVED_ALIAS_PREFIX = 'alias/aws/';
const DAY_MS = 86_400_000;
const ON_DEMAND_ROTATION_LIMIT = 10;
const GRANTS_PER_KEY_LIMIT = 50_000;
const TAGS_PER_KEY_LIMIT = 50;

export const GRANT_OPERATIONS = [
  'Decrypt',
  'Encrypt',
  'GenerateDataKey',
  'GenerateDataKeyWithoutPlaintext',
  'ReEncryptFrom',
  'ReEncryptTo',
  'Sign',
  'Verify',
  'GetPublicKey',
  'CreateGrant',
  'RetireGrant',
  'DescribeKey',
  'GenerateDataKeyPair',
  'GenerateDataKeyPairWithoutPlaintext',
  'GenerateMac',
  'VerifyMac',
  'DeriveSharedSecret',
] as const;
export type GrantOperation = (typeof GRANT_OPERATIONS)[number];
const SYMMETRIC_GRANT_OPERATIONS = new Set<string>([
  'Decrypt',
  'Encrypt',
  'GenerateDataKey',
  'GenerateDataKeyWithoutPlaintext',
  'ReEncryptFrom',
  'ReEncryptTo',
  'CreateGrant',
  'RetireGrant',
  'DescribeKey',
  'GenerateDataKeyPair',
  'GenerateDataKeyPairWithoutPlaintext',
]);
/** Grant operations that take an encryption context; grant constraints apply only to these. */
const CONTEXT_OPERATIONS = new Set<string>([
  'Decrypt',
  'Encrypt',
  'GenerateDataKey',
  'GenerateDataKeyWithoutPlaintext',
  'ReEncryptFrom',
  'ReEncryptTo',
  'GenerateDataKeyPair',
  'GenerateDataKeyPairWithoutPlaintext',
]);

// ---- Shapes (AWS names) ----

export interface KeyMetadata {
  AWSAccountId: string;
  KeyId: string;
  Arn: string;
  CreationDate: Date;
  Enabled: boolean;
  Description: string;
  KeyUsage: 'ENCRYPT_DECRYPT';
  KeyState: KeyState;
  DeletionDate?: Date;
  PendingDeletionWindowInDays?: number;
  Origin: 'AWS_KMS';
  KeyManager: 'CUSTOMER' | 'AWS';
  CustomerMasterKeySpec: 'SYMMETRIC_DEFAULT';
  KeySpec: 'SYMMETRIC_DEFAULT';
  EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'];
  MultiRegion: false;
  /** Identifies the material new ciphertexts are made with; changes at each rotation. */
  CurrentKeyMaterialId: string;
}

export interface CreateKeyInput {
  Policy?: string;
  Description?: string;
  KeyUsage?: string;
  KeySpec?: string;
  CustomerMasterKeySpec?: string;
  Origin?: string;
  CustomKeyStoreId?: string;
  XksKeyId?: string;
  BypassPolicyLockoutSafetyCheck?: boolean;
  Tags?: Tag[];
  MultiRegion?: boolean;
}
export interface KeyIdInput {
  KeyId: string;
}
export interface DescribeKeyInput extends KeyIdInput {
  GrantTokens?: string[];
}
export interface ListInput {
  Limit?: number;
  Marker?: string;
}
export interface ScheduleKeyDeletionInput extends KeyIdInput {
  PendingWindowInDays?: number;
}
export interface EncryptInput {
  KeyId: string;
  Plaintext: Buffer;
  EncryptionContext?: EncryptionContext;
  GrantTokens?: string[];
  EncryptionAlgorithm?: string;
  DryRun?: boolean;
}
export interface DecryptInput {
  CiphertextBlob: Buffer;
  EncryptionContext?: EncryptionContext;
  GrantTokens?: string[];
  KeyId?: string;
  EncryptionAlgorithm?: string;
  DryRun?: boolean;
}
export interface ReEncryptInput {
  CiphertextBlob: Buffer;
  SourceEncryptionContext?: EncryptionContext;
  SourceKeyId?: string;
  DestinationKeyId: string;
  DestinationEncryptionContext?: EncryptionContext;
  SourceEncryptionAlgorithm?: string;
  DestinationEncryptionAlgorithm?: string;
  GrantTokens?: string[];
  DryRun?: boolean;
}
export interface GenerateDataKeyInput {
  KeyId: string;
  EncryptionContext?: EncryptionContext;
  NumberOfBytes?: number;
  KeySpec?: string;
  GrantTokens?: string[];
  DryRun?: boolean;
}
export interface DecryptOutput {
  KeyId: string;
  Plaintext: Buffer;
  EncryptionAlgorithm: 'SYMMETRIC_DEFAULT';
  KeyMaterialId: string;
}
export interface GenerateDataKeyOutput {
  CiphertextBlob: Buffer;
  Plaintext: Buffer;
  KeyId: string;
  KeyMaterialId: string;
}
export interface ReEncryptOutput {
  CiphertextBlob: Buffer;
  SourceKeyId: string;
  KeyId: string;
  SourceEncryptionAlgorithm: 'SYMMETRIC_DEFAULT';
  DestinationEncryptionAlgorithm: 'SYMMETRIC_DEFAULT';
  SourceKeyMaterialId: string;
  DestinationKeyMaterialId: string;
}
export interface CreateGrantInput {
  KeyId: string;
  GranteePrincipal: string;
  RetiringPrincipal?: string;
  Operations: string[];
  Constraints?: GrantConstraints;
  GrantTokens?: string[];
  Name?: string;
  DryRun?: boolean;
}
export interface GrantListEntry {
  KeyId: string;
  GrantId: string;
  Name?: string;
  CreationDate: Date;
  GranteePrincipal: string;
  RetiringPrincipal?: string;
  IssuingAccount: string;
  Operations: string[];
  Constraints?: GrantConstraints;
}
export interface AliasListEntry {
  AliasName: string;
  AliasArn: string;
  TargetKeyId?: string;
  CreationDate?: Date;
  LastUpdatedDate?: Date;
}

interface ListPage<T> {
  items: T[];
  NextMarker?: string;
  Truncated: boolean;
}

/** Who is asking: a principal (authorized by policies and grants) or the service itself (service-owned keys only). */
type Access =
  | { kind: 'caller'; caller: CallerIdentity; viaService?: string; grantTokens: readonly string[] }
  | { kind: 'service' };

interface AuthorizeOptions {
  encryptionContext?: EncryptionContext;
  /** The grant operation that can stand in for the policy permission; none = grants cannot help. */
  grantOperation?: GrantOperation;
  extraContext?: Record<string, string | string[] | boolean>;
}

/** The embedded KMS. Construct with KmsService.open(); close() stops its timer. */
export class KmsService {
  readonly accountId: string;
  readonly region: string;
  readonly #store: KeyStore;
  readonly #rootKey: RootKey;
  readonly #clock: Clock;
  readonly #logger: KmsLogger | undefined;
  #state: KmsState;
  #policyCache = new Map<string, { text: string; document: PolicyDocument }>();
  #timer: NodeJS.Timeout | undefined;
  /** Set when a write failed: the in-memory state may be ahead of the disk, so the service stops. */
  #failed: Error | undefined;
  #maintenanceRunning: Promise<void> | undefined;

  private constructor(options: KmsServiceOptions, store: KeyStore, state: KmsState) {
    this.accountId = options.accountId;
    this.region = options.region;
    this.#store = store;
    this.#rootKey = options.rootKey;
    this.#clock = options.clock ?? { now: () => Date.now() };
    this.#logger = options.logger;
    this.#state = state;
  }

  /**
   * Opens the KMS in `dir`, creating an empty store on first start. A store that cannot be read
   * (damaged, another root key, another account) throws KmsStoreError; it is never replaced.
   */
  static async open(options: KmsServiceOptions): Promise<KmsService> {
    if (!/^\d{12}$/.test(options.accountId)) throw new Error('assertion failed: accountId must be 12 digits');
    const store = new KeyStore(options.dir, options.rootKey);
    let state = await store.load();
    const fresh = state === undefined;
    if (state === undefined) {
      state = {
        formatVersion: STORE_FORMAT_VERSION,
        accountId: options.accountId,
        region: options.region,
        grantTokenMacKey: randomBytes(32).toString('base64'),
        keys: [],
        aliases: [],
        grants: [],
        deletedKeyIds: [],
      };
    } else if (state.accountId !== options.accountId || state.region !== options.region) {
      throw new KmsStoreError(
        `KMS key store ${store.path} belongs to account ${state.accountId} in ${state.region}, not ${options.accountId} in ${options.region}`,
      );
    }
    const service = new KmsService(options, store, state);
    if (fresh) await service.#persist();
    await service.runMaintenance();
    const interval = options.maintenanceIntervalMs ?? 60_000;
    if (interval > 0) {
      service.#timer = setInterval(() => {
        service.runMaintenance().catch((error: unknown) => service.#logger?.error({ err: error }, 'KMS maintenance failed'));
      }, interval);
      service.#timer.unref();
    }
    return service;
  }

  /** Stops the maintenance timer and waits for pending writes. Does not destroy the root key. */
  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#maintenanceRunning;
    await this.#store.flush();
  }

  // ---------------------------------------------------------------- keys

  async createKey(caller: CallerIdentity, input: CreateKeyInput = {}, options: CallOptions = {}): Promise<{ KeyMetadata: KeyMetadata }> {
    const access = this.#callerAccess(caller, undefined, options);
    this.#authorizeAccount(access, 'kms:CreateKey');
    const spec = input.KeySpec ?? input.CustomerMasterKeySpec ?? 'SYMMETRIC_DEFAULT';
    if (input.KeySpec !== undefined && input.CustomerMasterKeySpec !== undefined) {
      throw validationError(['You cannot specify both KeySpec and CustomerMasterKeySpec']);
    }
    if (spec !== 'SYMMETRIC_DEFAULT') {
      throw kmsError('UnsupportedOperationException', `KeySpec ${spec} is not supported: this KMS creates only SYMMETRIC_DEFAULT keys.`);
    }
    if ((input.KeyUsage ?? 'ENCRYPT_DECRYPT') !== 'ENCRYPT_DECRYPT') {
      throw kmsError('ValidationException', `KeyUsage ${input.KeyUsage} is not compatible with KeySpec SYMMETRIC_DEFAULT.`);
    }
    if ((input.Origin ?? 'AWS_KMS') !== 'AWS_KMS') {
      throw kmsError('UnsupportedOperationException', `Origin ${input.Origin} is not supported: this KMS creates only AWS_KMS keys.`);
    }
    if (input.CustomKeyStoreId !== undefined || input.XksKeyId !== undefined) {
      throw kmsError('UnsupportedOperationException', 'Custom key stores are not supported.');
    }
    if (input.MultiRegion) throw kmsError('UnsupportedOperationException', 'Multi-Region keys are not supported.');
    checkDescription(input.Description);
    const tags = checkTags(input.Tags ?? []);
    const keyId = randomUUID();
    let policy: string;
    if (input.Policy !== undefined) {
      const document = parseKeyPolicy(input.Policy);
      if (!input.BypassPolicyLockoutSafetyCheck) this.#checkLockout(caller, document, this.#keyArn(keyId));
      policy = input.Policy;
    } else {
      policy = this.#defaultKeyPolicy();
    }
    const key = this.#newKeyRecord(keyId, {
      description: input.Description ?? '',
      policy,
      tags,
      keyManager: 'CUSTOMER',
      owner: 'ACCOUNT',
    });
    this.#state.keys.push(key);
    await this.#persist();
    this.#logger?.info({ keyId, principal: caller.arn }, 'KMS key created');
    return { KeyMetadata: this.#metadata(key) };
  }

  async describeKey(caller: CallerIdentity, input: DescribeKeyInput, options: CallOptions = {}): Promise<{ KeyMetadata: KeyMetadata }> {
    const access = this.#callerAccess(caller, input.GrantTokens, options);
    const key = await this.#resolveKey(access, input.KeyId, { allowAlias: true, action: 'kms:DescribeKey' });
    this.#authorize(access, key, 'kms:DescribeKey', { grantOperation: 'DescribeKey' });
    return { KeyMetadata: this.#metadata(key) };
  }

  async listKeys(caller: CallerIdentity, input: ListInput = {}, options: CallOptions = {}): Promise<{ Keys: { KeyId: string; KeyArn: string }[]; NextMarker?: string; Truncated: boolean }> {
    const access = this.#callerAccess(caller, undefined, options);
    this.#authorizeAccount(access, 'kms:ListKeys');
    const keys = this.#accountKeys()
      .map((k) => k.keyId)
      .sort();
    const page = paginate(keys, (k) => k, input.Limit ?? 100, input.Marker);
    return { Keys: page.items.map((keyId) => ({ KeyId: keyId, KeyArn: this.#keyArn(keyId) })), ...pageTail(page) };
  }

  async updateKeyDescription(caller: CallerIdentity, input: KeyIdInput & { Description: string }, options: CallOptions = {}): Promise<Record<string, never>> {
    const access = this.#callerAccess(caller, undefined, options);
    const key = await this.#resolveKey(access, input.KeyId, { allowAlias: false });
    this.#authorize(access, key, 'kms:UpdateKeyDescription');
    this.#checkNotPendingDeletion(key);
    checkDescription(input.Description);
    key.description = input.Description;
    await this.#persist();
    return {};
  }

  async enableKey(caller: CallerIdentity, input: KeyIdInput, options: CallOptions = {}): Promise<Record<string, never>> {
    const access = this.#callerAccess(caller, undefined, options);
    const key = await this.#resolveKey(access, input.KeyId, { allowAlias: false });
    this.#authorize(access, key, 'kms:EnableKey');
    this.#checkNotPendingDeletion(key);
    if (key.state !== 'Enabled') {
      key.state = 'Enabled';
      this.#rotateIfDue(key);
      await this.#persist();
      this.#logger?.info({ keyId: key.keyId, principal: caller.arn }, 'KMS key enabled');
    }
    return {};
  }

  async disableKey(caller: CallerIdentity, input: KeyIdInput, options: CallOptions = {}): Promise<Record<string, never>> {
    const access = this.#callerAccess(caller, undefined, options);
    const key = await this.#resolveKey(access, input.KeyId, { allowAlias: false });
    this.#authorize(access, key, 'kms:DisableKey');
    this.#checkNotPendingDeletion(key);
    if (key.state !== 'Disabled') {
      key.state = 'Disabled';
      await this.#persist();
      this.#logger?.info({ keyId: key.keyId, principal: caller.arn }, 'KMS key disabled');
    }
    return {};
  }

  async scheduleKeyDeletion(
    caller: CallerIdentity,
    input: ScheduleKeyDeletionInput,
    options: CallOptions = {},
  ): Promise<{ KeyId: string; DeletionDate: Date; KeyState: 'PendingDeletion'; PendingWindowInDays: number }> {
    const access = this.#callerAccess(caller, undefined, options);
    const key = await this.#resolveKey(access, input.KeyId, { allowAlias: false });
    this.#authorize(access, key, 'kms:ScheduleKeyDeletion');
    const days = input.PendingWindowInDays ?? 30;
    // Precondition: the waiting period is 7 to 30 days, as the KMS documentation says (the model allows 1-365).
    if (!Number.isInteger(days) || days < 7 || days > 30) {
      throw validationError([fieldConstraint('PendingWindowInDays', days, 'Member must have value between 7 and 30, inclusive')]);
    }
    if (key.state === 'PendingDeletion') throw kmsError('KMSInvalidStateException', `${this.#keyArn(key.keyId)} is pending deletion.`);
    key.state = 'PendingDeletion';
    key.pendingWindowInDays = days;
    key.deletionDateMs = this.#clock.now() + days * DAY_MS;
    await this.#persist();
    this.#logger?.info({ keyId: key.keyId, principal: caller.arn, deletionDateMs: key.deletionDateMs }, 'KMS key deletion scheduled');
    return { KeyId: this.#keyArn(key.keyId), DeletionDate: new Date(key.deletionDateMs), KeyState: 'PendingDeletion', PendingWindowInDays: days };
  }

  async cancelKeyDeletion(caller: CallerIdentity, input: KeyIdInput, options: CallOptions = {}): Promise<{ KeyId: string }> {
    const access = this.#callerAccess(caller, undefined, options);
    const key = await this.#resolveKey(access, input.KeyId, { allowAlias: false });
    this.#authorize(access, key, 'kms:CancelKeyDeletion');
    if (key.state !== 'PendingDeletion') throw kmsError('KMSInvalidStateException', `${this.#keyArn(key.keyId)} is not pending deletion.`);
    // The key comes back Disabled, not Enabled: "To use the KMS key, you must enable it".
    key.state = 'Disabled';
    delete key.deletionDateMs;
    delete key.pendingWindowInDays;
    await this.#persist();
    this.#logger?.info({ keyId: key.keyId, principal: caller.arn }, 'KMS key deletion cancelled');
    return { KeyId: this.#keyArn(key.keyId) };
  }

  // ---------------------------------------------------------------- key policies

  async getKeyPolicy(caller: CallerIdentity, input: KeyIdInput & { PolicyName?: string }, options: CallOptions = {}): Promise<{ Policy: string; PolicyName: string }> {
    const access = this.#callerAccess(caller, undefined, options);
    const key = await this.#resolveKey(access, input.KeyId, { allowAlias: false });
    this.#authorize(access, key, 'kms:GetKeyPolicy');
    checkPolicyName(input.PolicyName);
    return { Policy: key.policy, PolicyName: 'default' };
  }

  async putKeyPolicy(
    caller: CallerIdentity,
    input: KeyIdInput & { Policy: string; PolicyName?: string; BypassPolicyLockoutSafetyCheck?: boolean },
    options: CallOptions = {},
  ): Promise<Record<string, never>> {
    const access = this.#callerAccess(caller, undefined, options);
    const key = await this.#resolveKey(access, input.KeyId, { allowAlias: false });
    this.#authorize(access, key, 'kms:PutKeyPolicy');
    this.#checkCustomerManaged(access, key, 'kms:PutKeyPolicy');
    checkPolicyName(input.PolicyName);
    const document = parseKeyPolicy(input.Policy);
    if (!input.BypassPolicyLockoutSafetyCheck) this.#checkLockout(caller, document, this.#keyArn(key.keyId));
    key.policy = input.Policy;
    await this.#persist();
    this.#logger?.info({ keyId: key.keyId, principal: caller.arn }, 'KMS key policy replaced');
    return {};
  }

  async listKeyPolicies(caller: CallerIdentity, input: KeyIdInput & ListInput, options: CallOptions = {}): Promise<{ PolicyNames: string[]; Truncated: boolean }> {
    const access = this.#callerAccess(caller, undefined, options);
    const key = await this.#resolveKey(access, input.KeyId, { allowAlias: false });
    this.#authorize(access, key, 'kms:ListKeyPolicies');
    return { PolicyNames: ['default'], Truncated: false };
  }

  // ---------------------------------------------------------------- tags

  async tagResource(caller: CallerIdentity, input: KeyIdInput & { Tags: Tag[] }, options: CallOptions = {}): Promise<Record<string, never>> {
    const access = this.#callerAccess(caller, undefined, options);
    const key = await this.#resolveKey(access, input.KeyId, { allowAlias: false });
    this.#authorize(access, key, 'kms:TagResource');
    this.#checkCustomerManaged(access, key, 'kms:TagResource');
    this.#checkNotPendingDeletion(key);
    const tags = checkTags(input.Tags);
    const merged = new Map(key.tags.map((t) => [t.TagKey, t.TagValue]));
    for (const tag of tags) merged.set(tag.TagKey, tag.TagValue);
    if (merged.size > TAGS_PER_KEY_LIMIT) throw kmsError('TagException', `A KMS key can have at most ${TAGS_PER_KEY_LIMIT} tags.`);
    key.tags = [...merged].map(([TagKey, TagValue]) => ({ TagKey, TagValue }));
    await this.#persist();
    return {};
  }

  async untagResource(caller: CallerIdentity, input: KeyIdInput & { TagKeys: string[] }, options: CallOptions = {}): Promise<Record<string, never>> {
    const access = this.#callerAccess(caller, undefined, options);
    const key = await this.#resolveKey(access, input.KeyId, { allowAlias: false });
    this.#authorize(access, key, 'kms:UntagResource');
    this.#checkCustomerManaged(access, key, 'kms:UntagResource');
    this.#checkNotPendingDeletion(key);
    const remove = new Set(input.TagKeys);
    key.tags = key.tags.filter((t) => !remove.has(t.TagKey));
    await this.#persist();
    return {};
  }

  async listResourceTags(
    caller: CallerIdentity,
    input: KeyIdInput & ListInput,
    options: CallOptions = {},
  ): Promise<{ Tags: Tag[]; NextMarker?: string; Truncated: boolean }> {
    const access = this.#callerAccess(caller, undefined, options);
    const key = await this.#resolveKey(access, input.KeyId, { allowAlias: false });
    this.#authorize(access, key, 'kms:ListResourceTags');
    const tags = [...key.tags].sort((a, b) => (a.TagKey < b.TagKey ? -1 : a.TagKey > b.TagKey ? 1 : 0));
    const page = paginate(tags, (t) => t.TagKey, input.Limit ?? 50, input.Marker);
    return { Tags: page.items.map((t) => ({ ...t })), ...pageTail(page) };
  }

  // ---------------------------------------------------------------- rotation

  async enableKeyRotation(caller: CallerIdentity, input: KeyIdInput & { RotationPeriodInDays?: number }, options: CallOptions = {}): Promise<Record<string, never>> {
    const access = this.#callerAccess(caller, undefined, options);
    const key = await this.#resolveKey(access, input.KeyId, { allowAlias: false });
    this.#authorize(access, key, 'kms:EnableKeyRotation');
    this.#checkCustomerManaged(access, key, 'kms:EnableKeyRotation');
    const days = input.RotationPeriodInDays ?? 365;
    if (!Number.isInteger(days) || days < 90 || days > 2560) {
      throw validationError([fieldConstraint('RotationPeriodInDays', days, 'Member must have value between 90 and 2560, inclusive')]);
    }
    this.#checkUsable(key);
    const unchanged = key.rotationEnabled && key.rotationPeriodInDays === days;
    if (!unchanged) {
      key.rotationEnabled = true;
      key.rotationPeriodInDays = days;
      key.nextRotationDateMs = this.#clock.now() + days * DAY_MS;
      await this.#persist();
    }
    return {};
  }

  async disableKeyRotation(caller: CallerIdentity, input: KeyIdInput, options: CallOptions = {}): Promise<Record<string, never>> {
    const access = this.#callerAccess(caller, undefined, options);
    const key = await this.#resolveKey(access, input.KeyId, { allowAlias: false });
    this.#authorize(access, key, 'kms:DisableKeyRotation');
    this.#checkCustomerManaged(access, key, 'kms:DisableKeyRotation');
    this.#checkUsable(key);
    if (key.rotationEnabled) {
      key.rotationEnabled = false;
      delete key.nextRotationDateMs;
      await this.#persist();
    }
    return {};
  }

  async getKeyRotationStatus(
    caller: CallerIdentity,
    input: KeyIdInput,
    options: CallOptions = {},
  ): Promise<{ KeyRotationEnabled: boolean; KeyId: string; RotationPeriodInDays?: number; NextRotationDate?: Date }> {
    const access = this.#callerAccess(caller, undefined, options);
    const key = await this.#resolveKey(access, input.KeyId, { allowAlias: false });
    this.#authorize(access, key, 'kms:GetKeyRotationStatus');
    const out: { KeyRotationEnabled: boolean; KeyId: string; RotationPeriodInDays?: number; NextRotationDate?: Date } = {
      KeyRotationEnabled: key.rotationEnabled,
      KeyId: this.#keyArn(key.keyId),
    };
    if (key.rotationEnabled) {
      if (key.rotationPeriodInDays !== undefined) out.RotationPeriodInDays = key.rotationPeriodInDays;
      if (key.nextRotationDateMs !== undefined) out.NextRotationDate = new Date(key.nextRotationDateMs);
    }
    return out;
  }

  async rotateKeyOnDemand(caller: CallerIdentity, input: KeyIdInput, options: CallOptions = {}): Promise<{ KeyId: string }> {
    const access = this.#callerAccess(caller, undefined, options);
    const key = await this.#resolveKey(access, input.KeyId, { allowAlias: false });
    this.#authorize(access, key, 'kms:RotateKeyOnDemand');
    this.#checkCustomerManaged(access, key, 'kms:RotateKeyOnDemand');
    this.#checkUsable(key);
    if (key.onDemandRotations >= ON_DEMAND_ROTATION_LIMIT) {
      throw kmsError('LimitExceededException', `${this.#keyArn(key.keyId)} has reached the limit of ${ON_DEMAND_ROTATION_LIMIT} on-demand rotations.`);
    }
    key.onDemandRotations++;
    this.#addMaterial(key, 'ON_DEMAND');
    await this.#persist();
    this.#logger?.info({ keyId: key.keyId, principal: caller.arn, materialVersion: key.materials.length }, 'KMS key rotated on demand');
    return { KeyId: this.#keyArn(key.keyId) };
  }

  async listKeyRotations(
    caller: CallerIdentity,
    input: KeyIdInput & ListInput,
    options: CallOptions = {},
  ): Promise<{ Rotations: { KeyId: string; RotationDate: Date; RotationType: string }[]; NextMarker?: string; Truncated: boolean }> {
    const access = this.#callerAccess(caller, undefined, options);
    const key = await this.#resolveKey(access, input.KeyId, { allowAlias: false });
    this.#authorize(access, key, 'kms:ListKeyRotations');
    const rotations = key.materials.filter((m) => m.rotationType !== undefined);
    const page = paginate(rotations, (m) => String(m.version).padStart(10, '0'), input.Limit ?? 100, input.Marker);
    return {
      Rotations: page.items.map((m) => ({ KeyId: this.#keyArn(key.keyId), RotationDate: new Date(m.createdAtMs), RotationType: m.rotationType! })),
      ...pageTail(page),
    };
  }

  // ---------------------------------------------------------------- aliases

  async createAlias(caller: CallerIdentity, input: { AliasName: string; TargetKeyId: string }, options: CallOptions = {}): Promise<Record<string, never>> {
    const access = this.#callerAccess(caller, undefined, options);
    checkAliasName(input.AliasName);
    this.#authorizeIdentity(access, 'kms:CreateAlias', this.#aliasArn(input.AliasName));
    const key = await this.#resolveKey(access, input.TargetKeyId, { allowAlias: false });
    this.#authorize(access, key, 'kms:CreateAlias');
    this.#checkCustomerManaged(access, key, 'kms:CreateAlias');
    this.#checkNotPendingDeletion(key);
    if (this.#state.aliases.some((a) => a.aliasName === input.AliasName)) {
      throw kmsError('AlreadyExistsException', `An alias with the name ${this.#aliasArn(input.AliasName)} already exists`);
    }
    const now = this.#clock.now();
    this.#state.aliases.push({ aliasName: input.AliasName, targetKeyId: key.keyId, creationDateMs: now, lastUpdatedDateMs: now });
    await this.#persist();
    return {};
  }

  async updateAlias(caller: CallerIdentity, input: { AliasName: string; TargetKeyId: string }, options: CallOptions = {}): Promise<Record<string, never>> {
    const access = this.#callerAccess(caller, undefined, options);
    checkAliasName(input.AliasName);
    const alias = this.#findAlias(input.AliasName);
    this.#authorizeIdentity(access, 'kms:UpdateAlias', this.#aliasArn(input.AliasName));
    const current = this.#keyById(alias.targetKeyId)!;
    const target = await this.#resolveKey(access, input.TargetKeyId, { allowAlias: false });
    this.#authorize(access, current, 'kms:UpdateAlias');
    this.#authorize(access, target, 'kms:UpdateAlias');
    this.#checkCustomerManaged(access, target, 'kms:UpdateAlias');
    this.#checkNotPendingDeletion(target);
    alias.targetKeyId = target.keyId;
    alias.lastUpdatedDateMs = this.#clock.now();
    await this.#persist();
    return {};
  }

  async deleteAlias(caller: CallerIdentity, input: { AliasName: string }, options: CallOptions = {}): Promise<Record<string, never>> {
    const access = this.#callerAccess(caller, undefined, options);
    checkAliasName(input.AliasName);
    const alias = this.#findAlias(input.AliasName);
    this.#authorizeIdentity(access, 'kms:DeleteAlias', this.#aliasArn(input.AliasName));
    this.#authorize(access, this.#keyById(alias.targetKeyId)!, 'kms:DeleteAlias');
    this.#state.aliases = this.#state.aliases.filter((a) => a !== alias);
    await this.#persist();
    return {};
  }

  async listAliases(
    caller: CallerIdentity,
    input: { KeyId?: string } & ListInput = {},
    options: CallOptions = {},
  ): Promise<{ Aliases: AliasListEntry[]; NextMarker?: string; Truncated: boolean }> {
    const access = this.#callerAccess(caller, undefined, options);
    this.#authorizeAccount(access, 'kms:ListAliases');
    let entries: AliasListEntry[] = this.#state.aliases
      .filter((a) => this.#keyById(a.targetKeyId)?.owner === 'ACCOUNT')
      .map((a) => this.#aliasEntry(a));
    if (input.KeyId !== undefined) {
      const key = await this.#resolveKey(access, input.KeyId, { allowAlias: false });
      entries = entries.filter((e) => e.TargetKeyId === key.keyId);
    } else if (!entries.some((e) => e.AliasName === SERVICE_MANAGED_MQ_ALIAS)) {
      // A predefined alias that AWS has not yet associated with a key is listed without TargetKeyId.
      entries.push({ AliasName: SERVICE_MANAGED_MQ_ALIAS, AliasArn: this.#aliasArn(SERVICE_MANAGED_MQ_ALIAS) });
    }
    entries.sort((a, b) => (a.AliasName < b.AliasName ? -1 : a.AliasName > b.AliasName ? 1 : 0));
    const page = paginate(entries, (e) => e.AliasName, input.Limit ?? 50, input.Marker);
    return { Aliases: page.items, ...pageTail(page) };
  }

  // ---------------------------------------------------------------- cryptographic operations

  async encrypt(caller: CallerIdentity, input: EncryptInput, options: CallOptions = {}): Promise<{ CiphertextBlob: Buffer; KeyId: string; EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' }> {
    return this.#encrypt(this.#callerAccess(caller, input.GrantTokens, options), input);
  }

  async decrypt(caller: CallerIdentity, input: DecryptInput, options: CallOptions = {}): Promise<DecryptOutput> {
    return this.#decrypt(this.#callerAccess(caller, input.GrantTokens, options), input);
  }

  async reEncrypt(
    caller: CallerIdentity,
    input: ReEncryptInput,
    options: CallOptions = {},
  ): Promise<ReEncryptOutput> {
    const access = this.#callerAccess(caller, input.GrantTokens, options);
    checkCiphertextLength(input.CiphertextBlob);
    checkAlgorithm(input.SourceEncryptionAlgorithm);
    checkAlgorithm(input.DestinationEncryptionAlgorithm);
    const destination = await this.#resolveKey(access, input.DestinationKeyId, { allowAlias: true, action: 'kms:ReEncryptTo' });
    const { key: source, plaintext, materialVersion } = await this.#open(access, input.CiphertextBlob, input.SourceEncryptionContext, input.SourceKeyId, 'ReEncryptFrom', true);
    try {
      this.#authorize(access, destination, 'kms:ReEncryptTo', { encryptionContext: input.DestinationEncryptionContext, grantOperation: 'ReEncryptTo' });
      this.#checkUsable(destination);
      checkDryRun(input.DryRun);
      const blob = this.#seal(destination, plaintext, input.DestinationEncryptionContext);
      return {
        CiphertextBlob: blob,
        SourceKeyId: this.#keyArn(source.keyId),
        KeyId: this.#keyArn(destination.keyId),
        SourceEncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        DestinationEncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        SourceKeyMaterialId: keyMaterialId(source.keyId, materialVersion),
        DestinationKeyMaterialId: keyMaterialId(destination.keyId, destination.materials[destination.materials.length - 1]!.version),
      };
    } finally {
      plaintext.fill(0);
    }
  }

  async generateDataKey(caller: CallerIdentity, input: GenerateDataKeyInput, options: CallOptions = {}): Promise<GenerateDataKeyOutput> {
    return this.#generateDataKey(this.#callerAccess(caller, input.GrantTokens, options), input, 'GenerateDataKey');
  }

  async generateDataKeyWithoutPlaintext(
    caller: CallerIdentity,
    input: GenerateDataKeyInput,
    options: CallOptions = {},
  ): Promise<Omit<GenerateDataKeyOutput, 'Plaintext'>> {
    const { CiphertextBlob, Plaintext, KeyId, KeyMaterialId } = await this.#generateDataKey(
      this.#callerAccess(caller, input.GrantTokens, options),
      input,
      'GenerateDataKeyWithoutPlaintext',
    );
    Plaintext.fill(0);
    return { CiphertextBlob, KeyId, KeyMaterialId };
  }

  async generateRandom(caller: CallerIdentity, input: { NumberOfBytes?: number; CustomKeyStoreId?: string }, options: CallOptions = {}): Promise<{ Plaintext: Buffer }> {
    const access = this.#callerAccess(caller, undefined, options);
    this.#authorizeAccount(access, 'kms:GenerateRandom');
    if (input.CustomKeyStoreId !== undefined) throw kmsError('UnsupportedOperationException', 'Custom key stores are not supported.');
    const n = input.NumberOfBytes;
    if (n === undefined || !Number.isInteger(n) || n < 1 || n > 1024) {
      throw validationError([fieldConstraint('NumberOfBytes', n, n === undefined ? 'Member must not be null' : 'Member must have value between 1 and 1024, inclusive')]);
    }
    return { Plaintext: randomBytes(n) };
  }

  // ---------------------------------------------------------------- grants

  async createGrant(caller: CallerIdentity, input: CreateGrantInput, options: CallOptions = {}): Promise<{ GrantToken: string; GrantId: string }> {
    const access = this.#callerAccess(caller, input.GrantTokens, options);
    const key = await this.#resolveKey(access, input.KeyId, { allowAlias: false });
    const operations = checkGrantOperations(input.Operations);
    const constraints = checkConstraints(input.Constraints);
    checkPrincipal('GranteePrincipal', input.GranteePrincipal);
    if (input.RetiringPrincipal !== undefined) checkPrincipal('RetiringPrincipal', input.RetiringPrincipal);
    const viaGrant = this.#authorize(access, key, 'kms:CreateGrant', {
      grantOperation: 'CreateGrant',
      extraContext: {
        'kms:GrantOperations': operations,
        'kms:GranteePrincipal': input.GranteePrincipal,
        ...(input.RetiringPrincipal !== undefined ? { 'kms:RetiringPrincipal': input.RetiringPrincipal } : {}),
        'kms:GrantIsForAWSResource': options.viaService !== undefined,
        ...(constraints?.EncryptionContextEquals ? { 'kms:GrantConstraintType': 'EncryptionContextEquals' } : {}),
        ...(constraints?.EncryptionContextSubset ? { 'kms:GrantConstraintType': 'EncryptionContextSubset' } : {}),
      },
    });
    if (viaGrant !== undefined) {
      // A grant that allows CreateGrant can only hand on its own operations and constraints.
      const parentOps = new Set(viaGrant.operations);
      if (!operations.every((op) => parentOps.has(op)) || (viaGrant.constraints && !sameJson(viaGrant.constraints, constraints))) {
        this.#deny(access, key, 'kms:CreateGrant', 'resource-based');
      }
    }
    this.#checkUsable(key);
    checkDryRun(input.DryRun);
    const issuingAccount = `arn:aws:iam::${access.kind === 'caller' ? access.caller.accountId : this.accountId}:root`;
    if (input.Name !== undefined) {
      const same = this.#state.grants.find(
        (g) =>
          g.keyId === key.keyId &&
          g.name === input.Name &&
          g.granteePrincipal === input.GranteePrincipal &&
          g.retiringPrincipal === input.RetiringPrincipal &&
          sameJson([...g.operations].sort(), [...operations].sort()) &&
          sameJson(g.constraints, constraints),
      );
      if (same) return { GrantId: same.grantId, GrantToken: this.#grantToken(same.grantId) };
    }
    if (this.#state.grants.filter((g) => g.keyId === key.keyId).length >= GRANTS_PER_KEY_LIMIT) {
      throw kmsError('LimitExceededException', `${this.#keyArn(key.keyId)} has reached the limit of ${GRANTS_PER_KEY_LIMIT} grants.`);
    }
    const grant: GrantRecord = {
      grantId: randomBytes(32).toString('hex'),
      keyId: key.keyId,
      creationDateMs: this.#clock.now(),
      granteePrincipal: input.GranteePrincipal,
      issuingAccount,
      operations,
    };
    if (input.Name !== undefined) grant.name = input.Name;
    if (input.RetiringPrincipal !== undefined) grant.retiringPrincipal = input.RetiringPrincipal;
    if (constraints !== undefined) grant.constraints = constraints;
    this.#state.grants.push(grant);
    await this.#persist();
    this.#logger?.info({ keyId: key.keyId, grantId: grant.grantId, grantee: grant.granteePrincipal }, 'KMS grant created');
    return { GrantId: grant.grantId, GrantToken: this.#grantToken(grant.grantId) };
  }

  async listGrants(
    caller: CallerIdentity,
    input: KeyIdInput & ListInput & { GrantId?: string; GranteePrincipal?: string },
    options: CallOptions = {},
  ): Promise<{ Grants: GrantListEntry[]; NextMarker?: string; Truncated: boolean }> {
    const access = this.#callerAccess(caller, undefined, options);
    const key = await this.#resolveKey(access, input.KeyId, { allowAlias: false });
    this.#authorize(access, key, 'kms:ListGrants');
    if (input.GrantId !== undefined) checkGrantIdFormat(input.GrantId);
    const grants = this.#state.grants
      .filter((g) => g.keyId === key.keyId)
      .filter((g) => input.GrantId === undefined || g.grantId === input.GrantId)
      .filter((g) => input.GranteePrincipal === undefined || g.granteePrincipal === input.GranteePrincipal)
      .sort((a, b) => a.creationDateMs - b.creationDateMs || (a.grantId < b.grantId ? -1 : 1));
    const page = paginate(grants, (g) => g.grantId, input.Limit ?? 50, input.Marker, true);
    return { Grants: page.items.map((g) => this.#grantEntry(g)), ...pageTail(page) };
  }

  async listRetirableGrants(
    caller: CallerIdentity,
    input: { RetiringPrincipal: string } & ListInput,
    options: CallOptions = {},
  ): Promise<{ Grants: GrantListEntry[]; NextMarker?: string; Truncated: boolean }> {
    const access = this.#callerAccess(caller, undefined, options);
    checkPrincipal('RetiringPrincipal', input.RetiringPrincipal);
    // AWS requires kms:ListRetirableGrants in an identity policy; a principal listing the grants it
    // may retire itself needs no permission here (it can already retire each of them).
    if (input.RetiringPrincipal !== caller.arn) this.#authorizeAccount(access, 'kms:ListRetirableGrants');
    const grants = this.#state.grants
      .filter((g) => g.retiringPrincipal === input.RetiringPrincipal && this.#keyById(g.keyId)?.owner === 'ACCOUNT')
      .sort((a, b) => a.creationDateMs - b.creationDateMs || (a.grantId < b.grantId ? -1 : 1));
    const page = paginate(grants, (g) => g.grantId, input.Limit ?? 50, input.Marker, true);
    return { Grants: page.items.map((g) => this.#grantEntry(g)), ...pageTail(page) };
  }

  async retireGrant(
    caller: CallerIdentity,
    input: { GrantToken?: string; KeyId?: string; GrantId?: string; DryRun?: boolean },
    options: CallOptions = {},
  ): Promise<Record<string, never>> {
    const access = this.#callerAccess(caller, undefined, options);
    let grant: GrantRecord | undefined;
    if (input.GrantToken !== undefined) {
      const grantId = this.#grantIdFromToken(input.GrantToken);
      grant = this.#state.grants.find((g) => g.grantId === grantId);
      if (grant === undefined || (input.GrantId !== undefined && input.GrantId !== grantId)) {
        throw kmsError('NotFoundException', 'The grant that this token refers to does not exist.');
      }
      if (input.KeyId !== undefined) {
        const key = await this.#resolveKey(access, input.KeyId, { allowAlias: false });
        if (key.keyId !== grant.keyId) throw kmsError('NotFoundException', 'The grant that this token refers to does not exist.');
      }
    } else if (input.KeyId !== undefined && input.GrantId !== undefined) {
      const key = await this.#resolveKey(access, input.KeyId, { allowAlias: false });
      checkGrantIdFormat(input.GrantId);
      grant = this.#state.grants.find((g) => g.grantId === input.GrantId && g.keyId === key.keyId);
      if (grant === undefined) throw kmsError('NotFoundException', `Grant ID ${input.GrantId} not found.`);
    } else {
      throw validationError(['Either GrantToken or both KeyId and GrantId must be specified']);
    }
    const key = this.#keyById(grant.keyId)!;
    const c = access.kind === 'caller' ? access.caller : undefined;
    const allowedByGrant =
      c !== undefined &&
      (grant.retiringPrincipal === c.arn ||
        (grant.granteePrincipal === c.arn && grant.operations.includes('RetireGrant')) ||
        c.arn === grant.issuingAccount);
    if (!allowedByGrant) this.#authorize(access, key, 'kms:RetireGrant');
    checkDryRun(input.DryRun);
    this.#state.grants = this.#state.grants.filter((g) => g !== grant);
    await this.#persist();
    this.#logger?.info({ keyId: key.keyId, grantId: grant.grantId, principal: c?.arn }, 'KMS grant retired');
    return {};
  }

  async revokeGrant(caller: CallerIdentity, input: KeyIdInput & { GrantId: string; DryRun?: boolean }, options: CallOptions = {}): Promise<Record<string, never>> {
    const access = this.#callerAccess(caller, undefined, options);
    const key = await this.#resolveKey(access, input.KeyId, { allowAlias: false });
    this.#authorize(access, key, 'kms:RevokeGrant');
    checkGrantIdFormat(input.GrantId);
    const grant = this.#state.grants.find((g) => g.grantId === input.GrantId && g.keyId === key.keyId);
    if (grant === undefined) throw kmsError('NotFoundException', `Grant ID ${input.GrantId} not found.`);
    checkDryRun(input.DryRun);
    this.#state.grants = this.#state.grants.filter((g) => g !== grant);
    await this.#persist();
    this.#logger?.info({ keyId: key.keyId, grantId: grant.grantId, principal: caller.arn }, 'KMS grant revoked');
    return {};
  }

  // ---------------------------------------------------------------- control plane

  /** Creates `alias/aws/mq` and its service-managed key if missing; returns the key's metadata. */
  async ensureServiceManagedKey(): Promise<KeyMetadata> {
    return this.#metadata(await this.#ensureServiceManagedKey());
  }

  /** A service-owned key for one broker: not listed, not usable through the API, destroyed with the broker. */
  async createServiceOwnedKey(ownerId: string): Promise<{ KeyId: string; Arn: string }> {
    const keyId = randomUUID();
    const key = this.#newKeyRecord(keyId, {
      description: `Service-owned key for ${ownerId}`,
      policy: JSON.stringify({ Version: '2012-10-17', Id: 'service-owned', Statement: [] }),
      tags: [],
      keyManager: 'AWS',
      owner: 'SERVICE',
      rotation: true,
    });
    key.serviceOwnerId = ownerId;
    this.#state.keys.push(key);
    await this.#persist();
    this.#logger?.info({ keyId, ownerId }, 'service-owned KMS key created');
    return { KeyId: keyId, Arn: this.#keyArn(keyId) };
  }

  /** The service-owned keys and the owner each was made for, so the control plane can reconcile after a crash. */
  listServiceOwnedKeys(): { KeyId: string; Arn: string; OwnerId: string; CreationDate: Date }[] {
    return this.#state.keys
      .filter((k) => k.owner === 'SERVICE')
      .map((k) => ({ KeyId: k.keyId, Arn: this.#keyArn(k.keyId), OwnerId: k.serviceOwnerId ?? '', CreationDate: new Date(k.creationDateMs) }));
  }

  /** Destroys a service-owned key and its material at once (crypto-shredding); its ciphertexts become unreadable. */
  async destroyServiceOwnedKey(keyId: string): Promise<void> {
    const key = this.#keyById(keyId);
    if (key === undefined || key.owner !== 'SERVICE') throw kmsError('NotFoundException', `Key '${this.#keyArn(keyId)}' does not exist`);
    this.#deleteKeyNow(key);
    await this.#persist();
    this.#logger?.info({ keyId }, 'service-owned KMS key destroyed');
  }

  /** Data key under a service-owned key (the service itself is the caller). */
  async serviceOwnedGenerateDataKey(input: GenerateDataKeyInput): Promise<GenerateDataKeyOutput> {
    return this.#generateDataKey({ kind: 'service' }, input, 'GenerateDataKey');
  }

  /** Decrypts a blob made under a service-owned key. */
  async serviceOwnedDecrypt(input: DecryptInput): Promise<DecryptOutput> {
    return this.#decrypt({ kind: 'service' }, input);
  }

  /**
   * Retires a grant as the service that created it (the control plane, when a broker is deleted):
   * no principal is involved. Unknown grants are NotFoundException.
   */
  async serviceRetireGrant(input: { KeyId: string; GrantId: string }): Promise<void> {
    const grant = this.#state.grants.find((g) => g.grantId === input.GrantId && (g.keyId === input.KeyId || this.#keyArn(g.keyId) === input.KeyId));
    if (grant === undefined) throw kmsError('NotFoundException', `Grant ID ${input.GrantId} not found.`);
    this.#state.grants = this.#state.grants.filter((g) => g !== grant);
    await this.#persist();
    this.#logger?.info({ keyId: grant.keyId, grantId: grant.grantId }, 'KMS grant retired by the service');
  }

  /** Runs scheduled deletions and due automatic rotations now (also on a timer and at open). */
  async runMaintenance(): Promise<void> {
    while (this.#maintenanceRunning) await this.#maintenanceRunning;
    const run = (async () => {
      const now = this.#clock.now();
      let changed = false;
      for (const key of [...this.#state.keys]) {
        if (key.state === 'PendingDeletion' && key.deletionDateMs !== undefined && key.deletionDateMs <= now) {
          this.#deleteKeyNow(key);
          this.#logger?.info({ keyId: key.keyId }, 'KMS key deleted at the end of its waiting period');
          changed = true;
        } else if (this.#rotateIfDue(key)) {
          this.#logger?.info({ keyId: key.keyId, materialVersion: key.materials.length }, 'KMS key rotated automatically');
          changed = true;
        }
      }
      if (changed) await this.#persist();
    })();
    this.#maintenanceRunning = run;
    try {
      await run;
    } finally {
      this.#maintenanceRunning = undefined;
    }
  }

  // ---------------------------------------------------------------- internals: crypto

  async #encrypt(access: Access, input: EncryptInput): Promise<{ CiphertextBlob: Buffer; KeyId: string; EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' }> {
    checkAlgorithm(input.EncryptionAlgorithm);
    if (input.Plaintext.length < 1 || input.Plaintext.length > 4096) {
      throw validationError([sensitiveFieldConstraint('Plaintext', 'Member must have length between 1 and 4096, inclusive')]);
    }
    const key = await this.#resolveKey(access, input.KeyId, { allowAlias: true, action: 'kms:Encrypt' });
    this.#authorize(access, key, 'kms:Encrypt', { encryptionContext: input.EncryptionContext, grantOperation: 'Encrypt' });
    this.#checkUsable(key);
    checkDryRun(input.DryRun);
    return { CiphertextBlob: this.#seal(key, input.Plaintext, input.EncryptionContext), KeyId: this.#keyArn(key.keyId), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
  }

  async #decrypt(access: Access, input: DecryptInput): Promise<DecryptOutput> {
    checkAlgorithm(input.EncryptionAlgorithm);
    checkCiphertextLength(input.CiphertextBlob);
    const { key, plaintext, materialVersion } = await this.#open(access, input.CiphertextBlob, input.EncryptionContext, input.KeyId, 'Decrypt', false, input.DryRun);
    return { KeyId: this.#keyArn(key.keyId), Plaintext: plaintext, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT', KeyMaterialId: keyMaterialId(key.keyId, materialVersion) };
  }

  async #generateDataKey(
    access: Access,
    input: GenerateDataKeyInput,
    operation: 'GenerateDataKey' | 'GenerateDataKeyWithoutPlaintext',
  ): Promise<GenerateDataKeyOutput> {
    const bytes = dataKeyBytes(input);
    const key = await this.#resolveKey(access, input.KeyId, { allowAlias: true, action: `kms:${operation}` });
    this.#authorize(access, key, `kms:${operation}`, { encryptionContext: input.EncryptionContext, grantOperation: operation });
    this.#checkUsable(key);
    checkDryRun(input.DryRun);
    const plaintextDataKey = randomBytes(bytes);
    return {
      CiphertextBlob: this.#seal(key, plaintextDataKey, input.EncryptionContext),
      Plaintext: plaintextDataKey,
      KeyId: this.#keyArn(key.keyId),
      KeyMaterialId: keyMaterialId(key.keyId, key.materials[key.materials.length - 1]!.version),
    };
  }

  /** Authenticates and opens a blob; authorization and key state are checked before any decryption. */
  async #open(
    access: Access,
    blob: Buffer,
    context: EncryptionContext | undefined,
    keyIdHint: string | undefined,
    operation: 'Decrypt' | 'ReEncryptFrom',
    deferDryRun: boolean,
    dryRun?: boolean,
  ): Promise<{ key: KeyRecord; plaintext: Buffer; materialVersion: number }> {
    let header;
    try {
      header = parseCiphertextHeader(blob);
    } catch (error) {
      if (error instanceof CiphertextFormatError) throw invalidCiphertext();
      throw error;
    }
    let key = this.#keyById(header.keyId);
    if (keyIdHint !== undefined) {
      const named = await this.#resolveKey(access, keyIdHint, { allowAlias: true, action: `kms:${operation}` });
      if (key === undefined || named.keyId !== key.keyId) {
        throw kmsError('IncorrectKeyException', 'The key ID in the request does not identify a KMS key that can perform this operation.');
      }
    }
    if (key === undefined || (access.kind === 'caller' && key.owner !== 'ACCOUNT') || (access.kind === 'service' && key.owner !== 'SERVICE')) {
      if (this.#state.deletedKeyIds.includes(header.keyId)) {
        throw kmsError('NotFoundException', `Key '${this.#keyArn(header.keyId)}' does not exist`);
      }
      // Not a key of this KMS: a foreign or altered blob. Report it as the blob's fault, with no detail.
      throw invalidCiphertext();
    }
    key = key as KeyRecord;
    this.#authorize(access, key, `kms:${operation}`, { encryptionContext: context, grantOperation: operation });
    this.#checkUsable(key);
    if (!deferDryRun) checkDryRun(dryRun);
    const material = key.materials.find((m) => m.version === header.materialVersion);
    if (material === undefined) throw invalidCiphertext();
    const plaintextKeyMaterial = this.#rootKey.open(Buffer.from(material.sealedMaterial, 'base64'), materialPurpose(key.keyId, material.version));
    try {
      return { key, plaintext: openCiphertext(plaintextKeyMaterial, blob, context), materialVersion: material.version };
    } catch (error) {
      if (error instanceof CiphertextAuthError || error instanceof CiphertextFormatError) throw invalidCiphertext();
      throw error;
    } finally {
      plaintextKeyMaterial.fill(0);
    }
  }

  #seal(key: KeyRecord, plaintext: Buffer, context: EncryptionContext | undefined): Buffer {
    const current = key.materials[key.materials.length - 1]!;
    const plaintextKeyMaterial = this.#rootKey.open(Buffer.from(current.sealedMaterial, 'base64'), materialPurpose(key.keyId, current.version));
    try {
      return sealCiphertext(plaintextKeyMaterial, { keyId: key.keyId, materialVersion: current.version }, plaintext, context);
    } finally {
      plaintextKeyMaterial.fill(0);
    }
  }

  // ---------------------------------------------------------------- internals: keys

  #newKeyRecord(
    keyId: string,
    fields: { description: string; policy: string; tags: Tag[]; keyManager: 'CUSTOMER' | 'AWS'; owner: 'ACCOUNT' | 'SERVICE'; rotation?: boolean },
  ): KeyRecord {
    const now = this.#clock.now();
    const key: KeyRecord = {
      keyId,
      creationDateMs: now,
      description: fields.description,
      state: 'Enabled',
      keyManager: fields.keyManager,
      owner: fields.owner,
      policy: fields.policy,
      tags: fields.tags,
      rotationEnabled: fields.rotation === true,
      onDemandRotations: 0,
      materials: [],
    };
    if (fields.rotation) {
      key.rotationPeriodInDays = 365;
      key.nextRotationDateMs = now + 365 * DAY_MS;
    }
    this.#addMaterial(key, undefined);
    return key;
  }

  #addMaterial(key: KeyRecord, rotationType: 'AUTOMATIC' | 'ON_DEMAND' | undefined): void {
    const version = key.materials.length + 1;
    const plaintextKeyMaterial = randomBytes(32);
    try {
      const sealed = this.#rootKey.seal(plaintextKeyMaterial, materialPurpose(key.keyId, version));
      key.materials.push({
        version,
        createdAtMs: this.#clock.now(),
        sealedMaterial: sealed.toString('base64'),
        ...(rotationType ? { rotationType } : {}),
      });
    } finally {
      plaintextKeyMaterial.fill(0);
    }
  }

  /** Automatic rotation: only Enabled keys rotate; a key re-enabled after its date rotates at once. */
  #rotateIfDue(key: KeyRecord): boolean {
    if (!key.rotationEnabled || key.state !== 'Enabled' || key.nextRotationDateMs === undefined) return false;
    const now = this.#clock.now();
    if (key.nextRotationDateMs > now) return false;
    this.#addMaterial(key, 'AUTOMATIC');
    key.nextRotationDateMs = now + (key.rotationPeriodInDays ?? 365) * DAY_MS;
    return true;
  }

  #deleteKeyNow(key: KeyRecord): void {
    this.#state.keys = this.#state.keys.filter((k) => k !== key);
    this.#state.aliases = this.#state.aliases.filter((a) => a.targetKeyId !== key.keyId);
    this.#state.grants = this.#state.grants.filter((g) => g.keyId !== key.keyId);
    this.#state.deletedKeyIds.push(key.keyId);
    this.#policyCache.delete(key.keyId);
  }

  #keyById(keyId: string): KeyRecord | undefined {
    return this.#state.keys.find((k) => k.keyId === keyId);
  }

  #accountKeys(): KeyRecord[] {
    return this.#state.keys.filter((k) => k.owner === 'ACCOUNT');
  }

  #keyArn(keyId: string): string {
    return `arn:aws:kms:${this.region}:${this.accountId}:key/${keyId}`;
  }

  #aliasArn(aliasName: string): string {
    return `arn:aws:kms:${this.region}:${this.accountId}:${aliasName}`;
  }

  #findAlias(aliasName: string): AliasRecord {
    const alias = this.#state.aliases.find((a) => a.aliasName === aliasName && this.#keyById(a.targetKeyId)?.owner === 'ACCOUNT');
    if (alias === undefined) throw kmsError('NotFoundException', `Alias ${this.#aliasArn(aliasName)} is not found.`);
    return alias;
  }

  /**
   * Resolves a key id, key ARN, alias name or alias ARN to a key of this account. `alias/aws/mq` is
   * created on first use by a caller of this account who may use KMS keys.
   */
  async #resolveKey(access: Access, keyIdInput: string, options: { allowAlias: boolean; action?: string }): Promise<KeyRecord> {
    const arnPrefix = `arn:aws:kms:${this.region}:${this.accountId}:`;
    let aliasName: string | undefined;
    let keyId: string | undefined;
    if (keyIdInput.startsWith('alias/')) {
      aliasName = keyIdInput;
    } else if (keyIdInput.startsWith('arn:')) {
      const m = /^arn:aws:kms:([^:]*):([^:]*):(key|alias)\/(.+)$/.exec(keyIdInput);
      if (m === null) throw kmsError('NotFoundException', `Invalid keyId ${keyIdInput}`);
      if (!keyIdInput.startsWith(arnPrefix)) {
        throw kmsError('NotFoundException', m[3] === 'alias' ? `Alias ${keyIdInput} is not found.` : `Key '${keyIdInput}' does not exist`);
      }
      if (m[3] === 'alias') aliasName = `alias/${m[4]}`;
      else keyId = m[4];
    } else {
      keyId = keyIdInput;
    }
    if (aliasName !== undefined) {
      if (!options.allowAlias) throw kmsError('NotFoundException', `Invalid keyId ${keyIdInput}`);
      const alias = this.#state.aliases.find((a) => a.aliasName === aliasName);
      if (alias !== undefined) {
        const key = this.#keyById(alias.targetKeyId);
        if (key !== undefined && key.owner === 'ACCOUNT') return key;
      }
      if (aliasName === SERVICE_MANAGED_MQ_ALIAS && this.#mayCreateServiceManagedKey(access, options.action ?? 'kms:DescribeKey')) {
        return this.#ensureServiceManagedKey();
      }
      throw kmsError('NotFoundException', `Alias ${this.#aliasArn(aliasName)} is not found.`);
    }
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(keyId!)) {
      throw kmsError('NotFoundException', `Invalid keyId ${keyIdInput}`);
    }
    const key = this.#keyById(keyId!);
    if (key === undefined || (access.kind === 'caller' && key.owner !== 'ACCOUNT')) {
      throw kmsError('NotFoundException', `Key '${this.#keyArn(keyId!)}' does not exist`);
    }
    return key;
  }

  #mayCreateServiceManagedKey(access: Access, action: string): boolean {
    if (access.kind !== 'caller' || access.caller.accountId !== this.accountId) return false;
    if (access.viaService !== undefined) return true;
    const result = evaluatePolicies({
      action,
      resource: `arn:aws:kms:${this.region}:${this.accountId}:key/*`,
      principalArn: access.caller.arn,
      principalAccount: access.caller.accountId,
      identityPolicies: access.caller.policies,
      context: this.#conditionContext(access, undefined),
    });
    return result.decision === 'Allow';
  }

  async #ensureServiceManagedKey(): Promise<KeyRecord> {
    const existing = this.#state.aliases.find((a) => a.aliasName === SERVICE_MANAGED_MQ_ALIAS);
    if (existing !== undefined) return this.#keyById(existing.targetKeyId)!;
    const key = this.#newKeyRecord(randomUUID(), {
      description: 'Default key that protects my Amazon MQ data when no other key is defined',
      policy: this.#serviceManagedKeyPolicy(),
      tags: [],
      keyManager: 'AWS',
      owner: 'ACCOUNT',
      rotation: true,
    });
    const now = this.#clock.now();
    this.#state.keys.push(key);
    this.#state.aliases.push({ aliasName: SERVICE_MANAGED_MQ_ALIAS, targetKeyId: key.keyId, creationDateMs: now, lastUpdatedDateMs: now });
    await this.#persist();
    this.#logger?.info({ keyId: key.keyId }, 'service-managed KMS key alias/aws/mq created');
    return key;
  }

  #metadata(key: KeyRecord): KeyMetadata {
    const metadata: KeyMetadata = {
      AWSAccountId: this.accountId,
      KeyId: key.keyId,
      Arn: this.#keyArn(key.keyId),
      CreationDate: new Date(key.creationDateMs),
      Enabled: key.state === 'Enabled',
      Description: key.description,
      KeyUsage: 'ENCRYPT_DECRYPT',
      KeyState: key.state,
      Origin: 'AWS_KMS',
      KeyManager: key.keyManager,
      CustomerMasterKeySpec: 'SYMMETRIC_DEFAULT',
      KeySpec: 'SYMMETRIC_DEFAULT',
      EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
      MultiRegion: false,
      CurrentKeyMaterialId: keyMaterialId(key.keyId, key.materials[key.materials.length - 1]!.version),
    };
    if (key.state === 'PendingDeletion' && key.deletionDateMs !== undefined) {
      metadata.DeletionDate = new Date(key.deletionDateMs);
      if (key.pendingWindowInDays !== undefined) metadata.PendingDeletionWindowInDays = key.pendingWindowInDays;
    }
    return metadata;
  }

  #aliasEntry(alias: AliasRecord): AliasListEntry {
    return {
      AliasName: alias.aliasName,
      AliasArn: this.#aliasArn(alias.aliasName),
      TargetKeyId: alias.targetKeyId,
      CreationDate: new Date(alias.creationDateMs),
      LastUpdatedDate: new Date(alias.lastUpdatedDateMs),
    };
  }

  #grantEntry(grant: GrantRecord): GrantListEntry {
    const entry: GrantListEntry = {
      KeyId: this.#keyArn(grant.keyId),
      GrantId: grant.grantId,
      CreationDate: new Date(grant.creationDateMs),
      GranteePrincipal: grant.granteePrincipal,
      IssuingAccount: grant.issuingAccount,
      Operations: [...grant.operations],
    };
    if (grant.name !== undefined) entry.Name = grant.name;
    if (grant.retiringPrincipal !== undefined) entry.RetiringPrincipal = grant.retiringPrincipal;
    if (grant.constraints !== undefined) entry.Constraints = structuredClone(grant.constraints);
    return entry;
  }

  // ---------------------------------------------------------------- internals: state rules

  /** Key-state rule for cryptographic operations and CreateGrant (aws-apis.md 2.5). */
  #checkUsable(key: KeyRecord): void {
    if (key.state === 'Disabled') throw kmsError('DisabledException', `${this.#keyArn(key.keyId)} is disabled.`);
    if (key.state === 'PendingDeletion') throw kmsError('KMSInvalidStateException', `${this.#keyArn(key.keyId)} is pending deletion.`);
  }

  #checkNotPendingDeletion(key: KeyRecord): void {
    if (key.state === 'PendingDeletion') throw kmsError('KMSInvalidStateException', `${this.#keyArn(key.keyId)} is pending deletion.`);
  }

  /**
   * Users may not change an AWS managed key (alias/aws/mq): its key policy already allows none of
   * these actions; this keeps the rule even if a policy were ever wider.
   */
  #checkCustomerManaged(access: Access, key: KeyRecord, action: string): void {
    if (key.keyManager === 'AWS' && access.kind === 'caller') this.#deny(access, key, action, 'resource-based');
  }

  // ---------------------------------------------------------------- internals: authorization

  #callerAccess(caller: CallerIdentity, grantTokens: readonly string[] | undefined, options: CallOptions): Access {
    if (this.#failed) throw kmsError('KMSInternalException', 'The KMS key store could not be written; the KMS must be restarted.');
    const tokens = grantTokens ?? [];
    if (tokens.length > 10) throw validationError([sensitiveFieldConstraint('GrantTokens', 'Member must have length less than or equal to 10')]);
    for (const token of tokens) this.#grantIdFromToken(token);
    const access: Access = { kind: 'caller', caller, grantTokens: tokens };
    if (options.viaService !== undefined) access.viaService = options.viaService;
    return access;
  }

  #conditionContext(access: Access, context: EncryptionContext | undefined, extra?: Record<string, string | string[] | boolean>): ConditionContext {
    const result: Record<string, string | string[] | boolean> = {};
    if (access.kind === 'caller') {
      result['kms:CallerAccount'] = access.caller.accountId;
      if (access.viaService !== undefined) result['kms:ViaService'] = access.viaService;
    }
    if (context !== undefined) {
      for (const [k, v] of Object.entries(context)) result[`kms:EncryptionContext:${k}`] = v;
      result['kms:EncryptionContextKeys'] = Object.keys(context);
    }
    return { ...result, ...extra };
  }

  #policyOf(key: KeyRecord): PolicyDocument {
    const cached = this.#policyCache.get(key.keyId);
    if (cached !== undefined && cached.text === key.policy) return cached.document;
    const document = JSON.parse(key.policy) as PolicyDocument;
    this.#policyCache.set(key.keyId, { text: key.policy, document });
    return document;
  }

  /**
   * Key authorization as AWS does it: an explicit deny anywhere refuses; the key policy allows
   * (directly, or through the account root to identity policies); else a grant for the caller that
   * covers the operation and whose constraints the request meets. Returns the grant used, if any.
   */
  #authorize(access: Access, key: KeyRecord, action: string, options: AuthorizeOptions = {}): GrantRecord | undefined {
    if (access.kind === 'service') {
      if (key.owner !== 'SERVICE') throw new Error('assertion failed: service access to an account key');
      return undefined;
    }
    const caller = access.caller;
    const keyArn = this.#keyArn(key.keyId);
    const result = evaluatePolicies({
      action,
      resource: keyArn,
      principalArn: caller.arn,
      principalAccount: caller.accountId,
      identityPolicies: caller.policies,
      resourcePolicy: this.#policyOf(key),
      resourcePolicyRequired: true,
      context: this.#conditionContext(access, options.encryptionContext, options.extraContext),
    });
    if (result.decision === 'ExplicitDeny') {
      throw kmsError(
        'AccessDeniedException',
        `User: ${caller.arn} is not authorized to perform: ${action} on resource: ${keyArn} with an explicit deny in ${result.explicitDenyIn === 'identity-based' ? 'an identity-based' : 'a resource-based'} policy`,
      );
    }
    if (result.decision === 'Allow') return undefined;
    if (options.grantOperation !== undefined) {
      const grant = this.#state.grants.find(
        (g) =>
          g.keyId === key.keyId &&
          (g.granteePrincipal === caller.arn || g.granteePrincipal === `arn:aws:iam::${caller.accountId}:root`) &&
          g.operations.includes(options.grantOperation!) &&
          grantConstraintsMet(g.constraints, options.grantOperation!, options.encryptionContext),
      );
      if (grant !== undefined) return grant;
    }
    this.#deny(access, key, action, result.missingAllowIn ?? 'resource-based');
  }

  #deny(access: Access, key: KeyRecord, action: string, missingAllowIn: 'identity-based' | 'resource-based'): never {
    const arn = access.kind === 'caller' ? access.caller.arn : 'service';
    throw kmsError(
      'AccessDeniedException',
      `User: ${arn} is not authorized to perform: ${action} on resource: ${this.#keyArn(key.keyId)} because no ${missingAllowIn} policy allows the ${action} action`,
    );
  }

  /** Operations on no key (CreateKey, ListKeys, ListAliases, GenerateRandom): identity policies on "*". */
  #authorizeAccount(access: Access, action: string): void {
    this.#authorizeIdentity(access, action, '*');
  }

  #authorizeIdentity(access: Access, action: string, resource: string): void {
    if (access.kind === 'service') return;
    const caller = access.caller;
    const result = evaluatePolicies({
      action,
      resource,
      principalArn: caller.arn,
      principalAccount: caller.accountId,
      identityPolicies: caller.policies,
      context: this.#conditionContext(access, undefined),
    });
    if (result.decision === 'Allow') return;
    const because =
      result.decision === 'ExplicitDeny' ? `with an explicit deny in an identity-based policy` : `because no identity-based policy allows the ${action} action`;
    throw kmsError('AccessDeniedException', `User: ${caller.arn} is not authorized to perform: ${action} on resource: ${resource} ${because}`);
  }

  /** The key-policy lockout safety check: the caller must still be able to PutKeyPolicy under the new policy. */
  #checkLockout(caller: CallerIdentity, document: PolicyDocument, keyArn: string): void {
    const result = evaluatePolicies({
      action: 'kms:PutKeyPolicy',
      resource: keyArn,
      principalArn: caller.arn,
      principalAccount: caller.accountId,
      identityPolicies: caller.policies,
      resourcePolicy: document,
      resourcePolicyRequired: true,
      context: { 'kms:CallerAccount': caller.accountId },
    });
    if (result.decision !== 'Allow') {
      throw kmsError(
        'MalformedPolicyDocumentException',
        'The new key policy will not allow you to update the key policy in the future.',
      );
    }
  }

  #defaultKeyPolicy(): string {
    return JSON.stringify(
      {
        Version: '2012-10-17',
        Id: 'key-default-1',
        Statement: [
          {
            Sid: 'Enable IAM User Permissions',
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${this.accountId}:root` },
            Action: 'kms:*',
            Resource: '*',
          },
        ],
      },
      null,
      2,
    );
  }

  /** As AWS writes an AWS managed key's policy: use only through the service, metadata for the account. */
  #serviceManagedKeyPolicy(): string {
    return JSON.stringify(
      {
        Version: '2012-10-17',
        Id: 'auto-mq',
        Statement: [
          {
            Sid: 'Allow access through Amazon MQ for all principals in the account that are authorized to use Amazon MQ',
            Effect: 'Allow',
            Principal: { AWS: '*' },
            Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:CreateGrant', 'kms:ListGrants', 'kms:DescribeKey'],
            Resource: '*',
            Condition: { StringEquals: { 'kms:ViaService': `mq.${this.region}.amazonaws.com`, 'kms:CallerAccount': this.accountId } },
          },
          {
            Sid: 'Allow direct access to key metadata to the account',
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${this.accountId}:root` },
            Action: ['kms:Describe*', 'kms:Get*', 'kms:List*', 'kms:RevokeGrant'],
            Resource: '*',
          },
        ],
      },
      null,
      2,
    );
  }

  // ---------------------------------------------------------------- internals: grant tokens, persistence

  /** Grant token: base64url('gt1' | grantId (32) | nonce (16) | HMAC-SHA256 over the rest). Not a secret. */
  #grantToken(grantId: string): string {
    const body = Buffer.concat([Buffer.from('gt1'), Buffer.from(grantId, 'hex'), randomBytes(16)]);
    const mac = createHmac('sha256', Buffer.from(this.#state.grantTokenMacKey, 'base64')).update(body).digest();
    return Buffer.concat([body, mac]).toString('base64url');
  }

  #grantIdFromToken(token: string): string {
    const bytes = Buffer.from(token, 'base64url');
    const invalid = () => kmsError('InvalidGrantTokenException', 'The grant token is not valid.');
    if (bytes.length !== 3 + 32 + 16 + 32 || bytes.subarray(0, 3).toString() !== 'gt1' || bytes.toString('base64url') !== token) throw invalid();
    const body = bytes.subarray(0, 51);
    const expected = createHmac('sha256', Buffer.from(this.#state.grantTokenMacKey, 'base64')).update(body).digest();
    if (!timingSafeEqual(expected, bytes.subarray(51))) throw invalid();
    return bytes.subarray(3, 35).toString('hex');
  }

  async #persist(): Promise<void> {
    if (this.#failed) throw kmsError('KMSInternalException', 'The KMS key store could not be written; the KMS must be restarted.');
    try {
      await this.#store.save(this.#state);
    } catch (error) {
      // Fail stop: memory is now ahead of disk, and answering from it could hand out keys that a restart would lose.
      this.#failed = error as Error;
      this.#logger?.error({ err: error, path: this.#store.path }, 'KMS key store write failed; KMS stopped');
      throw kmsError('KMSInternalException', 'The KMS key store could not be written; the KMS must be restarted.');
    }
  }
}

// ---------------------------------------------------------------- helpers

/** A stable public id for one version of a key's material (64 hex, as AWS's KeyMaterialId); reveals nothing of it. */
function keyMaterialId(keyId: string, version: number): string {
  return createHash('sha256').update(`sealmq-key-material-id:${keyId}:${version}`).digest('hex');
}

function invalidCiphertext(): KmsError {
  return kmsError('InvalidCiphertextException', 'The ciphertext is invalid, or was encrypted under another encryption context or key.');
}

function checkDryRun(dryRun: boolean | undefined): void {
  if (dryRun) throw kmsError('DryRunOperationException', 'The request would have succeeded, but the DryRun option is set.');
}

function checkCiphertextLength(blob: Buffer): void {
  if (blob.length < 1 || blob.length > CIPHERTEXT_MAX_BYTES) {
    throw validationError([sensitiveFieldConstraint('CiphertextBlob', `Member must have length between 1 and ${CIPHERTEXT_MAX_BYTES}, inclusive`)]);
  }
}

function checkAlgorithm(algorithm: string | undefined): void {
  if (algorithm !== undefined && algorithm !== 'SYMMETRIC_DEFAULT') {
    throw kmsError('InvalidKeyUsageException', `The encryption algorithm ${algorithm} is not supported by a symmetric encryption KMS key; use SYMMETRIC_DEFAULT.`);
  }
}

function dataKeyBytes(input: GenerateDataKeyInput): number {
  if (input.KeySpec !== undefined && input.NumberOfBytes !== undefined) {
    throw validationError(['Please specify either KeySpec or NumberOfBytes, not both']);
  }
  if (input.KeySpec === 'AES_256') return 32;
  if (input.KeySpec === 'AES_128') return 16;
  if (input.KeySpec !== undefined) {
    throw validationError([fieldConstraint('KeySpec', input.KeySpec, 'Member must satisfy enum value set: [AES_256, AES_128]')]);
  }
  const n = input.NumberOfBytes;
  if (n === undefined) throw validationError(['Please specify either KeySpec or NumberOfBytes']);
  if (!Number.isInteger(n) || n < 1 || n > 1024) {
    throw validationError([fieldConstraint('NumberOfBytes', n, 'Member must have value between 1 and 1024, inclusive')]);
  }
  return n;
}

function checkDescription(description: string | undefined): void {
  if (description !== undefined && description.length > 8192) {
    throw validationError([fieldConstraint('Description', undefined, 'Member must have length less than or equal to 8192')]);
  }
}

function checkTags(tags: readonly Tag[]): Tag[] {
  const seen = new Set<string>();
  for (const tag of tags) {
    if (tag.TagKey.length < 1 || tag.TagKey.length > 128 || tag.TagValue.length > 256) {
      throw kmsError('TagException', 'Tag keys must be 1 to 128 characters and tag values 0 to 256 characters.');
    }
    if (tag.TagKey.toLowerCase().startsWith('aws:')) throw kmsError('TagException', `Tag key ${tag.TagKey} is reserved: tag keys cannot begin with aws:.`);
    if (seen.has(tag.TagKey)) throw kmsError('TagException', `Duplicate tag key ${tag.TagKey}.`);
    seen.add(tag.TagKey);
  }
  if (tags.length > TAGS_PER_KEY_LIMIT) throw kmsError('TagException', `A KMS key can have at most ${TAGS_PER_KEY_LIMIT} tags.`);
  return tags.map((t) => ({ TagKey: t.TagKey, TagValue: t.TagValue }));
}

function checkPolicyName(name: string | undefined): void {
  if (name !== undefined && name !== 'default') throw kmsError('NotFoundException', 'No such policy exists');
}

function parseKeyPolicy(text: string): PolicyDocument {
  if (text.length < 1 || text.length > 131072) {
    throw validationError([fieldConstraint('Policy', undefined, 'Member must have length between 1 and 131072, inclusive')]);
  }
  try {
    return parsePolicyDocument(text, { requirePrincipal: true });
  } catch (error) {
    if (error instanceof PolicyDocumentError) throw kmsError('MalformedPolicyDocumentException', error.message);
    throw error;
  }
}

function checkAliasName(aliasName: string): void {
  if (!aliasName.startsWith('alias/')) {
    throw validationError([fieldConstraint('AliasName', aliasName, 'Member must begin with alias/')]);
  }
  if (aliasName.length <= 'alias/'.length || aliasName.length > 256 || !/^[a-zA-Z0-9:/_-]+$/.test(aliasName)) {
    throw kmsError('InvalidAliasNameException', `Alias name ${aliasName} is not valid: it must begin with alias/ and contain only letters, digits, :, /, _ and -.`);
  }
  if (aliasName.startsWith(RESERVED_ALIAS_PREFIX)) {
    throw kmsError('NotAuthorizedException', `Alias names that begin with ${RESERVED_ALIAS_PREFIX} are reserved for AWS managed keys.`);
  }
}

function checkGrantOperations(operations: readonly string[]): string[] {
  if (operations.length === 0) throw validationError([fieldConstraint('Operations', operations, 'Member must have length greater than or equal to 1')]);
  const known = new Set<string>(GRANT_OPERATIONS);
  for (const op of operations) {
    if (!known.has(op)) {
      throw validationError([fieldConstraint('Operations', op, `Member must satisfy enum value set: [${GRANT_OPERATIONS.join(', ')}]`)]);
    }
    if (!SYMMETRIC_GRANT_OPERATIONS.has(op)) throw validationError([`Grant operation ${op} is not valid for a symmetric encryption KMS key`]);
  }
  return [...new Set(operations)];
}

function checkConstraints(constraints: GrantConstraints | undefined): GrantConstraints | undefined {
  if (constraints === undefined) return undefined;
  const out: GrantConstraints = {};
  if (constraints.EncryptionContextEquals !== undefined) out.EncryptionContextEquals = { ...constraints.EncryptionContextEquals };
  if (constraints.EncryptionContextSubset !== undefined) out.EncryptionContextSubset = { ...constraints.EncryptionContextSubset };
  if (out.EncryptionContextEquals && out.EncryptionContextSubset) {
    throw validationError(['A grant can have only one encryption context constraint: EncryptionContextEquals or EncryptionContextSubset']);
  }
  return out.EncryptionContextEquals || out.EncryptionContextSubset ? out : undefined;
}

function checkPrincipal(field: string, principal: string): void {
  if (!/^[\w+=,.@:/-]+$/.test(principal) || principal.length > 256) {
    throw validationError([fieldConstraint(field, principal, 'Member must satisfy regular expression pattern: ^[\\w+=,.@:/-]+$')]);
  }
}

function checkGrantIdFormat(grantId: string): void {
  if (!/^[0-9a-f]{64}$/.test(grantId)) throw kmsError('InvalidGrantIdException', `Grant ID ${grantId.slice(0, 128)} is not valid.`);
}

/** EncryptionContextEquals: the same pairs exactly; EncryptionContextSubset: at least its pairs. */
function grantConstraintsMet(constraints: GrantConstraints | undefined, operation: string, context: EncryptionContext | undefined): boolean {
  if (constraints === undefined || !CONTEXT_OPERATIONS.has(operation)) return true;
  const actual = context ?? {};
  if (constraints.EncryptionContextEquals !== undefined) {
    const expected = constraints.EncryptionContextEquals;
    const keys = Object.keys(expected);
    return keys.length === Object.keys(actual).length && keys.every((k) => Object.hasOwn(actual, k) && actual[k] === expected[k]);
  }
  if (constraints.EncryptionContextSubset !== undefined) {
    return Object.entries(constraints.EncryptionContextSubset).every(([k, v]) => Object.hasOwn(actual, k) && actual[k] === v);
  }
  return true;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/**
 * Pagination by marker: the marker is base64url of the last returned item's sort key. `idMarker`
 * lists sort by something else (creation), so the marker names the last item instead.
 */
const MARKER_PREFIX = 'sealmq-marker-1:';

function paginate<T>(items: readonly T[], keyOf: (item: T) => string, limit: number, marker: string | undefined, idMarker = false): ListPage<T> {
  let start = 0;
  if (marker !== undefined) {
    const raw = Buffer.from(marker, 'base64url').toString('utf8');
    if (!raw.startsWith(MARKER_PREFIX) || Buffer.from(raw, 'utf8').toString('base64url') !== marker) {
      throw kmsError('InvalidMarkerException', 'The marker is not valid.');
    }
    const decoded = raw.slice(MARKER_PREFIX.length);
    if (idMarker) {
      const index = items.findIndex((item) => keyOf(item) === decoded);
      if (index < 0) throw kmsError('InvalidMarkerException', 'The marker is not valid.');
      start = index + 1;
    } else {
      start = items.findIndex((item) => keyOf(item) > decoded);
      if (start < 0) start = items.length;
    }
  }
  const page = items.slice(start, start + limit);
  const truncated = start + limit < items.length;
  const result: ListPage<T> = { items: page, Truncated: truncated };
  if (truncated && page.length > 0) result.NextMarker = Buffer.from(MARKER_PREFIX + keyOf(page[page.length - 1]!), 'utf8').toString('base64url');
  return result;
}

function pageTail<T>(page: ListPage<T>): { NextMarker?: string; Truncated: boolean } {
  return page.NextMarker !== undefined ? { NextMarker: page.NextMarker, Truncated: page.Truncated } : { Truncated: page.Truncated };
}
