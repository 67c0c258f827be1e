// IAM-style policy evaluation: given a request (action, resource, principal, condition context), the
// caller's identity policies and the resource's own policy, decide Allow, ExplicitDeny or ImplicitDeny
// as AWS does. Generic over services: KMS (key policies, account-root delegation) uses it now, the
// Amazon MQ API later. Grants and anything else service-specific are left to the service.
//
// Rules kept here (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):
// - an explicit Deny in any applicable statement wins;
// - a resource-policy Allow naming the principal (or "*") allows;
// - a resource-policy Allow naming the principal's account root delegates to identity policies:
//   the request is allowed only if an identity policy also allows it;
// - identity policies alone allow when no resource policy is required (KMS requires one for keys).
import type { CallerIdentity, PolicyDocument, PolicyStatement } from './caller.ts';

export type Decision = 'Allow' | 'ExplicitDeny' | 'ImplicitDeny';

/** Condition context: keys are matched case-insensitively; values are case-sensitive. */
export type ConditionContext = Readonly<Record<string, string | readonly string[] | boolean | undefined>>;

export interface PolicyRequest {
  /** `service:Operation`, e.g. `kms:Decrypt`. */
  readonly action: string;
  /** The resource ARN, or `*` for operations on no particular resource. */
  readonly resource: string;
  readonly principalArn: string;
  readonly principalAccount: string;
  readonly identityPolicies: readonly PolicyDocument[];
  /** The resource's own policy (a KMS key policy). */
  readonly resourcePolicy?: PolicyDocument;
  /**
   * True for KMS keys: identity policies count only where the resource policy delegates to the account.
   * False (IAM default for same-account access): an identity-policy Allow is enough.
   */
  readonly resourcePolicyRequired?: boolean;
  readonly context?: ConditionContext;
}

export interface PolicyEvaluation {
  readonly decision: Decision;
  /** Which kind of policy holds the explicit deny, for AWS-style messages. */
  readonly explicitDenyIn?: 'identity-based' | 'resource-based';
  /** For an implicit deny: the kind of policy that would have had to allow, for AWS-style messages. */
  readonly missingAllowIn?: 'identity-based' | 'resource-based';
}

/** Evaluates a request; see the file header for the rules. */
export function evaluatePolicies(request: PolicyRequest): PolicyEvaluation {
  const context = normaliseContext(request);
  const identityStatements = request.identityPolicies.flatMap(statementsOf);
  const resourceStatements = request.resourcePolicy ? statementsOf(request.resourcePolicy) : [];

  let identityAllows = false;
  for (const statement of identityStatements) {
    if (!actionMatches(statement, request.action) || !resourceMatches(statement, request.resource)) continue;
    if (!conditionsMatch(statement.Condition, context)) continue;
    if (statement.Effect === 'Deny') return { decision: 'ExplicitDeny', explicitDenyIn: 'identity-based' };
    if (statement.Effect === 'Allow') identityAllows = true;
  }

  let resourceAllowsDirectly = false;
  let resourceDelegatesToAccount = false;
  for (const statement of resourceStatements) {
    const principalMatch = principalMatches(statement, request.principalArn, request.principalAccount);
    if (principalMatch === 'none') continue;
    if (!actionMatches(statement, request.action)) continue;
    if (statement.Resource !== undefined || statement.NotResource !== undefined) {
      if (!resourceMatches(statement, request.resource)) continue;
    }
    if (!conditionsMatch(statement.Condition, context)) continue;
    if (statement.Effect === 'Deny') return { decision: 'ExplicitDeny', explicitDenyIn: 'resource-based' };
    if (statement.Effect === 'Allow') {
      if (principalMatch === 'direct') resourceAllowsDirectly = true;
      else resourceDelegatesToAccount = true;
    }
  }

  if (resourceAllowsDirectly) return { decision: 'Allow' };
  if (resourceDelegatesToAccount && identityAllows) return { decision: 'Allow' };
  if (!request.resourcePolicyRequired && identityAllows) return { decision: 'Allow' };
  const missingAllowIn = resourceDelegatesToAccount || (!request.resourcePolicyRequired && request.resourcePolicy === undefined) ? 'identity-based' : 'resource-based';
  return { decision: 'ImplicitDeny', missingAllowIn };
}

/** Shorthand: evaluatePolicies(...).decision. */
export function evaluate(request: PolicyRequest): Decision {
  return evaluatePolicies(request).decision;
}

/** Builds the principal fields of a PolicyRequest from a caller. */
export function principalOf(caller: CallerIdentity): { principalArn: string; principalAccount: string; identityPolicies: readonly PolicyDocument[] } {
  return { principalArn: caller.arn, principalAccount: caller.accountId, identityPolicies: caller.policies };
}

function statementsOf(document: PolicyDocument): PolicyStatement[] {
  const statement = document.Statement;
  return Array.isArray(statement) ? statement : [statement];
}

function toList<T>(value: T | readonly T[] | undefined): readonly T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? (value as readonly T[]) : [value as T];
}

/** IAM wildcards: `*` any run of characters, `?` one character. */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const p = ignoreCase ? pattern.toLowerCase() : pattern;
  const v = ignoreCase ? value.toLowerCase() : value;
  // Iterative glob match with backtracking on the last `*`: linear-ish, no regex built from input.
  let pi = 0;
  let vi = 0;
  let starP = -1;
  let starV = 0;
  while (vi < v.length) {
    if (pi < p.length && (p[pi] === '?' || p[pi] === v[vi])) {
      pi++;
      vi++;
    } else if (pi < p.length && p[pi] === '*') {
      starP = pi++;
      starV = vi;
    } else if (starP >= 0) {
      pi = starP + 1;
      vi = ++starV;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}

function actionMatches(statement: PolicyStatement, action: string): boolean {
  if (statement.Action !== undefined) return toList(statement.Action).some((p) => wildcardMatch(p, action, true));
  if (statement.NotAction !== undefined) return !toList(statement.NotAction).some((p) => wildcardMatch(p, action, true));
  return false;
}

function resourceMatches(statement: PolicyStatement, resource: string): boolean {
  if (statement.Resource !== undefined) return toList(statement.Resource).some((p) => wildcardMatch(p, resource));
  if (statement.NotResource !== undefined) return !toList(statement.NotResource).some((p) => wildcardMatch(p, resource));
  return false;
}

type PrincipalMatch = 'none' | 'direct' | 'account';

function principalMatches(statement: PolicyStatement, principalArn: string, principalAccount: string): PrincipalMatch {
  if (statement.Principal !== undefined) return principalIn(statement.Principal, principalArn, principalAccount);
  if (statement.NotPrincipal !== undefined) {
    return principalIn(statement.NotPrincipal, principalArn, principalAccount) === 'none' ? 'direct' : 'none';
  }
  return 'none';
}

function principalIn(principal: PolicyStatement['Principal'], principalArn: string, principalAccount: string): PrincipalMatch {
  if (principal === '*') return 'direct';
  if (principal === undefined || typeof principal !== 'object') return 'none';
  let result: PrincipalMatch = 'none';
  for (const entry of toList(principal.AWS)) {
    if (entry === '*' || entry === principalArn) return 'direct';
    if (entry === principalAccount || entry === `arn:aws:iam::${principalAccount}:root`) result = 'account';
  }
  return result;
}

function normaliseContext(request: PolicyRequest): Map<string, string | readonly string[] | boolean> {
  const context = new Map<string, string | readonly string[] | boolean>();
  context.set('aws:principalarn', request.principalArn);
  context.set('aws:principalaccount', request.principalAccount);
  for (const [key, value] of Object.entries(request.context ?? {})) {
    if (value !== undefined) context.set(key.toLowerCase(), value);
  }
  return context;
}

/** Condition operators understood here; anything else makes a policy malformed (see checkPolicyDocument). */
const STRING_OPERATORS = new Set([
  'StringEquals',
  'StringNotEquals',
  'StringEqualsIgnoreCase',
  'StringNotEqualsIgnoreCase',
  'StringLike',
  'StringNotLike',
  'ArnEquals',
  'ArnLike',
  'ArnNotEquals',
  'ArnNotLike',
  'Bool',
  'Null',
]);

function parseOperator(raw: string): { setOp?: 'ForAnyValue' | 'ForAllValues'; base: string; ifExists: boolean } | undefined {
  let rest = raw;
  let setOp: 'ForAnyValue' | 'ForAllValues' | undefined;
  if (rest.startsWith('ForAnyValue:')) {
    setOp = 'ForAnyValue';
    rest = rest.slice('ForAnyValue:'.length);
  } else if (rest.startsWith('ForAllValues:')) {
    setOp = 'ForAllValues';
    rest = rest.slice('ForAllValues:'.length);
  }
  let ifExists = false;
  if (rest.endsWith('IfExists') && rest !== 'IfExists') {
    ifExists = true;
    rest = rest.slice(0, -'IfExists'.length);
  }
  if (!STRING_OPERATORS.has(rest)) return undefined;
  if (rest === 'Null' && (ifExists || setOp)) return undefined;
  return setOp === undefined ? { base: rest, ifExists } : { setOp, base: rest, ifExists };
}

function conditionsMatch(conditions: PolicyStatement['Condition'], context: Map<string, string | readonly string[] | boolean>): boolean {
  if (conditions === undefined) return true;
  for (const [rawOperator, block] of Object.entries(conditions)) {
    const operator = parseOperator(rawOperator);
    if (operator === undefined) return false; // unknown operator: never matches (fail closed for Allow)
    for (const [key, expected] of Object.entries(block)) {
      const expectedValues = toList(expected).map((v) => String(v));
      if (!conditionMatches(operator, context.get(key.toLowerCase()), expectedValues)) return false;
    }
  }
  return true;
}

function conditionMatches(
  operator: { setOp?: 'ForAnyValue' | 'ForAllValues'; base: string; ifExists: boolean },
  actual: string | readonly string[] | boolean | undefined,
  expected: readonly string[],
): boolean {
  if (operator.base === 'Null') {
    const wantAbsent = expected.some((v) => v.toLowerCase() === 'true');
    const absent = actual === undefined || (Array.isArray(actual) && actual.length === 0);
    return wantAbsent === absent;
  }
  const negated = operator.base.includes('Not');
  const actualValues = actual === undefined ? [] : typeof actual === 'boolean' ? [String(actual)] : toList(actual as string | readonly string[]);
  if (operator.setOp === 'ForAllValues') {
    return actualValues.every((value) => singleMatches(operator.base, value, expected));
  }
  if (actualValues.length === 0) return operator.ifExists || negated;
  if (negated) {
    // A negated operator matches when no value matches any of the listed values.
    return actualValues.every((value) => singleMatches(operator.base, value, expected));
  }
  return actualValues.some((value) => singleMatches(operator.base, value, expected));
}

/** For negated operators this returns true when `value` matches none of `expected`. */
function singleMatches(base: string, value: string, expected: readonly string[]): boolean {
  switch (base) {
    case 'StringEquals':
    case 'ArnEquals':
      return expected.includes(value);
    case 'StringNotEquals':
    case 'ArnNotEquals':
      return !expected.includes(value);
    case 'StringEqualsIgnoreCase':
      return expected.some((e) => e.toLowerCase() === value.toLowerCase());
    case 'StringNotEqualsIgnoreCase':
      return !expected.some((e) => e.toLowerCase() === value.toLowerCase());
    case 'StringLike':
    case 'ArnLike':
      return expected.some((e) => wildcardMatch(e, value));
    case 'StringNotLike':
    case 'ArnNotLike':
      return !expected.some((e) => wildcardMatch(e, value));
    case 'Bool':
      return expected.some((e) => e.toLowerCase() === value.toLowerCase());
    default:
      return false;
  }
}

/** A policy document that cannot be stored; the message names what is wrong. */
export class PolicyDocumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PolicyDocumentError';
  }
}

/**
 * Parses and checks policy JSON text: statement shape, effects, exactly one of Action/NotAction,
 * principals where `requirePrincipal` (resource policies), known condition operators.
 */
export function parsePolicyDocument(text: string, options: { requirePrincipal: boolean }): PolicyDocument {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new PolicyDocumentError('The policy is not valid JSON.');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new PolicyDocumentError('The policy must be a JSON object.');
  const document = value as Record<string, unknown>;
  if (document.Version !== undefined && document.Version !== '2012-10-17' && document.Version !== '2008-10-17') {
    throw new PolicyDocumentError(`Unsupported policy Version ${JSON.stringify(document.Version)}.`);
  }
  if (document.Statement === undefined) throw new PolicyDocumentError('The policy has no Statement.');
  const statements = Array.isArray(document.Statement) ? document.Statement : [document.Statement];
  if (statements.length === 0) throw new PolicyDocumentError('The policy has no Statement.');
  statements.forEach((statement: unknown, index: number) => checkStatement(statement, index, options.requirePrincipal));
  return document as unknown as PolicyDocument;
}

function isStringOrStringList(value: unknown): boolean {
  return typeof value === 'string' || (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string'));
}

function checkStatement(raw: unknown, index: number, requirePrincipal: boolean): void {
  const where = `Statement ${index}`;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new PolicyDocumentError(`${where} is not an object.`);
  const statement = raw as Record<string, unknown>;
  const known = new Set(['Sid', 'Effect', 'Principal', 'NotPrincipal', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition']);
  for (const field of Object.keys(statement)) {
    if (!known.has(field)) throw new PolicyDocumentError(`${where} has an unknown field ${field}.`);
  }
  if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') throw new PolicyDocumentError(`${where}: Effect must be Allow or Deny.`);
  if ((statement.Action === undefined) === (statement.NotAction === undefined)) {
    throw new PolicyDocumentError(`${where} must have exactly one of Action or NotAction.`);
  }
  for (const field of ['Action', 'NotAction', 'Resource', 'NotResource'] as const) {
    if (statement[field] !== undefined && !isStringOrStringList(statement[field])) {
      throw new PolicyDocumentError(`${where}: ${field} must be a string or a list of strings.`);
    }
  }
  if (statement.Resource !== undefined && statement.NotResource !== undefined) {
    throw new PolicyDocumentError(`${where} has both Resource and NotResource.`);
  }
  if (statement.Principal !== undefined && statement.NotPrincipal !== undefined) {
    throw new PolicyDocumentError(`${where} has both Principal and NotPrincipal.`);
  }
  const principal = statement.Principal ?? statement.NotPrincipal;
  if (requirePrincipal && principal === undefined) throw new PolicyDocumentError(`${where} has no Principal.`);
  if (principal !== undefined && principal !== '*') {
    if (principal === null || typeof principal !== 'object' || Array.isArray(principal)) {
      throw new PolicyDocumentError(`${where} has an invalid Principal.`);
    }
    for (const [kind, value] of Object.entries(principal as Record<string, unknown>)) {
      if (kind !== 'AWS' && kind !== 'Service') throw new PolicyDocumentError(`${where} has an unsupported principal type ${kind}.`);
      if (!isStringOrStringList(value)) throw new PolicyDocumentError(`${where}: Principal ${kind} must be a string or a list of strings.`);
      if (kind === 'AWS') {
        for (const entry of toList(value as string | string[])) {
          if (entry !== '*' && !/^\d{12}$/.test(entry) && !/^arn:aws:(iam|sts)::\d{12}:/.test(entry)) {
            throw new PolicyDocumentError(`${where} has an invalid principal ${JSON.stringify(entry)}.`);
          }
        }
      }
    }
  }
  if (statement.Condition !== undefined) {
    if (statement.Condition === null || typeof statement.Condition !== 'object' || Array.isArray(statement.Condition)) {
      throw new PolicyDocumentError(`${where}: Condition must be an object.`);
    }
    for (const [operator, block] of Object.entries(statement.Condition as Record<string, unknown>)) {
      if (parseOperator(operator) === undefined) throw new PolicyDocumentError(`${where} uses an unsupported condition operator ${operator}.`);
      if (block === null || typeof block !== 'object' || Array.isArray(block)) {
        throw new PolicyDocumentError(`${where}: condition ${operator} must be an object.`);
      }
      for (const [key, v] of Object.entries(block as Record<string, unknown>)) {
        const ok = typeof v === 'string' || typeof v === 'boolean' || (Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'boolean'));
        if (!ok) throw new PolicyDocumentError(`${where}: condition ${operator} ${key} has an invalid value.`);
      }
    }
  }
}
