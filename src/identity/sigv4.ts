// AWS Signature Version 4 verification for the control-plane APIs (services `kms` and `mq`): parse
// the Authorization header, check scope, clock window and body hash, recompute the signature with
// @smithy/signature-v4 over exactly the signed headers, the raw path and the raw query, and compare
// in constant time. Which access key belongs to whom is the lookup's business (principal-store.ts);
// how a failure is written on the wire is each API's (src/control).
//
// Rules (shared/reference/aws-apis.md section 4): the canonical URI is the path *as sent*, URI-encoded
// once more (`/v1/tags/arn%3Aaws` signs as `/v1/tags/arn%253Aaws`); x-amz-content-sha256 is optional
// (the JS SDK sends and signs it, the AWS CLI does not) but when present it must be the hash of the
// body received; the request time must be within 15 minutes of ours.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

export const SIGV4_ALGORITHM = 'AWS4-HMAC-SHA256';
export const CLOCK_SKEW_MAX_MS = 15 * 60 * 1000;
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export const SigV4ErrorCode = {
  /** No Authorization header at all. */
  MISSING_AUTHENTICATION: 'MISSING_AUTHENTICATION',
  /** The header is there but malformed or incomplete. */
  INCOMPLETE_SIGNATURE: 'INCOMPLETE_SIGNATURE',
  /** The access key id is not known. */
  UNKNOWN_ACCESS_KEY: 'UNKNOWN_ACCESS_KEY',
  /** Outside the clock window. */
  EXPIRED: 'EXPIRED',
  /** Wrong service or region in the credential scope, a body hash that does not match, or a wrong signature. */
  INVALID_SIGNATURE: 'INVALID_SIGNATURE',
} as const;
export type SigV4ErrorCode = (typeof SigV4ErrorCode)[keyof typeof SigV4ErrorCode];

/** The request is not authenticated; `message` is AWS's wording and safe to return to the caller. */
export class SigV4Error extends Error {
  constructor(
    readonly code: SigV4ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SigV4Error';
  }
}

export const SIGV4_MESSAGES = {
  MISSING_AUTHENTICATION: 'Missing Authentication Token',
  UNKNOWN_ACCESS_KEY: 'The security token included in the request is invalid.',
  SIGNATURE_MISMATCH:
    'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
} as const;

/** What the verifier needs to know about an access key. */
export interface AccessKeySecret {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** A request as received: the method, the raw target (path and query as sent), headers and the whole body. */
export interface SignedRequest {
  readonly method: string;
  /** `req.url`: the path and query exactly as sent, not decoded. */
  readonly rawUrl: string;
  /** Lower-case names; repeated headers as arrays (Node's `headersDistinct`) or joined strings. */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  readonly body: Buffer;
}

export interface VerifiedSignature<K extends AccessKeySecret> {
  readonly accessKey: K;
  readonly region: string;
  readonly service: string;
  /** The request time from x-amz-date. */
  readonly signedAt: Date;
}

export interface SigV4VerifierOptions<K extends AccessKeySecret> {
  /** The region this endpoint serves; a credential scoped to another is refused. */
  region: string;
  /** Finds an access key by id; undefined when unknown. */
  lookup: (accessKeyId: string) => K | undefined | Promise<K | undefined>;
  /** Milliseconds since the epoch; injected for tests. */
  now?: () => number;
  clockSkewMaxMs?: number;
}

interface ParsedAuthorization {
  accessKeyId: string;
  scopeDate: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

/** Verifies SigV4-signed requests. */
export class SigV4Verifier<K extends AccessKeySecret> {
  readonly #region: string;
  readonly #lookup: SigV4VerifierOptions<K>['lookup'];
  readonly #now: () => number;
  readonly #clockSkewMaxMs: number;

  constructor(options: SigV4VerifierOptions<K>) {
    this.#region = options.region;
    this.#lookup = options.lookup;
    this.#now = options.now ?? Date.now;
    this.#clockSkewMaxMs = options.clockSkewMaxMs ?? CLOCK_SKEW_MAX_MS;
  }

  /** Returns the access key the request was signed with; throws SigV4Error. `service` is the API's signing name. */
  async verify(request: SignedRequest, service: string): Promise<VerifiedSignature<K>> {
    const authorization = headerValue(request.headers, 'authorization');
    if (authorization === undefined || authorization.trim() === '') {
      throw new SigV4Error('MISSING_AUTHENTICATION', SIGV4_MESSAGES.MISSING_AUTHENTICATION);
    }
    const auth = parseAuthorization(authorization);

    const amzDate = headerValue(request.headers, 'x-amz-date');
    if (amzDate === undefined) {
      throw new SigV4Error('INCOMPLETE_SIGNATURE', "Authorization header requires existence of a 'X-Amz-Date' header.");
    }
    const signedAt = parseAmzDate(amzDate);
    if (!auth.signedHeaders.includes('host')) {
      throw new SigV4Error('INCOMPLETE_SIGNATURE', "'Host' must be a 'SignedHeader' in the AWS Authorization.");
    }
    if (!auth.signedHeaders.includes('x-amz-date')) {
      throw new SigV4Error('INCOMPLETE_SIGNATURE', "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.");
    }
    for (const name of auth.signedHeaders) {
      if (headerValue(request.headers, name) === undefined) {
        throw new SigV4Error('INCOMPLETE_SIGNATURE', `The signed header '${name.slice(0, 64)}' is not in the request.`);
      }
    }
    if (auth.scopeDate !== amzDate.slice(0, 8)) {
      throw new SigV4Error('INVALID_SIGNATURE', `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${auth.scopeDate}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`);
    }
    if (auth.service !== service) {
      throw new SigV4Error('INVALID_SIGNATURE', `Credential should be scoped to correct service: '${service}'.`);
    }
    if (auth.region !== this.#region) {
      throw new SigV4Error('INVALID_SIGNATURE', `Credential should be scoped to a valid region, not '${auth.region.slice(0, 64)}'. Use '${this.#region}'.`);
    }

    const accessKey = await this.#lookup(auth.accessKeyId);
    if (accessKey === undefined) throw new SigV4Error('UNKNOWN_ACCESS_KEY', SIGV4_MESSAGES.UNKNOWN_ACCESS_KEY);

    const now = this.#now();
    const skew = signedAt.getTime() - now;
    if (skew < -this.#clockSkewMaxMs) {
      throw new SigV4Error(
        'EXPIRED',
        `Signature expired: ${amzDate} is now earlier than ${formatAmzDate(now - this.#clockSkewMaxMs)} (${formatAmzDate(now)} - ${this.#clockSkewMaxMs / 60_000} min.)`,
      );
    }
    if (skew > this.#clockSkewMaxMs) {
      throw new SigV4Error(
        'EXPIRED',
        `Signature not yet current: ${amzDate} is still later than ${formatAmzDate(now + this.#clockSkewMaxMs)} (${formatAmzDate(now)} + ${this.#clockSkewMaxMs / 60_000} min.)`,
      );
    }

    const bodyHash = request.body.length === 0 ? EMPTY_SHA256 : createHash('sha256').update(request.body).digest('hex');
    const declaredHash = headerValue(request.headers, 'x-amz-content-sha256');
    if (declaredHash !== undefined && !constantTimeEqual(declaredHash.trim().toLowerCase(), bodyHash)) {
      throw new SigV4Error('INVALID_SIGNATURE', "The provided 'x-amz-content-sha256' header does not match what was computed.");
    }

    const expected = await computeSignature(request, auth, accessKey, signedAt);
    if (!constantTimeEqual(expected, auth.signature)) {
      throw new SigV4Error('INVALID_SIGNATURE', SIGV4_MESSAGES.SIGNATURE_MISMATCH);
    }
    return { accessKey, region: auth.region, service: auth.service, signedAt };
  }
}

/** Recomputes the signature over exactly the signed headers, the raw path and the raw query. */
async function computeSignature(request: SignedRequest, auth: ParsedAuthorization, secret: AccessKeySecret, signedAt: Date): Promise<string> {
  const { path, query } = splitRawUrl(request.rawUrl);
  const headers: Record<string, string> = {};
  for (const name of auth.signedHeaders) headers[name] = headerValue(request.headers, name)!;
  const host = headers.host ?? '';
  const signer = new SignatureV4({
    service: auth.service,
    region: auth.region,
    credentials: { accessKeyId: secret.accessKeyId, secretAccessKey: secret.secretAccessKey },
    sha256: NodeSha256,
    uriEscapePath: true,
    applyChecksum: false,
  });
  const httpRequest = new HttpRequest({
    method: request.method.toUpperCase(),
    protocol: 'https:',
    hostname: host.replace(/:\d+$/, ''),
    path,
    query,
    headers,
    body: request.body,
  });
  const signed = await signer.sign(httpRequest, {
    signingDate: signedAt,
    signableHeaders: new Set(auth.signedHeaders),
    signingRegion: auth.region,
    signingService: auth.service,
  });
  const header = String(signed.headers.authorization ?? '');
  const signedHeaderList = /SignedHeaders=([^,\s]+)/.exec(header)?.[1];
  if (signedHeaderList !== auth.signedHeaders.join(';')) {
    // The signer would have signed another set (a header it never signs, e.g. a duplicate): a mismatch.
    return '';
  }
  return /Signature=([0-9a-f]+)/.exec(header)?.[1] ?? '';
}

function parseAuthorization(value: string): ParsedAuthorization {
  const incomplete = (message: string) => new SigV4Error('INCOMPLETE_SIGNATURE', message);
  const trimmed = value.trim();
  const space = trimmed.indexOf(' ');
  const algorithm = space === -1 ? trimmed : trimmed.slice(0, space);
  if (algorithm !== SIGV4_ALGORITHM) {
    throw incomplete(`Authorization header requires the '${SIGV4_ALGORITHM}' algorithm.`);
  }
  const parts = new Map<string, string>();
  for (const part of trimmed.slice(space + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    parts.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const missing = ['Credential', 'SignedHeaders', 'Signature'].filter((name) => !parts.get(name));
  if (missing.length > 0) {
    throw incomplete(missing.map((name) => `Authorization header requires '${name}' parameter.`).join(' '));
  }
  const credential = parts.get('Credential')!.split('/');
  if (credential.length !== 5 || credential.some((c) => c === '')) {
    throw incomplete("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/aws4_request.");
  }
  const [accessKeyId, scopeDate, region, service, terminator] = credential as [string, string, string, string, string];
  if (terminator !== 'aws4_request') throw incomplete("Credential should be scoped with a valid terminator: 'aws4_request'.");
  if (!/^\d{8}$/.test(scopeDate)) throw incomplete('Credential date must be YYYYMMDD.');
  const signature = parts.get('Signature')!;
  if (!/^[0-9a-f]{64}$/.test(signature)) throw incomplete('Signature must be 64 lower-case hex characters.');
  const signedHeaders = parts.get('SignedHeaders')!.split(';');
  if (signedHeaders.some((h) => h === '' || h !== h.toLowerCase() || h.trim() !== h)) {
    throw incomplete('SignedHeaders must be lower-case header names separated by semicolons.');
  }
  const sorted = [...signedHeaders].sort();
  if (sorted.some((h, i) => h !== signedHeaders[i] || (i > 0 && h === sorted[i - 1]))) {
    throw incomplete('SignedHeaders must be sorted and without repeats.');
  }
  return { accessKeyId, scopeDate, region, service, signedHeaders, signature };
}

function parseAmzDate(value: string): Date {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value.trim());
  const date = match ? new Date(Date.UTC(+match[1]!, +match[2]! - 1, +match[3]!, +match[4]!, +match[5]!, +match[6]!)) : undefined;
  if (date === undefined || Number.isNaN(date.getTime())) {
    throw new SigV4Error('INCOMPLETE_SIGNATURE', "X-Amz-Date must be in the ISO-8601 basic format 'YYYYMMDD'T'HHMMSS'Z'.");
  }
  return date;
}

export function formatAmzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** The raw path, and the query decoded into name -> value(s) (the signer re-encodes them). */
function splitRawUrl(rawUrl: string): { path: string; query: Record<string, string | string[]> } {
  const q = rawUrl.indexOf('?');
  const path = q === -1 ? rawUrl : rawUrl.slice(0, q);
  const query: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  if (q !== -1) {
    for (const pair of rawUrl.slice(q + 1).split('&')) {
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      const name = decodeComponent(eq === -1 ? pair : pair.slice(0, eq));
      const value = eq === -1 ? '' : decodeComponent(pair.slice(eq + 1));
      const existing = query[name];
      if (existing === undefined) query[name] = value;
      else query[name] = Array.isArray(existing) ? [...existing, value] : [existing, value];
    }
  }
  return { path: path === '' ? '/' : path, query };
}

function decodeComponent(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new SigV4Error('INCOMPLETE_SIGNATURE', 'The query string is not validly percent-encoded.');
  }
}

function headerValue(headers: SignedRequest['headers'], name: string): string | undefined {
  const value = headers[name];
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : value.join(',');
}

/** Constant-time string comparison (the lengths are not secret: both are fixed-size hex). */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  if (left.length !== right.length) {
    timingSafeEqual(left, left);
    return false;
  }
  return timingSafeEqual(left, right);
}

type SourceData = string | ArrayBuffer | ArrayBufferView;

function toBytes(data: Exclude<SourceData, string>): Uint8Array {
  return data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** SHA-256 / HMAC-SHA-256 over node:crypto, in the shape @smithy/signature-v4 expects. */
export class NodeSha256 {
  #hash: ReturnType<typeof createHash> | ReturnType<typeof createHmac>;
  readonly #secret: string | Uint8Array | undefined;

  constructor(secret?: SourceData) {
    this.#secret = secret === undefined || typeof secret === 'string' ? secret : toBytes(secret);
    this.#hash = this.#fresh();
  }

  update(data: SourceData, encoding?: 'utf8' | 'ascii' | 'latin1'): void {
    if (typeof data === 'string') this.#hash.update(data, encoding ?? 'utf8');
    else this.#hash.update(toBytes(data));
  }

  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }

  reset(): void {
    this.#hash = this.#fresh();
  }

  #fresh() {
    return this.#secret === undefined ? createHash('sha256') : createHmac('sha256', this.#secret);
  }
}
