// Test helper: HTTPS requests to a SealMQ endpoint, signed with AWS SigV4 the way the JS SDK signs
// (via @smithy/signature-v4) or not signed at all, trusting the installation's CA. Returns status,
// headers and the parsed JSON body, for asserting AWS error names and shapes.
import { request as httpsRequest } from 'node:https';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';

export interface Endpoint {
  /** `https://127.0.0.1:PORT` */
  readonly url: string;
  readonly caPem: string;
}

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export interface RawRequest {
  method?: string;
  /** Path and query as sent, e.g. `/v1/brokers?maxResults=5`. */
  path?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface SignedRequestOptions {
  method?: string;
  path?: string;
  query?: Record<string, string | string[]>;
  /** X-Amz-Target, e.g. `TrentService.ListKeys`. */
  target?: string;
  body?: string | Buffer;
  headers?: Record<string, string>;
  service?: string;
  region?: string;
  credentials: Credentials;
  signingDate?: Date;
  /** Changes the request after signing (to test tampering). */
  tamper?: (request: RawRequest) => RawRequest;
}

export interface HttpResult {
  status: number;
  headers: Record<string, string | undefined>;
  text: string;
  /** The JSON body, or {} when it is not JSON. */
  json: Record<string, unknown> & { __type?: string; message?: string };
}

/** Sends a request as-is. */
export function sendRaw(endpoint: Endpoint, raw: RawRequest): Promise<HttpResult> {
  const url = new URL(endpoint.url);
  const body = raw.body === undefined ? undefined : Buffer.isBuffer(raw.body) ? raw.body : Buffer.from(raw.body);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: url.hostname.replace(/^\[|\]$/g, ''),
        port: Number(url.port),
        method: raw.method ?? 'POST',
        path: raw.path ?? '/',
        headers: { ...(body !== undefined ? { 'content-length': String(body.length) } : {}), ...raw.headers },
        ca: endpoint.caPem,
        servername: 'localhost',
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: HttpResult['json'] = {};
          try {
            const parsed = JSON.parse(text) as unknown;
            if (parsed !== null && typeof parsed === 'object') json = parsed as HttpResult['json'];
          } catch {
            // not JSON
          }
          const headers: Record<string, string | undefined> = {};
          for (const [name, value] of Object.entries(res.headers)) headers[name] = Array.isArray(value) ? value.join(',') : value;
          resolve({ status: res.statusCode ?? 0, headers, text, json });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Signs a request as the JS SDK does (x-amz-content-sha256 included) and sends it. */
export async function sendSigned(endpoint: Endpoint, options: SignedRequestOptions): Promise<HttpResult> {
  const url = new URL(endpoint.url);
  const body = options.body ?? (options.method === undefined || options.method === 'POST' ? '{}' : '');
  const bodyBuffer = Buffer.isBuffer(body) ? body : Buffer.from(body);
  const service = options.service ?? (options.target?.startsWith('SealMQIdentity.') ? 'iam' : options.path?.startsWith('/v1') ? 'mq' : 'kms');
  const headers: Record<string, string> = {
    host: url.host,
    'content-length': String(bodyBuffer.length),
    ...(options.target !== undefined ? { 'x-amz-target': options.target, 'content-type': 'application/x-amz-json-1.1' } : {}),
    ...options.headers,
  };
  const signer = new SignatureV4({ service, region: options.region ?? 'us-east-1', credentials: options.credentials, sha256: Sha256 });
  const path = options.path ?? '/';
  const signed = await signer.sign(
    new HttpRequest({ method: options.method ?? 'POST', protocol: 'https:', hostname: url.hostname, port: Number(url.port), path, query: options.query ?? {}, headers, body: bodyBuffer }),
    options.signingDate !== undefined ? { signingDate: options.signingDate } : {},
  );
  const rawQuery = Object.entries(options.query ?? {})
    .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${encodeURIComponent(k)}=${encodeURIComponent(x)}`))
    .join('&');
  let raw: RawRequest = {
    method: options.method ?? 'POST',
    path: path + (rawQuery === '' ? '' : `?${rawQuery}`),
    headers: signed.headers as Record<string, string>,
    body: bodyBuffer,
  };
  if (options.tamper !== undefined) {
    raw = options.tamper(raw);
    const tamperedBody = raw.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(raw.body) ? raw.body : Buffer.from(raw.body);
    raw = { ...raw, headers: { ...raw.headers, 'content-length': String(tamperedBody.length) }, body: tamperedBody };
  }
  return sendRaw(endpoint, raw);
}
