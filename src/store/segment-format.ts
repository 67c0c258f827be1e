// The on-disk format of the segment store, version 1: layout constants, the segment header, chunk
// framing, the AAD and nonce of each chunk, and the records inside a chunk's plaintext. Pure bytes:
// no file I/O and no key handling (segment-message-store.ts does both). Every change to a layout
// below needs a new FORMAT_VERSION and a reader for the old one.
//
// Data directory (format 1)
// -------------------------
//
//   <dataDir>/
//     FORMAT                          "sealmq-segment-store 1\n"; plaintext, nothing secret
//     segments/
//       00000000000000000001.seg      one file per data key; the name is its segment id, nothing else
//       00000000000000000002.seg      (no queue name, queue id or routing key appears in any name)
//
// Segment file
// ------------
//
//   0      4      6        8                16
//   +------+------+--------+----------------+-------------------------------+
//   | SMQS | ver  | keyLen | segmentId u64  | encryptedDataKey (keyLen B)   |  segment header (plaintext,
//   |      | u16  | u16    | big-endian     | KMS blob, context below       |  authenticated by chunk 0)
//   +------+------+--------+----------------+-------------------------------+
//   | chunk 0   kind META: live older segments with their exact lengths,     |
//   |           queue table (id -> next offset), all definitions (JSON)      |
//   +-----------------------------------------------------------------------+
//   | chunk 1.. kind DATA: records of one group commit (one or more chunks)  |
//   +-----------------------------------------------------------------------+
//
//   The data key is generated for this segment alone by GenerateDataKey under the broker's KMS
//   key with encryption context {"aws:mq:broker-id": <broker id>, "purpose": "segment"}, so a
//   segment from another broker does not unwrap. A segment is never appended to after its writer
//   closes or crashes (the store opens a fresh segment on every start).
//
// Chunk (all integers big-endian)
// -------------------------------
//
//   0          4      5        8
//   +----------+------+--------+------------------------------------+----------+
//   | length   | kind | check  | ciphertext (length - 16 bytes)     | GCM tag  |
//   | u32      | u8   | u24    | AES-256-GCM of the chunk plaintext | 16 bytes |
//   +----------+------+--------+------------------------------------+----------+
//
//   check = low 24 bits of CRC-32 over bytes 0..4. Not security (the AAD covers the header); it
//   lets recovery tell a torn tail (header intact, body cut short) from a changed length field,
//   which must be reported as corruption, not silently truncated.
//
//   nonce = 00 00 00 00 || chunkIndex (u64)         chunkIndex = 0, 1, 2... within the segment;
//                                                   unique because the data key is per segment
//   AAD   = "SMQ1" || version u16 || len u16 || brokerId (UTF-8) || segmentId u64 || chunkIndex u64
//           || chunk file offset u64 || the 8 chunk header bytes || (chunk 0 only) the segment header
//
//   So a chunk authenticates only at its own position of its own segment of its own broker: moved,
//   reordered, duplicated or replayed chunks fail, and so does a header changed in any byte.
//
// Truncation and tails
//   Chunk 0 of the newest segment lists every older live segment with its exact length; an older
//   segment that is shorter, longer or missing is corruption (TRUNCATED / MALFORMED / MISSING_FILE).
//   Only the newest segment can end in a torn chunk (a crash during a write that was therefore
//   never acknowledged): recovery truncates a chunk that is cut short and reports it. A complete
//   chunk that fails authentication is never treated as torn: the store fails stop. What files
//   alone cannot show: the newest segment cut exactly at a chunk boundary, or the newest segment
//   file removed whole, looks like a crash before those writes (a rollback); detecting that needs
//   a monotonic anchor outside the data directory, which the store keeps when its owner supplies one
//   (rollback-anchor.ts; what stays undetectable even then is in the store's header comment).
//
// Records in a DATA chunk's plaintext (concatenated; str16 = u16 length + UTF-8; bytes32 = u32
// length + bytes; u48 = 6-byte unsigned)
//
//   MESSAGE       1 | queueId str16 | offset u48 | deliveryCount u32 | exchange str16
//                   | routingKey str16 | properties bytes32 | body bytes32
//   REMOVE        2 | queueId str16 | count u32 | offset u48 * count
//   DELIVERED     3 | queueId str16 | count u32 | offset u48 * count      (delivery count + 1)
//   PURGE         4 | queueId str16 | upToOffset u48                      (removes offsets below)
//   DELETE_QUEUE  5 | queueId str16
//   DROP_SEGMENT  6 | segmentId u48                                       (compaction deleted it)
//   DEF_PUT       7 | kind str16 | name bytes32 | record bytes32 (JSON)
//   DEF_DELETE    8 | kind str16 | name bytes32
//   RELOCATED     9 | same fields as MESSAGE: compaction's copy of a live message; replaces the
//                   original (which may sit in an older segment, or be gone with it)
//
// META chunk plaintext: UTF-8 JSON {"v":1,"live":[[segmentId,length]...],"queues":[[queueId,
// nextOffset]...],"definitions":[[kind,name,record]...]}.

import { crc32 } from 'node:zlib';
import { AEAD_NONCE_BYTES, AEAD_TAG_BYTES } from '../crypto/aead.ts';

export const FORMAT_VERSION = 1;
export const FORMAT_FILE = 'FORMAT';
export const FORMAT_FILE_TEXT = `sealmq-segment-store ${FORMAT_VERSION}\n`;
export const SEGMENTS_DIR = 'segments';
export const SEGMENT_SUFFIX = '.seg';
export const SEGMENT_MAGIC = Buffer.from('SMQS', 'latin1');
export const AAD_MAGIC = Buffer.from('SMQ1', 'latin1');
export const SEGMENT_HEADER_FIXED_BYTES = 16;
export const CHUNK_HEADER_BYTES = 8;
/** A chunk larger than this is malformed (largest message plus framing fits well below). */
export const CHUNK_BYTES_MAX = 512 * 1024 * 1024;
export const ENCRYPTED_DATA_KEY_BYTES_MAX = 4096;

export const ChunkKind = { META: 1, DATA: 2 } as const;
export type ChunkKind = (typeof ChunkKind)[keyof typeof ChunkKind];

export const RecordType = {
  MESSAGE: 1,
  REMOVE: 2,
  DELIVERED: 3,
  PURGE: 4,
  DELETE_QUEUE: 5,
  DROP_SEGMENT: 6,
  DEF_PUT: 7,
  DEF_DELETE: 8,
  RELOCATED: 9,
} as const;
export type RecordType = (typeof RecordType)[keyof typeof RecordType];

export function segmentFileName(segmentId: number): string {
  return `${String(segmentId).padStart(20, '0')}${SEGMENT_SUFFIX}`;
}

/** The segment id in a file name, or undefined for a name that is not a segment's. */
export function parseSegmentFileName(name: string): number | undefined {
  const match = /^(\d{20})\.seg$/.exec(name);
  if (match === null) return undefined;
  const id = Number(match[1]);
  return Number.isSafeInteger(id) && id > 0 ? id : undefined;
}

export function encodeSegmentHeader(segmentId: number, encryptedDataKey: Buffer): Buffer {
  if (encryptedDataKey.length === 0 || encryptedDataKey.length > ENCRYPTED_DATA_KEY_BYTES_MAX) {
    throw new RangeError('encrypted data key size out of bounds');
  }
  const header = Buffer.alloc(SEGMENT_HEADER_FIXED_BYTES + encryptedDataKey.length);
  SEGMENT_MAGIC.copy(header, 0);
  header.writeUInt16BE(FORMAT_VERSION, 4);
  header.writeUInt16BE(encryptedDataKey.length, 6);
  header.writeBigUInt64BE(BigInt(segmentId), 8);
  encryptedDataKey.copy(header, SEGMENT_HEADER_FIXED_BYTES);
  return header;
}

export interface SegmentHeader {
  readonly version: number;
  readonly segmentId: number;
  readonly encryptedDataKey: Buffer;
  /** The header's exact bytes (authenticated by chunk 0). */
  readonly bytes: Buffer;
}

/** Parses a header from the start of a file; `undefined` when too few bytes, throws on bad magic/version. */
export function decodeSegmentHeader(prefix: Buffer): SegmentHeader | undefined | 'malformed' {
  if (prefix.length < SEGMENT_HEADER_FIXED_BYTES) return undefined;
  if (!prefix.subarray(0, 4).equals(SEGMENT_MAGIC)) return 'malformed';
  const version = prefix.readUInt16BE(4);
  if (version !== FORMAT_VERSION) return 'malformed';
  const keyLength = prefix.readUInt16BE(6);
  if (keyLength === 0 || keyLength > ENCRYPTED_DATA_KEY_BYTES_MAX) return 'malformed';
  const segmentIdBig = prefix.readBigUInt64BE(8);
  if (segmentIdBig > BigInt(Number.MAX_SAFE_INTEGER)) return 'malformed';
  const total = SEGMENT_HEADER_FIXED_BYTES + keyLength;
  if (prefix.length < total) return undefined;
  const bytes = Buffer.from(prefix.subarray(0, total));
  return { version, segmentId: Number(segmentIdBig), encryptedDataKey: bytes.subarray(SEGMENT_HEADER_FIXED_BYTES), bytes };
}

export function encodeChunkHeader(kind: ChunkKind, sealedLength: number): Buffer {
  const header = Buffer.allocUnsafe(CHUNK_HEADER_BYTES);
  header.writeUInt32BE(sealedLength, 0);
  header.writeUInt8(kind, 4);
  header.writeUIntBE(crc32(header.subarray(0, 5)) & 0xffffff, 5, 3);
  return header;
}

/** Whether a chunk header's check field matches its length and kind. */
export function chunkHeaderIntact(header: Buffer): boolean {
  return header.length >= CHUNK_HEADER_BYTES && header.readUIntBE(5, 3) === (crc32(header.subarray(0, 5)) & 0xffffff);
}

/** The nonce of a chunk: unique per (data key, chunk index) because a data key serves one segment. */
export function chunkNonce(chunkIndex: number): Buffer {
  const nonce = Buffer.allocUnsafe(AEAD_NONCE_BYTES);
  nonce.writeUInt32BE(0, 0);
  nonce.writeBigUInt64BE(BigInt(chunkIndex), 4);
  return nonce;
}

export interface ChunkPlace {
  readonly brokerId: string;
  readonly segmentId: number;
  readonly chunkIndex: number;
  readonly fileOffset: number;
  readonly chunkHeader: Buffer;
  /** The segment header, bound into chunk 0 only. */
  readonly segmentHeader?: Buffer;
}

export function chunkAad(place: ChunkPlace): Buffer {
  const brokerId = Buffer.from(place.brokerId, 'utf8');
  const extra = place.segmentHeader?.length ?? 0;
  const aad = Buffer.allocUnsafe(4 + 2 + 2 + brokerId.length + 8 + 8 + 8 + CHUNK_HEADER_BYTES + extra);
  let at = AAD_MAGIC.copy(aad, 0);
  at = aad.writeUInt16BE(FORMAT_VERSION, at);
  at = aad.writeUInt16BE(brokerId.length, at);
  at += brokerId.copy(aad, at);
  at = aad.writeBigUInt64BE(BigInt(place.segmentId), at);
  at = aad.writeBigUInt64BE(BigInt(place.chunkIndex), at);
  at = aad.writeBigUInt64BE(BigInt(place.fileOffset), at);
  at += place.chunkHeader.copy(aad, at);
  if (place.segmentHeader !== undefined) place.segmentHeader.copy(aad, at);
  return aad;
}

/** The sealed length of a chunk whose plaintext has `plaintextLength` bytes. */
export function sealedLength(plaintextLength: number): number {
  return plaintextLength + AEAD_TAG_BYTES;
}

// ---- records -----------------------------------------------------------------------------------

/** Appends records into a growable buffer. */
export class RecordWriter {
  buffer: Buffer;
  length = 0;

  constructor(initialBytes = 64 * 1024) {
    this.buffer = Buffer.allocUnsafe(initialBytes);
  }

  reset(): void {
    this.length = 0;
  }

  /** Gives up the current buffer (whose first `length` bytes someone else now owns) for a new one. */
  detach(nextBytes: number): void {
    this.buffer = Buffer.allocUnsafe(nextBytes);
    this.length = 0;
  }

  #reserve(bytes: number): void {
    const needed = this.length + bytes;
    if (needed <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(needed, this.buffer.length * 2));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }

  u8(value: number): void {
    this.#reserve(1);
    this.length = this.buffer.writeUInt8(value, this.length);
  }
  u32(value: number): void {
    this.#reserve(4);
    this.length = this.buffer.writeUInt32BE(value, this.length);
  }
  u48(value: number): void {
    this.#reserve(6);
    this.length = this.buffer.writeUIntBE(value, this.length, 6);
  }
  str16(value: string): void {
    // Short ASCII strings (queue ids, exchanges, routing keys) are copied in JS: cheaper than a
    // native call per field on the append path.
    if (value.length <= 64) {
      this.#reserve(2 + value.length);
      const start = this.length + 2;
      let i = 0;
      for (; i < value.length; i++) {
        const code = value.charCodeAt(i);
        if (code >= 0x80) break;
        this.buffer[start + i] = code;
      }
      if (i === value.length) {
        this.buffer.writeUInt16BE(value.length, this.length);
        this.length = start + value.length;
        return;
      }
    }
    const bytes = Buffer.byteLength(value, 'utf8');
    if (bytes > 0xffff) throw new RangeError('string too long for the store (65535 bytes)');
    this.#reserve(2 + bytes);
    this.length = this.buffer.writeUInt16BE(bytes, this.length);
    this.length += this.buffer.write(value, this.length, bytes, 'utf8');
  }
  raw(value: Uint8Array): void {
    this.#reserve(value.length);
    this.buffer.set(value, this.length);
    this.length += value.length;
  }
  bytes32(value: Uint8Array): void {
    this.#reserve(4 + value.length);
    this.length = this.buffer.writeUInt32BE(value.length, this.length);
    this.buffer.set(value, this.length);
    this.length += value.length;
  }
  text32(value: string): void {
    const bytes = Buffer.byteLength(value, 'utf8');
    this.#reserve(4 + bytes);
    this.length = this.buffer.writeUInt32BE(bytes, this.length);
    this.length += this.buffer.write(value, this.length, bytes, 'utf8');
  }

  /** A copy of what was written. */
  take(): Buffer {
    return Buffer.from(this.buffer.subarray(0, this.length));
  }
}

/** Thrown for a record that cannot be parsed from an authenticated chunk: a bug or a format mismatch. */
export class RecordFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecordFormatError';
  }
}

/** Reads records from a chunk's plaintext; bounds-checked. */
export class RecordReader {
  at: number;
  constructor(
    readonly buffer: Buffer,
    start = 0,
  ) {
    this.at = start;
  }
  get done(): boolean {
    return this.at >= this.buffer.length;
  }
  #need(bytes: number): void {
    if (this.at + bytes > this.buffer.length) throw new RecordFormatError('record runs past the chunk');
  }
  u8(): number {
    this.#need(1);
    return this.buffer.readUInt8(this.at++);
  }
  u32(): number {
    this.#need(4);
    const value = this.buffer.readUInt32BE(this.at);
    this.at += 4;
    return value;
  }
  u48(): number {
    this.#need(6);
    const value = this.buffer.readUIntBE(this.at, 6);
    this.at += 6;
    return value;
  }
  str16(): string {
    this.#need(2);
    const length = this.buffer.readUInt16BE(this.at);
    this.at += 2;
    this.#need(length);
    const value = this.buffer.toString('utf8', this.at, this.at + length);
    this.at += length;
    return value;
  }
  /** A view into the chunk (copy it before handing it out). */
  bytes32(): Buffer {
    const length = this.u32();
    this.#need(length);
    const value = this.buffer.subarray(this.at, this.at + length);
    this.at += length;
    return value;
  }
  skipBytes32(): number {
    const length = this.u32();
    this.#need(length);
    this.at += length;
    return length;
  }
  text32(): string {
    const length = this.u32();
    this.#need(length);
    const value = this.buffer.toString('utf8', this.at, this.at + length);
    this.at += length;
    return value;
  }
}

/** The fields of a MESSAGE record, decoded from a chunk at a known position. */
export interface DecodedMessageRecord {
  readonly queueId: string;
  readonly offset: number;
  readonly deliveryCount: number;
  readonly exchange: string;
  readonly routingKey: string;
  readonly properties: Buffer;
  readonly body: Buffer;
}

/** Decodes the MESSAGE record at `position` of a chunk plaintext (after its type byte). */
export function decodeMessageAt(plaintext: Buffer, position: number): DecodedMessageRecord {
  const reader = new RecordReader(plaintext, position);
  const type = reader.u8();
  if (type !== RecordType.MESSAGE && type !== RecordType.RELOCATED) throw new RecordFormatError('not a message record');
  const queueId = reader.str16();
  const offset = reader.u48();
  const deliveryCount = reader.u32();
  const exchange = reader.str16();
  const routingKey = reader.str16();
  const properties = Buffer.from(reader.bytes32());
  const body = Buffer.from(reader.bytes32());
  return { queueId, offset, deliveryCount, exchange, routingKey, properties, body };
}

export interface MetaSnapshot {
  readonly v: 1;
  /** Older live segments and their exact byte lengths. */
  readonly live: readonly (readonly [number, number])[];
  readonly queues: readonly (readonly [string, number])[];
  readonly definitions: readonly (readonly [string, string, unknown])[];
}

export function encodeMeta(meta: MetaSnapshot): Buffer {
  return Buffer.from(JSON.stringify(meta), 'utf8');
}

export function decodeMeta(plaintext: Buffer): MetaSnapshot {
  const parsed: unknown = JSON.parse(plaintext.toString('utf8'));
  if (typeof parsed !== 'object' || parsed === null) throw new RecordFormatError('meta is not an object');
  const meta = parsed as Partial<MetaSnapshot>;
  if (meta.v !== 1 || !Array.isArray(meta.live) || !Array.isArray(meta.queues) || !Array.isArray(meta.definitions)) {
    throw new RecordFormatError('meta has an unknown shape');
  }
  return meta as MetaSnapshot;
}
