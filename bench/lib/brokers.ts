// The two brokers the AMQP benchmark compares, each started fresh on loopback with TLS and a
// password user: SealMQ through `sealmq serve` on a temporary data directory, and a private
// RabbitMQ node from Debian's rabbitmq-server (installed with apt-get when missing) with its own
// node name, ports, epmd, cookie, data, logs and config under a temporary directory, so a system
// RabbitMQ service is neither used nor disturbed. What runs against them is workload.ts's.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import amqplib from 'amqplib';
import { ensureCertificates } from '../../src/transport/certificates.ts';
import { freeLoopbackPort, groupCpuMs, removeOnExit, spawnGroup, stopChild, waitUntilReady, type Spawned } from './processes.ts';

const SEALMQ_BIN = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'sealmq.js');
const RABBITMQ_SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server';
const READY_TIMEOUT_MS = 120_000;
const STOP_GRACE_MS = 20_000;

/** A running broker as the workload sees it. */
export interface BenchBroker {
  readonly name: 'sealmq' | 'rabbitmq';
  readonly version: string;
  /** amqps URL with the user and password in it. */
  readonly url: string;
  readonly caPem: string;
  /** CPU time (ms) used so far by the broker's processes. */
  cpuMs(): number;
  /** Last lines of the broker's output, for error messages. */
  outputTail(): string;
  stop(): Promise<void>;
}

/**
 * The socket options every connection to either broker uses. TCP_NODELAY on the client, as
 * RabbitMQ's PerfTest (the Java client's default socket configurator) sets it: with amqplib's
 * default (Nagle's algorithm on) a publish waits in the client's kernel for the broker's delayed
 * ACK of the one before, and the latency figures would measure that instead of the brokers.
 */
export function socketOptions(broker: BenchBroker): Record<string, unknown> {
  return { ca: [broker.caPem], servername: 'localhost', noDelay: true };
}

/** True once an AMQP 0-9-1 connection to `url` opens (it is closed again at once). */
export async function amqpAccepts(url: string, options: Record<string, unknown>): Promise<boolean> {
  try {
    const connection = await amqplib.connect(url, options);
    connection.on('error', () => undefined);
    await connection.close();
    return true;
  } catch {
    return false;
  }
}

/**
 * Extra node arguments for the SealMQ process: BENCH_SEALMQ_CPU_PROF_DIR writes a V8 CPU profile
 * there (node --cpu-prof); BENCH_SEALMQ_NODE_FLAGS adds flags (space-separated, for experiments).
 */
export function sealmqNodeArgs(): string[] {
  const profileDir = process.env.BENCH_SEALMQ_CPU_PROF_DIR;
  const flags = (process.env.BENCH_SEALMQ_NODE_FLAGS ?? '').split(' ').filter((flag) => flag !== '');
  return [...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', resolve(profileDir)] : []), ...flags];
}

/** Starts `sealmq serve` on a fresh data directory (API and amqps on free loopback ports). */
export async function startSealmq(): Promise<BenchBroker> {
  const parent = await mkdtemp(join(tmpdir(), 'sealmq-bench-amqp-'));
  removeOnExit(parent);
  const dataDir = join(parent, 'data');
  const nodeArgs = sealmqNodeArgs();
  const spawned = spawnGroup(
    process.execPath,
    [...nodeArgs, SEALMQ_BIN, 'serve', '--data-dir', dataDir, '--host', '127.0.0.1', '--api-port', '0', '--amqps-port', '0', '--log-level', 'warn'],
    { env: { ...process.env } },
  );
  let endpoints: { amqps?: string; caFile?: string; brokerCredentialsFile?: string; pid?: number } | undefined;
  try {
    await waitUntilReady(
      async () => {
        try {
          endpoints = JSON.parse(await readFile(join(dataDir, 'endpoints.json'), 'utf8'));
          return endpoints?.pid === spawned.child.pid && endpoints?.amqps !== undefined;
        } catch {
          return false;
        }
      },
      spawned,
      'sealmq serve',
      READY_TIMEOUT_MS,
    );
    const { amqps, caFile, brokerCredentialsFile } = endpoints!;
    if (caFile === undefined || brokerCredentialsFile === undefined) throw new Error('endpoints.json names no caFile or brokerCredentialsFile');
    const values: Record<string, string> = {};
    for (const line of (await readFile(brokerCredentialsFile, 'utf8')).split(/\r?\n/)) {
      const eq = line.indexOf('=');
      if (!line.startsWith('#') && eq > 0) values[line.slice(0, eq)] = line.slice(eq + 1);
    }
    if (values.username === undefined || values.password === undefined) throw new Error('the broker credentials file has no username and password');
    const url = new URL(amqps!);
    if (url.hostname !== '127.0.0.1') throw new Error(`SealMQ's amqps endpoint ${amqps} is not on 127.0.0.1`);
    url.username = encodeURIComponent(values.username);
    url.password = encodeURIComponent(values.password);
    const pkg = JSON.parse(await readFile(resolve(dirname(SEALMQ_BIN), '..', 'package.json'), 'utf8')) as { version: string };
    const pid = spawned.child.pid!;
    return {
      name: 'sealmq',
      version: pkg.version,
      url: url.toString(),
      caPem: await readFile(caFile, 'utf8'),
      cpuMs: () => groupCpuMs(pid),
      outputTail: () => spawned.output().slice(-4000),
      stop: () => stopChild(spawned.child, STOP_GRACE_MS),
    };
  } catch (error) {
    await stopChild(spawned.child, 2_000);
    throw error;
  }
}

/** The installed version of a Debian package, or 'unknown'. */
export function packageVersion(name: string): string {
  try {
    return execFileSync('dpkg-query', ['-W', '-f=${Version}', name], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

/** Installs a Debian package when `probe` is missing (needs root); throws a clear error otherwise. */
export function ensureDebianPackage(name: string, probe: string): void {
  if (existsSync(probe)) return;
  if (process.getuid?.() !== 0) throw new Error(`${probe} is missing and this is not root: run 'apt-get update && apt-get install -y ${name}' as root, then again`);
  process.stderr.write(`bench: installing ${name} with apt-get (no service is started by the benchmark)\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    execFileSync('apt-get', ['update'], { stdio: ['ignore', 'ignore', 'inherit'], env, timeout: 600_000 });
    execFileSync('apt-get', ['install', '-y', name], { stdio: ['ignore', 'ignore', 'inherit'], env, timeout: 900_000 });
  } catch (error) {
    throw new Error(`installing ${name} failed: ${(error as Error).message}`);
  }
  if (!existsSync(probe)) throw new Error(`apt-get install ${name} did not provide ${probe}`);
}

/** Installs Debian's rabbitmq-server when it is missing (needs root). */
export function ensureRabbitmqInstalled(): void {
  ensureDebianPackage('rabbitmq-server', RABBITMQ_SERVER);
}

export interface RabbitmqNodePorts {
  readonly amqpsPort: number;
  readonly distPort: number;
  readonly epmdPort: number;
}

/**
 * Spawns a private RabbitMQ node in `base` (its rabbitmq.conf and enabled_plugins written by the
 * caller) with its own epmd on a free loopback port, so it neither needs nor registers with a
 * shared one; node name, cookie, data and logs all stay in `base`.
 */
export function spawnRabbitmqNode(base: string, nodeName: string, ports: RabbitmqNodePorts): { readonly epmd: Spawned; readonly node: Spawned } {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: base, // the Erlang cookie goes here, not into root's home
    ERL_EPMD_PORT: String(ports.epmdPort),
    ERL_EPMD_ADDRESS: '127.0.0.1',
    RABBITMQ_CONF_ENV_FILE: join(base, 'rabbitmq-env.conf'),
    RABBITMQ_NODENAME: nodeName,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(ports.amqpsPort), // unused (listeners.tcp = none), but keeps 5672 out of it
    RABBITMQ_DIST_PORT: String(ports.distPort),
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
    RABBITMQ_CONFIG_FILE: join(base, 'rabbitmq.conf'),
    RABBITMQ_ADVANCED_CONFIG_FILE: join(base, 'advanced.config'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(base, 'enabled_plugins'),
    RABBITMQ_MNESIA_BASE: join(base, 'mnesia'),
    RABBITMQ_LOG_BASE: join(base, 'log'),
    RABBITMQ_PID_FILE: join(base, 'rabbitmq.pid'),
  };
  const epmd = spawnGroup('epmd', ['-port', String(ports.epmdPort), '-address', '127.0.0.1'], { env });
  const node = spawnGroup(RABBITMQ_SERVER, [], { env, cwd: base });
  return { epmd, node };
}

/**
 * Starts a private RabbitMQ node: TLS only (a CA and a server certificate made here with SealMQ's
 * certificate code), a generated user with a password and no guest, every listener on 127.0.0.1.
 */
export async function startRabbitmq(): Promise<BenchBroker> {
  ensureRabbitmqInstalled();
  const base = await mkdtemp(join(tmpdir(), 'rabbitmq-bench-amqp-'));
  removeOnExit(base);
  const tls = await ensureCertificates({ dir: join(base, 'tls'), dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  const [amqpsPort, distPort, epmdPort] = [await freeLoopbackPort(), await freeLoopbackPort(), await freeLoopbackPort()];
  const username = 'bench';
  const password = randomBytes(18).toString('base64url');
  const nodeName = `sealmq-bench-${process.pid}@localhost`;
  const configFile = join(base, 'rabbitmq.conf');
  await writeFile(
    configFile,
    [
      'listeners.tcp = none',
      `listeners.ssl.default = 127.0.0.1:${amqpsPort}`,
      `ssl_options.cacertfile = ${tls.caFile}`,
      `ssl_options.certfile = ${tls.certFile}`,
      `ssl_options.keyfile = ${tls.keyFile}`,
      'ssl_options.verify = verify_none',
      'ssl_options.fail_if_no_peer_cert = false',
      'ssl_options.versions.1 = tlsv1.3',
      'ssl_options.versions.2 = tlsv1.2',
      `default_user = ${username}`,
      `default_pass = ${password}`,
      'default_user_tags.administrator = true',
      'log.console = false',
      'log.file.level = warning',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  await writeFile(join(base, 'enabled_plugins'), '[].\n');
  await writeFile(join(base, 'rabbitmq-env.conf'), '');
  const { epmd, node } = spawnRabbitmqNode(base, nodeName, { amqpsPort, distPort, epmdPort });
  const url = `amqps://${username}:${encodeURIComponent(password)}@127.0.0.1:${amqpsPort}/`;
  const broker: BenchBroker = {
    name: 'rabbitmq',
    version: packageVersion('rabbitmq-server'),
    url,
    caPem: tls.caPem!,
    cpuMs: () => groupCpuMs(node.child.pid!),
    outputTail: () => node.output().slice(-4000),
    stop: async () => {
      await stopChild(node.child, STOP_GRACE_MS);
      await stopChild(epmd.child, 2_000);
    },
  };
  try {
    await waitUntilReady(() => amqpAccepts(url, socketOptions(broker)), node, `RabbitMQ node ${nodeName} (logs under ${join(base, 'log')})`, READY_TIMEOUT_MS);
  } catch (error) {
    await broker.stop();
    throw error;
  }
  return broker;
}
