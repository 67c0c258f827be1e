import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { appendFile, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditEventType, AuditSinkError, type AuditSinkFailure } from '../core/audit-sink.ts';
import { FakeClock } from '../core/clock.ts';
import { FileAuditTrail, AuditTrailError } from './audit-trail.ts';
import { listAuditEvents } from './list.ts';
import { fileSigningKeyLoader, generateSigningKey, staticSigningKeyLoader } from './signing-key.ts';
import { apiEvent, START_MS } from './test-trail.ts';
import { formatVerifyReport, verifyAuditTrail } from './verify.ts';
import type { DigestFile, TrailHead } from './trail-format.ts';

async function withDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'sealmq-audit-trail-'));
  try {
    await run(join(dir, 'audit'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function digestFiles(dir: string): Promise<DigestFile[]> {
  const names = (await readdir(join(dir, 'digests'))).filter((name) => name.endsWith('.json')).sort();
  return Promise.all(names.map(async (name) => JSON.parse(await readFile(join(dir, 'digests', name), 'utf8')) as DigestFile));
}

async function assertValid(dir: string, publicKeyPem?: string): Promise<void> {
  const report = await verifyAuditTrail({ dir, publicKeyPem });
  assert.equal(report.valid, true, formatVerifyReport(report).join('\n'));
}

test('the clock seals every interval, empty intervals included, and each digest chains to the one before', async () => {
  await withDir(async (dir) => {
    const clock = new FakeClock(START_MS);
    const heads: TrailHead[] = [];
    const trail = await FileAuditTrail.open({
      dir,
      clock,
      signingKeyLoader: staticSigningKeyLoader(generateSigningKey()),
      digestIntervalMs: 60_000,
      onSeal: (head) => heads.push(head),
    });
    trail.record(apiEvent('CreateBroker'));
    await trail.flush();
    for (let i = 0; i < 3; i++) {
      clock.advance(60_000);
      await trail.flush(); // waits for the seal the timer started
    }
    const digests = await digestFiles(dir);
    assert.equal(digests.length, 3);
    assert.equal(digests[0]!.logFiles.length, 1);
    assert.deepEqual(digests[1]!.logFiles, []);
    assert.deepEqual(digests[2]!.logFiles, []);
    assert.equal(digests[0]!.previousDigestFile, null);
    assert.equal(digests[1]!.previousDigestFile, digests[0]!.digestFile);
    assert.equal(digests[1]!.digestStartTime, digests[0]!.digestEndTime);
    assert.equal(digests[2]!.oldestEventTime, null, 'an empty digest has no event times');
    assert.equal(heads.length, 3);
    assert.equal(heads.at(-1)!.digestFile, digests[2]!.digestFile);
    assert.equal(trail.stats().digestsWritten, 3);
    await trail.close();
    await assertValid(dir);
  });
});

test('a reopened trail continues the event chain and the digest chain', async () => {
  await withDir(async (dir) => {
    const clock = new FakeClock(START_MS);
    const loader = staticSigningKeyLoader(generateSigningKey());
    const first = await FileAuditTrail.open({ dir, clock, signingKeyLoader: loader, digestIntervalMs: 0 });
    first.record(apiEvent('CreateBroker'));
    first.record(apiEvent('CreateUser'));
    await first.close();
    clock.advance(5_000);
    const second = await FileAuditTrail.open({ dir, clock, signingKeyLoader: loader, digestIntervalMs: 0, sealOnClose: false });
    second.record(apiEvent('RebootBroker'));
    await second.close();
    clock.advance(5_000);
    const third = await FileAuditTrail.open({ dir, clock, signingKeyLoader: loader, digestIntervalMs: 0 });
    third.record(apiEvent('DeleteBroker'));
    await third.close();
    const digests = await digestFiles(dir);
    assert.equal(digests.length, 2);
    assert.equal(digests[1]!.previousDigestFile, digests[0]!.digestFile);
    assert.deepEqual(digests[1]!.chainStart, digests[0]!.chainEnd);
    assert.equal(digests[1]!.chainEnd.sequence, 4);
    assert.equal(digests[1]!.logFiles.length, 2, 'the unsealed file of the second run is sealed by the third');
    await assertValid(dir);
    const listed = await listAuditEvents({ dir });
    assert.deepEqual(
      listed.events.map((entry) => [entry.sequence, entry.event.eventName]),
      [
        [1, 'CreateBroker'],
        [2, 'CreateUser'],
        [3, 'RebootBroker'],
        [4, 'DeleteBroker'],
      ],
    );
  });
});

test('a line torn by a crash in the unsealed tail is cut off on open and the repair is recorded', async () => {
  await withDir(async (dir) => {
    const clock = new FakeClock(START_MS);
    const loader = staticSigningKeyLoader(generateSigningKey());
    const first = await FileAuditTrail.open({ dir, clock, signingKeyLoader: loader, digestIntervalMs: 0, sealOnClose: false });
    first.record(apiEvent('CreateBroker'));
    await first.close();
    const [logName] = await readdir(join(dir, 'logs'));
    await appendFile(join(dir, 'logs', logName!), '{"sequence":2,"previousHash":"ab');
    const second = await FileAuditTrail.open({ dir, clock, signingKeyLoader: loader, digestIntervalMs: 0 });
    await second.close();
    const names = (await listAuditEvents({ dir })).events.map((entry) => entry.event.eventName);
    assert.deepEqual(names, ['CreateBroker', 'AuditLogTailRepaired']);
    await assertValid(dir);
  });
});

test('a tampered unsealed tail refuses to open rather than continue a broken chain', async () => {
  await withDir(async (dir) => {
    const clock = new FakeClock(START_MS);
    const loader = staticSigningKeyLoader(generateSigningKey());
    const first = await FileAuditTrail.open({ dir, clock, signingKeyLoader: loader, digestIntervalMs: 0, sealOnClose: false });
    first.record(apiEvent('CreateBroker'));
    first.record(apiEvent('DeleteBroker'));
    await first.close();
    const [logName] = await readdir(join(dir, 'logs'));
    const path = join(dir, 'logs', logName!);
    const lines = (await readFile(path, 'utf8')).split('\n');
    await rm(path);
    await appendFile(path, `${lines[1]}\n`); // the first event deleted
    await assert.rejects(FileAuditTrail.open({ dir, clock, signingKeyLoader: loader, digestIntervalMs: 0 }), AuditTrailError);
    await rm(path);
    await appendFile(path, `${lines[0]}\n${lines[1]!.replace('DeleteBroker', 'DescribeBroker')}\n`); // the last event edited
    await assert.rejects(FileAuditTrail.open({ dir, clock, signingKeyLoader: loader, digestIntervalMs: 0 }), AuditTrailError);
  });
});

test('a full queue fails the trail: reported once, counted, and flush rejects (never a silent drop)', async () => {
  await withDir(async (dir) => {
    const failures: AuditSinkFailure[] = [];
    const trail = await FileAuditTrail.open({
      dir,
      clock: new FakeClock(START_MS),
      signingKeyLoader: staticSigningKeyLoader(generateSigningKey()),
      digestIntervalMs: 0,
      queueMaxEvents: 3,
      onFailure: (failure) => failures.push(failure),
    });
    for (let i = 0; i < 5; i++) trail.record(apiEvent('DescribeBroker')); // synchronously: nothing written yet
    assert.equal(trail.failure?.code, 'AUDIT_QUEUE_FULL');
    assert.equal(failures.length, 1);
    const stats = trail.stats();
    assert.equal(stats.recordedEvents, 3);
    assert.equal(stats.rejectedEvents, 2);
    await assert.rejects(trail.flush(), (error: unknown) => error instanceof AuditSinkError && error.code === 'AUDIT_QUEUE_FULL');
    trail.record(apiEvent('DescribeBroker'));
    assert.equal(trail.stats().rejectedEvents, 3, 'a failed trail keeps refusing and counting');
    await trail.close();
  });
});

test('a failing disk fails the trail with AUDIT_WRITE_FAILED', async () => {
  await withDir(async (dir) => {
    const failures: AuditSinkFailure[] = [];
    const trail = await FileAuditTrail.open({
      dir,
      clock: new FakeClock(START_MS),
      signingKeyLoader: staticSigningKeyLoader(generateSigningKey()),
      digestIntervalMs: 0,
      onFailure: (failure) => failures.push(failure),
    });
    await rm(join(dir, 'logs'), { recursive: true }); // the next log file cannot be created
    trail.record(apiEvent('CreateBroker'));
    await assert.rejects(trail.flush(), (error: unknown) => error instanceof AuditSinkError && error.code === 'AUDIT_WRITE_FAILED');
    assert.equal(failures.length, 1);
    assert.match(failures[0]!.message, /ENOENT/);
    await trail.close();
  });
});

test('log files rotate by size and every file is sealed', async () => {
  await withDir(async (dir) => {
    const trail = await FileAuditTrail.open({
      dir,
      clock: new FakeClock(START_MS),
      signingKeyLoader: staticSigningKeyLoader(generateSigningKey()),
      digestIntervalMs: 0,
      logFileMaxBytes: 1_000,
    });
    for (let i = 0; i < 10; i++) trail.record(apiEvent('DescribeBroker'));
    const seal = await trail.seal();
    await trail.close();
    assert.ok(seal.logFiles.length >= 5, `${seal.logFiles.length} files`);
    for (const file of seal.logFiles) assert.ok((await stat(join(dir, file))).size <= 1_000);
    await assertValid(dir);
  });
});

test('the file key loader creates a 0600 key once, and the public key is exported beside the trail', async () => {
  await withDir(async (dir) => {
    const keyPath = join(dir, '..', 'keys', 'audit-signing-key.pem');
    const loader = fileSigningKeyLoader(keyPath);
    const trail = await FileAuditTrail.open({ dir, clock: new FakeClock(START_MS), signingKeyLoader: loader, digestIntervalMs: 0 });
    await trail.close();
    assert.equal((await stat(keyPath)).mode & 0o777, 0o600);
    const again = await loader.loadSigningKey();
    const publicKeyPem = await readFile(join(dir, 'public-key.pem'), 'utf8');
    assert.equal(createPublicKey(again).export({ format: 'pem', type: 'spki' }).toString(), publicKeyPem);
    assert.equal((await readdir(join(dir, 'public-keys'))).length, 1);
    assert.ok(!(await readdir(dir)).some((name) => name.includes('signing-key')), 'the private key is not in the trail directory');
    await assertValid(dir, publicKeyPem);
  });
});

test('an RSA signing key signs SHA256withRSA digests that verify', async () => {
  await withDir(async (dir) => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const trail = await FileAuditTrail.open({ dir, clock: new FakeClock(START_MS), signingKeyLoader: staticSigningKeyLoader(privateKey), digestIntervalMs: 0 });
    trail.record(apiEvent('CreateBroker'));
    await trail.close();
    const [digest] = await digestFiles(dir);
    assert.equal(digest!.digestSignatureAlgorithm, 'SHA256withRSA');
    await assertValid(dir, publicKey.export({ format: 'pem', type: 'spki' }).toString());
  });
});

test('listAuditEvents filters by time, name and count', async () => {
  await withDir(async (dir) => {
    const clock = new FakeClock(START_MS);
    const trail = await FileAuditTrail.open({ dir, clock, signingKeyLoader: staticSigningKeyLoader(generateSigningKey()), digestIntervalMs: 0 });
    for (const name of ['CreateBroker', 'DescribeBroker', 'CreateUser', 'DescribeBroker', 'DeleteBroker']) {
      trail.record(apiEvent(name));
      clock.advance(60_000);
    }
    await trail.close();
    const since = new Date(START_MS + 60_000).toISOString();
    const until = new Date(START_MS + 4 * 60_000).toISOString();
    const names = async (options: Parameters<typeof listAuditEvents>[0]) => (await listAuditEvents(options)).events.map((entry) => entry.event.eventName);
    assert.deepEqual(await names({ dir, since, until }), ['DescribeBroker', 'CreateUser', 'DescribeBroker']);
    assert.deepEqual(await names({ dir, eventName: 'DescribeBroker' }), ['DescribeBroker', 'DescribeBroker']);
    assert.deepEqual(await names({ dir, limit: 2 }), ['CreateBroker', 'DescribeBroker']);
    await assert.rejects(listAuditEvents({ dir, since: 'yesterday-ish' }), RangeError);
  });
});

test('passwords, secret access keys, session and grant tokens and message bodies never reach the trail files', async () => {
  await withDir(async (dir) => {
    const secrets = {
      password: 'Tr0ub4dor&3-horse-battery',
      secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      sessionToken: 'FwoGZXIvYXdzEXAMPLESESSIONTOKEN0123456789',
      grantToken: 'AQpAM2RhZTk1MGMyNTk2ZmZmMzEyYWVhOWViGRANT',
      body: 'message body marker 7f3c2b1a9d',
      ldapPassword: 'ldap-bind-secret-4711',
    };
    const trail = await FileAuditTrail.open({ dir, clock: new FakeClock(START_MS), signingKeyLoader: staticSigningKeyLoader(generateSigningKey()), digestIntervalMs: 0 });
    trail.record(apiEvent('CreateBroker', { requestParameters: { brokerName: 'orders', users: [{ username: 'app', password: secrets.password }], ldapServerMetadata: { serviceAccountPassword: secrets.ldapPassword, hosts: [`ldaps://svc:${secrets.ldapPassword}@ldap.example.com`] } } }));
    trail.record(apiEvent('CreateAccessKey', { eventSource: 'iam.amazonaws.com', responseElements: { accessKey: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: secrets.secretAccessKey } } }));
    trail.record(apiEvent('Decrypt', { eventSource: 'kms.amazonaws.com', requestParameters: { CiphertextBlob: Buffer.from('blob'), GrantTokens: [secrets.grantToken] }, responseElements: { Plaintext: Buffer.from(secrets.body) } }));
    trail.record(apiEvent('AssumeRole', { requestParameters: { 'x-amz-security-token': secrets.sessionToken }, responseElements: { credentials: { sessionToken: secrets.sessionToken } } }));
    trail.record({ eventSource: 'sealmq.broker', eventName: 'PermissionRefused', eventType: AuditEventType.BrokerUserEvent, userIdentity: { type: 'BrokerUser', userName: 'app' }, additionalEventData: { exchange: 'orders', body: secrets.body }, errorCode: 'ACCESS_REFUSED' });
    await trail.close();
    const files: string[] = [];
    const walk = async (path: string) => {
      for (const entry of await readdir(path, { withFileTypes: true })) {
        if (entry.isDirectory()) await walk(join(path, entry.name));
        else files.push(join(path, entry.name));
      }
    };
    await walk(dir);
    assert.ok(files.length >= 5);
    for (const file of files) {
      const text = await readFile(file, 'utf8');
      for (const [name, secret] of Object.entries(secrets)) assert.ok(!text.includes(secret), `${name} found in ${file}`);
    }
    const events = (await listAuditEvents({ dir })).events;
    assert.equal(events.length, 5, 'the events are recorded, only their secrets are not');
    await assertValid(dir);
  });
});

test('an oversized or uncopyable parameter bag is replaced by a note, and the call is still recorded', async () => {
  await withDir(async (dir) => {
    const trail = await FileAuditTrail.open({ dir, clock: new FakeClock(START_MS), signingKeyLoader: staticSigningKeyLoader(generateSigningKey()), digestIntervalMs: 0, eventSizeMaxBytes: 4_096 });
    trail.record(apiEvent('CreateConfiguration', { requestParameters: { name: 'x'.repeat(10_000) } }));
    const hostile = {};
    Object.defineProperty(hostile, 'boom', { enumerable: true, get: () => { throw new Error('no'); } });
    trail.record(apiEvent('UpdateConfiguration', { requestParameters: hostile }));
    await trail.close();
    const events = (await listAuditEvents({ dir })).events.map((entry) => entry.event);
    assert.deepEqual(events.map((event) => event.eventName), ['CreateConfiguration', 'UpdateConfiguration']);
    assert.equal(events[0]!.requestParameters, undefined);
    assert.match(String(events[0]!.additionalEventData?.['auditNote']), /over the 4096-byte limit/);
    assert.match(String(events[1]!.additionalEventData?.['auditNote']), /could not be recorded/);
    await assertValid(dir);
  });
});
