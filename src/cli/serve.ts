// `sealmq serve`: the composition root. It is the only place that builds concrete components and
// wires them: config -> logger -> data directory -> root key -> certificates -> principals (admin
// and DATA/credentials on first start) -> KMS -> Amazon MQ API with the broker supervisor -> the
// brokers that existed before (and deletions to finish) -> the default broker (made on first start)
// -> HTTPS server -> DATA/endpoints.json. What each component does is its own module's business;
// how the command line reads is main.ts's.
//
// DATA/ (mode 0700)
//   sealmq.json          data-directory format version
//   kms/                 root key and KMS key store (src/kms, src/crypto/root-key.ts)
//   tls/                 ca.pem (trust this), ca.key, server.pem, server.key
//   identity/            principals.sealed (sealed under the root key)
//   control/             mq-state.sealed: the Amazon MQ records (sealed under the root key)
//   brokers/<brokerId>/  one directory per broker (control/broker-supervisor.ts)
//   credentials          the administrator's access key, AWS shared-credentials format (0600)
//   default-broker.json  which broker the first start made (control/runtime/default-broker.ts)
//   broker-credentials   the default broker's administrator: username=, password= (0600)
//   audit/               the audit trail (src/audit): hash-chained event logs, signed digests, public keys
//   audit-signing-key.sealed  the trail's private signing key, sealed under the root key
//   metrics-token        the bearer token GET /metrics asks for (0600; Prometheus credentials_file)
//   endpoints.json       written when ready: the URL of every listener (rewritten as brokers start and
//                        stop); removed at shutdown
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { FileAuditTrail, sealedFileSigningKeyLoader } from '../audit/index.ts';
import { openRootKey, type RootKey } from '../crypto/root-key.ts';
import { kmsResources } from '../control/audit-api-events.ts';
import { ControlPlaneMetrics } from '../control/metrics.ts';
import { ApiServer } from '../control/api-server.ts';
import { BrokerListenError, BrokerSupervisor } from '../control/broker-supervisor.ts';
import { KmsEncryptionKeys } from '../control/mq/kms-encryption-keys.ts';
import { MqApi, randomMqIds, systemMqClock } from '../control/mq/mq-api.ts';
import { scryptPasswordHasher } from '../control/mq/password-hasher.ts';
import type { BrokerRuntimeReport } from '../control/mq/ports.ts';
import { sealedFileMqStateStore } from '../control/mq/state.ts';
import { activeMqDefaultPort } from '../control/runtime/activemq-listeners.ts';
import { DEFAULT_BROKER_NAME, ensureDefaultBroker, readDefaultBrokerMarker, type DefaultBroker } from '../control/runtime/default-broker.ts';
import { writeCredentialsFile } from '../identity/access-keys.ts';
import { IDENTITY_SIGNING_NAME, IDENTITY_TARGET_PREFIX, IdentityApi } from '../identity/identity-api.ts';
import { ADMINISTRATOR_NAME, PrincipalStore, type ResolvedAccessKey } from '../identity/principal-store.ts';
import { SigV4Verifier } from '../identity/sigv4.ts';
import { KmsApi } from '../kms/http/kms-api.ts';
import { mqViaService } from '../kms/kms-key-provider.ts';
import { KmsService } from '../kms/kms-service.ts';
import { ensureCertificates, loadUserCertificate, namesForHost, watchCertificate, type CertificateWatcher, type ServerCertificate } from '../transport/certificates.ts';
import { writeFileAtomic } from '../util/atomic-file.ts';
import type { Config } from '../util/config.ts';
import type { Logger } from '../util/logger.ts';

export const DATA_DIR_FORMAT_VERSION = 1;
export const ENDPOINTS_FILE = 'endpoints.json';
export const CREDENTIALS_FILE = 'credentials';
export const BROKERS_DIR = 'brokers';
export const MQ_STATE_FILE = 'mq-state.sealed';
export const AUDIT_DIR = 'audit';
export const AUDIT_SIGNING_KEY_FILE = 'audit-signing-key.sealed';
export const METRICS_TOKEN_FILE = 'metrics-token';

/** What DATA/endpoints.json holds; scripts and tests wait for it. */
export interface EndpointsFile {
  /** The control-plane HTTPS endpoint (AWS KMS JSON API on POST /, Amazon MQ API under /v1/, GET /health). */
  api: string;
  /** GET /metrics (Prometheus text), with `Authorization: Bearer <contents of metricsTokenFile>`. */
  metrics: string;
  metricsTokenFile: string;
  /** The audit trail directory (`sealmq audit verify|list`). */
  auditDir: string;
  /** The CA certificate clients trust; absent when the user supplied the server certificate. */
  caFile?: string;
  /** The administrator's credentials file (AWS shared-credentials format). */
  credentialsFile: string;
  /** The default broker's amqps URL, e.g. `amqps://127.0.0.1:5671` (absent once it is deleted). */
  amqps?: string;
  /** The default broker's id. */
  brokerId?: string;
  /** The default broker's administrator: `username=` and `password=` lines (0600). */
  brokerCredentialsFile?: string;
  /** Every running broker and its listener URLs (DescribeBroker's endpoints). */
  brokers: { brokerId: string; endpoints: string[] }[];
  region: string;
  accountId: string;
  pid: number;
}

/** A started SealMQ. */
export interface RunningSealMQ {
  readonly endpoints: EndpointsFile;
  /** Set on first start only: the administrator's new access key id. */
  readonly createdAdministrator?: string;
  /** Stops listeners and the KMS; removes endpoints.json. Safe to call twice. */
  close(): Promise<void>;
}

export class DataDirError extends Error {
  readonly code = 'DATA_DIR_UNUSABLE';
  constructor(message: string) {
    super(message);
    this.name = 'DataDirError';
  }
}

export interface StartOptions {
  config: Config;
  logger: Logger;
  /** SEALMQ_ROOT_PASSPHRASE: when set, the root key is derived from it (and written nowhere). */
  rootPassphrase?: string;
  /** Poll interval of the certificate watcher. */
  certificateWatchIntervalMs?: number;
  /**
   * Told when SealMQ stops by itself (the audit trail failed) once everything is closed. Default:
   * `process.exitCode = 1`, so the process ends non-zero when nothing is left running.
   */
  onStopped?: (reason: Error) => void;
}

/** Starts everything; on failure closes what was started and rethrows. */
export async function startSealMQ(options: StartOptions): Promise<RunningSealMQ> {
  const { config, logger } = options;
  const dataDir = config.dataDir;
  const cleanups: (() => Promise<void> | void)[] = [];
  const closeAll = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (error) {
        logger.warn({ err: (error as Error).message }, 'error while shutting down');
      }
    }
  };

  try {
    const looseMode = await prepareDataDir(dataDir);
    if (looseMode !== undefined) {
      logger.warn({ dataDir, mode: looseMode.toString(8) }, 'the data directory is accessible to other users; chmod 700 it');
    }
    const endpointsPath = join(dataDir, ENDPOINTS_FILE);
    await rm(endpointsPath, { force: true });

    const rootKey: RootKey = await openRootKey({ dir: join(dataDir, 'kms'), ...(options.rootPassphrase !== undefined ? { passphrase: options.rootPassphrase } : {}) });
    cleanups.push(() => rootKey.destroy());
    logger.info({ mode: options.rootPassphrase !== undefined ? 'passphrase' : 'key file' }, 'root key open');

    const certificate: ServerCertificate =
      config.tls.certFile !== undefined && config.tls.keyFile !== undefined
        ? await loadUserCertificate(config.tls.certFile, config.tls.keyFile)
        : await ensureCertificates({
            dir: join(dataDir, 'tls'),
            ...namesForHost(config.host),
            renewBeforeDays: config.tls.serverCertRenewBeforeDays,
            logger: logger.child({ component: 'tls' }),
          });

    const principals = await PrincipalStore.open({ dir: join(dataDir, 'identity'), rootKey, accountId: config.accountId, logger: logger.child({ component: 'identity' }) });
    const credentialsFile = join(dataDir, CREDENTIALS_FILE);
    const administrator = await principals.ensureAdministrator((key) => writeCredentialsFile(credentialsFile, key));
    if (administrator !== undefined) logger.info({ principal: administrator.arn, accessKeyId: administrator.accessKeyId, credentialsFile }, 'created the administrator principal');

    // The audit trail opens before anything that records into it and closes after all of them
    // (cleanups run in reverse). It fails stop: a trail that cannot write stops SealMQ serving.
    const auditDir = join(dataDir, AUDIT_DIR);
    let stopForAudit = (): void => undefined;
    const audit = await FileAuditTrail.open({
      dir: auditDir,
      signingKeyLoader: sealedFileSigningKeyLoader(join(dataDir, AUDIT_SIGNING_KEY_FILE), rootKey),
      digestIntervalMs: config.auditDigestIntervalMs,
      onFailure: (failure) => {
        logger.error({ code: failure.code, err: failure.message }, 'the audit trail failed: SealMQ stops serving (every call must be audited)');
        stopForAudit();
      },
      onSeal: (head) => logger.debug({ digestFile: head.digestFile }, 'audit trail sealed'),
    });
    cleanups.push(() => audit.close());

    const kms = await KmsService.open({ dir: join(dataDir, 'kms'), rootKey, accountId: config.accountId, region: config.region, logger: logger.child({ component: 'kms' }) });
    cleanups.push(() => kms.close());

    // The Amazon MQ API and the brokers it runs. The supervisor closes before the KMS (cleanups run
    // in reverse), so every store is flushed while its data keys can still be had.
    let currentCertificate: ServerCertificate = certificate;
    let defaultBrokerId: string | undefined;
    let creatingDefaultBroker = false;
    let onListenersChanged = (): void => undefined;
    const brokerLogger = logger.child({ component: 'broker' });
    const supervisor = new BrokerSupervisor({
      dir: join(dataDir, BROKERS_DIR),
      rollbackAnchors: { dir: join(dataDir, 'control', 'store-anchors'), rootKey },
      host: config.host,
      accountId: config.accountId,
      region: config.region,
      kms,
      certificate: () => currentCertificate,
      dataKeyCacheAgeMaxMs: config.dataKeyCacheAgeMaxMs,
      keyCheckIntervalMs: config.keyCheckIntervalMs,
      // The default broker's amqps port is a setting; every other listener takes a free port.
      listenerPort: (spec, scheme) =>
        scheme === 'amqps' && (spec.brokerId === defaultBrokerId || (creatingDefaultBroker && spec.brokerName === DEFAULT_BROKER_NAME)) ? config.amqpsPort : undefined,
      // ACTIVEMQ brokers try Amazon MQ's ports (5671, 61614, 8883, 61619) and take a free one when
      // those are taken; a server told to take free ports (amqpsPort 0, as tests do) takes free ones.
      // The default broker's amqpsPort is never offered to them: it must be free whenever that
      // broker (re)starts, e.g. after a reboot or a quarantine.
      engineDefaultPorts: config.amqpsPort === 0 ? false : (scheme) => {
        const port = activeMqDefaultPort(scheme);
        return port === config.amqpsPort ? undefined : port;
      },
      onListenersChanged: () => onListenersChanged(),
      audit,
      logger: brokerLogger,
    });
    cleanups.push(() => supervisor.close());
    const mqApi = new MqApi({
      accountId: config.accountId,
      region: config.region,
      host: urlHost(config.host),
      clock: systemMqClock,
      ids: randomMqIds,
      store: sealedFileMqStateStore(join(dataDir, 'control', MQ_STATE_FILE), rootKey),
      runtime: supervisor,
      keys: new KmsEncryptionKeys(kms, { viaService: mqViaService(config.region) }),
      passwords: scryptPasswordHasher(),
      onInternalError: (error, operation) => logger.error({ operation, err: error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error' }, 'Amazon MQ API internal error'),
    });
    const reporter = (brokerId: string) => (report: BrokerRuntimeReport) => {
      mqApi.reportBrokerState(brokerId, report).catch((error: Error) => brokerLogger.error({ brokerId, err: error.message }, 'could not record a broker state'));
    };

    // Brokers survive restarts: finish deletions, start every broker that should run.
    for (const brokerId of await mqApi.brokersBeingDeleted()) await supervisor.delete(brokerId, reporter(brokerId));
    const previousDefault = (await readDefaultBrokerMarker(dataDir))?.brokerId;
    const specs = await mqApi.brokerSpecs();
    defaultBrokerId = previousDefault;
    const startErrors = await Promise.all(specs.map(async (spec) => ({ spec, error: await supervisor.start(spec, reporter(spec.brokerId)) })));
    for (const { spec, error } of startErrors) {
      if (error instanceof BrokerListenError && spec.brokerId === defaultBrokerId) throw amqpsListenError(config, error);
    }
    if (specs.length > 0) logger.info({ brokers: specs.length, failed: startErrors.filter((s) => s.error !== undefined).length }, 'brokers started');

    let defaultBroker: DefaultBroker | undefined;
    const adminCaller = principals.callerIdentity(ADMINISTRATOR_NAME);
    if (adminCaller === undefined) {
      logger.warn({ principal: ADMINISTRATOR_NAME }, 'no administrator principal: the default broker is neither made nor shown');
    } else {
      // On first start the broker id is known only once CreateBroker returns; until the broker has
      // settled, its name identifies it to listenerPort (no API request can come in yet).
      creatingDefaultBroker = previousDefault === undefined;
      try {
        defaultBroker = await ensureDefaultBroker({
          dataDir,
          mq: mqApi,
          caller: adminCaller,
          logger: brokerLogger,
          beforeCreate: () => (config.amqpsPort === 0 ? Promise.resolve() : checkPortFree(config, config.amqpsPort)),
          audit: { sink: audit, region: config.region, accountId: config.accountId },
        });
        if (defaultBroker !== undefined) {
          defaultBrokerId = defaultBroker.brokerId;
          const error = await supervisor.settled(defaultBroker.brokerId);
          if (error instanceof BrokerListenError) throw amqpsListenError(config, error);
          if (error !== undefined) logger.error({ brokerId: defaultBroker.brokerId, err: error.message }, 'the default broker is not running');
        }
      } finally {
        creatingDefaultBroker = false;
      }
    }

    const verifier = new SigV4Verifier<ResolvedAccessKey>({ region: config.region, lookup: (id) => principals.lookupAccessKey(id) });
    const startedAt = Date.now();
    const metrics = new ControlPlaneMetrics({ brokers: () => supervisor.runningBrokers(), audit });
    const metricsTokenFile = join(dataDir, METRICS_TOKEN_FILE);
    const metricsToken = await ensureMetricsToken(metricsTokenFile);
    const api = await ApiServer.start({
      host: config.host,
      port: config.apiPort,
      certificate,
      limits: {
        bodyMaxBytes: config.limits.apiBodyMaxBytes,
        headersTimeoutMs: config.limits.apiHeadersTimeoutMs,
        requestTimeoutMs: config.limits.apiRequestTimeoutMs,
        keepAliveTimeoutMs: config.limits.apiKeepAliveTimeoutMs,
        connectionsMax: config.limits.apiConnectionsMax,
      },
      verifier,
      mq: mqApi,
      jsonServices: [
        {
          targetPrefix: 'TrentService',
          signingName: 'kms',
          eventSource: 'kms.amazonaws.com',
          api: new KmsApi(kms),
          auditResources: (input, output) => kmsResources(config.region, config.accountId, input, output),
        },
        { targetPrefix: IDENTITY_TARGET_PREFIX, signingName: IDENTITY_SIGNING_NAME, eventSource: 'iam.amazonaws.com', api: new IdentityApi(principals, config.accountId) },
      ],
      audit: { sink: audit, region: config.region, accountId: config.accountId },
      metrics: { registry: metrics, token: metricsToken },
      health: () => ({ uptimeSeconds: Math.round((Date.now() - startedAt) / 1000) }),
      logger: logger.child({ component: 'api' }),
    }).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') {
        throw new ListenError(`port ${config.apiPort} on ${config.host} is already in use (setting apiPort: --api-port or SEALMQ_API_PORT; 0 picks a free port)`);
      }
      if (error.code === 'EACCES') throw new ListenError(`no permission to listen on ${config.host}:${config.apiPort} (setting apiPort; ports below 1024 need privileges)`);
      if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND') throw new ListenError(`cannot listen on ${config.host}: no such local address (setting host)`);
      throw error;
    });
    cleanups.push(() => api.close());

    const watcher: CertificateWatcher = watchCertificate(certificate, (next) => {
      currentCertificate = next;
      api.setCertificate(next);
      supervisor.certificateChanged();
    }, {
      ...(options.certificateWatchIntervalMs !== undefined ? { intervalMs: options.certificateWatchIntervalMs } : {}),
      logger: logger.child({ component: 'tls' }),
    });
    cleanups.push(() => watcher.close());

    // endpoints.json says what listens now: rewritten whenever a broker's listeners open or close.
    const currentEndpoints = (): EndpointsFile => {
      const listenersOf = (brokerId: string) => supervisor.getEndpoints(brokerId)?.[0]?.listeners ?? [];
      const defaultPort = defaultBroker === undefined ? undefined : listenersOf(defaultBroker.brokerId).find((l) => l.scheme === 'amqps')?.port;
      return {
        api: api.url,
        metrics: `${api.url}/metrics`,
        metricsTokenFile,
        auditDir,
        ...(certificate.caFile !== undefined ? { caFile: certificate.caFile } : {}),
        credentialsFile,
        ...(defaultBroker !== undefined && defaultPort !== undefined
          ? { amqps: `amqps://${urlHost(config.host)}:${defaultPort}`, brokerId: defaultBroker.brokerId, brokerCredentialsFile: defaultBroker.credentialsFile }
          : {}),
        brokers: supervisor.runningBrokerIds().map((brokerId) => ({
          brokerId,
          endpoints: listenersOf(brokerId).map((l) => `${l.scheme}://${urlHost(config.host)}:${l.port}`),
        })),
        region: config.region,
        accountId: config.accountId,
        pid: process.pid,
      };
    };
    const endpoints = currentEndpoints();
    await writeFileAtomic(endpointsPath, JSON.stringify(endpoints, null, 2) + '\n', 0o644);
    let endpointsLive = true;
    let endpointsWrites: Promise<void> = Promise.resolve();
    onListenersChanged = () => {
      endpointsWrites = endpointsWrites
        .then(() => (endpointsLive ? writeFileAtomic(endpointsPath, JSON.stringify(currentEndpoints(), null, 2) + '\n', 0o644) : undefined))
        .catch((error: Error) => logger.warn({ err: error.message }, 'could not rewrite endpoints.json'));
    };
    cleanups.push(async () => {
      endpointsLive = false;
      await endpointsWrites;
      await rm(endpointsPath, { force: true });
    });
    logger.info({ ...endpoints }, 'SealMQ is ready');

    let closing: Promise<void> | undefined;
    stopForAudit = () => {
      const reason = new Error(`the audit trail failed: ${audit.failure?.message ?? 'unknown'}`);
      void (closing ??= closeAll()).then(() => (options.onStopped ?? (() => (process.exitCode = 1)))(reason));
    };
    if (audit.failure !== undefined) stopForAudit();
    return {
      endpoints,
      ...(administrator !== undefined ? { createdAdministrator: administrator.accessKeyId } : {}),
      close: () => (closing ??= closeAll()),
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/** The bearer token of GET /metrics: read from its 0600 file, or made there on first start. */
async function ensureMetricsToken(path: string): Promise<string> {
  try {
    const token = (await readFile(path, 'utf8')).trim();
    if (token.length >= 32) return token;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const token = randomBytes(32).toString('base64url');
  await writeFileAtomic(path, token + '\n', 0o600);
  return token;
}

/** The host as it goes into URLs: 127.0.0.1 for a wildcard bind, IPv6 in brackets (as ApiServer.url). */
function urlHost(host: string): string {
  const shown = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return shown.includes(':') ? `[${shown}]` : shown;
}

function amqpsListenError(config: Config, error: BrokerListenError): ListenError {
  if (error.code === 'EADDRINUSE') {
    return new ListenError(`port ${error.port} on ${config.host} is already in use (setting amqpsPort: --amqps-port or SEALMQ_AMQPS_PORT; 0 picks a free port)`);
  }
  if (error.code === 'EACCES') return new ListenError(`no permission to listen on ${config.host}:${error.port} (setting amqpsPort; ports below 1024 need privileges)`);
  return new ListenError(`the default broker cannot listen on ${config.host}:${error.port}: ${error.message} (setting amqpsPort)`);
}

/** Fails with a ListenError naming amqpsPort when `port` cannot be bound now (first start, before the default broker is made). */
async function checkPortFree(config: Config, port: number): Promise<void> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (error: NodeJS.ErrnoException) => reject(amqpsListenError(config, new BrokerListenError(error.message, error.code, port))));
    probe.listen({ host: config.host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}

export class ListenError extends Error {
  readonly code = 'LISTEN_FAILED';
  constructor(message: string) {
    super(message);
    this.name = 'ListenError';
  }
}

/** Creates the data directory (0700) or checks an existing one, and its format version. Returns the mode of an existing directory that others can access. */
async function prepareDataDir(dataDir: string): Promise<number | undefined> {
  let looseMode: number | undefined;
  try {
    const info = await stat(dataDir).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (info === undefined) {
      await mkdir(dataDir, { recursive: true, mode: 0o700 });
      await chmod(dataDir, 0o700);
    } else if (!info.isDirectory()) {
      throw new DataDirError(`data directory ${dataDir} is not a directory (setting dataDir: --data-dir or SEALMQ_DATA_DIR)`);
    } else if ((info.mode & 0o077) !== 0) {
      looseMode = info.mode & 0o777;
    }
  } catch (error) {
    if (error instanceof DataDirError) throw error;
    throw new DataDirError(`cannot create the data directory ${dataDir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message} (setting dataDir)`);
  }
  const versionFile = join(dataDir, 'sealmq.json');
  let text: string | undefined;
  try {
    text = await readFile(versionFile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new DataDirError(`cannot read ${versionFile}: ${(error as NodeJS.ErrnoException).code}`);
  }
  if (text === undefined) {
    try {
      await writeFileAtomic(versionFile, JSON.stringify({ formatVersion: DATA_DIR_FORMAT_VERSION, createdAt: new Date().toISOString() }, null, 2) + '\n', 0o644);
    } catch (error) {
      throw new DataDirError(`cannot write to the data directory ${dataDir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    return looseMode;
  }
  let version: unknown;
  try {
    version = (JSON.parse(text) as { formatVersion?: unknown }).formatVersion;
  } catch {
    throw new DataDirError(`${versionFile} is damaged (not JSON)`);
  }
  if (version !== DATA_DIR_FORMAT_VERSION) {
    throw new DataDirError(`${dataDir} has data-directory format ${String(version)}; this SealMQ reads format ${DATA_DIR_FORMAT_VERSION}`);
  }
  return looseMode;
}
