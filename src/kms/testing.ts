// Test support for the KMS suites: a temporary KMS folder with a root key, a movable clock, and
// caller identities (an administrator with an allow-all identity policy, principals with none).
// Used only by *.test.ts files.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRootKey, type RootKey } from '../crypto/root-key.ts';
import type { CallerIdentity, PolicyDocument } from '../identity/caller.ts';
import { KmsService, type Clock } from './kms-service.ts';

export const ACCOUNT = '111122223333';
export const REGION = 'us-east-1';
export const MQ_VIA = `mq.${REGION}.amazonaws.com`;

export class FakeClock implements Clock {
  constructor(public ms = Date.UTC(2026, 0, 1)) {}
  now(): number {
    return this.ms;
  }
  advanceDays(days: number): void {
    this.ms += days * 86_400_000;
  }
}

export function principal(name: string, policies: PolicyDocument[] = [], accountId = ACCOUNT): CallerIdentity {
  return { accountId, arn: `arn:aws:iam::${accountId}:user/${name}`, principalId: `AIDA${name.toUpperCase()}`, policies };
}

export const ALLOW_ALL: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
export const admin = principal('admin', [ALLOW_ALL]);

export interface KmsFixture {
  dir: string;
  rootKey: RootKey;
  clock: FakeClock;
  kms: KmsService;
  reopen(): Promise<KmsService>;
  cleanup(): Promise<void>;
}

export async function kmsFixture(options: { passphrase?: string } = {}): Promise<KmsFixture> {
  const base = await mkdtemp(join(tmpdir(), 'sealmq-kms-'));
  const dir = join(base, 'kms');
  const rootKey = await openRootKey({ dir, ...(options.passphrase ? { passphrase: options.passphrase, scryptCost: { N: 1024, r: 8, p: 1 } } : {}) });
  const clock = new FakeClock();
  const open = () => KmsService.open({ dir, rootKey, accountId: ACCOUNT, region: REGION, clock, maintenanceIntervalMs: 0 });
  const fixture: KmsFixture = {
    dir,
    rootKey,
    clock,
    kms: await open(),
    async reopen() {
      await fixture.kms.close();
      fixture.kms = await open();
      return fixture.kms;
    },
    async cleanup() {
      await fixture.kms.close();
      await rm(base, { recursive: true, force: true });
    },
  };
  return fixture;
}

/** Asserts that `promise` rejects with the AWS error type `errorType`; returns the message. */
export async function rejectsWith(promise: Promise<unknown>, errorType: string): Promise<string> {
  try {
    await promise;
  } catch (error) {
    const e = error as { errorType?: string; message?: string };
    if (e.errorType !== errorType) throw new Error(`expected ${errorType}, got ${e.errorType ?? String(error)}: ${e.message}`);
    return e.message ?? '';
  }
  throw new Error(`expected ${errorType}, but the call succeeded`);
}
