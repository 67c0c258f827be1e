// The control plane's records for Amazon MQ (brokers, their users, configurations and revisions,
// tags) as one versioned JSON document, and the stores that keep it: in memory for tests, and a
// function-backed store that the composition root points at a sealed file (crypto/sealed-file.ts),
// so that usernames, password hashes and LDAP service-account passwords are never on disk in the
// clear. What the records mean is mq-api.ts's business; this file only shapes and persists them.
import type { RootKey } from '../../crypto/root-key.ts';
import { readSealedJson, writeSealedJson } from '../../crypto/sealed-file.ts';
import type {
  ActionRequired,
  AuthenticationStrategy,
  BrokerEncryption,
  BrokerState,
  DeploymentMode,
  EngineType,
  MqStateStore,
  PendingChange,
  StorageType,
} from './ports.ts';

export const MQ_STATE_FORMAT_VERSION = 1;

export interface UserValues {
  consoleAccess: boolean;
  groups: string[];
  replicationUser: boolean;
  passwordHash: string;
}

export interface UserRecord {
  username: string;
  /** Values in force on the broker; absent for a pending CREATE. */
  current?: UserValues;
  /** A change not yet applied (ActiveMQ: applied at the next reboot). */
  pending?: { change: PendingChange; values?: UserValues };
}

export interface LdapServerMetadataRecord {
  hosts: string[];
  roleBase: string;
  roleName?: string;
  roleSearchMatching: string;
  roleSearchSubtree?: boolean;
  /** Kept only in the sealed state; never returned. */
  serviceAccountPassword: string;
  serviceAccountUsername: string;
  userBase: string;
  userRoleName?: string;
  userSearchMatching: string;
  userSearchSubtree?: boolean;
}

export interface ConfigurationRef {
  id: string;
  revision: number;
}

export interface BrokerRecord {
  brokerId: string;
  brokerArn: string;
  brokerName: string;
  brokerState: BrokerState;
  actionsRequired: ActionRequired[];
  createdMs: number;
  engineType: EngineType;
  engineVersion: string;
  deploymentMode: DeploymentMode;
  hostInstanceType: string;
  publiclyAccessible: boolean;
  authenticationStrategy: AuthenticationStrategy;
  autoMinorVersionUpgrade: boolean;
  storageType: StorageType;
  securityGroups: string[];
  subnetIds: string[];
  logs: { general: boolean; audit: boolean };
  maintenanceWindowStartTime: { dayOfWeek: string; timeOfDay: string; timeZone: string };
  ldapServerMetadata?: LdapServerMetadataRecord;
  /** What the caller asked for, shown by DescribeBroker. */
  encryptionOptions: { useAwsOwnedKey: boolean; kmsKeyId?: string };
  encryption: BrokerEncryption;
  configurations: { current: ConfigurationRef; history: ConfigurationRef[]; pending?: ConfigurationRef };
  /** Changes that a reboot applies. */
  pending: {
    engineVersion?: string;
    hostInstanceType?: string;
    authenticationStrategy?: AuthenticationStrategy;
    ldapServerMetadata?: LdapServerMetadataRecord;
    securityGroups?: string[];
    logs?: { general: boolean; audit: boolean };
  };
  users: UserRecord[];
  tags: Record<string, string>;
  /** CreateBroker idempotency: the token and a salted digest of the request it came with. */
  creatorRequestId?: string;
  requestDigest?: string;
}

export interface ConfigurationRevisionRecord {
  revision: number;
  createdMs: number;
  description: string;
  /** Base64, as the API takes and returns it. */
  data: string;
}

export interface ConfigurationRecord {
  id: string;
  arn: string;
  name: string;
  description: string;
  engineType: EngineType;
  engineVersion: string;
  authenticationStrategy: AuthenticationStrategy;
  createdMs: number;
  revisions: ConfigurationRevisionRecord[];
  tags: Record<string, string>;
}

export interface MqStateDocument {
  formatVersion: typeof MQ_STATE_FORMAT_VERSION;
  brokers: BrokerRecord[];
  configurations: ConfigurationRecord[];
}

export function emptyMqState(): MqStateDocument {
  return { formatVersion: MQ_STATE_FORMAT_VERSION, brokers: [], configurations: [] };
}

/** The state document was written by another format version or is not one at all. */
export class MqStateFormatError extends Error {
  readonly code = 'MQ_STATE_FORMAT';
  constructor(why: string) {
    super(`the Amazon MQ state document cannot be read: ${why}`);
    this.name = 'MqStateFormatError';
  }
}

/** Checks the shape of a loaded document (undefined → a fresh empty one). */
export function parseMqState(value: unknown): MqStateDocument {
  if (value === undefined) return emptyMqState();
  if (typeof value !== 'object' || value === null) throw new MqStateFormatError('not a JSON object');
  const document = value as Partial<MqStateDocument>;
  if (document.formatVersion !== MQ_STATE_FORMAT_VERSION) {
    throw new MqStateFormatError(`format version ${String(document.formatVersion)}, expected ${MQ_STATE_FORMAT_VERSION}`);
  }
  if (!Array.isArray(document.brokers) || !Array.isArray(document.configurations)) {
    throw new MqStateFormatError('brokers or configurations missing');
  }
  return document as MqStateDocument;
}

/** Keeps the document in memory (a deep copy per save, so tests see what was persisted). */
export class InMemoryMqStateStore implements MqStateStore {
  #saved: string | undefined;
  saves = 0;

  async load(): Promise<unknown | undefined> {
    return this.#saved === undefined ? undefined : JSON.parse(this.#saved);
  }

  async save(document: unknown): Promise<void> {
    this.#saved = JSON.stringify(document);
    this.saves++;
  }

  /** The last saved text, for tests that scan it. */
  get savedText(): string | undefined {
    return this.#saved;
  }
}

/** Read and write functions for a whole document, e.g. over a sealed file. */
export interface MqStateIo {
  read(): Promise<unknown | undefined>;
  write(value: unknown): Promise<void>;
}

/** A store over caller-supplied read/write functions (the lead backs it by a sealed file). */
export class FileMqStateStore implements MqStateStore {
  constructor(private readonly io: MqStateIo) {}

  load(): Promise<unknown | undefined> {
    return this.io.read();
  }

  save(document: unknown): Promise<void> {
    return this.io.write(document);
  }
}

/** The sealed-file purpose (AAD) of the MQ state, so it cannot be swapped with another sealed file. */
export const MQ_STATE_SEAL_PURPOSE = 'sealmq/control/mq-state/v1';

/** A FileMqStateStore on a file sealed under the root key (crypto/sealed-file.ts). */
export function sealedFileMqStateStore(path: string, rootKey: RootKey): FileMqStateStore {
  return new FileMqStateStore({
    read: () => readSealedJson<unknown>(path, rootKey, MQ_STATE_SEAL_PURPOSE),
    write: (value) => writeSealedJson(path, rootKey, MQ_STATE_SEAL_PURPOSE, value),
  });
}
