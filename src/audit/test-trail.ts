// Test support for the audit tests: builds a small trail on a fake clock with several log files per
// interval, an empty sealed interval and an unsealed tail, and edits files the way an attacker would.
// Not imported by production code.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditEventType, type AuditEventInput } from '../core/audit-sink.ts';
import { FakeClock } from '../core/clock.ts';
import { FileAuditTrail, type SealResult } from './audit-trail.ts';
import { generateSigningKey, staticSigningKeyLoader } from './signing-key.ts';
import { encodeEventLine, parseEventLine, GENESIS_HASH, type EventRecord } from './trail-format.ts';

export const START_MS = Date.parse('2026-11-29T00:00:00Z');
export const INTERVAL_MS = 60_000;

export interface BuiltTrail {
  readonly dir: string;
  readonly clock: FakeClock;
  readonly privateKey: KeyObject;
  readonly publicKeyPem: string;
  /** Seal results in order: [6 events, empty, 6 events, 4 events]. */
  readonly seals: readonly SealResult[];
  /** Log files holding the unsealed tail (2 events). */
  readonly unsealedFiles: readonly string[];
  cleanup(): Promise<void>;
}

export function apiEvent(name: string, extra: Partial<AuditEventInput> = {}): AuditEventInput {
  return {
    eventSource: 'mq.amazonaws.com',
    eventName: name,
    eventType: AuditEventType.AwsApiCall,
    userIdentity: { type: 'IAMUser', principalId: 'AIDAEXAMPLE', arn: 'arn:aws:iam::000000000000:user/admin', accountId: '000000000000', accessKeyId: 'AKIAEXAMPLE' },
    sourceIPAddress: '127.0.0.1',
    userAgent: 'aws-sdk-js/3',
    requestParameters: { brokerId: 'b-1234' },
    requestID: 'req-1',
    readOnly: name.startsWith('Describe') || name.startsWith('List'),
    recipientAccountId: '000000000000',
    ...extra,
  };
}

/**
 * A trail of 4 digests over 18 events in files of at most 3 events, then 2 unsealed events; the
 * trail is closed without a final digest, so the tail stays unsealed.
 */
export async function buildTrail(): Promise<BuiltTrail> {
  const dir = await mkdtemp(join(tmpdir(), 'sealmq-audit-'));
  const clock = new FakeClock(START_MS);
  const privateKey = generateSigningKey();
  const trail = await FileAuditTrail.open({
    dir,
    clock,
    signingKeyLoader: staticSigningKeyLoader(privateKey),
    digestIntervalMs: 0,
    logFileMaxBytes: 2_400,
    sealOnClose: false,
  });
  const seals: SealResult[] = [];
  let n = 0;
  const interval = async (events: number) => {
    for (let i = 0; i < events; i++) {
      trail.record(apiEvent(i % 2 === 0 ? 'DescribeBroker' : 'UpdateBroker', { requestID: `req-${++n}` }));
      clock.advance(1_000);
    }
    await trail.flush();
    clock.advance(INTERVAL_MS);
    seals.push(await trail.seal());
  };
  await interval(6);
  await interval(0);
  await interval(6);
  await interval(4);
  trail.record(apiEvent('ListBrokers', { requestID: `req-${++n}` }));
  clock.advance(1_000);
  trail.record(apiEvent('ListBrokers', { requestID: `req-${++n}` }));
  await trail.close();
  const sealed = new Set(seals.flatMap((seal) => seal.logFiles));
  const unsealedFiles = (await readdir(join(dir, 'logs'))).map((name) => `logs/${name}`).filter((file) => !sealed.has(file));
  return {
    dir,
    clock,
    privateKey,
    publicKeyPem: createPublicKey(privateKey).export({ format: 'pem', type: 'spki' }).toString(),
    seals,
    unsealedFiles,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

export async function readLines(dir: string, file: string): Promise<string[]> {
  const text = await readFile(join(dir, file), 'utf8');
  return text.split('\n').slice(0, -1);
}

export async function writeLines(dir: string, file: string, lines: readonly string[]): Promise<void> {
  await writeFile(join(dir, file), lines.map((line) => `${line}\n`).join(''));
}

export function parse(line: string): EventRecord {
  const record = parseEventLine(line);
  if (record === undefined) throw new Error('test fixture: not an event line');
  return record;
}

/** Renumbers and re-hashes `records` from `fromIndex` on, so the chain is consistent again. */
export function rechain(records: EventRecord[], fromIndex: number): string[] {
  let previous = fromIndex === 0 ? { sequence: 0, eventHash: GENESIS_HASH } : { sequence: records[fromIndex - 1]!.sequence, eventHash: records[fromIndex - 1]!.eventHash };
  return records.map((record, index) => {
    if (index < fromIndex) return JSON.stringify(record);
    const sequence = previous.sequence + 1;
    const { line, eventHash } = encodeEventLine(sequence, previous.eventHash, record.event);
    previous = { sequence, eventHash };
    records[index] = { sequence, previousHash: record.previousHash, eventHash, event: record.event };
    return line.slice(0, -1);
  });
}
