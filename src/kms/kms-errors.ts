// The one table of KMS API errors: each AWS error type with its HTTP status (aws-apis.md 2.4: 400 for
// client errors, 500/503 only for the three fault types, which the SDKs retry). Messages are built by
// the service and never carry key material, plaintext or grant tokens. Writing them to the wire
// (`{"__type","message"}`) is the HTTPS server's job.
import { AwsApiError } from '../util/aws-error.ts';

export const KmsErrorStatus = {
  AccessDeniedException: 400,
  AlreadyExistsException: 400,
  DependencyTimeoutException: 503,
  DisabledException: 400,
  DryRunOperationException: 400,
  IncorrectKeyException: 400,
  InvalidAliasNameException: 400,
  InvalidArnException: 400,
  InvalidCiphertextException: 400,
  InvalidGrantIdException: 400,
  InvalidGrantTokenException: 400,
  InvalidKeyUsageException: 400,
  InvalidMarkerException: 400,
  KeyUnavailableException: 500,
  KMSInternalException: 500,
  KMSInvalidStateException: 400,
  LimitExceededException: 400,
  MalformedPolicyDocumentException: 400,
  NotAuthorizedException: 400,
  NotFoundException: 400,
  SerializationException: 400,
  TagException: 400,
  UnknownOperationException: 400,
  UnsupportedOperationException: 400,
  ValidationException: 400,
} as const;
export type KmsErrorType = keyof typeof KmsErrorStatus;

/** A KMS API error: `errorType` is the AWS exception name the SDKs map to a class. */
export class KmsError extends AwsApiError {
  declare readonly errorType: KmsErrorType;
  constructor(errorType: KmsErrorType, message: string) {
    super(errorType, message, KmsErrorStatus[errorType]);
  }
}

export function kmsError(errorType: KmsErrorType, message: string): KmsError {
  return new KmsError(errorType, message);
}

/** AWS's validation message style, naming the field in camelCase as AWS does. */
export function validationError(messages: readonly string[]): KmsError {
  const n = messages.length;
  return new KmsError('ValidationException', `${n} validation error${n === 1 ? '' : 's'} detected: ${messages.join('; ')}`);
}

/** "Value <v> at '<field>' failed to satisfy constraint: <constraint>" */
export function fieldConstraint(field: string, value: unknown, constraint: string): string {
  return `Value ${describeValue(value)} at '${lowerFirst(field)}' failed to satisfy constraint: ${constraint}`;
}

/** The same, for a field whose value must never be echoed (plaintext, ciphertext, tokens). */
export function sensitiveFieldConstraint(field: string, constraint: string): string {
  return `Value at '${lowerFirst(field)}' failed to satisfy constraint: ${constraint}`;
}

export function lowerFirst(name: string): string {
  return name.length === 0 ? name : name[0]!.toLowerCase() + name.slice(1);
}

function describeValue(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  if (typeof value === 'string') return value.length > 64 ? `'${value.slice(0, 64)}...'` : `'${value}'`;
  if (typeof value === 'number' || typeof value === 'boolean') return `'${String(value)}'`;
  if (Array.isArray(value)) return `[list of ${value.length}]`;
  return `[${typeof value}]`;
}
