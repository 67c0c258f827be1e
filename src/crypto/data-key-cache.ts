// The only place plaintext data keys live: an in-memory cache with hard limits on age, messages
// and bytes encrypted, and on entries, modelled on the AWS Encryption SDK's caching materials
// manager. Every eviction zeroes the key (`fill(0)`). It does not talk to the KMS: callers re-obtain
// an evicted key from the KeyProvider, which is how a disabled KMS key takes effect after at most
// `dataKeyCacheAgeMaxMs`.

export interface DataKeyCacheLimits {
  /** A key older than this is evicted and must be re-obtained from the KMS. Must be > 0. */
  readonly dataKeyCacheAgeMaxMs: number;
  /** Most messages (records) one data key may encrypt. */
  readonly dataKeyMessagesMax: number;
  /** Most plaintext bytes one data key may encrypt. */
  readonly dataKeyBytesMax: number;
  /** Most keys held at once; the least recently used is evicted beyond it. */
  readonly dataKeyCacheEntriesMax: number;
}

export const DEFAULT_DATA_KEY_CACHE_LIMITS: DataKeyCacheLimits = {
  dataKeyCacheAgeMaxMs: 5 * 60_000,
  dataKeyMessagesMax: 2 ** 24,
  dataKeyBytesMax: 2 ** 36,
  dataKeyCacheEntriesMax: 1024,
};

/** A cached plaintext data key and what it has encrypted so far. */
export interface CachedDataKey {
  readonly id: string;
  /** 32 bytes; owned by the cache, zeroed on eviction. Do not keep a reference past one operation. */
  readonly plaintextDataKey: Buffer;
  readonly createdAtMs: number;
  messagesEncrypted: number;
  bytesEncrypted: number;
}

export function checkDataKeyCacheLimits(limits: DataKeyCacheLimits): void {
  const positive = (name: keyof DataKeyCacheLimits): void => {
    const value = limits[name];
    if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number`);
  };
  positive('dataKeyCacheAgeMaxMs');
  positive('dataKeyMessagesMax');
  positive('dataKeyBytesMax');
  positive('dataKeyCacheEntriesMax');
}

export class DataKeyCache {
  readonly limits: DataKeyCacheLimits;
  readonly #now: () => number;
  /** Insertion order = least recently used first (entries are re-inserted on use). */
  readonly #entries = new Map<string, CachedDataKey>();

  constructor(limits: DataKeyCacheLimits = DEFAULT_DATA_KEY_CACHE_LIMITS, now: () => number = Date.now) {
    checkDataKeyCacheLimits(limits);
    this.limits = limits;
    this.#now = now;
  }

  /** The key if cached and younger than the age limit; an expired entry is evicted (zeroed) here. */
  get(id: string): CachedDataKey | undefined {
    const entry = this.#entries.get(id);
    if (entry === undefined) return undefined;
    if (this.#isExpired(entry)) {
      this.evict(id);
      return undefined;
    }
    this.#entries.delete(id);
    this.#entries.set(id, entry);
    return entry;
  }

  /**
   * Caches a key, taking ownership of the buffer (it will be zeroed on eviction). A previous entry
   * with the same id is evicted first.
   */
  put(id: string, plaintextDataKey: Buffer): CachedDataKey {
    this.evict(id);
    this.sweep();
    while (this.#entries.size >= this.limits.dataKeyCacheEntriesMax) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.evict(oldest.value);
    }
    const entry: CachedDataKey = { id, plaintextDataKey, createdAtMs: this.#now(), messagesEncrypted: 0, bytesEncrypted: 0 };
    this.#entries.set(id, entry);
    return entry;
  }

  /**
   * Whether the key may encrypt `messages` more messages of `bytes` more bytes within its limits.
   * The first use of a fresh key is always allowed (a single message larger than the byte limit
   * still gets exactly one key of its own).
   */
  canEncrypt(entry: CachedDataKey, messages: number, bytes: number): boolean {
    if (this.#isExpired(entry) || this.#entries.get(entry.id) !== entry) return false;
    if (entry.messagesEncrypted === 0 && entry.bytesEncrypted === 0) return messages <= this.limits.dataKeyMessagesMax;
    return (
      entry.messagesEncrypted + messages <= this.limits.dataKeyMessagesMax &&
      entry.bytesEncrypted + bytes <= this.limits.dataKeyBytesMax
    );
  }

  /** Counts use of a key. Precondition: `canEncrypt` allowed it. */
  recordEncryption(entry: CachedDataKey, messages: number, bytes: number): void {
    entry.messagesEncrypted += messages;
    entry.bytesEncrypted += bytes;
  }

  /** Evicts and zeroes one key. */
  evict(id: string): void {
    const entry = this.#entries.get(id);
    if (entry === undefined) return;
    this.#entries.delete(id);
    entry.plaintextDataKey.fill(0);
  }

  /** Evicts (and zeroes) every expired key; call it periodically so expired keys do not linger. */
  sweep(): number {
    let evicted = 0;
    for (const entry of [...this.#entries.values()]) {
      if (this.#isExpired(entry)) {
        this.evict(entry.id);
        evicted++;
      }
    }
    return evicted;
  }

  /** Evicts and zeroes every key. */
  clear(): void {
    for (const id of [...this.#entries.keys()]) this.evict(id);
  }

  get size(): number {
    return this.#entries.size;
  }

  #isExpired(entry: CachedDataKey): boolean {
    return this.#now() - entry.createdAtMs >= this.limits.dataKeyCacheAgeMaxMs;
  }
}
