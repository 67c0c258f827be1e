// The AuditSink port: where the core, the sessions and the control plane hand CloudTrail-like events
// (API calls, broker-user events, service events). It owns the event shape and the redaction of
// secrets (`redactParameters`), which every sink applies again before anything is stored. How events
// are made durable, hash-chained and sealed is left to the implementation (src/audit/audit-trail.ts).
//
// Failure policy (fail-stop, never a silent drop): `record` never blocks and never throws at the
// caller; an event that cannot be queued (queue full) or written (disk failing) puts the sink in a
// failed state that stays until it is reopened: `failure` says why, `stats()` counts the rejected
// events, `onFailure` (given to the implementation) tells the composition root, which stops serving
// API calls and broker connections, and `flush()` rejects with AuditSinkError from then on.

/** CloudTrail's eventType values, plus the one for broker-user activity. */
export const AuditEventType = {
  AwsApiCall: 'AwsApiCall',
  BrokerUserEvent: 'BrokerUserEvent',
  ServiceEvent: 'ServiceEvent',
} as const;
export type AuditEventType = (typeof AuditEventType)[keyof typeof AuditEventType];

/** eventSource values: the two AWS APIs SealMQ speaks, and the brokers' own client listeners. */
export const AuditEventSource = {
  KMS: 'kms.amazonaws.com',
  MQ: 'mq.amazonaws.com',
  BROKER: 'sealmq.broker',
  AUDIT: 'sealmq.audit',
} as const;

/** The event version written by this code (CloudTrail's record format version). */
export const AUDIT_EVENT_VERSION = '1.08';

/** Who acted, as CloudTrail's userIdentity. Only these fields are kept; anything else is dropped. */
export interface AuditUserIdentity {
  /** `IAMUser`, `Root`, `AWSService`, `BrokerUser`, `Anonymous`, ... */
  readonly type: string;
  readonly principalId?: string | undefined;
  readonly arn?: string | undefined;
  readonly accountId?: string | undefined;
  readonly accessKeyId?: string | undefined;
  /** Broker users and IAM user names. */
  readonly userName?: string | undefined;
  /** For AWSService identities, e.g. `mq.amazonaws.com`. */
  readonly invokedBy?: string | undefined;
}

export interface AuditResource {
  readonly ARN: string;
  readonly type?: string | undefined;
  readonly accountId?: string | undefined;
}

/** What a caller hands to `record`. Times and ids the caller leaves out are filled in by the sink. */
export interface AuditEventInput {
  readonly eventSource: string;
  readonly eventName: string;
  readonly eventType: AuditEventType;
  /** ISO-8601 UTC; the sink's clock when absent. */
  readonly eventTime?: string | undefined;
  readonly eventVersion?: string | undefined;
  readonly userIdentity?: AuditUserIdentity | undefined;
  readonly awsRegion?: string | undefined;
  readonly sourceIPAddress?: string | undefined;
  readonly userAgent?: string | undefined;
  /** Redacted again by the sink; pass the request as received. */
  readonly requestParameters?: Readonly<Record<string, unknown>> | null | undefined;
  /** Redacted again by the sink. */
  readonly responseElements?: Readonly<Record<string, unknown>> | null | undefined;
  /** Redacted again by the sink; e.g. the broker id and vhost of a broker-user event. */
  readonly additionalEventData?: Readonly<Record<string, unknown>> | undefined;
  /** AWS error type (`AccessDeniedException`) or protocol reply name (`ACCESS_REFUSED`). */
  readonly errorCode?: string | undefined;
  /** Must never carry a secret; our error messages never do. */
  readonly errorMessage?: string | undefined;
  readonly requestID?: string | undefined;
  /** A random UUID; the sink makes one when absent. */
  readonly eventID?: string | undefined;
  readonly resources?: readonly AuditResource[] | undefined;
  readonly readOnly?: boolean | undefined;
  readonly recipientAccountId?: string | undefined;
}

/** An event as stored: every field of the input that was given, with eventVersion, eventTime and eventID set. */
export interface AuditEvent extends AuditEventInput {
  readonly eventVersion: string;
  readonly eventTime: string;
  readonly eventID: string;
}

/** Why a sink stopped accepting events. */
export const AuditSinkFailureCode = {
  QUEUE_FULL: 'AUDIT_QUEUE_FULL',
  WRITE_FAILED: 'AUDIT_WRITE_FAILED',
  SEAL_FAILED: 'AUDIT_SEAL_FAILED',
  CLOSED: 'AUDIT_CLOSED',
} as const;
export type AuditSinkFailureCode = (typeof AuditSinkFailureCode)[keyof typeof AuditSinkFailureCode];

export interface AuditSinkFailure {
  readonly code: AuditSinkFailureCode;
  /** Operator-facing; names files and OS error codes, never event contents. */
  readonly message: string;
  /** ISO time the sink failed. */
  readonly time: string;
}

/** The sink cannot make events durable any more; the events recorded since the last flush may be lost. */
export class AuditSinkError extends Error {
  readonly code: AuditSinkFailureCode;
  constructor(readonly failure: AuditSinkFailure) {
    super(`audit trail unavailable: ${failure.message}`);
    this.name = 'AuditSinkError';
    this.code = failure.code;
  }
}

/** Counters for metrics (sealmq_audit_*). */
export interface AuditSinkStats {
  /** Events accepted by `record`. */
  readonly recordedEvents: number;
  /** Events written and synced to disk. */
  readonly writtenEvents: number;
  /** Events refused by `record` (queue full or sink failed): each one is an audit gap to report. */
  readonly rejectedEvents: number;
  readonly queuedEvents: number;
  readonly digestsWritten: number;
  readonly failure: AuditSinkFailure | undefined;
}

/** Where events go. */
export interface AuditSink {
  /**
   * Queues the event (after redaction) and returns at once; it is appended durably in the background.
   * Never throws for an operating condition: see the failure policy at the top of this file.
   */
  record(event: AuditEventInput): void;
  /** Resolves when every event recorded before the call is on disk; rejects with AuditSinkError once failed. */
  flush(): Promise<void>;
  /** Flushes, seals what is unsealed, and stops; later `record` calls are rejected (counted, not stored). */
  close(): Promise<void>;
  /** Why the sink stopped accepting events, or undefined while healthy. */
  readonly failure: AuditSinkFailure | undefined;
  stats(): AuditSinkStats;
}

// ---------------------------------------------------------------------------------------------
// Redaction

/** What a redacted value is replaced with (Amazon MQ's CloudTrail records show `***` for passwords). */
export const REDACTED_VALUE = '***';

/**
 * Field names whose values never reach an audit record, compared case-insensitively with `-` and `_`
 * removed. Exact names; the patterns below catch the variants (`newPassword`, `x-amz-security-token`).
 */
const SECRET_FIELD_NAMES = new Set(
  [
    'password',
    'passphrase',
    'secret',
    'secretAccessKey',
    'secretKey',
    'sessionToken',
    'securityToken',
    'token',
    'grantToken',
    'grantTokens',
    'importToken',
    'authorization',
    'cookie',
    'setCookie',
    'plaintext',
    'ciphertextBlob',
    'encryptedKeyMaterial',
    'keyMaterial',
    'privateKey',
    'plaintextDataKey',
    'plaintextRootKey',
    'rootKey',
    'dataKey',
    'totpSecret',
    'mfaCode',
    'body',
    'messageBody',
    'payload',
    'content',
    // Amazon MQ's configuration XML/JSON (UpdateConfiguration `data`) is logged as *** by AWS too.
    'data',
  ].map(normalizeFieldName),
);

/** Names that contain a pattern below but carry no secret (pagination cursors). */
const NON_SECRET_FIELD_NAMES = new Set(['nextToken', 'nextMarker'].map(normalizeFieldName));

/** Substrings that mark a field as secret wherever they appear in its name. */
const SECRET_FIELD_PATTERNS = ['password', 'passphrase', 'secret', 'token', 'privatekey', 'plaintext', 'keymaterial', 'ciphertext'];

/** Nesting deeper than this is cut off rather than walked (an audit record is not a dump). */
const REDACTION_DEPTH_MAX = 8;

function normalizeFieldName(name: string): string {
  return name.replace(/[-_]/g, '').toLowerCase();
}

/** Whether a field of this name has its value replaced in audit records. */
export function isSecretFieldName(name: string): boolean {
  const normalized = normalizeFieldName(name);
  if (SECRET_FIELD_NAMES.has(normalized)) return true;
  if (NON_SECRET_FIELD_NAMES.has(normalized)) return false;
  return SECRET_FIELD_PATTERNS.some((pattern) => normalized.includes(pattern));
}

/** `scheme://user:password@host` -> `scheme://user:***@host`. */
function redactUrlCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^/\s:@]*):[^/\s@]*@/gi, `$1:${REDACTED_VALUE}@`);
}

function redactValue(value: unknown, depth: number): unknown {
  if (value === null || value === undefined) return value;
  if (typeof value === 'string') return redactUrlCredentials(value);
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return value.toString();
  // Binary is key material, ciphertext or a message body: never stored.
  if (value instanceof Uint8Array || value instanceof ArrayBuffer) return REDACTED_VALUE;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (depth >= REDACTION_DEPTH_MAX) return REDACTED_VALUE;
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1));
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [name, field] of Object.entries(value as Record<string, unknown>)) {
      if (field === undefined || typeof field === 'function' || typeof field === 'symbol') continue;
      out[name] = isSecretFieldName(name) ? (field === null ? null : REDACTED_VALUE) : redactValue(field, depth + 1);
    }
    return out;
  }
  return REDACTED_VALUE;
}

/**
 * A deep copy of request parameters or response elements that is safe to store: the values of secret
 * fields (passwords, secret access keys, session and grant tokens, plaintext, ciphertext blobs, key
 * material, message bodies, configuration data) become `***`, any binary value becomes `***`,
 * credentials in URLs are masked, and nesting beyond 8 levels is cut off.
 */
export function redactParameters(parameters: Readonly<Record<string, unknown>>): Record<string, unknown>;
export function redactParameters(parameters: null | undefined): null | undefined;
export function redactParameters(
  parameters: Readonly<Record<string, unknown>> | null | undefined,
): Record<string, unknown> | null | undefined;
export function redactParameters(
  parameters: Readonly<Record<string, unknown>> | null | undefined,
): Record<string, unknown> | null | undefined {
  if (parameters === null || parameters === undefined) return parameters;
  return redactValue(parameters, 0) as Record<string, unknown>;
}

const USER_IDENTITY_FIELDS = ['type', 'principalId', 'arn', 'accountId', 'accessKeyId', 'userName', 'invokedBy'] as const;

/**
 * The event as it may be stored: secrets redacted from requestParameters, responseElements and
 * additionalEventData, userIdentity reduced to its known fields, undefined fields dropped, and
 * eventVersion, eventTime and eventID filled in.
 */
export function normalizeAuditEvent(input: AuditEventInput, eventTime: string, eventID: string): AuditEvent {
  const event: Record<string, unknown> = {
    eventVersion: input.eventVersion ?? AUDIT_EVENT_VERSION,
    eventTime: input.eventTime ?? eventTime,
    eventSource: input.eventSource,
    eventName: input.eventName,
  };
  if (input.userIdentity !== undefined) {
    const identity: Record<string, string> = {};
    for (const field of USER_IDENTITY_FIELDS) {
      const value = input.userIdentity[field];
      if (typeof value === 'string') identity[field] = value;
    }
    event['userIdentity'] = identity;
  }
  const optionalStrings = ['awsRegion', 'sourceIPAddress', 'userAgent', 'errorCode', 'errorMessage', 'requestID'] as const;
  for (const field of optionalStrings) {
    const value = input[field];
    if (typeof value === 'string') event[field] = redactUrlCredentials(value);
  }
  if (input.requestParameters !== undefined) event['requestParameters'] = redactParameters(input.requestParameters);
  if (input.responseElements !== undefined) event['responseElements'] = redactParameters(input.responseElements);
  if (input.additionalEventData !== undefined) event['additionalEventData'] = redactParameters(input.additionalEventData);
  event['eventID'] = input.eventID ?? eventID;
  if (input.resources !== undefined) {
    event['resources'] = input.resources.map((resource) => {
      const out: Record<string, string> = { ARN: resource.ARN };
      if (resource.type !== undefined) out['type'] = resource.type;
      if (resource.accountId !== undefined) out['accountId'] = resource.accountId;
      return out;
    });
  }
  if (input.readOnly !== undefined) event['readOnly'] = input.readOnly;
  event['eventType'] = input.eventType;
  if (input.recipientAccountId !== undefined) event['recipientAccountId'] = input.recipientAccountId;
  return event as unknown as AuditEvent;
}

/**
 * A sink that keeps events in memory, for tests of the code that records events. It applies the
 * same normalization and redaction as the file trail.
 */
export class MemoryAuditSink implements AuditSink {
  readonly events: AuditEvent[] = [];
  #closed = false;
  #rejected = 0;

  constructor(private readonly now: () => number = Date.now) {}

  record(event: AuditEventInput): void {
    if (this.#closed) {
      this.#rejected++;
      return;
    }
    this.events.push(normalizeAuditEvent(event, new Date(this.now()).toISOString(), globalThis.crypto.randomUUID()));
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {
    this.#closed = true;
  }

  get failure(): AuditSinkFailure | undefined {
    return undefined;
  }

  stats(): AuditSinkStats {
    return {
      recordedEvents: this.events.length,
      writtenEvents: this.events.length,
      rejectedEvents: this.#rejected,
      queuedEvents: 0,
      digestsWritten: 0,
      failure: undefined,
    };
  }
}
