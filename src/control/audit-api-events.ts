// How one control-plane API call becomes a CloudTrail-like audit event: the record the API server's
// pipeline fills as a request goes through it (service, operation, caller, parameters, outcome) and
// the functions that turn it into an AuditEventInput (readOnly, resources, the caller or the access
// key id of a refused signature). Redaction of secrets is the sink's (core/audit-sink.ts
// redactParameters) plus the API's own (mq/redaction.ts); deciding when to record is api-server.ts's.
import { AuditEventType, type AuditEventInput, type AuditResource, type AuditUserIdentity } from '../core/audit-sink.ts';
import type { CallerIdentity } from '../identity/caller.ts';

/** What the pipeline learned about one API call; filled step by step, recorded once at the end. */
export interface ApiCallRecord {
  eventSource: string;
  /** The operation (`CreateBroker`, `Decrypt`), or what the request asked for when it is unknown. */
  eventName: string;
  /** The operation is one the API serves (a bounded name, safe as a metrics label). */
  operationKnown: boolean;
  caller?: CallerIdentity | undefined;
  /** The access key id the request claims, read before (or without) a valid signature. */
  claimedAccessKeyId?: string | undefined;
  requestParameters?: Record<string, unknown> | null | undefined;
  responseElements?: Record<string, unknown> | null | undefined;
  resources?: AuditResource[] | undefined;
}

export interface ApiCallOutcome {
  readonly requestId: string;
  readonly sourceIPAddress: string | undefined;
  readonly userAgent: string | undefined;
  readonly errorCode: string | undefined;
  readonly errorMessage: string | undefined;
  readonly region: string;
  readonly accountId: string;
}

/** Describe*, List*, Get* only read (CloudTrail's readOnly). */
export function isReadOnlyOperation(operation: string): boolean {
  return /^(Describe|List|Get)/.test(operation);
}

/** The access key id in a SigV4 Authorization header or X-Amz-Credential query parameter, if well formed. */
export function claimedAccessKeyId(authorization: string | undefined, rawQuery: string): string | undefined {
  let credential: string | undefined;
  const header = authorization === undefined ? undefined : /Credential=([^,\s]+)/.exec(authorization);
  if (header) credential = header[1];
  else {
    try {
      credential = new URLSearchParams(rawQuery).get('X-Amz-Credential') ?? undefined;
    } catch {
      credential = undefined;
    }
  }
  const id = credential?.split('/')[0];
  // An access key id is an identifier, not a secret; anything that does not look like one is dropped.
  return id !== undefined && /^[A-Z0-9]{16,128}$/.test(id) ? id : undefined;
}

function userIdentityOf(record: ApiCallRecord): AuditUserIdentity {
  const caller = record.caller;
  if (caller !== undefined) {
    const userName = /:user\/(.+)$/.exec(caller.arn)?.[1];
    return {
      type: /:root$/.test(caller.arn) ? 'Root' : 'IAMUser',
      principalId: caller.principalId,
      arn: caller.arn,
      accountId: caller.accountId,
      accessKeyId: caller.accessKeyId,
      userName,
    };
  }
  return { type: record.claimedAccessKeyId !== undefined ? 'Unknown' : 'Anonymous', accessKeyId: record.claimedAccessKeyId };
}

/** The audit event for a finished call. */
export function apiCallEvent(record: ApiCallRecord, outcome: ApiCallOutcome): AuditEventInput {
  return {
    eventSource: record.eventSource,
    eventName: record.eventName.slice(0, 128),
    eventType: AuditEventType.AwsApiCall,
    userIdentity: userIdentityOf(record),
    awsRegion: outcome.region,
    sourceIPAddress: outcome.sourceIPAddress,
    userAgent: outcome.userAgent?.slice(0, 256),
    requestParameters: record.requestParameters ?? null,
    // CloudTrail leaves out what read-only calls return; a refused call returns nothing.
    responseElements: outcome.errorCode === undefined && !isReadOnlyOperation(record.eventName) ? (record.responseElements ?? null) : null,
    errorCode: outcome.errorCode,
    errorMessage: outcome.errorMessage?.slice(0, 1024),
    requestID: outcome.requestId,
    resources: record.resources,
    readOnly: isReadOnlyOperation(record.eventName),
    recipientAccountId: outcome.accountId,
  };
}

const asRecord = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;

/** The KMS key a call names, as an ARN where it can be told: from the response, else from KeyId. */
export function kmsResources(region: string, accountId: string, input: unknown, output: unknown): AuditResource[] | undefined {
  const arns = new Set<string>();
  const out = asRecord(output);
  const metadataArn = asRecord(out?.['KeyMetadata'])?.['Arn'];
  if (typeof metadataArn === 'string') arns.add(metadataArn);
  else if (typeof out?.['KeyId'] === 'string' && out['KeyId'].startsWith('arn:')) arns.add(out['KeyId']);
  if (arns.size === 0) {
    const keyId = asRecord(input)?.['KeyId'] ?? asRecord(input)?.['DestinationKeyId'];
    if (typeof keyId === 'string') {
      if (keyId.startsWith('arn:aws:kms:')) arns.add(keyId);
      else if (keyId.startsWith('alias/')) arns.add(`arn:aws:kms:${region}:${accountId}:${keyId}`);
      else if (/^[0-9a-f-]{36}$/i.test(keyId)) arns.add(`arn:aws:kms:${region}:${accountId}:key/${keyId}`);
    }
  }
  if (arns.size === 0) return undefined;
  return [...arns].map((ARN) => ({ ARN, type: ARN.includes(':alias/') ? 'AWS::KMS::Alias' : 'AWS::KMS::Key', accountId }));
}

/**
 * The Amazon MQ broker or configuration a call is about: the ARN from the response where there is
 * one, else the ARN the API authorizes an id against (`broker:*:<id>`, as mq-api.ts does for a
 * broker it cannot name).
 */
export function mqResources(region: string, accountId: string, rawPath: string, output: unknown): AuditResource[] | undefined {
  const out = asRecord(output);
  const brokerArn = out?.['brokerArn'];
  if (typeof brokerArn === 'string') return [{ ARN: brokerArn, type: 'AWS::AmazonMQ::Broker', accountId }];
  const configurationArn = out?.['arn'];
  if (typeof configurationArn === 'string' && configurationArn.includes(':configuration:')) return [{ ARN: configurationArn, type: 'AWS::AmazonMQ::Configuration', accountId }];
  const segments = rawPath.split('/');
  const id = segments[3] === undefined ? undefined : safeDecode(segments[3]);
  if (segments[2] === 'tags' && id !== undefined && /^arn:aws:mq:[a-z0-9-]+:\d{12}:(broker|configuration):[A-Za-z0-9*_-]+(:[A-Za-z0-9-]+)?$/.test(id)) {
    return [{ ARN: id, type: id.includes(':broker:') ? 'AWS::AmazonMQ::Broker' : 'AWS::AmazonMQ::Configuration', accountId }];
  }
  if (id === undefined || id === '' || !/^[A-Za-z0-9-]{1,150}$/.test(id)) return undefined;
  if (segments[2] === 'brokers') return [{ ARN: `arn:aws:mq:${region}:${accountId}:broker:*:${id}`, type: 'AWS::AmazonMQ::Broker', accountId }];
  if (segments[2] === 'configurations') return [{ ARN: `arn:aws:mq:${region}:${accountId}:configuration:${id}`, type: 'AWS::AmazonMQ::Configuration', accountId }];
  return undefined;
}

function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
