// Small statistics helpers for the benchmarks: nearest-rank percentiles over sorted samples, and the
// latency summary every latency phase reports.

/** The nearest-rank `p`th percentile of ascending `sorted`; NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export interface LatencySummary {
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  /** NaN when there are no samples. */
  maxMs: number;
}

/** What a latency phase at a fixed rate reports: publish -> delivery over the measured messages. */
export interface FixedRateLatency extends LatencySummary {
  ratePerSec: number;
  /** Messages sent after the warm-up. */
  sent: number;
  /** Of those, delivered within the phase's bound. */
  received: number;
  /** Broker CPU time / wall time during the phase. */
  brokerCores: number;
}

/** Sorts `samplesMs` in place and summarises it. */
export function latencySummary(samplesMs: number[]): LatencySummary {
  samplesMs.sort((a, b) => a - b);
  return {
    p50Ms: percentile(samplesMs, 50),
    p95Ms: percentile(samplesMs, 95),
    p99Ms: percentile(samplesMs, 99),
    maxMs: samplesMs.length > 0 ? samplesMs[samplesMs.length - 1]! : Number.NaN,
  };
}

/** The sum of `values`. */
export function sum(values: readonly number[]): number {
  return values.reduce((a, n) => a + n, 0);
}
