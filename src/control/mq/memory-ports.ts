// In-memory implementations of the MQ API's ports, for unit tests and for trying the API without
// engines or a KMS: a runtime that records calls and reports state changes when told to (or at once),
// a key service with customer keys that tests can add, disable or misconfigure, a password hasher
// that is deliberately not a real one, a settable clock and sequential ids. Not for production use.
import type { CallerIdentity } from '../../identity/caller.ts';
import type {
  BrokerInstanceEndpoints,
  BrokerReporter,
  BrokerRuntime,
  BrokerSpec,
  BrokerUserSpec,
  CustomerKeyResolution,
  EncryptionKeys,
  MqClock,
  MqIdGenerator,
  PasswordHasher,
} from './ports.ts';

/** A runtime that records what it was asked and reports when the test says so (or at once). */
export class InMemoryBrokerRuntime implements BrokerRuntime {
  readonly calls: { action: 'create' | 'reboot' | 'delete' | 'applyUsers'; brokerId: string }[] = [];
  readonly specs = new Map<string, BrokerSpec>();
  readonly users = new Map<string, readonly BrokerUserSpec[]>();
  readonly #reporters = new Map<string, BrokerReporter>();
  readonly #endpoints = new Map<string, BrokerInstanceEndpoints[]>();
  #nextPort = 20000;

  constructor(
    /** Report RUNNING / DELETED on the next microtask instead of waiting for `complete`. */
    readonly autoComplete = false,
    /** Make `create` reject, as a runtime that cannot start a broker would. */
    public failCreate = false,
  ) {}

  /** Make `reboot` / `delete` reject. */
  failReboot = false;
  failDelete = false;

  #listenersFor(spec: BrokerSpec): BrokerInstanceEndpoints[] {
    const port = () => this.#nextPort++;
    if (spec.engineType === 'RABBITMQ') return [{ listeners: [{ scheme: 'amqps', port: port() }], consolePort: port() }];
    const instance = (): BrokerInstanceEndpoints => ({
      listeners: ['ssl', 'amqp+ssl', 'stomp+ssl', 'mqtt+ssl', 'wss'].map((scheme) => ({ scheme, port: port() })),
      consolePort: port(),
      ipAddress: '127.0.0.1',
    });
    return spec.deploymentMode === 'ACTIVE_STANDBY_MULTI_AZ' ? [instance(), instance()] : [instance()];
  }

  async create(spec: BrokerSpec, report: BrokerReporter): Promise<void> {
    this.calls.push({ action: 'create', brokerId: spec.brokerId });
    if (this.failCreate) throw new Error('cannot start broker');
    this.specs.set(spec.brokerId, spec);
    this.users.set(spec.brokerId, spec.users);
    this.#reporters.set(spec.brokerId, report);
    this.#endpoints.set(spec.brokerId, this.#listenersFor(spec));
    if (this.autoComplete) queueMicrotask(() => report({ state: 'RUNNING' }));
  }

  async reboot(spec: BrokerSpec, report: BrokerReporter): Promise<void> {
    this.calls.push({ action: 'reboot', brokerId: spec.brokerId });
    if (this.failReboot) throw new Error('cannot restart broker');
    this.specs.set(spec.brokerId, spec);
    this.users.set(spec.brokerId, spec.users);
    this.#reporters.set(spec.brokerId, report);
    if (this.autoComplete) queueMicrotask(() => report({ state: 'RUNNING' }));
  }

  async delete(brokerId: string, report: BrokerReporter): Promise<void> {
    this.calls.push({ action: 'delete', brokerId });
    if (this.failDelete) throw new Error('cannot delete broker');
    this.#reporters.set(brokerId, report);
    this.#endpoints.delete(brokerId);
    if (this.autoComplete) queueMicrotask(() => report({ state: 'DELETED' }));
  }

  async applyUsers(brokerId: string, users: readonly BrokerUserSpec[]): Promise<void> {
    this.calls.push({ action: 'applyUsers', brokerId });
    this.users.set(brokerId, users);
  }

  getEndpoints(brokerId: string): readonly BrokerInstanceEndpoints[] | undefined {
    return this.#endpoints.get(brokerId);
  }

  /** Sends a report for a broker, as the real runtime would when something changes. */
  report(brokerId: string, report: Parameters<BrokerReporter>[0]): void {
    const reporter = this.#reporters.get(brokerId);
    if (reporter === undefined) throw new Error(`no reporter for ${brokerId}`);
    reporter(report);
  }
}

export interface InMemoryKey {
  keyId: string;
  keyArn: string;
  aliases: string[];
  keyState: 'Enabled' | 'Disabled' | 'PendingDeletion';
  keyUsage: 'ENCRYPT_DECRYPT' | 'SIGN_VERIFY' | 'GENERATE_VERIFY_MAC';
  keySpec: string;
}

export interface InMemoryGrant {
  grantId: string;
  name: 'mq_grant';
  keyArn: string;
  granteePrincipal: string;
  constraints: { encryptionContextSubset: Record<string, string> };
}

/** Keys and grants in memory, with the resolution rules of the real port. */
export class InMemoryEncryptionKeys implements EncryptionKeys {
  readonly keys: InMemoryKey[] = [];
  readonly grants: InMemoryGrant[] = [];
  readonly serviceOwnedKeys = new Map<string, string>();
  serviceManagedKeyArn: string | undefined;
  /** Callers that the key service refuses (by ARN), to test `access-denied`. */
  readonly deniedCallers = new Set<string>();
  #next = 1;

  constructor(
    readonly region = 'us-east-1',
    readonly accountId = '000000000000',
  ) {}

  #uuid(): string {
    return `00000000-0000-4000-8000-${String(this.#next++).padStart(12, '0')}`;
  }

  /** Adds a customer-managed key; returns it so a test can change its state. */
  addKey(options: Partial<Omit<InMemoryKey, 'keyId' | 'keyArn'>> = {}): InMemoryKey {
    const keyId = this.#uuid();
    const key: InMemoryKey = {
      keyId,
      keyArn: `arn:aws:kms:${this.region}:${this.accountId}:key/${keyId}`,
      aliases: options.aliases ?? [],
      keyState: options.keyState ?? 'Enabled',
      keyUsage: options.keyUsage ?? 'ENCRYPT_DECRYPT',
      keySpec: options.keySpec ?? 'SYMMETRIC_DEFAULT',
    };
    this.keys.push(key);
    return key;
  }

  async resolveCustomerKey(kmsKeyId: string, caller: CallerIdentity): Promise<CustomerKeyResolution> {
    const aliasArnPrefix = `arn:aws:kms:${this.region}:${this.accountId}:`;
    const key = this.keys.find(
      (k) =>
        k.keyId === kmsKeyId ||
        k.keyArn === kmsKeyId ||
        k.aliases.includes(kmsKeyId) ||
        (kmsKeyId.startsWith(aliasArnPrefix) && k.aliases.includes(kmsKeyId.slice(aliasArnPrefix.length))),
    );
    if (key === undefined) return { status: 'not-found' };
    if (this.deniedCallers.has(caller.arn)) return { status: 'access-denied' };
    if (key.keyState !== 'Enabled') return { status: 'not-enabled', keyState: key.keyState };
    if (key.keyUsage !== 'ENCRYPT_DECRYPT') return { status: 'wrong-usage', keyUsage: key.keyUsage };
    if (key.keySpec !== 'SYMMETRIC_DEFAULT') return { status: 'not-symmetric', keySpec: key.keySpec };
    return { status: 'ok', keyArn: key.keyArn };
  }

  async ensureServiceManagedKey(): Promise<{ keyArn: string }> {
    this.serviceManagedKeyArn ??= `arn:aws:kms:${this.region}:${this.accountId}:key/${this.#uuid()}`;
    return { keyArn: this.serviceManagedKeyArn };
  }

  async createServiceOwnedKey(brokerId: string): Promise<{ keyArn: string }> {
    const keyArn = `arn:aws:kms:${this.region}:sealmq:key/${this.#uuid()}`;
    this.serviceOwnedKeys.set(brokerId, keyArn);
    return { keyArn };
  }

  async createBrokerGrant(keyArn: string, brokerId: string): Promise<{ grantId: string }> {
    const grantId = this.#uuid().replace(/-/g, '');
    this.grants.push({
      grantId,
      name: 'mq_grant',
      keyArn,
      granteePrincipal: `arn:aws:iam::${this.accountId}:role/sealmq-broker/${brokerId}`,
      constraints: { encryptionContextSubset: { 'aws:mq:broker-id': brokerId } },
    });
    return { grantId };
  }
}

/**
 * A stand-in hasher for tests: reversible-looking but never the password itself. It is NOT a
 * password hash; production wires identity/'s salted slow hash.
 */
export class FakePasswordHasher implements PasswordHasher {
  hashed = 0;
  async hash(password: string): Promise<string> {
    this.hashed++;
    return `fake$${password.length}$${this.hashed}`;
  }
}

/** A clock that stays where a test puts it. */
export class SettableClock implements MqClock {
  constructor(public nowMs = Date.UTC(2026, 0, 15, 12, 0, 0)) {}
  now(): number {
    return this.nowMs;
  }
  advance(ms: number): void {
    this.nowMs += ms;
  }
}

/** Sequential UUID-shaped ids: 00000000-0000-4000-8000-000000000001, ... */
export class SequentialIds implements MqIdGenerator {
  #next = 1;
  uuid(): string {
    return `00000000-0000-4000-8000-${String(this.#next++).padStart(12, '0')}`;
  }
}
