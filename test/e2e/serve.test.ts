// End to end: `sealmq serve` as a user runs it. First start, the files it writes, HTTPS trusting the
// generated CA, the AWS SDK and the AWS CLI with the written credentials, authentication errors,
// restart reusing everything, clear errors for bad settings, a busy port and a wrong passphrase.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { cp, readFile, stat, writeFile } from 'node:fs/promises';
import { get as httpsGet } from 'node:https';
import { createServer } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { CreateKeyCommand, ListKeysCommand } from '@aws-sdk/client-kms';
import { ensureCertificates } from '../../src/transport/certificates.ts';
import { kmsClient, signedRequest, startServer, type RunningServer } from '../helpers/server.ts';
import { rejectsWith } from '../helpers/checks.ts';

const execFileP = promisify(execFile);

function runSealmq(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(import.meta.dirname, '..', '..', 'bin', 'sealmq.js'), ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

function peerFingerprint(server: RunningServer): Promise<string> {
  const url = new URL(server.endpoints.api);
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: url.hostname, port: Number(url.port), ca: server.caPem, servername: 'localhost' }, () => {
      resolve(socket.getPeerX509Certificate()!.fingerprint256);
      socket.destroy();
    });
    socket.on('error', reject);
  });
}

function getHealth(server: RunningServer): Promise<{ status: number; body: string; protocol: string | null }> {
  return new Promise((resolve, reject) => {
    const req = httpsGet(`${server.endpoints.api}/health`, { ca: server.caPem, servername: 'localhost', agent: false }, (res) => {
      const protocol = (res.socket as TLSSocket).getProtocol();
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, protocol }));
    });
    req.on('error', reject);
  });
}

describe('sealmq serve', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer();
  });
  after(async () => server?.stop());

  it('first start writes endpoints.json, the CA, the credentials and private files with private modes', async () => {
    const endpoints = JSON.parse(await readFile(join(server.dataDir, 'endpoints.json'), 'utf8')) as Record<string, unknown>;
    assert.match(String(endpoints.api), /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(endpoints.caFile, join(server.dataDir, 'tls', 'ca.pem'));
    assert.equal(endpoints.credentialsFile, join(server.dataDir, 'credentials'));
    assert.match(server.caPem, /BEGIN CERTIFICATE/);
    assert.match(server.credentials.accessKeyId, /^AKIA[A-Z2-7]{16}$/);
    assert.equal(server.credentials.secretAccessKey.length, 40);
    assert.equal((await stat(server.dataDir)).mode & 0o777, 0o700);
    for (const file of ['credentials', 'tls/ca.key', 'tls/server.key', 'identity/principals.sealed']) {
      assert.equal((await stat(join(server.dataDir, file))).mode & 0o077, 0, `${file} is private`);
    }
    const credentialsText = await readFile(join(server.dataDir, 'credentials'), 'utf8');
    assert.match(credentialsText, /^\[default\]\naws_access_key_id = AKIA[A-Z2-7]{16}\naws_secret_access_key = \S{40}\n$/);
    assert.match(server.output(), /SealMQ is ready/);
    assert.match(server.output(), /aws kms list-keys --endpoint-url https:\/\/127\.0\.0\.1:\d+ --ca-bundle \S+ca\.pem --region us-east-1/);
    assert.ok(!server.output().includes(server.credentials.secretAccessKey), 'the secret key is never printed or logged');
  });

  it('GET /health over HTTPS, trusting only ca.pem', async () => {
    const res = await getHealth(server);
    assert.equal(res.status, 200);
    assert.equal((JSON.parse(res.body) as { status: string }).status, 'ok');
    assert.equal(res.protocol, 'TLSv1.3');
  });

  it('the AWS SDK lists keys with the admin credentials; a bad secret and an unknown access key get AWS errors', async () => {
    const kms = kmsClient(server);
    const wrongSecret = kmsClient(server, { ...server.credentials, secretAccessKey: 'A'.repeat(40) }, { maxAttempts: 1 });
    const unknownKey = kmsClient(server, { accessKeyId: 'AKIAAAAAAAAAAAAAAAAA', secretAccessKey: server.credentials.secretAccessKey }, { maxAttempts: 1 });
    try {
      const out = await kms.send(new ListKeysCommand({}));
      assert.ok(Array.isArray(out.Keys));
      await rejectsWith(wrongSecret.send(new ListKeysCommand({})), 'InvalidSignatureException');
      const message = await rejectsWith(unknownKey.send(new ListKeysCommand({})), 'UnrecognizedClientException');
      assert.equal(message, 'The security token included in the request is invalid.');
    } finally {
      kms.destroy();
      wrongSecret.destroy();
      unknownKey.destroy();
    }
  });

  it('raw requests: missing Authorization, malformed JSON, a body over the limit, each with a request id', async () => {
    const malformed = await signedRequest(server, { target: 'TrentService.ListKeys', body: '{"Limit":' });
    assert.equal(malformed.json.__type, 'SerializationException');
    assert.equal(malformed.headers['x-amzn-errortype'], 'SerializationException');
    const huge = await signedRequest(server, { target: 'TrentService.ListKeys', body: JSON.stringify({ pad: 'x'.repeat(1024 * 1024 + 10) }) });
    assert.equal(huge.status, 413);
    assert.match(huge.json.message ?? '', /limit is 1048576 bytes/);
    const unsigned = await signedRequest(server, { target: 'TrentService.ListKeys', tamper: (r) => ({ ...r, headers: Object.fromEntries(Object.entries(r.headers ?? {}).filter(([k]) => k !== 'authorization')) }) });
    assert.equal(unsigned.json.__type, 'MissingAuthenticationTokenException');
    for (const res of [malformed, huge, unsigned]) {
      assert.match(res.headers['x-amzn-requestid'] ?? '', /^[0-9a-f-]{36}$/);
      assert.ok(res.headers.date);
    }
    assert.equal((await getHealth(server)).status, 200, 'still serving');
  });

  it('`aws kms list-keys` works with DATA/credentials and DATA/tls/ca.pem', async (t) => {
    try {
      await execFileP('aws', ['--version']);
    } catch {
      t.skip('the AWS CLI is not installed');
      return;
    }
    const kms = kmsClient(server);
    const keyId = (await kms.send(new CreateKeyCommand({ Description: 'for the cli' }))).KeyMetadata!.KeyId!;
    kms.destroy();
    const env: Record<string, string | undefined> = { ...process.env, AWS_SHARED_CREDENTIALS_FILE: join(server.dataDir, 'credentials'), AWS_CONFIG_FILE: '/dev/null' };
    delete env.AWS_ACCESS_KEY_ID;
    delete env.AWS_SECRET_ACCESS_KEY;
    delete env.AWS_PROFILE;
    const { stdout } = await execFileP(
      'aws',
      ['kms', 'list-keys', '--endpoint-url', server.endpoints.api, '--ca-bundle', join(server.dataDir, 'tls', 'ca.pem'), '--region', 'us-east-1', '--output', 'json'],
      { env, timeout: 60_000 },
    );
    assert.ok((JSON.parse(stdout) as { Keys: { KeyId: string }[] }).Keys.some((k) => k.KeyId === keyId));

    // The CLI signs an MQ path with an encoded ARN by encoding it once more (aws-apis.md 4.1): the
    // request must get past SigV4 (to NotFoundException for the unknown broker), not InvalidSignature.
    const arn = `arn:aws:mq:us-east-1:${server.accountId}:broker:nothere:b-00000000-0000-4000-8000-000000000000`;
    const tags = await execFileP(
      'aws',
      ['mq', 'list-tags', '--resource-arn', arn, '--endpoint-url', server.endpoints.api, '--ca-bundle', join(server.dataDir, 'tls', 'ca.pem'), '--region', 'us-east-1'],
      { env, timeout: 60_000 },
    ).then(
      () => assert.fail('ListTags of an unknown broker succeeded'),
      (error: { stderr?: string }) => error.stderr ?? '',
    );
    assert.match(tags, /\(NotFoundException\)/);
  });

  it('a restart reuses the CA, the certificate, the credentials and the port', async () => {
    const before = { ca: server.caPem, cert: await readFile(join(server.dataDir, 'tls', 'server.pem'), 'utf8'), api: server.endpoints.api };
    await server.restart();
    assert.equal(await readFile(join(server.dataDir, 'tls', 'ca.pem'), 'utf8'), before.ca);
    assert.equal(await readFile(join(server.dataDir, 'tls', 'server.pem'), 'utf8'), before.cert);
    assert.equal(server.endpoints.api, before.api);
    assert.doesNotMatch(server.output(), /created now/);
    const kms = kmsClient(server);
    try {
      assert.ok(Array.isArray((await kms.send(new ListKeysCommand({}))).Keys), 'the old credentials still work');
    } finally {
      kms.destroy();
    }
  });

  it('a busy port is a one-line error naming the setting', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const failed = await server.startExpectingFailure({ args: ['--api-port', String(port)] });
      assert.equal(failed.exitCode, 1);
      assert.match(failed.output, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use \\(setting apiPort`));
      assert.doesNotMatch(failed.output, /^\s+at /m, 'no stack trace');
    } finally {
      blocker.close();
    }
    await server.restart({ args: [] });
  });

  it('`sealmq principal create` and `access-key delete` manage principals of the running server', async () => {
    const policyFile = join(server.dataDir, '..', 'lister-policy.json');
    await writeFile(policyFile, JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'kms:ListKeys', Resource: '*' }] }));
    const credentialsOut = join(server.dataDir, '..', 'lister-credentials');
    const created = await runSealmq(['principal', 'create', 'lister', '--data-dir', server.dataDir, '--policy-file', policyFile, '--credentials-out', credentialsOut]);
    assert.equal(created.code, 0, created.stderr);
    const out = JSON.parse(created.stdout) as { Principal: { Arn: string }; AccessKey: { AccessKeyId: string; SecretAccessKey: string } };
    assert.equal(out.Principal.Arn, `arn:aws:iam::${server.accountId}:user/lister`);
    assert.equal((await stat(credentialsOut)).mode & 0o777, 0o600);
    const lister = { accessKeyId: out.AccessKey.AccessKeyId, secretAccessKey: out.AccessKey.SecretAccessKey };
    const kms = kmsClient(server, lister, { maxAttempts: 1 });
    try {
      assert.ok(Array.isArray((await kms.send(new ListKeysCommand({}))).Keys), 'its policy allows kms:ListKeys');
      await rejectsWith(kms.send(new CreateKeyCommand({})), 'AccessDeniedException');

      const listed = await runSealmq(['principal', 'list', '--data-dir', server.dataDir]);
      assert.equal(listed.code, 0, listed.stderr);
      assert.ok(listed.stdout.includes(lister.accessKeyId));
      assert.ok(!listed.stdout.includes(lister.secretAccessKey), 'list never shows a secret');

      const deleted = await runSealmq(['access-key', 'delete', lister.accessKeyId, '--data-dir', server.dataDir]);
      assert.equal(deleted.code, 0, deleted.stderr);
      await rejectsWith(kms.send(new ListKeysCommand({})), 'UnrecognizedClientException');
    } finally {
      kms.destroy();
    }
    const denied = await runSealmq(['principal', 'create', 'x', '--data-dir', server.dataDir, '--credentials-file', credentialsOut]);
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /^sealmq: UnrecognizedClientException: /);
  });

  it('a replaced server certificate is served without a restart', async () => {
    const tlsDir = join(server.dataDir, 'tls');
    const copy = join(server.dataDir, '..', 'tls-copy');
    await cp(tlsDir, copy, { recursive: true });
    const renewed = await ensureCertificates({ dir: copy, renewBeforeDays: 400 }); // always due: a new certificate from the same CA
    const before = await peerFingerprint(server);
    assert.notEqual(new X509Certificate(renewed.certPem).fingerprint256, before);
    await writeFile(join(tlsDir, 'server.key'), renewed.keyPem, { mode: 0o600 });
    await writeFile(join(tlsDir, 'server.pem'), renewed.certPem);
    const deadline = Date.now() + 15_000;
    let now = before;
    while (now === before && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      now = await peerFingerprint(server);
    }
    assert.equal(now, new X509Certificate(renewed.certPem).fingerprint256);
    assert.equal((await getHealth(server)).status, 200);
  });

  it('SIGTERM stops cleanly and removes endpoints.json', async () => {
    await server.stop();
    assert.ok(!existsSync(join(server.dataDir, 'endpoints.json')));
    await server.restart();
  });
});

describe('sealmq serve: refusing to start', () => {
  it('a bad setting names the setting and its source, exit code 2, before touching the data directory', async () => {
    const run = (args: string[], env: Record<string, string> = {}) =>
      new Promise<{ code: number | null; output: string }>((resolve) => {
        const child = spawn(process.execPath, [join(import.meta.dirname, '..', '..', 'bin', 'sealmq.js'), 'serve', ...args], { env: { ...process.env, ...env } });
        let output = '';
        child.stdout.on('data', (d: Buffer) => (output += d.toString()));
        child.stderr.on('data', (d: Buffer) => (output += d.toString()));
        child.on('exit', (code) => resolve({ code, output }));
      });
    const dataDir = join(import.meta.dirname, 'never-created');
    const flag = await run(['--data-dir', dataDir, '--api-port', 'http']);
    assert.equal(flag.code, 2);
    assert.match(flag.output, /invalid setting apiPort \(--api-port\): expected an integer 0\.\.65535/);
    const env = await run(['--data-dir', dataDir], { SEALMQ_API_PORT: '99999' });
    assert.match(env.output, /invalid setting apiPort \(SEALMQ_API_PORT\): expected an integer 0\.\.65535/);
    assert.doesNotMatch(flag.output + env.output, /^\s+at /m);
    assert.ok(!existsSync(dataDir));
  });

  it('`sealmq principal list` without a running server says how to start it', async () => {
    const result = await runSealmq(['principal', 'list', '--data-dir', join(import.meta.dirname, 'no-such-data')]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /SealMQ is not running with data directory .*no-such-data.*sealmq serve/);
  });

  it('a wrong root passphrase is a clear error, not a fresh KMS', async () => {
    const server = await startServer({ env: { SEALMQ_ROOT_PASSPHRASE: 'correct horse battery staple' } });
    try {
      assert.ok(!existsSync(join(server.dataDir, 'kms', 'root.key')), 'no key file in passphrase mode');
      const failed = await server.startExpectingFailure({ env: { SEALMQ_ROOT_PASSPHRASE: 'wrong horse' } });
      assert.equal(failed.exitCode, 1);
      assert.match(failed.output, /passphrase/i);
      assert.doesNotMatch(failed.output, /^\s+at /m);
      await server.restart();
      const kms = kmsClient(server);
      try {
        await kms.send(new ListKeysCommand({}));
      } finally {
        kms.destroy();
      }
    } finally {
      await server.stop();
    }
  });
});
