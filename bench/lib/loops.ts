// The loop shapes every benchmark phase is built from, for bench:amqp (workload.ts) and
// bench:activemq (activemq-workloads.ts) alike: a Waiter that phases block on, a window of sends
// outstanding (confirms, receipts, PUBACKs, dispositions), a sender at a fixed rate on a schedule,
// and the CPU meter of a phase. What is sent and how a send settles is the caller's (its protocol
// client); so is counting what the broker confirmed.
import { performance } from 'node:perf_hooks';

/** A wait hit its time bound: a phase reports this as incomplete, not as a failure. */
export class BoundReached extends Error {}

/** Resolves when `predicate` holds, re-checked whenever `wake()` is called; rejects after `timeoutMs`. */
export class Waiter {
  private pending: { predicate: () => boolean; resolve: () => void; reject: (error: Error) => void }[] = [];

  wake(): void {
    const still: typeof this.pending = [];
    for (const p of this.pending) (p.predicate() ? p.resolve() : still.push(p));
    this.pending = still;
  }

  /** Rejects every pending wait (the connection it waits on failed). */
  fail(error: Error): void {
    for (const p of this.pending.splice(0)) p.reject(error);
  }

  /** Rejects with BoundReached after `timeoutMs`; `what` names what was awaited in that error. */
  until(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending = this.pending.filter((p) => p !== entry);
        reject(new BoundReached(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const entry = {
        predicate,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (error: Error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.pending.push(entry);
    });
  }
}

/**
 * At most `size` sends outstanding: `run` sends until `stop()` or `max` sends, waiting whenever the
 * window is full or `blocked()` (a client's own flow control: a full socket buffer, no link credit),
 * then waits for the last one to settle. The caller calls `settle()` once per send, whatever the
 * outcome, and wakes the waiter when `blocked()` may have changed.
 */
export class SendWindow {
  private outstanding = 0;

  constructor(
    private readonly waiter: Waiter,
    private readonly size: number,
    private readonly boundMs: number,
    private readonly blocked: () => boolean = () => false,
  ) {}

  /** One send settled (confirmed, refused, receipted...). */
  readonly settle = (): void => {
    this.outstanding--;
    this.waiter.wake();
  };

  /** Returns how many sends it made; `what` names the settlements in a timeout's message. */
  async run(max: number, stop: () => boolean, send: () => void, what: string): Promise<number> {
    let sent = 0;
    const open = () => this.outstanding < this.size && !this.blocked();
    while (!stop() && sent < max) {
      if (!open()) await this.waiter.until(open, this.boundMs, what);
      this.outstanding++;
      sent++;
      send();
    }
    await this.waiter.until(() => this.outstanding === 0, this.boundMs, `the last ${what}`);
    return sent;
  }
}

/**
 * Calls `send(seq)` for seq = 0 .. total-1 at `ratePerSec`, on a schedule from the first send: each
 * tick sends what is due by then, so timer jitter delays sends but does not change the rate.
 */
export function sendAtRate(ratePerSec: number, total: number, send: (seq: number) => void): Promise<void> {
  let sent = 0;
  const started = performance.now();
  return new Promise((resolve) => {
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * ratePerSec) + 1);
      while (sent < due) send(sent++);
      if (sent >= total) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
}

/** CPU spent during a phase, per message. */
export interface PhaseCpu {
  /** Broker CPU time per message (µs). */
  brokerCpuUsPerMsg: number;
  /** Broker CPU time / wall time (1.0 = one core busy). */
  brokerCores: number;
  clientCpuUsPerMsg: number;
}

/** Starts metering the broker's and this process's CPU; call the result with the phase's message count. */
export function cpuMeter(broker: { cpuMs(): number }): (messages: number) => PhaseCpu {
  const brokerStart = broker.cpuMs();
  const clientStart = process.cpuUsage();
  const wallStart = performance.now();
  return (messages) => {
    const brokerMs = broker.cpuMs() - brokerStart;
    const client = process.cpuUsage(clientStart);
    const wallMs = performance.now() - wallStart;
    const n = Math.max(messages, 1);
    return { brokerCpuUsPerMsg: (brokerMs * 1000) / n, brokerCores: brokerMs / wallMs, clientCpuUsPerMsg: (client.user + client.system) / n };
  };
}

/** `total` split over `parts` as evenly as possible: part `index`'s share (the shares add up to `total`). */
export function shareOf(total: number, parts: number, index: number): number {
  return Math.floor(total / parts) + (index < total % parts ? 1 : 0);
}
