import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAuditList, runAuditVerify } from './audit-commands.ts';
import { buildTrail, readLines, writeLines } from './test-trail.ts';
import { digestSigningString } from './trail-format.ts';
import type { DigestFile } from './trail-format.ts';

test('audit verify exits 0 on an untouched trail and 1 with a finding line after tampering', async () => {
  const trail = await buildTrail();
  const scratch = await mkdtemp(join(tmpdir(), 'sealmq-audit-cmd-'));
  try {
    const publicKeyFile = join(scratch, 'audit-public-key.pem');
    await writeFile(publicKeyFile, trail.publicKeyPem);
    const clean = await runAuditVerify({ dir: trail.dir, publicKeyFile });
    assert.equal(clean.exitCode, 0, clean.output);
    assert.match(clean.output, /Result: VALID/);
    const file = trail.seals[0]!.logFiles[0]!;
    const lines = await readLines(trail.dir, file);
    await writeLines(trail.dir, file, lines.slice(1));
    const tampered = await runAuditVerify({ dir: trail.dir, publicKeyFile });
    assert.equal(tampered.exitCode, 1);
    assert.match(tampered.output, /^INVALID deleted: logs\//m);
    const json = await runAuditVerify({ dir: trail.dir, publicKeyFile, json: true });
    assert.equal(json.exitCode, 1);
    assert.equal((JSON.parse(json.output) as { valid: boolean }).valid, false);
  } finally {
    await trail.cleanup();
    await rm(scratch, { recursive: true, force: true });
  }
});

test('audit verify and audit list exit 2 when there is no trail or a time is not a time', async () => {
  const missing = join(tmpdir(), 'sealmq-no-such-trail');
  assert.equal((await runAuditVerify({ dir: missing })).exitCode, 2);
  assert.equal((await runAuditList({ dir: missing })).exitCode, 2);
  const trail = await buildTrail();
  try {
    assert.equal((await runAuditVerify({ dir: trail.dir, from: 'last tuesday' })).exitCode, 2);
    assert.equal((await runAuditList({ dir: trail.dir, since: 'last tuesday' })).exitCode, 2);
  } finally {
    await trail.cleanup();
  }
});

test('audit list --since prints one line per event from that time on', async () => {
  const trail = await buildTrail();
  try {
    const all = await runAuditList({ dir: trail.dir });
    assert.equal(all.output.split('\n').length, 18);
    const since = await runAuditList({ dir: trail.dir, since: '2026-11-29T00:04:00Z' });
    assert.equal(since.exitCode, 0);
    assert.deepEqual(
      since.output.split('\n').map((line) => line.trim().split(/\s+/)[3]),
      ['ListBrokers', 'ListBrokers'],
    );
    const json = await runAuditList({ dir: trail.dir, eventName: 'UpdateBroker', limit: 1, json: true });
    assert.equal((JSON.parse(json.output) as { eventName: string }).eventName, 'UpdateBroker');
  } finally {
    await trail.cleanup();
  }
});

test('openssl verifies an Ed25519 digest signature with the exported public key (interop)', async (t) => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
  } catch {
    t.skip('openssl not installed');
    return;
  }
  const trail = await buildTrail();
  const scratch = await mkdtemp(join(tmpdir(), 'sealmq-audit-openssl-'));
  try {
    const digestFile = trail.seals[2]!.digestFile;
    const bytes = await readFile(join(trail.dir, digestFile));
    const digest = JSON.parse(bytes.toString('utf8')) as DigestFile;
    const data = join(scratch, 'data.txt');
    const sig = join(scratch, 'sig.bin');
    await writeFile(data, digestSigningString(digest, bytes));
    await writeFile(sig, Buffer.from((await readFile(join(trail.dir, `${digestFile}.sig`), 'utf8')).trim(), 'hex'));
    const verify = () =>
      execFileSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', join(trail.dir, 'public-key.pem'), '-rawin', '-in', data, '-sigfile', sig], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    assert.match(verify(), /Signature Verified Successfully/);
    await writeFile(data, `${digestSigningString(digest, bytes)}x`);
    assert.throws(verify);
  } finally {
    await trail.cleanup();
    await rm(scratch, { recursive: true, force: true });
  }
});
