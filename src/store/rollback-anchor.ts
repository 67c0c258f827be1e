// The rollback anchor of the segment store: a small, monotonic record of how far the store's log
// had durably reached, kept by the store's owner OUTSIDE the data directory (the supervisor keeps it
// with the control plane's sealed state). This file owns the port, the position it holds and two
// implementations (in memory, and a file sealed under the root key); when to write it and what a
// position behind it means at recovery are the store's (segment-message-store.ts, "Rollback").
//
// Why outside: every byte of an older state of the data directory is valid ciphertext in its
// place, so a copy of the directory taken earlier (or the newest segment cut at a chunk boundary)
// cannot be told from a crash by the files alone. A position remembered elsewhere can.

import { basename, dirname } from 'node:path';
import { removeTemporaryFiles, type RootKey } from '../crypto/root-key.ts';
import { readSealedJson, writeSealedJson } from '../crypto/sealed-file.ts';

/**
 * A durable position of one broker's log: segment `segmentId` held at least `end` bytes on disk.
 * Positions only grow: a later one has a larger segment id, or the same id and a larger end.
 */
export interface AnchorPosition {
  readonly brokerId: string;
  readonly segmentId: number;
  readonly end: number;
}

/** Where the store keeps its anchor. Supplied by the store's owner; one per broker. */
export interface RollbackAnchor {
  /** The position last written, or undefined if none ever was (a new store, or anchors turned on). */
  read(): Promise<AnchorPosition | undefined>;
  /** Replaces the position; resolves once it is durable. Never called with a smaller position. */
  write(position: AnchorPosition): Promise<void>;
}

/** Whether `a` is at or behind `b` in the log (same broker). */
export function anchorAtOrBefore(a: AnchorPosition, b: AnchorPosition): boolean {
  return a.segmentId < b.segmentId || (a.segmentId === b.segmentId && a.end <= b.end);
}

/** A position read back from an owner's storage; throws on anything else. */
export function parseAnchorPosition(value: unknown): AnchorPosition {
  const v = value as Partial<AnchorPosition> | null;
  if (
    typeof v !== 'object' ||
    v === null ||
    typeof v.brokerId !== 'string' ||
    v.brokerId.length === 0 ||
    !Number.isSafeInteger(v.segmentId) ||
    (v.segmentId as number) < 1 ||
    !Number.isSafeInteger(v.end) ||
    (v.end as number) < 0
  ) {
    throw new TypeError('rollback anchor has an unknown shape');
  }
  return { brokerId: v.brokerId, segmentId: v.segmentId as number, end: v.end as number };
}

/** Assertion shared by the implementations: positions only grow. */
function assertForward(previous: AnchorPosition | undefined, next: AnchorPosition): void {
  if (previous === undefined) return;
  if (previous.brokerId !== next.brokerId || !anchorAtOrBefore(previous, next)) {
    throw new RangeError('rollback anchor may only move forward');
  }
}

/** In memory: for tests, and for an owner that persists `position` itself. */
export class MemoryRollbackAnchor implements RollbackAnchor {
  position: AnchorPosition | undefined;
  writes = 0;

  constructor(position?: AnchorPosition) {
    this.position = position;
  }

  async read(): Promise<AnchorPosition | undefined> {
    return this.position;
  }

  async write(position: AnchorPosition): Promise<void> {
    assertForward(this.position, position);
    this.position = { ...position };
    this.writes++;
  }
}

const ANCHOR_PURPOSE_PREFIX = 'segment-store-anchor:';

/**
 * A file sealed under the root key (atomic replace, fsync, 0600), purpose bound to the broker id
 * so that one broker's anchor cannot stand in for another's. Put it outside the store's data
 * directory, beside the owner's other sealed state: an anchor copied back together with the data
 * directory proves nothing.
 */
export class FileRollbackAnchor implements RollbackAnchor {
  #last: AnchorPosition | undefined;

  constructor(
    readonly path: string,
    readonly rootKey: RootKey,
    readonly brokerId: string,
  ) {}

  async read(): Promise<AnchorPosition | undefined> {
    // A crash during a write leaves a temporary file beside the anchor (the anchor itself is whole).
    await removeTemporaryFiles(dirname(this.path), [basename(this.path)]).catch(() => undefined);
    const value = await readSealedJson<unknown>(this.path, this.rootKey, ANCHOR_PURPOSE_PREFIX + this.brokerId);
    this.#last = value === undefined ? undefined : parseAnchorPosition(value);
    return this.#last;
  }

  async write(position: AnchorPosition): Promise<void> {
    if (position.brokerId !== this.brokerId) throw new RangeError('rollback anchor belongs to another broker');
    assertForward(this.#last, position);
    await writeSealedJson(this.path, this.rootKey, ANCHOR_PURPOSE_PREFIX + this.brokerId, position);
    this.#last = { ...position };
  }
}
