// Test helper for end-to-end suites: runs the real `sealmq serve` as a child process on loopback
// (port 0, a fresh data directory), waits for DATA/endpoints.json, and hands back what a client
// needs: the endpoints, the administrator's credentials, the CA to trust. Also AWS SDK clients and
// signed raw requests pointed at it, and restarts and failed starts for recovery tests.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { Agent, request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KMSClient, type KMSClientConfig } from '@aws-sdk/client-kms';
import { MqClient, type MqClientConfig } from '@aws-sdk/client-mq';
import type { PolicyDocument } from '../../src/identity/caller.ts';
import { sendSigned, type Credentials, type HttpResult, type RawRequest } from './aws-request.ts';

export type { Credentials, HttpResult } from './aws-request.ts';

const BIN = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'sealmq.js');
const READY_TIMEOUT_MS = 90_000;
const OUTPUT_MAX_CHARS = 1_000_000;

/** DATA/endpoints.json as serve writes it. */
export interface Endpoints {
  api: string;
  /** GET /metrics, with `Authorization: Bearer <metricsTokenFile contents>`. */
  metrics?: string;
  metricsTokenFile?: string;
  /** The audit trail directory. */
  auditDir?: string;
  caFile?: string;
  credentialsFile: string;
  /** The default broker's amqps URL (absent once it is deleted). */
  amqps?: string;
  brokerId?: string;
  /** The default broker's administrator: username= and password= lines. */
  brokerCredentialsFile?: string;
  /** Every running broker's listener URLs; endpoints.json is rewritten as brokers start and stop. */
  brokers?: { brokerId: string; endpoints: string[] }[];
  region: string;
  accountId: string;
  pid: number;
}

export interface StartServerOptions {
  /** Reuse a data directory (default: a fresh temporary one, removed when the test process exits). */
  dataDir?: string;
  /** Extra environment, e.g. `{ SEALMQ_ROOT_PASSPHRASE: '...' }`. */
  env?: Record<string, string>;
  /** Extra `serve` arguments. Unless they set `--amqps-port`, the default broker takes a free port (0). */
  args?: string[];
  /** Default 0 (any free port). */
  apiPort?: number;
}

export interface ExitResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunningServer {
  /** As read from endpoints.json; updated by restart(). */
  readonly endpoints: Endpoints;
  readonly dataDir: string;
  /** The administrator's access key, from DATA/credentials. */
  readonly credentials: Credentials;
  /** DATA/tls/ca.pem. */
  readonly caPem: string;
  readonly accountId: string;
  readonly region: string;
  /** The child process (of the current run). */
  readonly child: ChildProcess;
  /** Everything the current run wrote to stdout and stderr so far. */
  output(): string;
  /** SIGTERM and wait for a clean exit (rejects if it does not exit 0 within 15 s). */
  stop(): Promise<void>;
  /** Sends a signal (e.g. SIGKILL for a crash) and waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<ExitResult>;
  /** stop() if running, then start again on the same data directory and port. */
  restart(options?: Pick<StartServerOptions, 'env' | 'args'>): Promise<void>;
  /** Starts on the same data directory expecting the start to fail; resolves with its exit code and output. */
  startExpectingFailure(options?: Pick<StartServerOptions, 'env' | 'args'>): Promise<{ exitCode: number | null; output: string }>;
}

const createdDirs: string[] = [];
process.on('exit', () => {
  for (const dir of createdDirs) rmSync(dir, { recursive: true, force: true });
});

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<ExitResult>;
}

function launch(dataDir: string, port: number, env: Record<string, string> | undefined, args: string[] | undefined): Run {
  // Test processes run side by side: the default broker takes a free port unless a test asks for one.
  const amqpsPort = args?.includes('--amqps-port') ? [] : ['--amqps-port', '0'];
  const child = spawn(process.execPath, [BIN, 'serve', '--data-dir', dataDir, '--api-port', String(port), ...amqpsPort, ...(args ?? [])], {
    env: { ...process.env, SEALMQ_LOG_LEVEL: process.env.SEALMQ_TEST_LOG_LEVEL ?? 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const append = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    if (output.length > OUTPUT_MAX_CHARS) output = output.slice(-OUTPUT_MAX_CHARS);
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const exited = new Promise<ExitResult>((resolveExit) => child.once('exit', (exitCode, signal) => resolveExit({ exitCode, signal })));
  return { child, output: () => output, exited };
}

async function readEndpoints(dataDir: string): Promise<Endpoints | undefined> {
  try {
    return JSON.parse(await readFile(join(dataDir, 'endpoints.json'), 'utf8')) as Endpoints;
  } catch {
    return undefined;
  }
}

/** Waits for endpoints.json written by this child (its pid), or for the child to exit. */
async function waitReady(run: Run, dataDir: string): Promise<Endpoints> {
  let exit: ExitResult | undefined;
  void run.exited.then((e) => (exit = e));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const endpoints = await readEndpoints(dataDir);
    if (endpoints !== undefined && endpoints.pid === run.child.pid) return endpoints;
    if (exit !== undefined) {
      throw new Error(`sealmq serve exited (code ${exit.exitCode}, signal ${exit.signal}) before it was ready:\n${run.output()}`);
    }
    if (Date.now() > deadline) {
      run.child.kill('SIGKILL');
      throw new Error(`sealmq serve was not ready within ${READY_TIMEOUT_MS} ms:\n${run.output()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

function parseCredentials(text: string): Credentials {
  const values: Record<string, string> = {};
  let inDefault = false;
  for (const line of text.split(/\r?\n/)) {
    const section = /^\s*\[(.+)\]\s*$/.exec(line);
    if (section) {
      inDefault = section[1]!.trim() === 'default';
      continue;
    }
    const eq = line.indexOf('=');
    if (inDefault && eq !== -1) values[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  const accessKeyId = values.aws_access_key_id;
  const secretAccessKey = values.aws_secret_access_key;
  if (accessKeyId === undefined || secretAccessKey === undefined) throw new Error('DATA/credentials has no [default] access key');
  return { accessKeyId, secretAccessKey };
}

/** Starts `sealmq serve` and waits until it is ready. */
export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  let dataDir = options.dataDir;
  if (dataDir === undefined) {
    const parent = await mkdtemp(join(tmpdir(), 'sealmq-e2e-'));
    createdDirs.push(parent);
    dataDir = join(parent, 'data');
  }
  const baseEnv = options.env;
  const baseArgs = options.args;
  let run = launch(dataDir, options.apiPort ?? 0, baseEnv, baseArgs);
  let endpoints = await waitReady(run, dataDir);
  const credentials = parseCredentials(await readFile(join(dataDir, 'credentials'), 'utf8'));
  const caPem = endpoints.caFile !== undefined ? await readFile(endpoints.caFile, 'utf8') : '';
  let running = true;

  const kill = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<ExitResult> => {
    if (!running) return run.exited;
    run.child.kill(signal);
    const result = await run.exited;
    running = false;
    return result;
  };
  const stop = async (): Promise<void> => {
    if (!running) return;
    const timer = setTimeout(() => run.child.kill('SIGKILL'), 15_000);
    const result = await kill('SIGTERM');
    clearTimeout(timer);
    if (result.exitCode !== 0) throw new Error(`sealmq serve did not stop cleanly (code ${result.exitCode}, signal ${result.signal}):\n${run.output().slice(-5000)}`);
  };

  const server: RunningServer = {
    get endpoints() {
      return endpoints;
    },
    dataDir,
    credentials,
    caPem,
    get accountId() {
      return endpoints.accountId;
    },
    get region() {
      return endpoints.region;
    },
    get child() {
      return run.child;
    },
    output: () => run.output(),
    stop,
    kill,
    async restart(restartOptions = {}) {
      await stop();
      const port = Number(new URL(endpoints.api).port);
      run = launch(dataDir, port, restartOptions.env ?? baseEnv, restartOptions.args ?? baseArgs);
      running = true;
      try {
        endpoints = await waitReady(run, dataDir);
      } catch (error) {
        running = false;
        throw error;
      }
    },
    async startExpectingFailure(failOptions = {}) {
      await stop();
      const attempt = launch(dataDir, 0, failOptions.env ?? baseEnv, failOptions.args ?? baseArgs);
      const timer = setTimeout(() => attempt.child.kill('SIGKILL'), READY_TIMEOUT_MS);
      let ready = false;
      const poll = setInterval(() => {
        void readEndpoints(dataDir).then((e) => {
          if (e !== undefined && e.pid === attempt.child.pid && !ready) {
            ready = true;
            attempt.child.kill('SIGTERM');
          }
        });
      }, 100);
      const result = await attempt.exited;
      clearTimeout(timer);
      clearInterval(poll);
      if (ready) throw new Error(`sealmq serve started although a failure was expected:\n${attempt.output()}`);
      return { exitCode: result.exitCode, output: attempt.output() };
    },
  };
  return server;
}

/** A KMS client for the server, trusting its CA; admin credentials by default. */
export function kmsClient(server: RunningServer, credentials: Credentials = server.credentials, config: Partial<KMSClientConfig> = {}): KMSClient {
  return new KMSClient({
    region: server.region,
    endpoint: server.endpoints.api,
    credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey },
    requestHandler: { httpsAgent: new Agent({ ca: server.caPem, keepAlive: true }) },
    ...config,
  });
}

/** An Amazon MQ client for the server, trusting its CA; admin credentials by default. */
export function mqClient(server: RunningServer, credentials: Credentials = server.credentials, config: Partial<MqClientConfig> = {}): MqClient {
  return new MqClient({
    region: server.region,
    endpoint: server.endpoints.api,
    credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey },
    requestHandler: { httpsAgent: new Agent({ ca: server.caPem, keepAlive: true }) },
    ...config,
  });
}

/** DATA/broker-credentials of the default broker. */
export async function readBrokerCredentials(server: RunningServer): Promise<{ username: string; password: string }> {
  const file = server.endpoints.brokerCredentialsFile;
  if (file === undefined) throw new Error('endpoints.json names no broker credentials file');
  const values: Record<string, string> = {};
  for (const line of (await readFile(file, 'utf8')).split(/\r?\n/)) {
    const eq = line.indexOf('=');
    if (!line.startsWith('#') && eq > 0) values[line.slice(0, eq)] = line.slice(eq + 1);
  }
  if (values.username === undefined || values.password === undefined) throw new Error('the broker credentials file has no username and password');
  return { username: values.username, password: values.password };
}

export interface ServerSignedRequest {
  /** X-Amz-Target, e.g. `TrentService.ListKeys`. */
  target?: string;
  body?: string | Buffer;
  method?: string;
  path?: string;
  query?: Record<string, string | string[]>;
  headers?: Record<string, string>;
  /** Default: admin. */
  credentials?: Credentials;
  /** Signing name; default kms (iam for SealMQIdentity targets, mq for /v1/ paths). */
  service?: string;
  signingDate?: Date;
  /** Changes the request after signing. */
  tamper?: (request: RawRequest) => RawRequest;
}

/** A raw SigV4-signed request (JS SDK style) to the server's API endpoint. */
export function signedRequest(server: RunningServer, options: ServerSignedRequest): Promise<HttpResult> {
  return sendSigned(
    { url: server.endpoints.api, caPem: server.caPem },
    { ...options, credentials: options.credentials ?? server.credentials, region: server.region },
  );
}

/** A principal made through the SealMQIdentity API: its ARN and its new access key. */
export interface TestPrincipal extends Credentials {
  readonly name: string;
  readonly arn: string;
}

/** Creates a principal with the given identity policies (as the administrator) and an access key. */
export async function createPrincipal(server: RunningServer, name: string, policies: PolicyDocument | PolicyDocument[] = []): Promise<TestPrincipal> {
  const list = Array.isArray(policies) ? policies : [policies];
  const res = await signedRequest(server, { target: 'SealMQIdentity.CreatePrincipal', body: JSON.stringify({ Name: name, Policies: list }) });
  if (res.status !== 200) throw new Error(`CreatePrincipal ${name} failed: ${res.status} ${res.text}`);
  const principal = res.json.Principal as { Arn: string };
  const key = res.json.AccessKey as { AccessKeyId: string; SecretAccessKey: string };
  return { name, arn: principal.Arn, accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey };
}

/** What a `sealmq` command printed and its exit code. */
export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs `sealmq <args>` (e.g. `audit verify --data-dir DIR`) to its end. */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolveRun, reject) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error !== null && typeof error.code !== 'number') {
        reject(error);
        return;
      }
      resolveRun({ exitCode: error === null ? 0 : (error.code as number), stdout, stderr });
    });
  });
}

/** GET on the server's API endpoint (e.g. /metrics), trusting its CA. */
export function httpsGet(server: RunningServer, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  return new Promise((resolveGet, reject) => {
    const req = httpsRequest(new URL(path, server.endpoints.api), { method: 'GET', ca: server.caPem, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => resolveGet({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}
