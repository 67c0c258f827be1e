// API principals (IAM-style users) and their access keys, persisted as one JSON document sealed under
// the root key. SigV4 needs each secret access key itself, so secrets are kept, but only sealed on
// disk; a secret is handed out once, when its key is created. Authentication is sigv4.ts's;
// authorization (what a principal's policies allow) is policy.ts's.
//
// DATA/identity/principals.sealed = writeSealedJson(purpose PRINCIPALS_PURPOSE) of
//   { formatVersion: 1, accountId, principals: [{ name, arn, principalId, createdAt, policies,
//     accessKeys: [{ accessKeyId, secretAccessKey, status, createdAt }] }] }
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { RootKey } from '../crypto/root-key.ts';
import { readSealedJson, writeSealedJson } from '../crypto/sealed-file.ts';
import type { Logger } from '../util/logger.ts';
import { generateAccessKeyId, generatePrincipalId, generateSecretAccessKey, type AccessKeyCredentials } from './access-keys.ts';
import type { CallerIdentity, PolicyDocument } from './caller.ts';

export const PRINCIPALS_FILE = 'principals.sealed';
export const PRINCIPALS_PURPOSE = 'sealmq/identity/principals/v1';
const FORMAT_VERSION = 1;
/** IAM user-name rules. */
export const PRINCIPAL_NAME_PATTERN = /^[\w+=,.@-]{1,64}$/;
/** At most this many access keys per principal, as IAM allows. */
export const ACCESS_KEYS_PER_PRINCIPAL_MAX = 2;

export const ADMINISTRATOR_NAME = 'admin';
export const ADMINISTRATOR_POLICY: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Sid: 'AdministratorAccess', Effect: 'Allow', Action: '*', Resource: '*' }],
};

interface StoredAccessKey {
  accessKeyId: string;
  secretAccessKey: string;
  status: 'Active' | 'Inactive';
  createdAt: string;
}

interface StoredPrincipal {
  name: string;
  arn: string;
  principalId: string;
  createdAt: string;
  policies: PolicyDocument[];
  accessKeys: StoredAccessKey[];
}

interface StoredDocument {
  formatVersion: number;
  accountId: string;
  principals: StoredPrincipal[];
}

/** A principal as shown to callers: never a secret. */
export interface PrincipalInfo {
  readonly name: string;
  readonly arn: string;
  readonly principalId: string;
  readonly createdAt: string;
  readonly policies: readonly PolicyDocument[];
  readonly accessKeys: readonly { accessKeyId: string; status: 'Active' | 'Inactive'; createdAt: string }[];
}

/** A new access key; the only time its secret is returned. */
export interface NewAccessKey extends AccessKeyCredentials {
  readonly principalName: string;
  readonly arn: string;
}

/** What SigV4 verification resolves an access key id to. */
export interface ResolvedAccessKey extends AccessKeyCredentials {
  readonly caller: CallerIdentity;
}

export const PrincipalErrorCode = {
  ALREADY_EXISTS: 'ALREADY_EXISTS',
  NOT_FOUND: 'NOT_FOUND',
  INVALID_NAME: 'INVALID_NAME',
  LIMIT_EXCEEDED: 'LIMIT_EXCEEDED',
  STORE_DAMAGED: 'STORE_DAMAGED',
} as const;
export type PrincipalErrorCode = (typeof PrincipalErrorCode)[keyof typeof PrincipalErrorCode];

export class PrincipalError extends Error {
  constructor(
    readonly code: PrincipalErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'PrincipalError';
  }
}

export interface PrincipalStoreOptions {
  /** DATA/identity; created with mode 0700. */
  dir: string;
  rootKey: RootKey;
  accountId: string;
  now?: () => Date;
  logger?: Logger;
}

/** The principals of one installation. Writes are serialised; memory changes only after the file is written. */
export class PrincipalStore {
  readonly #path: string;
  readonly #rootKey: RootKey;
  readonly #accountId: string;
  readonly #now: () => Date;
  #document: StoredDocument;
  #byAccessKey = new Map<string, { principal: StoredPrincipal; key: StoredAccessKey }>();
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(path: string, rootKey: RootKey, accountId: string, now: () => Date, document: StoredDocument) {
    this.#path = path;
    this.#rootKey = rootKey;
    this.#accountId = accountId;
    this.#now = now;
    this.#document = document;
    this.#index();
  }

  /** Opens the store; an absent file is an empty store, a damaged one an error (never replaced). */
  static async open(options: PrincipalStoreOptions): Promise<PrincipalStore> {
    await mkdir(options.dir, { recursive: true, mode: 0o700 });
    const path = join(options.dir, PRINCIPALS_FILE);
    const stored = await readSealedJson<StoredDocument>(path, options.rootKey, PRINCIPALS_PURPOSE);
    const document = stored ?? { formatVersion: FORMAT_VERSION, accountId: options.accountId, principals: [] };
    if (document.formatVersion !== FORMAT_VERSION || !Array.isArray(document.principals)) {
      throw new PrincipalError('STORE_DAMAGED', `${path} has an unknown format (version ${String(document.formatVersion)})`);
    }
    if (document.accountId !== options.accountId) {
      throw new PrincipalError(
        'STORE_DAMAGED',
        `${path} belongs to account ${document.accountId}, but the configured accountId is ${options.accountId}; set accountId back to ${document.accountId}`,
      );
    }
    return new PrincipalStore(path, options.rootKey, options.accountId, options.now ?? (() => new Date()), document);
  }

  get size(): number {
    return this.#document.principals.length;
  }

  list(): PrincipalInfo[] {
    return this.#document.principals.map(toInfo);
  }

  get(name: string): PrincipalInfo | undefined {
    const principal = this.#find(name);
    return principal && toInfo(principal);
  }

  /** For SigV4: the secret and the caller identity of an active access key. */
  lookupAccessKey(accessKeyId: string): ResolvedAccessKey | undefined {
    const entry = this.#byAccessKey.get(accessKeyId);
    if (entry === undefined || entry.key.status !== 'Active') return undefined;
    return { accessKeyId: entry.key.accessKeyId, secretAccessKey: entry.key.secretAccessKey, caller: this.#callerOf(entry.principal, entry.key.accessKeyId) };
  }

  /** The identity of a principal by name, for in-process callers. */
  callerIdentity(name: string): CallerIdentity | undefined {
    const principal = this.#find(name);
    return principal && this.#callerOf(principal);
  }

  arnOf(name: string): string {
    return `arn:aws:iam::${this.#accountId}:user/${name}`;
  }

  async createPrincipal(name: string, policies: readonly PolicyDocument[] = []): Promise<PrincipalInfo> {
    return this.#mutate((doc) => {
      checkName(name);
      if (doc.principals.some((p) => p.name === name)) throw new PrincipalError('ALREADY_EXISTS', `User with name ${name} already exists.`);
      const principal: StoredPrincipal = {
        name,
        arn: this.arnOf(name),
        principalId: generatePrincipalId(),
        createdAt: this.#now().toISOString(),
        policies: structuredClone([...policies]),
        accessKeys: [],
      };
      doc.principals.push(principal);
      return toInfo(principal);
    });
  }

  async setPolicies(name: string, policies: readonly PolicyDocument[]): Promise<void> {
    await this.#mutate((doc) => {
      this.#require(doc, name).policies = structuredClone([...policies]);
    });
  }

  async deletePrincipal(name: string): Promise<void> {
    await this.#mutate((doc) => {
      this.#require(doc, name);
      doc.principals = doc.principals.filter((p) => p.name !== name);
    });
  }

  /** Creates an access key; its secret is in the result and nowhere else in plaintext. */
  async createAccessKey(name: string): Promise<NewAccessKey> {
    return this.#mutate((doc) => {
      const principal = this.#require(doc, name);
      if (principal.accessKeys.length >= ACCESS_KEYS_PER_PRINCIPAL_MAX) {
        throw new PrincipalError('LIMIT_EXCEEDED', `Cannot exceed quota for AccessKeysPerUser: ${ACCESS_KEYS_PER_PRINCIPAL_MAX}`);
      }
      let accessKeyId = generateAccessKeyId();
      while (this.#byAccessKey.has(accessKeyId)) accessKeyId = generateAccessKeyId();
      const key: StoredAccessKey = { accessKeyId, secretAccessKey: generateSecretAccessKey(), status: 'Active', createdAt: this.#now().toISOString() };
      principal.accessKeys.push(key);
      return { principalName: name, arn: principal.arn, accessKeyId, secretAccessKey: key.secretAccessKey };
    });
  }

  async deleteAccessKey(accessKeyId: string): Promise<void> {
    await this.#mutate((doc) => {
      const principal = doc.principals.find((p) => p.accessKeys.some((k) => k.accessKeyId === accessKeyId));
      if (principal === undefined) throw new PrincipalError('NOT_FOUND', `The Access Key with id ${accessKeyId} cannot be found.`);
      principal.accessKeys = principal.accessKeys.filter((k) => k.accessKeyId !== accessKeyId);
    });
  }

  /**
   * First start: when there is no principal at all, creates `admin` (Allow * on *) with one access key
   * and hands the key to `persist` (which writes the credentials file) *before* the store is written,
   * so that a crash in between leaves an empty store and the next start tries again.
   */
  async ensureAdministrator(persist: (key: NewAccessKey) => Promise<void>): Promise<NewAccessKey | undefined> {
    return this.#serial(async () => {
      if (this.#document.principals.length > 0) return undefined;
      const draft = structuredClone(this.#document);
      const principal: StoredPrincipal = {
        name: ADMINISTRATOR_NAME,
        arn: this.arnOf(ADMINISTRATOR_NAME),
        principalId: generatePrincipalId(),
        createdAt: this.#now().toISOString(),
        policies: [structuredClone(ADMINISTRATOR_POLICY)],
        accessKeys: [{ accessKeyId: generateAccessKeyId(), secretAccessKey: generateSecretAccessKey(), status: 'Active', createdAt: this.#now().toISOString() }],
      };
      draft.principals.push(principal);
      const key = principal.accessKeys[0]!;
      const newKey: NewAccessKey = { principalName: principal.name, arn: principal.arn, accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey };
      await persist(newKey);
      await writeSealedJson(this.#path, this.#rootKey, PRINCIPALS_PURPOSE, draft);
      this.#document = draft;
      this.#index();
      return newKey;
    });
  }

  #callerOf(principal: StoredPrincipal, accessKeyId?: string): CallerIdentity {
    return {
      accountId: this.#accountId,
      arn: principal.arn,
      principalId: principal.principalId,
      policies: structuredClone(principal.policies),
      ...(accessKeyId !== undefined ? { accessKeyId } : {}),
    };
  }

  #find(name: string): StoredPrincipal | undefined {
    return this.#document.principals.find((p) => p.name === name);
  }

  #require(doc: StoredDocument, name: string): StoredPrincipal {
    const principal = doc.principals.find((p) => p.name === name);
    if (principal === undefined) throw new PrincipalError('NOT_FOUND', `The user with name ${name} cannot be found.`);
    return principal;
  }

  #index(): void {
    this.#byAccessKey = new Map();
    for (const principal of this.#document.principals) {
      for (const key of principal.accessKeys) this.#byAccessKey.set(key.accessKeyId, { principal, key });
    }
  }

  /** Applies `change` to a copy, writes it, then swaps it in. */
  #mutate<T>(change: (draft: StoredDocument) => T): Promise<T> {
    return this.#serial(async () => {
      const draft = structuredClone(this.#document);
      const result = change(draft);
      await writeSealedJson(this.#path, this.#rootKey, PRINCIPALS_PURPOSE, draft);
      this.#document = draft;
      this.#index();
      return result;
    });
  }

  #serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}

function checkName(name: string): void {
  if (!PRINCIPAL_NAME_PATTERN.test(name)) {
    throw new PrincipalError('INVALID_NAME', `The user name must be 1-64 characters of letters, digits and +=,.@_-; got ${JSON.stringify(name.slice(0, 80))}.`);
  }
}

function toInfo(principal: StoredPrincipal): PrincipalInfo {
  return {
    name: principal.name,
    arn: principal.arn,
    principalId: principal.principalId,
    createdAt: principal.createdAt,
    policies: structuredClone(principal.policies),
    accessKeys: principal.accessKeys.map((k) => ({ accessKeyId: k.accessKeyId, status: k.status, createdAt: k.createdAt })),
  };
}
