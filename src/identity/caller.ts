// Who is calling: the identity that every authorized operation (KMS, Amazon MQ) is evaluated for.
// An HTTP caller is resolved from its SigV4 access key; an in-process caller (a broker's store asking
// for data keys) is built by the composition root. Both are authorized by the same rules.

/** An IAM-style policy document (JSON), as stored and evaluated. */
export interface PolicyDocument {
  Version?: string;
  Id?: string;
  Statement: PolicyStatement[] | PolicyStatement;
}

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: '*' | { AWS?: string | string[]; Service?: string | string[] };
  NotPrincipal?: { AWS?: string | string[]; Service?: string | string[] };
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, string | string[] | boolean>>;
}

/** The identity an operation runs as. */
export interface CallerIdentity {
  /** 12-digit account id the caller belongs to. */
  readonly accountId: string;
  /** The caller's ARN, e.g. `arn:aws:iam::000000000000:user/admin`. */
  readonly arn: string;
  /** Stable unique id (AWS's `principalId`), used in audit records. */
  readonly principalId: string;
  /** Identity policies attached to the caller; none means no access beyond resource policies and grants. */
  readonly policies: readonly PolicyDocument[];
  /** The access key the request was signed with, for HTTP callers. */
  readonly accessKeyId?: string;
}
