import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect } from 'node:tls';
import { sendRaw, sendSigned, type Credentials, type Endpoint } from '../../test/helpers/aws-request.ts';
import { openRootKey } from '../crypto/root-key.ts';
import type { CallerIdentity } from '../identity/caller.ts';
import { IDENTITY_SIGNING_NAME, IDENTITY_TARGET_PREFIX, IdentityApi } from '../identity/identity-api.ts';
import { PrincipalStore, type ResolvedAccessKey } from '../identity/principal-store.ts';
import { SigV4Verifier } from '../identity/sigv4.ts';
import { ensureCertificates } from '../transport/certificates.ts';
import { AwsApiError } from '../util/aws-error.ts';
import { silentLogger } from '../util/logger.ts';
import { MemoryAuditSink } from '../core/audit-sink.ts';
import { ApiServer, type JsonRpcApi, type RestJsonApi } from './api-server.ts';
import { ControlPlaneMetrics } from './metrics.ts';

const root = mkdtempSync(join(tmpdir(), 'sealmq-api-'));
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const BODY_MAX = 64 * 1024;

/** Stands in for KmsApi: records who called what, and fails on demand. */
class FakeKms implements JsonRpcApi {
  calls: { caller: CallerIdentity; operation: string; input: unknown }[] = [];
  async handle(caller: CallerIdentity, operation: string, input: unknown): Promise<Record<string, unknown>> {
    this.calls.push({ caller, operation, input });
    if (operation === 'Explode') throw new Error('secret internal detail /var/lib/x');
    if (operation === 'NotFound') throw new AwsApiError('NotFoundException', "Key 'x' does not exist");
    if (operation !== 'ListKeys') throw new AwsApiError('UnknownOperationException', `Unknown operation ${operation}`);
    return { Keys: [], Truncated: false };
  }
}

describe('ApiServer', () => {
  let server: ApiServer;
  let endpoint: Endpoint;
  let admin: Credentials;
  let store: PrincipalStore;
  const kms = new FakeKms();
  let mq: RestJsonApi | undefined;
  const audit = new MemoryAuditSink();
  const metrics = new ControlPlaneMetrics({ brokers: () => [], audit, processMetrics: false });
  const METRICS_TOKEN = 'metrics-token-for-tests-0123456789abcdef';

  before(async () => {
    const certificate = await ensureCertificates({ dir: join(root, 'tls') });
    const rootKey = await openRootKey({ dir: join(root, 'kms') });
    store = await PrincipalStore.open({ dir: join(root, 'identity'), rootKey, accountId: '000000000000' });
    const key = await store.ensureAdministrator(async () => undefined);
    admin = { accessKeyId: key!.accessKeyId, secretAccessKey: key!.secretAccessKey };
    const verifier = new SigV4Verifier<ResolvedAccessKey>({ region: 'us-east-1', lookup: (id) => store.lookupAccessKey(id) });
    server = await ApiServer.start({
      host: '127.0.0.1',
      port: 0,
      certificate,
      limits: { bodyMaxBytes: BODY_MAX, headersTimeoutMs: 5000, requestTimeoutMs: 10_000, keepAliveTimeoutMs: 1000, connectionsMax: 100 },
      verifier,
      jsonServices: [
        { targetPrefix: 'TrentService', signingName: 'kms', api: kms },
        { targetPrefix: IDENTITY_TARGET_PREFIX, signingName: IDENTITY_SIGNING_NAME, api: new IdentityApi(store, '000000000000') },
      ],
      get mq() {
        return mq;
      },
      health: () => ({ kms: 'ok' }),
      audit: { sink: audit, region: 'us-east-1', accountId: '000000000000' },
      metrics: { registry: metrics, token: METRICS_TOKEN },
      logger: silentLogger(),
    });
    endpoint = { url: server.url, caPem: certificate.caPem! };
  });
  after(async () => {
    await server?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('GET /health answers without authentication, with a request id and a Date', async () => {
    const res = await sendRaw(endpoint, { method: 'GET', path: '/health' });
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { status: 'ok', kms: 'ok' });
    assert.match(res.headers['x-amzn-requestid'] ?? '', UUID);
    assert.ok(!Number.isNaN(Date.parse(res.headers.date ?? '')));
  });

  it('every API call, allowed or refused, is one audit event under the request id the client got; /health is not', async () => {
    const before = audit.events.length;
    const allowed = await sendSigned(endpoint, { target: 'TrentService.ListKeys', body: '{"Limit":5}', credentials: admin });
    const refused = await sendSigned(endpoint, { target: 'TrentService.ListKeys', body: '{}', credentials: { ...admin, secretAccessKey: 'y'.repeat(40) } });
    const unknown = await sendSigned(endpoint, { target: 'TrentService.Frobnicate', body: '{}', credentials: admin });
    const mqRefused = await sendRaw(endpoint, { method: 'POST', path: '/v1/brokers/b-1234/reboot' });
    await sendRaw(endpoint, { method: 'GET', path: '/health' });
    const events = audit.events.slice(before);
    assert.equal(events.length, 4);
    const byId = (res: { headers: Record<string, string | undefined> }) => events.find((e) => e.requestID === res.headers['x-amzn-requestid']);

    const ok = byId(allowed)!;
    assert.equal(ok.eventSource, 'kms.amazonaws.com');
    assert.equal(ok.eventName, 'ListKeys');
    assert.equal(ok.errorCode, undefined);
    assert.equal(ok.readOnly, true);
    assert.equal(ok.userIdentity?.arn, 'arn:aws:iam::000000000000:user/admin');
    assert.equal(ok.sourceIPAddress, '127.0.0.1');
    assert.deepEqual(ok.requestParameters, { Limit: 5 });

    const bad = byId(refused)!;
    assert.equal(bad.errorCode, 'InvalidSignatureException');
    assert.equal(bad.userIdentity?.arn, undefined);
    assert.equal(bad.userIdentity?.accessKeyId, admin.accessKeyId);
    assert.match(bad.errorMessage ?? '', /signature/);

    assert.equal(byId(unknown)!.errorCode, 'UnknownOperationException');
    const reboot = byId(mqRefused)!;
    assert.equal(reboot.eventSource, 'mq.amazonaws.com');
    assert.equal(reboot.eventName, 'RebootBroker');
    assert.equal(reboot.errorCode, 'MissingAuthenticationTokenException');
    assert.equal(reboot.readOnly, false);
    assert.deepEqual(reboot.resources?.map((r) => r.ARN), ['arn:aws:mq:us-east-1:000000000000:broker:*:b-1234']);
  });

  it('GET /metrics needs the bearer token and counts requests with bounded operation labels', async () => {
    assert.equal((await sendRaw(endpoint, { method: 'GET', path: '/metrics' })).status, 401);
    assert.equal((await sendRaw(endpoint, { method: 'GET', path: '/metrics', headers: { authorization: 'Bearer wrong' } })).status, 401);
    // An unauthenticated caller's target is not a label: it would let anyone grow the series without bound.
    await sendRaw(endpoint, { path: '/', headers: { 'x-amz-target': 'TrentService.Made-Up-Name-1' }, body: '{}' });
    const res = await sendRaw(endpoint, { method: 'GET', path: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    assert.equal(res.status, 200);
    assert.match(res.text, /sealmq_api_requests_total\{service="kms",operation="ListKeys",error_type="none"\} [1-9]/);
    assert.match(res.text, /sealmq_api_requests_total\{service="kms",operation="unknown",error_type="MissingAuthenticationTokenException"\} [1-9]/);
    assert.doesNotMatch(res.text, /Made-Up-Name|Frobnicate/);
    assert.match(res.text, /^sealmq_audit_events_written \d+$/m);
  });

  it('a signed TrentService call reaches the KMS API as the signing principal', async () => {
    const res = await sendSigned(endpoint, { target: 'TrentService.ListKeys', body: '{"Limit":5}', credentials: admin });
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/x-amz-json-1.1');
    assert.deepEqual(res.json, { Keys: [], Truncated: false });
    const call = kms.calls.at(-1)!;
    assert.equal(call.operation, 'ListKeys');
    assert.deepEqual(call.input, { Limit: 5 });
    assert.equal(call.caller.arn, 'arn:aws:iam::000000000000:user/admin');
    assert.equal(call.caller.accessKeyId, admin.accessKeyId);
  });

  it('authentication failures get the AWS error names, on both protocols', async () => {
    const wrongSecret = await sendSigned(endpoint, { target: 'TrentService.ListKeys', credentials: { ...admin, secretAccessKey: 'x'.repeat(40) } });
    assert.equal(wrongSecret.status, 400);
    assert.equal(wrongSecret.json.__type, 'InvalidSignatureException');
    assert.equal(wrongSecret.headers['x-amzn-errortype'], 'InvalidSignatureException');
    assert.match(wrongSecret.json.message ?? '', /^The request signature we calculated does not match the signature you provided/);

    const unknownKey = await sendSigned(endpoint, { target: 'TrentService.ListKeys', credentials: { accessKeyId: 'AKIAZZZZZZZZZZZZZZZZ', secretAccessKey: admin.secretAccessKey } });
    assert.equal(unknownKey.json.__type, 'UnrecognizedClientException');
    assert.equal(unknownKey.json.message, 'The security token included in the request is invalid.');

    const unsigned = await sendRaw(endpoint, { path: '/', headers: { 'x-amz-target': 'TrentService.ListKeys' }, body: '{}' });
    assert.equal(unsigned.json.__type, 'MissingAuthenticationTokenException');

    const malformed = await sendRaw(endpoint, { path: '/', headers: { 'x-amz-target': 'TrentService.ListKeys', authorization: 'AWS4-HMAC-SHA256 Credential=x' }, body: '{}' });
    assert.equal(malformed.json.__type, 'IncompleteSignatureException');

    const expired = await sendSigned(endpoint, { target: 'TrentService.ListKeys', credentials: admin, signingDate: new Date(Date.now() - 20 * 60_000) });
    assert.equal(expired.json.__type, 'InvalidSignatureException');
    assert.match(expired.json.message ?? '', /^Signature expired/);

    const wrongService = await sendSigned(endpoint, { target: 'TrentService.ListKeys', credentials: admin, service: 'mq' });
    assert.equal(wrongService.json.__type, 'InvalidSignatureException');

    const tampered = await sendSigned(endpoint, { target: 'TrentService.ListKeys', body: '{}', credentials: admin, tamper: (r) => ({ ...r, body: '{"Limit":1}' }) });
    assert.equal(tampered.json.__type, 'InvalidSignatureException');

    const mqUnsigned = await sendRaw(endpoint, { method: 'GET', path: '/v1/brokers' });
    assert.equal(mqUnsigned.status, 403);
    assert.equal(mqUnsigned.headers['x-amzn-errortype'], 'MissingAuthenticationTokenException');
    assert.equal(typeof mqUnsigned.json.message, 'string');
    assert.equal(mqUnsigned.json.__type, undefined, 'REST-JSON errors carry the type in the header');
    const mqUnknownKey = await sendSigned(endpoint, { method: 'GET', path: '/v1/brokers', credentials: { accessKeyId: 'AKIAZZZZZZZZZZZZZZZZ', secretAccessKey: 'x' } });
    assert.equal(mqUnknownKey.status, 403);
    assert.equal(mqUnknownKey.headers['x-amzn-errortype'], 'UnrecognizedClientException');
  });

  it('bad input: malformed JSON, no target, unknown target, wrong method, unknown path', async () => {
    const badJson = await sendSigned(endpoint, { target: 'TrentService.ListKeys', body: '{"Limit": ', credentials: admin });
    assert.equal(badJson.status, 400);
    assert.equal(badJson.json.__type, 'SerializationException');
    assert.match(badJson.json.message ?? '', /not valid JSON/);

    const noTarget = await sendSigned(endpoint, { credentials: admin });
    assert.equal(noTarget.json.__type, 'UnknownOperationException');
    assert.match(noTarget.json.message ?? '', /X-Amz-Target/);

    const unknownPrefix = await sendSigned(endpoint, { target: 'DynamoDB_20120810.ListTables', credentials: admin });
    assert.equal(unknownPrefix.json.__type, 'UnknownOperationException');

    const unknownOp = await sendSigned(endpoint, { target: 'TrentService.FlyToTheMoon', credentials: admin });
    assert.equal(unknownOp.json.__type, 'UnknownOperationException');

    const get = await sendRaw(endpoint, { method: 'GET', path: '/' });
    assert.equal(get.status, 405);
    assert.equal(get.json.__type, 'UnknownOperationException');

    const nowhere = await sendRaw(endpoint, { method: 'GET', path: '/admin' });
    assert.equal(nowhere.status, 404);
    assert.equal(nowhere.headers['x-amzn-errortype'], 'NotFoundException');
  });

  it('an API error keeps its type and status; an unexpected failure is a 500 without detail', async () => {
    const notFound = await sendSigned(endpoint, { target: 'TrentService.NotFound', credentials: admin });
    assert.equal(notFound.status, 400);
    assert.deepEqual(notFound.json, { __type: 'NotFoundException', message: "Key 'x' does not exist" });
    const exploded = await sendSigned(endpoint, { target: 'TrentService.Explode', credentials: admin });
    assert.equal(exploded.status, 500);
    assert.equal(exploded.json.__type, 'KMSInternalException');
    assert.ok(!exploded.text.includes('secret internal detail'));
  });

  it('a body over the limit gets 413 naming the limit, without reaching the API, and the server keeps serving', async () => {
    const before = kms.calls.length;
    const declared = await sendSigned(endpoint, { target: 'TrentService.ListKeys', body: JSON.stringify({ x: 'A'.repeat(BODY_MAX) }), credentials: admin });
    assert.equal(declared.status, 413);
    assert.equal(declared.json.__type, 'RequestEntityTooLargeException');
    assert.match(declared.json.message ?? '', new RegExp(`limit is ${BODY_MAX} bytes \\(setting limits\\.apiBodyMaxBytes\\)`));
    assert.match(declared.headers['x-amzn-requestid'] ?? '', UUID);

    // Chunked, with no Content-Length: cut off while streaming.
    const chunked = await new Promise<number>((resolve, reject) => {
      const url = new URL(endpoint.url);
      const socket = connect({ host: url.hostname, port: Number(url.port), ca: endpoint.caPem, servername: 'localhost' }, () => {
        socket.write(`POST / HTTP/1.1\r\nHost: ${url.host}\r\nX-Amz-Target: TrentService.ListKeys\r\nTransfer-Encoding: chunked\r\n\r\n`);
        const chunk = 'B'.repeat(16 * 1024);
        for (let i = 0; i < 8; i++) socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
      });
      let text = '';
      socket.on('data', (d: Buffer) => {
        text += d.toString();
        const m = /^HTTP\/1\.1 (\d+)/.exec(text);
        if (m) {
          socket.destroy();
          resolve(Number(m[1]));
        }
      });
      socket.on('error', reject);
    });
    assert.equal(chunked, 413);
    assert.equal(kms.calls.length, before, 'the API never saw the oversized requests');
    const after = await sendSigned(endpoint, { target: 'TrentService.ListKeys', credentials: admin });
    assert.equal(after.status, 200);
  });

  it('garbage on the socket, plain HTTP and a broken handshake leave the server serving', async () => {
    const url = new URL(endpoint.url);
    await new Promise<void>((resolve) => {
      const socket = connect({ host: url.hostname, port: Number(url.port), ca: endpoint.caPem, servername: 'localhost' }, () => socket.write('\x00\x01GARBAGE\r\n\r\n'));
      socket.on('data', () => undefined);
      socket.on('close', () => resolve());
      socket.on('error', () => resolve());
    });
    const net = await import('node:net');
    await new Promise<void>((resolve) => {
      const socket = net.connect(Number(url.port), url.hostname, () => socket.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n'));
      socket.on('data', () => undefined);
      socket.on('close', () => resolve());
      socket.on('error', () => resolve());
    });
    const health = await sendRaw(endpoint, { method: 'GET', path: '/health' });
    assert.equal(health.status, 200);
  });

  it('/v1/ is authenticated for service mq and answers NotFoundException in the REST-JSON shape until the MQ API is wired', async () => {
    const res = await sendSigned(endpoint, { method: 'GET', path: '/v1/brokers', credentials: admin });
    assert.equal(res.status, 404);
    assert.equal(res.headers['x-amzn-errortype'], 'NotFoundException');
    assert.equal(res.headers['content-type'], 'application/json');
    assert.equal(typeof res.json.message, 'string');

    const seen: { rawPath: string; query: string; body: unknown; arn: string }[] = [];
    mq = {
      async handle(caller, request) {
        seen.push({ rawPath: request.rawPath, query: request.query.getAll('tagKeys').join(','), body: request.body, arn: caller.arn });
        if (request.method === 'DELETE') return { status: 204, body: undefined };
        throw new AwsApiError('BadRequestException', 'brokerName is required', 400, 'brokerName');
      },
    };
    try {
      const arn = encodeURIComponent('arn:aws:mq:us-east-1:000000000000:broker:b:b-1');
      const deleted = await sendSigned(endpoint, { method: 'DELETE', path: `/v1/tags/${arn}`, query: { tagKeys: ['a', 'b'] }, credentials: admin });
      assert.equal(deleted.status, 204);
      assert.equal(seen[0]!.rawPath, `/v1/tags/${arn}`, 'the raw path is handed over, still encoded');
      assert.equal(seen[0]!.query, 'a,b');
      const bad = await sendSigned(endpoint, { method: 'POST', path: '/v1/brokers', body: '{}', credentials: admin, headers: { 'content-type': 'application/json' } });
      assert.equal(bad.status, 400);
      assert.deepEqual(bad.json, { message: 'brokerName is required', errorAttribute: 'brokerName' });
      assert.equal(bad.headers['x-amzn-errortype'], 'BadRequestException');
      const badJson = await sendSigned(endpoint, { method: 'POST', path: '/v1/brokers', body: '{', credentials: admin });
      assert.equal(badJson.headers['x-amzn-errortype'], 'BadRequestException');
    } finally {
      mq = undefined;
    }
  });

  it('setCertificate serves a new certificate to new connections', async () => {
    const fingerprint = () =>
      new Promise<string>((resolve, reject) => {
        const url = new URL(endpoint.url);
        const socket = connect({ host: url.hostname, port: Number(url.port), ca: endpoint.caPem, servername: 'localhost' }, () => {
          resolve(socket.getPeerX509Certificate()!.fingerprint256);
          socket.destroy();
        });
        socket.on('error', reject);
      });
    const before = await fingerprint();
    const renewed = await ensureCertificates({ dir: join(root, 'tls'), renewBeforeDays: 400 }); // always due: reissued now
    server.setCertificate(renewed);
    const after = await fingerprint();
    assert.notEqual(after, before);
    assert.equal((await sendRaw(endpoint, { method: 'GET', path: '/health' })).status, 200);
  });

  it('the identity API creates a principal whose key authenticates with its own identity and policies', async () => {
    const created = await sendSigned(endpoint, {
      target: 'SealMQIdentity.CreatePrincipal',
      body: JSON.stringify({ Name: 'app1', Policies: [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'kms:*', Resource: '*' }] }] }),
      credentials: admin,
    });
    assert.equal(created.status, 200, created.text);
    const principal = created.json.Principal as { Arn: string };
    const accessKey = created.json.AccessKey as { AccessKeyId: string; SecretAccessKey: string };
    assert.equal(principal.Arn, 'arn:aws:iam::000000000000:user/app1');
    const app = { accessKeyId: accessKey.AccessKeyId, secretAccessKey: accessKey.SecretAccessKey };
    const res = await sendSigned(endpoint, { target: 'TrentService.ListKeys', credentials: app });
    assert.equal(res.status, 200);
    assert.equal(kms.calls.at(-1)!.caller.arn, principal.Arn);

    const denied = await sendSigned(endpoint, { target: 'SealMQIdentity.CreatePrincipal', body: '{"Name":"escalate"}', credentials: app });
    assert.equal(denied.json.__type, 'AccessDeniedException');
    assert.match(denied.json.message ?? '', /not authorized to perform: iam:CreateUser/);

    const malformed = await sendSigned(endpoint, {
      target: 'SealMQIdentity.CreatePrincipal',
      body: JSON.stringify({ Name: 'app2', Policies: [{ Statement: [{ Effect: 'Maybe', Action: '*', Resource: '*' }] }] }),
      credentials: admin,
    });
    assert.equal(malformed.json.__type, 'MalformedPolicyDocumentException');

    const duplicate = await sendSigned(endpoint, { target: 'SealMQIdentity.CreatePrincipal', body: '{"Name":"app1"}', credentials: admin });
    assert.equal(duplicate.json.__type, 'EntityAlreadyExistsException');

    const listed = await sendSigned(endpoint, { target: 'SealMQIdentity.ListPrincipals', credentials: admin });
    assert.ok(!listed.text.includes(app.secretAccessKey), 'secrets are never listed');

    await sendSigned(endpoint, { target: 'SealMQIdentity.DeleteAccessKey', body: JSON.stringify({ AccessKeyId: app.accessKeyId }), credentials: admin });
    const revoked = await sendSigned(endpoint, { target: 'TrentService.ListKeys', credentials: app });
    assert.equal(revoked.json.__type, 'UnrecognizedClientException');
  });
});
