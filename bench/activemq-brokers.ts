// The brokers `npm run bench:activemq` compares, each started fresh on 127.0.0.1 with TLS, one
// password user, and the SAME server certificate and CA (made once per run by SealMQ's certificate
// code): SealMQ's ACTIVEMQ engine (an ACTIVEMQ broker created through `sealmq serve`'s Amazon MQ
// API, on the real encrypted store and embedded KMS); Apache ActiveMQ from Debian's `activemq`
// package (a private instance: its own config, KahaDB, keystore and logs in a temporary directory;
// stomp+ssl and mqtt+ssl connectors); and a private RabbitMQ node from Debian's `rabbitmq-server`
// with the rabbitmq_amqp1_0 plugin (AMQP 1.0 over its TLS listener). Every server offers SealMQ's
// `activemq` TLS policy (18 TLS 1.2 suites, TLS 1.3 AES-GCM). What runs against them is
// activemq-workloads.ts's.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateBrokerCommand, DescribeBrokerCommand, MqClient } from '@aws-sdk/client-mq';
import { Agent } from 'node:https';
import amqplib from 'amqplib';
import { ensureCertificates } from '../src/transport/certificates.ts';
import { TLS_POLICIES } from '../src/transport/tls-policy.ts';
import { amqpAccepts, ensureDebianPackage, ensureRabbitmqInstalled, packageVersion, sealmqNodeArgs, spawnRabbitmqNode } from './lib/brokers.ts';
import { freeLoopbackPort, groupCpuMs, removeOnExit, spawnGroup, stopChild, waitUntilReady } from './lib/processes.ts';

const SEALMQ_BIN = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'sealmq.js');
const ACTIVEMQ_HOME = '/usr/share/activemq';
const ACTIVEMQ_JAR = join(ACTIVEMQ_HOME, 'bin', 'activemq.jar');
const ACTIVEMQ_OPTIONS_FILE = join(ACTIVEMQ_HOME, 'activemq-options');
const MQTT_CODEC_JAR = '/usr/share/java/mqtt-client.jar';
const READY_TIMEOUT_MS = 180_000;
const STOP_GRACE_MS = 20_000;
const USERNAME = 'bench';

/** A host and port with TLS on it. */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

export type BrokerName = 'sealmq' | 'activemq' | 'rabbitmq';

/** A running broker as the workloads see it; a protocol it does not serve has no endpoint. */
export interface BenchBroker {
  readonly name: BrokerName;
  readonly version: string;
  readonly username: string;
  readonly password: string;
  readonly stomp?: Endpoint;
  readonly mqtt?: Endpoint;
  readonly amqp10?: Endpoint;
  /** The AMQP 1.0 address (target and source) of the queue named `queue`. */
  amqp10Address(queue: string): string;
  /** Makes `queue` exist as a durable queue before the AMQP 1.0 workload, where the broker needs it. */
  prepareAmqp10Queue(queue: string): Promise<void>;
  /** CPU time (ms) used so far by the broker's processes. */
  cpuMs(): number;
  /** Last lines of the broker's output, for error messages. */
  outputTail(): string;
  stop(): Promise<void>;
}

/** The one certificate every broker in a run serves, and the TLS settings every client uses. */
export interface BenchTls {
  readonly dir: string;
  readonly caFile: string;
  readonly caPem: string;
  /** Leaf, then the CA. */
  readonly certFile: string;
  readonly keyFile: string;
}

/** SealMQ's `activemq` policy, which every server here offers. */
const POLICY = TLS_POLICIES.activemq;

/**
 * TLS options for every client connection: the run's CA, SNI `localhost`, and the 18 suites in
 * SealMQ's order. `BENCH_TLS_VERSION` (default TLSv1.2, the version Amazon MQ documents for its
 * brokers) pins the protocol so that every broker negotiates the same version and suite.
 */
export function clientTlsOptions(tls: BenchTls): { ca: string[]; servername: string; minVersion: 'TLSv1.2' | 'TLSv1.3'; maxVersion: 'TLSv1.2' | 'TLSv1.3'; ciphers: string } {
  const version = process.env.BENCH_TLS_VERSION ?? 'TLSv1.2';
  if (version !== 'TLSv1.2' && version !== 'TLSv1.3') throw new Error(`BENCH_TLS_VERSION must be TLSv1.2 or TLSv1.3, got ${version}`);
  return {
    ca: [tls.caPem],
    servername: 'localhost',
    minVersion: version,
    maxVersion: version,
    ciphers: (version === 'TLSv1.3' ? POLICY.tls13Ciphersuites : POLICY.tls12Ciphers).join(':'),
  };
}

/**
 * TCP_NODELAY on a client's socket, as bench:amqp sets it (see bench/lib/brokers.ts): with Nagle's
 * algorithm on, a send waits in the client's kernel for the broker's delayed ACK of the one before,
 * and latency would measure that. (tls.connect ignores a `noDelay` option, so it is set here on
 * each client's socket once connected.)
 */
export function clientNoDelay(socket: unknown, what: string): void {
  const setNoDelay = (socket as { setNoDelay?: (on: boolean) => unknown } | undefined)?.setNoDelay;
  if (typeof setNoDelay !== 'function') throw new Error(`bench: no socket to set TCP_NODELAY on for ${what}`);
  setNoDelay.call(socket, true);
}

/** What a client negotiates with `endpoint`, e.g. "TLSv1.2 ECDHE-RSA-AES256-GCM-SHA384". */
export async function negotiatedTls(endpoint: Endpoint, tls: BenchTls): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const socket = tlsConnect({ host: endpoint.host, port: endpoint.port, ...clientTlsOptions(tls) }, () => {
      const text = `${socket.getProtocol() ?? '?'} ${socket.getCipher().name}`;
      socket.destroy();
      resolvePromise(text);
    });
    socket.setTimeout(10_000, () => socket.destroy(new Error('TLS handshake timed out')));
    socket.once('error', reject);
  });
}

/** How an endpoint answers clients outside the policy; `true` = refused, as SealMQ's activemq policy requires. */
export interface TlsPolicyCheck {
  /** What the bench's clients negotiate (BENCH_TLS_VERSION). */
  negotiated: string;
  /** Negotiated with a client that offers only TLS 1.3 AES-GCM (null: refused). */
  tls13: string | null;
  tls11Refused: boolean;
  /** A TLS 1.2 suite outside the 18 (ECDHE-RSA-CHACHA20-POLY1305). */
  otherSuiteRefused: boolean;
}

async function handshake(endpoint: Endpoint, options: Record<string, unknown>): Promise<string | null> {
  return new Promise((resolvePromise) => {
    const socket = tlsConnect({ host: endpoint.host, port: endpoint.port, servername: 'localhost', ...options }, () => {
      const text = `${socket.getProtocol() ?? '?'} ${socket.getCipher().name}`;
      socket.destroy();
      resolvePromise(text);
    });
    socket.setTimeout(10_000, () => socket.destroy(new Error('TLS handshake timed out')));
    socket.once('error', () => resolvePromise(null));
  });
}

/** Checks that `endpoint` serves the same TLS policy as SealMQ: TLS 1.3 AES-GCM yes, TLS 1.1 and a foreign suite no. */
export async function checkTlsPolicy(endpoint: Endpoint, tls: BenchTls): Promise<TlsPolicyCheck> {
  return {
    negotiated: await negotiatedTls(endpoint, tls),
    tls13: await handshake(endpoint, { ca: [tls.caPem], minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', ciphers: POLICY.tls13Ciphersuites.join(':') }),
    tls11Refused: (await handshake(endpoint, { ca: [tls.caPem], minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' })) === null,
    otherSuiteRefused: (await handshake(endpoint, { ca: [tls.caPem], minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-CHACHA20-POLY1305' })) === null,
  };
}

/** Makes the run's CA and server certificate (RSA-2048, localhost and 127.0.0.1) in a temporary directory. */
export async function makeBenchTls(): Promise<BenchTls> {
  const dir = await mkdtemp(join(tmpdir(), 'sealmq-bench-activemq-tls-'));
  removeOnExit(dir);
  const certificate = await ensureCertificates({ dir, dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  if (certificate.caFile === undefined || certificate.caPem === undefined) throw new Error('ensureCertificates made no CA file');
  return { dir, caFile: certificate.caFile, caPem: certificate.caPem, certFile: certificate.certFile, keyFile: certificate.keyFile };
}


/** True once a TLS handshake with `endpoint` completes. */
async function tlsAccepts(endpoint: Endpoint, tls: BenchTls): Promise<boolean> {
  try {
    await negotiatedTls(endpoint, tls);
    return true;
  } catch {
    return false;
  }
}

export function ensureActivemqInstalled(): void {
  ensureDebianPackage('activemq', ACTIVEMQ_JAR);
  // Debian's activemq ships activemq-mqtt.jar but not the FuseSource MQTT codec it needs
  // (org.fusesource.mqtt.codec, in libmqtt-client-java): without it every MQTT connection fails.
  ensureDebianPackage('libmqtt-client-java', MQTT_CODEC_JAR);
  // openssl makes the PKCS#12 keystore; Debian's activemq pulls in a JRE but not always openssl.
  ensureDebianPackage('openssl', '/usr/bin/openssl');
}

// ---------------------------------------------------------------------------------------------
// SealMQ

interface SealmqEndpointsFile {
  api?: string;
  credentialsFile?: string;
  pid?: number;
  region?: string;
}

function parseIni(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const eq = line.indexOf('=');
    if (!line.trimStart().startsWith('#') && !line.trimStart().startsWith('[') && eq > 0) values[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return values;
}

function endpointFrom(urls: readonly string[], scheme: string): Endpoint | undefined {
  const url = urls.find((u) => u.startsWith(`${scheme}://`));
  if (url === undefined) return undefined;
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port) };
}

/**
 * Starts `sealmq serve` (serving the run's certificate) on a fresh data directory, then creates an
 * ACTIVEMQ broker with one user through its Amazon MQ API (SigV4, the generated administrator's
 * key) and waits until DescribeBroker says RUNNING and lists the stomp+ssl, mqtt+ssl and amqp+ssl
 * endpoints.
 */
export async function startSealmq(tls: BenchTls): Promise<BenchBroker> {
  const parent = await mkdtemp(join(tmpdir(), 'sealmq-bench-activemq-'));
  removeOnExit(parent);
  const dataDir = join(parent, 'data');
  const nodeArgs = sealmqNodeArgs();
  const spawned = spawnGroup(
    process.execPath,
    [
      ...nodeArgs,
      SEALMQ_BIN,
      'serve',
      '--data-dir',
      dataDir,
      '--host',
      '127.0.0.1',
      '--api-port',
      '0',
      '--amqps-port',
      '0',
      '--tls-cert-file',
      tls.certFile,
      '--tls-key-file',
      tls.keyFile,
      '--log-level',
      process.env.BENCH_SEALMQ_LOG_LEVEL ?? 'warn',
    ],
    { env: { ...process.env } },
  );
  const pid = spawned.child.pid!;
  let mq: MqClient | undefined;
  try {
    let endpoints: SealmqEndpointsFile | undefined;
    await waitUntilReady(
      async () => {
        try {
          endpoints = JSON.parse(await readFile(join(dataDir, 'endpoints.json'), 'utf8')) as SealmqEndpointsFile;
          return endpoints.pid === pid && endpoints.api !== undefined;
        } catch {
          return false;
        }
      },
      spawned,
      'sealmq serve',
      READY_TIMEOUT_MS,
    );
    const { api, credentialsFile, region } = endpoints!;
    if (credentialsFile === undefined) throw new Error('endpoints.json names no credentialsFile');
    const credentials = parseIni(await readFile(credentialsFile, 'utf8'));
    const accessKeyId = credentials.aws_access_key_id;
    const secretAccessKey = credentials.aws_secret_access_key;
    if (accessKeyId === undefined || secretAccessKey === undefined) throw new Error(`${credentialsFile} has no aws_access_key_id and aws_secret_access_key`);
    mq = new MqClient({
      endpoint: api!,
      region: region ?? 'us-east-1',
      credentials: { accessKeyId, secretAccessKey },
      requestHandler: { httpsAgent: new Agent({ ca: tls.caPem, keepAlive: true }) },
    });
    const password = randomBytes(18).toString('base64url');
    const created = await mq.send(
      new CreateBrokerCommand({
        BrokerName: 'bench-activemq',
        EngineType: 'ACTIVEMQ',
        EngineVersion: '5.18',
        DeploymentMode: 'SINGLE_INSTANCE',
        HostInstanceType: 'mq.m5.large',
        PubliclyAccessible: false,
        AutoMinorVersionUpgrade: true,
        Users: [{ Username: USERNAME, Password: password, ConsoleAccess: false }],
      }),
    );
    const brokerId = created.BrokerId!;
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let urls: string[] = [];
    for (;;) {
      const described = await mq.send(new DescribeBrokerCommand({ BrokerId: brokerId }));
      urls = described.BrokerInstances?.[0]?.Endpoints ?? [];
      if (described.BrokerState === 'RUNNING' && urls.length > 0) break;
      if (described.BrokerState === 'CREATION_FAILED') {
        throw new Error(`SealMQ's ACTIVEMQ broker reached CREATION_FAILED: ${described.ActionsRequired?.map((a) => a.ActionRequiredInfo).join('; ') ?? ''}\n${spawned.output().slice(-4000)}`);
      }
      if (Date.now() > deadline) throw new Error(`SealMQ's ACTIVEMQ broker was ${described.BrokerState}, not RUNNING, after ${READY_TIMEOUT_MS} ms`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const stomp = endpointFrom(urls, 'stomp+ssl');
    const mqtt = endpointFrom(urls, 'mqtt+ssl');
    const amqp10 = endpointFrom(urls, 'amqp+ssl');
    const pkg = JSON.parse(await readFile(resolve(dirname(SEALMQ_BIN), '..', 'package.json'), 'utf8')) as { version: string };
    const client = mq;
    mq = undefined;
    return {
      name: 'sealmq',
      version: pkg.version,
      username: USERNAME,
      password,
      ...(stomp !== undefined ? { stomp } : {}),
      ...(mqtt !== undefined ? { mqtt } : {}),
      ...(amqp10 !== undefined ? { amqp10 } : {}),
      // ActiveMQ's AMQP 1.0 address form: a `queue://` prefix names a queue.
      amqp10Address: (queue) => `queue://${queue}`,
      prepareAmqp10Queue: async () => undefined, // ActiveMQ semantics: a queue exists once addressed
      cpuMs: () => groupCpuMs(pid),
      outputTail: () => spawned.output().slice(-4000),
      stop: async () => {
        client.destroy();
        await stopChild(spawned.child, STOP_GRACE_MS);
      },
    };
  } catch (error) {
    mq?.destroy();
    await stopChild(spawned.child, 2_000);
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// Apache ActiveMQ (Debian)

/** The JVM options Debian's package runs ActiveMQ with (ACTIVEMQ_OPTS in activemq-options). */
function debianActivemqOpts(): string[] {
  try {
    const match = /^ACTIVEMQ_OPTS="([^"]*)"/m.exec(readFileSync(ACTIVEMQ_OPTIONS_FILE, 'utf8'));
    if (match !== null) return match[1]!.split(/\s+/).filter((a) => a !== '');
  } catch {
    // fall through to the values that file had when this was written
  }
  return ['-Xms512M', '-Xmx512M', '-Dorg.apache.activemq.UseDedicatedTaskRunner=true'];
}

/** Module flags /usr/bin/activemq passes to a Java newer than 8. */
const JAVA_MODULE_FLAGS = [
  '--add-reads=java.xml=java.logging',
  '--add-opens', 'java.base/java.security=ALL-UNNAMED',
  '--add-opens', 'java.base/java.net=ALL-UNNAMED',
  '--add-opens', 'java.base/java.lang=ALL-UNNAMED',
  '--add-opens', 'java.base/java.util=ALL-UNNAMED',
  '--add-opens', 'java.naming/javax.naming.spi=ALL-UNNAMED',
  '--add-opens', 'java.rmi/sun.rmi.transport.tcp=ALL-UNNAMED',
  '--add-opens', 'java.base/java.util.concurrent=ALL-UNNAMED',
  '--add-opens', 'java.base/java.util.concurrent.atomic=ALL-UNNAMED',
  '--add-exports=java.base/sun.net.www.protocol.http=ALL-UNNAMED',
  '--add-exports=java.base/sun.net.www.protocol.https=ALL-UNNAMED',
  '--add-exports=java.base/sun.net.www.protocol.jar=ALL-UNNAMED',
  '--add-exports=jdk.xml.dom/org.w3c.dom.html=ALL-UNNAMED',
  '--add-exports=jdk.naming.rmi/com.sun.jndi.url.rmi=ALL-UNNAMED',
];

/** OpenSSL suite name -> the IANA name Java's JSSE uses. */
function ianaSuiteName(openssl: string): string {
  const known: Record<string, string> = {
    'ECDHE-RSA-AES256-GCM-SHA384': 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
    'ECDHE-RSA-AES256-SHA384': 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384',
    'ECDHE-RSA-AES256-SHA': 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA',
    'DHE-RSA-AES256-GCM-SHA384': 'TLS_DHE_RSA_WITH_AES_256_GCM_SHA384',
    'DHE-RSA-AES256-SHA256': 'TLS_DHE_RSA_WITH_AES_256_CBC_SHA256',
    'DHE-RSA-AES256-SHA': 'TLS_DHE_RSA_WITH_AES_256_CBC_SHA',
    'AES256-GCM-SHA384': 'TLS_RSA_WITH_AES_256_GCM_SHA384',
    'AES256-SHA256': 'TLS_RSA_WITH_AES_256_CBC_SHA256',
    'AES256-SHA': 'TLS_RSA_WITH_AES_256_CBC_SHA',
    'ECDHE-RSA-AES128-GCM-SHA256': 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
    'ECDHE-RSA-AES128-SHA256': 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256',
    'ECDHE-RSA-AES128-SHA': 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA',
    'DHE-RSA-AES128-GCM-SHA256': 'TLS_DHE_RSA_WITH_AES_128_GCM_SHA256',
    'DHE-RSA-AES128-SHA256': 'TLS_DHE_RSA_WITH_AES_128_CBC_SHA256',
    'DHE-RSA-AES128-SHA': 'TLS_DHE_RSA_WITH_AES_128_CBC_SHA',
    'AES128-GCM-SHA256': 'TLS_RSA_WITH_AES_128_GCM_SHA256',
    'AES128-SHA256': 'TLS_RSA_WITH_AES_128_CBC_SHA256',
    'AES128-SHA': 'TLS_RSA_WITH_AES_128_CBC_SHA',
  };
  const iana = known[openssl];
  if (iana === undefined) throw new Error(`no IANA name known for the suite ${openssl}`);
  return iana;
}

/** The `?transport.…` options that make an ActiveMQ SSL connector offer SealMQ's activemq policy. */
function activemqTlsQuery(): string {
  const protocols = POLICY.maxVersion === 'TLSv1.3' ? ['TLSv1.3', 'TLSv1.2'] : ['TLSv1.2'];
  const suites = [...(POLICY.maxVersion === 'TLSv1.3' ? POLICY.tls13Ciphersuites : []), ...POLICY.tls12Ciphers.map(ianaSuiteName)];
  return `transport.enabledProtocols=${protocols.join(',')}&amp;transport.enabledCipherSuites=${suites.join(',')}`;
}

function activemqXml(base: string, ports: { stomp: number; mqtt: number }, keystore: { file: string; password: string }, password: string): string {
  const query = activemqTlsQuery();
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by SealMQ's bench:activemq: Debian's instances-available/main/activemq.xml (KahaDB,
     no JMX) with TLS-only STOMP and MQTT connectors, a keystore, and one password user. -->
<beans
  xmlns="http://www.springframework.org/schema/beans"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xsi:schemaLocation="http://www.springframework.org/schema/beans http://www.springframework.org/schema/beans/spring-beans-2.0.xsd
  http://activemq.apache.org/schema/core http://activemq.apache.org/schema/core/activemq-core.xsd">
  <broker xmlns="http://activemq.apache.org/schema/core" useJmx="false" brokerName="sealmq-bench" dataDirectory="${base}/data" schedulerSupport="false">
    <persistenceAdapter>
      <kahaDB directory="${base}/data/kahadb"/>
    </persistenceAdapter>
    <plugins>
      <simpleAuthenticationPlugin anonymousAccessAllowed="false">
        <users>
          <authenticationUser username="${USERNAME}" password="${password}" groups="admins,users"/>
        </users>
      </simpleAuthenticationPlugin>
    </plugins>
    <sslContext>
      <sslContext keyStore="file:${keystore.file}" keyStorePassword="${keystore.password}" keyStoreType="PKCS12"/>
    </sslContext>
    <transportConnectors>
      <transportConnector name="stomp+ssl" uri="stomp+ssl://127.0.0.1:${ports.stomp}?${query}"/>
      <transportConnector name="mqtt+ssl" uri="mqtt+ssl://127.0.0.1:${ports.mqtt}?${query}"/>
    </transportConnectors>
  </broker>
</beans>
`;
}

/**
 * Starts a private ActiveMQ instance the way /usr/bin/activemq's `console` command runs Java (same
 * jar, module flags and Debian JVM options), with its base, conf, data and tmp directories in a
 * temporary directory and the run's certificate in a PKCS#12 keystore made with openssl.
 */
export async function startActivemq(tls: BenchTls): Promise<BenchBroker> {
  ensureActivemqInstalled();
  const base = await mkdtemp(join(tmpdir(), 'activemq-bench-'));
  removeOnExit(base);
  const conf = join(base, 'conf');
  await Promise.all(['conf', 'data', 'tmp', 'lib'].map((d) => mkdir(join(base, d), { recursive: true, mode: 0o700 })));
  // ActiveMQ's launcher adds every jar in ACTIVEMQ_BASE/lib to its class path: the MQTT codec goes there.
  await symlink(MQTT_CODEC_JAR, join(base, 'lib', 'mqtt-client.jar'));
  const keystore = { file: join(conf, 'broker.p12'), password: randomBytes(18).toString('base64url') };
  execFileSync('openssl', ['pkcs12', '-export', '-in', tls.certFile, '-inkey', tls.keyFile, '-name', 'broker', '-out', keystore.file, '-passout', 'env:BENCH_KEYSTORE_PASSWORD'], {
    env: { ...process.env, BENCH_KEYSTORE_PASSWORD: keystore.password },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const ports = { stomp: await freeLoopbackPort(), mqtt: await freeLoopbackPort() };
  const password = randomBytes(18).toString('base64url');
  await writeFile(join(conf, 'activemq.xml'), activemqXml(base, ports, keystore, password), { mode: 0o600 });
  // Debian's build logs through log4j 1.2 (lib/optional): warnings and errors to the console, which
  // the benchmark keeps for its error messages.
  await writeFile(
    join(conf, 'log4j.properties'),
    ['log4j.rootLogger=INFO, console', 'log4j.appender.console=org.apache.log4j.ConsoleAppender', 'log4j.appender.console.layout=org.apache.log4j.PatternLayout', 'log4j.appender.console.layout.ConversionPattern=%5p | %m%n', ''].join('\n'),
  );
  const java = spawnGroup(
    'java',
    [
      ...debianActivemqOpts(),
      '-Djava.awt.headless=true',
      `-Djava.io.tmpdir=${join(base, 'tmp')}`,
      `-Dlog4j.configuration=file:${join(conf, 'log4j.properties')}`,
      ...JAVA_MODULE_FLAGS,
      `-Dactivemq.classpath=${conf}:${join(ACTIVEMQ_HOME, 'lib')}/`,
      `-Dactivemq.home=${ACTIVEMQ_HOME}`,
      `-Dactivemq.base=${base}`,
      `-Dactivemq.conf=${conf}`,
      `-Dactivemq.data=${join(base, 'data')}`,
      '-jar',
      ACTIVEMQ_JAR,
      'start',
      `xbean:file:${join(conf, 'activemq.xml')}`,
    ],
    { env: { ...process.env }, cwd: base },
  );
  const stomp = { host: '127.0.0.1', port: ports.stomp };
  const mqtt = { host: '127.0.0.1', port: ports.mqtt };
  const broker: BenchBroker = {
    name: 'activemq',
    version: packageVersion('activemq'),
    username: USERNAME,
    password,
    stomp,
    mqtt,
    amqp10Address: (queue) => queue,
    prepareAmqp10Queue: async () => undefined,
    cpuMs: () => groupCpuMs(java.child.pid!),
    outputTail: () => java.output().slice(-4000),
    stop: () => stopChild(java.child, STOP_GRACE_MS),
  };
  try {
    await waitUntilReady(async () => (await tlsAccepts(stomp, tls)) && (await tlsAccepts(mqtt, tls)), java, `ActiveMQ (logs under ${join(base, 'data')})`, READY_TIMEOUT_MS);
  } catch (error) {
    await broker.stop();
    throw error;
  }
  return broker;
}

// ---------------------------------------------------------------------------------------------
// RabbitMQ (Debian) with AMQP 1.0

/** Erlang/rabbitmq.conf suite names: OpenSSL names for TLS 1.2, IANA names for TLS 1.3. */
function rabbitmqCipherLines(): string[] {
  const suites = [...(POLICY.maxVersion === 'TLSv1.3' ? POLICY.tls13Ciphersuites : []), ...POLICY.tls12Ciphers];
  return suites.map((suite, i) => `ssl_options.ciphers.${i + 1} = ${suite}`);
}

/**
 * Starts a private RabbitMQ node with the rabbitmq_amqp1_0 plugin: TLS only on one loopback port
 * (AMQP 0-9-1 and 1.0 share it), the run's certificate, SealMQ's activemq suites and versions, a
 * generated administrator and no guest; node name, epmd, cookie, data, logs and config all private.
 */
export async function startRabbitmq(tls: BenchTls): Promise<BenchBroker> {
  ensureRabbitmqInstalled();
  const base = await mkdtemp(join(tmpdir(), 'rabbitmq-bench-activemq-'));
  removeOnExit(base);
  const [amqpsPort, distPort, epmdPort] = [await freeLoopbackPort(), await freeLoopbackPort(), await freeLoopbackPort()];
  const password = randomBytes(18).toString('base64url');
  const nodeName = `sealmq-bench-amqp10-${process.pid}@localhost`;
  const configFile = join(base, 'rabbitmq.conf');
  const versions = POLICY.maxVersion === 'TLSv1.3' ? ['tlsv1.3', 'tlsv1.2'] : ['tlsv1.2'];
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
      'ssl_options.honor_cipher_order = true',
      ...versions.map((v, i) => `ssl_options.versions.${i + 1} = ${v}`),
      ...rabbitmqCipherLines(),
      `default_user = ${USERNAME}`,
      `default_pass = ${password}`,
      'default_user_tags.administrator = true',
      'log.console = false',
      'log.file.level = warning',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  await writeFile(join(base, 'enabled_plugins'), '[rabbitmq_amqp1_0].\n');
  await writeFile(join(base, 'rabbitmq-env.conf'), '');
  const { epmd, node } = spawnRabbitmqNode(base, nodeName, { amqpsPort, distPort, epmdPort });
  const amqpUrl = `amqps://${USERNAME}:${encodeURIComponent(password)}@127.0.0.1:${amqpsPort}/`;
  const amqp091Options = { ...clientTlsOptions(tls) };
  const broker: BenchBroker = {
    name: 'rabbitmq',
    version: packageVersion('rabbitmq-server'),
    username: USERNAME,
    password,
    amqp10: { host: '127.0.0.1', port: amqpsPort },
    // The plugin's address forms (3.x): /amq/queue/Q reaches an existing queue Q.
    amqp10Address: (queue) => `/amq/queue/${queue}`,
    prepareAmqp10Queue: async (queue) => {
      const connection = await amqplib.connect(amqpUrl, amqp091Options);
      connection.on('error', () => undefined);
      try {
        const channel = await connection.createChannel();
        await channel.deleteQueue(queue);
        await channel.assertQueue(queue, { durable: true });
      } finally {
        await connection.close().catch(() => undefined);
      }
    },
    cpuMs: () => groupCpuMs(node.child.pid!),
    outputTail: () => node.output().slice(-4000),
    stop: async () => {
      await stopChild(node.child, STOP_GRACE_MS);
      await stopChild(epmd.child, 2_000);
    },
  };
  try {
    await waitUntilReady(() => amqpAccepts(amqpUrl, amqp091Options), node, `RabbitMQ node ${nodeName} (logs under ${join(base, 'log')})`, READY_TIMEOUT_MS);
  } catch (error) {
    await broker.stop();
    throw error;
  }
  return broker;
}
