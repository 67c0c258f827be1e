// Verify-at-rest for a segment store directory (issue 6): reads every file, authenticates every
// chunk of every segment with its own data key, walks the records, and reports per segment the
// format version, the wrapped data key's KMS key and key-material version and the record count,
// plus every file or byte range it cannot account for as ciphertext under a known key. Read-only;
// unwrapping a data key is the caller's KeyProvider's (the KMS), the layout is segment-format.ts's.
// Given the store's rollback anchor position, it also reports a log that ends behind it.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { aes256Gcm, AEAD_KEY_BYTES } from '../crypto/aead.ts';
import type { KeyProvider } from '../crypto/key-provider.ts';
import {
  CHUNK_HEADER_BYTES,
  ChunkKind,
  chunkAad,
  chunkHeaderIntact,
  chunkNonce,
  decodeSegmentHeader,
  FORMAT_FILE,
  FORMAT_FILE_TEXT,
  parseSegmentFileName,
  RecordType,
  SEGMENTS_DIR,
  segmentFileName,
} from './segment-format.ts';
import type { AnchorPosition } from './rollback-anchor.ts';

/** What verify-at-rest found in one segment file. */
export interface SegmentReport {
  readonly file: string;
  readonly formatVersion: number;
  /** The KMS key (id as the ciphertext blob names it) and key-material version of the wrapped data key. */
  readonly kmsKeyId: string;
  readonly keyMaterialVersion: number;
  /** The wrapped data key as stored (a KMS ciphertext blob, not secret), hex. */
  readonly wrappedDataKeyHex: string;
  readonly chunks: number;
  readonly records: number;
  readonly bytes: number;
}

/** A file or byte range not accounted for as ciphertext under a known key. */
export interface VerifyFinding {
  readonly file: string;
  readonly offset?: number;
  readonly length?: number;
  readonly problem: string;
}

export interface VerifyReport {
  readonly segments: SegmentReport[];
  readonly findings: VerifyFinding[];
}

export interface VerifyOptions {
  /** The store directory (DATA/brokers/<id>/store). */
  readonly dataDir: string;
  readonly brokerId: string;
  readonly kmsKeyId: string;
  readonly keyProvider: KeyProvider;
  /**
   * Reads the KMS key and key-material version from a wrapped data key (the KMS's blob header, which
   * the store does not know: src/kms/ciphertext.ts's parseCiphertextHeader); throws if it is none.
   */
  readonly describeEncryptedDataKey: (encryptedDataKey: Buffer) => { readonly keyId: string; readonly materialVersion: number };
  /** The store's rollback anchor (its owner's record of how far the log had durably reached). */
  readonly anchor?: AnchorPosition;
}

const SEGMENT_CONTEXT_PURPOSE = 'segment';

/** Reads and authenticates every file of a segment store; never writes. */
export async function verifySegmentStore(options: VerifyOptions): Promise<VerifyReport> {
  const segments: SegmentReport[] = [];
  const findings: VerifyFinding[] = [];
  const entries = await readdir(options.dataDir, { withFileTypes: true });
  for (const entry of entries) {
    if (entry.name === SEGMENTS_DIR && entry.isDirectory()) continue;
    if (entry.name === FORMAT_FILE && entry.isFile()) {
      const text = await readFile(join(options.dataDir, FORMAT_FILE), 'utf8');
      if (text !== FORMAT_FILE_TEXT) findings.push({ file: FORMAT_FILE, problem: 'unexpected FORMAT file content' });
      continue;
    }
    findings.push({ file: entry.name, problem: 'unknown file: not part of the store format' });
  }
  const segmentsDir = join(options.dataDir, SEGMENTS_DIR);
  const authenticatedEnds = new Map<number, number>();
  for (const name of (await readdir(segmentsDir)).sort()) {
    const file = `${SEGMENTS_DIR}/${name}`;
    const segmentId = parseSegmentFileName(name);
    if (segmentId === undefined || !(await stat(join(segmentsDir, name))).isFile()) {
      findings.push({ file, problem: 'unknown file: not a segment' });
      continue;
    }
    const bytes = await readFile(join(segmentsDir, name));
    const verified = await verifySegment(options, file, segmentId, bytes, findings);
    if (verified !== undefined) {
      segments.push(verified.report);
      authenticatedEnds.set(segmentId, verified.authenticatedEnd);
    }
  }
  if (options.anchor !== undefined) checkAnchor(options.anchor, authenticatedEnds, findings);
  return { segments, findings };
}

/**
 * The log must reach the anchored position: the anchored segment at least `end` bytes long in
 * authenticated chunks, or a newer segment present (only the store writes one; the anchored one may
 * have been reclaimed since). Otherwise what was durable once is gone: a rollback.
 */
function checkAnchor(anchor: AnchorPosition, authenticatedEnds: Map<number, number>, findings: VerifyFinding[]): void {
  const file = `${SEGMENTS_DIR}/${segmentFileName(anchor.segmentId)}`;
  const newest = Math.max(0, ...authenticatedEnds.keys());
  const anchoredEnd = authenticatedEnds.get(anchor.segmentId);
  if (newest < anchor.segmentId) {
    findings.push({ file, problem: 'the segment the rollback anchor names is missing and nothing newer exists: the log was rolled back' });
  } else if (anchoredEnd !== undefined && anchoredEnd < anchor.end) {
    findings.push({ file, offset: anchoredEnd, problem: `the log ends before the rollback anchor (${anchor.end} bytes): the log was rolled back` });
  }
}

async function verifySegment(
  options: VerifyOptions,
  file: string,
  segmentId: number,
  bytes: Buffer,
  findings: VerifyFinding[],
): Promise<{ report: SegmentReport; authenticatedEnd: number } | undefined> {
  const header = decodeSegmentHeader(bytes);
  if (header === undefined || header === 'malformed' || header.segmentId !== segmentId) {
    findings.push({ file, offset: 0, length: bytes.length, problem: 'no valid segment header: the whole file is unaccounted for' });
    return undefined;
  }
  let kmsKeyId = 'unknown';
  let keyMaterialVersion = 0;
  try {
    const blob = options.describeEncryptedDataKey(header.encryptedDataKey);
    kmsKeyId = blob.keyId;
    keyMaterialVersion = blob.materialVersion;
  } catch {
    findings.push({ file, offset: 0, length: header.bytes.length, problem: 'the wrapped data key is not a KMS ciphertext blob' });
  }
  let plaintextDataKey: Buffer;
  try {
    plaintextDataKey = await options.keyProvider.decryptDataKey({
      encryptedDataKey: header.encryptedDataKey,
      encryptionContext: { 'aws:mq:broker-id': options.brokerId, purpose: SEGMENT_CONTEXT_PURPOSE },
      keyId: options.kmsKeyId,
    });
  } catch (error) {
    findings.push({ file, offset: 0, length: bytes.length, problem: `the data key does not unwrap (${(error as Error).name}): the file is not ciphertext under a known key` });
    return undefined;
  }
  let at = header.bytes.length;
  let chunks = 0;
  let records = 0;
  try {
    if (plaintextDataKey.length !== AEAD_KEY_BYTES) throw new Error('data key of the wrong size');
    while (at < bytes.length) {
      const chunkHeader = bytes.subarray(at, at + CHUNK_HEADER_BYTES);
      const sealed = chunkHeader.length === CHUNK_HEADER_BYTES ? chunkHeader.readUInt32BE(0) : 0;
      const end = at + CHUNK_HEADER_BYTES + sealed;
      const kind = chunks === 0 ? ChunkKind.META : ChunkKind.DATA;
      if (!chunkHeaderIntact(chunkHeader) || chunkHeader[4] !== kind || end > bytes.length) {
        findings.push({ file, offset: at, length: bytes.length - at, problem: 'bytes that are not a complete chunk (torn tail, changed header or appended data)' });
        break;
      }
      const aad = chunkAad({ brokerId: options.brokerId, segmentId, chunkIndex: chunks, fileOffset: at, chunkHeader, ...(chunks === 0 ? { segmentHeader: header.bytes } : {}) });
      let plaintext: Buffer;
      try {
        plaintext = aes256Gcm.open(plaintextDataKey, chunkNonce(chunks), aad, bytes.subarray(at + CHUNK_HEADER_BYTES, end));
      } catch {
        findings.push({ file, offset: at, length: end - at, problem: 'chunk fails authentication (changed bytes)' });
        break;
      }
      if (kind === ChunkKind.DATA) {
        const counted = countRecords(plaintext);
        if (counted === undefined) findings.push({ file, offset: at, length: end - at, problem: 'authenticated chunk with unparseable records' });
        else records += counted;
      }
      chunks++;
      at = end;
    }
  } finally {
    plaintextDataKey.fill(0);
  }
  const report: SegmentReport = {
    file,
    formatVersion: header.version,
    kmsKeyId,
    keyMaterialVersion,
    wrappedDataKeyHex: header.encryptedDataKey.toString('hex'),
    chunks,
    records,
    bytes: bytes.length,
  };
  return { report, authenticatedEnd: at };
}

/** Counts the records of a DATA chunk's plaintext (layouts in segment-format.ts); undefined when they do not parse. */
function countRecords(plaintext: Buffer): number | undefined {
  let at = 0;
  let count = 0;
  const str16 = () => {
    at += 2 + plaintext.readUInt16BE(at);
  };
  const bytes32 = () => {
    at += 4 + plaintext.readUInt32BE(at);
  };
  try {
    while (at < plaintext.length) {
      const type = plaintext.readUInt8(at);
      at += 1;
      switch (type) {
        case RecordType.MESSAGE:
        case RecordType.RELOCATED:
          str16();
          at += 6 + 4;
          str16();
          str16();
          bytes32();
          bytes32();
          break;
        case RecordType.REMOVE:
        case RecordType.DELIVERED: {
          str16();
          const n = plaintext.readUInt32BE(at);
          at += 4 + 6 * n;
          break;
        }
        case RecordType.PURGE:
          str16();
          at += 6;
          break;
        case RecordType.DELETE_QUEUE:
          str16();
          break;
        case RecordType.DROP_SEGMENT:
          at += 6;
          break;
        case RecordType.DEF_PUT:
          str16();
          bytes32();
          bytes32();
          break;
        case RecordType.DEF_DELETE:
          str16();
          bytes32();
          break;
        default:
          return undefined;
      }
      if (at > plaintext.length) return undefined;
      count++;
    }
  } catch {
    return undefined;
  }
  return count;
}
