// verifySegmentStore over a real segment store with a test key provider: a clean store is fully
// accounted for (records counted per segment); a stray file, a flipped byte, bytes appended after
// the last chunk, a segment from another broker and a disabled key are each a finding; so is a log
// that ends behind the store's rollback anchor.
import assert from 'node:assert/strict';
import { appendFile, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createStoreFixture, segmentFiles, textMessage, type StoreFixture } from '../../test/store/store-fixture.ts';
import { MemoryRollbackAnchor, type AnchorPosition } from './rollback-anchor.ts';
import { verifySegmentStore } from './segment-verifier.ts';

const fixtures: StoreFixture[] = [];
after(async () => {
  for (const fixture of fixtures) await fixture.dispose();
});

async function storeWithMessages(): Promise<StoreFixture> {
  const fixture = await createStoreFixture();
  fixtures.push(fixture);
  const store = await fixture.open();
  await store.append([{ queueId: 'orders', message: textMessage('one', 100) }, { queueId: 'orders', message: textMessage('two', 100) }]);
  await store.append([{ queueId: 'orders', message: textMessage('three', 100) }]);
  await store.close();
  return fixture;
}

function verify(fixture: StoreFixture, brokerId = fixture.options.brokerId, anchor?: AnchorPosition) {
  return verifySegmentStore({
    ...(anchor === undefined ? {} : { anchor }),
    dataDir: fixture.dataDir,
    brokerId,
    kmsKeyId: fixture.options.kmsKeyId,
    keyProvider: fixture.keyProvider,
    describeEncryptedDataKey: () => ({ keyId: 'test-key', materialVersion: 1 }),
  });
}

describe('verifySegmentStore', () => {
  it('accounts for every byte of a clean store and counts its records', async () => {
    const fixture = await storeWithMessages();
    const report = await verify(fixture);
    assert.deepEqual(report.findings, []);
    assert.equal(report.segments.length, 1);
    assert.equal(report.segments[0]!.formatVersion, 1);
    assert.equal(report.segments[0]!.kmsKeyId, 'test-key');
    assert.ok(report.segments[0]!.records >= 3, `records: ${report.segments[0]!.records}`);
  });

  it('reports a stray plaintext file, a flipped byte and appended bytes, each with its file and range', async () => {
    const fixture = await storeWithMessages();
    const [segment] = await segmentFiles(fixture.dataDir);
    const path = join(fixture.dataDir, 'segments', segment!);
    await writeFile(join(fixture.dataDir, 'notes.txt'), 'plaintext');
    const bytes = await readFile(path);
    bytes[bytes.length - 5] = bytes[bytes.length - 5]! ^ 0x80;
    await writeFile(path, bytes);
    const report = await verify(fixture);
    assert.deepEqual(report.findings.map((f) => f.file), ['notes.txt', `segments/${segment!}`]);
    assert.match(report.findings[1]!.problem, /fails authentication/);
    assert.ok(report.findings[1]!.offset! + report.findings[1]!.length! === bytes.length);

    const clean = await storeWithMessages();
    const [cleanSegment] = await segmentFiles(clean.dataDir);
    await appendFile(join(clean.dataDir, 'segments', cleanSegment!), Buffer.from('appended plaintext'));
    const appended = await verify(clean);
    assert.equal(appended.findings.length, 1);
    assert.match(appended.findings[0]!.problem, /not a complete chunk/);
  });

  it('a segment of another broker, or under a key that cannot be used, is not accounted for', async () => {
    const fixture = await storeWithMessages();
    const otherBroker = await verify(fixture, 'b-99999999-2222-3333-4444-555555555555');
    assert.equal(otherBroker.segments.length, 0);
    assert.match(otherBroker.findings[0]!.problem, /does not unwrap|fails authentication/);
    fixture.keyProvider.disabled = true;
    const disabled = await verify(fixture);
    assert.match(disabled.findings[0]!.problem, /does not unwrap \(KeyUnavailableError\)/);
  });

  it('reports a log that ends behind the rollback anchor: the newest segment cut at a chunk boundary or removed', async () => {
    const anchor = new MemoryRollbackAnchor();
    const fixture = await createStoreFixture({ rollbackAnchor: anchor });
    fixtures.push(fixture);
    let store = await fixture.open();
    await store.append([{ queueId: 'orders', message: textMessage('one', 100) }]);
    await store.close();
    store = await fixture.open();
    await store.append([{ queueId: 'orders', message: textMessage('two', 100) }]);
    const files = await segmentFiles(fixture.dataDir);
    const newest = join(fixture.dataDir, 'segments', files[files.length - 1]!);
    const boundary = (await stat(newest)).size;
    await store.append([{ queueId: 'orders', message: textMessage('three', 100) }]);
    await store.close();
    assert.deepEqual((await verify(fixture, undefined, anchor.position)).findings, []);

    await truncate(newest, boundary);
    const cut = await verify(fixture, undefined, anchor.position);
    assert.equal(cut.findings.length, 1);
    assert.equal(cut.findings[0]!.offset, boundary);
    assert.match(cut.findings[0]!.problem, /rolled back/);

    await rm(newest);
    const removed = await verify(fixture, undefined, anchor.position);
    assert.equal(removed.findings.length, 1);
    assert.match(removed.findings[0]!.problem, /missing.*rolled back/);
  });
});
