// FileAuditTrail: the AuditSink that keeps the tamper-evident trail on disk (format in
// trail-format.ts). It appends hash-chained event lines in the background from a bounded queue, rotates
// log files by size and at every seal, and at each interval (and on close) seals what was written
// since the last seal with a signed digest chained to the previous one, an empty interval included.
// Checking a trail is verify.ts's job; reading it for people is list.ts's.
//
// One writer per directory: two processes appending to the same trail would fork the chain.
import { createPublicKey, randomUUID, sign, type KeyObject } from 'node:crypto';
import { mkdir, open, readdir, readFile, truncate, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { systemClock, type Clock, type TimerHandle } from '../core/clock.ts';
import {
  AuditEventSource,
  AuditEventType,
  AuditSinkError,
  AuditSinkFailureCode,
  normalizeAuditEvent,
  type AuditEvent,
  type AuditEventInput,
  type AuditSink,
  type AuditSinkFailure,
  type AuditSinkStats,
} from '../core/audit-sink.ts';
import { writeFileAtomic } from '../util/atomic-file.ts';
import { fileSigningKeyLoader, type AuditSigningKeyLoader } from './signing-key.ts';
import {
  DIGEST_VERSION,
  DIGESTS_DIR,
  GENESIS_HASH,
  HEAD_FILE,
  LOGS_DIR,
  PUBLIC_KEY_FILE,
  PUBLIC_KEYS_DIR,
  SIGNATURE_SUFFIX,
  checkDigestShape,
  digestFileName,
  digestSigningString,
  encodeEventLine,
  eventRecordIntact,
  logFileName,
  nodeDigestName,
  parseDigestFileName,
  parseEventLine,
  parseLogFileName,
  publicKeyFingerprint,
  sha256Hex,
  signatureAlgorithmOf,
  type ChainPoint,
  type DigestFile,
  type DigestLogFile,
  type EventRecord,
  type SignatureAlgorithm,
  type TrailHead,
} from './trail-format.ts';

export interface AuditTrailOptions {
  /** The trail directory, e.g. `<data>/audit`; created (0700) if missing. */
  readonly dir: string;
  /** Default: a PEM file `audit-signing-key.pem` beside the trail directory, created 0600 on first use. */
  readonly signingKeyLoader?: AuditSigningKeyLoader | undefined;
  /** Default: the system clock. Tests pass a FakeClock and advance it to fire seals. */
  readonly clock?: Clock | undefined;
  /** How often a digest seals the interval (CloudTrail: hourly). Default 15 minutes; 0 = only `seal()`/close. */
  readonly digestIntervalMs?: number | undefined;
  /** A log file is closed and a new one started when it would grow beyond this. Default 8 MiB. */
  readonly logFileMaxBytes?: number | undefined;
  /** Events waiting to be written; one more puts the trail in the failed state. Default 10,000. */
  readonly queueMaxEvents?: number | undefined;
  /** Events whose JSON is larger have their parameters replaced by a note. Default 256 KiB. */
  readonly eventSizeMaxBytes?: number | undefined;
  /** Called once when the trail fails (queue full, disk failing): the composition root stops serving. */
  readonly onFailure?: ((failure: AuditSinkFailure) => void) | undefined;
  /** Default true: `close()` writes a final digest. False leaves the tail for the next open to seal (as a crash would). */
  readonly sealOnClose?: boolean | undefined;
  /** Called after every digest with the new head, to publish it outside the trail (log, metrics). */
  readonly onSeal?: ((head: TrailHead) => void) | undefined;
}

export const AUDIT_DIGEST_INTERVAL_DEFAULT_MS = 15 * 60_000;
export const AUDIT_LOG_FILE_MAX_BYTES_DEFAULT = 8 * 1024 * 1024;
export const AUDIT_QUEUE_MAX_EVENTS_DEFAULT = 10_000;
export const AUDIT_EVENT_SIZE_MAX_BYTES_DEFAULT = 256 * 1024;

/** The trail on disk cannot be continued (its newest digest or unsealed tail is damaged); run `sealmq audit verify`. */
export class AuditTrailError extends Error {
  readonly code = 'AUDIT_TRAIL_DAMAGED';
  constructor(message: string) {
    super(`${message}; run \`sealmq audit verify\` to see what changed`);
    this.name = 'AuditTrailError';
  }
}

/** What a seal produced. */
export interface SealResult {
  readonly digestFile: string;
  readonly digestSignature: string;
  readonly logFiles: readonly string[];
  readonly chainEnd: ChainPoint;
}

interface OpenLogFile {
  readonly name: string;
  readonly handle: FileHandle;
  sizeBytes: number;
}

interface LastDigest {
  readonly file: string;
  readonly sequence: number;
  readonly hashValue: string;
  readonly signature: string;
}

const FILE_MODE = 0o640;
const PUBLIC_FILE_MODE = 0o644;

export class FileAuditTrail implements AuditSink {
  readonly #dir: string;
  readonly #clock: Clock;
  readonly #privateKey: KeyObject;
  readonly #algorithm: SignatureAlgorithm;
  readonly #fingerprint: string;
  readonly #digestIntervalMs: number;
  readonly #logFileMaxBytes: number;
  readonly #queueMaxEvents: number;
  readonly #onFailure: ((failure: AuditSinkFailure) => void) | undefined;
  readonly #onSeal: ((head: TrailHead) => void) | undefined;
  readonly #sealOnClose: boolean;
  readonly #eventSizeMaxBytes: number;

  #queue: AuditEvent[] = [];
  #pumpScheduled = false;
  #work: Promise<unknown> = Promise.resolve();
  #chain: ChainPoint;
  #sealedChain: ChainPoint;
  #current: OpenLogFile | undefined;
  #unsealedFiles: string[];
  #lastDigest: LastDigest | undefined;
  #intervalStartMs: number;
  #timer: TimerHandle | undefined;
  #failure: AuditSinkFailure | undefined;
  #closed = false;
  #recorded = 0;
  #written = 0;
  #rejected = 0;
  #digests = 0;

  private constructor(
    options: AuditTrailOptions,
    init: {
      privateKey: KeyObject;
      algorithm: SignatureAlgorithm;
      chain: ChainPoint;
      sealedChain: ChainPoint;
      unsealedFiles: string[];
      lastDigest: LastDigest | undefined;
      intervalStartMs: number;
    },
  ) {
    this.#dir = resolve(options.dir);
    this.#clock = options.clock ?? systemClock();
    this.#privateKey = init.privateKey;
    this.#algorithm = init.algorithm;
    this.#fingerprint = publicKeyFingerprint(init.privateKey);
    this.#digestIntervalMs = options.digestIntervalMs ?? AUDIT_DIGEST_INTERVAL_DEFAULT_MS;
    this.#logFileMaxBytes = options.logFileMaxBytes ?? AUDIT_LOG_FILE_MAX_BYTES_DEFAULT;
    this.#queueMaxEvents = options.queueMaxEvents ?? AUDIT_QUEUE_MAX_EVENTS_DEFAULT;
    this.#onFailure = options.onFailure;
    this.#onSeal = options.onSeal;
    this.#sealOnClose = options.sealOnClose ?? true;
    this.#eventSizeMaxBytes = options.eventSizeMaxBytes ?? AUDIT_EVENT_SIZE_MAX_BYTES_DEFAULT;
    this.#chain = init.chain;
    this.#sealedChain = init.sealedChain;
    this.#unsealedFiles = init.unsealedFiles;
    this.#lastDigest = init.lastDigest;
    this.#intervalStartMs = init.intervalStartMs;
  }

  /**
   * Opens (or creates) the trail in `options.dir`, continuing the event chain and the digest chain of
   * what is there. A torn last line left by a crash in the unsealed tail is cut off and the repair is
   * recorded as an event; any other damage to the newest digest or the unsealed tail refuses to open
   * (AuditTrailError), since continuing would hide it.
   */
  static async open(options: AuditTrailOptions): Promise<FileAuditTrail> {
    const dir = resolve(options.dir);
    const clock = options.clock ?? systemClock();
    await mkdir(dir, { recursive: true, mode: 0o700 });
    for (const sub of [LOGS_DIR, DIGESTS_DIR, PUBLIC_KEYS_DIR]) await mkdir(join(dir, sub), { recursive: true, mode: 0o700 });

    const loader = options.signingKeyLoader ?? fileSigningKeyLoader(join(dirname(dir), 'audit-signing-key.pem'));
    const privateKey = await loader.loadSigningKey();
    const algorithm = privateKey.type === 'private' ? signatureAlgorithmOf(privateKey) : undefined;
    if (algorithm === undefined) throw new TypeError('the audit signing key must be an Ed25519 or RSA private key');
    await exportPublicKey(dir, privateKey);

    // The newest digest fixes what is sealed.
    const digestNames = (await readdir(join(dir, DIGESTS_DIR)))
      .filter((name) => parseDigestFileName(name) !== undefined)
      .sort();
    let lastDigest: LastDigest | undefined;
    let sealedChain: ChainPoint = { sequence: 0, eventHash: GENESIS_HASH };
    let intervalStartMs: number | undefined;
    const newestName = digestNames.at(-1);
    if (newestName !== undefined) {
      const file = `${DIGESTS_DIR}/${newestName}`;
      const bytes = await readFile(join(dir, file));
      let digest: DigestFile;
      try {
        digest = JSON.parse(bytes.toString('utf8')) as DigestFile;
      } catch {
        throw new AuditTrailError(`the newest audit digest ${file} is not valid JSON`);
      }
      const shapeProblem = checkDigestShape(digest);
      if (shapeProblem !== undefined) throw new AuditTrailError(`the newest audit digest ${file} is malformed (${shapeProblem})`);
      let signature: string;
      try {
        signature = (await readFile(join(dir, file + SIGNATURE_SUFFIX), 'utf8')).trim();
      } catch {
        throw new AuditTrailError(`the signature of the newest audit digest ${file} is missing`);
      }
      lastDigest = { file, sequence: digest.digestSequence, hashValue: sha256Hex(bytes), signature };
      sealedChain = digest.chainEnd;
      intervalStartMs = Date.parse(digest.digestEndTime);
    }

    // Log files after the sealed chain end are the unsealed tail: check their chain, repair a torn line.
    const logNames = (await readdir(join(dir, LOGS_DIR)))
      .filter((name) => parseLogFileName(name) !== undefined)
      .sort();
    const unsealedFiles: string[] = [];
    const repairs: { file: string; bytesRemoved: number }[] = [];
    let chain = sealedChain;
    const tailNames = logNames.filter((name) => (parseLogFileName(name) ?? 0) > sealedChain.sequence);
    const emptyFiles: string[] = [];
    let tornTail: { path: string; file: string; keepBytes: number; bytesRemoved: number } | undefined;
    for (const [index, name] of tailNames.entries()) {
      const file = `${LOGS_DIR}/${name}`;
      const path = join(dir, file);
      const bytes = await readFile(path);
      const completeLength = bytes.lastIndexOf(0x0a) + 1;
      if (completeLength < bytes.length) {
        // A write torn by a crash can only be at the very end; anywhere else it is damage.
        if (index !== tailNames.length - 1) throw new AuditTrailError(`the unsealed audit log ${file} ends with a partial line`);
        tornTail = { path, file, keepBytes: completeLength, bytesRemoved: bytes.length - completeLength };
      }
      const text = bytes.subarray(0, completeLength).toString('utf8');
      const lines = text.length === 0 ? [] : text.slice(0, -1).split('\n');
      for (const line of lines) {
        const record = parseEventLine(line);
        if (
          record === undefined ||
          record.sequence !== chain.sequence + 1 ||
          record.previousHash !== chain.eventHash ||
          !eventRecordIntact(record)
        ) {
          throw new AuditTrailError(`the unsealed audit log ${file} does not continue the hash chain after sequence ${chain.sequence}`);
        }
        chain = { sequence: record.sequence, eventHash: record.eventHash };
        intervalStartMs ??= Date.parse(record.event.eventTime);
      }
      if (lines.length === 0) emptyFiles.push(path);
      else unsealedFiles.push(file);
    }
    // Only once the whole tail checks out: cut the torn line (never acknowledged by flush(), so
    // nothing promised is lost; the repair is recorded below) and drop files left without events.
    if (tornTail !== undefined) {
      await truncate(tornTail.path, tornTail.keepBytes);
      repairs.push({ file: tornTail.file, bytesRemoved: tornTail.bytesRemoved });
    }
    for (const path of emptyFiles) await unlink(path);

    const trail = new FileAuditTrail(options, {
      privateKey,
      algorithm,
      chain,
      sealedChain,
      unsealedFiles,
      lastDigest,
      intervalStartMs: Math.min(intervalStartMs ?? clock.now(), clock.now()),
    });
    for (const repair of repairs) {
      trail.record({
        eventSource: AuditEventSource.AUDIT,
        eventName: 'AuditLogTailRepaired',
        eventType: AuditEventType.ServiceEvent,
        additionalEventData: { file: repair.file, bytesRemoved: repair.bytesRemoved },
      });
    }
    trail.#scheduleSeal();
    return trail;
  }

  get failure(): AuditSinkFailure | undefined {
    return this.#failure;
  }

  /** hex(SHA-256(SPKI DER)) of the public key digests are signed with now. */
  get publicKeyFingerprint(): string {
    return this.#fingerprint;
  }

  stats(): AuditSinkStats {
    return {
      recordedEvents: this.#recorded,
      writtenEvents: this.#written,
      rejectedEvents: this.#rejected,
      queuedEvents: this.#queue.length,
      digestsWritten: this.#digests,
      failure: this.#failure,
    };
  }

  record(input: AuditEventInput): void {
    if (this.#failure !== undefined || this.#closed) {
      this.#rejected++;
      return;
    }
    if (this.#queue.length >= this.#queueMaxEvents) {
      this.#rejected++;
      this.#fail(AuditSinkFailureCode.QUEUE_FULL, `the audit queue is full (${this.#queueMaxEvents} events waiting to be written)`);
      return;
    }
    this.#queue.push(this.#prepare(input));
    this.#recorded++;
    if (!this.#pumpScheduled) {
      this.#pumpScheduled = true;
      void this.#serially(() => this.#writePending()).catch(() => undefined);
    }
  }

  /**
   * The event as stored. Parameters too large for one record (CloudTrail's limit is 256 KB) or that
   * cannot be copied are replaced by a note, so that the call itself is still on the record.
   */
  #prepare(input: AuditEventInput): AuditEvent {
    const eventTime = new Date(this.#clock.now()).toISOString();
    const eventID = randomUUID();
    let note: string | undefined;
    try {
      const event = normalizeAuditEvent(input, eventTime, eventID);
      const sizeBytes = Buffer.byteLength(JSON.stringify(event));
      if (sizeBytes <= this.#eventSizeMaxBytes) return event;
      note = `parameters omitted: the event was ${sizeBytes} bytes, over the ${this.#eventSizeMaxBytes}-byte limit`;
    } catch {
      note = 'parameters omitted: they could not be recorded';
    }
    const { requestParameters: _request, responseElements: _response, additionalEventData: _additional, ...rest } = input;
    return normalizeAuditEvent({ ...rest, additionalEventData: { auditNote: note } }, eventTime, eventID);
  }

  async flush(): Promise<void> {
    if (this.#failure !== undefined) throw new AuditSinkError(this.#failure);
    await this.#serially(() => this.#writePending());
    if (this.#failure !== undefined) throw new AuditSinkError(this.#failure);
  }

  /**
   * Writes what is queued, closes the current log file and writes a signed digest covering every log
   * file closed since the last digest (none, for an empty interval).
   */
  async seal(): Promise<SealResult> {
    if (this.#failure !== undefined) throw new AuditSinkError(this.#failure);
    return this.#serially(() => this.#sealNow());
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    try {
      // The final digest, as CloudTrail writes one on StopLogging.
      if (this.#failure === undefined) {
        if (this.#sealOnClose) await this.#serially(() => this.#sealNow());
        else await this.flush();
      }
    } finally {
      await this.#serially(() => this.#closeCurrent());
    }
  }

  async #sealNow(): Promise<SealResult> {
    await this.#writePending();
    if (this.#failure !== undefined) throw new AuditSinkError(this.#failure);
    try {
      return await this.#writeDigest();
    } catch (error) {
      this.#fail(AuditSinkFailureCode.SEAL_FAILED, `writing an audit digest failed (${describeIoError(error)})`);
      throw new AuditSinkError(this.#failure!);
    }
  }

  #serially<T>(job: () => Promise<T>): Promise<T> {
    const next = this.#work.then(job);
    this.#work = next.catch(() => undefined);
    return next;
  }

  #scheduleSeal(): void {
    if (this.#digestIntervalMs <= 0 || this.#closed) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      if (this.#closed || this.#failure !== undefined) return;
      this.seal().then(
        () => this.#scheduleSeal(),
        () => undefined, // already reported through #fail
      );
    }, this.#digestIntervalMs);
  }

  #fail(code: AuditSinkFailureCode, message: string): void {
    if (this.#failure !== undefined) return;
    this.#failure = { code, message, time: new Date(this.#clock.now()).toISOString() };
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    try {
      this.#onFailure?.(this.#failure);
    } catch {
      // The listener's own failure must not hide ours; the state and stats still say it.
    }
  }

  async #writePending(): Promise<void> {
    this.#pumpScheduled = false;
    if (this.#failure !== undefined || this.#queue.length === 0) return;
    const events = this.#queue;
    this.#queue = [];
    try {
      let chain = this.#chain;
      let pending: string[] = [];
      let pendingBytes = 0;
      for (const event of events) {
        const sequence = chain.sequence + 1;
        const { line, eventHash } = encodeEventLine(sequence, chain.eventHash, event);
        const lineBytes = Buffer.byteLength(line);
        const current = this.#current;
        const size = current === undefined ? 0 : current.sizeBytes + pendingBytes;
        if (current !== undefined && size > 0 && size + lineBytes > this.#logFileMaxBytes) {
          await this.#append(pending);
          pending = [];
          pendingBytes = 0;
          await this.#closeCurrent();
        }
        if (this.#current === undefined) await this.#openLogFile(sequence);
        pending.push(line);
        pendingBytes += lineBytes;
        chain = { sequence, eventHash };
      }
      await this.#append(pending);
      this.#chain = chain;
      this.#written += events.length;
    } catch (error) {
      this.#fail(AuditSinkFailureCode.WRITE_FAILED, `appending to the audit log failed (${describeIoError(error)})`);
    }
  }

  async #openLogFile(firstSequence: number): Promise<void> {
    const name = logFileName(firstSequence, this.#clock.now());
    const handle = await open(join(this.#dir, name), 'a', FILE_MODE);
    this.#current = { name, handle, sizeBytes: 0 };
    this.#unsealedFiles.push(name);
    await syncDir(join(this.#dir, LOGS_DIR));
  }

  async #append(lines: string[]): Promise<void> {
    const current = this.#current;
    if (lines.length === 0 || current === undefined) return;
    const bytes = Buffer.from(lines.join(''), 'utf8');
    let offset = 0;
    while (offset < bytes.length) {
      const { bytesWritten } = await current.handle.write(bytes, offset, bytes.length - offset);
      offset += bytesWritten;
    }
    await current.handle.datasync();
    current.sizeBytes += bytes.length;
  }

  async #closeCurrent(): Promise<void> {
    const current = this.#current;
    this.#current = undefined;
    if (current !== undefined) await current.handle.close();
  }

  async #writeDigest(): Promise<SealResult> {
    await this.#closeCurrent();
    const endMs = Math.max(this.#clock.now(), this.#intervalStartMs);
    const logFiles: DigestLogFile[] = [];
    let chain = this.#sealedChain;
    for (const file of this.#unsealedFiles) {
      const entry = await describeLogFile(this.#dir, file, chain);
      logFiles.push(entry);
      chain = { sequence: entry.lastSequence, eventHash: entry.lastEventHash };
    }
    if (chain.sequence !== this.#chain.sequence || chain.eventHash !== this.#chain.eventHash) {
      throw new Error('the log files on disk do not end where the trail wrote its last event');
    }
    const digestSequence = (this.#lastDigest?.sequence ?? 0) + 1;
    const file = digestFileName(digestSequence, endMs);
    const times = logFiles.flatMap((entry) => [entry.oldestEventTime, entry.newestEventTime]).sort();
    const digest: DigestFile = {
      digestVersion: DIGEST_VERSION,
      digestSequence,
      digestFile: file,
      digestStartTime: new Date(this.#intervalStartMs).toISOString(),
      digestEndTime: new Date(endMs).toISOString(),
      digestPublicKeyFingerprint: this.#fingerprint,
      digestSignatureAlgorithm: this.#algorithm,
      oldestEventTime: times[0] ?? null,
      newestEventTime: times.at(-1) ?? null,
      chainStart: this.#sealedChain,
      chainEnd: chain,
      previousDigestFile: this.#lastDigest?.file ?? null,
      previousDigestHashValue: this.#lastDigest?.hashValue ?? null,
      previousDigestHashAlgorithm: this.#lastDigest === undefined ? null : 'SHA-256',
      previousDigestSignature: this.#lastDigest?.signature ?? null,
      logFiles,
    };
    const bytes = Buffer.from(`${JSON.stringify(digest, null, 2)}\n`, 'utf8');
    const signature = sign(
      nodeDigestName(this.#algorithm),
      Buffer.from(digestSigningString(digest, bytes), 'utf8'),
      this.#privateKey,
    ).toString('hex');
    // Signature first: a digest never exists on disk without its signature beside it.
    await writeFileAtomic(join(this.#dir, file + SIGNATURE_SUFFIX), `${signature}\n`, FILE_MODE);
    await writeFileAtomic(join(this.#dir, file), bytes, FILE_MODE);
    const head: TrailHead = { digestFile: file, digestSignature: signature, digestEndTime: digest.digestEndTime, chainEnd: chain };
    await writeFileAtomic(join(this.#dir, HEAD_FILE), `${JSON.stringify(head, null, 2)}\n`, FILE_MODE);

    this.#lastDigest = { file, sequence: digestSequence, hashValue: sha256Hex(bytes), signature };
    this.#sealedChain = chain;
    this.#unsealedFiles = [];
    this.#intervalStartMs = endMs;
    this.#digests++;
    try {
      this.#onSeal?.(head);
    } catch {
      // Publishing the head elsewhere is best effort; the head file is written.
    }
    return { digestFile: file, digestSignature: signature, logFiles: logFiles.map((entry) => entry.file), chainEnd: chain };
  }
}

/** Reads a closed log file for its digest entry, checking that it continues the chain from `chain`. */
async function describeLogFile(dir: string, file: string, chain: ChainPoint): Promise<DigestLogFile> {
  const bytes = await readFile(join(dir, file));
  const lines = bytes.toString('utf8').split('\n');
  if (lines.pop() !== '') throw new Error(`${file} does not end with a complete line`);
  const records: EventRecord[] = [];
  let expected = chain;
  for (const line of lines) {
    const record = parseEventLine(line);
    if (record === undefined || record.sequence !== expected.sequence + 1 || record.previousHash !== expected.eventHash) {
      throw new Error(`${file} does not continue the hash chain after sequence ${expected.sequence}`);
    }
    records.push(record);
    expected = { sequence: record.sequence, eventHash: record.eventHash };
  }
  const first = records[0];
  const last = records.at(-1);
  if (first === undefined || last === undefined) throw new Error(`${file} holds no events`);
  const times = records.map((record) => record.event.eventTime).sort();
  return {
    file,
    hashValue: sha256Hex(bytes),
    hashAlgorithm: 'SHA-256',
    sizeBytes: bytes.length,
    firstSequence: first.sequence,
    lastSequence: last.sequence,
    firstPreviousHash: first.previousHash,
    lastEventHash: last.eventHash,
    oldestEventTime: times[0]!,
    newestEventTime: times.at(-1)!,
  };
}

/** Writes public-key.pem (the current key) and public-keys/<fingerprint>.pem (kept for every key used). */
async function exportPublicKey(dir: string, privateKey: KeyObject): Promise<void> {
  const pem = createPublicKey(privateKey).export({ format: 'pem', type: 'spki' }).toString();
  const fingerprint = publicKeyFingerprint(privateKey);
  const historyPath = join(dir, PUBLIC_KEYS_DIR, `${fingerprint}.pem`);
  const existing = await readFile(historyPath, 'utf8').catch(() => undefined);
  if (existing !== pem) await writeFileAtomic(historyPath, pem, PUBLIC_FILE_MODE);
  const current = await readFile(join(dir, PUBLIC_KEY_FILE), 'utf8').catch(() => undefined);
  if (current !== pem) await writeFileAtomic(join(dir, PUBLIC_KEY_FILE), pem, PUBLIC_FILE_MODE);
}

async function syncDir(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** An OS error code and syscall, never contents. */
function describeIoError(error: unknown): string {
  const errno = error as NodeJS.ErrnoException;
  if (typeof errno?.code === 'string') return `${errno.code}${errno.syscall === undefined ? '' : ` in ${errno.syscall}`}`;
  return error instanceof Error ? error.message : 'unknown error';
}
