// Tampering with the segment files: every changed byte, truncation, reordered, duplicated, moved,
// replayed or foreign data is detected and reported with file and offset, and never delivered.

import assert from 'node:assert/strict';
import { copyFile, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CorruptionReason, StoreCorruptionError } from '../core/message-store.ts';
import { bodyText, createStoreFixture, readQueue, segmentFiles, textMessage, type StoreFixture } from '../../test/store/store-fixture.ts';
import { TestKeyProvider } from '../../test/store/test-key-provider.ts';
import { CHUNK_HEADER_BYTES, SEGMENT_HEADER_FIXED_BYTES } from './segment-format.ts';
import { SegmentMessageStore } from './segment-message-store.ts';

/** Byte ranges of a segment file: the header, then each chunk. */
function chunkRanges(bytes: Buffer): { start: number; end: number }[] {
  const headerEnd = SEGMENT_HEADER_FIXED_BYTES + bytes.readUInt16BE(6);
  const ranges = [{ start: 0, end: headerEnd }];
  let at = headerEnd;
  while (at + CHUNK_HEADER_BYTES <= bytes.length) {
    const end = at + CHUNK_HEADER_BYTES + bytes.readUInt32BE(at);
    ranges.push({ start: at, end });
    at = end;
  }
  return ranges;
}

/**
 * Two segments on disk: an older one (fixed length, named in the newer one's META) holding
 * old-0..old-5 in three chunks, and the newest holding new-0..new-3 in two chunks.
 */
async function twoSegmentStore(): Promise<{ fixture: StoreFixture; older: string; newest: string }> {
  const fixture = await createStoreFixture();
  let store = await fixture.open();
  for (let i = 0; i < 6; i += 2) {
    await store.append([
      { queueId: 'orders', message: textMessage(`old-${i}`, 300) },
      { queueId: 'orders', message: textMessage(`old-${i + 1}`, 300) },
    ]);
  }
  await store.close();
  store = await fixture.open();
  await store.append([{ queueId: 'orders', message: textMessage('new-0', 300) }, { queueId: 'audit', message: textMessage('new-1', 300) }]);
  await store.append([{ queueId: 'orders', message: textMessage('new-2', 300) }, { queueId: 'audit', message: textMessage('new-3', 300) }]);
  await store.close();
  const files = await segmentFiles(fixture.dataDir);
  assert.equal(files.length, 2);
  return { fixture, older: join('segments', files[0]!), newest: join('segments', files[1]!) };
}

async function expectCorruption(
  fixture: StoreFixture,
  file: string,
  atMost: number,
  reasons: readonly string[] = Object.values(CorruptionReason),
): Promise<StoreCorruptionError> {
  let caught: unknown;
  try {
    const store = await fixture.open();
    await store.close();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof StoreCorruptionError, `expected StoreCorruptionError, got ${String(caught)}`);
  assert.equal(caught.file, file);
  assert.ok(caught.offset <= atMost, `offset ${caught.offset} should be at or before ${atMost}`);
  assert.ok(reasons.includes(caught.reason), `reason ${caught.reason}`);
  return caught;
}

describe('SegmentMessageStore tampering', () => {
  it('detects a single flipped byte anywhere in header, META and data chunks of every segment', async () => {
    const { fixture, older, newest } = await twoSegmentStore();
    try {
      for (const file of [older, newest]) {
        const path = join(fixture.dataDir, file);
        const pristine = await readFile(path);
        const ranges = chunkRanges(pristine);
        const positions = new Set<number>();
        // Every byte of the header and of each chunk header, the first and last bytes of every
        // chunk body, and a spread of positions through the bodies.
        for (const { start, end } of ranges) {
          for (let p = start; p < Math.min(end, start + (start === 0 ? end : CHUNK_HEADER_BYTES + 2)); p++) positions.add(p);
          positions.add(end - 1);
          for (let p = start; p < end; p += 97) positions.add(p);
        }
        for (const position of [...positions].sort((a, b) => a - b)) {
          const bad = Buffer.from(pristine);
          bad[position]! ^= 0x40;
          await writeFile(path, bad);
          const chunkStart = ranges.find((r) => position >= r.start && position < r.end)!.start;
          await expectCorruption(fixture, file, Math.max(chunkStart, 0) + (chunkStart === 0 ? pristine.length : 0));
        }
        await writeFile(path, pristine);
      }
      const store = await fixture.open();
      assert.equal((await readQueue(store, 'orders')).length, 8, 'untouched files still open');
      await store.close();
    } finally {
      await fixture.dispose();
    }
  });

  it('detects truncation of an older segment, by a byte or by whole chunks', async () => {
    const { fixture, older } = await twoSegmentStore();
    try {
      const path = join(fixture.dataDir, older);
      const pristine = await readFile(path);
      const ranges = chunkRanges(pristine);
      await writeFile(path, pristine.subarray(0, pristine.length - 1));
      await expectCorruption(fixture, older, pristine.length, [CorruptionReason.TRUNCATED]);
      await writeFile(path, pristine.subarray(0, ranges.at(-1)!.start));
      await expectCorruption(fixture, older, pristine.length, [CorruptionReason.TRUNCATED]);
      await writeFile(path, Buffer.concat([pristine, pristine.subarray(ranges.at(-1)!.start)]));
      await expectCorruption(fixture, older, pristine.length, [CorruptionReason.MALFORMED]);
    } finally {
      await fixture.dispose();
    }
  });

  it('detects reordered and duplicated chunks in older and newest segments', async () => {
    const { fixture, older, newest } = await twoSegmentStore();
    try {
      for (const file of [older, newest]) {
        const path = join(fixture.dataDir, file);
        const pristine = await readFile(path);
        const [header, meta, first, second] = chunkRanges(pristine);
        assert.ok(header && meta && first && second);
        const piece = (r: { start: number; end: number }): Buffer => pristine.subarray(r.start, r.end);
        const rest = pristine.subarray(second.end);
        // Swap two data chunks.
        await writeFile(path, Buffer.concat([piece(header), piece(meta), piece(second), piece(first), rest]));
        await expectCorruption(fixture, file, first.start);
        // Replay the first data chunk in place of the second.
        await writeFile(path, Buffer.concat([piece(header), piece(meta), piece(first), piece(first), rest]));
        await expectCorruption(fixture, file, pristine.length);
        // Duplicate the last chunk at the end.
        const last = chunkRanges(pristine).at(-1)!;
        await writeFile(path, Buffer.concat([pristine, piece(last)]));
        await expectCorruption(fixture, file, pristine.length);
        await writeFile(path, pristine);
      }
    } finally {
      await fixture.dispose();
    }
  });

  it('truncating the newest segment mid-chunk is reported as a torn tail and the cut messages are not delivered', async () => {
    const { fixture, newest } = await twoSegmentStore();
    try {
      const path = join(fixture.dataDir, newest);
      const pristine = await readFile(path);
      const last = chunkRanges(pristine).at(-1)!;
      await writeFile(path, pristine.subarray(0, last.end - 5));
      const store = await fixture.open();
      const torn = fixture.events.find((e) => e.type === 'torn-tail');
      assert.ok(torn?.type === 'torn-tail' && torn.file === newest && torn.offset === last.start);
      assert.deepEqual((await readQueue(store, 'audit')).map(bodyText), ['new-1']);
      assert.deepEqual((await readQueue(store, 'orders')).map(bodyText).slice(-2), ['old-5', 'new-0']);
      await store.close();
    } finally {
      await fixture.dispose();
    }
  });

  it('detects segment files swapped within a broker, deleted, or taken from another broker', async () => {
    const { fixture, older, newest } = await twoSegmentStore();
    const other = await createStoreFixture({ brokerId: 'b-99999999-8888-7777-6666-555555555555' });
    try {
      const olderPath = join(fixture.dataDir, older);
      const newestPath = join(fixture.dataDir, newest);
      const olderBytes = await readFile(olderPath);
      // Swap the two files' names.
      await rename(olderPath, `${olderPath}.tmp`);
      await rename(newestPath, olderPath);
      await rename(`${olderPath}.tmp`, newestPath);
      await expectCorruption(fixture, newest, 0, [CorruptionReason.MALFORMED]);
      await rename(newestPath, `${olderPath}.tmp`);
      await rename(olderPath, newestPath);
      await rename(`${olderPath}.tmp`, olderPath);
      // A live older segment deleted.
      await rm(olderPath);
      await expectCorruption(fixture, older, 0, [CorruptionReason.MISSING_FILE]);
      await writeFile(olderPath, olderBytes);

      // Another broker's segment of the same number, same KMS key, same KeyProvider.
      const sameKms = new TestKeyProvider();
      const mine = await SegmentMessageStore.open({ ...fixture.options, dataDir: other.dataDir, keyProvider: sameKms, brokerId: 'b-mine' });
      await mine.append([{ queueId: 'orders', message: textMessage('mine', 300) }]);
      await mine.close();
      const theirs = await createStoreFixture({ brokerId: 'b-theirs', keyProvider: sameKms });
      const t = await theirs.open();
      await t.append([{ queueId: 'orders', message: textMessage('theirs', 300) }]);
      await t.close();
      const [mineFirst] = await segmentFiles(other.dataDir);
      const [theirFirst] = await segmentFiles(theirs.dataDir);
      await copyFile(join(theirs.dataDir, 'segments', theirFirst!), join(other.dataDir, 'segments', mineFirst!));
      let caught: unknown;
      try {
        await SegmentMessageStore.open({ ...fixture.options, dataDir: other.dataDir, keyProvider: sameKms, brokerId: 'b-mine' });
      } catch (error) {
        caught = error;
      }
      assert.ok(caught instanceof StoreCorruptionError);
      assert.equal(caught.reason, CorruptionReason.AUTHENTICATION_FAILED);
      assert.equal(caught.file, join('segments', mineFirst!));
      await theirs.dispose();
    } finally {
      await fixture.dispose();
      await other.dispose();
    }
  });

  it('ignores and removes a deleted segment copied back in (replay), without resurrecting its messages', async () => {
    const fixture = await createStoreFixture();
    try {
      let store = await fixture.open();
      const [offset] = await store.append([{ queueId: 'q', message: textMessage('acked', 100) }]);
      const first = (await segmentFiles(fixture.dataDir))[0]!;
      await store.close();
      const saved = await readFile(join(fixture.dataDir, 'segments', first));
      store = await fixture.open();
      await store.remove('q', [offset!]);
      await store.settle();
      await store.close();
      assert.ok(!(await segmentFiles(fixture.dataDir)).includes(first), 'the acknowledged segment was deleted');
      // Copied back while the newest segment still records its deletion: read as a lost unlink.
      await writeFile(join(fixture.dataDir, 'segments', first), saved);
      store = await fixture.open();
      assert.deepEqual(await readQueue(store, 'q'), []);
      await store.close();
      assert.ok(!(await segmentFiles(fixture.dataDir)).includes(first));
      // Copied back later: not in the live set at all, so reported as stale and removed.
      await writeFile(join(fixture.dataDir, 'segments', first), saved);
      store = await fixture.open();
      assert.deepEqual(await readQueue(store, 'q'), []);
      assert.ok(fixture.events.some((e) => e.type === 'stale-segment-removed' && e.file === join('segments', first)));
      await store.close();
    } finally {
      await fixture.dispose();
    }
  });

  it('a byte changed under a running store is reported on read and the message is not returned', async () => {
    const { fixture, older } = await twoSegmentStore();
    try {
      const store = await fixture.open();
      const path = join(fixture.dataDir, older);
      const bytes = await readFile(path);
      const ranges = chunkRanges(bytes);
      const target = ranges[2]!;
      bytes[target.start + CHUNK_HEADER_BYTES + 3]! ^= 1;
      await writeFile(path, bytes);
      const error = await store.read('orders', 0, 100).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(error instanceof StoreCorruptionError);
      assert.equal(error.file, older);
      assert.equal(error.offset, target.start);
      assert.ok(fixture.events.some((e) => e.type === 'corruption'));
      await assert.rejects(store.read('audit', 0, 10), /failed/, 'the store fails stop');
      await store.close();
    } finally {
      await fixture.dispose();
    }
  });
});
