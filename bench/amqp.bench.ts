// AMQP benchmark (`npm run bench:amqp`, never part of `npm test`): the same workload against SealMQ
// (`sealmq serve`) and against a private RabbitMQ node from Debian's rabbitmq-server, one broker at a
// time in one run, both over TLS on 127.0.0.1 with the same amqplib client settings. Prints a table,
// then ONE JSON line with both brokers' figures, the ratios (direction in each key name) and whether
// issue 4's targets are met. Workload in lib/workload.ts, broker start-up in lib/brokers.ts.
// Env (all optional): BENCH_PUBLISHERS, BENCH_CONFIRM_WINDOW, BENCH_PUBLISH_SECONDS,
// BENCH_PUBLISH_MAX, BENCH_CONSUMERS, BENCH_PREFETCH, BENCH_LATENCY_RATE, BENCH_LATENCY_SECONDS,
// BENCH_BROKERS (default "sealmq,rabbitmq"), BENCH_SEALMQ_CPU_PROF_DIR (V8 profile of SealMQ),
// BENCH_ROUNDS (default 3): the broker order alternates per round (A B, then B A) to spread a shared
// machine's drifting load over both; each figure is the median over rounds (all rounds in the JSON).
import { cpus, loadavg } from 'node:os';
import { startRabbitmq, startSealmq, ensureRabbitmqInstalled, type BenchBroker } from './lib/brokers.ts';
import { envNumber, medianFigures, round, table } from './lib/report.ts';
import { runWorkload, type WorkloadResult, type WorkloadSettings } from './lib/workload.ts';

const settings: WorkloadSettings = {
  bodyBytes: 1024,
  publishers: envNumber('BENCH_PUBLISHERS', 4, 1, 64),
  confirmWindow: envNumber('BENCH_CONFIRM_WINDOW', 256, 1, 10_000),
  publishSeconds: envNumber('BENCH_PUBLISH_SECONDS', 10, 1, 120),
  publishMessagesMax: envNumber('BENCH_PUBLISH_MAX', 500_000, 1_000, 5_000_000),
  consumers: envNumber('BENCH_CONSUMERS', 1, 1, 64),
  prefetch: envNumber('BENCH_PREFETCH', 500, 1, 65_535),
  consumeSecondsMax: 120,
  warmupMessages: 10_000,
  latencyRatePerSec: envNumber('BENCH_LATENCY_RATE', 1_000, 1, 50_000),
  latencyWarmupSeconds: 2,
  latencySeconds: envNumber('BENCH_LATENCY_SECONDS', 10, 1, 120),
  latencyDrainSecondsMax: 30,
};

const TARGET_THROUGHPUT_RATIO = 1.5;

type BrokerName = BenchBroker['name'];
const brokerNames = (process.env.BENCH_BROKERS ?? 'sealmq,rabbitmq').split(',').map((n) => n.trim()) as BrokerName[];
for (const name of brokerNames) if (name !== 'sealmq' && name !== 'rabbitmq') throw new Error(`BENCH_BROKERS: unknown broker ${name}`);

const rounds = envNumber('BENCH_ROUNDS', 3, 1, 10);

const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

async function measure(name: BrokerName): Promise<{ version: string; result: WorkloadResult }> {
  log(`starting ${name}`);
  const broker = name === 'sealmq' ? await startSealmq() : await startRabbitmq();
  try {
    const result = await runWorkload(broker, settings, log);
    return { version: broker.version, result };
  } catch (error) {
    log(`${name} failed; its last output:\n${broker.outputTail()}`);
    throw error;
  } finally {
    await broker.stop();
    log(`stopped ${name}`);
  }
}

function figures(r: WorkloadResult) {
  return {
    tls: r.tls,
    publishMsgPerSec: round(r.publish.msgPerSec, 0),
    publishConfirmed: r.publish.confirmed,
    publishNacked: r.publish.nacked,
    publishConfirmP50Ms: round(r.publish.confirmLatencyP50Ms),
    publishConfirmP99Ms: round(r.publish.confirmLatencyP99Ms),
    publishBrokerCpuUsPerMsg: round(r.publish.brokerCpuUsPerMsg, 1),
    publishBrokerCores: round(r.publish.brokerCores),
    publishClientCpuUsPerMsg: round(r.publish.clientCpuUsPerMsg, 1),
    consumeMsgPerSec: round(r.consume.msgPerSec, 0),
    consumeMessages: r.consume.consumed,
    consumeDrained: r.consume.drained,
    consumeBrokerCpuUsPerMsg: round(r.consume.brokerCpuUsPerMsg, 1),
    consumeBrokerCores: round(r.consume.brokerCores),
    consumeClientCpuUsPerMsg: round(r.consume.clientCpuUsPerMsg, 1),
    latencyRatePerSec: r.latency.ratePerSec,
    latencyReceived: r.latency.received,
    latencySent: r.latency.sent,
    latencyP50Ms: round(r.latency.p50Ms),
    latencyP95Ms: round(r.latency.p95Ms),
    latencyP99Ms: round(r.latency.p99Ms),
    latencyMaxMs: round(r.latency.maxMs),
    latencyConfirmP99Ms: round(r.latency.confirmP99Ms),
    latencyBrokerCores: round(r.latency.brokerCores),
  };
}

type Figures = ReturnType<typeof figures>;

async function main(): Promise<void> {
  if (brokerNames.includes('rabbitmq')) ensureRabbitmqInstalled();
  const results: Partial<Record<BrokerName, { version: string; rounds: Figures[] }>> = {};
  for (let roundIndex = 0; roundIndex < rounds; roundIndex++) {
    const order = roundIndex % 2 === 0 ? brokerNames : [...brokerNames].reverse();
    for (const name of order) {
      log(`round ${roundIndex + 1}/${rounds}`);
      const { version, result } = await measure(name);
      (results[name] ??= { version, rounds: [] }).rounds.push(figures(result));
    }
  }

  const s = results.sealmq !== undefined ? medianFigures(results.sealmq.rounds) : undefined;
  const r = results.rabbitmq !== undefined ? medianFigures(results.rabbitmq.rounds) : undefined;
  const ratio = (a: number | null | undefined, b: number | null | undefined) => (a != null && b != null && b !== 0 ? round(a / b) : null);
  const ratios = {
    publishThroughputSealmqOverRabbitmq: ratio(s?.publishMsgPerSec, r?.publishMsgPerSec),
    consumeThroughputSealmqOverRabbitmq: ratio(s?.consumeMsgPerSec, r?.consumeMsgPerSec),
    latencyP99RabbitmqOverSealmq: ratio(r?.latencyP99Ms, s?.latencyP99Ms),
    latencyP50RabbitmqOverSealmq: ratio(r?.latencyP50Ms, s?.latencyP50Ms),
  };
  const complete = s !== undefined && r !== undefined && s.consumeDrained && r.consumeDrained && s.latencyReceived === s.latencySent && r.latencyReceived === r.latencySent;
  const targets = {
    publishThroughputAtLeast1_5xRabbitmq: ratios.publishThroughputSealmqOverRabbitmq !== null ? ratios.publishThroughputSealmqOverRabbitmq >= TARGET_THROUGHPUT_RATIO : null,
    consumeThroughputAtLeast1_5xRabbitmq: ratios.consumeThroughputSealmqOverRabbitmq !== null ? ratios.consumeThroughputSealmqOverRabbitmq >= TARGET_THROUGHPUT_RATIO : null,
    latencyP99AtMostRabbitmq: ratios.latencyP99RabbitmqOverSealmq !== null ? ratios.latencyP99RabbitmqOverSealmq >= 1 : null,
  };
  const allMet = complete && Object.values(targets).every((t) => t === true);

  const keys: [string, keyof ReturnType<typeof figures>][] = [
    ['TLS', 'tls'],
    ['publish msg/s (confirmed)', 'publishMsgPerSec'],
    ['  confirm p50 / p99 ms', 'publishConfirmP50Ms'],
    ['  broker CPU µs/msg', 'publishBrokerCpuUsPerMsg'],
    ['  broker cores busy', 'publishBrokerCores'],
    ['  client CPU µs/msg', 'publishClientCpuUsPerMsg'],
    ['consume msg/s (acked)', 'consumeMsgPerSec'],
    ['  messages drained', 'consumeMessages'],
    ['  broker CPU µs/msg', 'consumeBrokerCpuUsPerMsg'],
    ['  broker cores busy', 'consumeBrokerCores'],
    ['  client CPU µs/msg', 'consumeClientCpuUsPerMsg'],
    ['latency p50 ms', 'latencyP50Ms'],
    ['latency p95 ms', 'latencyP95Ms'],
    ['latency p99 ms', 'latencyP99Ms'],
    ['latency max ms', 'latencyMaxMs'],
    ['  delivered / sent', 'latencyReceived'],
    ['  confirm p99 ms', 'latencyConfirmP99Ms'],
  ];
  const cell = (f: ReturnType<typeof figures> | undefined, key: keyof ReturnType<typeof figures>): string => {
    if (f === undefined) return '-';
    if (key === 'publishConfirmP50Ms') return `${f.publishConfirmP50Ms} / ${f.publishConfirmP99Ms}`;
    if (key === 'latencyReceived') return `${f.latencyReceived} / ${f.latencySent}`;
    return String(f[key]);
  };
  const rows: [string, ...string[]][] = [
    ['', `SealMQ ${results.sealmq?.version ?? ''}`.trim(), `RabbitMQ ${results.rabbitmq?.version ?? ''}`.trim()],
    ...keys.map(([label, key]): [string, string, string] => [label, cell(s, key), cell(r, key)]),
  ];
  const yesNo = (t: boolean | null) => (t === null ? 'n/a' : t ? 'MET' : 'MISSED');
  console.log(
    [
      `AMQP benchmark: ${settings.bodyBytes} B persistent messages, durable queue, TLS, amqplib; ${settings.publishers} publishers x confirm window ${settings.confirmWindow}, ` +
        `${settings.publishSeconds} s; ${settings.consumers} consumer(s), prefetch ${settings.prefetch}, ack per message; latency at ${settings.latencyRatePerSec} msg/s for ${settings.latencySeconds} s. ` +
        `${cpus().length} cores shared by client and broker. ` +
        `Median of ${rounds} round(s), broker order alternating. Load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(' ')}.`,
      '',
      table(rows),
      '',
      `publish throughput SealMQ/RabbitMQ  ${ratios.publishThroughputSealmqOverRabbitmq}  (target >= ${TARGET_THROUGHPUT_RATIO}: ${yesNo(targets.publishThroughputAtLeast1_5xRabbitmq)})`,
      `consume throughput SealMQ/RabbitMQ  ${ratios.consumeThroughputSealmqOverRabbitmq}  (target >= ${TARGET_THROUGHPUT_RATIO}: ${yesNo(targets.consumeThroughputAtLeast1_5xRabbitmq)})`,
      `p99 latency RabbitMQ/SealMQ         ${ratios.latencyP99RabbitmqOverSealmq}  (target >= 1, i.e. SealMQ p99 <= RabbitMQ p99: ${yesNo(targets.latencyP99AtMostRabbitmq)})`,
      complete ? '' : 'WARNING: a phase hit its time bound (not drained, or latency messages missing); see the JSON.',
    ].join('\n'),
  );
  console.log(
    JSON.stringify({
      bench: 'amqp',
      date: new Date().toISOString(),
      cores: cpus().length,
      settings,
      versions: { sealmq: results.sealmq?.version ?? null, rabbitmq: results.rabbitmq?.version ?? null },
      rounds,
      loadAverage: loadavg().map((l) => round(l)),
      sealmq: s ?? null,
      rabbitmq: r ?? null,
      perRound: { sealmq: results.sealmq?.rounds ?? [], rabbitmq: results.rabbitmq?.rounds ?? [] },
      ratios,
      targets,
      complete,
      allTargetsMet: allMet,
    }),
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench: failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
