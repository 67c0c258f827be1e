// ActiveMQ-engine benchmark (`npm run bench:activemq`, never part of `npm test`; issue 7): the same
// workloads against SealMQ's ACTIVEMQ engine and a reference, one broker at a time in one run, all
// over TLS with one certificate, SealMQ's `activemq` TLS policy and the same client settings:
// STOMP (persistent sends with receipts; client-individual acked consumption from a queue filled to
// a fixed depth) and MQTT (QoS 1 end to end: throughput, and latency at a fixed rate) against Apache
// ActiveMQ from Debian's `activemq`; AMQP 1.0 (durable sends settled on `accepted`, accepted receives
// from a queue filled to a fixed depth) against RabbitMQ's
// rabbitmq_amqp1_0 plugin (Debian's ActiveMQ has no AMQP 1.0). Prints a table, then ONE JSON line
// with every figure, the ratios (direction in each key name) and the targets (>= 2x
// throughput, p99 no higher). Workloads in activemq-workloads.ts, brokers in activemq-brokers.ts.
// Env (all optional): BENCH_ROUNDS (default 3; broker order alternates per round, each figure is the
// median over rounds, all rounds under perRound), BENCH_BROKERS (default "sealmq,activemq,rabbitmq"),
// BENCH_SEND_SECONDS, BENCH_MESSAGES_MAX, BENCH_WARMUP_MESSAGES, BENCH_STOMP_PRODUCERS,
// BENCH_STOMP_WINDOW, BENCH_STOMP_PREFETCH, BENCH_STOMP_CONSUME_MESSAGES (drain depth),
// BENCH_MQTT_PUBLISHERS, BENCH_MQTT_WINDOW, BENCH_MQTT_RATE, BENCH_MQTT_LATENCY_SECONDS,
// BENCH_AMQP10_SENDERS, BENCH_AMQP10_WINDOW, BENCH_AMQP10_CREDIT, BENCH_AMQP10_RECEIVE_MESSAGES
// (drain depth), BENCH_TLS_VERSION (TLSv1.2 default, or TLSv1.3), BENCH_PROTOCOLS (default
// "stomp,mqtt,amqp10"), BENCH_SEALMQ_CPU_PROF_DIR, BENCH_SEALMQ_LOG_LEVEL (default warn).
import { cpus, loadavg } from 'node:os';
import {
  checkTlsPolicy,
  ensureActivemqInstalled,
  makeBenchTls,
  startActivemq,
  startRabbitmq,
  startSealmq,
  type BenchBroker,
  type BenchTls,
  type BrokerName,
  type TlsPolicyCheck,
} from './activemq-brokers.ts';
import { ensureRabbitmqInstalled } from './lib/brokers.ts';
import { envNumber, medianFigures, round, table } from './lib/report.ts';
import { runAmqp10, runMqtt, runStomp, type Amqp10Result, type MqttResult, type StompResult, type WorkloadSettings } from './activemq-workloads.ts';

const settings: WorkloadSettings = {
  bodyBytes: 1024,
  warmupMessages: envNumber('BENCH_WARMUP_MESSAGES', 10_000, 100, 1_000_000),
  stompProducers: envNumber('BENCH_STOMP_PRODUCERS', 4, 1, 64),
  stompReceiptWindow: envNumber('BENCH_STOMP_WINDOW', 64, 1, 10_000),
  stompConsumers: 1,
  stompPrefetch: envNumber('BENCH_STOMP_PREFETCH', 500, 1, 65_535),
  stompConsumeMessages: envNumber('BENCH_STOMP_CONSUME_MESSAGES', 20_000, 100, 1_000_000),
  mqttPublishers: envNumber('BENCH_MQTT_PUBLISHERS', 4, 1, 64),
  mqttPubackWindow: envNumber('BENCH_MQTT_WINDOW', 64, 1, 10_000),
  mqttLatencyRatePerSec: envNumber('BENCH_MQTT_RATE', 1_000, 1, 50_000),
  mqttLatencyWarmupSeconds: 2,
  mqttLatencySeconds: envNumber('BENCH_MQTT_LATENCY_SECONDS', 10, 1, 120),
  amqp10Senders: envNumber('BENCH_AMQP10_SENDERS', 4, 1, 64),
  amqp10Window: envNumber('BENCH_AMQP10_WINDOW', 64, 1, 10_000),
  amqp10Receivers: 1,
  amqp10Credit: envNumber('BENCH_AMQP10_CREDIT', 500, 1, 65_535),
  amqp10ReceiveMessages: envNumber('BENCH_AMQP10_RECEIVE_MESSAGES', 20_000, 100, 1_000_000),
  sendSeconds: envNumber('BENCH_SEND_SECONDS', 10, 1, 120),
  messagesMax: envNumber('BENCH_MESSAGES_MAX', 500_000, 1_000, 5_000_000),
  drainSecondsMax: 120,
  fillSecondsMax: 600,
};

const TARGET_THROUGHPUT_RATIO = 2;
const rounds = envNumber('BENCH_ROUNDS', 3, 1, 10);
const brokerNames = (process.env.BENCH_BROKERS ?? 'sealmq,activemq,rabbitmq').split(',').map((n) => n.trim()) as BrokerName[];
for (const name of brokerNames) if (name !== 'sealmq' && name !== 'activemq' && name !== 'rabbitmq') throw new Error(`BENCH_BROKERS: unknown broker ${name}`);

type Protocol = 'stomp' | 'mqtt' | 'amqp10';
const protocols = (process.env.BENCH_PROTOCOLS ?? 'stomp,mqtt,amqp10').split(',').map((p) => p.trim()) as Protocol[];
for (const p of protocols) if (p !== 'stomp' && p !== 'mqtt' && p !== 'amqp10') throw new Error(`BENCH_PROTOCOLS: unknown protocol ${p}`);

const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

/** One broker's figures from one round; a protocol it does not serve, or that failed, is null. */
interface Figures {
  stompTls: string | null;
  stompSendMsgPerSec: number | null;
  stompSendBrokerCores: number | null;
  stompSendBrokerCpuUsPerMsg: number | null;
  stompSendClientCpuUsPerMsg: number | null;
  stompConsumeMsgPerSec: number | null;
  stompConsumeBrokerCores: number | null;
  stompConsumeBrokerCpuUsPerMsg: number | null;
  stompConsumeClientCpuUsPerMsg: number | null;
  /** Messages the send phase had receipted. */
  stompSendMessages: number | null;
  /** Messages the timed consume phase drained (of settings.stompConsumeMessages). */
  stompConsumeMessages: number | null;
  stompComplete: boolean | null;
  mqttTls: string | null;
  mqttPublishMsgPerSec: number | null;
  mqttDeliveredMsgPerSec: number | null;
  mqttThroughputBrokerCores: number | null;
  mqttThroughputBrokerCpuUsPerMsg: number | null;
  mqttThroughputClientCpuUsPerMsg: number | null;
  mqttThroughputComplete: boolean | null;
  mqttLatencyRatePerSec: number | null;
  mqttLatencyReceived: number | null;
  mqttLatencySent: number | null;
  mqttLatencyP50Ms: number | null;
  mqttLatencyP95Ms: number | null;
  mqttLatencyP99Ms: number | null;
  mqttLatencyMaxMs: number | null;
  mqttLatencyBrokerCores: number | null;
  amqp10Tls: string | null;
  amqp10SendMsgPerSec: number | null;
  amqp10SendRejected: number | null;
  amqp10SendBrokerCores: number | null;
  amqp10SendBrokerCpuUsPerMsg: number | null;
  amqp10SendClientCpuUsPerMsg: number | null;
  amqp10ReceiveMsgPerSec: number | null;
  amqp10ReceiveBrokerCores: number | null;
  amqp10ReceiveBrokerCpuUsPerMsg: number | null;
  amqp10ReceiveClientCpuUsPerMsg: number | null;
  amqp10SendMessages: number | null;
  /** Messages the timed receive phase received (of settings.amqp10ReceiveMessages). */
  amqp10ReceiveMessages: number | null;
  amqp10Complete: boolean | null;
  /** Workloads that failed: protocol -> error message. */
  errors: Record<string, string>;
}

function emptyFigures(): Figures {
  return {
    stompTls: null,
    stompSendMsgPerSec: null,
    stompSendBrokerCores: null,
    stompSendBrokerCpuUsPerMsg: null,
    stompSendClientCpuUsPerMsg: null,
    stompConsumeMsgPerSec: null,
    stompConsumeBrokerCores: null,
    stompConsumeBrokerCpuUsPerMsg: null,
    stompConsumeClientCpuUsPerMsg: null,
    stompSendMessages: null,
    stompConsumeMessages: null,
    stompComplete: null,
    mqttTls: null,
    mqttPublishMsgPerSec: null,
    mqttDeliveredMsgPerSec: null,
    mqttThroughputBrokerCores: null,
    mqttThroughputBrokerCpuUsPerMsg: null,
    mqttThroughputClientCpuUsPerMsg: null,
    mqttThroughputComplete: null,
    mqttLatencyRatePerSec: null,
    mqttLatencyReceived: null,
    mqttLatencySent: null,
    mqttLatencyP50Ms: null,
    mqttLatencyP95Ms: null,
    mqttLatencyP99Ms: null,
    mqttLatencyMaxMs: null,
    mqttLatencyBrokerCores: null,
    amqp10Tls: null,
    amqp10SendMsgPerSec: null,
    amqp10SendRejected: null,
    amqp10SendBrokerCores: null,
    amqp10SendBrokerCpuUsPerMsg: null,
    amqp10SendClientCpuUsPerMsg: null,
    amqp10ReceiveMsgPerSec: null,
    amqp10ReceiveBrokerCores: null,
    amqp10ReceiveBrokerCpuUsPerMsg: null,
    amqp10ReceiveClientCpuUsPerMsg: null,
    amqp10SendMessages: null,
    amqp10ReceiveMessages: null,
    amqp10Complete: null,
    errors: {},
  };
}

function addStomp(f: Figures, r: StompResult): void {
  f.stompTls = r.tls;
  f.stompSendMsgPerSec = round(r.send.msgPerSec, 0);
  f.stompSendBrokerCores = round(r.send.brokerCores);
  f.stompSendBrokerCpuUsPerMsg = round(r.send.brokerCpuUsPerMsg, 1);
  f.stompSendClientCpuUsPerMsg = round(r.send.clientCpuUsPerMsg, 1);
  f.stompConsumeMsgPerSec = round(r.consume.msgPerSec, 0);
  f.stompConsumeBrokerCores = round(r.consume.brokerCores);
  f.stompConsumeBrokerCpuUsPerMsg = round(r.consume.brokerCpuUsPerMsg, 1);
  f.stompConsumeClientCpuUsPerMsg = round(r.consume.clientCpuUsPerMsg, 1);
  f.stompSendMessages = r.send.messages;
  f.stompConsumeMessages = r.consume.messages;
  f.stompComplete = r.consume.complete && r.consume.messages === settings.stompConsumeMessages;
}

function addMqtt(f: Figures, r: MqttResult): void {
  f.mqttTls = r.tls;
  f.mqttPublishMsgPerSec = round(r.publish.msgPerSec, 0);
  f.mqttDeliveredMsgPerSec = round(r.delivered.msgPerSec, 0);
  f.mqttThroughputBrokerCores = round(r.delivered.brokerCores);
  f.mqttThroughputBrokerCpuUsPerMsg = round(r.delivered.brokerCpuUsPerMsg, 1);
  f.mqttThroughputClientCpuUsPerMsg = round(r.delivered.clientCpuUsPerMsg, 1);
  f.mqttThroughputComplete = r.delivered.complete;
  f.mqttLatencyRatePerSec = r.latency.ratePerSec;
  f.mqttLatencyReceived = r.latency.received;
  f.mqttLatencySent = r.latency.sent;
  f.mqttLatencyP50Ms = round(r.latency.p50Ms);
  f.mqttLatencyP95Ms = round(r.latency.p95Ms);
  f.mqttLatencyP99Ms = round(r.latency.p99Ms);
  f.mqttLatencyMaxMs = round(r.latency.maxMs);
  f.mqttLatencyBrokerCores = round(r.latency.brokerCores);
}

function addAmqp10(f: Figures, r: Amqp10Result): void {
  f.amqp10Tls = r.tls;
  f.amqp10SendMsgPerSec = round(r.send.msgPerSec, 0);
  f.amqp10SendRejected = r.send.rejected;
  f.amqp10SendBrokerCores = round(r.send.brokerCores);
  f.amqp10SendBrokerCpuUsPerMsg = round(r.send.brokerCpuUsPerMsg, 1);
  f.amqp10SendClientCpuUsPerMsg = round(r.send.clientCpuUsPerMsg, 1);
  f.amqp10ReceiveMsgPerSec = round(r.receive.msgPerSec, 0);
  f.amqp10ReceiveBrokerCores = round(r.receive.brokerCores);
  f.amqp10ReceiveBrokerCpuUsPerMsg = round(r.receive.brokerCpuUsPerMsg, 1);
  f.amqp10ReceiveClientCpuUsPerMsg = round(r.receive.clientCpuUsPerMsg, 1);
  f.amqp10SendMessages = r.send.messages;
  f.amqp10ReceiveMessages = r.receive.messages;
  f.amqp10Complete = r.receive.complete && r.receive.messages === settings.amqp10ReceiveMessages && r.send.rejected === 0;
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error)).slice(0, 2000);

/** Each figure's median over the rounds (lib/report.ts), with every round's errors. */
function medianOfRounds(all: Figures[]): Figures {
  const errors: Record<string, string> = {};
  all.forEach((f, i) => Object.entries(f.errors).forEach(([k, v]) => (errors[`${k}#${i + 1}`] = v)));
  return { ...medianFigures(all), errors };
}

/** Starts `name`, runs the workloads it is compared on, stops it. A failing workload is recorded, and the next still runs. */
async function measure(name: BrokerName, tls: BenchTls, checkTls: boolean): Promise<{ version: string | null; figures: Figures; tlsChecks?: Record<string, TlsPolicyCheck> }> {
  const figures = emptyFigures();
  log(`starting ${name}`);
  let broker: BenchBroker;
  try {
    broker = name === 'sealmq' ? await startSealmq(tls) : name === 'activemq' ? await startActivemq(tls) : await startRabbitmq(tls);
  } catch (error) {
    log(`${name} did not start: ${errorText(error)}`);
    figures.errors.start = errorText(error);
    return { version: null, figures };
  }
  const workloads: [Protocol, () => Promise<void>][] = [];
  if (name !== 'rabbitmq') {
    workloads.push(['stomp', async () => addStomp(figures, await runStomp(broker, tls, settings, log))]);
    workloads.push(['mqtt', async () => addMqtt(figures, await runMqtt(broker, tls, settings, log))]);
  }
  if (name !== 'activemq') workloads.push(['amqp10', async () => addAmqp10(figures, await runAmqp10(broker, tls, settings, log))]);
  const selected = workloads.filter(([protocol]) => protocols.includes(protocol));
  let tlsChecks: Record<string, TlsPolicyCheck> | undefined;
  if (checkTls) {
    tlsChecks = {};
    for (const [protocol, endpoint] of [['stomp', broker.stomp], ['mqtt', broker.mqtt], ['amqp10', broker.amqp10]] as const) {
      if (endpoint !== undefined && selected.some(([p]) => p === protocol)) tlsChecks[protocol] = await checkTlsPolicy(endpoint, tls).catch((error: unknown) => ({ error: errorText(error) }) as never);
    }
  }
  try {
    for (const [protocol, run] of selected) {
      try {
        await run();
      } catch (error) {
        log(`${name}: the ${protocol} workload failed: ${errorText(error)}\n${name}'s last output:\n${broker.outputTail()}`);
        figures.errors[protocol] = errorText(error);
      }
    }
  } finally {
    await broker.stop();
    log(`stopped ${name}`);
  }
  return { version: broker.version, figures, ...(tlsChecks !== undefined ? { tlsChecks } : {}) };
}

async function main(): Promise<void> {
  if (brokerNames.includes('activemq')) ensureActivemqInstalled();
  if (brokerNames.includes('rabbitmq')) ensureRabbitmqInstalled();
  const tls = await makeBenchTls();
  const results: Partial<Record<BrokerName, { version: string | null; rounds: Figures[]; tlsChecks?: Record<string, TlsPolicyCheck> }>> = {};
  for (let roundIndex = 0; roundIndex < rounds; roundIndex++) {
    const order = roundIndex % 2 === 0 ? brokerNames : [...brokerNames].reverse();
    for (const name of order) {
      log(`round ${roundIndex + 1}/${rounds}`);
      const { version, figures, tlsChecks } = await measure(name, tls, results[name]?.tlsChecks === undefined);
      const entry = (results[name] ??= { version, rounds: [] });
      entry.version ??= version;
      if (tlsChecks !== undefined) entry.tlsChecks = tlsChecks;
      entry.rounds.push(figures);
    }
  }

  const s = results.sealmq !== undefined ? medianOfRounds(results.sealmq.rounds) : undefined;
  const a = results.activemq !== undefined ? medianOfRounds(results.activemq.rounds) : undefined;
  const r = results.rabbitmq !== undefined ? medianOfRounds(results.rabbitmq.rounds) : undefined;
  const ratio = (x: number | null | undefined, y: number | null | undefined) => (x != null && y != null && y !== 0 ? round(x / y) : null);
  const ratios = {
    stompSendThroughputSealmqOverActivemq: ratio(s?.stompSendMsgPerSec, a?.stompSendMsgPerSec),
    stompConsumeThroughputSealmqOverActivemq: ratio(s?.stompConsumeMsgPerSec, a?.stompConsumeMsgPerSec),
    mqttDeliveredThroughputSealmqOverActivemq: ratio(s?.mqttDeliveredMsgPerSec, a?.mqttDeliveredMsgPerSec),
    mqttPublishThroughputSealmqOverActivemq: ratio(s?.mqttPublishMsgPerSec, a?.mqttPublishMsgPerSec),
    mqttLatencyP99ActivemqOverSealmq: ratio(a?.mqttLatencyP99Ms, s?.mqttLatencyP99Ms),
    mqttLatencyP50ActivemqOverSealmq: ratio(a?.mqttLatencyP50Ms, s?.mqttLatencyP50Ms),
    amqp10SendThroughputSealmqOverRabbitmq: ratio(s?.amqp10SendMsgPerSec, r?.amqp10SendMsgPerSec),
    amqp10ReceiveThroughputSealmqOverRabbitmq: ratio(s?.amqp10ReceiveMsgPerSec, r?.amqp10ReceiveMsgPerSec),
  };
  const atLeast = (x: number | null, target: number) => (x === null ? null : x >= target);
  const targets = {
    stompSendAtLeast2xActivemq: atLeast(ratios.stompSendThroughputSealmqOverActivemq, TARGET_THROUGHPUT_RATIO),
    stompConsumeAtLeast2xActivemq: atLeast(ratios.stompConsumeThroughputSealmqOverActivemq, TARGET_THROUGHPUT_RATIO),
    mqttThroughputAtLeast2xActivemq: atLeast(ratios.mqttDeliveredThroughputSealmqOverActivemq, TARGET_THROUGHPUT_RATIO),
    mqttLatencyP99AtMostActivemq: atLeast(ratios.mqttLatencyP99ActivemqOverSealmq, 1),
    amqp10SendAtLeast2xRabbitmq: atLeast(ratios.amqp10SendThroughputSealmqOverRabbitmq, TARGET_THROUGHPUT_RATIO),
    amqp10ReceiveAtLeast2xRabbitmq: atLeast(ratios.amqp10ReceiveThroughputSealmqOverRabbitmq, TARGET_THROUGHPUT_RATIO),
  };
  const noErrors = [s, a, r].every((f) => f === undefined || Object.keys(f.errors).length === 0);
  // Every comparison the run selected (BENCH_PROTOCOLS, BENCH_BROKERS) ran to the end on both sides.
  const ran = (name: BrokerName, ok: boolean) => !brokerNames.includes(name) || ok;
  const mqttComplete = (f: Figures | undefined) => f?.mqttThroughputComplete === true && f.mqttLatencyReceived === f.mqttLatencySent;
  const complete =
    noErrors &&
    (!protocols.includes('stomp') || (ran('sealmq', s?.stompComplete === true) && ran('activemq', a?.stompComplete === true))) &&
    (!protocols.includes('mqtt') || (ran('sealmq', mqttComplete(s)) && ran('activemq', mqttComplete(a)))) &&
    (!protocols.includes('amqp10') || (ran('sealmq', s?.amqp10Complete === true) && ran('rabbitmq', r?.amqp10Complete === true)));
  // Each comparison only holds if both sides' clients negotiated the same TLS version and suite (in every round).
  const tlsSeen = (name: BrokerName, key: 'stompTls' | 'mqttTls' | 'amqp10Tls') =>
    (results[name]?.rounds ?? []).map((f) => f[key]).filter((t): t is string => typeof t === 'string');
  const sameTlsAs = (reference: BrokerName, key: 'stompTls' | 'mqttTls' | 'amqp10Tls') => {
    const ours = tlsSeen('sealmq', key);
    const theirs = tlsSeen(reference, key);
    return ours.length === 0 || theirs.length === 0 ? null : new Set([...ours, ...theirs]).size === 1;
  };
  const sameTls = { stomp: sameTlsAs('activemq', 'stompTls'), mqtt: sameTlsAs('activemq', 'mqttTls'), amqp10: sameTlsAs('rabbitmq', 'amqp10Tls') };
  const tlsDiffers = Object.entries(sameTls).filter(([, same]) => same === false).map(([protocol]) => protocol);
  const allMet = complete && tlsDiffers.length === 0 && Object.values(targets).every((t) => t === true);

  const rows: [string, keyof Figures | ((f: Figures) => string)][] = [
    ['STOMP TLS', 'stompTls'],
    ['STOMP send msg/s (receipts)', 'stompSendMsgPerSec'],
    ['  broker cores busy', 'stompSendBrokerCores'],
    ['  broker / client CPU µs/msg', (f) => `${f.stompSendBrokerCpuUsPerMsg} / ${f.stompSendClientCpuUsPerMsg}`],
    ['STOMP consume msg/s (acked)', 'stompConsumeMsgPerSec'],
    ['  broker cores busy', 'stompConsumeBrokerCores'],
    ['  broker / client CPU µs/msg', (f) => `${f.stompConsumeBrokerCpuUsPerMsg} / ${f.stompConsumeClientCpuUsPerMsg}`],
    ['  sent / drained / complete', (f) => `${f.stompSendMessages} / ${f.stompConsumeMessages} / ${f.stompComplete}`],
    ['MQTT TLS', 'mqttTls'],
    ['MQTT QoS 1 delivered msg/s', 'mqttDeliveredMsgPerSec'],
    ['  PUBACKed msg/s', 'mqttPublishMsgPerSec'],
    ['  broker cores busy', 'mqttThroughputBrokerCores'],
    ['  broker / client CPU µs/msg', (f) => `${f.mqttThroughputBrokerCpuUsPerMsg} / ${f.mqttThroughputClientCpuUsPerMsg}`],
    ['MQTT latency p50 ms', 'mqttLatencyP50Ms'],
    ['MQTT latency p95 ms', 'mqttLatencyP95Ms'],
    ['MQTT latency p99 ms', 'mqttLatencyP99Ms'],
    ['MQTT latency max ms', 'mqttLatencyMaxMs'],
    ['  delivered / sent', (f) => `${f.mqttLatencyReceived} / ${f.mqttLatencySent}`],
    ['AMQP 1.0 TLS', 'amqp10Tls'],
    ['AMQP 1.0 send msg/s (accepted)', 'amqp10SendMsgPerSec'],
    ['  broker cores busy', 'amqp10SendBrokerCores'],
    ['  broker / client CPU µs/msg', (f) => `${f.amqp10SendBrokerCpuUsPerMsg} / ${f.amqp10SendClientCpuUsPerMsg}`],
    ['AMQP 1.0 receive msg/s (accepted)', 'amqp10ReceiveMsgPerSec'],
    ['  broker cores busy', 'amqp10ReceiveBrokerCores'],
    ['  broker / client CPU µs/msg', (f) => `${f.amqp10ReceiveBrokerCpuUsPerMsg} / ${f.amqp10ReceiveClientCpuUsPerMsg}`],
    ['  sent / received / complete', (f) => `${f.amqp10SendMessages} / ${f.amqp10ReceiveMessages} / ${f.amqp10Complete}`],
  ];
  const cell = (f: Figures | undefined, key: keyof Figures | ((f: Figures) => string)) => (f === undefined ? '-' : typeof key === 'function' ? key(f) : String(f[key] ?? '-'));
  const header = [
    '',
    `SealMQ ${results.sealmq?.version ?? ''}`.trim(),
    `ActiveMQ ${results.activemq?.version ?? ''}`.trim(),
    `RabbitMQ ${results.rabbitmq?.version ?? ''}`.trim(),
  ];
  const yesNo = (t: boolean | null) => (t === null ? 'n/a' : t ? 'MET' : 'MISSED');
  const errorLines = (['sealmq', 'activemq', 'rabbitmq'] as const).flatMap((name) =>
    Object.entries(results[name] === undefined ? {} : medianOfRounds(results[name]!.rounds).errors).map(([k, v]) => `ERROR ${name} ${k}: ${v.split('\n')[0]}`),
  );
  console.log(
    [
      `ActiveMQ-engine benchmark: ${settings.bodyBytes} B persistent/durable/QoS 1 messages over TLS (one certificate, SealMQ's activemq suites); ` +
        `STOMP ${settings.stompProducers} producers x ${settings.stompReceiptWindow} receipts, 1 consumer client-individual prefetch ${settings.stompPrefetch} draining ${settings.stompConsumeMessages}; ` +
        `MQTT ${settings.mqttPublishers} publishers x ${settings.mqttPubackWindow} PUBACKs -> 1 subscriber, latency at ${settings.mqttLatencyRatePerSec} msg/s for ${settings.mqttLatencySeconds} s; ` +
        `AMQP 1.0 ${settings.amqp10Senders} senders x ${settings.amqp10Window} unsettled, 1 receiver credit ${settings.amqp10Credit} receiving ${settings.amqp10ReceiveMessages}; sends for ${settings.sendSeconds} s. ` +
        `${cpus().length} cores shared by clients and broker. Median of ${rounds} round(s), broker order alternating. Load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(' ')}.`,
      '',
      table([header, ...rows.map(([label, key]) => [label, cell(s, key), cell(a, key), cell(r, key)])]),
      '',
      `STOMP send     SealMQ/ActiveMQ   ${ratios.stompSendThroughputSealmqOverActivemq}  (target >= ${TARGET_THROUGHPUT_RATIO}: ${yesNo(targets.stompSendAtLeast2xActivemq)})`,
      `STOMP consume  SealMQ/ActiveMQ   ${ratios.stompConsumeThroughputSealmqOverActivemq}  (target >= ${TARGET_THROUGHPUT_RATIO}: ${yesNo(targets.stompConsumeAtLeast2xActivemq)})`,
      `MQTT delivered SealMQ/ActiveMQ   ${ratios.mqttDeliveredThroughputSealmqOverActivemq}  (target >= ${TARGET_THROUGHPUT_RATIO}: ${yesNo(targets.mqttThroughputAtLeast2xActivemq)})`,
      `MQTT p99       ActiveMQ/SealMQ   ${ratios.mqttLatencyP99ActivemqOverSealmq}  (target >= 1, i.e. SealMQ p99 <= ActiveMQ p99: ${yesNo(targets.mqttLatencyP99AtMostActivemq)})`,
      `AMQP 1.0 send  SealMQ/RabbitMQ   ${ratios.amqp10SendThroughputSealmqOverRabbitmq}  (target >= ${TARGET_THROUGHPUT_RATIO}: ${yesNo(targets.amqp10SendAtLeast2xRabbitmq)})`,
      `AMQP 1.0 recv  SealMQ/RabbitMQ   ${ratios.amqp10ReceiveThroughputSealmqOverRabbitmq}  (target >= ${TARGET_THROUGHPUT_RATIO}: ${yesNo(targets.amqp10ReceiveAtLeast2xRabbitmq)})`,
      ...(['sealmq', 'activemq', 'rabbitmq'] as const).flatMap((name) =>
        Object.entries(results[name]?.tlsChecks ?? {}).map(
          ([protocol, c]) =>
            `TLS ${name} ${protocol}: ${c.negotiated}; TLS 1.3 only: ${c.tls13 ?? 'refused'}; TLS 1.1 ${c.tls11Refused ? 'refused' : 'ACCEPTED'}; ECDHE-RSA-CHACHA20-POLY1305 ${c.otherSuiteRefused ? 'refused' : 'ACCEPTED'}`,
        ),
      ),
      ...errorLines,
      ...tlsDiffers.map((protocol) => `WARNING: ${protocol}: SealMQ and the reference negotiated different TLS versions or suites (see the *Tls rows): not comparable.`),
      complete ? '' : 'WARNING: incomplete: a workload failed or hit its time bound; see errors and the *Complete fields in the JSON.',
    ].join('\n'),
  );
  console.log(
    JSON.stringify({
      bench: 'activemq',
      date: new Date().toISOString(),
      cores: cpus().length,
      settings,
      tlsVersion: process.env.BENCH_TLS_VERSION ?? 'TLSv1.2',
      versions: { sealmq: results.sealmq?.version ?? null, activemq: results.activemq?.version ?? null, rabbitmq: results.rabbitmq?.version ?? null },
      rounds,
      loadAverage: loadavg().map((l) => round(l)),
      // Per broker and protocol (first round): what the clients negotiate, TLS 1.3, and refusals of TLS 1.1 and a foreign suite.
      tlsChecks: { sealmq: results.sealmq?.tlsChecks ?? null, activemq: results.activemq?.tlsChecks ?? null, rabbitmq: results.rabbitmq?.tlsChecks ?? null },
      sealmq: s ?? null,
      activemq: a ?? null,
      rabbitmq: r ?? null,
      perRound: { sealmq: results.sealmq?.rounds ?? [], activemq: results.activemq?.rounds ?? [], rabbitmq: results.rabbitmq?.rounds ?? [] },
      ratios,
      targets,
      // Per protocol: both sides negotiated the same TLS version and suite in every round (null: not measured).
      sameTls,
      complete,
      allTargetsMet: allMet,
    }),
  );
  if (!noErrors) process.exitCode = 1;
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    process.stderr.write(`bench: failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
