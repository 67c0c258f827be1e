// The AMQP 0-9-1 workload the benchmark runs against each broker, identical for both: 1 KiB
// persistent messages to a durable queue over TLS with amqplib. (1) publish throughput: several
// publisher connections with confirms and a window of outstanding confirms each; (2) consume
// throughput: draining that queue with manual acks and a prefetch; (3) end-to-end latency at a
// fixed rate. Every phase is bounded in time and in count. Starting brokers is brokers.ts's.
import { performance } from 'node:perf_hooks';
import amqplib, { type Channel, type ChannelModel, type ConfirmChannel } from 'amqplib';
import { socketOptions, type BenchBroker } from './brokers.ts';
import { cpuMeter, sendAtRate, SendWindow, Waiter, type PhaseCpu } from './loops.ts';
import { latencySummary, sum, type FixedRateLatency } from './stats.ts';

export interface WorkloadSettings {
  bodyBytes: number;
  publishers: number;
  confirmWindow: number;
  publishSeconds: number;
  publishMessagesMax: number;
  consumers: number;
  prefetch: number;
  consumeSecondsMax: number;
  warmupMessages: number;
  latencyRatePerSec: number;
  latencyWarmupSeconds: number;
  latencySeconds: number;
  latencyDrainSecondsMax: number;
}

export type { PhaseCpu };

export interface PublishResult extends PhaseCpu {
  confirmed: number;
  nacked: number;
  seconds: number;
  msgPerSec: number;
  confirmLatencyP50Ms: number;
  confirmLatencyP99Ms: number;
}

export interface ConsumeResult extends PhaseCpu {
  consumed: number;
  expected: number;
  seconds: number;
  msgPerSec: number;
  /** False when the time bound stopped the drain before the queue was empty. */
  drained: boolean;
}

export interface LatencyResult extends FixedRateLatency {
  confirmP99Ms: number;
}

export interface WorkloadResult {
  tls: string;
  publish: PublishResult;
  consume: ConsumeResult;
  latency: LatencyResult;
}

const THROUGHPUT_QUEUE = 'sealmq-bench-throughput';
const LATENCY_QUEUE = 'sealmq-bench-latency';

async function connect(broker: BenchBroker): Promise<ChannelModel> {
  const connection = await amqplib.connect(broker.url, socketOptions(broker));
  connection.on('error', (error: Error) => process.stderr.write(`bench: ${broker.name} connection error: ${error.message}\n`));
  return connection;
}

function tlsDescription(connection: ChannelModel): string {
  // amqplib keeps the TLS socket as connection.connection.stream.
  const stream = (connection.connection as unknown as { stream?: { getProtocol?: () => string | null; getCipher?: () => { name: string } } }).stream;
  return `${stream?.getProtocol?.() ?? '?'} ${stream?.getCipher?.().name ?? '?'}`;
}

/** One publisher: keeps up to `window` unconfirmed messages in flight until `stop()` or `max`. */
async function publishLoop(
  channel: ConfirmChannel,
  queue: string,
  body: Buffer,
  window: number,
  max: number,
  stop: () => boolean,
  confirmLatenciesMs: number[] | undefined,
): Promise<{ confirmed: number; nacked: number }> {
  let confirmed = 0;
  let nacked = 0;
  const waiter = new Waiter();
  let drain = false;
  const sends = new SendWindow(waiter, window, 60_000, () => drain);
  channel.on('drain', () => {
    drain = false;
    waiter.wake();
  });
  const publish = () => {
    const sentAt = performance.now();
    const ok = channel.publish('', queue, body, { persistent: true }, (error) => {
      if (error) nacked++;
      else {
        confirmed++;
        if (confirmLatenciesMs !== undefined && (confirmed & 15) === 0) confirmLatenciesMs.push(performance.now() - sentAt);
      }
      sends.settle();
    });
    if (!ok) drain = true;
  };
  await sends.run(max, stop, publish, 'confirms');
  return { confirmed, nacked };
}

async function publishPhase(broker: BenchBroker, s: WorkloadSettings, seconds: number, total: number, measure: boolean): Promise<PublishResult> {
  const connections = await Promise.all(Array.from({ length: s.publishers }, () => connect(broker)));
  try {
    const channels = await Promise.all(connections.map((c) => c.createConfirmChannel()));
    const body = Buffer.alloc(s.bodyBytes, 0x61);
    const latencies: number[] = [];
    const meter = cpuMeter(broker);
    const started = performance.now();
    const deadline = started + seconds * 1000;
    const perPublisher = Math.ceil(total / s.publishers);
    const results = await Promise.all(
      channels.map((channel) => publishLoop(channel, THROUGHPUT_QUEUE, body, s.confirmWindow, perPublisher, () => performance.now() >= deadline, measure ? latencies : undefined)),
    );
    const elapsedS = (performance.now() - started) / 1000;
    const confirmed = sum(results.map((r) => r.confirmed));
    const nacked = sum(results.map((r) => r.nacked));
    const confirmLatency = latencySummary(latencies);
    return {
      confirmed,
      nacked,
      seconds: elapsedS,
      msgPerSec: confirmed / elapsedS,
      confirmLatencyP50Ms: confirmLatency.p50Ms,
      confirmLatencyP99Ms: confirmLatency.p99Ms,
      ...meter(confirmed),
    };
  } finally {
    await Promise.allSettled(connections.map((c) => c.close()));
  }
}

async function consumePhase(broker: BenchBroker, s: WorkloadSettings, expected: number): Promise<ConsumeResult> {
  const connections = await Promise.all(Array.from({ length: s.consumers }, () => connect(broker)));
  try {
    const channels = await Promise.all(connections.map((c) => c.createChannel()));
    await Promise.all(channels.map((c) => c.prefetch(s.prefetch)));
    let consumed = 0;
    const waiter = new Waiter();
    const meter = cpuMeter(broker);
    const started = performance.now();
    await Promise.all(
      channels.map((channel) =>
        channel.consume(
          THROUGHPUT_QUEUE,
          (message) => {
            if (message === null) return;
            channel.ack(message);
            consumed++;
            if (consumed >= expected || (consumed & 1023) === 0) waiter.wake();
          },
          { noAck: false },
        ),
      ),
    );
    let drained = true;
    try {
      await waiter.until(() => consumed >= expected, s.consumeSecondsMax * 1000, `${expected} deliveries`);
    } catch {
      drained = false;
    }
    // A round trip on every channel, so the broker has read every ack sent before the clock stops.
    await Promise.all(channels.map((c) => c.checkQueue(THROUGHPUT_QUEUE)));
    const elapsedS = (performance.now() - started) / 1000;
    return { consumed, expected, seconds: elapsedS, msgPerSec: consumed / elapsedS, drained, ...meter(consumed) };
  } finally {
    await Promise.allSettled(connections.map((c) => c.close()));
  }
}

/** Publishes at a fixed rate (with confirms, not awaited one by one) and times publish -> delivery. */
async function latencyPhase(broker: BenchBroker, s: WorkloadSettings): Promise<LatencyResult> {
  const publisherConnection = await connect(broker);
  const consumerConnection = await connect(broker);
  try {
    const publisher = await publisherConnection.createConfirmChannel();
    const consumer = await consumerConnection.createChannel();
    await consumer.prefetch(s.prefetch);
    const warmup = Math.round(s.latencyRatePerSec * s.latencyWarmupSeconds);
    const total = warmup + Math.round(s.latencyRatePerSec * s.latencySeconds);
    const latencies: number[] = [];
    const confirmLatencies: number[] = [];
    let received = 0;
    const waiter = new Waiter();
    await consumer.consume(
      LATENCY_QUEUE,
      (message) => {
        if (message === null) return;
        const now = performance.now();
        const sentAt = message.content.readDoubleLE(0);
        const seq = message.content.readUInt32LE(8);
        consumer.ack(message);
        received++;
        if (seq >= warmup) latencies.push(now - sentAt);
        waiter.wake();
      },
      { noAck: false },
    );
    const body = Buffer.alloc(s.bodyBytes, 0x62);
    let confirmed = 0;
    const meter = cpuMeter(broker);
    await sendAtRate(s.latencyRatePerSec, total, (seq) => {
      const content = Buffer.from(body);
      const sentAt = performance.now();
      content.writeDoubleLE(sentAt, 0);
      content.writeUInt32LE(seq, 8);
      publisher.publish('', LATENCY_QUEUE, content, { persistent: true }, (error) => {
        if (!error) confirmed++;
        if (seq >= warmup) confirmLatencies.push(performance.now() - sentAt);
        waiter.wake();
      });
    });
    try {
      await waiter.until(() => received >= total && confirmed >= total, s.latencyDrainSecondsMax * 1000, 'the last latency deliveries');
    } catch (error) {
      process.stderr.write(`bench: ${broker.name}: ${(error as Error).message} (${received}/${total} delivered)\n`);
    }
    const cpu = meter(total);
    return {
      ratePerSec: s.latencyRatePerSec,
      sent: total - warmup,
      received: latencies.length,
      ...latencySummary(latencies),
      confirmP99Ms: latencySummary(confirmLatencies).p99Ms,
      brokerCores: cpu.brokerCores,
    };
  } finally {
    await Promise.allSettled([publisherConnection.close(), consumerConnection.close()]);
  }
}

async function withChannel<T>(broker: BenchBroker, f: (channel: Channel) => Promise<T>): Promise<{ value: T; tls: string }> {
  const connection = await connect(broker);
  try {
    const channel = await connection.createChannel();
    return { value: await f(channel), tls: tlsDescription(connection) };
  } finally {
    await connection.close().catch(() => undefined);
  }
}

async function resetQueues(broker: BenchBroker): Promise<string> {
  const { tls } = await withChannel(broker, async (channel) => {
    for (const queue of [THROUGHPUT_QUEUE, LATENCY_QUEUE]) {
      await channel.deleteQueue(queue);
      await channel.assertQueue(queue, { durable: true });
    }
  });
  return tls;
}

async function queueDepth(broker: BenchBroker): Promise<number> {
  return (await withChannel(broker, (channel) => channel.checkQueue(THROUGHPUT_QUEUE))).value.messageCount;
}

/** Runs warm-up, then the three measured phases, against `broker`. */
export async function runWorkload(broker: BenchBroker, s: WorkloadSettings, log: (line: string) => void): Promise<WorkloadResult> {
  const tls = await resetQueues(broker);
  log(`${broker.name}: warm-up (${s.warmupMessages} messages published and consumed; TLS ${tls})`);
  const warm = await publishPhase(broker, s, s.publishSeconds, s.warmupMessages, false);
  await consumePhase(broker, s, warm.confirmed);
  const left = await queueDepth(broker);
  if (left !== 0) throw new Error(`${broker.name}: ${left} warm-up messages still queued after draining`);

  log(`${broker.name}: publish (${s.publishers} publishers, confirm window ${s.confirmWindow}, ${s.publishSeconds} s or ${s.publishMessagesMax} messages)`);
  const publish = await publishPhase(broker, s, s.publishSeconds, s.publishMessagesMax, true);
  const expected = await queueDepth(broker);
  if (expected !== publish.confirmed) log(`${broker.name}: queue depth ${expected} after publishing, ${publish.confirmed} confirmed`);
  log(`${broker.name}: consume (${s.consumers} consumer(s), prefetch ${s.prefetch}, manual ack, ${expected} messages, at most ${s.consumeSecondsMax} s)`);
  const consume = await consumePhase(broker, s, expected);
  log(`${broker.name}: latency (${s.latencyRatePerSec} msg/s, ${s.latencyWarmupSeconds} s warm-up + ${s.latencySeconds} s)`);
  const latency = await latencyPhase(broker, s);
  await withChannel(broker, async (channel) => {
    await channel.deleteQueue(THROUGHPUT_QUEUE);
    await channel.deleteQueue(LATENCY_QUEUE);
  }).catch(() => undefined);
  return { tls, publish, consume, latency };
}
