// The embedded segment store: the MessageStore of a SINGLE_INSTANCE broker on local files. It owns
// the log of encrypted segments (format in segment-format.ts), group commit with fdatasync before
// any acknowledgement, crash recovery, the in-memory index, reclaiming dead segments, and asking the
// KeyProvider for data keys (held only in a DataKeyCache). It leaves the cipher to src/crypto, the
// meaning of queue ids and definitions to the core, and telling anyone about key loss beyond its
// `onEvent` callback to the broker supervisor.
//
// Design in one paragraph: one append-only log per broker, split into segments; each segment has
// its own data key (GenerateDataKey, wrapped copy in the segment header) and is written in chunks,
// one AES-256-GCM operation per chunk (a group commit writes one or more chunks); a chunk holds the
// records of many operations and any one message is read by decrypting and verifying its chunk.
// The index (queue -> offset -> chunk and position) lives in memory and is rebuilt at start by
// replaying the live segments. A new segment starts at every open (a segment is never appended to
// after a crash, so no nonce can repeat) and whenever the data key reaches its age, message or byte
// limit or the segment its size; its first chunk (META) names the live older segments with their
// exact lengths, the queue table and all definitions, so older segments can never grow, shrink or
// vanish unseen, and definitions never pin old segments. Queues have no files of their own: queue
// ids, like everything else, exist only inside ciphertext.
//
// Space: a segment is deleted (after a durable DROP record) once nothing in it is live and every
// older segment whose messages its records remove, count or supersede is gone, so that no
// removal can be lost while the message it removed still exists. Live messages left in a sparse
// older segment are copied forward (RELOCATED) so that one unacknowledged message cannot pin the
// log.
//
// Group commit, pipelined: a batch's records are encoded and sealed, written to the page cache in
// one writev (writes are issued one at a time, so the file never has a hole), and its fdatasync
// started; while it runs the next batch is encoded, written and synced (at most
// SYNCS_IN_FLIGHT_MAX syncs at once). An fdatasync covers every byte written before it started, so
// acknowledgements go out in write order as soon as a sync covering them returns; a sync failure
// fails the store stop and rejects everything not yet acknowledged. Removals (acknowledged
// messages) are held back up to `removeHoldMs` to ride in the next batch rather than cost a sync of
// their own; one lost in a crash only brings a message back as redelivered.
//
// Rollback: removing the newest segment, cutting it at a chunk boundary, or putting back an older
// copy of the whole directory yields an older state that is valid in every byte, which the files
// alone cannot tell from a crash before those writes. With a `rollbackAnchor` (rollback-anchor.ts;
// its owner keeps it outside the data directory) the store records the durable position of its log
// (newest segment id, bytes covered by a returned fdatasync) at every open (the fresh segment), on
// close, and in between `anchorEverySyncs` group commits or `anchorIntervalMs` after the first one
// not yet anchored, whichever comes first (one write at a time, off the acknowledgement path).
// Recovery refuses a log behind the anchor as corruption: MISSING_FILE for an anchored segment that
// is gone, TRUNCATED for one cut short. What stays undetectable:
//   - the window since the last anchor write: a crash, or a rollback done while the store runs,
//     may lose up to `anchorEverySyncs` group commits or `anchorIntervalMs` (plus one anchor write)
//     of acknowledged writes unseen, exactly like a crash before them. After a clean close the
//     window is empty.
//   - a rollback of the anchor together with the directory (the owner must keep it where whoever
//     can write the data directory cannot, e.g. the control plane's sealed state);
//   - anything before the first anchor: a store opened with an anchor for the first time is trusted
//     as found, and so is every store opened without one.

import { mkdir, open, readdir, readFile, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CorruptionReason,
  StoreClosedError,
  StoreCorruptionError,
  type AppendEntry,
  type Definition,
  type DefinitionKind,
  type JsonValue,
  type MessageStore,
  type QueueId,
  type QueueStats,
  type StoredMessage,
} from '../core/message-store.ts';
import { aes256Gcm, AEAD_KEY_BYTES, type RecordCipher } from '../crypto/aead.ts';
import {
  DataKeyCache,
  DEFAULT_DATA_KEY_CACHE_LIMITS,
  type CachedDataKey,
  type DataKeyCacheLimits,
} from '../crypto/data-key-cache.ts';
import { DecryptionFailedError, KeyUnavailableError, type KeyProvider } from '../crypto/key-provider.ts';
import { LatencyHistogram } from '../util/latency-histogram.ts';
import {
  CHUNK_BYTES_MAX,
  CHUNK_HEADER_BYTES,
  ChunkKind,
  FORMAT_FILE,
  FORMAT_FILE_TEXT,
  RecordReader,
  RecordType,
  RecordWriter,
  SEGMENT_HEADER_FIXED_BYTES,
  SEGMENTS_DIR,
  chunkAad,
  chunkHeaderIntact,
  chunkNonce,
  decodeMessageAt,
  decodeMeta,
  decodeSegmentHeader,
  encodeChunkHeader,
  encodeMeta,
  encodeSegmentHeader,
  parseSegmentFileName,
  sealedLength,
  segmentFileName,
  type MetaSnapshot,
  type SegmentHeader,
} from './segment-format.ts';
import { anchorAtOrBefore, type AnchorPosition, type RollbackAnchor } from './rollback-anchor.ts';

/** What the store tells its owner (the broker supervisor logs it; tests assert on it). */
export type SegmentStoreEvent =
  | {
      readonly type: 'recovery-progress';
      readonly segmentsDone: number;
      readonly segmentsTotal: number;
      readonly bytesDone: number;
      readonly bytesTotal: number;
    }
  | {
      readonly type: 'recovery-summary';
      readonly durationMs: number;
      readonly segments: number;
      readonly bytes: number;
      readonly messages: number;
      readonly queues: number;
      readonly tornBytesDropped: number;
      readonly staleSegmentsRemoved: number;
    }
  | { readonly type: 'torn-tail'; readonly file: string; readonly offset: number; readonly bytesDropped: number }
  | { readonly type: 'stale-segment-removed'; readonly file: string }
  | { readonly type: 'compaction-progress'; readonly segmentsDeleted: number; readonly messagesMoved: number }
  | {
      readonly type: 'compaction-summary';
      readonly durationMs: number;
      readonly segmentsDeleted: number;
      readonly messagesMoved: number;
      readonly bytesReclaimed: number;
    }
  | { readonly type: 'key-unavailable'; readonly error: KeyUnavailableError }
  | { readonly type: 'key-available' }
  | { readonly type: 'corruption'; readonly error: StoreCorruptionError }
  /** The rollback anchor could not be written; the store keeps serving, the anchor lags. */
  | { readonly type: 'anchor-write-failed'; readonly error: Error }
  | { readonly type: 'failed'; readonly error: Error };

export interface SegmentMessageStoreOptions {
  /** The store's own directory (created 0700 if missing). */
  readonly dataDir: string;
  /** The broker's id, e.g. `b-1234...`; bound into every data key's context and every chunk's AAD. */
  readonly brokerId: string;
  /** The broker's KMS key (id, ARN or alias) data keys are generated under. */
  readonly kmsKeyId: string;
  readonly keyProvider: KeyProvider;
  readonly grantTokens?: readonly string[];
  /** Data-key cache limits; `dataKeyCacheAgeMaxMs` bounds how long a disabled KMS key goes unnoticed. */
  readonly dataKeyCache?: Partial<DataKeyCacheLimits>;
  /** A segment is closed and a new one (with a new data key) opened beyond this size. */
  readonly segmentBytesMax?: number;
  /** Plaintext bytes per chunk (one AEAD operation); a larger single record gets a chunk of its own. */
  readonly chunkBytesMax?: number;
  /** Move live messages out of an older segment once its live share falls below this (0 = never). */
  readonly compactionLiveRatioMin?: number;
  /** Progress events start once recovery or compaction has run this long. */
  readonly progressAfterMs?: number;
  readonly onEvent?: (event: SegmentStoreEvent) => void;
  /** Clock for the key cache (tests). */
  readonly now?: () => number;
  /**
   * Where the store keeps its rollback anchor, outside `dataDir` (see "Rollback" in this file's
   * header). Without one, a rollback of the newest writes cannot be detected.
   */
  readonly rollbackAnchor?: RollbackAnchor;
  /** The anchor is rewritten after at most this many durable group commits (default 1024)... */
  readonly anchorEverySyncs?: number;
  /** ...or this long after the first one it does not cover yet (default 1000 ms), and on close. */
  readonly anchorIntervalMs?: number;
  /**
   * A removal waits at most this long (default 25 ms) for another write to share its sync: under
   * load it rides in the next group commit instead of costing an encryption, a write and an
   * fdatasync of its own (see MessageStore.remove). 0 writes removals like everything else.
   */
  readonly removeHoldMs?: number;
}

/**
 * Seams for benchmarks only; not part of the options, so no configuration can reach them.
 * The benchmark injects a null cipher here to measure the cost of encryption.
 */
export interface SegmentMessageStoreInternals {
  readonly cipher?: RecordCipher;
  /** Group commits whose fdatasync may run at once (default SYNCS_IN_FLIGHT_MAX; 1 = one at a time). */
  readonly syncsInFlightMax?: number;
}

const DEFAULTS = {
  anchorEverySyncs: 1024,
  anchorIntervalMs: 1000,
  segmentBytesMax: 64 * 1024 * 1024,
  chunkBytesMax: 128 * 1024,
  compactionLiveRatioMin: 0.25,
  progressAfterMs: 1000,
  removeHoldMs: 25,
};

const SEGMENT_CONTEXT_PURPOSE = 'segment';
/**
 * Group commits whose fdatasync may run at once. Measured on this (shared, loaded) machine's ext4
 * volume, two overlapping fdatasyncs of 110 KiB appends to one file moved 2.5-6 times the bytes per
 * second of one at a time (the second sync's data goes out while the first's journal commit runs).
 * Three or four did no better than two in A/B runs of the store.
 */
const SYNCS_IN_FLIGHT_MAX = 2;
/**
 * A batch is spread over free sync slots only when each group gets at least this many ops (with
 * 10 producers, splitting into groups of 5 lost to one group on a quiet machine).
 */
const GROUP_SPLIT_OPS_MIN = 16;
const READ_PAGE = 256;
/** Properties plus body of one message; keeps every chunk far below CHUNK_BYTES_MAX. */
const MESSAGE_BYTES_MAX = 256 * 1024 * 1024;
const CHUNK_CACHE_BYTES_MAX = 8 * 1024 * 1024;

interface SegmentState {
  readonly id: number;
  /** Relative to the data directory, for errors and events. */
  readonly file: string;
  readonly path: string;
  readonly header: SegmentHeader;
  fh: FileHandle | undefined;
  /** Bytes written (to the page cache; durable up to `durableEnd`). */
  end: number;
  /** Bytes known to be on disk (an fdatasync returned after they were written). */
  durableEnd: number;
  chunkCount: number;
  liveMessages: number;
  /** Approximate bytes of live records (body + 64), to find sparse segments without a scan. */
  liveBytes: number;
  /** Segments holding messages that records in this one remove or count: they must go first. */
  readonly deps: Set<number>;
  dropping: boolean;
}

interface ChunkRef {
  readonly segment: SegmentState;
  readonly offset: number;
  readonly index: number;
  /** Header plus sealed bytes; set when the chunk is sealed. */
  length: number;
}

interface IndexEntry {
  readonly offset: number;
  chunk: ChunkRef;
  recordPos: number;
  deliveryCount: number;
  readonly bodyBytes: number;
  /** False until the chunk is durable: reads stop at the first invisible entry. */
  visible: boolean;
  removed: boolean;
  /** A RELOCATED copy of it is being written; no second copy until that one is durable. */
  relocating?: boolean;
}

class QueueState {
  nextOffset = 0;
  /**
   * In offset order; removed entries stay (flagged) until more than half are removed, then the
   * array is rebuilt. Lookups by offset are binary searches: no per-message hash map.
   */
  entries: IndexEntry[] = [];
  removedCount = 0;
  liveCount = 0;
  liveBodyBytes = 0;

  constructor(readonly id: string) {}

  add(entry: IndexEntry): void {
    this.entries.push(entry);
    this.liveCount++;
    this.liveBodyBytes += entry.bodyBytes;
  }

  /** Adds an entry that may be older than the newest (a relocated copy met during recovery). */
  insert(entry: IndexEntry): void {
    const last = this.entries[this.entries.length - 1];
    if (last === undefined || last.offset < entry.offset) {
      this.add(entry);
      return;
    }
    const at = this.lowerBound(entry.offset);
    if (this.entries[at]?.offset === entry.offset) {
      // Only a removed entry can sit there (callers look up live ones first): replace it.
      this.entries[at] = entry;
      this.removedCount--;
    } else {
      this.entries.splice(at, 0, entry);
    }
    this.liveCount++;
    this.liveBodyBytes += entry.bodyBytes;
  }

  getLive(offset: number): IndexEntry | undefined {
    const entry = this.entries[this.lowerBound(offset)];
    return entry !== undefined && entry.offset === offset && !entry.removed ? entry : undefined;
  }

  /** A snapshot of the live entries, in offset order. */
  liveEntries(): IndexEntry[] {
    return this.entries.filter((e) => !e.removed);
  }

  removeEntry(entry: IndexEntry): void {
    entry.removed = true;
    this.liveCount--;
    this.liveBodyBytes -= entry.bodyBytes;
    this.removedCount++;
    if (this.removedCount > 1024 && this.removedCount * 2 > this.entries.length) {
      this.entries = this.entries.filter((e) => !e.removed);
      this.removedCount = 0;
    }
  }

  /** Index of the first entry with offset >= `offset` (binary search; entries are sorted). */
  lowerBound(offset: number): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.entries[mid]!.offset < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** The state of one write round: what goes into the active segment before one fdatasync. */
class Round {
  readonly sealedChunks: Buffer[] = [];
  readonly ops: Op[] = [];
  readonly values: unknown[] = [];
  readonly newEntries: IndexEntry[] = [];
  readonly relocated: { entry: IndexEntry; chunk: ChunkRef; recordPos: number; from: SegmentState }[] = [];
  fileOffset: number;
  chunkIndex: number;
  chunk: ChunkRef;
  chunkRecords = 0;
  sealedRecords = 0;
  sealedBytes = 0;
  /** Its bytes are on disk: its own fdatasync, or one started after it was written, returned. */
  durable = false;
  /** It changed what is live in an older segment (or dropped or relocated): compaction may have work. */
  compactionDue = false;

  constructor(
    readonly segment: SegmentState,
    readonly key: CachedDataKey,
  ) {
    this.fileOffset = segment.end;
    this.chunkIndex = segment.chunkCount;
    this.chunk = { segment, offset: segment.end, index: segment.chunkCount, length: 0 };
  }
}

type Op =
  | { readonly kind: 'append'; readonly entries: readonly AppendEntry[]; done: Settle<number[]> }
  | { readonly kind: 'remove'; readonly queueId: string; readonly offsets: readonly number[]; done: Settle<number> }
  | { readonly kind: 'delivered'; readonly queueId: string; readonly offsets: readonly number[]; done: Settle<void> }
  | { readonly kind: 'purge'; readonly queueId: string; done: Settle<number> }
  | { readonly kind: 'deleteQueue'; readonly queueId: string; done: Settle<void> }
  | { readonly kind: 'defPut'; readonly definition: Definition; done: Settle<void> }
  | { readonly kind: 'defDelete'; readonly defKind: DefinitionKind; readonly name: string; done: Settle<boolean> }
  | { readonly kind: 'drop'; readonly segment: SegmentState; done: Settle<void> }
  | { readonly kind: 'relocate'; readonly moves: readonly RelocateMove[]; done: Settle<void> }
  | { readonly kind: 'barrier'; done: Settle<void> };

interface RelocateMove {
  readonly queue: QueueState;
  readonly entry: IndexEntry;
  readonly record: Buffer;
  /** Where the record was read from; the move is skipped if the entry is elsewhere by then. */
  readonly from: SegmentState;
}

interface Settle<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T>(): { promise: Promise<T>; settle: Settle<T> } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, settle: { resolve, reject } };
}

function definitionKey(kind: string, name: string): string {
  return `${kind}\u0000${name}`;
}

function strBytesMax(value: string): number {
  return 2 + value.length * 3;
}

/** Upper bound of the records an op writes and their plaintext bytes (for the data-key budget). */
function opBudget(op: Op): { records: number; bytes: number } {
  switch (op.kind) {
    case 'append': {
      let bytes = 0;
      for (const { queueId, message } of op.entries) {
        bytes +=
          1 + strBytesMax(queueId) + 6 + 4 + strBytesMax(message.exchange) + strBytesMax(message.routingKey) +
          4 + message.properties.length + 4 + message.body.length;
      }
      return { records: op.entries.length, bytes };
    }
    case 'remove':
    case 'delivered':
      return { records: 1, bytes: 1 + strBytesMax(op.queueId) + 4 + 6 * op.offsets.length };
    case 'purge':
    case 'deleteQueue':
      return { records: 1, bytes: 1 + strBytesMax(op.queueId) + 6 };
    case 'defPut':
      return {
        records: 1,
        bytes: 1 + strBytesMax(op.definition.kind) + 4 + op.definition.name.length * 3 + 4 + JSON.stringify(op.definition.record).length * 3,
      };
    case 'defDelete':
      return { records: 1, bytes: 1 + strBytesMax(op.defKind) + 4 + op.name.length * 3 };
    case 'drop':
      return { records: 1, bytes: 7 };
    case 'relocate': {
      let bytes = 0;
      for (const move of op.moves) bytes += move.record.length;
      return { records: op.moves.length, bytes };
    }
    case 'barrier':
      return { records: 0, bytes: 0 };
  }
}

/** The embedded, encrypted, durable MessageStore. Construct with `SegmentMessageStore.open`. */
export class SegmentMessageStore implements MessageStore {
  readonly #options: SegmentMessageStoreOptions;
  readonly #cipher: RecordCipher;
  readonly #syncsInFlightMax: number;
  readonly #cache: DataKeyCache;
  /** Every fdatasync of a segment (group commits and new segments), for the metrics endpoint. */
  readonly syncLatency = new LatencyHistogram();
  /** Data-key lookups served from the cache, and those that had to ask the KMS (generate or unwrap). */
  #dataKeyCacheHits = 0;
  #dataKeyCacheMisses = 0;
  readonly #segmentsDir: string;
  readonly #segmentBytesMax: number;
  readonly #chunkBytesMax: number;
  readonly #compactionLiveRatioMin: number;
  readonly #progressAfterMs: number;
  readonly #removeHoldMs: number;
  readonly #segmentContext: Readonly<Record<string, string>>;

  readonly #queues = new Map<string, QueueState>();
  readonly #definitions = new Map<string, Definition>();
  /** Live segments by id; Map insertion order is ascending id. */
  readonly #segments = new Map<number, SegmentState>();
  #active!: SegmentState;
  #nextSegmentId = 1;

  #pending: Op[] = [];
  /** Settles when the newest segment write has returned; the next write starts after it. */
  #writeTail: Promise<void> = Promise.resolve();
  /** Removals held back (at most removeHoldMs) to join the next batch; see #submit. */
  #held: Op[] = [];
  #heldTimer: NodeJS.Timeout | undefined;
  #flushing = false;
  /** Rounds written to the active segment and not yet acknowledged, in write order. */
  #inFlight: Round[] = [];
  #syncsRunning = 0;
  /**
   * Handles of the active segment used only for fdatasync, one per sync slot, opened before any
   * data write. A write-back error is reported once per open file description (Linux errseq), so
   * two overlapping syncs through one handle could leave one of them returning success for pages
   * the other saw fail; a handle of its own per running sync sees every error in what it covers.
   */
  #syncHandles: FileHandle[] = [];
  #syncHandlesFree: FileHandle[] = [];
  #syncSlotWaiters: (() => void)[] = [];
  #drainWaiters: (() => void)[] = [];
  /** Dropped segments whose files are still being removed. */
  #unlinking = 0;
  #closed = false;
  #opened = false;
  #failed: Error | undefined;
  #keyUnavailable = false;
  readonly #unwrapping = new Map<number, Promise<CachedDataKey>>();
  readonly #chunkCache = new Map<string, Buffer>();
  readonly #chunkLoads = new Map<string, Promise<Buffer>>();
  #chunkCacheBytes = 0;
  readonly #writer = new RecordWriter(256 * 1024);
  #sweepTimer: NodeJS.Timeout | undefined;
  #compacting = false;
  #rollRequested = false;
  #compactAgain = false;
  #idleWaiters: (() => void)[] = [];
  readonly #anchor: RollbackAnchor | undefined;
  readonly #anchorEverySyncs: number;
  readonly #anchorIntervalMs: number;
  /** The position last written to (or read from) the anchor. */
  #anchored: AnchorPosition | undefined;
  #anchorWriting: Promise<void> | undefined;
  #anchorAgain = false;
  #anchorTimer: NodeJS.Timeout | undefined;
  #syncsSinceAnchor = 0;

  private constructor(options: SegmentMessageStoreOptions, internals: SegmentMessageStoreInternals) {
    this.#options = options;
    this.#cipher = internals.cipher ?? aes256Gcm;
    this.#syncsInFlightMax = Math.max(1, internals.syncsInFlightMax ?? SYNCS_IN_FLIGHT_MAX);
    this.#cache = new DataKeyCache({ ...DEFAULT_DATA_KEY_CACHE_LIMITS, ...options.dataKeyCache }, options.now ?? Date.now);
    this.#segmentsDir = join(options.dataDir, SEGMENTS_DIR);
    this.#segmentBytesMax = options.segmentBytesMax ?? DEFAULTS.segmentBytesMax;
    this.#chunkBytesMax = Math.min(options.chunkBytesMax ?? DEFAULTS.chunkBytesMax, CHUNK_BYTES_MAX / 2);
    this.#compactionLiveRatioMin = options.compactionLiveRatioMin ?? DEFAULTS.compactionLiveRatioMin;
    this.#progressAfterMs = options.progressAfterMs ?? DEFAULTS.progressAfterMs;
    // Bounded: an acknowledgement must not stay undurable for long (0..1000 ms).
    this.#removeHoldMs = Math.min(1000, Math.max(0, options.removeHoldMs ?? DEFAULTS.removeHoldMs));
    this.#segmentContext = { 'aws:mq:broker-id': options.brokerId, purpose: SEGMENT_CONTEXT_PURPOSE };
    this.#anchor = options.rollbackAnchor;
    this.#anchorEverySyncs = Math.max(1, options.anchorEverySyncs ?? DEFAULTS.anchorEverySyncs);
    this.#anchorIntervalMs = Math.max(1, options.anchorIntervalMs ?? DEFAULTS.anchorIntervalMs);
  }

  /**
   * Opens (creating if needed) the store in `options.dataDir`: recovers every live segment, drops a
   * torn tail, and starts a new segment under a new data key. Rejects with `KeyUnavailableError`
   * when the KMS refuses, `StoreCorruptionError` when any stored byte fails verification.
   */
  static async open(
    options: SegmentMessageStoreOptions,
    internals: SegmentMessageStoreInternals = {},
  ): Promise<SegmentMessageStore> {
    if (options.brokerId.length === 0) throw new RangeError('brokerId is required');
    const store = new SegmentMessageStore(options, internals);
    try {
      await store.#recover();
    } catch (error) {
      await store.#releaseAll();
      throw error;
    }
    store.#opened = true;
    // Anchored at the fresh segment: a later rollback to any state before this open is detected.
    await store.#writeAnchor();
    const sweepEveryMs = Math.max(10, Math.min(1000, store.#cache.limits.dataKeyCacheAgeMaxMs / 2));
    store.#sweepTimer = setInterval(() => store.#cache.sweep(), sweepEveryMs);
    store.#sweepTimer.unref();
    store.#scheduleCompaction();
    return store;
  }

  /**
   * Deletes a closed store's files, and with them every wrapped data key: what DeleteBroker does to
   * make the broker's data unrecoverable (crypto-shredding; the KMS side retires grants and keys).
   */
  static async destroy(dataDir: string): Promise<void> {
    await rm(join(dataDir, SEGMENTS_DIR), { recursive: true, force: true });
    await rm(join(dataDir, FORMAT_FILE), { force: true });
  }

  // ---- MessageStore ------------------------------------------------------------------------------

  append(entries: readonly AppendEntry[]): Promise<number[]> {
    if (entries.length === 0) return this.#checkUsable().then(() => []);
    for (const { queueId, message, deliveryCount = 0 } of entries) {
      const problem =
        checkStr16('queue id', queueId) ??
        (!Number.isInteger(deliveryCount) || deliveryCount < 0 || deliveryCount > 0xffff_ffff ? 'deliveryCount must be an integer in [0, 2^32)' : undefined) ??
        checkStr16('exchange', message.exchange) ??
        checkStr16('routing key', message.routingKey) ??
        (message.properties.length + message.body.length > MESSAGE_BYTES_MAX ? 'message too large for the store' : undefined);
      if (problem !== undefined) return Promise.reject(new RangeError(problem));
    }
    // Large appends go in slices (consecutive in the queue of pending ops, so in order) so that one
    // slice always fits one data key's message budget.
    const slice = Math.max(1, Math.min(4096, this.#cache.limits.dataKeyMessagesMax));
    if (entries.length <= slice) return this.#submit<number[]>((done) => ({ kind: 'append', entries, done }));
    const parts: Promise<number[]>[] = [];
    for (let at = 0; at < entries.length; at += slice) {
      const part = entries.slice(at, at + slice);
      parts.push(this.#submit<number[]>((done) => ({ kind: 'append', entries: part, done })));
    }
    return Promise.all(parts).then((results) => results.flat());
  }

  async read(queueId: QueueId, fromOffset: number, limit: number): Promise<StoredMessage[]> {
    await this.#checkUsable();
    const queue = this.#queues.get(queueId);
    if (queue === undefined || limit <= 0) return [];
    const picked: IndexEntry[] = [];
    for (let i = queue.lowerBound(fromOffset); i < queue.entries.length && picked.length < limit; i++) {
      const entry = queue.entries[i]!;
      if (entry.removed) continue;
      if (!entry.visible) break;
      picked.push(entry);
    }
    const out: StoredMessage[] = [];
    for (const entry of picked) {
      // Chunk and position are taken together: compaction may move the message meanwhile.
      let chunk = entry.chunk;
      let recordPos = entry.recordPos;
      let plaintext: Buffer;
      try {
        plaintext = await this.#chunkPlaintext(chunk);
      } catch (error) {
        if (entry.removed) continue;
        const moved = entry.chunk !== chunk;
        if (!moved || error instanceof StoreCorruptionError || error instanceof KeyUnavailableError) throw error;
        // Relocated and its old segment deleted while we read: read the copy.
        chunk = entry.chunk;
        recordPos = entry.recordPos;
        plaintext = await this.#chunkPlaintext(chunk);
      }
      const decoded = decodeMessageAt(plaintext, recordPos);
      // Postcondition: the authenticated record is the one the index points at.
      if (decoded.queueId !== queueId || decoded.offset !== entry.offset) {
        throw this.#corruption(CorruptionReason.MALFORMED, chunk.segment.file, chunk.offset);
      }
      out.push({
        queueId,
        offset: entry.offset,
        deliveryCount: entry.deliveryCount,
        exchange: decoded.exchange,
        routingKey: decoded.routingKey,
        properties: decoded.properties,
        body: decoded.body,
      });
    }
    return out;
  }

  async *iterate(queueId: QueueId, fromOffset = 0): AsyncIterable<StoredMessage> {
    let next = fromOffset;
    for (;;) {
      const page = await this.read(queueId, next, READ_PAGE);
      if (page.length === 0) return;
      for (const message of page) yield message;
      next = page[page.length - 1]!.offset + 1;
    }
  }

  remove(queueId: QueueId, offsets: readonly number[]): Promise<number> {
    const problem = checkStr16('queue id', queueId);
    if (problem !== undefined) return Promise.reject(new RangeError(problem));
    if (offsets.length === 0) return this.#checkUsable().then(() => 0);
    return this.#submit<number>((done) => ({ kind: 'remove', queueId, offsets, done }));
  }

  recordDelivery(queueId: QueueId, offsets: readonly number[]): Promise<void> {
    const problem = checkStr16('queue id', queueId);
    if (problem !== undefined) return Promise.reject(new RangeError(problem));
    if (offsets.length === 0) return this.#checkUsable();
    return this.#submit<void>((done) => ({ kind: 'delivered', queueId, offsets, done }));
  }

  purge(queueId: QueueId): Promise<number> {
    const problem = checkStr16('queue id', queueId);
    if (problem !== undefined) return Promise.reject(new RangeError(problem));
    return this.#submit<number>((done) => ({ kind: 'purge', queueId, done }));
  }

  deleteQueue(queueId: QueueId): Promise<void> {
    const problem = checkStr16('queue id', queueId);
    if (problem !== undefined) return Promise.reject(new RangeError(problem));
    return this.#submit<void>((done) => ({ kind: 'deleteQueue', queueId, done }));
  }

  async queueIds(): Promise<QueueId[]> {
    await this.#checkUsable();
    return [...this.#queues.keys()].sort();
  }

  async queueStats(queueId: QueueId): Promise<QueueStats> {
    await this.#checkUsable();
    const queue = this.#queues.get(queueId);
    if (queue === undefined) return { messageCount: 0, bodyBytes: 0, nextOffset: 0 };
    return { messageCount: queue.liveCount, bodyBytes: queue.liveBodyBytes, nextOffset: queue.nextOffset };
  }

  putDefinition(definition: Definition): Promise<void> {
    const problem = checkStr16('definition kind', definition.kind);
    if (problem !== undefined) return Promise.reject(new RangeError(problem));
    const copy: Definition = {
      kind: definition.kind,
      name: definition.name,
      record: JSON.parse(JSON.stringify(definition.record)) as JsonValue,
    };
    return this.#submit<void>((done) => ({ kind: 'defPut', definition: copy, done }));
  }

  deleteDefinition(kind: DefinitionKind, name: string): Promise<boolean> {
    const problem = checkStr16('definition kind', kind);
    if (problem !== undefined) return Promise.reject(new RangeError(problem));
    return this.#submit<boolean>((done) => ({ kind: 'defDelete', defKind: kind, name, done }));
  }

  async getDefinition(kind: DefinitionKind, name: string): Promise<Definition | undefined> {
    await this.#checkUsable();
    // Reading definitions needs a usable key like everything else (they are kept decrypted in
    // memory, but the store refuses once its keys expire and the KMS refuses).
    await this.#keyFor(this.#active);
    const found = this.#definitions.get(definitionKey(kind, name));
    return found === undefined ? undefined : (JSON.parse(JSON.stringify(found)) as Definition);
  }

  async listDefinitions(kind?: DefinitionKind): Promise<Definition[]> {
    await this.#checkUsable();
    await this.#keyFor(this.#active);
    return [...this.#definitions.values()]
      .filter((d) => kind === undefined || d.kind === kind)
      .sort((a, b) => compare(a.kind, b.kind) || compare(a.name, b.name))
      .map((d) => JSON.parse(JSON.stringify(d)) as Definition);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#waitIdle();
    this.#closed = true;
    // After a clean close nothing can be rolled back unseen.
    if (this.#failed === undefined) await this.#writeAnchor();
    await this.#releaseAll();
  }

  /**
   * The broker's periodic key check: resolves while the active data key is usable (cached, or
   * unwrapped again by the KMS once the cache age has passed); otherwise rejects with
   * KeyUnavailableError and reports `key-unavailable`, even when no client is using the store.
   */
  async checkKeys(): Promise<void> {
    await this.#checkUsable();
    await this.#keyFor(this.#active);
  }

  /** Waits until no write is pending or running and compaction is idle (tests, shutdown). */
  async settle(): Promise<void> {
    await this.#waitIdle();
  }

  /** Counts for tests and metrics. */
  stats(): { segments: number; activeSegmentId: number; cachedKeys: number; queues: number; dataKeyCacheHits: number; dataKeyCacheMisses: number } {
    return {
      segments: this.#segments.size,
      activeSegmentId: this.#active.id,
      cachedKeys: this.#cache.size,
      queues: this.#queues.size,
      dataKeyCacheHits: this.#dataKeyCacheHits,
      dataKeyCacheMisses: this.#dataKeyCacheMisses,
    };
  }

  // ---- write path (group commit) -----------------------------------------------------------------

  #submit<T>(makeOp: (done: Settle<T>) => Op): Promise<T> {
    if (this.#closed) return Promise.reject(new StoreClosedError());
    if (this.#failed !== undefined) return Promise.reject(new StoreClosedError(`message store failed: ${this.#failed.message}`));
    const { promise, settle } = deferred<T>();
    const op = makeOp(settle);
    if (op.kind === 'remove' && this.#removeHoldMs > 0) {
      // Held back until the next batch is taken (it goes at the batch's end, after everything
      // submitted before it) or the hold time is up. Nothing else is reordered past a removal
      // in a way that matters: an append or delivery record of another message is independent,
      // and a purge or queue deletion releases the held removals first (offsets of a deleted
      // queue may be given out again).
      this.#held.push(op);
      if (this.#heldTimer === undefined) {
        // Not unref'd: someone may be waiting for the removal.
        this.#heldTimer = setTimeout(() => this.#releaseHeld(), this.#removeHoldMs);
      }
      return promise;
    }
    if (op.kind === 'purge' || op.kind === 'deleteQueue') this.#releaseHeld();
    this.#pending.push(op);
    this.#kickFlush();
    return promise;
  }

  #kickFlush(): void {
    if (!this.#flushing) {
      this.#flushing = true;
      setImmediate(() => void this.#flushLoop());
    }
  }

  /** Moves the held removals to the end of the pending ops and makes sure they get written. */
  #releaseHeld(): void {
    if (this.#heldTimer !== undefined) clearTimeout(this.#heldTimer);
    this.#heldTimer = undefined;
    if (this.#held.length === 0) return;
    for (const op of this.#held) this.#pending.push(op);
    this.#held = [];
    this.#kickFlush();
  }

  async #checkUsable(): Promise<void> {
    if (this.#closed) throw new StoreClosedError();
    if (this.#failed !== undefined) throw new StoreClosedError(`message store failed: ${this.#failed.message}`);
  }

  async #flushLoop(): Promise<void> {
    try {
      while (this.#pending.length > 0 && this.#failed === undefined) {
        if (this.#syncsRunning >= this.#syncsInFlightMax) {
          await this.#syncSlot();
          continue;
        }
        // Held removals ride along with whatever is written now.
        if (this.#held.length > 0) this.#releaseHeld();
        // A large batch is spread over the free sync slots as overlapping group commits:
        // producers that wait for their acknowledgement otherwise stay in one lockstep cohort, and
        // the disk's other sync slots would never be used.
        const freeSlots = this.#syncsInFlightMax - this.#syncsRunning;
        const take =
          freeSlots > 1 && this.#pending.length >= freeSlots * GROUP_SPLIT_OPS_MIN
            ? Math.ceil(this.#pending.length / freeSlots)
            : this.#pending.length;
        const batch = take === this.#pending.length ? this.#pending : this.#pending.slice(0, take);
        this.#pending = take === this.#pending.length ? [] : this.#pending.slice(take);
        await this.#writeBatch(batch);
      }
    } catch (error) {
      // Only an I/O failure outside a write (creating a segment) can get here: fail stop.
      this.#fail(error as Error);
    } finally {
      if (this.#failed !== undefined) {
        const error = new StoreClosedError(`message store failed: ${this.#failed.message}`);
        if (this.#heldTimer !== undefined) clearTimeout(this.#heldTimer);
        this.#heldTimer = undefined;
        for (const op of [...this.#pending.splice(0), ...this.#held.splice(0)]) op.done.reject(error);
      }
      this.#flushing = false;
      this.#notifyIdle();
    }
  }

  /**
   * Writes a batch: ops are applied to the in-memory state in order while their records are encoded
   * into chunks; the chunks are written (page cache) and an fdatasync of them is started, but not
   * awaited: the next batch is encoded and written while it runs (at most SYNCS_IN_FLIGHT_MAX at
   * once). Only when a round is durable do reads see its new messages and its callers' promises
   * resolve (#ackDurable). A key refusal happens before anything is applied.
   */
  async #writeBatch(batch: Op[]): Promise<void> {
    let index = 0;
    while (index < batch.length) {
      // A batch can need several rounds (segment size, key limits): each one takes a sync slot.
      while (this.#syncsRunning >= this.#syncsInFlightMax && this.#failed === undefined) await this.#syncSlot();
      if (this.#failed !== undefined) {
        const closed = new StoreClosedError(`message store failed: ${this.#failed.message}`);
        for (const op of batch.slice(index)) op.done.reject(closed);
        return;
      }
      let key: CachedDataKey;
      try {
        key = await this.#writableKey(opBudget(batch[index]!));
      } catch (error) {
        for (const op of batch.slice(index)) op.done.reject(error);
        return;
      }
      const segment = this.#active;
      const round = new Round(segment, key);
      this.#writer.reset();
      let budgetRecords = 0;
      let budgetBytes = 0;

      while (index < batch.length) {
        const op = batch[index]!;
        const budget = opBudget(op);
        const alone = budgetRecords === 0;
        if (!this.#fits(key, segment, budgetRecords + budget.records, budgetBytes + budget.bytes, alone)) {
          if (!alone) break;
          if (segment.chunkCount <= 1 && key.messagesEncrypted === 0) {
            // Alone, under a fresh key, it still does not fit: an append with more messages than
            // one data key may encrypt.
            op.done.reject(new RangeError('operation exceeds the per-data-key message limit'));
            index++;
            continue;
          }
          break; // the key expired meanwhile: the next round starts a new segment
        }
        budgetRecords += budget.records;
        budgetBytes += budget.bytes;
        try {
          round.ops.push(op);
          round.values.push(this.#applyOp(op, round));
        } catch (error) {
          // A bug: memory may be half-changed. Fail stop; a restart recovers from disk.
          this.#fail(error as Error);
          const closed = new StoreClosedError(`message store failed: ${(error as Error).message}`);
          for (const pending of [...round.ops, ...batch.slice(index + 1)]) pending.done.reject(closed);
          this.#abortInFlight(closed);
          return;
        }
        index++;
      }
      this.#sealChunk(round);
      // Counted against the key's limits once per round; `#fits` checked the upper bounds.
      this.#cache.recordEncryption(key, round.sealedRecords, round.sealedBytes);

      this.#inFlight.push(round);
      if (round.sealedChunks.length === 0) {
        // Nothing to write (e.g. removing offsets that are gone): acknowledged in order, after the
        // rounds before it.
        round.durable = true;
        this.#ackDurable();
        continue;
      }
      // Writes run one after another (each starts once the one before has returned), so the file
      // never has a hole: a crash leaves at most one chunk cut short. They run in the thread pool,
      // not on the event loop: an append that extends the file can wait in the kernel for the
      // journal commit of a running fdatasync, milliseconds during which no client would be served.
      const position = segment.end;
      const fh = segment.fh!;
      const chunks = round.sealedChunks;
      const written = this.#writeTail.then(() => writeAllAt(fh, chunks, position));
      // The next write waits for this one, failed or not (a failure fails the store stop anyway).
      this.#writeTail = written.catch(() => undefined);
      segment.end = round.fileOffset;
      segment.chunkCount = round.chunkIndex;
      this.#startSync(round, written);
    }
  }

  #syncSlot(): Promise<void> {
    return new Promise<void>((resolve) => this.#syncSlotWaiters.push(resolve));
  }

  /**
   * Starts the fdatasync that makes `round` (and every round written before it) durable, once its
   * write (and so every earlier one) has returned.
   */
  #startSync(round: Round, written: Promise<void>): void {
    const handle = this.#syncHandlesFree.pop();
    // Invariant: fewer syncs run than there are handles (the loop waits for a free slot).
    if (handle === undefined) throw new Error('no free sync handle');
    this.#syncsRunning++;
    let syncStartMs = 0;
    written
      .then(() => {
        syncStartMs = performance.now();
        return handle.datasync();
      })
      .finally(() => this.#syncHandlesFree.push(handle))
      .then(
        () => {
          this.syncLatency.observeSince(syncStartMs);
          // An fdatasync started after a write covers it: every round written before this one
          // (all in this segment, see #startSegment) is on disk too.
          // (If this round was acknowledged already, through a later round's sync, there is nothing
          // more to mark: rounds written after this sync started are not covered by it.)
          const at = this.#inFlight.indexOf(round);
          for (let i = 0; i <= at; i++) this.#inFlight[i]!.durable = true;
          this.#syncEnded();
        },
        (error: unknown) => {
          // After a failed write or fdatasync, nothing written before it can be trusted to be on
          // disk (a later fdatasync may succeed without writing the lost pages): fail stop.
          this.#fail(error as Error);
          this.#abortInFlight(new StoreClosedError(`message store failed: ${(error as Error).message}`));
          this.#syncEnded();
        },
      );
  }

  #syncEnded(): void {
    this.#syncsRunning--;
    this.#ackDurable();
    // Acknowledged producers have queued their next ops (microtasks) before the loop resumes.
    this.#syncSlotWaiters.shift()?.();
    this.#notifyIdle();
  }

  /** Acknowledges durable rounds from the oldest on, in write order. */
  #ackDurable(): void {
    while (this.#inFlight.length > 0 && this.#inFlight[0]!.durable) {
      this.#finishRound(this.#inFlight.shift()!);
    }
    if (this.#inFlight.length === 0 && this.#syncsRunning === 0) for (const waiter of this.#drainWaiters.splice(0)) waiter();
  }

  /** A round of `segment` is on disk: the rollback anchor follows, at a bounded rate. */
  #noteDurable(segment: SegmentState): void {
    if (this.#anchor === undefined || segment !== this.#active) return;
    this.#syncsSinceAnchor++;
    if (this.#syncsSinceAnchor >= this.#anchorEverySyncs) {
      void this.#writeAnchor();
    } else if (this.#anchorTimer === undefined) {
      this.#anchorTimer = setTimeout(() => {
        this.#anchorTimer = undefined;
        void this.#writeAnchor();
      }, this.#anchorIntervalMs);
      this.#anchorTimer.unref();
    }
  }

  /**
   * Writes the durable position of the log to the anchor (one write at a time; a request during
   * a write is served by one more write of the then newest position). Never throws: a failed write
   * is reported as `anchor-write-failed` and leaves the older anchor in place.
   */
  #writeAnchor(): Promise<void> {
    const anchor = this.#anchor;
    if (anchor === undefined) return Promise.resolve();
    if (this.#anchorWriting !== undefined) {
      this.#anchorAgain = true;
      return this.#anchorWriting;
    }
    this.#anchorWriting = (async () => {
      do {
        this.#anchorAgain = false;
        if (this.#anchorTimer !== undefined) clearTimeout(this.#anchorTimer);
        this.#anchorTimer = undefined;
        this.#syncsSinceAnchor = 0;
        // Only bytes an fdatasync has covered: the anchor never claims more than a crash keeps.
        const position: AnchorPosition = { brokerId: this.#options.brokerId, segmentId: this.#active.id, end: this.#active.durableEnd };
        if (this.#anchored !== undefined && anchorAtOrBefore(position, this.#anchored)) continue;
        try {
          await anchor.write(position);
          this.#anchored = position;
        } catch (error) {
          this.#emit({ type: 'anchor-write-failed', error: error as Error });
          return;
        }
      } while (this.#anchorAgain);
    })().finally(() => {
      this.#anchorWriting = undefined;
    });
    return this.#anchorWriting;
  }

  #finishRound(round: Round): void {
    const { segment } = round;
    if (round.sealedChunks.length > 0) {
      segment.durableEnd = Math.max(segment.durableEnd, round.fileOffset);
      this.#noteDurable(segment);
    }
    for (const entry of round.newEntries) entry.visible = true;
    for (const move of round.relocated) {
      move.entry.relocating = false;
      if (move.entry.removed) {
        // Removed while its copy was being written: the copy is dead on arrival.
        markDead(move.chunk.segment, move.entry);
        continue;
      }
      move.entry.chunk = move.chunk;
      move.entry.recordPos = move.recordPos;
      markDead(move.from, move.entry);
    }
    for (let i = 0; i < round.ops.length; i++) {
      const op = round.ops[i]!;
      if (op.kind === 'drop') {
        this.#unlinking++;
        const value = round.values[i];
        void this.#unlinkDropped(op.segment).finally(() => {
          this.#unlinking--;
          (op.done as Settle<unknown>).resolve(value);
          this.#notifyIdle();
        });
        continue;
      }
      (op.done as Settle<unknown>).resolve(round.values[i]);
    }
    // Only a round that changed an older segment can give compaction work (the active segment is
    // never compacted): appends and removals within the active one, the steady state, cost nothing.
    if (round.compactionDue) this.#scheduleCompaction();
  }

  /** Rejects every written round not yet acknowledged (after a failure). */
  #abortInFlight(error: Error): void {
    for (const round of this.#inFlight.splice(0)) for (const op of round.ops) op.done.reject(error);
    if (this.#syncsRunning === 0) for (const waiter of this.#drainWaiters.splice(0)) waiter();
  }

  /**
   * Waits until every written round is acknowledged (or aborted) and no sync runs (a round may be
   * acknowledged through a later round's sync while its own still runs on its handle).
   */
  #drainInFlight(): Promise<void> {
    if (this.#inFlight.length === 0 && this.#syncsRunning === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.#drainWaiters.push(resolve));
  }

  /** Seals the round's open chunk (if it has records) under the round's key. */
  #sealChunk(round: Round): void {
    const w = this.#writer;
    if (w.length === 0 && round.chunkRecords === 0) return;
    const { segment, chunk } = round;
    const plaintext = w.buffer.subarray(0, w.length);
    const chunkHeader = encodeChunkHeader(ChunkKind.DATA, sealedLength(plaintext.length));
    const aad = chunkAad({
      brokerId: this.#options.brokerId,
      segmentId: segment.id,
      chunkIndex: round.chunkIndex,
      fileOffset: round.fileOffset,
      chunkHeader,
    });
    const sealed = this.#cipher.sealParts(round.key.plaintextDataKey, chunkNonce(round.chunkIndex), aad, plaintext);
    round.sealedRecords += round.chunkRecords;
    round.sealedBytes += plaintext.length;
    chunk.length = CHUNK_HEADER_BYTES + sealedLength(plaintext.length);
    // Written chunks are not kept in the read cache: the broker core holds what it delivers in
    // memory and reads the store only at recovery and for compaction, and a copy of every chunk
    // kept for that would be young garbage for the collector to copy at each scavenge (measured:
    // 2-5 ms pauses at 1,000 msg/s, the latency tail). The sealed pieces never alias the writer's
    // buffer, so it is reused, unless one large record grew it far past a chunk.
    if (w.buffer.length > 2 * (this.#chunkBytesMax + 1024)) w.detach(this.#chunkBytesMax + 1024);
    else w.reset();
    round.sealedChunks.push(chunkHeader, ...sealed);
    round.fileOffset += chunk.length;
    round.chunkIndex++;
    round.chunk = { segment, offset: round.fileOffset, index: round.chunkIndex, length: 0 };
    round.chunkRecords = 0;
  }

  /** Called after each record is encoded: closes the chunk once it is full. */
  #recordDone(round: Round): void {
    round.chunkRecords++;
    if (this.#writer.length >= this.#chunkBytesMax) this.#sealChunk(round);
  }

  /** Applies one op to memory and encodes its records. Returns the op's result. */
  #applyOp(op: Op, round: Round): unknown {
    const w = this.#writer;
    const active = this.#active;
    if (op.kind === 'drop' || op.kind === 'relocate') round.compactionDue = true;
    switch (op.kind) {
      case 'append': {
        const offsets: number[] = [];
        for (const { queueId, message, deliveryCount = 0 } of op.entries) {
          let queue = this.#queues.get(queueId);
          if (queue === undefined) {
            queue = new QueueState(queueId);
            this.#queues.set(queueId, queue);
          }
          const offset = queue.nextOffset++;
          const chunk = round.chunk;
          const recordPos = w.length;
          w.u8(RecordType.MESSAGE);
          w.str16(queueId);
          w.u48(offset);
          w.u32(deliveryCount);
          w.str16(message.exchange);
          w.str16(message.routingKey);
          w.bytes32(message.properties);
          w.bytes32(message.body);
          const entry: IndexEntry = {
            offset,
            chunk,
            recordPos,
            deliveryCount,
            bodyBytes: message.body.length,
            visible: false,
            removed: false,
          };
          queue.add(entry);
          markLive(active, entry);
          round.newEntries.push(entry);
          offsets.push(offset);
          this.#recordDone(round);
        }
        return offsets;
      }
      case 'remove':
      case 'delivered': {
        const queue = this.#queues.get(op.queueId);
        if (queue === undefined) return op.kind === 'remove' ? 0 : undefined;
        const hitSet = new Set<IndexEntry>();
        for (const offset of op.offsets) {
          const entry = queue.getLive(offset);
          if (entry !== undefined) hitSet.add(entry);
        }
        const hit = [...hitSet];
        if (hit.length === 0) return op.kind === 'remove' ? 0 : undefined;
        w.u8(op.kind === 'remove' ? RecordType.REMOVE : RecordType.DELIVERED);
        w.str16(op.queueId);
        w.u32(hit.length);
        for (const entry of hit) {
          w.u48(entry.offset);
          if (op.kind === 'remove') {
            queue.removeEntry(entry);
            killEntry(entry, active, round);
          } else {
            entry.deliveryCount++;
            if (entry.chunk.segment !== active) active.deps.add(entry.chunk.segment.id);
          }
        }
        this.#recordDone(round);
        return op.kind === 'remove' ? hit.length : undefined;
      }
      case 'purge': {
        const queue = this.#queues.get(op.queueId);
        if (queue === undefined) return 0;
        const victims = queue.liveEntries();
        w.u8(RecordType.PURGE);
        w.str16(op.queueId);
        w.u48(queue.nextOffset);
        for (const entry of victims) {
          queue.removeEntry(entry);
          killEntry(entry, active, round);
        }
        this.#recordDone(round);
        return victims.length;
      }
      case 'deleteQueue': {
        const queue = this.#queues.get(op.queueId);
        if (queue === undefined) return undefined;
        w.u8(RecordType.DELETE_QUEUE);
        w.str16(op.queueId);
        for (const entry of queue.liveEntries()) {
          queue.removeEntry(entry);
          killEntry(entry, active, round);
        }
        this.#queues.delete(op.queueId);
        this.#recordDone(round);
        return undefined;
      }
      case 'defPut': {
        const { definition } = op;
        w.u8(RecordType.DEF_PUT);
        w.str16(definition.kind);
        w.text32(definition.name);
        w.text32(JSON.stringify(definition.record));
        this.#definitions.set(definitionKey(definition.kind, definition.name), definition);
        this.#recordDone(round);
        return undefined;
      }
      case 'defDelete': {
        const existed = this.#definitions.delete(definitionKey(op.defKind, op.name));
        if (!existed) return false;
        w.u8(RecordType.DEF_DELETE);
        w.str16(op.defKind);
        w.text32(op.name);
        this.#recordDone(round);
        return true;
      }
      case 'drop': {
        w.u8(RecordType.DROP_SEGMENT);
        w.u48(op.segment.id);
        this.#recordDone(round);
        return undefined;
      }
      case 'relocate': {
        for (const move of op.moves) {
          if (move.entry.removed || move.entry.relocating === true || move.entry.chunk.segment !== move.from) continue;
          move.entry.relocating = true;
          const chunk = round.chunk;
          const recordPos = w.length;
          // The copy is a RELOCATED record carrying the current delivery count.
          const record = Buffer.from(move.record);
          record[0] = RecordType.RELOCATED;
          const countAt = 1 + 2 + Buffer.byteLength(move.queue.id, 'utf8') + 6;
          record.writeUInt32BE(move.entry.deliveryCount, countAt);
          w.raw(record);
          const from = move.entry.chunk.segment;
          // The copy supersedes the original: this segment must outlive the original's.
          if (from !== active) active.deps.add(from.id);
          round.relocated.push({ entry: move.entry, chunk, recordPos, from });
          markLive(active, move.entry);
          this.#recordDone(round);
        }
        return undefined;
      }
      case 'barrier':
        return undefined;
    }
  }

  /**
   * The active segment's data key if it may encrypt `budget` more; otherwise starts a new segment
   * with a new data key (the age limit makes this happen at least every dataKeyCacheAgeMaxMs, so a
   * refused key stops writes within that bound).
   */
  async #writableKey(budget: { records: number; bytes: number }): Promise<CachedDataKey> {
    const entry = this.#cache.get(writeKeyId(this.#active.id));
    const rollNow = this.#rollRequested;
    this.#rollRequested = false;
    if (!rollNow && entry !== undefined && this.#fits(entry, this.#active, budget.records, budget.bytes, true)) {
      this.#dataKeyCacheHits++;
      return entry;
    }
    // A key past its limits counts as a miss, as in the AWS Encryption SDK's caching CMM: the KMS is asked.
    this.#dataKeyCacheMisses++;
    // The new segment's META states the exact length of this one, and a sync of the new segment
    // does not cover this one's pages: every round written here must be on disk first.
    await this.#drainInFlight();
    if (this.#failed !== undefined) throw new StoreClosedError(`message store failed: ${this.#failed.message}`);
    await this.#startSegment();
    // The segment just closed may have nothing live already.
    this.#scheduleCompaction();
    return this.#cache.get(writeKeyId(this.#active.id))!;
  }

  /**
   * Whether `records` more records of at most `bytes` plaintext bytes may go into `segment` under
   * `key`. Precondition of every encryption: a data key encrypts at most dataKeyMessagesMax records
   * and dataKeyBytesMax bytes, and is not older than dataKeyCacheAgeMaxMs. The segment size limit is
   * soft: the first operation in a fresh segment always fits.
   */
  #fits(key: CachedDataKey, segment: SegmentState, records: number, bytes: number, alone: boolean): boolean {
    if (!this.#cache.canEncrypt(key, records, bytes)) return false;
    return segment.end + bytes <= this.#segmentBytesMax || (alone && segment.chunkCount <= 1);
  }

  /** Creates the next segment: new data key, header, META chunk; synced before it is used. */
  async #startSegment(): Promise<void> {
    const generated = await this.#withKeyErrors(() =>
      this.#options.keyProvider.generateDataKey({
        keyId: this.#options.kmsKeyId,
        encryptionContext: this.#segmentContext,
        ...(this.#options.grantTokens === undefined ? {} : { grantTokens: this.#options.grantTokens }),
      }),
    );
    const plaintextDataKey = generated.plaintextDataKey;
    if (plaintextDataKey.length !== AEAD_KEY_BYTES) {
      plaintextDataKey.fill(0);
      throw new Error('KeyProvider returned a data key of the wrong size');
    }
    const id = this.#nextSegmentId++;
    const headerBytes = encodeSegmentHeader(id, generated.encryptedDataKey);
    const header = decodeSegmentHeader(headerBytes) as SegmentHeader;
    const meta: MetaSnapshot = {
      v: 1,
      live: [...this.#segments.values()].map((s) => [s.id, s.end] as const),
      queues: [...this.#queues.values()].map((q) => [q.id, q.nextOffset] as const),
      definitions: [...this.#definitions.values()].map((d) => [d.kind, d.name, d.record] as const),
    };
    const metaPlaintext = encodeMeta(meta);
    const chunkHeader = encodeChunkHeader(ChunkKind.META, sealedLength(metaPlaintext.length));
    const fileOffset = headerBytes.length;
    const aad = chunkAad({
      brokerId: this.#options.brokerId,
      segmentId: id,
      chunkIndex: 0,
      fileOffset,
      chunkHeader,
      segmentHeader: headerBytes,
    });
    const sealedMeta = this.#cipher.seal(plaintextDataKey, chunkNonce(0), aad, metaPlaintext);
    const file = join(SEGMENTS_DIR, segmentFileName(id));
    const path = join(this.#options.dataDir, file);
    const fh = await open(path, 'wx+', 0o600);
    try {
      await writeAllAt(fh, [headerBytes, chunkHeader, sealedMeta], 0);
      const syncStartMs = performance.now();
      await fh.datasync();
      this.syncLatency.observeSince(syncStartMs);
      await syncDirectory(this.#segmentsDir);
    } catch (error) {
      await fh.close().catch(() => undefined);
      plaintextDataKey.fill(0);
      this.#fail(error as Error);
      throw error;
    }
    // The previous segment is complete (its rounds were drained before this one was started).
    await this.#closeSyncHandles();
    try {
      for (let i = 0; i < this.#syncsInFlightMax; i++) this.#syncHandles.push(await open(path, 'r+'));
      this.#syncHandlesFree = [...this.#syncHandles];
    } catch (error) {
      await fh.close().catch(() => undefined);
      await this.#closeSyncHandles();
      plaintextDataKey.fill(0);
      this.#fail(error as Error);
      throw error;
    }
    const entry = this.#cache.put(writeKeyId(id), plaintextDataKey);
    this.#cache.recordEncryption(entry, 0, metaPlaintext.length);
    const segment: SegmentState = {
      id,
      file,
      path,
      header,
      fh,
      end: fileOffset + CHUNK_HEADER_BYTES + sealedMeta.length,
      durableEnd: fileOffset + CHUNK_HEADER_BYTES + sealedMeta.length,
      chunkCount: 1,
      liveMessages: 0,
      liveBytes: 0,
      deps: new Set(),
      dropping: false,
    };
    this.#segments.set(id, segment);
    this.#active = segment;
  }

  // ---- read path ---------------------------------------------------------------------------------

  #cacheChunk(chunk: ChunkRef, plaintext: Buffer): void {
    const id = `${chunk.segment.id}:${chunk.offset}`;
    const old = this.#chunkCache.get(id);
    if (old !== undefined) {
      this.#chunkCache.delete(id);
      this.#chunkCacheBytes -= old.length;
    }
    this.#chunkCache.set(id, plaintext);
    this.#chunkCacheBytes += plaintext.length;
    while (this.#chunkCacheBytes > CHUNK_CACHE_BYTES_MAX && this.#chunkCache.size > 1) {
      const oldest = this.#chunkCache.entries().next().value as [string, Buffer];
      this.#chunkCache.delete(oldest[0]);
      this.#chunkCacheBytes -= oldest[1].length;
    }
  }

  async #chunkPlaintext(chunk: ChunkRef): Promise<Buffer> {
    const id = `${chunk.segment.id}:${chunk.offset}`;
    const cached = this.#chunkCache.get(id);
    if (cached !== undefined) {
      // The key is checked on every read, cached plaintext or not: once keys expire and the KMS
      // refuses, nothing is served.
      await this.#keyFor(chunk.segment);
      this.#chunkCache.delete(id);
      this.#chunkCache.set(id, cached);
      return cached;
    }
    // Concurrent readers of the same chunk (consumers of different queues) share one load.
    let loading = this.#chunkLoads.get(id);
    if (loading === undefined) {
      loading = this.#loadChunk(chunk).finally(() => this.#chunkLoads.delete(id));
      this.#chunkLoads.set(id, loading);
    }
    return loading;
  }

  async #loadChunk(chunk: ChunkRef): Promise<Buffer> {
    const fh = chunk.segment.fh;
    if (fh === undefined) throw new StoreClosedError();
    const bytes = Buffer.allocUnsafe(chunk.length);
    const { bytesRead } = await fh.read(bytes, 0, chunk.length, chunk.offset);
    if (bytesRead !== chunk.length) throw this.#corruption(CorruptionReason.TRUNCATED, chunk.segment.file, chunk.offset);
    // Key last, then decrypt at once: no timer can evict (and zero) the key in between.
    const key = await this.#keyFor(chunk.segment);
    const plaintext = this.#openChunk(key, chunk.segment, chunk.index, chunk.offset, bytes, ChunkKind.DATA);
    this.#cacheChunk(chunk, plaintext);
    return plaintext;
  }

  /** Verifies and decrypts one chunk (header + sealed bytes). Throws StoreCorruptionError. */
  #openChunk(
    key: CachedDataKey,
    segment: { id: number; file: string; header: SegmentHeader },
    chunkIndex: number,
    fileOffset: number,
    bytes: Buffer,
    expectedKind: ChunkKind,
  ): Buffer {
    const chunkHeader = bytes.subarray(0, CHUNK_HEADER_BYTES);
    if (chunkHeader[4] !== expectedKind || chunkHeader.readUInt32BE(0) !== bytes.length - CHUNK_HEADER_BYTES) {
      throw this.#corruption(CorruptionReason.MALFORMED, segment.file, fileOffset);
    }
    const aad = chunkAad({
      brokerId: this.#options.brokerId,
      segmentId: segment.id,
      chunkIndex,
      fileOffset,
      chunkHeader,
      ...(chunkIndex === 0 ? { segmentHeader: segment.header.bytes } : {}),
    });
    try {
      return this.#cipher.open(key.plaintextDataKey, chunkNonce(chunkIndex), aad, bytes.subarray(CHUNK_HEADER_BYTES));
    } catch (error) {
      if (error instanceof DecryptionFailedError) {
        throw this.#corruption(CorruptionReason.AUTHENTICATION_FAILED, segment.file, fileOffset);
      }
      throw error;
    }
  }

  /** The plaintext data key of a segment: from the cache, or unwrapped again by the KMS. */
  async #keyFor(segment: { id: number; file: string; header: SegmentHeader }): Promise<CachedDataKey> {
    const cached = this.#cache.get(writeKeyId(segment.id)) ?? this.#cache.get(readKeyId(segment.id));
    if (cached !== undefined) {
      this.#dataKeyCacheHits++;
      return cached;
    }
    this.#dataKeyCacheMisses++;
    let inflight = this.#unwrapping.get(segment.id);
    if (inflight === undefined) {
      inflight = this.#unwrap(segment).finally(() => this.#unwrapping.delete(segment.id));
      this.#unwrapping.set(segment.id, inflight);
    }
    return inflight;
  }

  async #unwrap(segment: { id: number; file: string; header: SegmentHeader }): Promise<CachedDataKey> {
    let plaintextDataKey: Buffer;
    try {
      plaintextDataKey = await this.#withKeyErrors(() =>
        this.#options.keyProvider.decryptDataKey({
          encryptedDataKey: segment.header.encryptedDataKey,
          encryptionContext: this.#segmentContext,
          keyId: this.#options.kmsKeyId,
          ...(this.#options.grantTokens === undefined ? {} : { grantTokens: this.#options.grantTokens }),
        }),
      );
    } catch (error) {
      // A wrapped key that does not unwrap under this broker's context: another broker's file, or
      // a changed header. Corruption, reported at the header's offset.
      if (error instanceof DecryptionFailedError) throw this.#corruption(CorruptionReason.AUTHENTICATION_FAILED, segment.file, 0);
      throw error;
    }
    if (plaintextDataKey.length !== AEAD_KEY_BYTES) {
      plaintextDataKey.fill(0);
      throw this.#corruption(CorruptionReason.AUTHENTICATION_FAILED, segment.file, 0);
    }
    return this.#cache.put(readKeyId(segment.id), plaintextDataKey);
  }

  /** Runs a KMS call; reports key loss and recovery upward through `onEvent`. */
  async #withKeyErrors<T>(call: () => Promise<T>): Promise<T> {
    try {
      const result = await call();
      if (this.#keyUnavailable) {
        this.#keyUnavailable = false;
        this.#emit({ type: 'key-available' });
      }
      return result;
    } catch (error) {
      if (error instanceof KeyUnavailableError && !this.#keyUnavailable) {
        this.#keyUnavailable = true;
        this.#emit({ type: 'key-unavailable', error });
      }
      throw error;
    }
  }

  // ---- recovery ----------------------------------------------------------------------------------

  async #recover(): Promise<void> {
    const started = Date.now();
    const { dataDir } = this.#options;
    await mkdir(this.#segmentsDir, { recursive: true, mode: 0o700 });
    const formatPath = join(dataDir, FORMAT_FILE);
    const format = await readFile(formatPath, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (format === undefined) {
      await writeFile(formatPath, FORMAT_FILE_TEXT, { mode: 0o600, flag: 'wx' });
      await syncDirectory(dataDir);
    } else if (format !== FORMAT_FILE_TEXT) {
      throw this.#corruption(CorruptionReason.MALFORMED, FORMAT_FILE, 0);
    }

    const names = await readdir(this.#segmentsDir);
    const ids = names.map(parseSegmentFileName).filter((id): id is number => id !== undefined).sort((a, b) => a - b);
    let tornBytesDropped = 0;
    let staleSegmentsRemoved = 0;
    let bytesTotal = 0;
    let bytesDone = 0;
    for (const id of ids) bytesTotal += (await stat(join(this.#segmentsDir, segmentFileName(id)))).size;
    const progress = new ProgressClock(this.#progressAfterMs);
    const anchored = await this.#readAnchor();

    // 1. The newest segment: its META says which older segments must exist and how long each is.
    let newest: LoadedSegment | undefined;
    while (ids.length > 0 && newest === undefined) {
      const id = ids[ids.length - 1]!;
      const loaded = await this.#loadSegment(id, undefined);
      if (loaded === 'torn-creation') {
        // Crashed while creating it (header or META cut short): nothing in it was acknowledged.
        const file = join(SEGMENTS_DIR, segmentFileName(id));
        const size = (await stat(join(dataDir, file))).size;
        // Unless the anchor shows it was complete once: a segment is anchored only once created.
        if (anchored !== undefined && id <= anchored.segmentId) throw this.#corruption(CorruptionReason.TRUNCATED, file, size);
        await rm(join(dataDir, file));
        tornBytesDropped += size;
        this.#emit({ type: 'torn-tail', file, offset: 0, bytesDropped: size });
        ids.pop();
        continue;
      }
      newest = loaded;
    }
    this.#checkAnchor(anchored, newest);
    if (newest === undefined) {
      await syncDirectory(this.#segmentsDir);
      this.#nextSegmentId = 1;
      await this.#startSegment();
      this.#emitRecoverySummary(started, 0, 0, tornBytesDropped, 0, progress);
      return;
    }

    const meta = newest.meta;
    const drops = new Set<number>();
    for (const plaintext of newest.dataChunks.map((c) => c.plaintext)) collectDrops(plaintext, drops);
    const expected = new Map<number, number>([...meta.live].sort((a, b) => a[0] - b[0]).map(([id, length]) => [id, length]));
    const present = new Set(ids);

    // 2. Older live segments, in order, each exactly as long as the META says.
    for (const [id, length] of expected) {
      if (id >= newest.id) throw this.#corruption(CorruptionReason.MALFORMED, newest.file, newest.metaOffset);
      if (!present.has(id)) {
        if (drops.has(id)) continue;
        throw this.#corruption(CorruptionReason.MISSING_FILE, join(SEGMENTS_DIR, segmentFileName(id)), 0);
      }
      if (drops.has(id)) continue; // dropped by compaction; its unlink did not survive the crash
      const loaded = await this.#loadSegment(id, length);
      if (loaded === 'torn-creation') throw this.#corruption(CorruptionReason.TRUNCATED, join(SEGMENTS_DIR, segmentFileName(id)), 0);
      const segment = this.#adoptSegment(loaded);
      for (const chunk of loaded.dataChunks) this.#replayChunk(segment, chunk, false);
      bytesDone += loaded.end;
      if (progress.due()) {
        this.#emit({ type: 'recovery-progress', segmentsDone: this.#segments.size, segmentsTotal: expected.size + 1, bytesDone, bytesTotal });
      }
    }

    // 3. The state at the newest segment's start, then its own records.
    const metaQueues = new Map<string, number>(meta.queues.map(([id, next]) => [id, next]));
    for (const [id, queue] of this.#queues) {
      const next = metaQueues.get(id);
      if (next === undefined) {
        for (const entry of queue.liveEntries()) {
          queue.removeEntry(entry);
          markDead(entry.chunk.segment, entry);
        }
        this.#queues.delete(id);
      } else {
        queue.nextOffset = Math.max(queue.nextOffset, next);
      }
    }
    for (const [id, next] of metaQueues) {
      if (!this.#queues.has(id)) {
        const queue = new QueueState(id);
        queue.nextOffset = next;
        this.#queues.set(id, queue);
      }
    }
    for (const [kind, name, record] of meta.definitions) {
      this.#definitions.set(definitionKey(kind, name), { kind: kind as DefinitionKind, name, record: record as JsonValue });
    }
    const newestSegment = this.#adoptSegment(newest);
    for (const chunk of newest.dataChunks) this.#replayChunk(newestSegment, chunk, true);
    bytesDone += newest.end;

    if (newest.tornAt !== undefined) {
      // Only a chunk cut short can be torn; it was never synced and so never acknowledged.
      const dropped = newest.fileSize - newest.tornAt;
      await truncateAndSync(newestSegment.path, newest.tornAt);
      tornBytesDropped += dropped;
      this.#emit({ type: 'torn-tail', file: newest.file, offset: newest.tornAt, bytesDropped: dropped });
    }

    // 4. Files that are not part of the live set: dropped segments whose unlink was lost, or old
    // segments copied back in (a replay). Neither is read.
    for (const id of ids) {
      if (this.#segments.has(id)) continue;
      const file = join(SEGMENTS_DIR, segmentFileName(id));
      await rm(join(dataDir, file), { force: true });
      if (!drops.has(id)) {
        staleSegmentsRemoved++;
        this.#emit({ type: 'stale-segment-removed', file });
      }
    }

    this.#nextSegmentId = Math.max(...ids, newest.id) + 1;
    for (const segment of this.#segments.values()) {
      // Older segments are read-only from now on; reopen their handles read-only.
      await segment.fh?.close();
      segment.fh = await open(segment.path, 'r');
    }
    await this.#startSegment();
    let messages = 0;
    for (const queue of this.#queues.values()) messages += queue.liveCount;
    this.#emitRecoverySummary(started, this.#segments.size - 1, bytesDone, tornBytesDropped, staleSegmentsRemoved, progress, messages);
  }

  /** The owner's anchor for this broker, or undefined (none supplied, or none written yet). */
  async #readAnchor(): Promise<AnchorPosition | undefined> {
    const position = await this.#anchor?.read();
    if (position === undefined) return undefined;
    if (position.brokerId !== this.#options.brokerId) throw new Error('the rollback anchor supplied belongs to another broker');
    this.#anchored = position;
    return position;
  }

  /**
   * Postcondition of recovery: the log reaches at least as far as the anchor. Everything up to the
   * anchored position was durable once, so less is a rollback (an older copy of the directory, the
   * newest segment cut at a chunk boundary or removed), reported as corruption like any tampering.
   */
  #checkAnchor(anchored: AnchorPosition | undefined, newest: LoadedSegment | undefined): void {
    if (anchored === undefined) return;
    const anchoredFile = join(SEGMENTS_DIR, segmentFileName(anchored.segmentId));
    if (newest === undefined || newest.id < anchored.segmentId) throw this.#corruption(CorruptionReason.MISSING_FILE, anchoredFile, 0);
    if (newest.id === anchored.segmentId) {
      if (newest.end < anchored.end) throw this.#corruption(CorruptionReason.TRUNCATED, newest.file, newest.end);
      return;
    }
    // A newer segment exists (only the store can write one). Its META states the anchored
    // segment's final length, if it is still live; that length cannot be below the anchor.
    const live = newest.meta.live.find(([id]) => id === anchored.segmentId);
    if (live !== undefined && live[1] < anchored.end) throw this.#corruption(CorruptionReason.TRUNCATED, anchoredFile, live[1]);
  }

  #emitRecoverySummary(
    started: number,
    segments: number,
    bytes: number,
    tornBytesDropped: number,
    staleSegmentsRemoved: number,
    progress: ProgressClock,
    messages = 0,
  ): void {
    const durationMs = Date.now() - started;
    if (durationMs < this.#progressAfterMs && !progress.emitted && tornBytesDropped === 0 && staleSegmentsRemoved === 0) return;
    this.#emit({
      type: 'recovery-summary',
      durationMs,
      segments,
      bytes,
      messages,
      queues: this.#queues.size,
      tornBytesDropped,
      staleSegmentsRemoved,
    });
  }

  /**
   * Reads and verifies a whole segment. `expectedLength` undefined = the newest segment (may end in
   * a torn chunk); otherwise the file must be exactly that long and end on a chunk boundary.
   */
  async #loadSegment(id: number, expectedLength: number | undefined): Promise<LoadedSegment | 'torn-creation'> {
    const file = join(SEGMENTS_DIR, segmentFileName(id));
    const path = join(this.#options.dataDir, file);
    const bytes = await readFile(path);
    const isNewest = expectedLength === undefined;
    if (!isNewest) {
      if (bytes.length < expectedLength) throw this.#corruption(CorruptionReason.TRUNCATED, file, bytes.length);
      if (bytes.length > expectedLength) throw this.#corruption(CorruptionReason.MALFORMED, file, expectedLength);
    }
    const header = decodeSegmentHeader(bytes);
    if (header === undefined) {
      if (isNewest) return 'torn-creation';
      throw this.#corruption(CorruptionReason.TRUNCATED, file, 0);
    }
    if (header === 'malformed' || header.segmentId !== id) throw this.#corruption(CorruptionReason.MALFORMED, file, 0);
    const metaOffset = header.bytes.length;
    const metaChunk = chunkAt(bytes, metaOffset);
    if (metaChunk === 'short') {
      if (isNewest) return 'torn-creation';
      throw this.#corruption(CorruptionReason.TRUNCATED, file, metaOffset);
    }
    if (metaChunk === 'malformed') throw this.#corruption(CorruptionReason.MALFORMED, file, metaOffset);
    const segmentRef = { id, file, header };
    const key = await this.#keyFor(segmentRef);
    const metaPlaintext = this.#openChunk(key, segmentRef, 0, metaOffset, metaChunk, ChunkKind.META);
    let meta: MetaSnapshot;
    try {
      meta = decodeMeta(metaPlaintext);
    } catch {
      throw this.#corruption(CorruptionReason.MALFORMED, file, metaOffset);
    }
    const dataChunks: LoadedChunk[] = [];
    let at = metaOffset + metaChunk.length;
    let index = 1;
    let tornAt: number | undefined;
    while (at < bytes.length) {
      const chunk = chunkAt(bytes, at);
      if (chunk === 'short') {
        if (isNewest) {
          tornAt = at;
          break;
        }
        throw this.#corruption(CorruptionReason.TRUNCATED, file, at);
      }
      if (chunk === 'malformed') throw this.#corruption(CorruptionReason.MALFORMED, file, at);
      const plaintext = this.#openChunk(key, segmentRef, index, at, chunk, ChunkKind.DATA);
      dataChunks.push({ offset: at, index, length: chunk.length, plaintext });
      at += chunk.length;
      index++;
    }
    return { id, file, path, header, meta, metaOffset, dataChunks, end: at, chunkCount: index, tornAt, fileSize: bytes.length };
  }

  #adoptSegment(loaded: LoadedSegment): SegmentState {
    const segment: SegmentState = {
      id: loaded.id,
      file: loaded.file,
      path: loaded.path,
      header: loaded.header,
      fh: undefined,
      end: loaded.end,
      durableEnd: loaded.end,
      chunkCount: loaded.chunkCount,
      liveMessages: 0,
      liveBytes: 0,
      deps: new Set(),
      dropping: false,
    };
    this.#segments.set(segment.id, segment);
    return segment;
  }

  /** Applies one recovered chunk's records to the in-memory state. */
  #replayChunk(segment: SegmentState, loaded: LoadedChunk, applyDefinitions: boolean): void {
    const chunk: ChunkRef = { segment, offset: loaded.offset, index: loaded.index, length: loaded.length };
    const reader = new RecordReader(loaded.plaintext);
    const fail = (): never => {
      throw this.#corruption(CorruptionReason.MALFORMED, segment.file, loaded.offset);
    };
    const killed = (entry: IndexEntry): void => {
      markDead(entry.chunk.segment, entry);
      if (entry.chunk.segment !== segment) segment.deps.add(entry.chunk.segment.id);
    };
    try {
      while (!reader.done) {
        const recordPos = reader.at;
        const type = reader.u8();
        switch (type) {
          case RecordType.MESSAGE:
          case RecordType.RELOCATED: {
            const queueId = reader.str16();
            const offset = reader.u48();
            const deliveryCount = reader.u32();
            reader.str16();
            reader.str16();
            reader.skipBytes32();
            const bodyBytes = reader.skipBytes32();
            let queue = this.#queues.get(queueId);
            if (queue === undefined) {
              queue = new QueueState(queueId);
              this.#queues.set(queueId, queue);
            }
            const existing = queue.getLive(offset);
            if (existing !== undefined) {
              // Precondition: only compaction writes a record for a live offset, as RELOCATED.
              if (type !== RecordType.RELOCATED) fail();
              const from = existing.chunk.segment;
              markDead(from, existing);
              if (from !== segment) segment.deps.add(from.id);
              existing.chunk = chunk;
              existing.recordPos = recordPos;
              existing.deliveryCount = deliveryCount;
              markLive(segment, existing);
              break;
            }
            // A RELOCATED copy whose original went with its (dropped) segment, or a new message.
            const entry: IndexEntry = { offset, chunk, recordPos, deliveryCount, bodyBytes, visible: true, removed: false };
            queue.insert(entry);
            queue.nextOffset = Math.max(queue.nextOffset, offset + 1);
            markLive(segment, entry);
            break;
          }
          case RecordType.REMOVE:
          case RecordType.DELIVERED: {
            const queueId = reader.str16();
            const count = reader.u32();
            const queue = this.#queues.get(queueId);
            for (let i = 0; i < count; i++) {
              const offset = reader.u48();
              const entry = queue?.getLive(offset);
              if (queue === undefined || entry === undefined) continue;
              if (type === RecordType.REMOVE) {
                queue.removeEntry(entry);
                killed(entry);
              } else {
                entry.deliveryCount++;
                if (entry.chunk.segment !== segment) segment.deps.add(entry.chunk.segment.id);
              }
            }
            break;
          }
          case RecordType.PURGE: {
            const queueId = reader.str16();
            const upTo = reader.u48();
            const queue = this.#queues.get(queueId);
            if (queue === undefined) break;
            for (const entry of queue.liveEntries()) {
              if (entry.offset >= upTo) continue;
              queue.removeEntry(entry);
              killed(entry);
            }
            queue.nextOffset = Math.max(queue.nextOffset, upTo);
            break;
          }
          case RecordType.DELETE_QUEUE: {
            const queueId = reader.str16();
            const queue = this.#queues.get(queueId);
            if (queue === undefined) break;
            for (const entry of queue.liveEntries()) {
              queue.removeEntry(entry);
              killed(entry);
            }
            this.#queues.delete(queueId);
            break;
          }
          case RecordType.DROP_SEGMENT:
            reader.u48();
            break;
          case RecordType.DEF_PUT: {
            const kind = reader.str16();
            const name = reader.text32();
            const json = reader.text32();
            if (applyDefinitions) {
              this.#definitions.set(definitionKey(kind, name), {
                kind: kind as DefinitionKind,
                name,
                record: JSON.parse(json) as JsonValue,
              });
            }
            break;
          }
          case RecordType.DEF_DELETE: {
            const kind = reader.str16();
            const name = reader.text32();
            if (applyDefinitions) this.#definitions.delete(definitionKey(kind, name));
            break;
          }
          default:
            fail();
        }
      }
    } catch (error) {
      if (error instanceof StoreCorruptionError) throw error;
      fail();
    }
  }

  // ---- space: dropping dead segments, moving the last live messages out of sparse ones --------

  #scheduleCompaction(): void {
    if (this.#closed || this.#failed !== undefined) return;
    if (this.#compacting) {
      this.#compactAgain = true;
      return;
    }
    this.#compacting = true;
    setImmediate(() => {
      void this.#compact()
        .catch(() => undefined)
        .finally(() => {
          this.#compacting = false;
          if (this.#compactAgain) {
            this.#compactAgain = false;
            this.#scheduleCompaction();
          } else {
            this.#notifyIdle();
          }
        });
    });
  }

  /**
   * Deletes every segment with nothing live whose dependencies are gone (oldest first, each after
   * a durable DROP record), and relocates the few live messages of sparse older segments.
   */
  async #compact(): Promise<void> {
    const started = Date.now();
    const progress = new ProgressClock(this.#progressAfterMs);
    let segmentsDeleted = 0;
    let messagesMoved = 0;
    let bytesReclaimed = 0;
    for (;;) {
      if (this.#closed || this.#failed !== undefined) return;
      let progressed = false;
      // Every segment that is dead and whose dependencies are gone or go in the same batch (the
      // DROP records are ordered, and a segment is unlinked only after its DROP is durable).
      const victims: SegmentState[] = [];
      const going = new Set<number>();
      for (const segment of this.#segments.values()) {
        if (segment === this.#active || segment.dropping || segment.liveMessages !== 0) continue;
        if ([...segment.deps].some((dep) => this.#segments.has(dep) && !going.has(dep))) continue;
        segment.dropping = true;
        going.add(segment.id);
        victims.push(segment);
      }
      if (victims.length > 0) {
        const results = await Promise.allSettled(
          victims.map((segment) => this.#submit<void>((done) => ({ kind: 'drop', segment, done }))),
        );
        results.forEach((result, i) => {
          const segment = victims[i]!;
          if (result.status === 'rejected') {
            segment.dropping = false;
            return;
          }
          segmentsDeleted++;
          bytesReclaimed += segment.end;
          progressed = true;
        });
        if (!progressed) return;
        if (progress.due()) this.#emit({ type: 'compaction-progress', segmentsDeleted, messagesMoved });
      }
      if (!progressed && this.#compactionLiveRatioMin > 0) {
        const moved = await this.#relocateSparse();
        messagesMoved += moved;
        progressed = moved > 0;
      }
      if (!progressed) break;
    }
    const durationMs = Date.now() - started;
    if ((durationMs >= this.#progressAfterMs || progress.emitted) && (segmentsDeleted > 0 || messagesMoved > 0)) {
      this.#emit({ type: 'compaction-summary', durationMs, segmentsDeleted, messagesMoved, bytesReclaimed });
    }
  }

  /** Moves live messages out of one sparse, older segment; returns how many were moved. */
  async #relocateSparse(): Promise<number> {
    const activeId = this.#active.id;
    for (const segment of this.#segments.values()) {
      if (segment.id >= activeId - 1 || segment.dropping || segment.liveMessages === 0) continue;
      if (segment.liveBytes >= segment.end * this.#compactionLiveRatioMin) continue;
      try {
        return await this.#relocateAll(segment);
      } catch {
        return 0;
      }
    }
    return 0;
  }

  /** Copies every live message of `segment` into the active one (RELOCATED records). */
  async #relocateAll(segment: SegmentState): Promise<number> {
    const found: { queue: QueueState; entry: IndexEntry }[] = [];
    for (const queue of this.#queues.values()) {
      for (const entry of queue.liveEntries()) if (entry.chunk.segment === segment && entry.visible) found.push({ queue, entry });
    }
    const slice = Math.max(1, Math.min(1024, this.#cache.limits.dataKeyMessagesMax));
    let moved = 0;
    for (let at = 0; at < found.length; at += slice) {
      const moves: RelocateMove[] = [];
      for (const { queue, entry } of found.slice(at, at + slice)) {
        if (entry.removed || entry.chunk.segment !== segment) continue;
        const { chunk, recordPos } = entry;
        const plaintext = await this.#chunkPlaintext(chunk);
        if (entry.removed || entry.chunk !== chunk) continue; // moved meanwhile
        moves.push({ queue, entry, record: copyMessageRecord(plaintext, recordPos), from: segment });
      }
      if (moves.length === 0) continue;
      await this.#submit<void>((done) => ({ kind: 'relocate', moves, done }));
      moved += moves.length;
    }
    return moved;
  }

  /**
   * Re-encrypts everything under new data keys (after a KMS key rotation, or to retire old data
   * keys): starts a new segment, copies every live message out of every older segment, and deletes
   * those segments with their wrapped keys. Reports progress and a summary through `onEvent`.
   */
  async reencrypt(): Promise<{ messagesMoved: number; segmentsDeleted: number }> {
    await this.#checkUsable();
    const started = Date.now();
    const progress = new ProgressClock(this.#progressAfterMs);
    this.#rollRequested = true;
    await this.#submit<void>((done) => ({ kind: 'barrier', done }));
    const older = [...this.#segments.values()].filter((s) => s !== this.#active);
    let messagesMoved = 0;
    for (const segment of older) {
      if (!this.#segments.has(segment.id)) continue;
      messagesMoved += await this.#relocateAll(segment);
      if (progress.due()) this.#emit({ type: 'compaction-progress', segmentsDeleted: 0, messagesMoved });
    }
    this.#scheduleCompaction();
    await this.#waitIdle();
    const segmentsDeleted = older.filter((s) => !this.#segments.has(s.id)).length;
    const durationMs = Date.now() - started;
    if (durationMs >= this.#progressAfterMs || progress.emitted) {
      this.#emit({ type: 'compaction-summary', durationMs, segmentsDeleted, messagesMoved, bytesReclaimed: older.reduce((n, s) => n + s.end, 0) });
    }
    return { messagesMoved, segmentsDeleted };
  }

  async #unlinkDropped(segment: SegmentState): Promise<void> {
    this.#segments.delete(segment.id);
    this.#cache.evict(readKeyId(segment.id));
    this.#cache.evict(writeKeyId(segment.id));
    for (const id of [...this.#chunkCache.keys()]) {
      if (id.startsWith(`${segment.id}:`)) {
        this.#chunkCacheBytes -= this.#chunkCache.get(id)!.length;
        this.#chunkCache.delete(id);
      }
    }
    await segment.fh?.close().catch(() => undefined);
    segment.fh = undefined;
    // Deleting the file deletes its wrapped data key with it (crypto-shredding).
    // If the unlink fails the DROP record still stands: recovery removes the file then.
    await rm(segment.path, { force: true }).catch(() => undefined);
  }

  // ---- lifecycle ---------------------------------------------------------------------------------

  #corruption(reason: CorruptionReason, file: string, offset: number): StoreCorruptionError {
    const error = new StoreCorruptionError(reason, file, offset);
    this.#emit({ type: 'corruption', error });
    // Fail stop: after stored bytes failed verification the store serves nothing more; a restart
    // verifies everything again and refuses to open until the damage is dealt with.
    if (this.#opened) this.#fail(error);
    return error;
  }

  #fail(error: Error): void {
    if (this.#failed !== undefined) return;
    this.#failed = error;
    this.#emit({ type: 'failed', error });
  }

  #emit(event: SegmentStoreEvent): void {
    try {
      this.#options.onEvent?.(event);
    } catch {
      // An observer's failure must not break the store.
    }
  }

  #busy(): boolean {
    return (
      this.#flushing ||
      this.#compacting ||
      this.#pending.length > 0 ||
      this.#held.length > 0 ||
      this.#inFlight.length > 0 ||
      this.#syncsRunning > 0 ||
      this.#unlinking > 0
    );
  }

  #waitIdle(): Promise<void> {
    // Someone waits for everything to be written: held removals go now.
    this.#releaseHeld();
    if (!this.#busy()) return Promise.resolve();
    return new Promise<void>((resolve) => this.#idleWaiters.push(resolve)).then(() => this.#waitIdle());
  }

  #notifyIdle(): void {
    if (this.#busy()) return;
    for (const waiter of this.#idleWaiters.splice(0)) waiter();
  }

  async #closeSyncHandles(): Promise<void> {
    const handles = this.#syncHandles;
    this.#syncHandles = [];
    this.#syncHandlesFree = [];
    for (const handle of handles) await handle.close().catch(() => undefined);
  }

  async #releaseAll(): Promise<void> {
    if (this.#sweepTimer !== undefined) clearInterval(this.#sweepTimer);
    if (this.#anchorTimer !== undefined) clearTimeout(this.#anchorTimer);
    this.#anchorTimer = undefined;
    this.#closed = true;
    this.#cache.clear();
    this.#chunkCache.clear();
    this.#chunkCacheBytes = 0;
    await this.#closeSyncHandles();
    for (const segment of this.#segments.values()) {
      await segment.fh?.close().catch(() => undefined);
      segment.fh = undefined;
    }
  }
}

interface LoadedChunk {
  readonly offset: number;
  readonly index: number;
  readonly length: number;
  readonly plaintext: Buffer;
}

interface LoadedSegment {
  readonly id: number;
  readonly file: string;
  readonly path: string;
  readonly header: SegmentHeader;
  readonly meta: MetaSnapshot;
  readonly metaOffset: number;
  readonly dataChunks: LoadedChunk[];
  readonly end: number;
  readonly chunkCount: number;
  readonly tornAt: number | undefined;
  readonly fileSize: number;
}

class ProgressClock {
  readonly #started = Date.now();
  #last = 0;
  emitted = false;
  constructor(readonly afterMs: number) {}
  due(): boolean {
    const now = Date.now();
    if (now - this.#started < this.afterMs || now - this.#last < Math.max(this.afterMs, 250)) return false;
    this.#last = now;
    this.emitted = true;
    return true;
  }
}

/** Why a string cannot be stored as a str16 field, or undefined when it can. */
function checkStr16(what: string, value: string): string | undefined {
  return Buffer.byteLength(value, 'utf8') > 0xffff ? `${what} longer than 65535 bytes` : undefined;
}

function markLive(segment: SegmentState, entry: IndexEntry): void {
  segment.liveMessages++;
  segment.liveBytes += entry.bodyBytes + 64;
}

/**
 * A removed entry's record is dead in its segment. When that segment is older than the active one,
 * the active one now depends on it (as #applyOp always recorded) and compaction has work.
 * (A module function rather than a closure per op: tsx names each closure with defineProperty.)
 */
function killEntry(entry: IndexEntry, active: SegmentState, round: Round): void {
  const holder = entry.chunk.segment;
  markDead(holder, entry);
  if (holder !== active) {
    active.deps.add(holder.id);
    round.compactionDue = true;
  }
}

function markDead(segment: SegmentState, entry: IndexEntry): void {
  segment.liveMessages--;
  segment.liveBytes -= entry.bodyBytes + 64;
}

function writeKeyId(segmentId: number): string {
  return `w:${segmentId}`;
}

function readKeyId(segmentId: number): string {
  return `r:${segmentId}`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The chunk (header + sealed bytes) starting at `at`, or why there is none. */
function chunkAt(bytes: Buffer, at: number): Buffer | 'short' | 'malformed' {
  if (at + CHUNK_HEADER_BYTES > bytes.length) return 'short';
  if (!chunkHeaderIntact(bytes.subarray(at, at + CHUNK_HEADER_BYTES))) return 'malformed';
  const length = bytes.readUInt32BE(at);
  if (length < 16 || length > CHUNK_BYTES_MAX) return 'malformed';
  if (at + CHUNK_HEADER_BYTES + length > bytes.length) return 'short';
  return bytes.subarray(at, at + CHUNK_HEADER_BYTES + length);
}

function collectDrops(plaintext: Buffer, drops: Set<number>): void {
  const reader = new RecordReader(plaintext);
  try {
    while (!reader.done) {
      const type = reader.u8();
      switch (type) {
        case RecordType.MESSAGE:
        case RecordType.RELOCATED:
          reader.str16();
          reader.u48();
          reader.u32();
          reader.str16();
          reader.str16();
          reader.skipBytes32();
          reader.skipBytes32();
          break;
        case RecordType.REMOVE:
        case RecordType.DELIVERED: {
          reader.str16();
          const count = reader.u32();
          for (let i = 0; i < count; i++) reader.u48();
          break;
        }
        case RecordType.PURGE:
          reader.str16();
          reader.u48();
          break;
        case RecordType.DELETE_QUEUE:
          reader.str16();
          break;
        case RecordType.DROP_SEGMENT:
          drops.add(reader.u48());
          break;
        case RecordType.DEF_PUT:
          reader.str16();
          reader.text32();
          reader.text32();
          break;
        case RecordType.DEF_DELETE:
          reader.str16();
          reader.text32();
          break;
        default:
          return; // replay reports it with its offset
      }
    }
  } catch {
    // replay reports it with its offset
  }
}

/** The bytes of the MESSAGE record at `position`. */
function copyMessageRecord(plaintext: Buffer, position: number): Buffer {
  const reader = new RecordReader(plaintext, position);
  reader.u8();
  reader.str16();
  reader.u48();
  reader.u32();
  reader.str16();
  reader.str16();
  reader.skipBytes32();
  reader.skipBytes32();
  return Buffer.from(plaintext.subarray(position, reader.at));
}

async function writeAllAt(fh: FileHandle, buffers: Buffer[], position: number): Promise<void> {
  let at = position;
  let pending = buffers;
  while (pending.length > 0) {
    const { bytesWritten } = await fh.writev(pending.length > 1024 ? pending.slice(0, 1024) : pending, at);
    at += bytesWritten;
    let skip = bytesWritten;
    const rest: Buffer[] = [];
    for (const buffer of pending) {
      if (skip >= buffer.length) {
        skip -= buffer.length;
        continue;
      }
      rest.push(skip > 0 ? buffer.subarray(skip) : buffer);
      skip = 0;
    }
    pending = rest;
  }
}

async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function truncateAndSync(path: string, length: number): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.truncate(length);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
