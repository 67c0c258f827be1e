// What `sealmq audit verify` and `sealmq audit list` do, as plain functions the CLI calls: they take
// parsed options and return the text to print and the exit code, so the CLI (src/cli) only parses
// arguments and writes output. Exit codes: 0 valid, 1 findings, 2 the trail or a file given is unusable.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { listAuditEvents } from './list.ts';
import { DIGESTS_DIR, LOGS_DIR, type TrailHead } from './trail-format.ts';
import { formatVerifyReport, verifyAuditTrail } from './verify.ts';

export interface AuditCommandResult {
  readonly exitCode: 0 | 1 | 2;
  /** Lines to print on stdout (or stderr for exit code 2), without trailing newline. */
  readonly output: string;
}

export interface AuditVerifyCommandOptions {
  /** The trail directory, e.g. `<data>/audit`. */
  readonly dir: string;
  /** A PEM public key kept outside the trail; without it the trail's own public keys are used. */
  readonly publicKeyFile?: string | undefined;
  /** A head (`{digestFile, digestSignature}` JSON, as `onSeal` publishes it) kept outside the trail. */
  readonly anchorFile?: string | undefined;
  readonly from?: string | undefined;
  readonly to?: string | undefined;
  /** Print the report as JSON instead of lines. */
  readonly json?: boolean | undefined;
}

/** `sealmq audit verify`: checks the whole trail; exit code 1 when there is any finding. */
export async function runAuditVerify(options: AuditVerifyCommandOptions): Promise<AuditCommandResult> {
  const unusable = await checkTrailDir(options.dir);
  if (unusable !== undefined) return unusable;
  for (const [name, value] of [['--from', options.from], ['--to', options.to]] as const) {
    if (value !== undefined && Number.isNaN(Date.parse(value))) {
      return { exitCode: 2, output: `${name} is not a valid time: use ISO 8601, e.g. 2026-11-29T02:00:00Z` };
    }
  }
  let publicKeyPem: string | undefined;
  let anchor: Pick<TrailHead, 'digestFile' | 'digestSignature'> | undefined;
  try {
    if (options.publicKeyFile !== undefined) publicKeyPem = await readFile(options.publicKeyFile, 'utf8');
    if (options.anchorFile !== undefined) anchor = JSON.parse(await readFile(options.anchorFile, 'utf8')) as TrailHead;
  } catch (error) {
    return { exitCode: 2, output: `cannot read ${options.publicKeyFile ?? options.anchorFile}: ${(error as Error).message}` };
  }
  let report;
  try {
    report = await verifyAuditTrail({ dir: options.dir, publicKeyPem, anchor, from: options.from, to: options.to });
  } catch (error) {
    return { exitCode: 2, output: `cannot verify the audit trail in ${options.dir}: ${(error as Error).message}` };
  }
  const output = options.json === true ? JSON.stringify(report, null, 2) : formatVerifyReport(report).join('\n');
  return { exitCode: report.valid ? 0 : 1, output };
}

export interface AuditListCommandOptions {
  readonly dir: string;
  readonly since?: string | undefined;
  readonly until?: string | undefined;
  readonly eventName?: string | undefined;
  readonly limit?: number | undefined;
  /** One JSON event per line instead of a summary line per event. */
  readonly json?: boolean | undefined;
}

/** `sealmq audit list --since T`: the events, oldest first. */
export async function runAuditList(options: AuditListCommandOptions): Promise<AuditCommandResult> {
  const unusable = await checkTrailDir(options.dir);
  if (unusable !== undefined) return unusable;
  let result;
  try {
    result = await listAuditEvents(options);
  } catch (error) {
    return { exitCode: 2, output: (error as Error).message };
  }
  const lines = result.events.map(({ sequence, event }) =>
    options.json === true
      ? JSON.stringify(event)
      : [
          String(sequence).padStart(8),
          event.eventTime,
          event.eventSource,
          event.eventName,
          event.userIdentity?.arn ?? event.userIdentity?.userName ?? event.userIdentity?.type ?? '-',
          event.sourceIPAddress ?? '-',
          event.errorCode ?? 'OK',
        ].join('  '),
  );
  if (result.skippedLines > 0) lines.push(`(${result.skippedLines} damaged line(s) skipped: run \`sealmq audit verify\`)`);
  return { exitCode: 0, output: lines.join('\n') };
}

async function checkTrailDir(dir: string): Promise<AuditCommandResult | undefined> {
  try {
    if (!(await stat(dir)).isDirectory()) return { exitCode: 2, output: `${dir} is not a directory` };
  } catch {
    return { exitCode: 2, output: `no audit trail in ${dir} (the directory does not exist)` };
  }
  const parts = await Promise.all([DIGESTS_DIR, LOGS_DIR].map((sub) => stat(join(dir, sub)).then(() => true, () => false)));
  if (!parts.some(Boolean)) return { exitCode: 2, output: `no audit trail in ${dir} (neither ${DIGESTS_DIR}/ nor ${LOGS_DIR}/ found)` };
  return undefined;
}
