// A cumulative latency histogram with fixed bucket bounds, kept by the component that measures (the
// store's fdatasync, the broker's publisher confirms) and read by whoever reports it (the Prometheus
// endpoint in control/metrics.ts). Observing is a few array operations and never allocates, so it can
// sit on the hot path; how the counts are exposed, and with which labels, is left to the reader.

/** Upper bounds in seconds for durations from a tenth of a millisecond to seconds. */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];

/** What a reader sees: the count at or below each bound (cumulative, as Prometheus' `le`), sum and count. */
export interface LatencyHistogramSnapshot {
  readonly boundsSeconds: readonly number[];
  /** `cumulativeCounts[i]` observations were <= `boundsSeconds[i]`; `count` includes those above the last bound. */
  readonly cumulativeCounts: readonly number[];
  readonly sumSeconds: number;
  readonly count: number;
}

export class LatencyHistogram {
  readonly boundsSeconds: readonly number[];
  /** Per-bucket (not cumulative) counts; the last slot holds observations above every bound. */
  readonly #counts: number[];
  #sumSeconds = 0;
  #count = 0;

  constructor(boundsSeconds: readonly number[] = LATENCY_BUCKETS_SECONDS) {
    for (let i = 0; i < boundsSeconds.length; i++) {
      const bound = boundsSeconds[i]!;
      if (!Number.isFinite(bound) || bound <= 0 || (i > 0 && bound <= boundsSeconds[i - 1]!)) {
        throw new RangeError('histogram bounds must be positive, finite and increasing');
      }
    }
    this.boundsSeconds = [...boundsSeconds];
    this.#counts = new Array<number>(boundsSeconds.length + 1).fill(0);
  }

  /** Records one duration in seconds; a negative or non-finite one (a clock step) counts as 0. */
  observe(seconds: number): void {
    const value = Number.isFinite(seconds) && seconds > 0 ? seconds : 0;
    const bounds = this.boundsSeconds;
    let index = 0;
    while (index < bounds.length && value > bounds[index]!) index++;
    this.#counts[index]!++;
    this.#sumSeconds += value;
    this.#count++;
  }

  /** Records the time since `startMs`, a `performance.now()` reading. */
  observeSince(startMs: number): void {
    this.observe((performance.now() - startMs) / 1000);
  }

  get count(): number {
    return this.#count;
  }

  snapshot(): LatencyHistogramSnapshot {
    const cumulativeCounts: number[] = [];
    let running = 0;
    for (let i = 0; i < this.boundsSeconds.length; i++) {
      running += this.#counts[i]!;
      cumulativeCounts.push(running);
    }
    return { boundsSeconds: this.boundsSeconds, cumulativeCounts, sumSeconds: this.#sumSeconds, count: this.#count };
  }
}
