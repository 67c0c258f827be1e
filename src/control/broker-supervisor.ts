// The broker supervisor: the BrokerRuntime (control/mq/ports.ts) that runs brokers of both engines in
// this process. Per broker it owns a directory DATA/brokers/<brokerId>/ (opaque to everyone else),
// an encrypted SegmentMessageStore whose data keys come from the broker's own KMS key through the
// KeyProvider its key kind calls for, a core Broker with the users the API gives it, and the
// engine's listeners: RABBITMQ an amqps listener with the RabbitMQ TLS policy; ACTIVEMQ the ActiveMQ
// engine on the core (opened with its properties codec, authorization from the broker's
// configuration) and its amqp+ssl, stomp+ssl, mqtt+ssl and wss listeners with the activemq policy
// (runtime/activemq-listeners.ts). And the lifecycle, the same for both engines: create, reboot
// (close and reopen with the new spec), delete (grant retired, service-owned key destroyed, files
// removed), key quarantine, and state reports. One broker's failure is caught, logged and reported
// for that broker alone. The records, the states' meaning and the API are mq-api.ts's; the
// protocols are the sessions'; bytes the store's.
//
// Ports: a fixed port (listenerPort) must be free or the start fails; otherwise the port a listener
// had last is preferred (clients keep their URLs across reboots and restarts), then, with
// engineDefaultPorts, Amazon MQ's port for the scheme (ActiveMQ: 5671, 61614, 8883, 61619), then any
// free port. A preferred port that is taken (e.g. 5671 held by a RabbitMQ broker) is logged as a
// warning and the listener takes another; DescribeBroker and endpoints.json show the port in use.
//
// DATA/brokers/<brokerId>/ (0700)
//   broker.json   the broker's encryption choice (key ARN, grant id) and its last listener ports;
//                 nothing confidential: no names, users or content
//   store/        the SegmentMessageStore (src/store)
import { statfsSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import { AuditEventSource, AuditEventType, type AuditSink } from '../core/audit-sink.ts';
import { ACTIVEMQ_BROKER_OPTIONS, createActiveMqEngine, groupTags } from '../core/activemq/index.ts';
import { Broker } from '../core/broker.ts';
import type { FlowControlOptions } from '../core/flow-control.ts';
import { KeyUnavailableError, type KeyProvider } from '../crypto/key-provider.ts';
import type { PasswordHashOptions } from '../identity/password-hash.ts';
import { KmsKeyProvider, mqViaService } from '../kms/kms-key-provider.ts';
import type { KmsService } from '../kms/kms-service.ts';
import { amqp091PropertiesCodec, createAmqp091Session, type Amqp091Session } from '../session/amqp091/index.ts';
import { createAmqp10Session } from '../session/amqp10/index.ts';
import { createMqttSession } from '../session/mqtt/index.ts';
import { createStompSession } from '../session/stomp/index.ts';
import type { RootKey } from '../crypto/root-key.ts';
import { FileRollbackAnchor } from '../store/rollback-anchor.ts';
import { SegmentMessageStore, type SegmentStoreEvent } from '../store/segment-message-store.ts';
import { startBrokerListener } from '../transport/broker-listener.ts';
import { writeFileAtomic } from '../util/atomic-file.ts';
import type { Logger } from '../util/logger.ts';
import { brokerCaller } from './mq/kms-encryption-keys.ts';
import { ActiveMqConfigurationError, parseActiveMqConfigurationData } from './runtime/activemq-configuration.ts';
import { activeMqDefaultPort, startActiveMqListeners, type ActiveMqSessionFactory, type PortListener } from './runtime/activemq-listeners.ts';
import type {
  ActionRequired,
  BrokerEncryption,
  BrokerInstanceEndpoints,
  BrokerReporter,
  BrokerRuntime,
  BrokerRuntimeReport,
  BrokerSpec,
  BrokerUserSpec,
  ReencryptionResult,
} from './mq/ports.ts';

export const BROKER_FILE = 'broker.json';
export const BROKER_STORE_DIR = 'store';
const BROKER_FILE_FORMAT_VERSION = 1;

/** What every Amazon MQ API user gets on the RabbitMQ engine, as Amazon MQ's RabbitMQ admin user has. */
const API_USER_TAGS = ['administrator'] as const;
const API_USER_VHOST = '/';
const FULL_PERMISSIONS = { configure: '.*', write: '.*', read: '.*' } as const;

/** RabbitMQ's defaults: vm_memory_high_watermark 0.4 of RAM, disk_free_limit 50 MB. */
const MEMORY_HIGH_WATERMARK_RATIO = 0.4;
const DISK_FREE_LIMIT_BYTES = 50 * 1000 * 1000;

/** Amazon MQ's action code for a broker whose KMS key cannot be used (DESIGN.md section 4). */
export const INVALID_KMS_KEY = 'INVALID_KMS_KEY';

export interface BrokerSupervisorOptions {
  /** DATA/brokers: one subdirectory per broker. */
  readonly dir: string;
  /** Address the brokers' listeners bind to. */
  readonly host: string;
  readonly accountId: string;
  readonly region: string;
  readonly kms: KmsService;
  /** The server certificate in force (read at each listener start, so a reload reaches reboots). */
  readonly certificate: () => { readonly certPem: string; readonly keyPem: string };
  /** Age limit of cached plaintext data keys (config dataKeyCacheAgeMaxMs; 0 = reuse none). */
  readonly dataKeyCacheAgeMaxMs: number;
  /** How often a running broker checks that its KMS key is still usable (default 60 s). */
  readonly keyCheckIntervalMs?: number;
  /**
   * A fixed port for one of a broker's listeners (e.g. the default broker's amqps), or undefined.
   * A fixed port that is busy fails the start; otherwise the port used last is preferred, else any.
   */
  readonly listenerPort?: (spec: BrokerSpec, scheme: string) => number | undefined;
  /**
   * ACTIVEMQ listeners try Amazon MQ's port for their scheme (5671, 61614, 8883, 61619) when they
   * have no port of their own yet, and take any free port when it is taken (default false: any free
   * port). A function gives the port to try per scheme instead (tests: ports they hold).
   */
  readonly engineDefaultPorts?: boolean | ((scheme: string) => number | undefined);
  /** WebSocket messages (wss) over this close the connection with 1009 (default 16 MiB). */
  readonly webSocketPayloadMaxBytes?: number;
  /** Cost of the decoy hash the core verifies unknown users against (default: identity/'s). */
  readonly passwordHashing?: PasswordHashOptions;
  /** Resource alarms; default RabbitMQ's (40% of RAM, 50 MB free disk). `false` disables them. */
  readonly flowControl?: false | ((brokerDir: string) => FlowControlOptions);
  /** Told whenever a broker's listeners open or close (serve rewrites endpoints.json). */
  readonly onListenersChanged?: () => void;
  /** Where broker-user events go (authentication failures, connections, refusals); each names its broker. */
  readonly audit?: AuditSink;
  /**
   * Where each broker store keeps its rollback anchor (store/rollback-anchor.ts): a folder outside
   * DATA/brokers, one file per broker sealed under the KMS root key, so that cutting a store back
   * to an older valid state is refused at open. Without it such a rollback is not detected.
   */
  readonly rollbackAnchors?: { readonly dir: string; readonly rootKey: RootKey };
  readonly logger: Logger;
}

interface BrokerFile {
  formatVersion: number;
  brokerId: string;
  encryption: BrokerEncryption;
  ports: Record<string, number>;
}

interface RunningBroker {
  readonly store: SegmentMessageStore;
  readonly broker: Broker;
  /** In DescribeBroker's order. */
  readonly listeners: readonly { readonly scheme: string; readonly listener: PortListener }[];
  readonly keyTimer: NodeJS.Timeout;
  /** Ends every client connection telling it why (each protocol's forced close); resolves with how many. */
  readonly closeConnections: (reason: string) => Promise<number>;
  /** Every listener stops taking connections; running sessions go on. */
  readonly stopAccepting: () => void;
  /** Closes the listeners (their sessions first). */
  readonly closeListeners: () => Promise<void>;
}

/** The ActiveMQ engine's sessions, by protocol (a session never imports another protocol's). */
const ACTIVEMQ_SESSIONS: Readonly<Record<'amqp10' | 'stomp' | 'mqtt', ActiveMqSessionFactory>> = {
  amqp10: (stream, options) => createAmqp10Session(stream, options),
  stomp: (stream, options) => createStompSession(stream, options),
  mqtt: (stream, options) => createMqttSession(stream, options),
};

interface Slot {
  readonly brokerId: string;
  /** The spec in force (users replaced by applyUsers); undefined for a deletion after a restart. */
  spec: BrokerSpec | undefined;
  report: BrokerReporter;
  running: RunningBroker | undefined;
  /** Listener ports last bound, by scheme. */
  ports: Record<string, number>;
  /** Operations run one at a time per broker. */
  chain: Promise<void>;
  pending: number;
  usersVersion: number;
  deleting: boolean;
  /** A key-unavailable report was sent and not yet undone. */
  keyProblem: boolean;
  /** A quarantine is stopping the broker: a key that works again meanwhile no longer undoes it. */
  quarantining: boolean;
  /** Why the last open failed, if it did. */
  lastError: Error | undefined;
  /** A later open after the KMS refused the key (re-enabling it brings the broker back). */
  retryTimer: NodeJS.Timeout | undefined;
}

type OpenKind = 'create' | 'reboot' | 'restart';

/** A listener could not bind its fixed port (composition roots turn it into a message naming the setting). */
export class BrokerListenError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly port: number,
  ) {
    super(message);
    this.name = 'BrokerListenError';
  }
}

/** Runs RABBITMQ- and ACTIVEMQ-engine brokers; see the file header. */
export class BrokerSupervisor implements BrokerRuntime {
  readonly #options: BrokerSupervisorOptions;
  readonly #log: Logger;
  readonly #slots = new Map<string, Slot>();
  #closed = false;

  constructor(options: BrokerSupervisorOptions) {
    this.#options = options;
    this.#log = options.logger;
  }

  // ---- BrokerRuntime ----

  async create(spec: BrokerSpec, report: BrokerReporter): Promise<void> {
    this.#checkOpen();
    if (this.#slots.has(spec.brokerId)) throw new Error(`broker ${spec.brokerId} is already supervised`);
    const slot = this.#newSlot(spec.brokerId, spec, report);
    void this.#enqueue(slot, () => this.#open(slot, 'create'));
  }

  async reboot(spec: BrokerSpec, report: BrokerReporter): Promise<void> {
    this.#checkOpen();
    const slot = this.#slots.get(spec.brokerId) ?? this.#newSlot(spec.brokerId, spec, report);
    if (slot.deleting) throw new Error(`broker ${spec.brokerId} is being deleted`);
    slot.spec = spec;
    slot.report = report;
    slot.usersVersion++;
    void this.#enqueue(slot, async () => {
      await this.#stop(slot);
      await this.#open(slot, 'reboot');
    });
  }

  async delete(brokerId: string, report: BrokerReporter): Promise<void> {
    this.#checkOpen();
    const slot = this.#slots.get(brokerId) ?? this.#newSlot(brokerId, undefined, report);
    slot.report = report;
    if (slot.deleting) return;
    slot.deleting = true;
    void this.#enqueue(slot, () => this.#destroy(slot));
  }

  async applyUsers(brokerId: string, users: readonly BrokerUserSpec[]): Promise<void> {
    const slot = this.#slots.get(brokerId);
    if (slot === undefined || slot.spec === undefined || slot.deleting) return;
    slot.spec = { ...slot.spec, users: [...users] };
    slot.usersVersion++;
    const busy = slot.pending > 0;
    const sync = this.#enqueue(slot, async () => {
      if (slot.running !== undefined) await this.#syncUsersUntilStable(slot, slot.running.broker);
    });
    // A broker that is opening or rebooting gets the users when that is done; the API does not wait
    // for a store recovery. A running broker has them before the call returns.
    if (!busy) await sync;
    else sync.catch(() => undefined);
  }

  /**
   * ReencryptBroker: rewrites every live message of a running broker into a new segment under a
   * fresh data key (GenerateDataKey uses the KMS key's current material, so after a rotation the data
   * moves onto it) and deletes the older segments with their wrapped keys, while clients keep
   * working. Queued after the broker's other operations, so a reboot or quarantine waits for it.
   */
  async reencrypt(brokerId: string): Promise<ReencryptionResult> {
    this.#checkOpen();
    const slot = this.#slots.get(brokerId);
    if (slot === undefined || slot.deleting) throw new Error(`broker ${brokerId} is not supervised`);
    let result: ReencryptionResult | undefined;
    await this.#enqueue(slot, async () => {
      const running = slot.running;
      if (running === undefined) throw new Error(`broker ${brokerId} is not running`);
      const log = this.#log.child({ brokerId });
      const started = Date.now();
      log.info(running.store.stats(), 're-encryption started');
      const done = await running.store.reencrypt();
      result = { ...done, durationMs: Date.now() - started };
      log.info({ ...result }, 're-encryption finished');
      this.#auditService(slot, 'BrokerReencrypted', { ...result });
    });
    if (result === undefined) throw new Error('assertion failed: re-encryption without a result');
    return result;
  }

  getEndpoints(brokerId: string): readonly BrokerInstanceEndpoints[] | undefined {
    const running = this.#slots.get(brokerId)?.running;
    if (running === undefined) return undefined;
    return [{ listeners: running.listeners.map(({ scheme, listener }) => ({ scheme, port: listener.port })) }];
  }

  // ---- for the composition root ----

  /**
   * Starts a broker that existed before this process (from MqApi.brokerSpecs at start) and waits for
   * the outcome: undefined when it runs, else the error (already reported and logged).
   */
  async start(spec: BrokerSpec, report: BrokerReporter): Promise<Error | undefined> {
    this.#checkOpen();
    if (this.#slots.has(spec.brokerId)) throw new Error(`broker ${spec.brokerId} is already supervised`);
    const slot = this.#newSlot(spec.brokerId, spec, report);
    await this.#enqueue(slot, () => this.#open(slot, 'restart'));
    return slot.running === undefined ? (slot.lastError ?? new Error('the broker did not start')) : undefined;
  }

  /** Waits until the broker's queued operations are done; undefined when it then runs, else why not. */
  async settled(brokerId: string): Promise<Error | undefined> {
    const slot = this.#slots.get(brokerId);
    if (slot === undefined) return new Error('no such broker');
    while (slot.pending > 0) await slot.chain;
    return slot.running === undefined ? (slot.lastError ?? new Error('the broker is not running')) : undefined;
  }

  /**
   * Serves a replaced server certificate on every broker's listeners to new connections (established
   * ones keep theirs); listeners opened later read `options.certificate()` themselves.
   */
  certificateChanged(): void {
    const { certPem, keyPem } = this.#options.certificate();
    for (const slot of this.#slots.values()) {
      for (const { scheme, listener } of slot.running?.listeners ?? []) {
        try {
          listener.updateCertificate(certPem, keyPem);
        } catch (error) {
          this.#log.error({ brokerId: slot.brokerId, listener: scheme, err: errorText(error) }, 'could not serve the new certificate on a broker listener');
        }
      }
    }
  }

  /** Ids of the brokers running now. */
  runningBrokerIds(): string[] {
    return [...this.#slots.values()].filter((s) => s.running !== undefined).map((s) => s.brokerId);
  }

  /** The running brokers' core and store, for a metrics scrape to read (counters, queue depths, alarms, store stats). */
  runningBrokers(): { readonly brokerId: string; readonly broker: Broker; readonly store: SegmentMessageStore }[] {
    const out: { brokerId: string; broker: Broker; store: SegmentMessageStore }[] = [];
    for (const slot of this.#slots.values()) if (slot.running !== undefined) out.push({ brokerId: slot.brokerId, broker: slot.running.broker, store: slot.running.store });
    return out;
  }

  /** Closes every broker (connections told CONNECTION_FORCED, writes flushed, stores closed). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#slots.values()].map((slot) => this.#enqueue(slot, () => this.#stop(slot))));
  }

  // ---- lifecycle ----

  #checkOpen(): void {
    if (this.#closed) throw new Error('the broker supervisor is closed');
  }

  #newSlot(brokerId: string, spec: BrokerSpec | undefined, report: BrokerReporter): Slot {
    const slot: Slot = {
      brokerId,
      spec,
      report,
      running: undefined,
      ports: {},
      chain: Promise.resolve(),
      pending: 0,
      usersVersion: 0,
      deleting: false,
      keyProblem: false,
      quarantining: false,
      lastError: undefined,
      retryTimer: undefined,
    };
    this.#slots.set(brokerId, slot);
    return slot;
  }

  /** Runs `work` after the broker's earlier operations; never rejects the chain. */
  #enqueue(slot: Slot, work: () => Promise<void>): Promise<void> {
    slot.pending++;
    const run = slot.chain.then(work).finally(() => {
      slot.pending--;
    });
    slot.chain = run.catch((error: unknown) => {
      this.#log.error({ brokerId: slot.brokerId, err: errorText(error) }, 'broker operation failed');
    });
    return run;
  }

  #report(slot: Slot, report: BrokerRuntimeReport): void {
    try {
      slot.report(report);
    } catch (error) {
      this.#log.error({ brokerId: slot.brokerId, err: errorText(error) }, 'broker state report failed');
    }
  }

  #brokerDir(brokerId: string): string {
    if (!/^b-[0-9a-f-]{36}$/.test(brokerId)) throw new Error('unexpected broker id');
    return join(this.#options.dir, brokerId);
  }

  async #open(slot: Slot, kind: OpenKind): Promise<void> {
    const spec = slot.spec;
    if (spec === undefined || slot.deleting || this.#closed) return;
    const log = this.#log.child({ brokerId: spec.brokerId });
    slot.lastError = undefined;
    let store: SegmentMessageStore | undefined;
    let broker: Broker | undefined;
    let listeners: Pick<RunningBroker, 'listeners' | 'closeConnections' | 'stopAccepting' | 'closeListeners'> | undefined;
    try {
      // An ActiveMQ configuration that cannot be understood fails the start before anything opens.
      const activeMqConfiguration = spec.engineType === 'ACTIVEMQ' ? parseActiveMqConfigurationData(spec.configuration.data) : undefined;
      const dir = this.#brokerDir(spec.brokerId);
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const file = await this.#readBrokerFile(dir);
      if (file !== undefined) slot.ports = { ...file.ports };
      await this.#writeBrokerFile(dir, spec.brokerId, spec.encryption, slot.ports);

      const anchors = this.#options.rollbackAnchors;
      store = await SegmentMessageStore.open({
        dataDir: join(dir, BROKER_STORE_DIR),
        brokerId: spec.brokerId,
        kmsKeyId: spec.encryption.keyArn,
        keyProvider: this.#keyProvider(spec),
        // The cache cannot be turned off; 1 ms means every use goes back to the KMS.
        dataKeyCache: { dataKeyCacheAgeMaxMs: Math.max(1, this.#options.dataKeyCacheAgeMaxMs) },
        onEvent: (event) => this.#onStoreEvent(slot, log, event),
        ...(anchors !== undefined ? { rollbackAnchor: new FileRollbackAnchor(this.#anchorPath(spec.brokerId)!, anchors.rootKey, spec.brokerId) } : {}),
      });
      const flowControl = this.#options.flowControl === false ? undefined : (this.#options.flowControl ?? defaultFlowControl)(dir);
      broker = await Broker.open({
        store,
        ...(spec.engineType === 'ACTIVEMQ' ? ACTIVEMQ_BROKER_OPTIONS : { codec: amqp091PropertiesCodec }),
        brokerId: spec.brokerId,
        ...(this.#options.passwordHashing !== undefined ? { passwordHashing: this.#options.passwordHashing } : {}),
        ...(flowControl !== undefined ? { flowControl } : {}),
        ...(this.#options.audit !== undefined ? { audit: this.#options.audit } : {}),
        onRecoveryProgress: (progress) => log.info({ ...progress }, 'broker recovery progress'),
        onStoreError: (error) => log.error({ err: errorText(error) }, 'broker store error'),
      });
      await this.#syncUsersUntilStable(slot, broker);
      const openedBroker = broker;
      if (activeMqConfiguration !== undefined) {
        const engine = createActiveMqEngine(openedBroker, {
          authorization: activeMqConfiguration.authorizationEntries,
          brokerId: spec.brokerId,
          ...(this.#options.audit !== undefined ? { audit: this.#options.audit } : {}),
          onError: (error) => log.error({ err: errorText(error) }, 'ActiveMQ engine error'),
        });
        await engine.ready();
        const running = await startActiveMqListeners({
          engine,
          sessions: ACTIVEMQ_SESSIONS,
          host: this.#options.host,
          certificate: this.#options.certificate,
          listenPort: (scheme, start) => this.#listen(slot, spec, scheme, log, start),
          ...(this.#options.webSocketPayloadMaxBytes !== undefined ? { webSocketPayloadMaxBytes: this.#options.webSocketPayloadMaxBytes } : {}),
          logger: log,
        });
        listeners = {
          listeners: running.listeners,
          // Each client connection of the engine is a core connection told why (STOMP ERROR, MQTT 5
          // DISCONNECT, AMQP 1.0 connection-forced); the engine's own has no session to tell.
          closeConnections: async (reason) => {
            const clients = [...openedBroker.connections].filter((c) => c.onForcedClose !== undefined);
            await Promise.all(clients.map((c) => c.forceClose(reason).catch(() => undefined)));
            return clients.length;
          },
          stopAccepting: () => running.stopAccepting(),
          closeListeners: () => running.close(),
        };
      } else {
        const sessions = new Set<Amqp091Session>();
        const listener = await this.#listen(slot, spec, 'amqps', log, (port) => {
          const { certPem, keyPem } = this.#options.certificate();
          return startBrokerListener({
            name: 'amqps',
            host: this.#options.host,
            port,
            tls: { policy: 'rabbitmq', certPem, keyPem },
            logger: log,
            onConnection: (socket) => {
              const session = createAmqp091Session(socket, { broker: openedBroker, logger: log.child({ protocol: 'amqp091' }) });
              sessions.add(session);
              void session.closed.finally(() => sessions.delete(session)).catch(() => undefined);
              return session;
            },
          });
        });
        listeners = {
          listeners: [{ scheme: 'amqps', listener }],
          closeConnections: async (reason) => {
            const all = [...sessions];
            await Promise.all(all.map((session) => session.close(`CONNECTION_FORCED - ${reason}`).catch(() => undefined)));
            return all.length;
          },
          stopAccepting: () => listener.stopAccepting(),
          closeListeners: () => listener.close(),
        };
      }
      for (const { scheme, listener } of listeners.listeners) slot.ports = { ...slot.ports, [scheme]: listener.port };
      await this.#writeBrokerFile(dir, spec.brokerId, spec.encryption, slot.ports);
      const openedStore = store;
      const keyTimer = setInterval(() => {
        openedStore.checkKeys().catch(() => undefined); // the store reports key-unavailable itself
      }, this.#options.keyCheckIntervalMs ?? 60_000);
      keyTimer.unref();
      slot.running = { store, broker, keyTimer, ...listeners };
      if (slot.keyProblem) this.#auditService(slot, 'BrokerRecovered', { how: kind });
      slot.keyProblem = false;
      log.info({ engineType: spec.engineType, ports: slot.ports, keyKind: spec.encryption.kind, how: kind }, 'broker running');
      this.#report(slot, { state: 'RUNNING' });
      this.#listenersChanged();
    } catch (error) {
      slot.running = undefined;
      slot.lastError = error as Error;
      await closeQuietly(listeners?.closeListeners, broker, store);
      log.error({ err: errorText(error), how: kind }, 'broker could not start');
      const keyRefused = error instanceof KeyUnavailableError && kind !== 'create';
      // A retry that the KMS refuses again changes nothing that was not reported already.
      if (!(keyRefused && slot.keyProblem)) this.#report(slot, failureReport(kind, error, spec.encryption));
      if (keyRefused) {
        slot.keyProblem = true;
        this.#retryLater(slot);
      }
    }
  }

  /** Opens the broker again after the key check interval, until it runs, is rebooted, deleted or closed. */
  #retryLater(slot: Slot): void {
    clearTimeout(slot.retryTimer);
    slot.retryTimer = setTimeout(() => {
      slot.retryTimer = undefined;
      if (this.#closed || slot.deleting || slot.running !== undefined) return;
      void this.#enqueue(slot, async () => {
        if (!this.#closed && !slot.deleting && slot.running === undefined) await this.#open(slot, 'restart');
      });
    }, this.#options.keyCheckIntervalMs ?? 60_000);
    slot.retryTimer.unref();
  }

  async #stop(slot: Slot): Promise<void> {
    clearTimeout(slot.retryTimer);
    slot.retryTimer = undefined;
    const running = slot.running;
    if (running === undefined) return;
    slot.running = undefined;
    clearInterval(running.keyTimer);
    await closeQuietly(running.closeListeners, running.broker, running.store, (error) =>
      this.#log.warn({ brokerId: slot.brokerId, err: errorText(error) }, 'error while closing a broker'),
    );
    this.#log.info({ brokerId: slot.brokerId }, 'broker stopped');
    this.#listenersChanged();
  }

  /**
   * A key-lifecycle service event (issue 6): KmsKeyCheckFailed, BrokerQuarantined, BrokerRecovered,
   * BrokerDeleted (with what was shredded), BrokerReencrypted. Names keys and grants, never material.
   */
  #auditService(slot: Slot, eventName: string, data: Record<string, unknown>, errorCode?: string): void {
    const { accountId, region } = this.#options;
    const keyArn = (data.keyArn as string | undefined) ?? slot.spec?.encryption.keyArn;
    this.#options.audit?.record({
      eventSource: AuditEventSource.MQ,
      eventName,
      eventType: AuditEventType.ServiceEvent,
      userIdentity: { type: 'AWSService', invokedBy: 'mq.amazonaws.com' },
      awsRegion: region,
      recipientAccountId: accountId,
      readOnly: false,
      ...(errorCode !== undefined ? { errorCode } : {}),
      resources: [
        ...(slot.spec?.brokerArn !== undefined ? [{ ARN: slot.spec.brokerArn, type: 'AWS::AmazonMQ::Broker', accountId }] : []),
        ...(keyArn !== undefined ? [{ ARN: keyArn, type: 'AWS::KMS::Key', accountId }] : []),
      ],
      additionalEventData: { brokerId: slot.brokerId, ...data },
    });
  }

  #listenersChanged(): void {
    try {
      this.#options.onListenersChanged?.();
    } catch (error) {
      this.#log.error({ err: errorText(error) }, 'listener change callback failed');
    }
  }

  /**
   * Key loss: the broker stops serving. Its clients are told CONNECTION_FORCED naming the key, the
   * listener closes (new connections are refused), the store closes with every ciphertext intact,
   * and a later open is tried every key check interval: re-enabling the key brings the broker back;
   * a revoked or retired grant never comes back, so the broker stays down until it is deleted.
   */
  async #quarantine(slot: Slot, running: RunningBroker, error: KeyUnavailableError): Promise<void> {
    // The key worked again before the quarantine ran (key-available undid the report): keep serving.
    if (slot.running !== running || this.#closed || slot.deleting || !slot.keyProblem) return;
    slot.quarantining = true;
    clearInterval(running.keyTimer);
    let connectionsClosed = 0;
    const keyArn = slot.spec?.encryption.keyArn ?? 'unknown';
    const reason = `the broker's KMS key ${keyArn} cannot be used (${error.reason}); the broker is quarantined`;
    try {
      // No new client may slip in while the open connections are told why they end.
      running.stopAccepting();
      connectionsClosed = await running.closeConnections(reason);
      await this.#stop(slot);
    } finally {
      slot.quarantining = false;
    }
    this.#log.warn({ brokerId: slot.brokerId, keyArn, reason: error.reason }, 'broker quarantined: its KMS key cannot be used');
    this.#auditService(slot, 'BrokerQuarantined', { reason: error.reason, connectionsClosed }, 'INVALID_KMS_KEY');
    this.#retryLater(slot);
  }

  /** DeleteBroker: stop, retire the grant, destroy a service-owned key, remove the files, report DELETED. */
  async #destroy(slot: Slot): Promise<void> {
    const log = this.#log.child({ brokerId: slot.brokerId });
    try {
      await this.#stop(slot);
      const dir = this.#brokerDir(slot.brokerId);
      const encryption = slot.spec?.encryption ?? (await this.#readBrokerFile(dir))?.encryption;
      const { kms } = this.#options;
      if (encryption?.grantId !== undefined) {
        await kms.serviceRetireGrant({ KeyId: encryption.keyArn, GrantId: encryption.grantId }).catch((error: unknown) => {
          if ((error as { errorType?: string }).errorType !== 'NotFoundException') throw error;
        });
        log.info({ grantId: encryption.grantId }, 'broker grant retired');
      }
      // Every service-owned key made for this broker (also one made just before a crash).
      const destroyedKeys: string[] = [];
      for (const key of kms.listServiceOwnedKeys().filter((k) => k.OwnerId === slot.brokerId)) {
        await kms.destroyServiceOwnedKey(key.KeyId);
        destroyedKeys.push(key.Arn);
      }
      await SegmentMessageStore.destroy(join(dir, BROKER_STORE_DIR));
      await rm(dir, { recursive: true, force: true });
      const anchorPath = this.#anchorPath(slot.brokerId);
      if (anchorPath !== undefined) await rm(anchorPath, { force: true });
      this.#slots.delete(slot.brokerId);
      log.info('broker deleted');
      this.#auditService(slot, 'BrokerDeleted', {
        ...(encryption !== undefined ? { keyArn: encryption.keyArn, keyKind: encryption.kind } : {}),
        ...(encryption?.grantId !== undefined ? { grantRetired: encryption.grantId } : {}),
        serviceOwnedKeysDestroyed: destroyedKeys,
        filesRemoved: true,
      });
      this.#report(slot, { state: 'DELETED' });
    } catch (error) {
      // The record stays DELETION_IN_PROGRESS; the next start of SealMQ finishes the deletion.
      log.error({ err: errorText(error) }, 'broker deletion failed; it is retried at the next start');
      throw error;
    }
  }

  #keyProvider(spec: BrokerSpec): KeyProvider {
    const { kms, accountId, region } = this.#options;
    const caller = brokerCaller(accountId, spec.brokerId);
    switch (spec.encryption.kind) {
      case 'SERVICE_OWNED':
        return KmsKeyProvider.forServiceOwnedKeys(kms);
      case 'SERVICE_MANAGED':
        // alias/aws/mq's key policy allows the account's principals only via the service.
        return KmsKeyProvider.forCaller(kms, caller, { viaService: mqViaService(region) });
      case 'CUSTOMER_MANAGED':
        // Only through the mq_grant, which is bound to this broker's encryption context.
        return KmsKeyProvider.forCaller(kms, caller);
    }
  }

  /** The broker store's rollback anchor file, when anchors are kept. */
  #anchorPath(brokerId: string): string | undefined {
    const anchors = this.#options.rollbackAnchors;
    return anchors === undefined ? undefined : join(anchors.dir, `${brokerId}.sealed`);
  }

  #onStoreEvent(slot: Slot, log: Logger, event: SegmentStoreEvent): void {
    switch (event.type) {
      case 'anchor-write-failed':
        // The older anchor stays in force: rollback detection lags, nothing is lost.
        log.warn({ err: errorText(event.error) }, 'broker store: the rollback anchor could not be written');
        return;
      case 'key-unavailable':
        log.error({ reason: event.error.reason }, 'the broker KMS key is unavailable');
        if (slot.running !== undefined && !slot.keyProblem) {
          slot.keyProblem = true;
          const running = slot.running;
          this.#auditService(slot, 'KmsKeyCheckFailed', { reason: event.error.reason }, 'INVALID_KMS_KEY');
          this.#report(slot, { state: 'CRITICAL_ACTION_REQUIRED', actionsRequired: [invalidKeyAction(slot.spec?.encryption, event.error)] });
          void this.#enqueue(slot, () => this.#quarantine(slot, running, event.error));
        }
        return;
      case 'key-available':
        log.info('the broker KMS key is usable again');
        if (slot.running !== undefined && slot.keyProblem && !slot.quarantining) {
          slot.keyProblem = false;
          this.#auditService(slot, 'BrokerRecovered', { how: 'key-check' });
          this.#report(slot, { state: 'RUNNING' });
        }
        return;
      case 'corruption':
      case 'failed':
        log.error({ event: event.type, err: errorText(event.error) }, 'broker store failed');
        if (slot.running !== undefined) {
          this.#report(slot, {
            state: 'CRITICAL_ACTION_REQUIRED',
            actionsRequired: [{ actionRequiredCode: 'BROKER_STORE_FAILED', actionRequiredInfo: 'The broker stopped writing to its store. Reboot the broker.' }],
          });
        }
        return;
      default:
        log.info({ ...event }, `broker store: ${event.type}`);
    }
  }

  // ---- users ----

  async #syncUsersUntilStable(slot: Slot, broker: Broker): Promise<void> {
    for (;;) {
      const version = slot.usersVersion;
      if (slot.spec?.engineType === 'ACTIVEMQ') await this.#syncActiveMqUsers(broker, slot.spec.users);
      else await this.#syncUsers(broker, slot.spec?.users ?? []);
      if (slot.usersVersion === version) return;
    }
  }

  /**
   * ACTIVEMQ: the API's users with their Amazon MQ groups (as `group:` tags the engine's
   * authorization reads). The engine checks destinations itself, so no vhost permissions are set.
   * Amazon MQ applies ActiveMQ user changes at reboot; the API gives the users in force.
   */
  async #syncActiveMqUsers(broker: Broker, users: readonly BrokerUserSpec[]): Promise<void> {
    const wanted = new Set(users.map((u) => u.username));
    for (const user of users) await broker.users.putUserWithHash(user.username, user.passwordHash, groupTags(user.groups));
    for (const existing of broker.users.listUsers()) {
      if (!wanted.has(existing.name)) await broker.deleteUser(existing.name);
    }
  }

  /** RABBITMQ: makes the broker's users exactly the API's: hashes as given, full permissions on `/`. */
  async #syncUsers(broker: Broker, users: readonly BrokerUserSpec[]): Promise<void> {
    const wanted = new Set(users.map((u) => u.username));
    for (const user of users) {
      await broker.users.putUserWithHash(user.username, user.passwordHash, API_USER_TAGS);
      if (broker.users.getPermissions(user.username, API_USER_VHOST) === undefined) {
        await broker.users.setPermissions(user.username, API_USER_VHOST, FULL_PERMISSIONS);
      }
    }
    for (const existing of broker.users.listUsers()) {
      if (!wanted.has(existing.name)) await broker.deleteUser(existing.name);
    }
  }

  // ---- listeners and files ----

  /** Opens one listener with the port policy of the file header. */
  async #listen<L extends PortListener>(slot: Slot, spec: BrokerSpec, scheme: string, log: Logger, attempt: (port: number) => Promise<L>): Promise<L> {
    const fixed = this.#options.listenerPort?.(spec, scheme);
    const previous = slot.ports[scheme];
    if (fixed !== undefined && fixed !== 0) {
      try {
        return await attempt(fixed);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        throw new BrokerListenError(`cannot listen on ${this.#options.host}:${fixed} (${code ?? errorText(error)})`, code, fixed);
      }
    }
    if (previous !== undefined && previous !== 0) {
      try {
        return await attempt(previous);
      } catch (error) {
        log.warn({ listener: scheme, port: previous, err: errorText(error) }, 'the broker port used before is not available; listening on another');
      }
    }
    const defaults = this.#options.engineDefaultPorts;
    const enginePort = spec.engineType !== 'ACTIVEMQ' || defaults === undefined || defaults === false ? undefined : defaults === true ? activeMqDefaultPort(scheme) : defaults(scheme);
    if (enginePort !== undefined && enginePort !== previous) {
      try {
        return await attempt(enginePort);
      } catch (error) {
        log.warn({ listener: scheme, port: enginePort, err: errorText(error) }, `Amazon MQ's ${scheme} port is not available; listening on another (DescribeBroker shows which)`);
      }
    }
    return attempt(0);
  }

  async #readBrokerFile(dir: string): Promise<BrokerFile | undefined> {
    let text: string;
    try {
      text = await readFile(join(dir, BROKER_FILE), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    const file = JSON.parse(text) as BrokerFile;
    if (file.formatVersion !== BROKER_FILE_FORMAT_VERSION) throw new Error(`${BROKER_FILE} has format ${String(file.formatVersion)}`);
    return file;
  }

  async #writeBrokerFile(dir: string, brokerId: string, encryption: BrokerEncryption, ports: Record<string, number>): Promise<void> {
    const file: BrokerFile = { formatVersion: BROKER_FILE_FORMAT_VERSION, brokerId, encryption: { ...encryption }, ports: { ...ports } };
    await writeFileAtomic(join(dir, BROKER_FILE), JSON.stringify(file, null, 2) + '\n', 0o600);
  }
}

/** RabbitMQ's default alarms on this process's memory and the broker directory's file system. */
function defaultFlowControl(brokerDir: string): FlowControlOptions {
  return {
    memoryUsedBytes: () => process.memoryUsage.rss(),
    memoryHighWatermarkBytes: Math.floor(totalmem() * MEMORY_HIGH_WATERMARK_RATIO),
    diskFreeBytes: () => {
      try {
        const fs = statfsSync(brokerDir);
        return fs.bavail * fs.bsize;
      } catch {
        return Number.MAX_SAFE_INTEGER; // The directory is being removed: no alarm.
      }
    },
    diskFreeLimitBytes: DISK_FREE_LIMIT_BYTES,
  };
}

/**
 * INVALID_KMS_KEY naming the key and what to do. A refusal of the broker's principal on a customer
 * key (ACCESS_DENIED) means its mq_grant was revoked or retired, which cannot be undone: the way
 * out is DeleteBroker, as the Amazon MQ guidance says. Anything else the key owner can fix.
 */
function invalidKeyAction(encryption: BrokerEncryption | undefined, error: KeyUnavailableError): ActionRequired {
  const key = `KMS key ${encryption?.keyArn ?? error.keyId}`;
  if (error.reason === 'ACCESS_DENIED' && encryption?.kind === 'CUSTOMER_MANAGED') {
    return {
      actionRequiredCode: INVALID_KMS_KEY,
      actionRequiredInfo: `The broker's grant (mq_grant) on ${key} was revoked or retired, so the broker is quarantined. A revoked grant cannot be restored: delete the broker and create a new one.`,
    };
  }
  const why =
    error.reason === 'DISABLED'
      ? 'is disabled'
      : error.reason === 'PENDING_DELETION'
        ? 'is scheduled for deletion'
        : error.reason === 'NOT_FOUND'
          ? 'does not exist'
          : error.reason === 'ACCESS_DENIED'
            ? 'refuses the broker'
            : 'cannot be used';
  return {
    actionRequiredCode: INVALID_KMS_KEY,
    actionRequiredInfo: `${key} ${why}, so the broker is quarantined. Enable the key (cancel a scheduled deletion, then enable it) and keep the broker's grants; the broker recovers by itself.`,
  };
}

function failureReport(kind: OpenKind, error: unknown, encryption: BrokerEncryption | undefined): BrokerRuntimeReport {
  if (error instanceof KeyUnavailableError) {
    return kind === 'create'
      ? { state: 'CREATION_FAILED', reason: "The broker's KMS key cannot be used." }
      : { state: 'CRITICAL_ACTION_REQUIRED', actionsRequired: [invalidKeyAction(encryption, error)] };
  }
  if (error instanceof ActiveMqConfigurationError) {
    // The message names the element and attribute, never values from the document.
    const info = `The broker's ActiveMQ configuration cannot be applied: ${error.message}. Fix it with a new configuration revision and reboot the broker.`;
    return kind === 'create'
      ? { state: 'CREATION_FAILED', reason: info }
      : { state: 'CRITICAL_ACTION_REQUIRED', actionsRequired: [{ actionRequiredCode: 'BROKER_CONFIGURATION_INVALID', actionRequiredInfo: info }] };
  }
  if (kind === 'create') return { state: 'CREATION_FAILED', reason: 'The broker could not be started.' };
  return {
    state: 'CRITICAL_ACTION_REQUIRED',
    actionsRequired: [{ actionRequiredCode: 'BROKER_START_FAILED', actionRequiredInfo: 'The broker could not be started. Reboot it, or delete it.' }],
  };
}

async function closeQuietly(
  closeListeners: (() => Promise<void>) | undefined,
  broker: Broker | undefined,
  store: SegmentMessageStore | undefined,
  onError: (error: unknown) => void = () => undefined,
): Promise<void> {
  for (const close of [() => closeListeners?.(), () => broker?.close(), () => store?.close()]) {
    try {
      await close();
    } catch (error) {
      onError(error);
    }
  }
}

/** An error's type and message for the log; never its input. */
function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
