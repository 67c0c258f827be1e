// Resource alarms as RabbitMQ has them (docs/alarms.md, docs/memory.md, docs/disk-alarms.md): a
// memory alarm while memory used is at or above the high watermark, a disk alarm while free disk
// is below the limit. Probes are injected; `check()` samples them (the broker polls on its clock).
// While any alarm is set publishers are blocked: the session sends connection.blocked and stops
// reading from publishing connections, then connection.unblocked when every alarm has cleared.

import { EventEmitter } from 'node:events';

export type AlarmResource = 'memory' | 'disk';

export interface FlowControlOptions {
  /** Bytes of memory in use (e.g. process.memoryUsage().rss). */
  readonly memoryUsedBytes: () => number;
  readonly memoryHighWatermarkBytes: number;
  /** Free bytes on the data directory's file system. */
  readonly diskFreeBytes: () => number;
  readonly diskFreeLimitBytes: number;
}

export interface FlowControlEvents {
  /** The first alarm was raised; `reason` names it as connection.blocked's reason does. */
  blocked: [reason: string];
  /** The last alarm cleared. */
  unblocked: [];
}

export class FlowControl extends EventEmitter<FlowControlEvents> {
  readonly #alarms = new Set<AlarmResource>();

  constructor(readonly options: FlowControlOptions | undefined) {
    super();
  }

  get blocked(): boolean {
    return this.#alarms.size > 0;
  }

  get alarms(): readonly AlarmResource[] {
    return [...this.#alarms];
  }

  /** Samples the probes and raises or clears alarms; emits blocked/unblocked on transitions. */
  check(): void {
    const options = this.options;
    if (options === undefined) return;
    this.#set('memory', options.memoryUsedBytes() >= options.memoryHighWatermarkBytes);
    this.#set('disk', options.diskFreeBytes() < options.diskFreeLimitBytes);
  }

  #set(resource: AlarmResource, raised: boolean): void {
    const wasBlocked = this.blocked;
    if (raised) this.#alarms.add(resource);
    else this.#alarms.delete(resource);
    if (!wasBlocked && this.blocked) this.emit('blocked', `low on ${resource}`);
    else if (wasBlocked && !this.blocked) this.emit('unblocked');
  }
}
