// The ports the Amazon MQ API layer (mq-api.ts) needs from the rest of SealMQ, and the records it
// keeps. The API owns request handling, validation, authorization and the broker/user/configuration
// records; running brokers (listeners, stores, data keys) belongs to a BrokerRuntime, keys and grants
// to an EncryptionKeys backed by the KMS, password hashing to a PasswordHasher, and durability of the
// records to an MqStateStore. The composition root wires real implementations; memory-ports.ts has
// in-memory ones for tests.
import type { CallerIdentity } from '../../identity/caller.ts';

export const EngineType = { ACTIVEMQ: 'ACTIVEMQ', RABBITMQ: 'RABBITMQ' } as const;
export type EngineType = (typeof EngineType)[keyof typeof EngineType];

export const DeploymentMode = {
  SINGLE_INSTANCE: 'SINGLE_INSTANCE',
  ACTIVE_STANDBY_MULTI_AZ: 'ACTIVE_STANDBY_MULTI_AZ',
  CLUSTER_MULTI_AZ: 'CLUSTER_MULTI_AZ',
} as const;
export type DeploymentMode = (typeof DeploymentMode)[keyof typeof DeploymentMode];

/** Broker states as Amazon MQ has them. */
export const BrokerState = {
  CREATION_IN_PROGRESS: 'CREATION_IN_PROGRESS',
  CREATION_FAILED: 'CREATION_FAILED',
  DELETION_IN_PROGRESS: 'DELETION_IN_PROGRESS',
  RUNNING: 'RUNNING',
  REBOOT_IN_PROGRESS: 'REBOOT_IN_PROGRESS',
  CRITICAL_ACTION_REQUIRED: 'CRITICAL_ACTION_REQUIRED',
} as const;
export type BrokerState = (typeof BrokerState)[keyof typeof BrokerState];

export type AuthenticationStrategy = 'SIMPLE' | 'LDAP';
export type StorageType = 'EBS' | 'EFS';
export type PendingChange = 'CREATE' | 'UPDATE' | 'DELETE';

export interface ActionRequired {
  readonly actionRequiredCode: string;
  readonly actionRequiredInfo?: string;
}

/** Which of Amazon MQ's three key choices a broker uses. */
export type EncryptionKeyKind = 'SERVICE_OWNED' | 'SERVICE_MANAGED' | 'CUSTOMER_MANAGED';

/** A broker's encryption at rest, fixed at creation. */
export interface BrokerEncryption {
  readonly kind: EncryptionKeyKind;
  /** ARN of the KMS key the broker's data keys are generated under. */
  readonly keyArn: string;
  /** The `mq_grant` made for a customer-managed key. */
  readonly grantId?: string;
}

/** A broker user as the runtime needs it; the password only as a salted slow hash. */
export interface BrokerUserSpec {
  readonly username: string;
  readonly passwordHash: string;
  readonly consoleAccess: boolean;
  readonly groups: readonly string[];
  readonly replicationUser: boolean;
}

/** Everything a runtime needs to start (or restart) one broker. */
export interface BrokerSpec {
  readonly brokerId: string;
  readonly brokerArn: string;
  readonly brokerName: string;
  readonly engineType: EngineType;
  readonly engineVersion: string;
  readonly deploymentMode: DeploymentMode;
  readonly hostInstanceType: string;
  readonly storageType: StorageType;
  readonly authenticationStrategy: AuthenticationStrategy;
  readonly encryption: BrokerEncryption;
  /** The configuration revision in force, its data base64 as the API takes it. */
  readonly configuration: { readonly id: string; readonly revision: number; readonly data: string };
  /** Users in force (pending ActiveMQ changes are not included until a reboot applies them). */
  readonly users: readonly BrokerUserSpec[];
  readonly logs: { readonly general: boolean; readonly audit: boolean };
}

/** A state change reported by the runtime. */
export type BrokerRuntimeReport =
  | { readonly state: 'RUNNING' }
  | { readonly state: 'CREATION_FAILED'; readonly reason?: string }
  | { readonly state: 'CRITICAL_ACTION_REQUIRED'; readonly actionsRequired: readonly ActionRequired[] }
  /** The broker is gone: its record is removed. */
  | { readonly state: 'DELETED' };

export type BrokerReporter = (report: BrokerRuntimeReport) => void;

/** One listener of a broker instance, e.g. `{ scheme: 'amqps', port: 5671 }`. */
export interface BrokerListener {
  /** Amazon MQ's scheme: `amqps`, `ssl`, `amqp+ssl`, `stomp+ssl`, `mqtt+ssl`, `wss`. */
  readonly scheme: string;
  readonly port: number;
}

export interface BrokerInstanceEndpoints {
  readonly listeners: readonly BrokerListener[];
  /** Port of the web console, if the instance has one. */
  readonly consolePort?: number;
  /** ActiveMQ only. */
  readonly ipAddress?: string;
}

/**
 * Runs brokers. Calls return once the action has been accepted; progress comes through `report`,
 * which may be called at any time after (never synchronously inside the call is required).
 */
export interface BrokerRuntime {
  /** Starts a new broker; reports RUNNING or CREATION_FAILED. */
  create(spec: BrokerSpec, report: BrokerReporter): Promise<void>;
  /** Restarts a broker with `spec` (pending changes applied); reports RUNNING. */
  reboot(spec: BrokerSpec, report: BrokerReporter): Promise<void>;
  /** Stops a broker and destroys it; reports DELETED. */
  delete(brokerId: string, report: BrokerReporter): Promise<void>;
  /** Replaces the users of a running broker at once (RabbitMQ's behaviour). */
  applyUsers(brokerId: string, users: readonly BrokerUserSpec[]): Promise<void>;
  /** The broker's instances and listeners, or undefined while it has none. */
  getEndpoints(brokerId: string): readonly BrokerInstanceEndpoints[] | undefined;
  /**
   * Rewrites a running broker's stored data under fresh data keys (from the KMS key's current
   * material) while it keeps serving; resolves when done. Optional: runtimes without it refuse.
   */
  reencrypt?(brokerId: string): Promise<ReencryptionResult>;
}

/** What a re-encryption did. */
export interface ReencryptionResult {
  readonly messagesMoved: number;
  readonly segmentsDeleted: number;
  readonly durationMs: number;
}

/** Outcome of looking up a customer-managed key for a new broker. */
export type CustomerKeyResolution =
  | { readonly status: 'ok'; readonly keyArn: string }
  | { readonly status: 'not-found' }
  | { readonly status: 'not-enabled'; readonly keyState: string }
  | { readonly status: 'wrong-usage'; readonly keyUsage: string }
  | { readonly status: 'not-symmetric'; readonly keySpec: string }
  | { readonly status: 'access-denied' };

/** Keys and grants for encryption at rest (DESIGN.md section 4), backed by the KMS. */
export interface EncryptionKeys {
  /**
   * Resolves a key id, key ARN, alias name or alias ARN to a key ARN; the key must exist, be Enabled
   * and be a symmetric ENCRYPT_DECRYPT key. The caller is passed so the KMS can check its access.
   */
  resolveCustomerKey(kmsKeyId: string, caller: CallerIdentity): Promise<CustomerKeyResolution>;
  /** The account's `alias/aws/mq` key, created on first use. */
  ensureServiceManagedKey(): Promise<{ readonly keyArn: string }>;
  /** A key owned by SealMQ for this broker alone, not listed among the account's keys. */
  createServiceOwnedKey(brokerId: string): Promise<{ readonly keyArn: string }>;
  /**
   * A grant named `mq_grant` on `keyArn` for the broker's principal, constrained by
   * EncryptionContextSubset {"aws:mq:broker-id": brokerId}, made as `caller` (Amazon MQ makes it
   * with the creator's permissions). May throw a BadRequestException naming `kmsKeyId`.
   */
  createBrokerGrant(keyArn: string, brokerId: string, caller: CallerIdentity): Promise<{ readonly grantId: string }>;
}

/** Turns a broker user's password into a salted slow hash (identity/ owns the algorithm). */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
}

/** Time, injected. */
export interface MqClock {
  now(): number;
}

/** Random ids, injected: a UUID v4 string for broker and configuration ids. */
export interface MqIdGenerator {
  uuid(): string;
}

/** Durable storage of the whole MQ state document (see state.ts). */
export interface MqStateStore {
  load(): Promise<unknown | undefined>;
  save(document: unknown): Promise<void>;
}

export interface MqApiDeps {
  readonly accountId: string;
  readonly region: string;
  /** Host name put in endpoint and console URLs, e.g. `localhost`. */
  readonly host: string;
  readonly clock: MqClock;
  readonly ids: MqIdGenerator;
  readonly store: MqStateStore;
  readonly runtime: BrokerRuntime;
  readonly keys: EncryptionKeys;
  readonly passwords: PasswordHasher;
  /**
   * Told of an unexpected error that the caller sees only as InternalServerErrorException, for the
   * operator's log. The error may carry input; log its type and message, never request bodies.
   */
  readonly onInternalError?: (error: unknown, operation: string) => void;
}
