// The audit trail of a real `sealmq serve`, end to end (issue 5 "Must show"). A run that uses
// passwords (broker users, a failed broker login), secret access keys, a session token, KMS
// plaintext and message bodies, then stops: (1) every API call is in the trail as a CloudTrail-like
// event, and so is the creation of the default broker (a CreateBroker by the service itself); (2) a scan of every log line and every file under DATA/audit finds none of those secrets,
// raw, base64 or hex, nor does any other file under the data directory but the three 0600 files
// meant to hand a secret to its owner, with the server logging at trace level; (3) `sealmq audit verify` passes on the untouched trail and (4) fails, naming the
// modified event, once one event is changed. Then, each on its own copy of the untouched trail, the
// tampering CloudTrail's log file validation is meant to catch: a flipped byte, a deleted event, a
// forged event inserted with a correct hash of its own, two events swapped, a deleted digest file and
// the newest log file truncated; the real CLI exits 1 and names the kind of damage and its time range.
import assert from 'node:assert/strict';
import { cp, readdir, readFile, rm, stat, truncate, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DecryptCommand, EncryptCommand, GenerateDataKeyCommand, ListKeysCommand, CreateKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { BadRequestException, CreateBrokerCommand, CreateUserCommand, DescribeBrokerCommand, UpdateUserCommand, type MqClient } from '@aws-sdk/client-mq';
import amqplib from 'amqplib';
import type { AuditEvent } from '../../src/core/audit-sink.ts';
import { computeEventHash, type EventRecord } from '../../src/audit/trail-format.ts';
import { createPrincipal, kmsClient, mqClient, readBrokerCredentials, runCli, signedRequest, startServer, type RunningServer } from '../helpers/server.ts';

const BROKER_PASSWORD = 'Audit-Broker-Secret-7Q1';
const USER_PASSWORD = 'Audit-User-Secret-3X9';
const UPDATED_PASSWORD = 'Audit-Updated-Secret-5K2';
const WRONG_PASSWORD = 'Audit-Wrong-Secret-8M4';
const SESSION_TOKEN = 'AuditSessionTokenMarker0123456789';
const KMS_PLAINTEXT = 'audit-kms-plaintext-marker-4d1c';
const MESSAGE_BODY = 'audit-message-body-marker-9e2b';
const RETURNED_BODY = 'audit-returned-body-marker-1f7a';
const NACKED_BODY = 'audit-nacked-body-marker-6c3d';
const REFUSED_PASSWORD = 'Audit-Refused:Secret-2W8';
const LDAP_SERVICE_PASSWORD = 'Audit-Ldap-Service-Secret-4H6';
const LDAP_URL_PASSWORD = 'AuditLdapUrlSecret0P3';
/** Files that exist to hand a secret to its owner (0600): the admin's access key, the default broker's password, the metrics token. */
const SECRET_FILES = ['credentials', 'broker-credentials', 'metrics-token'];

let server: RunningServer;
let mq: MqClient;
let kms: KMSClient;
/** Every secret used in the run, as text; binary ones are added as base64 and hex. */
const secrets: { name: string; value: string }[] = [];
let dataKeyPlaintext: Uint8Array | undefined;
let stoppedOutput = '';
/** A copy of the trail taken right after the server stopped, before any test changes it. */
let pristineTrail: string | undefined;

before(async () => {
  // A short digest interval, so the run is sealed by several digests and not only by the final one.
  // The most verbose log level, so that the scan below sees every log line the code can write.
  server = await startServer({ env: { SEALMQ_AUDIT_DIGEST_INTERVAL_MS: '500', SEALMQ_LOG_LEVEL: 'trace' } });
  mq = mqClient(server);
  kms = kmsClient(server);
});
after(async () => {
  mq?.destroy();
  kms?.destroy();
  await server?.stop();
});

function withCredentials(endpoint: string, username: string, password: string): string {
  const url = new URL(endpoint);
  url.username = encodeURIComponent(username);
  url.password = encodeURIComponent(password);
  return url.toString();
}

async function allFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await allFiles(path)));
    else out.push(path);
  }
  return out;
}

async function auditEvents(): Promise<AuditEvent[]> {
  const listed = await runCli(['audit', 'list', '--data-dir', server.dataDir, '--json']);
  assert.equal(listed.exitCode, 0, listed.stderr);
  return listed.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as AuditEvent);
}

describe('the audit trail of a real server', () => {
  it('records every API call of a run with passwords, secret keys, a session token, KMS plaintext and message bodies', async () => {
    const { username, password } = await readBrokerCredentials(server);
    secrets.push({ name: 'admin secret access key', value: server.credentials.secretAccessKey }, { name: 'default broker password', value: password });

    // Amazon MQ: passwords in CreateBroker, CreateUser and UpdateUser.
    const created = await mq.send(
      new CreateBrokerCommand({
        BrokerName: 'audited',
        EngineType: 'RABBITMQ',
        DeploymentMode: 'SINGLE_INSTANCE',
        HostInstanceType: 'mq.m5.large',
        PubliclyAccessible: false,
        AutoMinorVersionUpgrade: true,
        Users: [{ Username: 'owner', Password: BROKER_PASSWORD }],
      }),
    );
    const brokerId = server.endpoints.brokerId!;
    await mq.send(new CreateUserCommand({ BrokerId: brokerId, Username: 'audited-user', Password: USER_PASSWORD }));
    await mq.send(new UpdateUserCommand({ BrokerId: brokerId, Username: 'audited-user', Password: UPDATED_PASSWORD }));
    secrets.push(
      { name: 'CreateBroker password', value: BROKER_PASSWORD },
      { name: 'CreateUser password', value: USER_PASSWORD },
      { name: 'UpdateUser password', value: UPDATED_PASSWORD },
    );

    // Refused requests carry secrets too: a password Amazon MQ refuses (it has a ':'), and LDAP metadata
    // with a service-account password and a URL with credentials in it (refused by the guard rail).
    await assert.rejects(mq.send(new CreateUserCommand({ BrokerId: brokerId, Username: 'refused-user', Password: REFUSED_PASSWORD })), BadRequestException);
    await assert.rejects(
      mq.send(
        new CreateBrokerCommand({
          BrokerName: 'audited-ldap',
          EngineType: 'ACTIVEMQ',
          EngineVersion: '5.18',
          DeploymentMode: 'SINGLE_INSTANCE',
          HostInstanceType: 'mq.m5.large',
          PubliclyAccessible: false,
          AutoMinorVersionUpgrade: true,
          AuthenticationStrategy: 'LDAP',
          LdapServerMetadata: {
            Hosts: [`ldaps://svc-reader:${LDAP_URL_PASSWORD}@ldap.example.com`],
            RoleBase: 'ou=groups,dc=example,dc=com',
            RoleSearchMatching: '(member={0})',
            ServiceAccountUsername: 'cn=svc-reader,dc=example,dc=com',
            ServiceAccountPassword: LDAP_SERVICE_PASSWORD,
            UserBase: 'ou=users,dc=example,dc=com',
            UserSearchMatching: '(uid={0})',
          },
          Users: [{ Username: 'ldap-admin', Password: BROKER_PASSWORD }],
        }),
      ),
      BadRequestException,
    );
    secrets.push(
      { name: 'refused CreateUser password', value: REFUSED_PASSWORD },
      { name: 'LDAP service-account password', value: LDAP_SERVICE_PASSWORD },
      { name: 'password in an LDAP URL', value: LDAP_URL_PASSWORD },
    );

    // Identity: a new principal's secret access key is in the CreatePrincipal response.
    const principal = await createPrincipal(server, 'audited-principal', { Statement: [{ Effect: 'Allow', Action: 'kms:List*', Resource: '*' }] });
    secrets.push({ name: 'new principal secret access key', value: principal.secretAccessKey });

    // KMS: plaintext in, plaintext and data keys out, ciphertext both ways.
    const keyId = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
    const encrypted = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from(KMS_PLAINTEXT) }));
    const decrypted = await kms.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob }));
    assert.equal(Buffer.from(decrypted.Plaintext!).toString(), KMS_PLAINTEXT);
    const dataKey = await kms.send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256' }));
    dataKeyPlaintext = dataKey.Plaintext;
    secrets.push({ name: 'KMS plaintext', value: KMS_PLAINTEXT }, { name: 'KMS ciphertext', value: Buffer.from(encrypted.CiphertextBlob!).toString('base64') });

    // A session token sent with a signed request (this server has no temporary credentials; it refuses or ignores it).
    const withToken = kmsClient(server, server.credentials, { credentials: { ...server.credentials, sessionToken: SESSION_TOKEN } });
    await withToken.send(new ListKeysCommand({})).catch(() => undefined);
    withToken.destroy();
    secrets.push({ name: 'session token', value: SESSION_TOKEN });

    // Broker users: a refused login with a wrong password, then bodies published and consumed.
    await assert.rejects(amqplib.connect(withCredentials(server.endpoints.amqps!, username, WRONG_PASSWORD), { ca: [server.caPem] }), /ACCESS_REFUSED|403/);
    secrets.push({ name: 'wrong broker password', value: WRONG_PASSWORD });
    const conn = await amqplib.connect(withCredentials(server.endpoints.amqps!, username, password), { ca: [server.caPem] });
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue('audited-queue', { durable: true });
    ch.sendToQueue('audited-queue', Buffer.from(MESSAGE_BODY), { persistent: true });
    await ch.waitForConfirms();
    const got = await ch.get('audited-queue', { noAck: true });
    assert.ok(got !== false && got.content.toString() === MESSAGE_BODY);
    // A body the broker sends back (mandatory, unroutable) and one a consumer refuses (nack, dropped).
    const returned = new Promise<string>((resolve) => ch.once('return', (msg: { content: Buffer }) => resolve(msg.content.toString())));
    ch.publish('amq.direct', 'no-such-binding', Buffer.from(RETURNED_BODY), { mandatory: true, persistent: true });
    assert.equal(await returned, RETURNED_BODY);
    ch.sendToQueue('audited-queue', Buffer.from(NACKED_BODY), { persistent: true });
    await ch.waitForConfirms();
    const refused = await ch.get('audited-queue', { noAck: false });
    assert.ok(refused !== false && refused.content.toString() === NACKED_BODY);
    ch.nack(refused, false, false);
    await conn.close();
    secrets.push({ name: 'message body', value: MESSAGE_BODY }, { name: 'returned message body', value: RETURNED_BODY }, { name: 'nacked message body', value: NACKED_BODY });

    // A refused signature: the right key id with a wrong secret.
    const forged = await signedRequest(server, { target: 'TrentService.ListKeys', body: '{}', credentials: { accessKeyId: server.credentials.accessKeyId, secretAccessKey: 'forged-secret-access-key-000000000000000' } });
    assert.equal(forged.status, 400);

    // Every call is in the trail (events are appended in the background).
    const expected = ['CreateBroker', 'CreateUser', 'UpdateUser', 'CreatePrincipal', 'CreateKey', 'Encrypt', 'Decrypt', 'GenerateDataKey'];
    const deadline = Date.now() + 30_000;
    let events: AuditEvent[];
    for (;;) {
      events = await auditEvents();
      const names = new Set(events.map((e) => e.eventName));
      const brokerEvents = events.filter((e) => e.eventSource === 'sealmq.broker');
      if ((expected.every((n) => names.has(n)) && brokerEvents.length >= 2) || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    for (const name of expected) assert.ok(events.some((e) => e.eventName === name && e.errorCode === undefined), `${name} is in the trail`);
    const createUser = events.find((e) => e.eventName === 'CreateUser')!;
    assert.equal(createUser.eventSource, 'mq.amazonaws.com');
    assert.equal(createUser.userIdentity?.accessKeyId, server.credentials.accessKeyId);
    assert.match(String(createUser.requestParameters?.['password']), /HIDDEN|\*\*\*/);
    assert.ok(createUser.resources?.some((r) => r.ARN.endsWith(`:${brokerId}`)));
    const createBroker = events.find((e) => e.eventName === 'CreateBroker' && e.userIdentity?.accessKeyId === server.credentials.accessKeyId)!;
    assert.equal(createBroker.resources?.[0]?.ARN, created.BrokerArn);
    // The default broker that the first start made is recorded like an API CreateBroker, by the service itself.
    const defaultCreated = events.filter((e) => e.eventName === 'CreateBroker' && e.userIdentity?.type === 'AWSService');
    assert.equal(defaultCreated.length, 1, 'one CreateBroker by the service');
    assert.equal(defaultCreated[0]!.eventSource, 'mq.amazonaws.com');
    assert.equal(defaultCreated[0]!.userIdentity?.invokedBy, 'mq.amazonaws.com');
    assert.equal(defaultCreated[0]!.errorCode, undefined);
    assert.equal(defaultCreated[0]!.requestParameters?.['brokerName'], 'default');
    assert.equal(defaultCreated[0]!.responseElements?.['brokerId'], brokerId);
    assert.ok(defaultCreated[0]!.resources?.[0]?.ARN.endsWith(`:${brokerId}`));
    assert.ok(defaultCreated[0]!.eventTime <= createBroker.eventTime, 'recorded when the server started, before any API call');
    const encrypt = events.find((e) => e.eventName === 'Encrypt')!;
    assert.equal(encrypt.eventSource, 'kms.amazonaws.com');
    assert.equal(encrypt.requestParameters?.['Plaintext'], '***');
    assert.ok(encrypt.resources?.some((r) => r.ARN.endsWith(`:key/${keyId}`)));
    const principalEvent = events.find((e) => e.eventName === 'CreatePrincipal')!;
    assert.equal(principalEvent.eventSource, 'iam.amazonaws.com');
    const forgedEvent = events.find((e) => e.requestID === forged.headers['x-amzn-requestid']);
    assert.ok(forgedEvent !== undefined, 'the refused signature is in the trail under its request id');
    assert.equal(forgedEvent.errorCode, 'InvalidSignatureException');
    assert.equal(forgedEvent.userIdentity?.accessKeyId, server.credentials.accessKeyId);
    // The broker's own events land in the same trail: the failed login and the connection.
    assert.ok(events.some((e) => e.eventSource === 'sealmq.broker' && e.errorCode !== undefined), 'the refused broker login is in the trail');

    await server.stop();
    stoppedOutput = server.output();
    pristineTrail = join(dirname(server.dataDir), 'audit-pristine');
    await cp(join(server.dataDir, 'audit'), pristineTrail, { recursive: true });
  });

  it('has no password, secret access key, session token, KMS plaintext or message body in any log line or audit file', async () => {
    assert.ok(secrets.length >= 16 && stoppedOutput.length > 0);
    assert.match(stoppedOutput, /"level":"debug"/, 'the server logged at its most verbose level');
    assert.ok(stoppedOutput.length < 1_000_000, 'the whole log output was kept for the scan (the helper keeps the last 1,000,000 characters)');
    const forms = (value: string) => [value, Buffer.from(value).toString('base64'), Buffer.from(value).toString('hex')];
    const texts: { where: string; text: string }[] = [{ where: 'server log output', text: stoppedOutput }];
    const auditDir = join(server.dataDir, 'audit');
    const files = await allFiles(auditDir);
    assert.ok(files.some((f) => f.endsWith('.jsonl')) && files.some((f) => f.includes('digests')), `audit files: ${files.join(', ')}`);
    for (const file of files) texts.push({ where: file, text: (await readFile(file)).toString('latin1') });
    // Every other file under the data directory (the encrypted store, KMS, identity and control state):
    // only the files meant to hold a secret for their owner may, and they are 0600.
    for (const file of await allFiles(server.dataDir)) {
      if (file.startsWith(auditDir + '/')) continue;
      const name = file.slice(server.dataDir.length + 1);
      if (SECRET_FILES.includes(name)) {
        assert.equal((await stat(file)).mode & 0o777, 0o600, `${name} is 0600`);
        continue;
      }
      texts.push({ where: file, text: (await readFile(file)).toString('latin1') });
    }
    assert.ok(texts.some((t) => t.where.includes('/segments/')), 'the broker store is among the files scanned');
    const signingKey = await readFile(join(server.dataDir, 'audit-signing-key.sealed'), 'utf8');
    assert.doesNotMatch(signingKey, /BEGIN PRIVATE KEY/, 'the signing key is sealed, not PEM on disk');
    for (const { where, text } of texts) {
      for (const { name, value } of secrets) {
        for (const form of forms(value)) assert.ok(!text.includes(form), `${name} found in ${where}`);
      }
      if (dataKeyPlaintext !== undefined) {
        for (const form of [Buffer.from(dataKeyPlaintext).toString('base64'), Buffer.from(dataKeyPlaintext).toString('hex')]) {
          assert.ok(!text.includes(form), `the plaintext data key found in ${where}`);
        }
      }
    }
  });

  it('passes `sealmq audit verify` untouched, and fails naming the finding once one event is modified', async () => {
    const ok = await runCli(['audit', 'verify', '--data-dir', server.dataDir]);
    assert.equal(ok.exitCode, 0, ok.stdout + ok.stderr);
    assert.doesNotMatch(ok.stdout, /INVALID/);
    const checked = /Events: (\d+) checked, (\d+) sealed/.exec(ok.stdout);
    assert.ok(checked !== null && Number(checked[1]) >= 12 && checked[1] === checked[2], `every event checked and sealed: ${ok.stdout}`);

    // Change one recorded fact of one sealed event (the caller's address), keeping the line valid JSON.
    const logsDir = join(server.dataDir, 'audit', 'logs');
    let modified: { file: string; sequence: number } | undefined;
    for (const name of (await readdir(logsDir)).sort()) {
      const file = join(logsDir, name);
      const lines = (await readFile(file, 'utf8')).split('\n');
      const index = lines.findIndex((l) => l.includes('"eventName":"Encrypt"') && l.includes('"sourceIPAddress":"127.0.0.1"'));
      if (index === -1) continue;
      lines[index] = lines[index]!.replace('"sourceIPAddress":"127.0.0.1"', '"sourceIPAddress":"10.9.8.7"');
      const mode = (await stat(file)).mode;
      await writeFile(file, lines.join('\n'), { mode });
      modified = { file: name, sequence: (JSON.parse(lines[index]!) as { sequence: number }).sequence };
      break;
    }
    assert.ok(modified !== undefined, 'an Encrypt event was found to modify');
    const bad = await runCli(['audit', 'verify', '--data-dir', server.dataDir]);
    assert.equal(bad.exitCode, 1, bad.stdout + bad.stderr);
    assert.match(bad.stdout, new RegExp(`INVALID modified: logs/${modified.file.replace(/[.]/g, '\\.')}: .*\\[event ${modified.sequence}\\]`));
  });
});

const ISO = String.raw`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z`;

/** A finding line of `sealmq audit verify`: kind, file, message and the time range it names. */
interface FindingLine {
  readonly kind: string;
  readonly file: string;
  readonly text: string;
  readonly fromTime: string;
  readonly toTime: string;
}

function findingLines(stdout: string): FindingLine[] {
  const out: FindingLine[] = [];
  for (const line of stdout.split('\n')) {
    const match = new RegExp(String.raw`^INVALID ([a-z-]+): (\S+): .*\((${ISO}|\?) \.\. (${ISO}|\?)\)$`).exec(line);
    if (match !== null) out.push({ kind: match[1]!, file: match[2]!, text: line, fromTime: match[3]!, toTime: match[4]! });
    else if (line.startsWith('INVALID')) out.push({ kind: line.slice(8).split(':')[0]!, file: '', text: line, fromTime: '?', toTime: '?' });
  }
  return out;
}

let copies = 0;
/** A fresh copy of the untouched trail to tamper with. */
async function trailCopy(): Promise<string> {
  assert.ok(pristineTrail !== undefined, 'the run that makes the trail has finished');
  const dir = join(dirname(pristineTrail), `audit-tampered-${++copies}`);
  await cp(pristineTrail, dir, { recursive: true });
  return dir;
}

async function verify(dir: string): Promise<{ exitCode: number; stdout: string; findings: FindingLine[] }> {
  const result = await runCli(['audit', 'verify', '--dir', dir]);
  return { exitCode: result.exitCode, stdout: result.stdout + result.stderr, findings: findingLines(result.stdout) };
}

/** The sealed log files of a trail, newest last, with their lines (without the final empty one). */
async function logFiles(dir: string): Promise<{ name: string; path: string; lines: string[] }[]> {
  const logsDir = join(dir, 'logs');
  const out = [];
  for (const name of (await readdir(logsDir)).sort()) {
    const path = join(logsDir, name);
    out.push({ name, path, lines: (await readFile(path, 'utf8')).split('\n').filter((l) => l !== '') });
  }
  return out;
}

/** The log file with the most events (the tampering needs neighbours on both sides). */
async function busiestLog(dir: string): Promise<{ name: string; path: string; lines: string[] }> {
  const files = await logFiles(dir);
  const busiest = files.reduce((a, b) => (b.lines.length > a.lines.length ? b : a));
  assert.ok(busiest.lines.length >= 5, `a log file with 5 events at least (${busiest.lines.length})`);
  return busiest;
}

async function rewrite(path: string, lines: string[]): Promise<void> {
  const mode = (await stat(path)).mode;
  await writeFile(path, lines.map((l) => `${l}\n`).join(''), { mode });
}

const recordOf = (line: string) => JSON.parse(line) as EventRecord;

/** Asserts exit 1 and a finding of `kind` in `file` whose time range holds `time` (when given). */
function assertFinding(result: Awaited<ReturnType<typeof verify>>, kind: string, file: string, time?: { from: string; to: string }): FindingLine {
  assert.equal(result.exitCode, 1, result.stdout);
  assert.match(result.stdout, /^Result: INVALID/m);
  const finding = result.findings.find((f) => f.kind === kind && f.file === file);
  assert.ok(finding !== undefined, `an INVALID ${kind} finding for ${file}:\n${result.stdout}`);
  assert.match(finding.fromTime, new RegExp(`^${ISO}$`), `the finding names when it starts: ${finding.text}`);
  assert.match(finding.toTime, new RegExp(`^${ISO}$`), `the finding names when it ends: ${finding.text}`);
  assert.ok(finding.fromTime <= finding.toTime, finding.text);
  if (time !== undefined) {
    assert.ok(finding.fromTime <= time.from && time.to <= finding.toTime, `${finding.text} covers ${time.from} .. ${time.to}`);
  }
  return finding;
}

describe('sealmq audit verify on a tampered copy of the trail', () => {
  it('passes on an untouched copy', async () => {
    const dir = await trailCopy();
    const result = await verify(dir);
    assert.equal(result.exitCode, 0, result.stdout);
    assert.match(result.stdout, /^Result: VALID$/m);
    assert.deepEqual(result.findings, []);
    const digests = (await readdir(join(dir, 'digests'))).filter((n) => n.endsWith('.json'));
    assert.ok(digests.length >= 3, `several digests seal the run (${digests.length})`);
  });

  it('a flipped byte in one event is a modification of that event', async () => {
    const dir = await trailCopy();
    const log = await busiestLog(dir);
    const index = Math.floor(log.lines.length / 2);
    const record = recordOf(log.lines[index]!);
    const bytes = await readFile(log.path);
    // The byte in the middle of that event's line, with its lowest bit flipped.
    const lineStart = log.lines.slice(0, index).reduce((sum, l) => sum + Buffer.byteLength(l) + 1, 0);
    const at = lineStart + Math.floor(Buffer.byteLength(log.lines[index]!) / 2);
    bytes[at] = bytes[at]! ^ 0x01;
    await writeFile(log.path, bytes);
    const result = await verify(dir);
    const finding = assertFinding(result, 'modified', `logs/${log.name}`, { from: record.event.eventTime, to: record.event.eventTime });
    assert.ok(result.findings.some((f) => f.kind === 'modified' && f.text.includes(`[event ${record.sequence}]`)), `names event ${record.sequence}: ${finding.text}`);
  });

  it('a deleted event is reported as deleted, with the gap in the sequence', async () => {
    const dir = await trailCopy();
    const log = await busiestLog(dir);
    const index = Math.floor(log.lines.length / 2);
    const removed = recordOf(log.lines[index]!);
    await rewrite(log.path, log.lines.filter((_, i) => i !== index));
    const result = await verify(dir);
    assertFinding(result, 'deleted', `logs/${log.name}`, { from: removed.event.eventTime, to: removed.event.eventTime });
    assert.ok(result.findings.some((f) => f.kind === 'deleted' && f.text.includes(`[event ${removed.sequence}]`)), result.stdout);
  });

  it('a forged event inserted with a correct hash of its own is reported as inserted', async () => {
    const dir = await trailCopy();
    const log = await busiestLog(dir);
    const index = Math.floor(log.lines.length / 2);
    const before = recordOf(log.lines[index - 1]!);
    const next = recordOf(log.lines[index]!);
    // A forger who knows the format: the next sequence number, chained to the event before, hashed.
    const event = { ...before.event, eventName: 'DeleteBroker', eventID: '00000000-0000-4000-8000-000000000000', sourceIPAddress: '203.0.113.9' };
    const sequence = before.sequence + 1;
    const forged = JSON.stringify({ sequence, previousHash: before.eventHash, eventHash: computeEventHash(sequence, before.eventHash, event), event });
    await rewrite(log.path, [...log.lines.slice(0, index), forged, ...log.lines.slice(index)]);
    const result = await verify(dir);
    assertFinding(result, 'inserted', `logs/${log.name}`, { from: before.event.eventTime, to: next.event.eventTime });
    assert.ok(result.findings.some((f) => f.kind === 'inserted' && f.text.includes(`[event ${next.sequence}]`)), result.stdout);
  });

  it('two events swapped are reported as reordered', async () => {
    const dir = await trailCopy();
    const log = await busiestLog(dir);
    const index = Math.floor(log.lines.length / 2);
    const first = recordOf(log.lines[index]!);
    const second = recordOf(log.lines[index + 1]!);
    const lines = [...log.lines];
    [lines[index], lines[index + 1]] = [lines[index + 1]!, lines[index]!];
    await rewrite(log.path, lines);
    const result = await verify(dir);
    const times = [first.event.eventTime, second.event.eventTime].sort();
    assertFinding(result, 'reordered', `logs/${log.name}`, { from: times[0]!, to: times[1]! });
    assert.ok(!result.findings.some((f) => f.kind === 'deleted'), `nothing is reported deleted:\n${result.stdout}`);
  });

  it('a deleted digest file is reported as a missing digest with the interval it sealed', async () => {
    const dir = await trailCopy();
    const digests = (await readdir(join(dir, 'digests'))).filter((n) => n.endsWith('.json')).sort();
    // A digest in the middle that sealed events, so its interval holds something to lose.
    let victim: { name: string; start: string; end: string } | undefined;
    for (const name of digests.slice(1, -1)) {
      const digest = JSON.parse(await readFile(join(dir, 'digests', name), 'utf8')) as { logFiles: unknown[]; digestStartTime: string; digestEndTime: string };
      if (digest.logFiles.length > 0) victim = { name, start: digest.digestStartTime, end: digest.digestEndTime };
    }
    assert.ok(victim !== undefined, `a middle digest that sealed a log file among ${digests.join(', ')}`);
    await unlink(join(dir, 'digests', victim.name));
    const result = await verify(dir);
    assert.equal(result.exitCode, 1, result.stdout);
    const finding = result.findings.find((f) => f.kind === 'digest-missing');
    assert.ok(finding !== undefined, result.stdout);
    assert.ok(finding.fromTime <= victim.start && victim.end <= finding.toTime, `${finding.text} covers ${victim.start} .. ${victim.end}`);
    assert.ok(finding.text.includes(`digest ${Number(victim.name.slice(0, 8))} not found`), finding.text);
  });

  it('the newest log file truncated is reported as truncated from the last event left', async () => {
    const dir = await trailCopy();
    const files = await logFiles(dir);
    const newest = files.at(-1)!;
    assert.ok(newest.lines.length >= 1);
    const size = (await stat(newest.path)).size;
    await truncate(newest.path, Math.floor(size / 2));
    const result = await verify(dir);
    const lastRecord = recordOf(newest.lines.at(-1)!);
    assertFinding(result, 'truncated', `logs/${newest.name}`);
    assert.ok(
      result.findings.some((f) => f.kind === 'truncated' && f.toTime >= lastRecord.event.eventTime),
      `the truncated range reaches the last sealed event (${lastRecord.event.eventTime}):\n${result.stdout}`,
    );
    await rm(dir, { recursive: true, force: true });
  });
});
