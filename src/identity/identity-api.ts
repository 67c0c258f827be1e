// SealMQ's admin API for API principals and access keys, in the AWS JSON 1.1 protocol on the control
// endpoint (POST /, X-Amz-Target: SealMQIdentity.<Operation>, SigV4 signing name `iam`). Actions are
// authorized as their IAM counterparts (iam:CreateUser, iam:CreateAccessKey, ...) against the
// caller's identity policies. The store is principal-store.ts; the wire is src/control.
//
// Operations: CreatePrincipal {Name, Policies?, CreateAccessKey?} -> {Principal, AccessKey?}
//             GetPrincipal {Name} -> {Principal}; ListPrincipals {} -> {Principals}
//             PutPrincipalPolicies {Name, Policies}; DeletePrincipal {Name}
//             CreateAccessKey {Name} -> {AccessKey}; DeleteAccessKey {AccessKeyId}
import { AwsApiError } from '../util/aws-error.ts';
import type { CallerIdentity, PolicyDocument } from './caller.ts';
import { PolicyDocumentError, evaluatePolicies, parsePolicyDocument, principalOf } from './policy.ts';
import { PrincipalError, type PrincipalInfo, type PrincipalStore } from './principal-store.ts';

export const IDENTITY_TARGET_PREFIX = 'SealMQIdentity';
export const IDENTITY_SIGNING_NAME = 'iam';

const ERROR_TYPES: Record<PrincipalError['code'], [string, number]> = {
  ALREADY_EXISTS: ['EntityAlreadyExistsException', 409],
  NOT_FOUND: ['NoSuchEntityException', 404],
  INVALID_NAME: ['ValidationException', 400],
  LIMIT_EXCEEDED: ['LimitExceededException', 400],
  STORE_DAMAGED: ['ServiceFailureException', 500],
};

function validation(message: string): AwsApiError {
  return new AwsApiError('ValidationException', message, 400);
}

function requireString(input: Record<string, unknown>, field: string): string {
  const value = input[field];
  if (typeof value !== 'string' || value === '') throw validation(`${field} is required and must be a non-empty string.`);
  return value;
}

function readPolicies(input: Record<string, unknown>): PolicyDocument[] {
  const value = input.Policies;
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw validation('Policies must be a list of policy documents.');
  return value.map((item, i) => {
    const document = typeof item === 'string' ? safeParse(item, i) : item;
    if (document === null || typeof document !== 'object' || Array.isArray(document) || !('Statement' in document)) {
      throw validation(`Policies[${i}] must be a policy document with a Statement.`);
    }
    const statement = (document as { Statement: unknown }).Statement;
    // An empty statement list allows nothing; anything else must be a well-formed identity policy.
    if (Array.isArray(statement) && statement.length === 0) return document as PolicyDocument;
    try {
      return parsePolicyDocument(JSON.stringify(document), { requirePrincipal: false });
    } catch (error) {
      if (error instanceof PolicyDocumentError) throw new AwsApiError('MalformedPolicyDocumentException', `Policies[${i}]: ${error.message}`, 400);
      throw error;
    }
  });
}

function safeParse(text: string, i: number): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw validation(`Policies[${i}] is not valid JSON.`);
  }
}

function principalOut(p: PrincipalInfo): Record<string, unknown> {
  return {
    Name: p.name,
    Arn: p.arn,
    PrincipalId: p.principalId,
    CreateDate: Date.parse(p.createdAt) / 1000,
    Policies: p.policies,
    AccessKeys: p.accessKeys.map((k) => ({ AccessKeyId: k.accessKeyId, Status: k.status, CreateDate: Date.parse(k.createdAt) / 1000 })),
  };
}

/** The admin API over a PrincipalStore. */
export class IdentityApi {
  constructor(
    private readonly store: PrincipalStore,
    private readonly accountId: string,
  ) {}

  async handle(caller: CallerIdentity, operation: string, rawInput: unknown): Promise<Record<string, unknown>> {
    if (rawInput === null || typeof rawInput !== 'object' || Array.isArray(rawInput)) {
      throw new AwsApiError('SerializationException', 'The request body must be a JSON object.');
    }
    const input = rawInput as Record<string, unknown>;
    try {
      switch (operation) {
        case 'CreatePrincipal': {
          const name = requireString(input, 'Name');
          this.#authorize(caller, 'iam:CreateUser', name);
          const policies = readPolicies(input);
          if (policies.length > 0) this.#authorize(caller, 'iam:PutUserPolicy', name);
          const withKey = input.CreateAccessKey !== false;
          if (withKey) this.#authorize(caller, 'iam:CreateAccessKey', name);
          const principal = await this.store.createPrincipal(name, policies);
          if (!withKey) return { Principal: principalOut(principal) };
          const key = await this.store.createAccessKey(name);
          return {
            Principal: principalOut(this.store.get(name) ?? principal),
            AccessKey: { UserName: name, AccessKeyId: key.accessKeyId, SecretAccessKey: key.secretAccessKey, Status: 'Active' },
          };
        }
        case 'GetPrincipal': {
          const name = requireString(input, 'Name');
          this.#authorize(caller, 'iam:GetUser', name);
          const principal = this.store.get(name);
          if (principal === undefined) throw new PrincipalError('NOT_FOUND', `The user with name ${name} cannot be found.`);
          return { Principal: principalOut(principal) };
        }
        case 'ListPrincipals':
          this.#authorize(caller, 'iam:ListUsers', undefined);
          return { Principals: this.store.list().map(principalOut) };
        case 'PutPrincipalPolicies': {
          const name = requireString(input, 'Name');
          this.#authorize(caller, 'iam:PutUserPolicy', name);
          await this.store.setPolicies(name, readPolicies(input));
          return {};
        }
        case 'DeletePrincipal': {
          const name = requireString(input, 'Name');
          this.#authorize(caller, 'iam:DeleteUser', name);
          await this.store.deletePrincipal(name);
          return {};
        }
        case 'CreateAccessKey': {
          const name = requireString(input, 'Name');
          this.#authorize(caller, 'iam:CreateAccessKey', name);
          const key = await this.store.createAccessKey(name);
          return { AccessKey: { UserName: name, AccessKeyId: key.accessKeyId, SecretAccessKey: key.secretAccessKey, Status: 'Active' } };
        }
        case 'DeleteAccessKey': {
          const accessKeyId = requireString(input, 'AccessKeyId');
          const owner = this.store.list().find((p) => p.accessKeys.some((k) => k.accessKeyId === accessKeyId));
          this.#authorize(caller, 'iam:DeleteAccessKey', owner?.name ?? '*');
          await this.store.deleteAccessKey(accessKeyId);
          return {};
        }
        default:
          throw new AwsApiError('UnknownOperationException', `Unknown operation ${operation.slice(0, 128)}`);
      }
    } catch (error) {
      if (error instanceof PrincipalError) {
        const [type, status] = ERROR_TYPES[error.code];
        throw new AwsApiError(type, error.message, status);
      }
      throw error;
    }
  }

  #authorize(caller: CallerIdentity, action: string, principalName: string | undefined): void {
    const resource = principalName === undefined ? '*' : `arn:aws:iam::${this.accountId}:user/${principalName}`;
    const { decision } = evaluatePolicies({ action, resource, ...principalOf(caller), resourcePolicyRequired: false });
    if (decision !== 'Allow') {
      throw new AwsApiError('AccessDeniedException', `User: ${caller.arn} is not authorized to perform: ${action} on resource: ${resource}`, 400);
    }
  }
}
