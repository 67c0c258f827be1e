// The Amazon MQ REST API (restJson1, API 2017-11-27) as an in-process class: the HTTPS server calls
// `handle` after SigV4 with the caller's identity and the raw request, and writes the returned status
// and body (or the thrown AwsApiError) to the wire. This file owns routing to operations,
// authorization (`mq:<Operation>` on the broker or configuration ARN), Amazon MQ's semantics (broker
// states, pending user and configuration changes applied at reboot, CreateBroker idempotency, the
// three encryption choices) and the records. Running brokers, keys, password hashing and durable
// storage are ports (ports.ts). Secrets never leave this file: passwords become hashes at once and
// no response, error message or record shown to a caller carries one.
import { createHash, randomUUID } from 'node:crypto';
import type { CallerIdentity } from '../../identity/caller.ts';
import { evaluatePolicies } from '../../identity/policy.ts';
import { AwsApiError } from '../../util/aws-error.ts';
import { checkNoCredentialUrl, findPersonalData } from '../guard-rails.ts';
import {
  AUTO_MINOR_UPGRADE_REQUIRED,
  availabilityZones,
  defaultConfigurationData,
  defaultStorageType,
  ENGINE_VERSIONS,
  INSTANCE_OPTIONS,
  type InstanceOption,
} from './engine-catalog.ts';
import type {
  AuthenticationStrategy,
  BrokerEncryption,
  BrokerReporter,
  BrokerRuntimeReport,
  BrokerSpec,
  BrokerUserSpec,
  DeploymentMode,
  EngineType,
  MqApiDeps,
  MqClock,
  MqIdGenerator,
  StorageType,
} from './ports.ts';
import { matchRoute, type MqOperation } from './routes.ts';
import {
  parseMqState,
  type BrokerRecord,
  type ConfigurationRecord,
  type LdapServerMetadataRecord,
  type MqStateDocument,
  type UserRecord,
  type UserValues,
} from './state.ts';
import {
  checkBrokerName,
  checkConfigurationName,
  checkGroups,
  checkNoCredentialUrlsDeep,
  checkPassword,
  checkTags,
  checkUsername,
  parseAuthenticationStrategy,
  parseDeploymentMode,
  parseEngineType,
  parseLdapServerMetadata,
  parseMaintenanceWindow,
  parseStorageType,
  shown,
} from './validation.ts';
import {
  badRequest,
  conflict,
  isoTime,
  notFound,
  paginate,
  parseBodyObject,
  readBoolean,
  readInteger,
  readObject,
  readObjectList,
  readQueryInteger,
  readString,
  readStringList,
  readStringMap,
  type JsonObject,
} from './wire.ts';

/** A request as the HTTPS server hands it over after SigV4. */
export interface MqRequest {
  method: string;
  /** The path as sent, percent-encoded, without the query string. */
  rawPath: string;
  query: URLSearchParams;
  /** Parsed JSON body, or undefined when there was none. */
  body: unknown;
}

/** What the server writes back: the status, and the body as JSON (none for 204). */
export interface MqResponse {
  status: number;
  body: unknown;
}

/** The error types of the Amazon MQ model (aws-apis.md 1.8). */
const MQ_ERROR_TYPES = new Set([
  'BadRequestException',
  'UnauthorizedException',
  'ForbiddenException',
  'NotFoundException',
  'ConflictException',
  'InternalServerErrorException',
]);

const USERS_PER_BROKER_MAX = 250;
const HASH_CONCURRENCY = 2;

async function mapWithConcurrency<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
const SECURITY_GROUPS_MAX = 5;

/** Echoes an id from a path only when it is plain and short. */
function shownId(id: string): string {
  return /^[A-Za-z0-9_.:-]{1,128}$/.test(id) && findPersonalData(id) === undefined ? id : '(not shown)';
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson((value as JsonObject)[key])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function requestDigest(salt: string, body: JsonObject): string {
  const { creatorRequestId: _ignored, ...rest } = body;
  return createHash('sha256').update(salt).update('\0').update(canonicalJson(rest)).digest('hex');
}

function ldapOutput(record: LdapServerMetadataRecord | undefined): JsonObject | undefined {
  if (record === undefined) return undefined;
  const { serviceAccountPassword: _secret, ...visible } = record;
  return { ...visible, hosts: [...visible.hosts] };
}

function versionIndex(engineType: EngineType, version: string): number {
  return ENGINE_VERSIONS[engineType].indexOf(version);
}

function usersInForce(broker: BrokerRecord): BrokerUserSpec[] {
  return broker.users.flatMap((u) => (u.current === undefined ? [] : [{ username: u.username, ...u.current, groups: [...u.current.groups] }]));
}

/** The real clock for MqApiDeps. */
export const systemMqClock: MqClock = { now: () => Date.now() };

/** Random UUID v4 ids for MqApiDeps. */
export const randomMqIds: MqIdGenerator = { uuid: () => randomUUID() };

/** The Amazon MQ API; see the file header. */
export class MqApi {
  readonly #deps: MqApiDeps;
  #state: MqStateDocument | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  /** Brokers whose deletion the runtime accepted since this process started. */
  readonly #deletionsAccepted = new Set<string>();

  constructor(deps: MqApiDeps) {
    this.#deps = deps;
  }

  /** Handles one request; throws AwsApiError for every error the caller should see. */
  async handle(caller: CallerIdentity, request: MqRequest): Promise<MqResponse> {
    const { route, labels } = matchRoute(request.method, request.rawPath);
    const body = route.method === 'POST' || route.method === 'PUT' ? parseBodyObject(request.body) : {};
    let result: unknown;
    try {
      result =
        route.operation === 'ReencryptBroker'
          ? await this.#reencryptBroker(caller, labels['broker-id'] ?? '')
          : await this.#exclusive((state) => this.#dispatch(route.operation, caller, state, labels, request.query, body));
    } catch (error) {
      // Only Amazon MQ's own error types reach the caller; another service's (a KMS exception from a
      // port) or an internal error becomes InternalServerErrorException, whose message names nothing.
      if (error instanceof AwsApiError && MQ_ERROR_TYPES.has(error.errorType)) throw error;
      this.#deps.onInternalError?.(error, route.operation);
      throw new AwsApiError('InternalServerErrorException', 'An internal error occurred. Try again later.', 500);
    }
    return route.status === 204 ? { status: 204, body: undefined } : { status: 200, body: result };
  }

  /**
   * Applies a state change reported by the runtime (also the entry point for the key checks of
   * issue 6: CRITICAL_ACTION_REQUIRED with INVALID_KMS_KEY, and RUNNING on recovery).
   */
  async reportBrokerState(brokerId: string, report: BrokerRuntimeReport): Promise<void> {
    await this.#exclusive(async (state) => {
      const index = state.brokers.findIndex((b) => b.brokerId === brokerId);
      const broker = state.brokers[index];
      if (broker === undefined) return;
      if (report.state === 'DELETED') {
        state.brokers.splice(index, 1);
      } else if (broker.brokerState === 'DELETION_IN_PROGRESS') {
        return; // A late report from before the delete changes nothing.
      } else if (report.state === 'RUNNING') {
        broker.brokerState = 'RUNNING';
        broker.actionsRequired = [];
      } else if (report.state === 'CREATION_FAILED') {
        broker.brokerState = 'CREATION_FAILED';
        broker.actionsRequired = [];
      } else {
        broker.brokerState = 'CRITICAL_ACTION_REQUIRED';
        broker.actionsRequired = report.actionsRequired.map((a) => ({ ...a }));
      }
      await this.#save(state);
    });
  }

  /** Ids of brokers in DELETION_IN_PROGRESS, for the supervisor to finish deleting after a restart. */
  async brokersBeingDeleted(): Promise<string[]> {
    return this.#exclusive(async (state) => state.brokers.filter((b) => b.brokerState === 'DELETION_IN_PROGRESS').map((b) => b.brokerId));
  }

  /** Specs of every broker that should be running, for the supervisor to start after a restart. */
  async brokerSpecs(): Promise<BrokerSpec[]> {
    return this.#exclusive(async (state) =>
      state.brokers.filter((b) => b.brokerState !== 'CREATION_FAILED' && b.brokerState !== 'DELETION_IN_PROGRESS').map((b) => this.#spec(state, b)),
    );
  }

  // ---- plumbing ----

  async #exclusive<T>(work: (state: MqStateDocument) => Promise<T>): Promise<T> {
    const run = this.#queue.then(async () => {
      if (this.#state === undefined) this.#state = parseMqState(await this.#deps.store.load());
      return work(this.#state);
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #save(state: MqStateDocument): Promise<void> {
    try {
      await this.#deps.store.save(state);
    } catch {
      // Reload what is durable on the next call rather than serve changes that were not saved.
      this.#state = undefined;
      throw new AwsApiError('InternalServerErrorException', 'The change could not be saved. Try again later.', 500);
    }
  }

  #reporter(brokerId: string): BrokerReporter {
    return (report) => {
      this.reportBrokerState(brokerId, report).catch((error: unknown) => this.#deps.onInternalError?.(error, 'ReportBrokerState'));
    };
  }

  #authorize(caller: CallerIdentity, operation: MqOperation, resource: string): void {
    const action = `mq:${operation}`;
    const evaluation = evaluatePolicies({
      action,
      resource,
      principalArn: caller.arn,
      principalAccount: caller.accountId,
      identityPolicies: caller.policies,
      resourcePolicyRequired: false,
    });
    if (evaluation.decision === 'Allow') return;
    const why = evaluation.decision === 'ExplicitDeny' ? ' with an explicit deny in an identity-based policy' : ' because no identity-based policy allows the action';
    throw new AwsApiError('ForbiddenException', `User: ${caller.arn} is not authorized to perform: ${action} on resource: ${resource}${why}`, 403);
  }

  #brokerArn(name: string, brokerId: string): string {
    return `arn:aws:mq:${this.#deps.region}:${this.#deps.accountId}:broker:${name}:${brokerId}`;
  }

  #configurationArn(id: string): string {
    return `arn:aws:mq:${this.#deps.region}:${this.#deps.accountId}:configuration:${id}`;
  }

  /** Authorizes an operation on a broker and returns it; unknown ids are authorized against a name wildcard. */
  #brokerFor(state: MqStateDocument, caller: CallerIdentity, operation: MqOperation, brokerId: string): BrokerRecord {
    const broker = state.brokers.find((b) => b.brokerId === brokerId);
    this.#authorize(caller, operation, broker?.brokerArn ?? this.#brokerArn('*', brokerId));
    if (broker === undefined) throw notFound(`Can't find requested broker [${shownId(brokerId)}]. Make sure your broker exists.`, 'broker-id');
    return broker;
  }

  #configurationFor(state: MqStateDocument, caller: CallerIdentity, operation: MqOperation, id: string): ConfigurationRecord {
    const configuration = state.configurations.find((c) => c.id === id);
    this.#authorize(caller, operation, configuration?.arn ?? this.#configurationArn(id));
    if (configuration === undefined) {
      throw notFound(`Can't find requested configuration [${shownId(id)}]. Make sure your configuration exists.`, 'configuration-id');
    }
    return configuration;
  }

  async #dispatch(
    operation: MqOperation,
    caller: CallerIdentity,
    state: MqStateDocument,
    labels: Readonly<Record<string, string>>,
    query: URLSearchParams,
    body: JsonObject,
  ): Promise<unknown> {
    const brokerId = labels['broker-id'] ?? '';
    const username = labels['username'] ?? '';
    const configurationId = labels['configuration-id'] ?? '';
    switch (operation) {
      case 'CreateBroker':
        return this.#createBroker(state, caller, body);
      case 'DescribeBroker':
        return this.#describeBroker(state, this.#brokerFor(state, caller, operation, brokerId));
      case 'ListBrokers':
        return this.#listBrokers(state, caller, query);
      case 'UpdateBroker':
        return this.#updateBroker(state, this.#brokerFor(state, caller, operation, brokerId), body);
      case 'RebootBroker':
        return this.#rebootBroker(state, this.#brokerFor(state, caller, operation, brokerId));
      case 'DeleteBroker':
        return this.#deleteBroker(state, this.#brokerFor(state, caller, operation, brokerId));
      case 'Promote':
        this.#brokerFor(state, caller, operation, brokerId);
        throw badRequest('Promote is not supported: this broker has no cross-region data replication.', 'mode');
      case 'CreateUser':
        return this.#createUser(state, this.#brokerFor(state, caller, operation, brokerId), username, body);
      case 'UpdateUser':
        return this.#updateUser(state, this.#brokerFor(state, caller, operation, brokerId), username, body);
      case 'DescribeUser':
        return this.#describeUser(this.#brokerFor(state, caller, operation, brokerId), username);
      case 'DeleteUser':
        return this.#deleteUser(state, this.#brokerFor(state, caller, operation, brokerId), username);
      case 'ListUsers':
        return this.#listUsers(this.#brokerFor(state, caller, operation, brokerId), query);
      case 'CreateConfiguration':
        return this.#createConfiguration(state, caller, body);
      case 'DescribeConfiguration':
        return this.#describeConfiguration(this.#configurationFor(state, caller, operation, configurationId));
      case 'UpdateConfiguration':
        return this.#updateConfiguration(state, this.#configurationFor(state, caller, operation, configurationId), body);
      case 'DeleteConfiguration':
        return this.#deleteConfiguration(state, this.#configurationFor(state, caller, operation, configurationId));
      case 'ListConfigurations':
        return this.#listConfigurations(state, caller, query);
      case 'DescribeConfigurationRevision':
        return this.#describeRevision(this.#configurationFor(state, caller, operation, configurationId), labels['configuration-revision'] ?? '');
      case 'ListConfigurationRevisions':
        return this.#listRevisions(this.#configurationFor(state, caller, operation, configurationId), query);
      case 'CreateTags':
      case 'DeleteTags':
      case 'ListTags':
        return this.#tags(state, caller, operation, labels['resource-arn'] ?? '', query, body);
      case 'DescribeBrokerEngineTypes':
        return this.#describeEngineTypes(caller, query);
      case 'DescribeBrokerInstanceOptions':
        return this.#describeInstanceOptions(caller, query);
    }
  }

  // ---- brokers ----

  #engineVersion(engineType: EngineType, requested: string | undefined): string {
    const versions = ENGINE_VERSIONS[engineType];
    if (requested === undefined) return versions[0]!;
    if (!versions.includes(requested)) {
      throw badRequest(`Broker engine version [${shown(requested)}] is invalid for engine type [${engineType}]. Valid values are: [${versions.join(', ')}].`, 'engineVersion');
    }
    return requested;
  }

  #instanceOption(engineType: EngineType, hostInstanceType: string, storageType: StorageType, deploymentMode: DeploymentMode): InstanceOption {
    const forType = INSTANCE_OPTIONS.filter((o) => o.engineType === engineType && o.hostInstanceType === hostInstanceType);
    if (forType.length === 0) {
      const valid = [...new Set(INSTANCE_OPTIONS.filter((o) => o.engineType === engineType).map((o) => o.hostInstanceType))];
      throw badRequest(`Broker instance type [${shown(hostInstanceType)}] is invalid for engine type [${engineType}]. Valid values are: [${valid.join(', ')}].`, 'hostInstanceType');
    }
    const option = forType.find((o) => o.storageType === storageType);
    if (option === undefined) {
      throw badRequest(`Storage type [${storageType}] is not supported for broker instance type [${hostInstanceType}] and engine type [${engineType}].`, 'storageType');
    }
    if (!option.supportedDeploymentModes.includes(deploymentMode)) {
      throw badRequest(
        `Deployment mode [${deploymentMode}] is not supported for broker instance type [${hostInstanceType}] with storage type [${storageType}]. Valid values are: [${option.supportedDeploymentModes.join(', ')}].`,
        'deploymentMode',
      );
    }
    return option;
  }

  #checkAutoMinor(engineType: EngineType, engineVersion: string, autoMinorVersionUpgrade: boolean): void {
    if (!autoMinorVersionUpgrade && AUTO_MINOR_UPGRADE_REQUIRED[engineType].includes(engineVersion)) {
      throw badRequest(`Automatic minor version upgrade must be enabled for engine type [${engineType}] version [${engineVersion}].`, 'autoMinorVersionUpgrade');
    }
  }

  #parseLogs(input: JsonObject, engineType: EngineType, base: { general: boolean; audit: boolean }): { general: boolean; audit: boolean } {
    const general = readBoolean(input, 'general') ?? base.general;
    const audit = readBoolean(input, 'audit') ?? base.audit;
    if (audit && engineType === 'RABBITMQ') throw badRequest('Audit logs are not supported for engine type [RABBITMQ].', 'logs');
    return { general, audit };
  }

  #configurationRef(state: MqStateDocument, input: JsonObject, engineType: EngineType): { id: string; revision: number } {
    const id = readString(input, 'id', true);
    const revision = readInteger(input, 'revision');
    const configuration = state.configurations.find((c) => c.id === id);
    if (configuration === undefined) throw badRequest(`Configuration [${shownId(id)}] does not exist.`, 'configuration');
    if (configuration.engineType !== engineType) {
      throw badRequest(`Configuration [${configuration.id}] is for engine type [${configuration.engineType}], not [${engineType}].`, 'configuration');
    }
    const latest = configuration.revisions[configuration.revisions.length - 1]!.revision;
    const chosen = revision ?? latest;
    if (!configuration.revisions.some((r) => r.revision === chosen)) {
      throw badRequest(`Revision [${chosen}] of configuration [${configuration.id}] does not exist.`, 'configuration');
    }
    return { id, revision: chosen };
  }

  #parseUserValues(input: JsonObject, engineType: EngineType, base: Omit<UserValues, 'passwordHash'>): Omit<UserValues, 'passwordHash'> {
    const consoleAccess = readBoolean(input, 'consoleAccess') ?? base.consoleAccess;
    const groups = readStringList(input, 'groups') ?? base.groups;
    const replicationUser = readBoolean(input, 'replicationUser') ?? base.replicationUser;
    checkGroups(groups);
    if (replicationUser && consoleAccess) {
      throw badRequest("Replication user couldn't have console access. [replicationUser] and [consoleAccess] are mutually exclusive parameters.", 'replicationUser');
    }
    if (engineType === 'RABBITMQ' && replicationUser) throw badRequest('Replication users are not supported for engine type [RABBITMQ].', 'replicationUser');
    return { consoleAccess, groups: [...groups], replicationUser };
  }

  async #createBroker(state: MqStateDocument, caller: CallerIdentity, body: JsonObject): Promise<unknown> {
    this.#authorize(caller, 'CreateBroker', '*');
    checkNoCredentialUrlsDeep(body);

    const brokerName = readString(body, 'brokerName', true);
    checkBrokerName(brokerName);
    const engineType = parseEngineType(readString(body, 'engineType', true));
    const deploymentMode = parseDeploymentMode(readString(body, 'deploymentMode', true), engineType);
    const hostInstanceType = readString(body, 'hostInstanceType', true);
    const publiclyAccessible = readBoolean(body, 'publiclyAccessible', true);
    const engineVersion = this.#engineVersion(engineType, readString(body, 'engineVersion'));
    const storageTypeText = readString(body, 'storageType');
    const storageType = storageTypeText === undefined ? defaultStorageType(engineType) : parseStorageType(storageTypeText);
    this.#instanceOption(engineType, hostInstanceType, storageType, deploymentMode);

    const authText = readString(body, 'authenticationStrategy');
    const authenticationStrategy: AuthenticationStrategy = authText === undefined ? 'SIMPLE' : parseAuthenticationStrategy(authText);
    const ldapInput = readObject(body, 'ldapServerMetadata');
    if (engineType === 'RABBITMQ' && (authenticationStrategy === 'LDAP' || ldapInput !== undefined)) {
      throw badRequest('LDAP authentication is not supported for engine type [RABBITMQ].', authenticationStrategy === 'LDAP' ? 'authenticationStrategy' : 'ldapServerMetadata');
    }
    if (authenticationStrategy === 'LDAP' && ldapInput === undefined) {
      throw badRequest('The [ldapServerMetadata] parameter is required when the authentication strategy is [LDAP].', 'ldapServerMetadata');
    }
    const ldapServerMetadata = ldapInput === undefined ? undefined : parseLdapServerMetadata(ldapInput);

    const autoMinorInput = readBoolean(body, 'autoMinorVersionUpgrade');
    const autoMinorVersionUpgrade = autoMinorInput ?? AUTO_MINOR_UPGRADE_REQUIRED[engineType].includes(engineVersion);
    this.#checkAutoMinor(engineType, engineVersion, autoMinorVersionUpgrade);

    const logsInput = readObject(body, 'logs');
    const logs = this.#parseLogs(logsInput ?? {}, engineType, { general: false, audit: false });
    const windowInput = readObject(body, 'maintenanceWindowStartTime');
    const maintenanceWindowStartTime = windowInput === undefined ? { dayOfWeek: 'SUNDAY', timeOfDay: '00:00', timeZone: 'UTC' } : parseMaintenanceWindow(windowInput);
    const securityGroups = readStringList(body, 'securityGroups') ?? [];
    if (securityGroups.length > SECURITY_GROUPS_MAX) throw badRequest(`A broker can have at most ${SECURITY_GROUPS_MAX} security groups.`, 'securityGroups');
    const subnetIds = readStringList(body, 'subnetIds') ?? [];
    const tags = readStringMap(body, 'tags') ?? {};
    checkTags(tags);
    const configurationInput = readObject(body, 'configuration');
    const configurationRef = configurationInput === undefined ? undefined : this.#configurationRef(state, configurationInput, engineType);
    const dataReplicationMode = readString(body, 'dataReplicationMode');
    if (dataReplicationMode !== undefined && dataReplicationMode !== 'NONE') {
      throw badRequest('Cross-region data replication is not supported.', 'dataReplicationMode');
    }

    // Encryption at rest: Amazon MQ's three choices (aws-apis.md 1.4, DESIGN.md section 4).
    const encryptionInput = readObject(body, 'encryptionOptions');
    let useAwsOwnedKey = true;
    let kmsKeyId: string | undefined;
    if (encryptionInput !== undefined) {
      useAwsOwnedKey = readBoolean(encryptionInput, 'useAwsOwnedKey', true);
      kmsKeyId = readString(encryptionInput, 'kmsKeyId');
      if (kmsKeyId !== undefined && (kmsKeyId.trim() === '' || kmsKeyId.length > 2048)) {
        throw badRequest('The [kmsKeyId] parameter must be a key ID, key ARN, alias name or alias ARN of 1 to 2048 characters.', 'kmsKeyId');
      }
      if (useAwsOwnedKey && kmsKeyId !== undefined) {
        throw badRequest('A KMS key can be specified only when [useAwsOwnedKey] is false.', 'kmsKeyId');
      }
    }

    const usersInput = readObjectList(body, 'users') ?? [];
    if (engineType === 'RABBITMQ' && authenticationStrategy === 'SIMPLE' && usersInput.length !== 1) {
      throw badRequest('Specify exactly one user for engine type [RABBITMQ].', 'users');
    }
    if (engineType === 'ACTIVEMQ' && authenticationStrategy === 'SIMPLE' && usersInput.length === 0) {
      throw badRequest('Specify at least one user for engine type [ACTIVEMQ].', 'users');
    }
    if (usersInput.length > USERS_PER_BROKER_MAX) throw badRequest(`A broker can have at most ${USERS_PER_BROKER_MAX} users.`, 'users');
    const seen = new Set<string>();
    const parsedUsers: { username: string; password: string; values: Omit<UserValues, 'passwordHash'> }[] = [];
    for (const userInput of usersInput) {
      const username = readString(userInput, 'username', true);
      checkUsername(username, engineType);
      const password = readString(userInput, 'password', true);
      checkPassword(password);
      if (seen.has(username)) throw badRequest('Each username must be unique within a broker.', 'users');
      seen.add(username);
      parsedUsers.push({ username, password, values: this.#parseUserValues(userInput, engineType, { consoleAccess: false, groups: [], replicationUser: false }) });
    }

    // Idempotency: the same token with the same request returns the same broker.
    const creatorRequestId = readString(body, 'creatorRequestId');
    if (creatorRequestId !== undefined) {
      const earlier = state.brokers.find((b) => b.creatorRequestId === creatorRequestId);
      if (earlier !== undefined) {
        const [salt] = (earlier.requestDigest ?? '').split(':');
        if (earlier.requestDigest === `${salt}:${requestDigest(salt ?? '', body)}`) return { brokerArn: earlier.brokerArn, brokerId: earlier.brokerId };
        throw conflict('The creatorRequestId was already used with a different request. Use a new creatorRequestId.', 'creatorRequestId');
      }
    }
    if (state.brokers.some((b) => b.brokerName === brokerName)) {
      throw conflict('A broker with this name already exists. Broker names must be unique in your account.', 'brokerName');
    }

    // Side effects start here: every input check has passed.
    let encryption: BrokerEncryption;
    let keyArnForCustomer: string | undefined;
    if (!useAwsOwnedKey && kmsKeyId !== undefined) {
      const resolution = await this.#deps.keys.resolveCustomerKey(kmsKeyId, caller);
      switch (resolution.status) {
        case 'ok':
          keyArnForCustomer = resolution.keyArn;
          break;
        case 'not-found':
          throw badRequest('The KMS key does not exist or is not in this account and region. Specify an existing key by key ID, key ARN, alias name or alias ARN.', 'kmsKeyId');
        case 'not-enabled':
          throw badRequest(`The KMS key is not enabled (key state [${resolution.keyState}]). Enable the key or choose another one.`, 'kmsKeyId');
        case 'wrong-usage':
          throw badRequest(`The KMS key has key usage [${resolution.keyUsage}]; a broker needs a symmetric key for ENCRYPT_DECRYPT.`, 'kmsKeyId');
        case 'not-symmetric':
          throw badRequest(`The KMS key has key spec [${resolution.keySpec}]; a broker needs a SYMMETRIC_DEFAULT key.`, 'kmsKeyId');
        case 'access-denied':
          throw badRequest('You are not allowed to use the KMS key: the broker needs kms:DescribeKey and kms:CreateGrant on it.', 'kmsKeyId');
      }
    }
    // Two hashes at a time: a slow hash times up to 250 users would hold every other call, and
    // more at once would only queue on the thread pool (and its memory) that file I/O needs too.
    const users: UserRecord[] = await mapWithConcurrency(parsedUsers, HASH_CONCURRENCY, async (user) => ({
      username: user.username,
      current: { ...user.values, passwordHash: await this.#deps.passwords.hash(user.password) },
    }));
    const uuid = this.#deps.ids.uuid();
    const brokerId = `b-${uuid}`;
    const brokerArn = this.#brokerArn(brokerName, brokerId);
    if (keyArnForCustomer !== undefined) {
      const grant = await this.#deps.keys.createBrokerGrant(keyArnForCustomer, brokerId, caller);
      encryption = { kind: 'CUSTOMER_MANAGED', keyArn: keyArnForCustomer, grantId: grant.grantId };
    } else if (!useAwsOwnedKey) {
      encryption = { kind: 'SERVICE_MANAGED', keyArn: (await this.#deps.keys.ensureServiceManagedKey()).keyArn };
    } else {
      encryption = { kind: 'SERVICE_OWNED', keyArn: (await this.#deps.keys.createServiceOwnedKey(brokerId)).keyArn };
    }

    const nowMs = this.#deps.clock.now();
    let current = configurationRef;
    if (current === undefined) {
      // Amazon MQ gives every broker a configuration; without one asked for, a default is made.
      const configuration = this.#newConfiguration(`${brokerName}-configuration`, engineType, engineVersion, authenticationStrategy, {}, nowMs);
      state.configurations.push(configuration);
      current = { id: configuration.id, revision: 1 };
    }
    const salt = this.#deps.ids.uuid();
    const record: BrokerRecord = {
      brokerId,
      brokerArn,
      brokerName,
      brokerState: 'CREATION_IN_PROGRESS',
      actionsRequired: [],
      createdMs: nowMs,
      engineType,
      engineVersion,
      deploymentMode,
      hostInstanceType,
      publiclyAccessible,
      authenticationStrategy,
      autoMinorVersionUpgrade,
      storageType,
      securityGroups: [...securityGroups],
      subnetIds: [...subnetIds],
      logs,
      maintenanceWindowStartTime,
      encryptionOptions: encryption.kind === 'CUSTOMER_MANAGED' ? { useAwsOwnedKey: false, kmsKeyId: encryption.keyArn } : { useAwsOwnedKey },
      encryption,
      configurations: { current, history: [] },
      pending: {},
      users,
      tags,
      ...(ldapServerMetadata === undefined ? {} : { ldapServerMetadata }),
      ...(creatorRequestId === undefined ? {} : { creatorRequestId, requestDigest: `${salt}:${requestDigest(salt, body)}` }),
    };
    state.brokers.push(record);
    await this.#save(state);
    try {
      await this.#deps.runtime.create(this.#spec(state, record), this.#reporter(brokerId));
    } catch (error) {
      this.#deps.onInternalError?.(error, 'CreateBroker');
      record.brokerState = 'CREATION_FAILED';
      await this.#save(state);
    }
    return { brokerArn, brokerId };
  }

  #spec(state: MqStateDocument, broker: BrokerRecord): BrokerSpec {
    const configuration = state.configurations.find((c) => c.id === broker.configurations.current.id);
    const revision = configuration?.revisions.find((r) => r.revision === broker.configurations.current.revision);
    return {
      brokerId: broker.brokerId,
      brokerArn: broker.brokerArn,
      brokerName: broker.brokerName,
      engineType: broker.engineType,
      engineVersion: broker.engineVersion,
      deploymentMode: broker.deploymentMode,
      hostInstanceType: broker.hostInstanceType,
      storageType: broker.storageType,
      authenticationStrategy: broker.authenticationStrategy,
      encryption: { ...broker.encryption },
      configuration: { id: broker.configurations.current.id, revision: broker.configurations.current.revision, data: revision?.data ?? '' },
      users: usersInForce(broker),
      logs: { ...broker.logs },
    };
  }

  #describeBroker(state: MqStateDocument, broker: BrokerRecord): unknown {
    void state;
    const { host } = this.#deps;
    const instances = this.#deps.runtime.getEndpoints(broker.brokerId);
    const logGroup = `/aws/amazonmq/broker/${broker.brokerId}`;
    const logs: JsonObject = { general: broker.logs.general, generalLogGroup: `${logGroup}/general` };
    if (broker.engineType === 'ACTIVEMQ') {
      logs['audit'] = broker.logs.audit;
      logs['auditLogGroup'] = `${logGroup}/audit`;
    }
    if (broker.pending.logs !== undefined) logs['pending'] = { ...broker.pending.logs };
    const response: JsonObject = {
      authenticationStrategy: broker.authenticationStrategy,
      autoMinorVersionUpgrade: broker.autoMinorVersionUpgrade,
      brokerArn: broker.brokerArn,
      brokerId: broker.brokerId,
      brokerInstances: (instances ?? []).map((instance) => ({
        ...(instance.consolePort === undefined ? {} : { consoleURL: `https://${host}:${instance.consolePort}` }),
        endpoints: instance.listeners.map((l) => `${l.scheme}://${host}:${l.port}`),
        ...(instance.ipAddress === undefined ? {} : { ipAddress: instance.ipAddress }),
      })),
      brokerName: broker.brokerName,
      brokerState: broker.brokerState,
      configurations: {
        current: { ...broker.configurations.current },
        history: broker.configurations.history.map((c) => ({ ...c })),
        ...(broker.configurations.pending === undefined ? {} : { pending: { ...broker.configurations.pending } }),
      },
      created: isoTime(broker.createdMs),
      deploymentMode: broker.deploymentMode,
      encryptionOptions: { ...broker.encryptionOptions },
      engineType: broker.engineType,
      engineVersion: broker.engineVersion,
      hostInstanceType: broker.hostInstanceType,
      logs,
      maintenanceWindowStartTime: { ...broker.maintenanceWindowStartTime },
      publiclyAccessible: broker.publiclyAccessible,
      securityGroups: [...broker.securityGroups],
      storageType: broker.storageType,
      subnetIds: [...broker.subnetIds],
      tags: { ...broker.tags },
      users: broker.users.map((u) => ({ username: u.username, ...(u.pending === undefined ? {} : { pendingChange: u.pending.change }) })),
    };
    if (broker.actionsRequired.length > 0) response['actionsRequired'] = broker.actionsRequired.map((a) => ({ ...a }));
    if (broker.ldapServerMetadata !== undefined) response['ldapServerMetadata'] = ldapOutput(broker.ldapServerMetadata);
    const pending = broker.pending;
    if (pending.authenticationStrategy !== undefined) response['pendingAuthenticationStrategy'] = pending.authenticationStrategy;
    if (pending.engineVersion !== undefined) response['pendingEngineVersion'] = pending.engineVersion;
    if (pending.hostInstanceType !== undefined) response['pendingHostInstanceType'] = pending.hostInstanceType;
    if (pending.ldapServerMetadata !== undefined) response['pendingLdapServerMetadata'] = ldapOutput(pending.ldapServerMetadata);
    if (pending.securityGroups !== undefined) response['pendingSecurityGroups'] = [...pending.securityGroups];
    return response;
  }

  #listBrokers(state: MqStateDocument, caller: CallerIdentity, query: URLSearchParams): unknown {
    this.#authorize(caller, 'ListBrokers', '*');
    const maxResults = readQueryInteger(query, 'maxResults', 1, 100) ?? 20;
    const { page, nextToken } = paginate(state.brokers, (b) => `${String(b.createdMs).padStart(15, '0')}:${b.brokerId}`, 'brokers', maxResults, query.get('nextToken'));
    return {
      brokerSummaries: page.map((b) => ({
        brokerArn: b.brokerArn,
        brokerId: b.brokerId,
        brokerName: b.brokerName,
        brokerState: b.brokerState,
        created: isoTime(b.createdMs),
        deploymentMode: b.deploymentMode,
        engineType: b.engineType,
        hostInstanceType: b.hostInstanceType,
      })),
      ...(nextToken === undefined ? {} : { nextToken }),
    };
  }

  #checkChangeable(broker: BrokerRecord): void {
    if (broker.brokerState === 'DELETION_IN_PROGRESS' || broker.brokerState === 'CREATION_FAILED') {
      throw conflict(`Broker [${broker.brokerId}] is in state [${broker.brokerState}] and can't be changed.`, 'broker-id');
    }
  }

  async #updateBroker(state: MqStateDocument, broker: BrokerRecord, body: JsonObject): Promise<unknown> {
    checkNoCredentialUrlsDeep(body);
    if (body['encryptionOptions'] !== undefined) {
      throw badRequest("Encryption options can't be changed after a broker is created. Create a new broker to use another key.", 'encryptionOptions');
    }
    this.#checkChangeable(broker);
    const engineType = broker.engineType;
    const pending = { ...broker.pending };
    const response: JsonObject = { brokerId: broker.brokerId };

    const engineVersionInput = readString(body, 'engineVersion');
    if (engineVersionInput !== undefined) {
      const version = this.#engineVersion(engineType, engineVersionInput);
      if (versionIndex(engineType, version) > versionIndex(engineType, broker.engineVersion)) {
        throw badRequest(`Downgrading broker engine version from [${broker.engineVersion}] to [${version}] is not supported.`, 'engineVersion');
      }
      if (version !== broker.engineVersion) pending.engineVersion = version;
      else delete pending.engineVersion;
      response['engineVersion'] = version;
    }
    const hostInstanceType = readString(body, 'hostInstanceType');
    if (hostInstanceType !== undefined) {
      this.#instanceOption(engineType, hostInstanceType, broker.storageType, broker.deploymentMode);
      if (hostInstanceType !== broker.hostInstanceType) pending.hostInstanceType = hostInstanceType;
      else delete pending.hostInstanceType;
      response['hostInstanceType'] = hostInstanceType;
    }
    const authText = readString(body, 'authenticationStrategy');
    const ldapInput = readObject(body, 'ldapServerMetadata');
    if (engineType === 'RABBITMQ' && ((authText !== undefined && authText.toUpperCase() === 'LDAP') || ldapInput !== undefined)) {
      throw badRequest('LDAP authentication is not supported for engine type [RABBITMQ].', ldapInput !== undefined ? 'ldapServerMetadata' : 'authenticationStrategy');
    }
    if (ldapInput !== undefined) {
      pending.ldapServerMetadata = parseLdapServerMetadata(ldapInput);
      response['ldapServerMetadata'] = ldapOutput(pending.ldapServerMetadata);
    }
    if (authText !== undefined) {
      const strategy = parseAuthenticationStrategy(authText);
      if (strategy === 'LDAP' && pending.ldapServerMetadata === undefined && broker.ldapServerMetadata === undefined) {
        throw badRequest('The [ldapServerMetadata] parameter is required when the authentication strategy is [LDAP].', 'ldapServerMetadata');
      }
      if (strategy !== broker.authenticationStrategy) pending.authenticationStrategy = strategy;
      else delete pending.authenticationStrategy;
      response['authenticationStrategy'] = strategy;
    }
    const configurationInput = readObject(body, 'configuration');
    let pendingConfiguration = broker.configurations.pending;
    if (configurationInput !== undefined) {
      const ref = this.#configurationRef(state, configurationInput, engineType);
      const current = broker.configurations.current;
      pendingConfiguration = ref.id === current.id && ref.revision === current.revision ? undefined : ref;
      response['configuration'] = ref;
    }
    const logsInput = readObject(body, 'logs');
    if (logsInput !== undefined) {
      const logs = this.#parseLogs(logsInput, engineType, pending.logs ?? broker.logs);
      pending.logs = logs;
      response['logs'] = logs;
    }
    const securityGroups = readStringList(body, 'securityGroups');
    if (securityGroups !== undefined && securityGroups.length > SECURITY_GROUPS_MAX) {
      throw badRequest(`A broker can have at most ${SECURITY_GROUPS_MAX} security groups.`, 'securityGroups');
    }
    const windowInput = readObject(body, 'maintenanceWindowStartTime');
    const window = windowInput === undefined ? undefined : parseMaintenanceWindow(windowInput);
    const autoMinor = readBoolean(body, 'autoMinorVersionUpgrade');
    if (autoMinor !== undefined) this.#checkAutoMinor(engineType, pending.engineVersion ?? broker.engineVersion, autoMinor);
    const dataReplicationMode = readString(body, 'dataReplicationMode');
    if (dataReplicationMode !== undefined && dataReplicationMode !== 'NONE') {
      throw badRequest('Cross-region data replication is not supported.', 'dataReplicationMode');
    }

    // Every check passed: apply. Engine, instance type, authentication, LDAP, logs and configuration
    // wait for a reboot, as in Amazon MQ; the rest applies at once.
    broker.pending = pending;
    if (pendingConfiguration === undefined) delete broker.configurations.pending;
    else broker.configurations.pending = pendingConfiguration;
    if (securityGroups !== undefined) {
      broker.securityGroups = [...securityGroups];
      response['securityGroups'] = [...securityGroups];
    }
    if (window !== undefined) {
      broker.maintenanceWindowStartTime = window;
      response['maintenanceWindowStartTime'] = { ...window };
    }
    if (autoMinor !== undefined) {
      broker.autoMinorVersionUpgrade = autoMinor;
      response['autoMinorVersionUpgrade'] = autoMinor;
    }
    await this.#save(state);
    return response;
  }

  /**
   * ReencryptBroker (SealMQ's own, issue 6): checked under the state lock, run outside it, since a
   * re-encryption takes as long as the data it rewrites and the broker keeps serving meanwhile.
   */
  async #reencryptBroker(caller: CallerIdentity, brokerId: string): Promise<unknown> {
    await this.#exclusive(async (state) => {
      const broker = this.#brokerFor(state, caller, 'ReencryptBroker', brokerId);
      if (broker.brokerState !== 'RUNNING') {
        throw badRequest(`Broker [${broker.brokerId}] can't be re-encrypted in state [${broker.brokerState}]. Re-encrypt a broker in state [RUNNING].`, 'broker-id');
      }
    });
    const reencrypt = this.#deps.runtime.reencrypt?.bind(this.#deps.runtime);
    if (reencrypt === undefined) throw badRequest('Re-encryption is not available for this broker.', 'broker-id');
    const result = await reencrypt(brokerId);
    return { brokerId, messagesMoved: result.messagesMoved, segmentsDeleted: result.segmentsDeleted, durationMs: result.durationMs };
  }

  async #rebootBroker(state: MqStateDocument, broker: BrokerRecord): Promise<unknown> {
    if (broker.actionsRequired.some((a) => a.actionRequiredCode === 'INVALID_KMS_KEY' || a.actionRequiredCode === 'RABBITMQ_INVALID_KMS_KEY')) {
      throw badRequest(
        `Broker [${broker.brokerId}] can't be rebooted while its KMS key is invalid (INVALID_KMS_KEY). Enable the key and check that the broker's grant exists; the broker recovers by itself.`,
        'broker-id',
      );
    }
    if (broker.brokerState !== 'RUNNING' && broker.brokerState !== 'CRITICAL_ACTION_REQUIRED') {
      throw badRequest(`Broker [${broker.brokerId}] can't be rebooted in state [${broker.brokerState}]. Reboot a broker in state [RUNNING].`, 'broker-id');
    }
    // Pending changes become current at the reboot.
    const pending = broker.pending;
    if (pending.engineVersion !== undefined) broker.engineVersion = pending.engineVersion;
    if (pending.hostInstanceType !== undefined) broker.hostInstanceType = pending.hostInstanceType;
    if (pending.authenticationStrategy !== undefined) broker.authenticationStrategy = pending.authenticationStrategy;
    if (pending.ldapServerMetadata !== undefined) broker.ldapServerMetadata = pending.ldapServerMetadata;
    if (pending.securityGroups !== undefined) broker.securityGroups = pending.securityGroups;
    if (pending.logs !== undefined) broker.logs = pending.logs;
    broker.pending = {};
    if (broker.configurations.pending !== undefined) {
      broker.configurations.history.push(broker.configurations.current);
      broker.configurations.current = broker.configurations.pending;
      delete broker.configurations.pending;
    }
    broker.users = broker.users.flatMap((user): UserRecord[] => {
      if (user.pending === undefined) return [user];
      if (user.pending.change === 'DELETE') return [];
      return [{ username: user.username, current: user.pending.values! }];
    });
    broker.brokerState = 'REBOOT_IN_PROGRESS';
    broker.actionsRequired = [];
    await this.#save(state);
    try {
      await this.#deps.runtime.reboot(this.#spec(state, broker), this.#reporter(broker.brokerId));
    } catch (error) {
      this.#deps.onInternalError?.(error, 'RebootBroker');
      // Leave the broker in a state from which another reboot (or a delete) is possible.
      broker.brokerState = 'CRITICAL_ACTION_REQUIRED';
      broker.actionsRequired = [{ actionRequiredCode: 'BROKER_REBOOT_FAILED', actionRequiredInfo: 'The broker could not be restarted. Reboot it again, or delete it.' }];
      await this.#save(state);
      throw new AwsApiError('InternalServerErrorException', 'The broker could not be restarted. Try again later.', 500);
    }
    return {};
  }

  async #deleteBroker(state: MqStateDocument, broker: BrokerRecord): Promise<unknown> {
    // A repeated DeleteBroker is answered the same way; the runtime is asked again only if it
    // has not accepted the deletion since this process started (after a failure or a restart).
    if (broker.brokerState !== 'DELETION_IN_PROGRESS') {
      broker.brokerState = 'DELETION_IN_PROGRESS';
      await this.#save(state);
    }
    if (!this.#deletionsAccepted.has(broker.brokerId)) {
      await this.#deps.runtime.delete(broker.brokerId, this.#reporter(broker.brokerId));
      this.#deletionsAccepted.add(broker.brokerId);
    }
    return { brokerId: broker.brokerId };
  }

  // ---- users ----

  #findUser(broker: BrokerRecord, username: string): UserRecord {
    const user = broker.users.find((u) => u.username === username);
    if (user === undefined) throw notFound("Can't find requested user. Make sure your user exists.", 'username');
    return user;
  }

  async #applyUsersNow(broker: BrokerRecord): Promise<void> {
    await this.#deps.runtime.applyUsers(broker.brokerId, usersInForce(broker));
  }

  async #createUser(state: MqStateDocument, broker: BrokerRecord, username: string, body: JsonObject): Promise<unknown> {
    this.#checkChangeable(broker);
    checkNoCredentialUrlsDeep(body);
    checkUsername(username, broker.engineType);
    const password = readString(body, 'password', true);
    checkPassword(password);
    const values = this.#parseUserValues(body, broker.engineType, { consoleAccess: false, groups: [], replicationUser: false });
    if (broker.users.some((u) => u.username === username)) throw conflict('A user with this username already exists on the broker.', 'username');
    if (broker.users.length >= USERS_PER_BROKER_MAX) throw badRequest(`A broker can have at most ${USERS_PER_BROKER_MAX} users.`, 'username');
    const full: UserValues = { ...values, passwordHash: await this.#deps.passwords.hash(password) };
    if (broker.engineType === 'ACTIVEMQ') {
      // ActiveMQ: the change waits for the next reboot.
      broker.users.push({ username, pending: { change: 'CREATE', values: full } });
      await this.#save(state);
    } else {
      // RabbitMQ: SealMQ has no management API for users, so the change applies at once.
      broker.users.push({ username, current: full });
      await this.#save(state);
      await this.#applyUsersNow(broker);
    }
    return {};
  }

  async #updateUser(state: MqStateDocument, broker: BrokerRecord, username: string, body: JsonObject): Promise<unknown> {
    this.#checkChangeable(broker);
    checkNoCredentialUrlsDeep(body);
    const user = this.#findUser(broker, username);
    if (user.pending?.change === 'DELETE') throw badRequest("The user is pending deletion and can't be updated.", 'username');
    const base = user.pending?.values ?? user.current!;
    const password = readString(body, 'password');
    if (password !== undefined) checkPassword(password);
    const values = this.#parseUserValues(body, broker.engineType, base);
    const full: UserValues = { ...values, passwordHash: password === undefined ? base.passwordHash : await this.#deps.passwords.hash(password) };
    if (broker.engineType === 'ACTIVEMQ') {
      user.pending = { change: user.pending?.change === 'CREATE' ? 'CREATE' : 'UPDATE', values: full };
      await this.#save(state);
    } else {
      user.current = full;
      await this.#save(state);
      await this.#applyUsersNow(broker);
    }
    return {};
  }

  #describeUser(broker: BrokerRecord, username: string): unknown {
    const user = this.#findUser(broker, username);
    const response: JsonObject = { brokerId: broker.brokerId, username: user.username };
    if (user.current !== undefined) {
      response['consoleAccess'] = user.current.consoleAccess;
      response['groups'] = [...user.current.groups];
      response['replicationUser'] = user.current.replicationUser;
    }
    if (user.pending !== undefined) {
      const values = user.pending.values;
      response['pending'] = {
        pendingChange: user.pending.change,
        ...(values === undefined ? {} : { consoleAccess: values.consoleAccess, groups: [...values.groups] }),
      };
    }
    return response;
  }

  async #deleteUser(state: MqStateDocument, broker: BrokerRecord, username: string): Promise<unknown> {
    this.#checkChangeable(broker);
    const user = this.#findUser(broker, username);
    if (broker.engineType === 'ACTIVEMQ') {
      if (user.pending?.change === 'CREATE') broker.users = broker.users.filter((u) => u !== user);
      else user.pending = { change: 'DELETE' };
      await this.#save(state);
    } else {
      broker.users = broker.users.filter((u) => u !== user);
      await this.#save(state);
      await this.#applyUsersNow(broker);
    }
    return {};
  }

  #listUsers(broker: BrokerRecord, query: URLSearchParams): unknown {
    const maxResults = readQueryInteger(query, 'maxResults', 1, 100) ?? 100;
    const { page, nextToken } = paginate(broker.users, (u) => u.username, 'users', maxResults, query.get('nextToken'));
    return {
      brokerId: broker.brokerId,
      maxResults,
      ...(nextToken === undefined ? {} : { nextToken }),
      users: page.map((u) => ({ username: u.username, ...(u.pending === undefined ? {} : { pendingChange: u.pending.change }) })),
    };
  }

  // ---- configurations ----

  #newConfiguration(
    name: string,
    engineType: EngineType,
    engineVersion: string,
    authenticationStrategy: AuthenticationStrategy,
    tags: Record<string, string>,
    nowMs: number,
  ): ConfigurationRecord {
    const id = `c-${this.#deps.ids.uuid()}`;
    const description = `Auto-generated default for ${name} on ${engineType} ${engineVersion}`;
    return {
      id,
      arn: this.#configurationArn(id),
      name,
      description,
      engineType,
      engineVersion,
      authenticationStrategy,
      createdMs: nowMs,
      revisions: [{ revision: 1, createdMs: nowMs, description, data: Buffer.from(defaultConfigurationData(engineType), 'utf8').toString('base64') }],
      tags,
    };
  }

  #latestRevision(configuration: ConfigurationRecord): JsonObject {
    const latest = configuration.revisions[configuration.revisions.length - 1]!;
    return { created: isoTime(latest.createdMs), description: latest.description, revision: latest.revision };
  }

  async #createConfiguration(state: MqStateDocument, caller: CallerIdentity, body: JsonObject): Promise<unknown> {
    this.#authorize(caller, 'CreateConfiguration', '*');
    checkNoCredentialUrlsDeep(body);
    const name = readString(body, 'name', true);
    checkConfigurationName(name);
    const engineType = parseEngineType(readString(body, 'engineType', true));
    const engineVersion = this.#engineVersion(engineType, readString(body, 'engineVersion'));
    const authText = readString(body, 'authenticationStrategy');
    const authenticationStrategy = authText === undefined ? 'SIMPLE' : parseAuthenticationStrategy(authText);
    if (engineType === 'RABBITMQ' && authenticationStrategy === 'LDAP') {
      throw badRequest('LDAP authentication is not supported for engine type [RABBITMQ].', 'authenticationStrategy');
    }
    const tags = readStringMap(body, 'tags') ?? {};
    checkTags(tags);
    const configuration = this.#newConfiguration(name, engineType, engineVersion, authenticationStrategy, tags, this.#deps.clock.now());
    state.configurations.push(configuration);
    await this.#save(state);
    return {
      arn: configuration.arn,
      authenticationStrategy,
      created: isoTime(configuration.createdMs),
      id: configuration.id,
      latestRevision: this.#latestRevision(configuration),
      name,
    };
  }

  #describeConfiguration(configuration: ConfigurationRecord): JsonObject {
    return {
      arn: configuration.arn,
      authenticationStrategy: configuration.authenticationStrategy,
      created: isoTime(configuration.createdMs),
      description: configuration.description,
      engineType: configuration.engineType,
      engineVersion: configuration.engineVersion,
      id: configuration.id,
      latestRevision: this.#latestRevision(configuration),
      name: configuration.name,
      tags: { ...configuration.tags },
    };
  }

  async #updateConfiguration(state: MqStateDocument, configuration: ConfigurationRecord, body: JsonObject): Promise<unknown> {
    const data = readString(body, 'data', true);
    const description = readString(body, 'description');
    if (description !== undefined) {
      checkNoCredentialUrl(description, { errorAttribute: 'description', label: 'Configuration description' });
      if ([...description].length > 1024) throw badRequest('The description must be at most 1024 characters long.', 'description');
    }
    if (data.length === 0 || data.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(data)) {
      throw badRequest('Configuration data must be base64-encoded.', 'data');
    }
    const text = Buffer.from(data, 'base64').toString('utf8');
    if (configuration.engineType === 'ACTIVEMQ' && !text.trimStart().startsWith('<')) {
      throw badRequest('Configuration data for ActiveMQ must be an XML document.', 'data');
    }
    checkNoCredentialUrl(text, { errorAttribute: 'data', label: 'Configuration data' });
    const nowMs = this.#deps.clock.now();
    const revision = configuration.revisions[configuration.revisions.length - 1]!.revision + 1;
    configuration.revisions.push({ revision, createdMs: nowMs, description: description ?? '', data });
    await this.#save(state);
    return {
      arn: configuration.arn,
      created: isoTime(configuration.createdMs),
      id: configuration.id,
      latestRevision: this.#latestRevision(configuration),
      name: configuration.name,
      warnings: [],
    };
  }

  async #deleteConfiguration(state: MqStateDocument, configuration: ConfigurationRecord): Promise<unknown> {
    const inUse = state.brokers.some(
      (b) => b.configurations.current.id === configuration.id || b.configurations.pending?.id === configuration.id,
    );
    if (inUse) throw conflict(`Configuration [${configuration.id}] is in use by a broker and can't be deleted.`, 'configuration-id');
    state.configurations = state.configurations.filter((c) => c !== configuration);
    await this.#save(state);
    return { configurationId: configuration.id };
  }

  #listConfigurations(state: MqStateDocument, caller: CallerIdentity, query: URLSearchParams): unknown {
    this.#authorize(caller, 'ListConfigurations', '*');
    const maxResults = readQueryInteger(query, 'maxResults', 1, 100) ?? 100;
    const { page, nextToken } = paginate(state.configurations, (c) => `${String(c.createdMs).padStart(15, '0')}:${c.id}`, 'configurations', maxResults, query.get('nextToken'));
    return { configurations: page.map((c) => this.#describeConfiguration(c)), maxResults, ...(nextToken === undefined ? {} : { nextToken }) };
  }

  #describeRevision(configuration: ConfigurationRecord, revisionText: string): unknown {
    if (!/^\d{1,9}$/.test(revisionText)) throw badRequest('The configuration revision must be a positive integer.', 'configuration-revision');
    const revision = configuration.revisions.find((r) => r.revision === Number(revisionText));
    if (revision === undefined) {
      throw notFound(`Can't find requested revision [${revisionText}] of configuration [${configuration.id}].`, 'configuration-revision');
    }
    return { configurationId: configuration.id, created: isoTime(revision.createdMs), data: revision.data, description: revision.description };
  }

  #listRevisions(configuration: ConfigurationRecord, query: URLSearchParams): unknown {
    const maxResults = readQueryInteger(query, 'maxResults', 1, 100) ?? 100;
    const { page, nextToken } = paginate(configuration.revisions, (r) => String(r.revision).padStart(10, '0'), 'revisions', maxResults, query.get('nextToken'));
    return {
      configurationId: configuration.id,
      maxResults,
      ...(nextToken === undefined ? {} : { nextToken }),
      revisions: page.map((r) => ({ created: isoTime(r.createdMs), description: r.description, revision: r.revision })),
    };
  }

  // ---- tags ----

  async #tags(
    state: MqStateDocument,
    caller: CallerIdentity,
    operation: 'CreateTags' | 'DeleteTags' | 'ListTags',
    resourceArn: string,
    query: URLSearchParams,
    body: JsonObject,
  ): Promise<unknown> {
    this.#authorize(caller, operation, resourceArn);
    const holder = state.brokers.find((b) => b.brokerArn === resourceArn) ?? state.configurations.find((c) => c.arn === resourceArn);
    if (holder === undefined) {
      throw notFound("Can't find requested resource. Make sure the ARN names an existing broker or configuration.", 'resource-arn');
    }
    if (operation === 'ListTags') return { tags: { ...holder.tags } };
    if (operation === 'CreateTags') {
      const tags = readStringMap(body, 'tags');
      if (tags === undefined) throw badRequest('The [tags] parameter is required.', 'tags');
      const merged = { ...holder.tags, ...tags };
      checkTags(merged);
      holder.tags = merged;
    } else {
      const tagKeys = query.getAll('tagKeys');
      if (tagKeys.length === 0) throw badRequest('The [tagKeys] parameter is required.', 'tagKeys');
      const remaining = { ...holder.tags };
      for (const key of tagKeys) delete remaining[key];
      holder.tags = remaining;
    }
    await this.#save(state);
    return undefined;
  }

  // ---- engine types and instance options ----

  #describeEngineTypes(caller: CallerIdentity, query: URLSearchParams): unknown {
    this.#authorize(caller, 'DescribeBrokerEngineTypes', '*');
    const engineText = query.get('engineType');
    const filter = engineText === null || engineText === '' ? undefined : parseEngineType(engineText);
    const maxResults = readQueryInteger(query, 'maxResults', 1, 100) ?? 100;
    const all = (['ACTIVEMQ', 'RABBITMQ'] as const).filter((e) => filter === undefined || e === filter);
    const { page, nextToken } = paginate(all, (e) => e, 'engine-types', maxResults, query.get('nextToken'));
    return {
      brokerEngineTypes: page.map((engineType) => ({ engineType, engineVersions: ENGINE_VERSIONS[engineType].map((name) => ({ name })) })),
      maxResults,
      ...(nextToken === undefined ? {} : { nextToken }),
    };
  }

  #describeInstanceOptions(caller: CallerIdentity, query: URLSearchParams): unknown {
    this.#authorize(caller, 'DescribeBrokerInstanceOptions', '*');
    const engineText = query.get('engineType');
    const engineType = engineText === null || engineText === '' ? undefined : parseEngineType(engineText);
    const hostInstanceType = query.get('hostInstanceType') || undefined;
    const storageText = query.get('storageType');
    const storageType = storageText === null || storageText === '' ? undefined : parseStorageType(storageText);
    const maxResults = readQueryInteger(query, 'maxResults', 1, 100) ?? 100;
    const matching = INSTANCE_OPTIONS.map((option, index) => ({ option, key: String(index).padStart(4, '0') })).filter(
      ({ option }) =>
        (engineType === undefined || option.engineType === engineType) &&
        (hostInstanceType === undefined || option.hostInstanceType === hostInstanceType) &&
        (storageType === undefined || option.storageType === storageType),
    );
    const { page, nextToken } = paginate(matching, (m) => m.key, 'instance-options', maxResults, query.get('nextToken'));
    const zones = availabilityZones(this.#deps.region);
    return {
      brokerInstanceOptions: page.map(({ option }) => ({
        availabilityZones: zones.map((z) => ({ ...z })),
        engineType: option.engineType,
        hostInstanceType: option.hostInstanceType,
        storageType: option.storageType,
        supportedDeploymentModes: [...option.supportedDeploymentModes],
        supportedEngineVersions: [...option.supportedEngineVersions],
      })),
      maxResults,
      ...(nextToken === undefined ? {} : { nextToken }),
    };
  }
}
