// The default broker a first start gives a newcomer: an ordinary RABBITMQ broker named `default`
// on its service-owned key, created through the Amazon MQ API as the administrator, with a
// generated administrator user whose password is written (0600) to DATA/broker-credentials. Once
// made it is like any other broker (listed, rebootable, deletable); this file only remembers which
// one it was, so later starts reuse it and a deleted one is not made again. Its creation is audited
// like an API CreateBroker (same event shape, passwords hidden) made by the service itself, since no
// person called. Running it is the supervisor's business; what serve prints and lists is serve's.
//
// DATA/default-broker.json   {"brokerId": "b-...", "createdAt": "..."}: written once the broker exists
// DATA/broker-credentials    0600: username=...\npassword=... (written before the broker is created)
import { randomBytes, randomUUID } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { AuditSink } from '../../core/audit-sink.ts';
import type { CallerIdentity } from '../../identity/caller.ts';
import { writeFileAtomic } from '../../util/atomic-file.ts';
import { AwsApiError } from '../../util/aws-error.ts';
import type { Logger } from '../../util/logger.ts';
import { apiCallEvent, mqResources, type ApiCallRecord } from '../audit-api-events.ts';
import type { MqApi, MqRequest, MqResponse } from '../mq/mq-api.ts';
import { redactMqRequestParameters } from '../mq/redaction.ts';

export const DEFAULT_BROKER_NAME = 'default';
export const DEFAULT_BROKER_FILE = 'default-broker.json';
export const BROKER_CREDENTIALS_FILE = 'broker-credentials';
export const DEFAULT_BROKER_USERNAME = 'admin';
/** Makes CreateBroker idempotent across a crash between creating the broker and recording it. */
const CREATOR_REQUEST_ID = 'sealmq-default-broker';

export interface DefaultBroker {
  readonly brokerId: string;
  /** DATA/broker-credentials. */
  readonly credentialsFile: string;
  readonly username: string;
  /** True when this start created it. */
  readonly created: boolean;
}

export interface DefaultBrokerOptions {
  readonly dataDir: string;
  readonly mq: MqApi;
  /** The administrator principal; the broker is created as this caller. */
  readonly caller: CallerIdentity;
  /** Called once before the broker is first created (e.g. to check that its port is free). */
  readonly beforeCreate?: () => Promise<void>;
  /** Where the CreateBroker of a first start is recorded (as the API server records a call). */
  readonly audit?: { readonly sink: Pick<AuditSink, 'record'>; readonly region: string; readonly accountId: string } | undefined;
  readonly logger: Logger;
}

/** Who made the default broker in its audit event: SealMQ itself, as CloudTrail shows a service acting. */
export const DEFAULT_BROKER_CREATOR = { type: 'AWSService', invokedBy: 'mq.amazonaws.com' } as const;

/** The broker credentials file's contents. */
export function formatBrokerCredentials(username: string, password: string): string {
  return `# SealMQ default broker: its administrator (AMQP PLAIN). Keep this file secret.\nusername=${username}\npassword=${password}\n`;
}

/** Reads DATA/broker-credentials; undefined when there is none or it is incomplete. */
export async function readBrokerCredentials(path: string): Promise<{ username: string; password: string } | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const values = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    if (line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq > 0) values.set(line.slice(0, eq).trim(), line.slice(eq + 1));
  }
  const username = values.get('username');
  const password = values.get('password');
  return username === undefined || password === undefined || username === '' || password === '' ? undefined : { username, password };
}

/** A password Amazon MQ accepts (12-250 characters, 4+ distinct, none of , : =): 32 base64url characters. */
function generatePassword(): string {
  for (;;) {
    const password = randomBytes(24).toString('base64url');
    if (new Set(password).size >= 4) return password;
  }
}

/**
 * On first start creates the default broker; later returns the one made then, or undefined when it
 * was deleted (its stale credentials file is removed).
 */
export async function ensureDefaultBroker(options: DefaultBrokerOptions): Promise<DefaultBroker | undefined> {
  const { dataDir, mq, caller, logger } = options;
  const markerFile = join(dataDir, DEFAULT_BROKER_FILE);
  const credentialsFile = join(dataDir, BROKER_CREDENTIALS_FILE);

  const marker = await readDefaultBrokerMarker(dataDir);
  if (marker !== undefined) {
    try {
      await mq.handle(caller, { method: 'GET', rawPath: `/v1/brokers/${marker.brokerId}`, query: new URLSearchParams(), body: undefined });
    } catch (error) {
      if (!(error instanceof AwsApiError)) throw error;
      if (error.errorType === 'NotFoundException') {
        await rm(credentialsFile, { force: true });
        logger.info({ brokerId: marker.brokerId }, 'the default broker was deleted; none is made again');
        return undefined;
      }
      // Shown as before: whether the administrator may describe it changes nothing about the broker.
      logger.warn({ brokerId: marker.brokerId, errorType: error.errorType }, 'could not describe the default broker');
    }
    const credentials = await readBrokerCredentials(credentialsFile);
    return { brokerId: marker.brokerId, credentialsFile, username: credentials?.username ?? DEFAULT_BROKER_USERNAME, created: false };
  }

  // First start. The password is on disk before the broker exists, so a crash in between leaves a
  // file whose password the retried (idempotent) CreateBroker uses again.
  await options.beforeCreate?.();
  let credentials = await readBrokerCredentials(credentialsFile);
  if (credentials === undefined) {
    credentials = { username: DEFAULT_BROKER_USERNAME, password: generatePassword() };
    await writeFileAtomic(credentialsFile, formatBrokerCredentials(credentials.username, credentials.password), 0o600);
  }
  const request: MqRequest = {
    method: 'POST',
    rawPath: '/v1/brokers',
    query: new URLSearchParams(),
    body: {
      brokerName: DEFAULT_BROKER_NAME,
      engineType: 'RABBITMQ',
      deploymentMode: 'SINGLE_INSTANCE',
      hostInstanceType: 'mq.m5.large',
      publiclyAccessible: false,
      autoMinorVersionUpgrade: true,
      encryptionOptions: { useAwsOwnedKey: true },
      users: [{ username: credentials.username, password: credentials.password }],
      creatorRequestId: CREATOR_REQUEST_ID,
    },
  };
  const response = await auditedCreateBroker(mq, caller, request, options.audit);
  const { brokerId } = response.body as { brokerId: string };
  await writeFileAtomic(markerFile, JSON.stringify({ brokerId, createdAt: new Date().toISOString() }, null, 2) + '\n', 0o600);
  logger.info({ brokerId, credentialsFile }, 'created the default broker');
  return { brokerId, credentialsFile, username: credentials.username, created: true };
}

/** CreateBroker through the MQ API, recorded as an API call by the service, refused or not. */
async function auditedCreateBroker(mq: MqApi, caller: CallerIdentity, request: MqRequest, audit: DefaultBrokerOptions['audit']): Promise<MqResponse> {
  const call: ApiCallRecord = {
    eventSource: 'mq.amazonaws.com',
    eventName: 'CreateBroker',
    operationKnown: true,
    requestParameters: redactMqRequestParameters(request.body) as Record<string, unknown>,
  };
  let errorCode: string | undefined;
  let errorMessage: string | undefined;
  try {
    const response = await mq.handle(caller, request);
    call.responseElements = redactMqRequestParameters(response.body) as Record<string, unknown>;
    if (audit !== undefined) call.resources = mqResources(audit.region, audit.accountId, request.rawPath, response.body);
    return response;
  } catch (error) {
    errorCode = error instanceof AwsApiError ? error.errorType : 'InternalServerErrorException';
    errorMessage = error instanceof AwsApiError ? error.message : undefined;
    throw error;
  } finally {
    if (audit !== undefined) {
      const event = apiCallEvent(call, {
        requestId: randomUUID(),
        sourceIPAddress: DEFAULT_BROKER_CREATOR.invokedBy,
        userAgent: DEFAULT_BROKER_CREATOR.invokedBy,
        errorCode,
        errorMessage,
        region: audit.region,
        accountId: audit.accountId,
      });
      audit.sink.record({ ...event, userIdentity: DEFAULT_BROKER_CREATOR, additionalEventData: { reason: 'the default broker of a first start' } });
    }
  }
}

/** DATA/default-broker.json: the broker a first start made, if one was ever made. */
export async function readDefaultBrokerMarker(dataDir: string): Promise<{ brokerId: string } | undefined> {
  const path = join(dataDir, DEFAULT_BROKER_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const value = JSON.parse(text) as { brokerId?: unknown };
  if (typeof value.brokerId !== 'string' || !/^b-[0-9a-f-]{36}$/.test(value.brokerId)) throw new Error(`${path} is damaged`);
  return { brokerId: value.brokerId };
}
