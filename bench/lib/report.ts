// What the benchmark scripts (amqp.bench.ts, activemq.bench.ts) share around their workloads: env
// knobs read with bounds, figures rounded for the JSON line, each figure's median over rounds, and
// the plain-text table. The workloads and what they measure are workload.ts's and
// activemq-workloads.ts's.

/** The number in env `name`, or `fallback` when unset; throws unless it lies in [min, max]. */
export function envNumber(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) throw new Error(`${name} must be a number in [${min}, ${max}], got ${raw}`);
  return value;
}

/** `x` to `digits` decimals; null when it is missing or not finite (JSON has no NaN). */
export function round(x: number | null | undefined, digits = 2): number | null {
  return x != null && Number.isFinite(x) ? Number(x.toFixed(digits)) : null;
}

/**
 * Each figure's median over the rounds, the rounds' median of an even count being the mean of the
 * middle two (msg/s to 0 decimals, the rest to 2); a boolean is true only if true in every round;
 * a string is the first round's that has one. Any other value (an object) is the first round's:
 * the caller merges those itself.
 */
export function medianFigures<F extends object>(all: readonly F[]): F {
  const rows = all as readonly Record<string, unknown>[];
  const out: Record<string, unknown> = { ...rows[0] };
  for (const key of Object.keys(out)) {
    const values = rows.map((f) => f[key]);
    if (values.some((v) => typeof v === 'boolean')) out[key] = values.every((v) => v === true);
    else if (values.some((v) => typeof v === 'string')) out[key] = values.find((v) => typeof v === 'string') ?? null;
    else if (values.every((v) => typeof v === 'number' || v === null)) {
      const numbers = values.filter((v): v is number => typeof v === 'number').sort((a, b) => a - b);
      const mid = numbers.length >> 1;
      out[key] = numbers.length === 0 ? null : numbers.length % 2 === 1 ? numbers[mid]! : round((numbers[mid - 1]! + numbers[mid]!) / 2, key.endsWith('MsgPerSec') ? 0 : 2);
    }
  }
  return out as F;
}

/** Rows of cells as a text table: the first column left-aligned, the others right-aligned. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ')).join('\n');
}
