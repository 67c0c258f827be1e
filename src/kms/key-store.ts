// The KMS's persistent state and how it is kept on disk: one sealed JSON file under the root key,
// rewritten atomically after every change. Each key's material is additionally sealed on its own
// (purpose names the key and version), so it is never in the clear even inside the store's JSON.
// What the records mean (states, authorization, rotation) is left to kms-service.ts.
import { dirname, join } from 'node:path';
import { removeTemporaryFiles, type RootKey } from '../crypto/root-key.ts';
import { readSealedJson, writeSealedJson } from '../crypto/sealed-file.ts';

export const KMS_STORE_FILE = 'kms-store.sealed';
const STORE_PURPOSE = 'sealmq/kms/store/v1';
export const STORE_FORMAT_VERSION = 1;

export type KeyState = 'Enabled' | 'Disabled' | 'PendingDeletion';

export interface Tag {
  TagKey: string;
  TagValue: string;
}

export interface KeyMaterialRecord {
  /** 1, 2, ...: the version named in each ciphertext blob. */
  version: number;
  createdAtMs: number;
  rotationType?: 'AUTOMATIC' | 'ON_DEMAND';
  /** RootKey.seal(material, materialPurpose(keyId, version)), base64. */
  sealedMaterial: string;
}

export interface KeyRecord {
  keyId: string;
  creationDateMs: number;
  description: string;
  state: KeyState;
  keyManager: 'CUSTOMER' | 'AWS';
  /** ACCOUNT keys are the account's; SERVICE keys are service-owned, hidden from the API. */
  owner: 'ACCOUNT' | 'SERVICE';
  /** For service-owned keys: the broker they belong to. */
  serviceOwnerId?: string;
  deletionDateMs?: number;
  pendingWindowInDays?: number;
  policy: string;
  tags: Tag[];
  rotationEnabled: boolean;
  rotationPeriodInDays?: number;
  nextRotationDateMs?: number;
  onDemandRotations: number;
  materials: KeyMaterialRecord[];
}

export interface AliasRecord {
  aliasName: string;
  targetKeyId: string;
  creationDateMs: number;
  lastUpdatedDateMs: number;
}

export interface GrantConstraints {
  EncryptionContextSubset?: Record<string, string>;
  EncryptionContextEquals?: Record<string, string>;
}

export interface GrantRecord {
  grantId: string;
  keyId: string;
  name?: string;
  creationDateMs: number;
  granteePrincipal: string;
  retiringPrincipal?: string;
  issuingAccount: string;
  operations: string[];
  constraints?: GrantConstraints;
}

export interface KmsState {
  formatVersion: number;
  accountId: string;
  region: string;
  /** Key for the MAC in grant tokens, base64; lives only inside the sealed file. */
  grantTokenMacKey: string;
  keys: KeyRecord[];
  aliases: AliasRecord[];
  grants: GrantRecord[];
  /** Ids of deleted keys, so that their ciphertexts are reported as NotFound rather than as damaged. */
  deletedKeyIds: string[];
}

export function materialPurpose(keyId: string, version: number): string {
  return `sealmq/kms/key-material/${keyId}/${version}`;
}

/** The store file cannot be used; the KMS does not start (never silently re-created). */
export class KmsStoreError extends Error {
  readonly code = 'KMS_STORE_DAMAGED';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KmsStoreError';
  }
}

export class KeyStore {
  readonly path: string;
  #writeChain: Promise<void> = Promise.resolve();

  constructor(
    dir: string,
    private readonly rootKey: RootKey,
  ) {
    this.path = join(dir, KMS_STORE_FILE);
  }

  /** The stored state, or undefined on first start. Throws KmsStoreError if damaged. */
  async load(): Promise<KmsState | undefined> {
    await removeTemporaryFiles(dirname(this.path), [KMS_STORE_FILE]);
    let state: KmsState | undefined;
    try {
      state = await readSealedJson<KmsState>(this.path, this.rootKey, STORE_PURPOSE);
    } catch (error) {
      throw new KmsStoreError(`KMS key store ${this.path} cannot be read: ${(error as Error).message}`, { cause: error });
    }
    if (state === undefined) return undefined;
    checkState(this.path, state);
    return state;
  }

  /** Resolves when every write issued so far has finished (successfully or not). */
  flush(): Promise<void> {
    return this.#writeChain;
  }

  /** Writes a snapshot of `state`; writes are serialised in call order. */
  save(state: KmsState): Promise<void> {
    const snapshot = structuredClone(state);
    const write = this.#writeChain.then(() => writeSealedJson(this.path, this.rootKey, STORE_PURPOSE, snapshot));
    this.#writeChain = write.catch(() => undefined);
    return write;
  }
}

function checkState(path: string, state: KmsState): void {
  const bad = (why: string) => new KmsStoreError(`KMS key store ${path} is damaged (${why}); it was left untouched`);
  if (state === null || typeof state !== 'object') throw bad('not an object');
  if (state.formatVersion !== STORE_FORMAT_VERSION) throw bad(`unknown format version ${String(state.formatVersion)}`);
  if (!Array.isArray(state.keys) || !Array.isArray(state.aliases) || !Array.isArray(state.grants) || !Array.isArray(state.deletedKeyIds)) {
    throw bad('missing lists');
  }
  if (typeof state.accountId !== 'string' || typeof state.region !== 'string' || typeof state.grantTokenMacKey !== 'string') {
    throw bad('missing header fields');
  }
  const keyIds = new Set<string>();
  for (const key of state.keys) {
    if (typeof key.keyId !== 'string' || !Array.isArray(key.materials) || key.materials.length === 0) throw bad('a key record is incomplete');
    keyIds.add(key.keyId);
  }
  for (const alias of state.aliases) {
    if (!keyIds.has(alias.targetKeyId)) throw bad(`alias ${alias.aliasName} points to a missing key`);
  }
  for (const grant of state.grants) {
    if (!keyIds.has(grant.keyId)) throw bad(`grant on a missing key`);
  }
}
