// Rollback detection (issue #3): with a rollback anchor kept outside the data directory,
// an older copy of the directory, the newest segment removed or cut at a chunk boundary, and an
// emptied directory are refused as corruption; without one (the control case) the same cut goes
// unseen. Also: the anchor's write rate is bounded, a store that had no anchor is trusted as found,
// another broker's anchor is refused, a failing anchor is reported without stopping the store, and
// the sealed file implementation only moves forward and is bound to its broker.

import assert from 'node:assert/strict';
import { cp, mkdtemp, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CorruptionReason, StoreCorruptionError } from '../core/message-store.ts';
import { openRootKey } from '../crypto/root-key.ts';
import { SealedFileError } from '../crypto/sealed-file.ts';
import { createStoreFixture, readQueue, textMessage, type StoreFixture } from '../../test/store/store-fixture.ts';
import { FileRollbackAnchor, MemoryRollbackAnchor, type AnchorPosition, type RollbackAnchor } from './rollback-anchor.ts';
import { SEGMENTS_DIR } from './segment-format.ts';
import type { SegmentMessageStore } from './segment-message-store.ts';

const fixtures: StoreFixture[] = [];
const dirs: string[] = [];
after(async () => {
  for (const f of fixtures) await f.dispose();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function fixture(anchor?: RollbackAnchor, more: { anchorEverySyncs?: number; anchorIntervalMs?: number } = {}): Promise<StoreFixture> {
  const f = await createStoreFixture(anchor === undefined ? more : { rollbackAnchor: anchor, ...more });
  fixtures.push(f);
  return f;
}

async function segmentFiles(dataDir: string): Promise<string[]> {
  return (await readdir(join(dataDir, SEGMENTS_DIR))).filter((n) => n.endsWith('.seg')).sort();
}

/** Appends one message per group commit and returns the newest segment's size after each one. */
async function appendEach(store: SegmentMessageStore, dataDir: string, texts: string[]): Promise<number[]> {
  const sizes: number[] = [];
  for (const text of texts) {
    await store.append([{ queueId: 'q', message: textMessage(text, 200) }]);
    const files = await segmentFiles(dataDir);
    sizes.push((await stat(join(dataDir, SEGMENTS_DIR, files[files.length - 1]!))).size);
  }
  return sizes;
}

async function assertCorruption(open: Promise<unknown>, reason: CorruptionReason): Promise<StoreCorruptionError> {
  let caught: unknown;
  try {
    const store = (await open) as SegmentMessageStore;
    await store.close();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof StoreCorruptionError, `expected a StoreCorruptionError, got ${String(caught)}`);
  assert.equal(caught.reason, reason);
  return caught;
}

describe('rollback detection with an anchor outside the data directory', () => {
  it('without an anchor, the newest segment cut at a chunk boundary goes unseen (the gap the anchor closes)', async () => {
    const f = await fixture();
    const store = await f.open();
    const sizes = await appendEach(store, f.dataDir, ['m0', 'm1', 'm2']);
    const files = await segmentFiles(f.dataDir);
    await store.close();
    await truncate(join(f.dataDir, SEGMENTS_DIR, files[files.length - 1]!), sizes[0]!);
    const reopened = await f.open();
    assert.deepEqual((await readQueue(reopened, 'q')).length, 1);
    await reopened.close();
  });

  it('the newest segment cut at a chunk boundary is refused as TRUNCATED at the cut', async () => {
    const anchor = new MemoryRollbackAnchor();
    const f = await fixture(anchor);
    const store = await f.open();
    const sizes = await appendEach(store, f.dataDir, ['m0', 'm1', 'm2']);
    const files = await segmentFiles(f.dataDir);
    await store.close();
    const newest = files[files.length - 1]!;
    assert.equal(anchor.position?.end, sizes[2], 'close anchors the last durable byte');
    await truncate(join(f.dataDir, SEGMENTS_DIR, newest), sizes[0]!);
    const error = await assertCorruption(f.open(), CorruptionReason.TRUNCATED);
    assert.equal(error.file, join(SEGMENTS_DIR, newest));
    assert.equal(error.offset, sizes[0]);
    assert.ok(f.events.some((e) => e.type === 'corruption'), 'reported upward');
  });

  it('the newest segment removed whole is refused as MISSING_FILE', async () => {
    const anchor = new MemoryRollbackAnchor();
    const f = await fixture(anchor);
    let store = await f.open();
    await appendEach(store, f.dataDir, ['a']);
    await store.close();
    store = await f.open();
    await appendEach(store, f.dataDir, ['b']);
    await store.close();
    const files = await segmentFiles(f.dataDir);
    await rm(join(f.dataDir, SEGMENTS_DIR, files[files.length - 1]!));
    const error = await assertCorruption(f.open(), CorruptionReason.MISSING_FILE);
    assert.equal(error.file, join(SEGMENTS_DIR, files[files.length - 1]!));
  });

  it('an older copy of the whole data directory put back is refused, and so is an emptied one', async () => {
    const anchor = new MemoryRollbackAnchor();
    const f = await fixture(anchor);
    let store = await f.open();
    await appendEach(store, f.dataDir, ['kept']);
    await store.close();
    const copy = await mkdtemp(join(tmpdir(), 'sealmq-rollback-copy-'));
    dirs.push(copy);
    await cp(f.dataDir, copy, { recursive: true });
    store = await f.open();
    await appendEach(store, f.dataDir, ['later', 'and-later']);
    await store.close();

    await rm(f.dataDir, { recursive: true });
    await cp(copy, f.dataDir, { recursive: true });
    await assertCorruption(f.open(), CorruptionReason.MISSING_FILE);

    await rm(join(f.dataDir, SEGMENTS_DIR), { recursive: true });
    await assertCorruption(f.open(), CorruptionReason.MISSING_FILE);
  });

  it('a newest segment that was complete when anchored and is now cut inside its header is TRUNCATED, not a torn creation', async () => {
    const anchor = new MemoryRollbackAnchor();
    const f = await fixture(anchor);
    const store = await f.open();
    await appendEach(store, f.dataDir, ['x']);
    await store.close();
    const files = await segmentFiles(f.dataDir);
    await truncate(join(f.dataDir, SEGMENTS_DIR, files[files.length - 1]!), 10);
    await assertCorruption(f.open(), CorruptionReason.TRUNCATED);
    assert.deepEqual(await segmentFiles(f.dataDir), files, 'nothing was deleted');
  });

  it('writes the anchor at a bounded rate: every N group commits, after the interval, at open and on close', async () => {
    const anchor = new MemoryRollbackAnchor();
    const f = await fixture(anchor, { anchorEverySyncs: 5, anchorIntervalMs: 60_000 });
    const store = await f.open();
    assert.equal(anchor.writes, 1, 'anchored at open');
    await appendEach(store, f.dataDir, Array.from({ length: 20 }, (_, i) => `m${i}`));
    await store.settle();
    // 20 commits, one anchor per 5 (each written once the previous write is done).
    assert.ok(anchor.writes >= 3 && anchor.writes <= 5, `anchor writes: ${anchor.writes}`);
    await store.close();
    const files = await segmentFiles(f.dataDir);
    const newest = files[files.length - 1]!;
    assert.equal(anchor.position?.end, (await stat(join(f.dataDir, SEGMENTS_DIR, newest))).size);

    const timed = new MemoryRollbackAnchor();
    const g = await fixture(timed, { anchorEverySyncs: 1_000_000, anchorIntervalMs: 5 });
    const other = await g.open();
    const before = timed.writes;
    await appendEach(other, g.dataDir, ['one']);
    // Waits for the timer's write (bounded, so that a missing write fails instead of hanging).
    for (let i = 0; i < 2000 && timed.writes === before; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.ok(timed.writes > before, 'the interval wrote the anchor without a close');
    const files2 = await segmentFiles(g.dataDir);
    assert.equal(timed.position?.end, (await stat(join(g.dataDir, SEGMENTS_DIR, files2[files2.length - 1]!))).size);
    await other.close();
  });

  it('a store that had no anchor is trusted as found and anchored at open; another broker\'s anchor is refused', async () => {
    const f = await fixture();
    const store = await f.open();
    await appendEach(store, f.dataDir, ['before-anchors']);
    await store.close();
    const anchor = new MemoryRollbackAnchor();
    const reopened = await f.open({ rollbackAnchor: anchor });
    assert.equal((await readQueue(reopened, 'q')).length, 1);
    assert.equal(anchor.position?.brokerId, f.options.brokerId);
    await reopened.close();

    const foreign = new MemoryRollbackAnchor({ brokerId: 'b-someone-else', segmentId: 1, end: 1 });
    await assert.rejects(f.open({ rollbackAnchor: foreign }), /another broker/);
  });

  it('a failing anchor is reported and the store keeps serving', async () => {
    const failing: RollbackAnchor = {
      read: async () => undefined,
      write: async () => {
        throw new Error('control plane unavailable');
      },
    };
    const f = await fixture(failing, { anchorEverySyncs: 1 });
    const store = await f.open();
    await appendEach(store, f.dataDir, ['still-works']);
    assert.equal((await readQueue(store, 'q')).length, 1);
    await store.close();
    assert.ok(f.events.some((e) => e.type === 'anchor-write-failed'));
  });
});

describe('FileRollbackAnchor', () => {
  it('round-trips, only moves forward, is bound to its broker and sealed (changed bytes are refused)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sealmq-anchor-'));
    dirs.push(dir);
    const rootKey = await openRootKey({ dir });
    const path = join(dir, 'anchor.sealed');
    const anchor = new FileRollbackAnchor(path, rootKey, 'b-one');
    assert.equal(await anchor.read(), undefined);
    const position: AnchorPosition = { brokerId: 'b-one', segmentId: 3, end: 4096 };
    await anchor.write(position);
    assert.deepEqual(await new FileRollbackAnchor(path, rootKey, 'b-one').read(), position);
    await assert.rejects(anchor.write({ brokerId: 'b-one', segmentId: 3, end: 100 }), /forward/);
    await assert.rejects(anchor.write({ brokerId: 'b-one', segmentId: 2, end: 9999 }), /forward/);
    await anchor.write({ brokerId: 'b-one', segmentId: 4, end: 10 });
    await assert.rejects(anchor.write({ brokerId: 'b-two', segmentId: 5, end: 10 }), /another broker/);
    await assert.rejects(new FileRollbackAnchor(path, rootKey, 'b-two').read(), SealedFileError);
    await writeFile(path, Buffer.from('SMQSEAL1 not really sealed'));
    await assert.rejects(anchor.read(), SealedFileError);
  });
});
