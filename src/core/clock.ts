// Time for the core: wall-clock milliseconds and timers, injected so TTL, queue expiry and alarm
// polling are tested with a fake clock and never with real waits.

export type TimerHandle = { readonly id: number };

/** What the core needs of time. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** Node's longest single timer; a longer delay (x-expires and TTL go to 2^32-1 ms) is a chain of them. */
export const TIMER_STEP_MAX_MS = 2 ** 31 - 1;

/** The real clock. */
export function systemClock(): Clock {
  let nextId = 1;
  const timers = new Map<number, NodeJS.Timeout>();
  const arm = (id: number, callback: () => void, restMs: number): void => {
    const step = Math.min(restMs, TIMER_STEP_MAX_MS);
    const timer = setTimeout(() => {
      if (restMs > step) {
        arm(id, callback, restMs - step);
        return;
      }
      timers.delete(id);
      callback();
    }, step);
    timer.unref();
    timers.set(id, timer);
  };
  return {
    now: () => Date.now(),
    setTimeout(callback, delayMs) {
      const id = nextId++;
      arm(id, callback, Math.max(0, delayMs));
      return { id };
    },
    clearTimeout(handle) {
      const timer = timers.get(handle.id);
      if (timer !== undefined) clearTimeout(timer);
      timers.delete(handle.id);
    },
  };
}

/** A clock that moves only when a test calls `advance`; due timers fire in due-time order. */
export class FakeClock implements Clock {
  #now: number;
  #nextId = 1;
  readonly #timers = new Map<number, { dueMs: number; callback: () => void }>();

  constructor(startMs = 1_700_000_000_000) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const id = this.#nextId++;
    this.#timers.set(id, { dueMs: this.#now + Math.max(0, delayMs), callback });
    return { id };
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers.delete(handle.id);
  }

  /** Number of pending timers. */
  get pendingTimers(): number {
    return this.#timers.size;
  }

  /** Moves time forward, firing every timer that falls due on the way. */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      let nextId = -1;
      let nextDue = Infinity;
      for (const [id, timer] of this.#timers) {
        if (timer.dueMs <= target && (timer.dueMs < nextDue || (timer.dueMs === nextDue && id < nextId))) {
          nextDue = timer.dueMs;
          nextId = id;
        }
      }
      if (nextId < 0) break;
      const timer = this.#timers.get(nextId)!;
      this.#timers.delete(nextId);
      this.#now = Math.max(this.#now, timer.dueMs);
      timer.callback();
    }
    this.#now = target;
  }
}
