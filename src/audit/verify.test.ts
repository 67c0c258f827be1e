import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { copyFile, cp, mkdtemp, readdir, readFile, rm, truncate, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { generateSigningKey, staticSigningKeyLoader } from './signing-key.ts';
import { FileAuditTrail } from './audit-trail.ts';
import { formatVerifyReport, verifyAuditTrail, type AuditFinding, type AuditVerifyReport } from './verify.ts';
import { buildTrail, parse, readLines, rechain, writeLines, apiEvent, type BuiltTrail } from './test-trail.ts';
import { encodeEventLine } from './trail-format.ts';

async function withTrail(run: (trail: BuiltTrail) => Promise<void>): Promise<void> {
  const trail = await buildTrail();
  try {
    await run(trail);
  } finally {
    await trail.cleanup();
  }
}

function findingsOf(report: AuditVerifyReport, kind: AuditFinding['kind']): AuditFinding[] {
  return report.findings.filter((finding) => finding.kind === kind);
}

function assertFinding(report: AuditVerifyReport, kind: AuditFinding['kind'], file?: string): AuditFinding {
  assert.equal(report.valid, false, 'the report must be invalid');
  const found = findingsOf(report, kind).find((finding) => file === undefined || finding.file === file);
  assert.ok(found, `expected a ${kind} finding${file === undefined ? '' : ` for ${file}`}; got:\n${formatVerifyReport(report).join('\n')}`);
  return found;
}

/** The first file of the third digest: a sealed file in the middle of the trail. */
function middleFile(trail: BuiltTrail): string {
  return trail.seals[2]!.logFiles[0]!;
}

test('an untouched trail with several files, an empty interval and an unsealed tail verifies clean', async () => {
  await withTrail(async (trail) => {
    assert.ok(trail.seals[0]!.logFiles.length >= 2, 'the first interval spans several files');
    assert.deepEqual(trail.seals[1]!.logFiles, [], 'the second interval is empty and sealed anyway');
    const report = await verifyAuditTrail({ dir: trail.dir, publicKeyPem: trail.publicKeyPem });
    assert.deepEqual(report.findings, []);
    assert.equal(report.valid, true);
    assert.equal(report.keySource, 'pinned');
    assert.deepEqual(report.digests, { checked: 4, valid: 4 });
    assert.equal(report.events.sealed, 16);
    assert.equal(report.unsealed?.firstSequence, 17);
    assert.equal(report.unsealed?.lastSequence, 18);
    const lines = formatVerifyReport(report);
    assert.equal(lines.at(-1), 'Result: VALID');
    assert.ok(lines.some((line) => line.startsWith('Not yet sealed: events 17..18')));
    // Without a pinned key the trail's own public keys are used, and the report says so.
    const unpinned = await verifyAuditTrail({ dir: trail.dir });
    assert.equal(unpinned.valid, true);
    assert.equal(unpinned.keySource, 'trail');
  });
});

test('flipping one byte of a sealed event is reported as modified, with its file and time range', async () => {
  await withTrail(async (trail) => {
    const file = middleFile(trail);
    const bytes = await readFile(join(trail.dir, file));
    const firstLineEnd = bytes.indexOf(0x0a);
    const target = firstLineEnd + 1 + 150; // inside the second event's JSON
    bytes[target] = bytes[target]! ^ 0x01;
    await writeFile(join(trail.dir, file), bytes);
    const report = await verifyAuditTrail({ dir: trail.dir, publicKeyPem: trail.publicKeyPem });
    const finding = assertFinding(report, 'modified', file);
    assert.ok(finding.fromTime !== undefined && finding.toTime !== undefined, 'the finding has a time range');
    assert.ok(formatVerifyReport(report).at(-1)!.startsWith('Result: INVALID'));
  });
});

test('deleting one sealed event is reported as deleted, naming the missing sequence number', async () => {
  await withTrail(async (trail) => {
    const file = middleFile(trail);
    const lines = await readLines(trail.dir, file);
    const removed = parse(lines[1]!);
    lines.splice(1, 1);
    await writeLines(trail.dir, file, lines);
    const report = await verifyAuditTrail({ dir: trail.dir, publicKeyPem: trail.publicKeyPem });
    const event = findingsOf(report, 'deleted').find((finding) => finding.firstSequence === removed.sequence && finding.lastSequence === removed.sequence);
    assert.ok(event, formatVerifyReport(report).join('\n'));
    // The sealed file's own check says which file lost it.
    assertFinding(report, 'deleted', file);
  });
});

test('a forged event inserted with the whole chain recomputed after it is caught by the sealed file hash', async () => {
  await withTrail(async (trail) => {
    const file = middleFile(trail);
    const files = (await readdir(join(trail.dir, 'logs'))).map((name) => `logs/${name}`).sort();
    const start = files.indexOf(file);
    const perFile = await Promise.all(files.slice(start).map(async (name) => (await readLines(trail.dir, name)).map(parse)));
    const records = perFile.flat();
    const forgedAfter = 0;
    const forged = encodeEventLine(1, '0'.repeat(64), { ...records[forgedAfter]!.event, eventName: 'DeleteBroker', eventID: 'forged' }).line;
    records.splice(forgedAfter + 1, 0, parse(forged.slice(0, -1)));
    // Re-chain from the forged event to the end of the trail: the hash chain alone is now consistent.
    const chained = rechain(records, forgedAfter + 1);
    let offset = 0;
    for (const [index, name] of files.slice(start).entries()) {
      const count = perFile[index]!.length + (index === 0 ? 1 : 0);
      await writeLines(trail.dir, name, chained.slice(offset, offset + count));
      offset += count;
    }
    const report = await verifyAuditTrail({ dir: trail.dir, publicKeyPem: trail.publicKeyPem });
    assert.equal(findingsOf(report, 'modified').filter((finding) => finding.message.includes('does not match its hash')).length, 0, 'each event is self-consistent');
    assertFinding(report, 'inserted', file);
  });
});

test('swapping two sealed events is reported as reordered', async () => {
  await withTrail(async (trail) => {
    const file = middleFile(trail);
    const lines = await readLines(trail.dir, file);
    [lines[0], lines[1]] = [lines[1]!, lines[0]!];
    await writeLines(trail.dir, file, lines);
    const report = await verifyAuditTrail({ dir: trail.dir, publicKeyPem: trail.publicKeyPem });
    assert.ok(findingsOf(report, 'reordered').length >= 2, 'both the event chain and the sealed file say so');
    assertFinding(report, 'reordered', file);
    assert.equal(findingsOf(report, 'deleted').length, 0, 'a swap is not a deletion');
  });
});

test('deleting a digest in the middle breaks the digest chain and reports the unverifiable interval', async () => {
  await withTrail(async (trail) => {
    const deleted = trail.seals[1]!.digestFile;
    await unlink(join(trail.dir, deleted));
    await unlink(join(trail.dir, `${deleted}.sig`));
    const report = await verifyAuditTrail({ dir: trail.dir, publicKeyPem: trail.publicKeyPem });
    const finding = assertFinding(report, 'digest-missing');
    assert.equal(finding.file, deleted);
    assert.ok(finding.fromTime !== undefined && finding.toTime !== undefined);
  });
});

test('deleting the newest digest is caught against head.json and against an external anchor', async () => {
  await withTrail(async (trail) => {
    const newest = trail.seals.at(-1)!;
    const anchor = { digestFile: newest.digestFile, digestSignature: newest.digestSignature };
    await unlink(join(trail.dir, newest.digestFile));
    const report = await verifyAuditTrail({ dir: trail.dir, publicKeyPem: trail.publicKeyPem });
    assertFinding(report, 'digest-missing', newest.digestFile);
    // An attacker who also deletes head.json is still caught by the anchor kept elsewhere.
    await unlink(join(trail.dir, 'head.json'));
    const anchored = await verifyAuditTrail({ dir: trail.dir, publicKeyPem: trail.publicKeyPem, anchor });
    assertFinding(anchored, 'digest-missing', newest.digestFile);
  });
});

test('truncating the newest sealed log file is reported as truncated, mid-line or at a line boundary', async () => {
  for (const cut of ['mid-line', 'line-boundary'] as const) {
    await withTrail(async (trail) => {
      // Seal the tail so that the newest log file is sealed.
      const reopened = await FileAuditTrail.open({ dir: trail.dir, clock: trail.clock, signingKeyLoader: staticSigningKeyLoader(trail.privateKey), digestIntervalMs: 0 });
      const final = await reopened.seal();
      await reopened.close();
      const newestFile = final.logFiles.at(-1)!;
      const lines = await readLines(trail.dir, newestFile);
      const text = lines.map((line) => `${line}\n`).join('');
      const keep = cut === 'mid-line' ? text.length - 40 : text.length - lines.at(-1)!.length - 1;
      await truncate(join(trail.dir, newestFile), keep);
      const report = await verifyAuditTrail({ dir: trail.dir, publicKeyPem: trail.publicKeyPem });
      assertFinding(report, 'truncated', newestFile);
    });
  }
});

test('a torn line in the unsealed tail is reported as truncated', async () => {
  await withTrail(async (trail) => {
    const file = trail.unsealedFiles.at(-1)!;
    const size = (await readFile(join(trail.dir, file))).length;
    await truncate(join(trail.dir, file), size - 30);
    const report = await verifyAuditTrail({ dir: trail.dir, publicKeyPem: trail.publicKeyPem });
    assertFinding(report, 'truncated', file);
  });
});

test('a modified digest fails its signature and its successor hash check', async () => {
  await withTrail(async (trail) => {
    const digest = trail.seals[1]!.digestFile;
    const text = await readFile(join(trail.dir, digest), 'utf8');
    await writeFile(join(trail.dir, digest), text.replace(/"digestEndTime": "([^"]+)"/, (_, time: string) => `"digestEndTime": "${time.replace(/.$/, 'X')}"`));
    const report = await verifyAuditTrail({ dir: trail.dir, publicKeyPem: trail.publicKeyPem });
    assertFinding(report, 'signature-invalid', digest);
    assertFinding(report, 'modified', digest);
  });
});

test('a digest copied to another place is reported as moved', async () => {
  await withTrail(async (trail) => {
    const digest = trail.seals[1]!.digestFile;
    const copy = 'digests/00000099-20261129T235959Z.json';
    await copyFile(join(trail.dir, digest), join(trail.dir, copy));
    await copyFile(join(trail.dir, `${digest}.sig`), join(trail.dir, `${copy}.sig`));
    const report = await verifyAuditTrail({ dir: trail.dir, publicKeyPem: trail.publicKeyPem });
    const finding = assertFinding(report, 'digest-invalid', copy);
    assert.match(finding.message, /moved/);
  });
});

test('digests signed with a different key fail against the pinned public key', async () => {
  await withTrail(async (trail) => {
    const otherPem = createPublicKey(generateSigningKey()).export({ format: 'pem', type: 'spki' }).toString();
    const report = await verifyAuditTrail({ dir: trail.dir, publicKeyPem: otherPem });
    const finding = assertFinding(report, 'signature-invalid', trail.seals[0]!.digestFile);
    assert.match(finding.message, /public key not found for fingerprint/);
    assert.equal(report.digests.valid, 0);
  });
});

test('a trail continued by someone with another signing key fails against the pinned key', async () => {
  await withTrail(async (trail) => {
    const intruder = await FileAuditTrail.open({ dir: trail.dir, clock: trail.clock, signingKeyLoader: staticSigningKeyLoader(generateSigningKey()), digestIntervalMs: 0 });
    intruder.record(apiEvent('DeleteBroker'));
    const seal = await intruder.seal();
    await intruder.close();
    const pinned = await verifyAuditTrail({ dir: trail.dir, publicKeyPem: trail.publicKeyPem });
    assertFinding(pinned, 'signature-invalid', seal.digestFile);
    // The trail's own key history accepts the rotation; only a pinned key tells.
    const unpinned = await verifyAuditTrail({ dir: trail.dir });
    assert.equal(unpinned.valid, true, formatVerifyReport(unpinned).join('\n'));
    assert.equal(unpinned.publicKeyFingerprints.length, 2);
  });
});

test('a deleted sealed log file is reported as missing with its sequence range', async () => {
  await withTrail(async (trail) => {
    const file = middleFile(trail);
    await unlink(join(trail.dir, file));
    const report = await verifyAuditTrail({ dir: trail.dir, publicKeyPem: trail.publicKeyPem });
    const finding = assertFinding(report, 'file-missing', file);
    assert.ok(finding.firstSequence !== undefined && finding.lastSequence !== undefined);
  });
});

test('from/to limit the findings reported to the time range asked for', async () => {
  await withTrail(async (trail) => {
    const file = middleFile(trail);
    const lines = await readLines(trail.dir, file);
    lines.splice(1, 1);
    await writeLines(trail.dir, file, lines);
    const before = await verifyAuditTrail({ dir: trail.dir, publicKeyPem: trail.publicKeyPem, to: '2026-11-29T00:00:30Z' });
    assert.equal(before.valid, true, formatVerifyReport(before).join('\n'));
    const whole = await verifyAuditTrail({ dir: trail.dir, publicKeyPem: trail.publicKeyPem });
    assert.equal(whole.valid, false);
  });
});

test('any single flipped byte in a sealed log file or a digest is reported', async () => {
  const trail = await buildTrail();
  const scratch = await mkdtemp(join(tmpdir(), 'sealmq-audit-flip-'));
  try {
    const sealed = [...trail.seals.flatMap((seal) => seal.logFiles), ...trail.seals.map((seal) => seal.digestFile)];
    const contents = await Promise.all(sealed.map((file) => readFile(join(trail.dir, file))));
    await fc.assert(
      fc.asyncProperty(fc.nat(sealed.length - 1), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.integer({ min: 1, max: 255 }), async (fileIndex, at, mask) => {
        const copy = join(scratch, 'trail');
        await rm(copy, { recursive: true, force: true });
        await cp(trail.dir, copy, { recursive: true });
        const bytes = Buffer.from(contents[fileIndex]!);
        const position = Math.floor(at * bytes.length);
        bytes[position] = bytes[position]! ^ mask;
        await writeFile(join(copy, sealed[fileIndex]!), bytes);
        const report = await verifyAuditTrail({ dir: copy, publicKeyPem: trail.publicKeyPem });
        assert.equal(report.valid, false, `flip at ${sealed[fileIndex]}:${position}`);
      }),
      { numRuns: 25 },
    );
  } finally {
    await trail.cleanup();
    await rm(scratch, { recursive: true, force: true });
  }
});
