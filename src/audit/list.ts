// Reading the audit trail for people (`sealmq audit list --since T`): events in sequence order,
// filtered by time and name. It trusts nothing and checks nothing; `verifyAuditTrail` does that.
// Lines that do not parse are skipped and counted, so a damaged trail can still be read.
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { AuditEvent } from '../core/audit-sink.ts';
import { LOGS_DIR, parseEventLine, parseLogFileName } from './trail-format.ts';

export interface ListAuditEventsOptions {
  readonly dir: string;
  /** Events at or after this time. */
  readonly since?: Date | string | undefined;
  /** Events before this time. */
  readonly until?: Date | string | undefined;
  /** Exact eventName, e.g. `CreateBroker`. */
  readonly eventName?: string | undefined;
  readonly eventSource?: string | undefined;
  /** At most this many events, the oldest first. */
  readonly limit?: number | undefined;
}

export interface ListedAuditEvent {
  readonly sequence: number;
  readonly event: AuditEvent;
}

export interface ListAuditEventsResult {
  readonly events: readonly ListedAuditEvent[];
  /** Lines that are not event records (a damaged trail; run verify). */
  readonly skippedLines: number;
}

/** Reads events from the trail in `dir`, oldest first. */
export async function listAuditEvents(options: ListAuditEventsOptions): Promise<ListAuditEventsResult> {
  const dir = resolve(options.dir);
  const since = parseTime(options.since, 'since');
  const until = parseTime(options.until, 'until');
  const limit = options.limit ?? Infinity;
  let names: string[];
  try {
    names = (await readdir(join(dir, LOGS_DIR))).filter((name) => parseLogFileName(name) !== undefined).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { events: [], skippedLines: 0 };
    throw error;
  }
  const events: ListedAuditEvent[] = [];
  let skippedLines = 0;
  for (const name of names) {
    if (events.length >= limit) break;
    const text = await readFile(join(dir, LOGS_DIR, name), 'utf8');
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const record = parseEventLine(line);
      if (record === undefined) {
        skippedLines++;
        continue;
      }
      const time = Date.parse(record.event.eventTime);
      if (since !== undefined && !(time >= since)) continue;
      if (until !== undefined && !(time < until)) continue;
      if (options.eventName !== undefined && record.event.eventName !== options.eventName) continue;
      if (options.eventSource !== undefined && record.event.eventSource !== options.eventSource) continue;
      events.push({ sequence: record.sequence, event: record.event });
      if (events.length >= limit) break;
    }
  }
  return { events, skippedLines };
}

function parseTime(value: Date | string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const time = value instanceof Date ? value.getTime() : Date.parse(value);
  if (Number.isNaN(time)) throw new RangeError(`${name} is not a valid time: use ISO 8601, e.g. 2026-11-29T02:00:00Z`);
  return time;
}
