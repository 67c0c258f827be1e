import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';
import { NodeSha256, SigV4Error, SigV4Verifier, formatAmzDate, type SignedRequest } from './sigv4.ts';

const KEY = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const NOW = Date.UTC(2026, 10, 29, 3, 0, 0);
const HOST = '127.0.0.1:8443';

function verifier(now = NOW) {
  return new SigV4Verifier({ region: 'us-east-1', lookup: (id) => (id === KEY.accessKeyId ? KEY : undefined), now: () => now });
}

/** Signs the way the JS SDK v3 does: every header, x-amz-content-sha256 added and signed. */
async function signSdkStyle(options: { body: string; path?: string; query?: Record<string, string | string[]>; service?: string; at?: number; secret?: string }): Promise<SignedRequest> {
  const signer = new SignatureV4({
    service: options.service ?? 'kms',
    region: 'us-east-1',
    credentials: { accessKeyId: KEY.accessKeyId, secretAccessKey: options.secret ?? KEY.secretAccessKey },
    sha256: Sha256,
  });
  const request = new HttpRequest({
    method: 'POST',
    protocol: 'https:',
    hostname: '127.0.0.1',
    port: 8443,
    path: options.path ?? '/',
    query: options.query ?? {},
    headers: {
      host: HOST,
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'TrentService.ListKeys',
      'content-length': String(Buffer.byteLength(options.body)),
      'amz-sdk-invocation-id': '0f7c6a8e-0000-4000-8000-000000000000',
      'amz-sdk-request': 'attempt=1; max=3',
      'x-amz-user-agent': 'aws-sdk-js/3.0.0',
      'user-agent': 'aws-sdk-js/3.0.0 ua/2.1 os/linux',
    },
    body: options.body,
  });
  const signed = await signer.sign(request, { signingDate: new Date(options.at ?? NOW) });
  const rawQuery = Object.entries(options.query ?? {})
    .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${encodeURIComponent(k)}=${encodeURIComponent(x)}`))
    .join('&');
  return {
    method: 'POST',
    rawUrl: (options.path ?? '/') + (rawQuery ? `?${rawQuery}` : ''),
    headers: Object.fromEntries(Object.entries(signed.headers).map(([k, v]) => [k.toLowerCase(), v])),
    body: Buffer.from(options.body),
  };
}

// botocore's SigV4Auth, rewritten here from its algorithm (aws-apis.md 4.1, botocore/auth.py), so that
// the verifier is checked against an implementation that is not the one it uses.
function quote(text: string, safe: string): string {
  return Array.from(Buffer.from(text, 'utf8'))
    .map((byte) => {
      const ch = String.fromCharCode(byte);
      return /[A-Za-z0-9_.\-~]/.test(ch) || safe.includes(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('');
}

function signBotocoreStyle(options: { method: string; path: string; query?: [string, string][]; body: string; service: string; headers: Record<string, string>; at?: number }): SignedRequest {
  const amzDate = formatAmzDate(options.at ?? NOW);
  const headers: Record<string, string> = { ...options.headers, host: HOST, 'x-amz-date': amzDate };
  const signedNames = Object.keys(headers)
    .map((h) => h.toLowerCase())
    .filter((h) => !['expect', 'user-agent', 'x-amzn-trace-id'].includes(h))
    .sort();
  const canonicalHeaders = signedNames.map((h) => `${h}:${headers[h]!.trim().replace(/\s+/g, ' ')}\n`).join('');
  const query = (options.query ?? [])
    .map(([k, v]) => [quote(k, ''), quote(v, '')] as const)
    .sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonicalRequest = [
    options.method,
    quote(options.path, '/~'),
    query,
    canonicalHeaders,
    signedNames.join(';'),
    createHash('sha256').update(options.body).digest('hex'),
  ].join('\n');
  const scope = `${amzDate.slice(0, 8)}/us-east-1/${options.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
  const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();
  const kSigning = hmac(hmac(hmac(hmac(`AWS4${KEY.secretAccessKey}`, amzDate.slice(0, 8)), 'us-east-1'), options.service), 'aws4_request');
  const signature = createHmac('sha256', kSigning).update(stringToSign).digest('hex');
  const rawQuery = (options.query ?? []).map(([k, v]) => `${quote(k, '')}=${quote(v, '')}`).join('&');
  return {
    method: options.method,
    rawUrl: options.path + (rawQuery ? `?${rawQuery}` : ''),
    headers: {
      ...Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])),
      authorization: `AWS4-HMAC-SHA256 Credential=${KEY.accessKeyId}/${scope}, SignedHeaders=${signedNames.join(';')}, Signature=${signature}`,
      'user-agent': 'aws-cli/1.45.11 Python/3.11.7',
    },
    body: Buffer.from(options.body),
  };
}

async function rejectsWithCode(promise: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof SigV4Error, `expected SigV4Error, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (message) assert.match(error.message, message);
    return true;
  });
}

describe('SigV4Verifier', () => {
  it('accepts a request signed the JS SDK way (x-amz-content-sha256 signed, many headers)', async () => {
    const request = await signSdkStyle({ body: '{}' });
    assert.ok(String(request.headers['authorization']).includes('x-amz-content-sha256'));
    const verified = await verifier().verify(request, 'kms');
    assert.equal(verified.accessKey.accessKeyId, KEY.accessKeyId);
    assert.equal(verified.service, 'kms');
  });

  it('accepts a request signed the AWS CLI way (no content hash header)', async () => {
    const request = signBotocoreStyle({
      method: 'POST',
      path: '/',
      body: '{"Limit": 10}',
      service: 'kms',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'TrentService.ListKeys', 'content-length': '13' },
    });
    assert.equal(request.headers['x-amz-content-sha256'], undefined);
    await verifier().verify(request, 'kms');
  });

  it('signs the raw path encoded once more: an encoded ARN in an MQ path, and a repeated query key (both styles)', async () => {
    const arnPath = `/v1/tags/${encodeURIComponent('arn:aws:mq:us-east-1:000000000000:broker:b1:b-1234')}`;
    const cli = signBotocoreStyle({ method: 'DELETE', path: arnPath, query: [['tagKeys', 'b'], ['tagKeys', 'a c']], body: '', service: 'mq', headers: {} });
    assert.ok(cli.rawUrl.includes('%3A'));
    await verifier().verify(cli, 'mq');
    const sdk = await signSdkStyle({ body: '', path: arnPath, query: { tagKeys: ['a', 'b/c'] }, service: 'mq' });
    await verifier().verify(sdk, 'mq');
    // The decoded path is a different request.
    await rejectsWithCode(verifier().verify({ ...cli, rawUrl: cli.rawUrl.replace(/%3A/g, ':') }, 'mq'), 'INVALID_SIGNATURE', /does not match/);
  });

  it('refuses a body changed after signing, with and without x-amz-content-sha256', async () => {
    const sdk = await signSdkStyle({ body: '{}' });
    await rejectsWithCode(verifier().verify({ ...sdk, body: Buffer.from('{"Limit":1}') }, 'kms'), 'INVALID_SIGNATURE', /x-amz-content-sha256/);
    const cli = signBotocoreStyle({ method: 'POST', path: '/', body: '{}', service: 'kms', headers: { 'x-amz-target': 'TrentService.ListKeys' } });
    await rejectsWithCode(verifier().verify({ ...cli, body: Buffer.from('{"Limit":1}') }, 'kms'), 'INVALID_SIGNATURE', /signature we calculated does not match/);
  });

  it('refuses a changed signed header, accepts an added unsigned one', async () => {
    const sdk = await signSdkStyle({ body: '{}' });
    await rejectsWithCode(verifier().verify({ ...sdk, headers: { ...sdk.headers, 'x-amz-target': 'TrentService.CreateKey' } }, 'kms'), 'INVALID_SIGNATURE');
    await verifier().verify({ ...sdk, headers: { ...sdk.headers, 'x-forwarded-for': '10.0.0.1' } }, 'kms');
  });

  it('refuses a wrong secret key with AWS wording', async () => {
    const request = await signSdkStyle({ body: '{}', secret: 'x'.repeat(40) });
    await rejectsWithCode(
      verifier().verify(request, 'kms'),
      'INVALID_SIGNATURE',
      /^The request signature we calculated does not match the signature you provided\. Check your AWS Secret Access Key and signing method\./,
    );
  });

  it('refuses an unknown access key', async () => {
    const request = await signSdkStyle({ body: '{}' });
    const other = new SigV4Verifier({ region: 'us-east-1', lookup: () => undefined, now: () => NOW });
    await rejectsWithCode(other.verify(request, 'kms'), 'UNKNOWN_ACCESS_KEY', /^The security token included in the request is invalid\.$/);
  });

  it('refuses a request signed for another service or region', async () => {
    const request = await signSdkStyle({ body: '{}', service: 'mq' });
    await rejectsWithCode(verifier().verify(request, 'kms'), 'INVALID_SIGNATURE', /scoped to correct service: 'kms'/);
    const west = new SigV4Verifier({ region: 'eu-west-1', lookup: () => KEY, now: () => NOW });
    await rejectsWithCode(west.verify(await signSdkStyle({ body: '{}' }), 'kms'), 'INVALID_SIGNATURE', /valid region/);
  });

  it('accepts 14 minutes of clock skew and refuses 16, both ways', async () => {
    const min = 60_000;
    await verifier().verify(await signSdkStyle({ body: '{}', at: NOW - 14 * min }), 'kms');
    await verifier().verify(await signSdkStyle({ body: '{}', at: NOW + 14 * min }), 'kms');
    await rejectsWithCode(verifier().verify(await signSdkStyle({ body: '{}', at: NOW - 16 * min }), 'kms'), 'EXPIRED', /^Signature expired: \d{8}T\d{6}Z is now earlier than/);
    await rejectsWithCode(verifier().verify(await signSdkStyle({ body: '{}', at: NOW + 16 * min }), 'kms'), 'EXPIRED', /not yet current/);
  });

  it('refuses a missing or malformed Authorization header', async () => {
    const request = await signSdkStyle({ body: '{}' });
    const withAuth = (authorization: string | undefined) => ({ ...request, headers: { ...request.headers, authorization } });
    await rejectsWithCode(verifier().verify(withAuth(undefined), 'kms'), 'MISSING_AUTHENTICATION');
    await rejectsWithCode(verifier().verify(withAuth('Basic YWRtaW46YWRtaW4='), 'kms'), 'INCOMPLETE_SIGNATURE');
    await rejectsWithCode(verifier().verify(withAuth('AWS4-HMAC-SHA256 Credential=AKIA/20261129/us-east-1/kms/aws4_request'), 'kms'), 'INCOMPLETE_SIGNATURE', /SignedHeaders/);
    const good = String(request.headers['authorization']);
    await rejectsWithCode(verifier().verify(withAuth(good.replace('aws4_request', 'aws5_request')), 'kms'), 'INCOMPLETE_SIGNATURE', /terminator/);
    await rejectsWithCode(verifier().verify(withAuth(good.replace(/Signature=[0-9a-f]+/, 'Signature=zz')), 'kms'), 'INCOMPLETE_SIGNATURE');
    await rejectsWithCode(verifier().verify(withAuth(good.replace('SignedHeaders=', 'SignedHeaders=zzz-missing;')), 'kms'), 'INCOMPLETE_SIGNATURE');
    const { ['x-amz-date']: _dropped, ...noDate } = request.headers;
    await rejectsWithCode(verifier().verify({ ...request, headers: noDate }, 'kms'), 'INCOMPLETE_SIGNATURE', /X-Amz-Date/);
  });
});

describe('NodeSha256', () => {
  it('matches @aws-crypto/sha256-js for hashes and HMACs', async () => {
    for (const secret of [undefined, 'key', new Uint8Array([1, 2, 3])]) {
      const a = new NodeSha256(secret);
      const b = new Sha256(secret);
      a.update('hello');
      b.update('hello');
      assert.deepEqual(Buffer.from(await a.digest()), Buffer.from(await b.digest()));
    }
  });
});
