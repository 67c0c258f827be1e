// Test helpers for the MQ API: an MqApi on the in-memory ports, callers with policies, and call
// helpers that record every response and error so a test can scan them for secrets. Tests only.
import assert from 'node:assert/strict';
import type { CallerIdentity, PolicyDocument } from '../../identity/caller.ts';
import { AwsApiError } from '../../util/aws-error.ts';
import { FakePasswordHasher, InMemoryBrokerRuntime, InMemoryEncryptionKeys, SequentialIds, SettableClock } from './memory-ports.ts';
import { MqApi, type MqResponse } from './mq-api.ts';
import { InMemoryMqStateStore } from './state.ts';

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';

export function callerWith(name: string, policies: PolicyDocument[]): CallerIdentity {
  return { accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/${name}`, principalId: `AIDA${name.toUpperCase()}`, policies };
}

export const ADMIN = callerWith('admin', [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'mq:*', Resource: '*' }] }]);
export const READ_ONLY = callerWith('auditor', [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['mq:Describe*', 'mq:List*'], Resource: '*' }] }]);

export const PASSWORD = 'Correct-Horse-Battery-9';

export interface CallOptions {
  body?: unknown;
  query?: Record<string, string | string[]>;
  caller?: CallerIdentity;
}

export function makeHarness(options: { autoComplete?: boolean } = {}) {
  const store = new InMemoryMqStateStore();
  const runtime = new InMemoryBrokerRuntime(options.autoComplete ?? false);
  const keys = new InMemoryEncryptionKeys(REGION, ACCOUNT);
  const clock = new SettableClock();
  const passwords = new FakePasswordHasher();
  const internalErrors: string[] = [];
  const api = new MqApi({
    accountId: ACCOUNT,
    region: REGION,
    host: 'localhost',
    clock,
    ids: new SequentialIds(),
    store,
    runtime,
    keys,
    passwords,
    onInternalError: (_error, operation) => internalErrors.push(operation),
  });
  const transcript: string[] = [];

  function queryOf(query: CallOptions['query']): URLSearchParams {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {})) {
      for (const item of Array.isArray(value) ? value : [value]) params.append(key, item);
    }
    return params;
  }

  async function send(method: string, rawPath: string, opts: CallOptions = {}): Promise<MqResponse> {
    try {
      const response = await api.handle(opts.caller ?? ADMIN, { method, rawPath, query: queryOf(opts.query), body: opts.body });
      transcript.push(JSON.stringify(response));
      return response;
    } catch (error) {
      if (error instanceof AwsApiError) transcript.push(JSON.stringify({ type: error.errorType, message: error.message, attr: error.errorAttribute }));
      throw error;
    }
  }

  /** Calls and expects success; returns the body. */
  async function call(method: string, rawPath: string, opts: CallOptions = {}): Promise<any> {
    const response = await send(method, rawPath, opts);
    assert.ok(response.status === 200 || response.status === 204, `status ${response.status}`);
    return response.body;
  }

  /** Calls and expects an AwsApiError of the given type and attribute; returns it. */
  async function fail(method: string, rawPath: string, opts: CallOptions, errorType: string, errorAttribute?: string): Promise<AwsApiError> {
    try {
      await send(method, rawPath, opts);
    } catch (error) {
      assert.ok(error instanceof AwsApiError, `expected AwsApiError, got ${String(error)}`);
      assert.equal(error.errorType, errorType, error.message);
      assert.equal(error.errorAttribute, errorAttribute, error.message);
      return error;
    }
    assert.fail(`expected ${errorType} (${errorAttribute}) from ${method} ${rawPath}`);
  }

  /** Lets queued reports run. */
  async function settle(): Promise<void> {
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  }

  return { api, store, runtime, keys, clock, passwords, transcript, internalErrors, call, fail, send, settle };
}

export type Harness = ReturnType<typeof makeHarness>;

export function activeMqBroker(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    brokerName: 'orders-prod',
    engineType: 'ACTIVEMQ',
    deploymentMode: 'SINGLE_INSTANCE',
    hostInstanceType: 'mq.m5.large',
    publiclyAccessible: false,
    users: [{ username: 'app-admin', password: PASSWORD, consoleAccess: true, groups: ['admins'] }],
    ...overrides,
  };
}

export function rabbitMqBroker(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    brokerName: 'events-prod',
    engineType: 'RABBITMQ',
    deploymentMode: 'SINGLE_INSTANCE',
    hostInstanceType: 'mq.m5.large',
    publiclyAccessible: false,
    users: [{ username: 'rabbit-admin', password: PASSWORD }],
    ...overrides,
  };
}

/** Creates a broker and lets the runtime report RUNNING. */
export async function runningBroker(h: Harness, body: Record<string, unknown>): Promise<{ brokerId: string; brokerArn: string }> {
  const created = await h.call('POST', '/v1/brokers', { body });
  h.runtime.report(created.brokerId, { state: 'RUNNING' });
  await h.settle();
  return created;
}
