// The client side of `sealmq principal ...` and `sealmq access-key ...`: finds a running SealMQ from
// DATA/endpoints.json, signs SealMQIdentity requests (SigV4, signing name iam) with the credentials in
// DATA/credentials (or given ones), trusts DATA/tls/ca.pem, and returns the JSON answer or throws the
// AWS error. What the operations do is src/identity/identity-api.ts's, in the server.
import { request as httpsRequest } from 'node:https';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { parseCredentialsFile } from '../identity/access-keys.ts';
import { IDENTITY_SIGNING_NAME, IDENTITY_TARGET_PREFIX } from '../identity/identity-api.ts';
import { NodeSha256 } from '../identity/sigv4.ts';
import { CREDENTIALS_FILE, ENDPOINTS_FILE, type EndpointsFile } from './serve.ts';

export interface IdentityClientOptions {
  dataDir: string;
  /** Overrides endpoints.json. */
  endpointUrl?: string;
  /** Overrides DATA/tls/ca.pem. */
  caFile?: string;
  /** Overrides DATA/credentials. */
  credentialsFile?: string;
  profile?: string;
}

/** A failure the CLI reports in one line. */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

/** An AWS error answered by the server. */
export class RemoteApiError extends Error {
  constructor(
    readonly errorType: string,
    message: string,
    readonly status: number,
  ) {
    super(`${errorType}: ${message}`);
    this.name = 'RemoteApiError';
  }
}

export class IdentityClient {
  private constructor(
    private readonly url: URL,
    private readonly caPem: string | undefined,
    private readonly region: string,
    private readonly credentials: { accessKeyId: string; secretAccessKey: string },
  ) {}

  static async connect(options: IdentityClientOptions): Promise<IdentityClient> {
    let endpoints: Partial<EndpointsFile> = {};
    if (options.endpointUrl === undefined) {
      const path = join(options.dataDir, ENDPOINTS_FILE);
      try {
        endpoints = JSON.parse(await readFile(path, 'utf8')) as EndpointsFile;
      } catch {
        throw new CliError(`SealMQ is not running with data directory ${options.dataDir} (no ${path}); start it with 'sealmq serve --data-dir ${options.dataDir}', or pass --endpoint-url`);
      }
    }
    const url = new URL(options.endpointUrl ?? endpoints.api ?? '');
    const caFile = options.caFile ?? endpoints.caFile;
    const caPem = caFile === undefined ? undefined : await readText(caFile, 'CA file');
    const credentialsFile = options.credentialsFile ?? endpoints.credentialsFile ?? join(options.dataDir, CREDENTIALS_FILE);
    const profileName = options.profile ?? 'default';
    const profile = parseCredentialsFile(await readText(credentialsFile, 'credentials file'))[profileName];
    if (profile?.aws_access_key_id === undefined || profile.aws_secret_access_key === undefined) {
      throw new CliError(`${credentialsFile} has no access key in profile [${profileName}]`);
    }
    return new IdentityClient(url, caPem, endpoints.region ?? 'us-east-1', { accessKeyId: profile.aws_access_key_id, secretAccessKey: profile.aws_secret_access_key });
  }

  /** Calls SealMQIdentity.<operation>; throws RemoteApiError for an AWS error. */
  async call(operation: string, input: Record<string, unknown>): Promise<Record<string, unknown>> {
    const body = Buffer.from(JSON.stringify(input), 'utf8');
    const signer = new SignatureV4({ service: IDENTITY_SIGNING_NAME, region: this.region, credentials: this.credentials, sha256: NodeSha256 });
    const signed = await signer.sign(
      new HttpRequest({
        method: 'POST',
        protocol: 'https:',
        hostname: this.url.hostname,
        port: Number(this.url.port),
        path: '/',
        headers: {
          host: this.url.host,
          'content-type': 'application/x-amz-json-1.1',
          'content-length': String(body.length),
          'x-amz-target': `${IDENTITY_TARGET_PREFIX}.${operation}`,
        },
        body,
      }),
    );
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = httpsRequest(
        {
          host: this.url.hostname.replace(/^\[|\]$/g, ''),
          port: Number(this.url.port),
          method: 'POST',
          path: '/',
          headers: signed.headers,
          ...(this.caPem !== undefined ? { ca: this.caPem } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('error', (error: NodeJS.ErrnoException) =>
        reject(new CliError(`cannot reach SealMQ at ${this.url.origin}: ${error.code ?? error.message}; is 'sealmq serve' running?`)),
      );
      req.end(body);
    });
    let json: Record<string, unknown> = {};
    try {
      json = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
    } catch {
      throw new CliError(`unexpected answer from ${this.url.origin} (HTTP ${status})`);
    }
    if (status !== 200) throw new RemoteApiError(String(json.__type ?? 'Error'), String(json.message ?? ''), status);
    return json;
  }
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read the ${what} ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}
