// The on-disk format of the audit trail, shared by the writer (audit-trail.ts), the verifier and the
// lister: file names, the event line and its hash chain, the digest file and the string its signature
// covers. Reading and writing files is left to those modules; this one only encodes and checks bytes.
//
//   <dir>/                                 mode 0700
//     public-key.pem                       current signing key's public half (SPKI PEM)
//     public-keys/<fingerprint>.pem        every public key that ever signed a digest here
//     logs/<firstSeq:012>-<yyyymmddThhmmssZ>.jsonl   event lines, append-only; closed at each seal
//     digests/<digestSeq:08>-<yyyymmddThhmmssZ>.json  one digest per interval, never rewritten
//     digests/<...>.json.sig               hex signature of that digest (CloudTrail keeps it in metadata)
//     head.json                            newest digest's name and signature (an anchor; see verify)
//
//   event line (one per line, '\n'-terminated, UTF-8):
//     {"sequence":N,"previousHash":"<hex sha256>","eventHash":"<hex sha256>","event":{...}}
//     eventHash = SHA-256(canonicalJson({sequence, previousHash, event}))
//     sequence starts at 1; the first event's previousHash is 64 zeros (GENESIS_HASH)
//
//   signature = sign(digestEndTime \n digestFile \n hex(SHA-256(digest file bytes)) \n previousDigestSignature|null)
//     Ed25519 (crypto.sign(null, ...)) or SHA256withRSA (RSASSA-PKCS1-v1_5), as security.md 1.2 describes.
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import type { AuditEvent } from '../core/audit-sink.ts';

export const LOGS_DIR = 'logs';
export const DIGESTS_DIR = 'digests';
export const PUBLIC_KEYS_DIR = 'public-keys';
export const PUBLIC_KEY_FILE = 'public-key.pem';
export const HEAD_FILE = 'head.json';
export const SIGNATURE_SUFFIX = '.sig';
export const DIGEST_VERSION = 1;
export const GENESIS_HASH = '0'.repeat(64);

export type SignatureAlgorithm = 'Ed25519' | 'SHA256withRSA';

/** One line of a log file. */
export interface EventRecord {
  readonly sequence: number;
  readonly previousHash: string;
  readonly eventHash: string;
  readonly event: AuditEvent;
}

/** The position of the hash chain: the last event sealed (sequence 0 and GENESIS_HASH before any). */
export interface ChainPoint {
  readonly sequence: number;
  readonly eventHash: string;
}

/** A log file as a digest covers it (CloudTrail's logFiles[] entry). */
export interface DigestLogFile {
  /** Path relative to the trail directory, e.g. `logs/000000000001-20261129T023000Z.jsonl`. */
  readonly file: string;
  readonly hashValue: string;
  readonly hashAlgorithm: 'SHA-256';
  readonly sizeBytes: number;
  readonly firstSequence: number;
  readonly lastSequence: number;
  readonly firstPreviousHash: string;
  readonly lastEventHash: string;
  readonly oldestEventTime: string;
  readonly newestEventTime: string;
}

/** A digest file's JSON. */
export interface DigestFile {
  readonly digestVersion: number;
  readonly digestSequence: number;
  /** Its own path relative to the trail directory; a digest found elsewhere has been moved. */
  readonly digestFile: string;
  readonly digestStartTime: string;
  readonly digestEndTime: string;
  readonly digestPublicKeyFingerprint: string;
  readonly digestSignatureAlgorithm: SignatureAlgorithm;
  readonly oldestEventTime: string | null;
  readonly newestEventTime: string | null;
  /** The chain before this digest's first file, and after its last one (equal for an empty digest). */
  readonly chainStart: ChainPoint;
  readonly chainEnd: ChainPoint;
  readonly previousDigestFile: string | null;
  readonly previousDigestHashValue: string | null;
  readonly previousDigestHashAlgorithm: 'SHA-256' | null;
  readonly previousDigestSignature: string | null;
  readonly logFiles: readonly DigestLogFile[];
}

/** head.json: the newest digest, so that deleting it is noticed (kept also by whoever `onSeal` feeds). */
export interface TrailHead {
  readonly digestFile: string;
  readonly digestSignature: string;
  readonly digestEndTime: string;
  readonly chainEnd: ChainPoint;
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** JSON with object keys sorted at every level and no whitespace: the bytes an event hash covers. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    return text === undefined ? 'null' : text;
  }
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item === undefined ? null : item)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, field]) => field !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([name, field]) => `${JSON.stringify(name)}:${canonicalJson(field)}`).join(',')}}`;
}

export function computeEventHash(sequence: number, previousHash: string, event: unknown): string {
  return sha256Hex(canonicalJson({ sequence, previousHash, event }));
}

/** The line written for an event, with its trailing newline. */
export function encodeEventLine(sequence: number, previousHash: string, event: AuditEvent): { line: string; eventHash: string } {
  const eventHash = computeEventHash(sequence, previousHash, event);
  return { line: `${JSON.stringify({ sequence, previousHash, eventHash, event })}\n`, eventHash };
}

const HEX64 = /^[0-9a-f]{64}$/;

/** Parses one line (without its newline); undefined when it is not a well-formed event record. */
export function parseEventLine(line: string): EventRecord | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  const record = parsed as Record<string, unknown>;
  const { sequence, previousHash, eventHash, event } = record;
  if (typeof sequence !== 'number' || !Number.isSafeInteger(sequence) || sequence < 1) return undefined;
  if (typeof previousHash !== 'string' || !HEX64.test(previousHash)) return undefined;
  if (typeof eventHash !== 'string' || !HEX64.test(eventHash)) return undefined;
  if (event === null || typeof event !== 'object' || Array.isArray(event)) return undefined;
  const eventTime = (event as Record<string, unknown>)['eventTime'];
  if (typeof eventTime !== 'string') return undefined;
  return { sequence, previousHash, eventHash, event: event as AuditEvent };
}

/** Whether the stored hash is the hash of the stored contents. */
export function eventRecordIntact(record: EventRecord): boolean {
  return computeEventHash(record.sequence, record.previousHash, record.event) === record.eventHash;
}

/** `20261129T023000Z` (file names sort by time within a sequence number). */
export function compactTimestamp(timeMs: number): string {
  return new Date(timeMs).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

export function logFileName(firstSequence: number, timeMs: number): string {
  return `${LOGS_DIR}/${String(firstSequence).padStart(12, '0')}-${compactTimestamp(timeMs)}.jsonl`;
}

export function digestFileName(digestSequence: number, endTimeMs: number): string {
  return `${DIGESTS_DIR}/${String(digestSequence).padStart(8, '0')}-${compactTimestamp(endTimeMs)}.json`;
}

const LOG_FILE_PATTERN = /^(\d{12})-\d{8}T\d{6}Z\.jsonl$/;
const DIGEST_FILE_PATTERN = /^(\d{8})-\d{8}T\d{6}Z\.json$/;

/** The first sequence number in a log file's name, or undefined for a name that is not one. */
export function parseLogFileName(baseName: string): number | undefined {
  const match = LOG_FILE_PATTERN.exec(baseName);
  return match === null ? undefined : Number(match[1]);
}

/** The digest sequence number in a digest file's name, or undefined for a name that is not one. */
export function parseDigestFileName(baseName: string): number | undefined {
  const match = DIGEST_FILE_PATTERN.exec(baseName);
  return match === null ? undefined : Number(match[1]);
}

/** The string a digest's signature covers (CloudTrail's Data_To_Sign_String, security.md 1.2). */
export function digestSigningString(
  digest: Pick<DigestFile, 'digestEndTime' | 'digestFile' | 'previousDigestSignature'>,
  digestBytes: Uint8Array,
): string {
  return `${digest.digestEndTime}\n${digest.digestFile}\n${sha256Hex(digestBytes)}\n${digest.previousDigestSignature ?? 'null'}`;
}

/** hex(SHA-256(SPKI DER)) of a public key (or of the public half of a private key). */
export function publicKeyFingerprint(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return sha256Hex(publicKey.export({ format: 'der', type: 'spki' }));
}

/** The signature algorithm a key signs with; undefined for a key type the trail does not use. */
export function signatureAlgorithmOf(key: KeyObject): SignatureAlgorithm | undefined {
  if (key.asymmetricKeyType === 'ed25519') return 'Ed25519';
  if (key.asymmetricKeyType === 'rsa') return 'SHA256withRSA';
  return undefined;
}

/** The digest name node:crypto's sign/verify take for an algorithm (null: the key decides, Ed25519). */
export function nodeDigestName(algorithm: SignatureAlgorithm): string | null {
  return algorithm === 'Ed25519' ? null : 'sha256';
}

/** Checks the shape of a parsed digest; returns a reason when it is not one. */
export function checkDigestShape(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not a JSON object';
  const digest = value as Record<string, unknown>;
  if (digest['digestVersion'] !== DIGEST_VERSION) return 'unknown digestVersion';
  for (const field of ['digestFile', 'digestStartTime', 'digestEndTime', 'digestPublicKeyFingerprint', 'digestSignatureAlgorithm']) {
    if (typeof digest[field] !== 'string') return `${field} missing`;
  }
  if (typeof digest['digestSequence'] !== 'number') return 'digestSequence missing';
  for (const field of ['chainStart', 'chainEnd']) {
    const point = digest[field] as Record<string, unknown> | null | undefined;
    if (point === null || typeof point !== 'object' || typeof point['sequence'] !== 'number' || typeof point['eventHash'] !== 'string') {
      return `${field} missing`;
    }
  }
  if (!Array.isArray(digest['logFiles'])) return 'logFiles missing';
  for (const entry of digest['logFiles'] as unknown[]) {
    const file = entry as Record<string, unknown> | null;
    if (file === null || typeof file !== 'object' || typeof file['file'] !== 'string' || typeof file['hashValue'] !== 'string') {
      return 'logFiles entry malformed';
    }
    if (typeof file['firstSequence'] !== 'number' || typeof file['lastSequence'] !== 'number') return 'logFiles entry malformed';
  }
  return undefined;
}
