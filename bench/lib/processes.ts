// Child processes the AMQP benchmark starts (SealMQ, RabbitMQ, epmd) and their cleanup: each runs in
// its own process group so stopping it stops everything it forked, and every group still alive when
// the benchmark exits (normally, on an error, or on SIGINT/SIGTERM) is killed by its id. Also free
// loopback ports and process-group CPU time. What runs inside each process is the callers' business.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';

const live = new Set<ChildProcess>();
const tempDirs: string[] = [];

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is already gone.
  }
}

process.on('exit', () => {
  for (const child of live) killGroup(child, 'SIGKILL');
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`bench: ${signal}, stopping the brokers\n`);
    void Promise.allSettled([...live].map((child) => stopChild(child, 5_000))).finally(() => process.exit(130));
  });
}

/** Removes `dir` when the benchmark exits. */
export function removeOnExit(dir: string): void {
  tempDirs.push(dir);
}

export interface Spawned {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last ~200 KB of stdout and stderr. */
  output(): string;
}

/** Spawns `command` in a new process group that is killed when the benchmark exits. */
export function spawnGroup(command: string, args: string[], options: SpawnOptions): Spawned {
  const child = spawn(command, args, { ...options, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let output = '';
  const append = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    }),
  );
  child.once('error', (error) => {
    live.delete(child);
    append(Buffer.from(`spawn failed: ${error.message}\n`));
  });
  return { child, exited, output: () => output };
}

/** SIGTERM to the group, SIGKILL after `graceMs`; resolves when the leader has exited. */
export async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) {
    killGroup(child, 'SIGKILL'); // stragglers of an exited leader
    return;
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  killGroup(child, 'SIGTERM');
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
  killGroup(child, 'SIGKILL');
  live.delete(child);
}

/** A port that was free on 127.0.0.1 a moment ago. */
/** Polls `ready` every 250 ms until it is true; throws with `spawned`'s last output if it exits first or `timeoutMs` passes. */
export async function waitUntilReady(ready: () => Promise<boolean>, spawned: Spawned, what: string, timeoutMs: number): Promise<void> {
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  void spawned.exited.then((e) => (exit = e));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await ready()) return;
    if (exit !== undefined) throw new Error(`${what} exited (code ${exit.code}, signal ${exit.signal}) before it was ready:\n${spawned.output().slice(-4000)}`);
    if (Date.now() > deadline) throw new Error(`${what} was not ready within ${timeoutMs} ms:\n${spawned.output().slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const CLOCK_TICKS_PER_S = 100; // USER_HZ on Linux

/** User + system CPU time (ms) of every process in process group `pgid`, from /proc. */
export function groupCpuMs(pgid: number): number {
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // pid (comm) state ppid pgrp ... utime(14) stime(15); comm may contain spaces, so split after ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) !== pgid) continue;
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return (ticks * 1000) / CLOCK_TICKS_PER_S;
}
