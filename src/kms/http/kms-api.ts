// The AWS KMS JSON 1.1 operation layer: turns an operation name (X-Amz-Target after 'TrentService.')
// and a parsed JSON body into a KmsService call, validating every field against the model (zod) and
// encoding the result for the wire (blobs as base64, timestamps as epoch seconds). HTTP framing, the
// body limit, malformed JSON, SigV4 and writing errors to the wire belong to the HTTPS server.
import { z } from 'zod';
import type { CallerIdentity } from '../../identity/caller.ts';
import { AwsApiError } from '../../util/aws-error.ts';
import { kmsError, lowerFirst, validationError } from '../kms-errors.ts';
import { GRANT_OPERATIONS, type KmsService } from '../kms-service.ts';

const KEY_ID = z.string().min(1).max(2048);
const GRANT_TOKENS = z.array(z.string().min(1).max(8192)).max(10);
/**
 * A string-to-string map. Not z.record: it rebuilds the object by assignment, which silently drops a
 * `__proto__` key, and an encryption context must be bound exactly as the caller sent it.
 */
const CONTEXT = z
  .custom<Record<string, string>>(
    (value) =>
      value !== null &&
      typeof value === 'object' &&
      !Array.isArray(value) &&
      Object.values(value as Record<string, unknown>).every((v) => typeof v === 'string'),
    { message: 'Member must be a map of strings to strings' },
  )
  .transform((value) => Object.fromEntries(Object.entries(value)) as Record<string, string>);
const LIMIT = (max: number) => z.number().int().min(1).max(max);
const MARKER = z.string().min(1).max(1024);
const BLOB = z.string();
const ALIAS_NAME = z.string().min(1).max(256).regex(/^[a-zA-Z0-9:/_-]+$/);
const PRINCIPAL = z.string().min(1).max(256).regex(/^[\w+=,.@:/-]+$/);
const GRANT_ID = z.string().min(1).max(128);
const TAG = z.object({ TagKey: z.string().min(1).max(128), TagValue: z.string().max(256) });
const POLICY = z.string().min(1).max(131072);
const ENCRYPTION_ALGORITHM = z.enum(['SYMMETRIC_DEFAULT', 'RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256', 'SM2PKE']);
const KEY_SPEC = z.enum([
  'RSA_2048',
  'RSA_3072',
  'RSA_4096',
  'ECC_NIST_P256',
  'ECC_NIST_P384',
  'ECC_NIST_P521',
  'ECC_SECG_P256K1',
  'SYMMETRIC_DEFAULT',
  'HMAC_224',
  'HMAC_256',
  'HMAC_384',
  'HMAC_512',
  'SM2',
  'ML_DSA_44',
  'ML_DSA_65',
  'ML_DSA_87',
  'ECC_NIST_EDWARDS25519',
]);
const GRANT_OPERATION = z.enum(GRANT_OPERATIONS);

/** Fields whose values never appear in an error message. */
const SENSITIVE_FIELDS = new Set(['Plaintext', 'CiphertextBlob', 'GrantTokens', 'GrantToken', 'Policy']);

type Handler = (kms: KmsService, caller: CallerIdentity, input: never) => Promise<object>;
interface Operation {
  schema: z.ZodType;
  /** Blob fields: base64 strings on the wire, Buffers for the service. */
  blobs?: readonly string[];
  call: Handler;
}

function op<S extends z.ZodType>(schema: S, call: (kms: KmsService, caller: CallerIdentity, input: z.infer<S>) => Promise<object>, blobs?: string[]): Operation {
  return blobs === undefined ? { schema, call: call as Handler } : { schema, call: call as Handler, blobs };
}

/** Inputs after base64 decoding: blob fields become Buffers. */
type WithBlobs<T, K extends string> = Omit<T, K> & { [P in K & keyof T]: Buffer };

const OPERATIONS: Record<string, Operation> = {
  CreateKey: op(
    z.object({
      Policy: POLICY.optional(),
      Description: z.string().max(8192).optional(),
      KeyUsage: z.enum(['SIGN_VERIFY', 'ENCRYPT_DECRYPT', 'GENERATE_VERIFY_MAC', 'KEY_AGREEMENT']).optional(),
      KeySpec: KEY_SPEC.optional(),
      CustomerMasterKeySpec: KEY_SPEC.optional(),
      Origin: z.enum(['AWS_KMS', 'EXTERNAL', 'AWS_CLOUDHSM', 'EXTERNAL_KEY_STORE']).optional(),
      CustomKeyStoreId: z.string().min(1).max(64).optional(),
      XksKeyId: z.string().min(1).max(128).optional(),
      BypassPolicyLockoutSafetyCheck: z.boolean().optional(),
      Tags: z.array(TAG).optional(),
      MultiRegion: z.boolean().optional(),
    }),
    (kms, caller, input) => kms.createKey(caller, input),
  ),
  DescribeKey: op(z.object({ KeyId: KEY_ID, GrantTokens: GRANT_TOKENS.optional() }), (kms, caller, input) => kms.describeKey(caller, input)),
  ListKeys: op(z.object({ Limit: LIMIT(1000).optional(), Marker: MARKER.optional() }), (kms, caller, input) => kms.listKeys(caller, input)),
  UpdateKeyDescription: op(z.object({ KeyId: KEY_ID, Description: z.string().max(8192) }), (kms, caller, input) => kms.updateKeyDescription(caller, input)),
  EnableKey: op(z.object({ KeyId: KEY_ID }), (kms, caller, input) => kms.enableKey(caller, input)),
  DisableKey: op(z.object({ KeyId: KEY_ID }), (kms, caller, input) => kms.disableKey(caller, input)),
  ScheduleKeyDeletion: op(
    z.object({ KeyId: KEY_ID, PendingWindowInDays: z.number().int().min(1).max(365).optional() }),
    (kms, caller, input) => kms.scheduleKeyDeletion(caller, input),
  ),
  CancelKeyDeletion: op(z.object({ KeyId: KEY_ID }), (kms, caller, input) => kms.cancelKeyDeletion(caller, input)),
  GetKeyPolicy: op(z.object({ KeyId: KEY_ID, PolicyName: z.string().min(1).max(128).optional() }), (kms, caller, input) => kms.getKeyPolicy(caller, input)),
  PutKeyPolicy: op(
    z.object({ KeyId: KEY_ID, Policy: POLICY, PolicyName: z.string().min(1).max(128).optional(), BypassPolicyLockoutSafetyCheck: z.boolean().optional() }),
    (kms, caller, input) => kms.putKeyPolicy(caller, input),
  ),
  ListKeyPolicies: op(z.object({ KeyId: KEY_ID, Limit: LIMIT(1000).optional(), Marker: MARKER.optional() }), (kms, caller, input) => kms.listKeyPolicies(caller, input)),
  TagResource: op(z.object({ KeyId: KEY_ID, Tags: z.array(TAG) }), (kms, caller, input) => kms.tagResource(caller, input)),
  UntagResource: op(z.object({ KeyId: KEY_ID, TagKeys: z.array(z.string().min(1).max(128)) }), (kms, caller, input) => kms.untagResource(caller, input)),
  ListResourceTags: op(z.object({ KeyId: KEY_ID, Limit: LIMIT(50).optional(), Marker: MARKER.optional() }), (kms, caller, input) => kms.listResourceTags(caller, input)),
  EnableKeyRotation: op(
    z.object({ KeyId: KEY_ID, RotationPeriodInDays: z.number().int().min(90).max(2560).optional() }),
    (kms, caller, input) => kms.enableKeyRotation(caller, input),
  ),
  DisableKeyRotation: op(z.object({ KeyId: KEY_ID }), (kms, caller, input) => kms.disableKeyRotation(caller, input)),
  GetKeyRotationStatus: op(z.object({ KeyId: KEY_ID }), (kms, caller, input) => kms.getKeyRotationStatus(caller, input)),
  RotateKeyOnDemand: op(z.object({ KeyId: KEY_ID }), (kms, caller, input) => kms.rotateKeyOnDemand(caller, input)),
  ListKeyRotations: op(
    z.object({ KeyId: KEY_ID, Limit: LIMIT(1000).optional(), Marker: MARKER.optional(), IncludeKeyMaterial: z.string().optional() }),
    (kms, caller, input) => kms.listKeyRotations(caller, input),
  ),
  CreateAlias: op(z.object({ AliasName: ALIAS_NAME, TargetKeyId: KEY_ID }), (kms, caller, input) => kms.createAlias(caller, input)),
  UpdateAlias: op(z.object({ AliasName: ALIAS_NAME, TargetKeyId: KEY_ID }), (kms, caller, input) => kms.updateAlias(caller, input)),
  DeleteAlias: op(z.object({ AliasName: ALIAS_NAME }), (kms, caller, input) => kms.deleteAlias(caller, input)),
  ListAliases: op(
    z.object({ KeyId: KEY_ID.optional(), Limit: LIMIT(100).optional(), Marker: MARKER.optional() }),
    (kms, caller, input) => kms.listAliases(caller, input),
  ),
  Encrypt: op(
    z.object({
      KeyId: KEY_ID,
      Plaintext: BLOB,
      EncryptionContext: CONTEXT.optional(),
      GrantTokens: GRANT_TOKENS.optional(),
      EncryptionAlgorithm: ENCRYPTION_ALGORITHM.optional(),
      DryRun: z.boolean().optional(),
    }),
    (kms, caller, input) => kms.encrypt(caller, input as unknown as WithBlobs<typeof input, 'Plaintext'>),
    ['Plaintext'],
  ),
  Decrypt: op(
    z.object({
      CiphertextBlob: BLOB,
      EncryptionContext: CONTEXT.optional(),
      GrantTokens: GRANT_TOKENS.optional(),
      KeyId: KEY_ID.optional(),
      EncryptionAlgorithm: ENCRYPTION_ALGORITHM.optional(),
      DryRun: z.boolean().optional(),
    }),
    (kms, caller, input) => kms.decrypt(caller, input as unknown as WithBlobs<typeof input, 'CiphertextBlob'>),
    ['CiphertextBlob'],
  ),
  ReEncrypt: op(
    z.object({
      CiphertextBlob: BLOB,
      SourceEncryptionContext: CONTEXT.optional(),
      SourceKeyId: KEY_ID.optional(),
      DestinationKeyId: KEY_ID,
      DestinationEncryptionContext: CONTEXT.optional(),
      SourceEncryptionAlgorithm: ENCRYPTION_ALGORITHM.optional(),
      DestinationEncryptionAlgorithm: ENCRYPTION_ALGORITHM.optional(),
      GrantTokens: GRANT_TOKENS.optional(),
      DryRun: z.boolean().optional(),
    }),
    (kms, caller, input) => kms.reEncrypt(caller, input as unknown as WithBlobs<typeof input, 'CiphertextBlob'>),
    ['CiphertextBlob'],
  ),
  GenerateDataKey: op(
    z.object({
      KeyId: KEY_ID,
      EncryptionContext: CONTEXT.optional(),
      NumberOfBytes: z.number().int().min(1).max(1024).optional(),
      KeySpec: z.enum(['AES_256', 'AES_128']).optional(),
      GrantTokens: GRANT_TOKENS.optional(),
      DryRun: z.boolean().optional(),
    }),
    (kms, caller, input) => kms.generateDataKey(caller, input),
  ),
  GenerateDataKeyWithoutPlaintext: op(
    z.object({
      KeyId: KEY_ID,
      EncryptionContext: CONTEXT.optional(),
      NumberOfBytes: z.number().int().min(1).max(1024).optional(),
      KeySpec: z.enum(['AES_256', 'AES_128']).optional(),
      GrantTokens: GRANT_TOKENS.optional(),
      DryRun: z.boolean().optional(),
    }),
    (kms, caller, input) => kms.generateDataKeyWithoutPlaintext(caller, input),
  ),
  GenerateRandom: op(
    z.object({ NumberOfBytes: z.number().int().min(1).max(1024).optional(), CustomKeyStoreId: z.string().min(1).max(64).optional() }),
    (kms, caller, input) => kms.generateRandom(caller, input),
  ),
  CreateGrant: op(
    z.object({
      KeyId: KEY_ID,
      GranteePrincipal: PRINCIPAL,
      RetiringPrincipal: PRINCIPAL.optional(),
      Operations: z.array(GRANT_OPERATION).min(1),
      Constraints: z.object({ EncryptionContextSubset: CONTEXT.optional(), EncryptionContextEquals: CONTEXT.optional() }).optional(),
      GrantTokens: GRANT_TOKENS.optional(),
      Name: z.string().min(1).max(256).regex(/^[a-zA-Z0-9:/_-]+$/).optional(),
      DryRun: z.boolean().optional(),
    }),
    (kms, caller, input) => kms.createGrant(caller, input),
  ),
  ListGrants: op(
    z.object({
      KeyId: KEY_ID,
      Limit: LIMIT(100).optional(),
      Marker: MARKER.optional(),
      GrantId: GRANT_ID.optional(),
      GranteePrincipal: PRINCIPAL.optional(),
    }),
    (kms, caller, input) => kms.listGrants(caller, input),
  ),
  ListRetirableGrants: op(
    z.object({ RetiringPrincipal: PRINCIPAL, Limit: LIMIT(100).optional(), Marker: MARKER.optional() }),
    (kms, caller, input) => kms.listRetirableGrants(caller, input),
  ),
  RetireGrant: op(
    z.object({ GrantToken: z.string().min(1).max(8192).optional(), KeyId: KEY_ID.optional(), GrantId: GRANT_ID.optional(), DryRun: z.boolean().optional() }),
    (kms, caller, input) => kms.retireGrant(caller, input),
  ),
  RevokeGrant: op(z.object({ KeyId: KEY_ID, GrantId: GRANT_ID, DryRun: z.boolean().optional() }), (kms, caller, input) => kms.revokeGrant(caller, input)),
};

/** AWS KMS operations that exist in the model but that this KMS does not offer (asymmetric, HMAC, import, custom key stores, multi-Region). */
const NOT_OFFERED = new Set([
  'ConnectCustomKeyStore',
  'CreateCustomKeyStore',
  'Decapsulate',
  'DeleteCustomKeyStore',
  'DeleteImportedKeyMaterial',
  'DeriveSharedSecret',
  'DescribeCustomKeyStores',
  'DisconnectCustomKeyStore',
  'Encapsulate',
  'GenerateDataKeyPair',
  'GenerateDataKeyPairWithoutPlaintext',
  'GenerateMac',
  'GetKeyLastUsage',
  'GetParametersForImport',
  'GetPublicKey',
  'ImportKeyMaterial',
  'ReplicateKey',
  'Sign',
  'UpdateCustomKeyStore',
  'UpdatePrimaryRegion',
  'Verify',
  'VerifyMac',
]);

/** The operations this layer serves (the targets after 'TrentService.'). */
export const KMS_OPERATIONS: readonly string[] = Object.keys(OPERATIONS);

export class KmsApi {
  constructor(private readonly kms: KmsService) {}

  /**
   * operation = the part of X-Amz-Target after 'TrentService.'; input = the parsed JSON body.
   * Returns the JSON response object ({} for operations without output). Throws AwsApiError.
   */
  async handle(caller: CallerIdentity, operation: string, input: unknown): Promise<Record<string, unknown>> {
    const spec = Object.hasOwn(OPERATIONS, operation) ? OPERATIONS[operation] : undefined;
    if (spec === undefined) {
      if (NOT_OFFERED.has(operation)) {
        throw kmsError('UnsupportedOperationException', `${operation} is not supported: this KMS offers symmetric encryption keys only.`);
      }
      throw kmsError('UnknownOperationException', `Unknown operation ${operation.slice(0, 128)}`);
    }
    const body = input === undefined || input === null ? {} : input;
    if (typeof body !== 'object' || Array.isArray(body)) {
      throw kmsError('SerializationException', `The request body of ${operation} must be a JSON object.`);
    }
    const parsed = spec.schema.safeParse(body, { reportInput: true });
    if (!parsed.success) throw validationError(parsed.error.issues.slice(0, 10).map(describeIssue));
    const value = parsed.data as Record<string, unknown>;
    for (const field of spec.blobs ?? []) {
      if (typeof value[field] === 'string') value[field] = decodeBase64(field, value[field]);
    }
    const output = await spec.call(this.kms, caller, value as never);
    return toWire(output) as Record<string, unknown>;
  }
}

/** The Content-Type of every KMS JSON 1.1 response. */
export const KMS_CONTENT_TYPE = 'application/x-amz-json-1.1';

/**
 * An error as the KMS JSON 1.1 protocol writes it, for the HTTPS server: status, the error type (also
 * for the `x-amzn-ErrorType` header) and the body `{"__type","message"}`. Anything that is not an
 * AwsApiError is a fault: KMSInternalException (500) with a fixed message, so no detail leaks.
 */
export function kmsErrorResponse(error: unknown): { statusCode: number; errorType: string; body: { __type: string; message: string } } {
  if (error instanceof AwsApiError) {
    return { statusCode: error.httpStatus, errorType: error.errorType, body: { __type: error.errorType, message: error.message } };
  }
  return {
    statusCode: 500,
    errorType: 'KMSInternalException',
    body: { __type: 'KMSInternalException', message: 'The request was rejected because an internal exception occurred. The request can be retried.' },
  };
}

/** Strict base64 (the standard alphabet, as the SDKs send); anything else names the field. */
function decodeBase64(field: string, text: string): Buffer {
  const clean = text.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 === 1) {
    throw validationError([`Value at '${lowerFirst(field)}' failed to satisfy constraint: Member must be a base64-encoded binary value`]);
  }
  const decoded = Buffer.from(clean, 'base64');
  if (decoded.length === 0) {
    throw validationError([`Value at '${lowerFirst(field)}' failed to satisfy constraint: Member must have length greater than or equal to 1`]);
  }
  return decoded;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.map((p) => (typeof p === 'number' ? `${p + 1}.member` : lowerFirst(String(p)))).join('.');
  const top = typeof issue.path[0] === 'string' ? issue.path[0] : '';
  const input = (issue as { input?: unknown }).input;
  const where = `at '${path}'`;
  const valueText = SENSITIVE_FIELDS.has(top) ? '' : ` ${describeValue(input)}`;
  const fail = (constraint: string) => `Value${valueText} ${where} failed to satisfy constraint: ${constraint}`;
  switch (issue.code) {
    case 'invalid_type':
      if (input === undefined || input === null) return `Value null ${where} failed to satisfy constraint: Member must not be null`;
      return fail(`Member must be of type ${issue.expected}`);
    case 'too_small':
      return fail(
        issue.origin === 'number' || issue.origin === 'int' || issue.origin === 'bigint'
          ? `Member must have value greater than or equal to ${String(issue.minimum)}`
          : `Member must have length greater than or equal to ${String(issue.minimum)}`,
      );
    case 'too_big':
      return fail(
        issue.origin === 'number' || issue.origin === 'int' || issue.origin === 'bigint'
          ? `Member must have value less than or equal to ${String(issue.maximum)}`
          : `Member must have length less than or equal to ${String(issue.maximum)}`,
      );
    case 'invalid_value':
      return fail(`Member must satisfy enum value set: [${issue.values.map(String).join(', ')}]`);
    case 'invalid_format':
      return fail(
        `Member must satisfy regular expression pattern: ${'pattern' in issue && issue.pattern ? String(issue.pattern).replace(/^\/(.*)\/[a-z]*$/, '$1') : issue.format}`,
      );
    default:
      return fail(issue.message);
  }
}

function describeValue(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  if (typeof value === 'string') return `'${value.length > 64 ? `${value.slice(0, 64)}...` : value}'`;
  if (typeof value === 'number' || typeof value === 'boolean') return `'${String(value)}'`;
  if (Array.isArray(value)) return `'[list of ${value.length}]'`;
  return `'[${typeof value}]'`;
}

/** Service output -> JSON: Buffers as base64, Dates as epoch seconds, undefined fields dropped. */
function toWire(value: unknown): unknown {
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (value instanceof Date) return value.getTime() / 1000;
  if (Array.isArray(value)) return value.map(toWire);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toWire(v);
    return out;
  }
  return value;
}
