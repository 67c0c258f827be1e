// Benchmark of the segment store (`npm run bench:store`, never part of `npm test`): durable 1 KiB
// appends with 1, 10 and 100 concurrent producers (each awaits its append before the next, like a
// publisher waiting for confirms), then cold reads of everything after a restart (one consumer per
// queue, concurrently); each with
// AES-256-GCM and with a null cipher injected through the store's benchmark-only internals seam.
// Modes alternate in back-to-back pairs; throughput figures are the best of BENCH_REPEATS runs and
// ratios are given both as best over best and as the median of the pairs' ratios, to damp a shared
// machine's noise. Also reports appends per fdatasync (how many appends each group commit carried).
// Prints one JSON line. Env: BENCH_SECONDS (per run, default 1), BENCH_REPEATS (default 5).

import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { SegmentMessageStore, type SegmentMessageStoreInternals } from '../src/store/segment-message-store.ts';
import { nullCipher } from '../test/store/null-cipher.ts';
import { TestKeyProvider } from '../test/store/test-key-provider.ts';

const BODY_BYTES = 1024;
const QUEUES = 10;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 1);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);
const PRODUCER_COUNTS = [1, 10, 100] as const;

type Mode = 'encrypted' | 'unencrypted';

function internalsFor(mode: Mode): SegmentMessageStoreInternals {
  return mode === 'encrypted' ? {} : { cipher: nullCipher };
}

interface RunResult {
  appendsPerSec: number;
  /** Process CPU time (user + system) per append: far less sensitive to other load than throughput. */
  cpuUsPerAppend: number;
  readsPerSec: number;
  recoveryMs: number;
  messages: number;
  appendsPerSync: number;
}

async function run(mode: Mode, producers: number): Promise<RunResult> {
  const dataDir = await mkdtemp(join(tmpdir(), 'sealmq-bench-'));
  const keyProvider = new TestKeyProvider();
  const options = { dataDir, brokerId: 'b-bench', kmsKeyId: 'test-key', keyProvider };
  try {
    const store = await SegmentMessageStore.open(options, internalsFor(mode));
    const body = Buffer.alloc(BODY_BYTES, 0x61);
    const properties = Buffer.from('content-type=application/octet-stream;delivery-mode=2');
    let count = 0;
    let stop = false;
    const started = process.hrtime.bigint();
    const cpuStarted = process.cpuUsage();
    const deadline = Date.now() + SECONDS * 1000;
    const timer = setTimeout(() => (stop = true), SECONDS * 1000);
    await Promise.all(
      Array.from({ length: producers }, async (_, p) => {
        const queueId = `bench-queue-${p % QUEUES}`;
        while (!stop && Date.now() < deadline) {
          await store.append([{ queueId, message: { exchange: 'amq.direct', routingKey: queueId, properties, body } }]);
          count++;
        }
      }),
    );
    clearTimeout(timer);
    const elapsedS = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu = process.cpuUsage(cpuStarted);
    const syncs = store.syncLatency.snapshot().count;
    await store.close();

    const recoveryStarted = process.hrtime.bigint();
    const reopened = await SegmentMessageStore.open(options, internalsFor(mode));
    const recoveryMs = Number(process.hrtime.bigint() - recoveryStarted) / 1e6;
    const readStarted = process.hrtime.bigint();
    let read = 0;
    // One consumer per queue, all at once, as a broker's consumers read.
    await Promise.all(
      Array.from({ length: QUEUES }, async (_, q) => {
        for await (const message of reopened.iterate(`bench-queue-${q}`)) {
          if (message.body.length !== BODY_BYTES) throw new Error('short read');
          read++;
        }
      }),
    );
    const readS = Number(process.hrtime.bigint() - readStarted) / 1e9;
    await reopened.close();
    if (read !== count) throw new Error(`read ${read} of ${count}`);
    return {
      appendsPerSec: count / elapsedS,
      cpuUsPerAppend: (cpu.user + cpu.system) / count,
      readsPerSec: read / readS,
      recoveryMs,
      messages: count,
      // The first sync is the new segment's, before any append.
      appendsPerSync: count / Math.max(1, syncs - 1),
    };
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

const best: Record<Mode, Record<number, RunResult>> = { encrypted: {}, unencrypted: {} };
/** Per producer count: encrypted/unencrypted of each back-to-back pair (same machine conditions). */
const pairRatios: Record<number, { appends: number[]; reads: number[] }> = {};
const cpuCosts: Record<Mode, Record<number, number[]>> = { encrypted: {}, unencrypted: {} };
const appendsPerSync: Record<Mode, Record<number, number[]>> = { encrypted: {}, unencrypted: {} };
for (const producers of PRODUCER_COUNTS) {
  pairRatios[producers] = { appends: [], reads: [] };
  for (let rep = 0; rep < REPEATS; rep++) {
    const order: Mode[] = rep % 2 === 0 ? ['encrypted', 'unencrypted'] : ['unencrypted', 'encrypted'];
    const pair: Partial<Record<Mode, RunResult>> = {};
    for (const mode of order) {
      const result = await run(mode, producers);
      pair[mode] = result;
      (cpuCosts[mode][producers] ??= []).push(result.cpuUsPerAppend);
      (appendsPerSync[mode][producers] ??= []).push(result.appendsPerSync);
      const previous = best[mode][producers];
      best[mode][producers] = {
        appendsPerSec: Math.max(previous?.appendsPerSec ?? 0, result.appendsPerSec),
        cpuUsPerAppend: 0,
        readsPerSec: Math.max(previous?.readsPerSec ?? 0, result.readsPerSec),
        recoveryMs: Math.min(previous?.recoveryMs ?? Infinity, result.recoveryMs),
        messages: Math.max(previous?.messages ?? 0, result.messages),
        appendsPerSync: 0,
      };
    }
    pairRatios[producers]!.appends.push(pair.encrypted!.appendsPerSec / pair.unencrypted!.appendsPerSec);
    pairRatios[producers]!.reads.push(pair.encrypted!.readsPerSec / pair.unencrypted!.readsPerSec);
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const round = (n: number): number => Math.round(n);
const figures = (mode: Mode): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const p of PRODUCER_COUNTS) out[`appendsPerSec_${p}p`] = round(best[mode][p]!.appendsPerSec);
  for (const p of PRODUCER_COUNTS) out[`cpuUsPerAppend_${p}p_median`] = Number(median(cpuCosts[mode][p]!).toFixed(2));
  for (const p of PRODUCER_COUNTS) out[`appendsPerSync_${p}p_median`] = Number(median(appendsPerSync[mode][p]!).toFixed(1));
  out.readsPerSec = round(best[mode][100]!.readsPerSec);
  out.recoveryMsFor100pRun = round(best[mode][100]!.recoveryMs);
  out.messagesIn100pRun = best[mode][100]!.messages;
  return out;
};
const fixed = (n: number): number => Number(n.toFixed(3));
const ratios: Record<string, number> = {};
for (const p of PRODUCER_COUNTS) {
  ratios[`appends_${p}p_medianOfPairs`] = fixed(median(pairRatios[p]!.appends));
  ratios[`appends_${p}p_bestOverBest`] = fixed(best.encrypted[p]!.appendsPerSec / best.unencrypted[p]!.appendsPerSec);
}
for (const p of PRODUCER_COUNTS) {
  // What the ratio would be if appends were bound by CPU alone (unencrypted cost / encrypted cost).
  ratios[`appends_${p}p_cpuBound`] = fixed(median(cpuCosts.unencrypted[p]!) / median(cpuCosts.encrypted[p]!));
}
ratios.reads_medianOfPairs = fixed(median(pairRatios[100]!.reads));
ratios.reads_bestOverBest = fixed(best.encrypted[100]!.readsPerSec / best.unencrypted[100]!.readsPerSec);

console.log(
  JSON.stringify({
    bench: 'store',
    bodyBytes: BODY_BYTES,
    durability: 'fdatasync before each append resolves (group commit)',
    secondsPerRun: SECONDS,
    repeats: REPEATS,
    node: process.version,
    cpus: cpus().length,
    encrypted: figures('encrypted'),
    unencrypted: figures('unencrypted'),
    encryptedOverUnencrypted: ratios,
    targets: { appendsPerSec_100p: 50_000, encryptedOverUnencrypted: 0.9 },
  }),
);
