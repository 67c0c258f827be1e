// The three workloads `npm run bench:activemq` runs, identical against every broker that serves the
// protocol, all with 1 KiB bodies over TLS with the same client settings (activemq-brokers.ts):
// - STOMP 1.2 (stompit): persistent SENDs with receipts from several producers (a window of
//   receipts outstanding each) to one queue, then draining a queue filled to a fixed depth with
//   client-individual ACKs;
// - MQTT 3.1.1 (MQTT.js): QoS 1 publish -> QoS 1 subscription end to end, first as fast as the
//   publishers' PUBACK windows allow (delivered msg/s), then at a fixed rate (latency percentiles);
// - AMQP 1.0 (rhea): durable messages sent unsettled, each settled by the broker's `accepted`,
//   from several senders to one queue, then a queue filled to a fixed depth received with a credit
//   window and accepted.
// A drain is timed from the same depth on every broker: what the send phase left (more on a broker
// that sends faster) is drained first, untimed. Every phase is bounded in time and count. Starting
// the brokers is activemq-brokers.ts's; the loop shapes are lib/loops.ts's.
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import mqtt, { type MqttClient } from 'mqtt';
import rhea, { type Connection, type EventContext } from 'rhea';
import { clientNoDelay, clientTlsOptions, type BenchBroker, type BenchTls, type Endpoint } from './activemq-brokers.ts';
import { BoundReached, cpuMeter, sendAtRate, SendWindow, shareOf, Waiter, type PhaseCpu } from './lib/loops.ts';
import { latencySummary, sum, type FixedRateLatency } from './lib/stats.ts';

export interface WorkloadSettings {
  bodyBytes: number;
  warmupMessages: number;
  stompProducers: number;
  stompReceiptWindow: number;
  stompConsumers: number;
  stompPrefetch: number;
  /** The STOMP consume phase drains a queue filled to this depth (the same on every broker). */
  stompConsumeMessages: number;
  mqttPublishers: number;
  mqttPubackWindow: number;
  mqttLatencyRatePerSec: number;
  mqttLatencyWarmupSeconds: number;
  mqttLatencySeconds: number;
  amqp10Senders: number;
  amqp10Window: number;
  amqp10Receivers: number;
  amqp10Credit: number;
  /** The AMQP 1.0 receive phase drains a queue filled to this depth (the same on every broker). */
  amqp10ReceiveMessages: number;
  /** Each throughput phase sends for this long, or until messagesMax. */
  sendSeconds: number;
  messagesMax: number;
  /** Bound on every drain (consume, deliveries still in flight). */
  drainSecondsMax: number;
  /** Bound on the untimed set-up around a fixed-depth drain: emptying what the send phase left, filling to the depth. */
  fillSecondsMax: number;
}

export type { PhaseCpu };

export interface ThroughputResult extends PhaseCpu {
  /** Messages the broker confirmed (receipt, PUBACK, accepted) or that were delivered and acked. */
  messages: number;
  seconds: number;
  msgPerSec: number;
  /** False when a bound stopped the phase before every expected message was confirmed or delivered. */
  complete: boolean;
}

export interface StompResult {
  tls: string;
  send: ThroughputResult;
  consume: ThroughputResult;
}

export interface MqttResult {
  tls: string;
  /** PUBACKed publishes per second during the throughput phase. */
  publish: ThroughputResult;
  /** Deliveries to the QoS 1 subscriber per second, from the first publish to the last delivery. */
  delivered: ThroughputResult;
  latency: FixedRateLatency;
}

export interface Amqp10Result {
  tls: string;
  send: ThroughputResult & { rejected: number };
  receive: ThroughputResult;
}

const STOMP_QUEUE = '/queue/sealmq-bench-stomp';
const MQTT_THROUGHPUT_TOPIC = 'sealmq-bench/mqtt/throughput';
const MQTT_LATENCY_TOPIC = 'sealmq-bench/mqtt/latency';
const AMQP10_QUEUE = 'sealmq-bench-amqp10';

function throughput(messages: number, startedMs: number, complete: boolean, cpu: PhaseCpu): ThroughputResult {
  const seconds = (performance.now() - startedMs) / 1000;
  return { messages, seconds, msgPerSec: messages / seconds, complete, ...cpu };
}

/**
 * Opens `n` connections one after another (set-up is not measured). Concurrent set-up would also
 * measure how a broker copes with a burst of logins (slow password hashes), which is not a workload here.
 */
async function connectEach<T>(n: number, connect: (index: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(await connect(i));
  return out;
}

function requireEndpoint(broker: BenchBroker, endpoint: Endpoint | undefined, protocol: string): Endpoint {
  if (endpoint === undefined) throw new Error(`${broker.name} lists no ${protocol} endpoint`);
  return endpoint;
}

/** How a queue workload sends `total` messages (bounded by `seconds`) and drains `expected` (bounded by `boundSeconds`). */
interface QueuePhases {
  send(seconds: number, total: number): Promise<ThroughputResult>;
  drain(expected: number, boundSeconds: number): Promise<ThroughputResult>;
}

/**
 * The timed drain of a queue at `depth` messages, the same depth on every broker: first drains the
 * `left` messages the send phase left (a faster sender leaves more: a deeper queue costs more per
 * message, so draining it is not the same workload), then fills the queue to `depth` with the
 * workload's own confirmed sends; neither is timed. Throws if either falls short.
 */
async function drainAtDepth(broker: BenchBroker, what: string, phases: QueuePhases, left: number, depth: number, s: WorkloadSettings): Promise<ThroughputResult> {
  const rest = left > 0 ? await phases.drain(left, s.fillSecondsMax) : undefined;
  if (rest !== undefined && !rest.complete) throw new Error(`${broker.name}: ${what}: ${rest.messages} of the ${left} messages the send phase left were drained within ${s.fillSecondsMax} s`);
  const filled = await phases.send(s.fillSecondsMax, depth);
  if (filled.messages !== depth) throw new Error(`${broker.name}: ${what}: ${filled.messages} of ${depth} messages were confirmed filling the queue within ${s.fillSecondsMax} s`);
  return phases.drain(depth, s.drainSecondsMax);
}

// ---------------------------------------------------------------------------------------------
// STOMP (stompit has no type declarations: the part used here)

interface StompitMessage extends NodeJS.ReadableStream {
  readonly headers: Record<string, string>;
}
interface StompitWritable {
  end(chunk?: string | Buffer): void;
}
interface StompitClient {
  send(headers: Record<string, string>, options?: { onReceipt?: () => void }): StompitWritable;
  subscribe(headers: Record<string, string>, callback: (error: Error | null, message: StompitMessage) => void): { unsubscribe(): void };
  ack(message: StompitMessage, headers?: Record<string, string>, options?: { onReceipt?: () => void }): void;
  disconnect(callback?: (error?: Error | null) => void): void;
  destroy(error?: Error): void;
  on(event: 'error', listener: (error: Error) => void): void;
  getTransportSocket(): { getProtocol?: () => string | null; getCipher?: () => { name: string } };
}
interface StompitModule {
  connect(options: Record<string, unknown>, callback: (error: Error | null, client: StompitClient) => void): StompitClient;
}
const stompit = createRequire(import.meta.url)('stompit') as StompitModule;

interface StompConnection {
  client: StompitClient;
  /** Rejects when the connection fails after it was made (an ERROR frame, a reset). */
  failed: Promise<never>;
}

function stompConnect(broker: BenchBroker, endpoint: Endpoint, tls: BenchTls): Promise<StompConnection> {
  return new Promise((resolve, reject) => {
    stompit.connect(
      {
        host: endpoint.host,
        port: endpoint.port,
        ssl: true,
        ...clientTlsOptions(tls),
        timeout: 30_000,
        connectHeaders: { host: 'localhost', login: broker.username, passcode: broker.password, 'accept-version': '1.2', 'heart-beat': '0,0' },
      },
      (error, client) => {
        if (error !== null) {
          reject(new Error(`${broker.name}: STOMP connect failed: ${error.message}`));
          return;
        }
        clientNoDelay((client as unknown as { getTransportSocket?: () => unknown }).getTransportSocket?.(), 'STOMP');
        const failed = new Promise<never>((_, rejectFailed) => client.on('error', (e) => rejectFailed(new Error(`${broker.name}: STOMP connection failed: ${e.message}`))));
        failed.catch(() => undefined);
        resolve({ client, failed });
      },
    );
  });
}

function stompClose(connection: StompConnection): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      connection.client.destroy();
      resolve();
    }, 10_000);
    connection.client.disconnect(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** One producer: keeps up to `window` receipts outstanding until `stop()` or `max` sends; returns the receipts. */
async function stompProduce(connection: StompConnection, body: Buffer, window: number, max: number, stop: () => boolean, boundMs: number): Promise<number> {
  let confirmed = 0;
  const waiter = new Waiter();
  void connection.failed.catch((error: Error) => waiter.fail(error));
  const sends = new SendWindow(waiter, window, boundMs);
  const headers = { destination: STOMP_QUEUE, persistent: 'true', 'content-type': 'application/octet-stream', 'content-length': String(body.length) };
  const onReceipt = () => {
    confirmed++;
    sends.settle();
  };
  await sends.run(max, stop, () => connection.client.send(headers, { onReceipt }).end(body), 'STOMP receipts');
  return confirmed;
}

async function stompSendPhase(broker: BenchBroker, endpoint: Endpoint, tls: BenchTls, s: WorkloadSettings, seconds: number, total: number): Promise<ThroughputResult> {
  const connections = await connectEach(s.stompProducers, () => stompConnect(broker, endpoint, tls));
  try {
    const body = Buffer.alloc(s.bodyBytes, 0x61);
    const meter = cpuMeter(broker);
    const started = performance.now();
    const deadline = started + seconds * 1000;
    const counts = await Promise.all(
      connections.map((c, i) => stompProduce(c, body, s.stompReceiptWindow, shareOf(total, s.stompProducers, i), () => performance.now() >= deadline, s.drainSecondsMax * 1000)),
    );
    const confirmed = sum(counts);
    return throughput(confirmed, started, true, meter(confirmed));
  } finally {
    await Promise.all(connections.map(stompClose));
  }
}

/**
 * Drains `expected` messages with client-individual ACKs (one ACK frame per message); the clock
 * stops at the receipt of a final ACK, so the broker has read every ACK before it.
 */
async function stompConsumePhase(broker: BenchBroker, endpoint: Endpoint, tls: BenchTls, s: WorkloadSettings, expected: number, boundSeconds: number): Promise<ThroughputResult> {
  const connections = await connectEach(s.stompConsumers, () => stompConnect(broker, endpoint, tls));
  try {
    let consumed = 0;
    const waiter = new Waiter();
    for (const c of connections) void c.failed.catch((error: Error) => waiter.fail(error));
    const meter = cpuMeter(broker);
    const started = performance.now();
    let lastAcked = 0;
    let receiptsDue = 0;
    let receiptsSeen = 0;
    for (const connection of connections) {
      connection.client.subscribe(
        { destination: STOMP_QUEUE, ack: 'client-individual', 'activemq.prefetchSize': String(s.stompPrefetch) },
        (error, message) => {
          if (error !== null) {
            waiter.fail(error);
            return;
          }
          message.on('end', () => {
            consumed++;
            if (consumed >= expected) {
              // The last ACK asks for a receipt: receipts follow the frames before them.
              receiptsDue++;
              connection.client.ack(message, {}, {
                onReceipt: () => {
                  receiptsSeen++;
                  waiter.wake();
                },
              });
            } else connection.client.ack(message);
            lastAcked = consumed;
            if (consumed >= expected || (consumed & 1023) === 0) waiter.wake();
          });
          message.resume();
        },
      );
    }
    let complete = true;
    try {
      await waiter.until(() => consumed >= expected && receiptsSeen >= 1 && receiptsSeen >= receiptsDue, boundSeconds * 1000, `${expected} STOMP deliveries`);
    } catch (error) {
      if (!(error instanceof BoundReached)) throw error;
      complete = false;
    }
    return throughput(lastAcked, started, complete, meter(lastAcked));
  } finally {
    await Promise.all(connections.map(stompClose));
  }
}

function tlsOfSocket(socket: { getProtocol?: () => string | null; getCipher?: () => { name: string } } | undefined): string {
  return `${socket?.getProtocol?.() ?? '?'} ${socket?.getCipher?.().name ?? '?'}`;
}

export async function runStomp(broker: BenchBroker, tls: BenchTls, s: WorkloadSettings, log: (line: string) => void): Promise<StompResult> {
  const endpoint = requireEndpoint(broker, broker.stomp, 'stomp+ssl');
  const probe = await stompConnect(broker, endpoint, tls);
  const tlsText = tlsOfSocket(probe.client.getTransportSocket());
  await stompClose(probe);
  const phases: QueuePhases = {
    send: (seconds, total) => stompSendPhase(broker, endpoint, tls, s, seconds, total),
    drain: (expected, boundSeconds) => stompConsumePhase(broker, endpoint, tls, s, expected, boundSeconds),
  };
  log(`${broker.name}: STOMP warm-up (${s.warmupMessages} messages; ${tlsText})`);
  const warm = await phases.send(s.sendSeconds, s.warmupMessages);
  const warmDrain = await phases.drain(warm.messages, s.drainSecondsMax);
  if (!warmDrain.complete) throw new Error(`${broker.name}: STOMP warm-up messages were not all delivered (${warmDrain.messages}/${warm.messages})`);
  log(`${broker.name}: STOMP send (${s.stompProducers} producers x ${s.stompReceiptWindow} receipts outstanding, ${s.sendSeconds} s or ${s.messagesMax} messages)`);
  const send = await phases.send(s.sendSeconds, s.messagesMax);
  log(
    `${broker.name}: STOMP consume (untimed: drain the ${send.messages} messages sent, fill to ${s.stompConsumeMessages}; timed: drain ` +
      `${s.stompConsumeMessages} with ${s.stompConsumers} consumer(s), client-individual ACKs, prefetch ${s.stompPrefetch})`,
  );
  const consume = await drainAtDepth(broker, 'STOMP', phases, send.messages, s.stompConsumeMessages, s);
  return { tls: tlsText, send, consume };
}

// ---------------------------------------------------------------------------------------------
// MQTT

async function mqttConnect(broker: BenchBroker, endpoint: Endpoint, tls: BenchTls, role: string): Promise<MqttClient> {
  const client = mqtt.connect({
    protocol: 'mqtts',
    host: endpoint.host,
    port: endpoint.port,
    ...clientTlsOptions(tls),
    rejectUnauthorized: true,
    protocolVersion: 4,
    clientId: `bench-${role}-${randomUUID().slice(0, 8)}`,
    clean: true,
    username: broker.username,
    password: broker.password,
    keepalive: 60,
    reconnectPeriod: 0,
    connectTimeout: 30_000,
  });
  client.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => {
      clientNoDelay(client.stream, 'MQTT');
      resolve();
    });
    client.once('error', (error) => reject(new Error(`${broker.name}: MQTT connect failed: ${error.message}`)));
    client.once('close', () => reject(new Error(`${broker.name}: MQTT connection closed before CONNACK`)));
  });
  return client;
}

function mqttClose(client: MqttClient): Promise<void> {
  return new Promise((resolve) => client.end(false, {}, () => resolve()));
}

async function mqttSubscribe(broker: BenchBroker, client: MqttClient, topic: string): Promise<void> {
  const granted = await client.subscribeAsync(topic, { qos: 1 });
  if (granted[0]?.qos !== 1) throw new Error(`${broker.name}: MQTT SUBSCRIBE ${topic} at QoS 1 was granted ${granted[0]?.qos}`);
}

/** Publishers at full speed (a PUBACK window each) to one topic, one QoS 1 subscriber: PUBACKed and delivered msg/s. */
async function mqttThroughputPhase(
  broker: BenchBroker,
  endpoint: Endpoint,
  tls: BenchTls,
  s: WorkloadSettings,
  seconds: number,
  total: number,
): Promise<{ publish: ThroughputResult; delivered: ThroughputResult }> {
  const subscriber = await mqttConnect(broker, endpoint, tls, 'sub');
  const publishers = await connectEach(s.mqttPublishers, (i) => mqttConnect(broker, endpoint, tls, `pub${i}`));
  try {
    await mqttSubscribe(broker, subscriber, MQTT_THROUGHPUT_TOPIC);
    let delivered = 0;
    const waiter = new Waiter();
    subscriber.on('message', () => {
      delivered++;
      waiter.wake();
    });
    const failure = (client: MqttClient) => client.once('close', () => waiter.fail(new Error(`${broker.name}: an MQTT connection closed during the throughput phase`)));
    [subscriber, ...publishers].forEach(failure);
    const body = Buffer.alloc(s.bodyBytes, 0x63);
    const meter = cpuMeter(broker);
    const started = performance.now();
    const deadline = started + seconds * 1000;
    const counts = await Promise.all(
      publishers.map(async (client, i) => {
        let acked = 0;
        const sends = new SendWindow(waiter, s.mqttPubackWindow, s.drainSecondsMax * 1000);
        const publish = () =>
          client.publish(MQTT_THROUGHPUT_TOPIC, body, { qos: 1 }, (error) => {
            if (error === undefined || error === null) acked++;
            sends.settle();
          });
        await sends.run(shareOf(total, s.mqttPublishers, i), () => performance.now() >= deadline, publish, 'MQTT PUBACKs');
        return acked;
      }),
    );
    const acked = sum(counts);
    const publish = throughput(acked, started, true, meter(acked));
    let complete = true;
    try {
      await waiter.until(() => delivered >= acked, s.drainSecondsMax * 1000, `${acked} MQTT deliveries`);
    } catch (error) {
      if (!(error instanceof BoundReached)) throw error;
      complete = false;
    }
    return { publish, delivered: throughput(delivered, started, complete, meter(delivered)) };
  } finally {
    await Promise.all([subscriber, ...publishers].map(mqttClose));
  }
}

/** One QoS 1 publisher at a fixed rate (PUBACKs not awaited one by one), one QoS 1 subscriber: publish call -> delivery. */
async function mqttLatencyPhase(broker: BenchBroker, endpoint: Endpoint, tls: BenchTls, s: WorkloadSettings): Promise<MqttResult['latency']> {
  const subscriber = await mqttConnect(broker, endpoint, tls, 'lat-sub');
  const publisher = await mqttConnect(broker, endpoint, tls, 'lat-pub');
  try {
    await mqttSubscribe(broker, subscriber, MQTT_LATENCY_TOPIC);
    const warmup = Math.round(s.mqttLatencyRatePerSec * s.mqttLatencyWarmupSeconds);
    const total = warmup + Math.round(s.mqttLatencyRatePerSec * s.mqttLatencySeconds);
    const latencies: number[] = [];
    let received = 0;
    let acked = 0;
    const waiter = new Waiter();
    subscriber.on('message', (_topic, payload) => {
      const now = performance.now();
      const sentAt = payload.readDoubleLE(0);
      const seq = payload.readUInt32LE(8);
      received++;
      if (seq >= warmup) latencies.push(now - sentAt);
      waiter.wake();
    });
    const body = Buffer.alloc(s.bodyBytes, 0x64);
    const meter = cpuMeter(broker);
    await sendAtRate(s.mqttLatencyRatePerSec, total, (seq) => {
      const payload = Buffer.from(body);
      payload.writeDoubleLE(performance.now(), 0);
      payload.writeUInt32LE(seq, 8);
      publisher.publish(MQTT_LATENCY_TOPIC, payload, { qos: 1 }, (error) => {
        if (error === undefined || error === null) acked++;
        waiter.wake();
      });
    });
    try {
      await waiter.until(() => received >= total && acked >= total, s.drainSecondsMax * 1000, 'the last MQTT latency deliveries');
    } catch (error) {
      if (!(error instanceof BoundReached)) throw error;
    }
    const cpu = meter(total);
    return {
      ratePerSec: s.mqttLatencyRatePerSec,
      sent: total - warmup,
      received: latencies.length,
      ...latencySummary(latencies),
      brokerCores: cpu.brokerCores,
    };
  } finally {
    await Promise.all([subscriber, publisher].map(mqttClose));
  }
}

export async function runMqtt(broker: BenchBroker, tls: BenchTls, s: WorkloadSettings, log: (line: string) => void): Promise<MqttResult> {
  const endpoint = requireEndpoint(broker, broker.mqtt, 'mqtt+ssl');
  const probe = await mqttConnect(broker, endpoint, tls, 'probe');
  const tlsText = tlsOfSocket(probe.stream as unknown as { getProtocol?: () => string | null; getCipher?: () => { name: string } });
  await mqttClose(probe);
  log(`${broker.name}: MQTT warm-up (${s.warmupMessages} messages; ${tlsText})`);
  const warm = await mqttThroughputPhase(broker, endpoint, tls, s, s.sendSeconds, s.warmupMessages);
  if (!warm.delivered.complete) throw new Error(`${broker.name}: MQTT warm-up messages were not all delivered (${warm.delivered.messages}/${warm.publish.messages})`);
  log(`${broker.name}: MQTT QoS 1 throughput (${s.mqttPublishers} publishers x ${s.mqttPubackWindow} PUBACKs outstanding -> 1 subscriber, ${s.sendSeconds} s or ${s.messagesMax} messages)`);
  const { publish, delivered } = await mqttThroughputPhase(broker, endpoint, tls, s, s.sendSeconds, s.messagesMax);
  log(`${broker.name}: MQTT QoS 1 latency (${s.mqttLatencyRatePerSec} msg/s, ${s.mqttLatencyWarmupSeconds} s warm-up + ${s.mqttLatencySeconds} s)`);
  const latency = await mqttLatencyPhase(broker, endpoint, tls, s);
  return { tls: tlsText, publish, delivered, latency };
}

// ---------------------------------------------------------------------------------------------
// AMQP 1.0

async function amqp10Connect(broker: BenchBroker, endpoint: Endpoint, tls: BenchTls): Promise<Connection> {
  const container = rhea.create_container({ id: `bench-${randomUUID()}` });
  const connection = container.connect({
    host: endpoint.host,
    port: endpoint.port,
    transport: 'tls',
    ...clientTlsOptions(tls),
    username: broker.username,
    password: broker.password,
    reconnect: false,
  } as Parameters<typeof container.connect>[0]);
  connection.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    connection.once('connection_open', () => {
      clientNoDelay((connection as unknown as { socket?: unknown }).socket, 'AMQP 1.0');
      resolve();
    });
    connection.once('connection_error', (ctx: EventContext) => reject(new Error(`${broker.name}: AMQP 1.0 open refused: ${String(ctx.connection.error ?? 'connection error')}`)));
    connection.once('disconnected', (ctx: EventContext) => reject(new Error(`${broker.name}: AMQP 1.0 connection lost: ${String(ctx.error ?? ctx.connection.error ?? 'disconnected')}`)));
  });
  return connection;
}

function amqp10Close(connection: Connection): Promise<void> {
  if (!connection.is_open()) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 10_000);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    connection.once('connection_close', done);
    connection.once('disconnected', done);
    connection.close();
  });
}

function onFailure(connection: Connection, waiter: Waiter, broker: BenchBroker): void {
  const fail = (what: string) => (ctx: EventContext) => waiter.fail(new Error(`${broker.name}: AMQP 1.0 ${what}: ${String(ctx.error ?? ctx.connection?.error ?? ctx.sender?.error ?? ctx.receiver?.error ?? '')}`));
  connection.on('disconnected', fail('connection lost'));
  connection.on('connection_error', fail('connection closed'));
  connection.on('sender_error', fail('sender closed'));
  connection.on('receiver_error', fail('receiver closed'));
}

async function amqp10SendPhase(broker: BenchBroker, endpoint: Endpoint, tls: BenchTls, s: WorkloadSettings, seconds: number, total: number): Promise<ThroughputResult & { rejected: number }> {
  const connections = await connectEach(s.amqp10Senders, () => amqp10Connect(broker, endpoint, tls));
  try {
    const address = broker.amqp10Address(AMQP10_QUEUE);
    const body = rhea.message.data_section(Buffer.alloc(s.bodyBytes, 0x65));
    const waiter = new Waiter();
    const senders = await Promise.all(
      connections.map((connection) => {
        onFailure(connection, waiter, broker);
        // Unsettled sends (snd-settle-mode unsettled): each is settled when the broker says accepted.
        const sender = connection.open_sender({ target: { address, durable: 2 }, snd_settle_mode: 0, autosettle: true });
        return new Promise<typeof sender>((resolve, reject) => {
          sender.once('sender_open', () => resolve(sender));
          sender.once('sender_error', (ctx: EventContext) => reject(new Error(`${broker.name}: AMQP 1.0 sender to ${address} refused: ${String(ctx.sender?.error ?? '')}`)));
        });
      }),
    );
    let rejected = 0;
    const meter = cpuMeter(broker);
    const started = performance.now();
    const deadline = started + seconds * 1000;
    const counts = await Promise.all(
      senders.map(async (sender, i) => {
        let accepted = 0;
        // Waits for link credit as well as for dispositions.
        const sends = new SendWindow(waiter, s.amqp10Window, s.drainSecondsMax * 1000, () => !sender.sendable());
        sender.on('accepted', () => {
          accepted++;
          sends.settle();
        });
        for (const outcome of ['rejected', 'released', 'modified'] as const) {
          sender.on(outcome, () => {
            rejected++;
            sends.settle();
          });
        }
        sender.on('sendable', () => waiter.wake());
        await sends.run(shareOf(total, s.amqp10Senders, i), () => performance.now() >= deadline, () => sender.send({ durable: true, body }), 'AMQP 1.0 dispositions');
        return accepted;
      }),
    );
    const accepted = sum(counts);
    return { ...throughput(accepted, started, true, meter(accepted)), rejected };
  } finally {
    await Promise.all(connections.map(amqp10Close));
  }
}

/** Receives `expected` messages with a credit window, accepting each; the clock stops when the broker has echoed the receivers' detach. */
async function amqp10ReceivePhase(broker: BenchBroker, endpoint: Endpoint, tls: BenchTls, s: WorkloadSettings, expected: number, boundSeconds: number): Promise<ThroughputResult> {
  const connections = await connectEach(s.amqp10Receivers, () => amqp10Connect(broker, endpoint, tls));
  try {
    const address = broker.amqp10Address(AMQP10_QUEUE);
    const waiter = new Waiter();
    let received = 0;
    const meter = cpuMeter(broker);
    const started = performance.now();
    const receivers = connections.map((connection) => {
      onFailure(connection, waiter, broker);
      const receiver = connection.open_receiver({ source: { address }, credit_window: s.amqp10Credit, autoaccept: true });
      receiver.on('message', () => {
        received++;
        if (received >= expected || (received & 1023) === 0) waiter.wake();
      });
      return receiver;
    });
    let complete = true;
    try {
      await waiter.until(() => received >= expected, boundSeconds * 1000, `${expected} AMQP 1.0 deliveries`);
    } catch (error) {
      if (!(error instanceof BoundReached)) throw error;
      complete = false;
    }
    const counted = received;
    // Detach after the last accept; the broker's detach comes after it has read every disposition.
    await Promise.all(
      receivers.map(
        (receiver) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, 10_000);
            receiver.once('receiver_close', () => {
              clearTimeout(timer);
              resolve();
            });
            receiver.close();
          }),
      ),
    );
    return throughput(counted, started, complete, meter(counted));
  } finally {
    await Promise.all(connections.map(amqp10Close));
  }
}

export async function runAmqp10(broker: BenchBroker, tls: BenchTls, s: WorkloadSettings, log: (line: string) => void): Promise<Amqp10Result> {
  const endpoint = requireEndpoint(broker, broker.amqp10, 'amqp+ssl');
  await broker.prepareAmqp10Queue(AMQP10_QUEUE);
  const probe = await amqp10Connect(broker, endpoint, tls);
  const socket = (probe as unknown as { socket?: { getProtocol?: () => string | null; getCipher?: () => { name: string } } }).socket;
  const tlsText = tlsOfSocket(socket);
  await amqp10Close(probe);
  const phases: QueuePhases = {
    send: (seconds, total) => amqp10SendPhase(broker, endpoint, tls, s, seconds, total),
    drain: (expected, boundSeconds) => amqp10ReceivePhase(broker, endpoint, tls, s, expected, boundSeconds),
  };
  log(`${broker.name}: AMQP 1.0 warm-up (${s.warmupMessages} messages; ${tlsText})`);
  const warm = await phases.send(s.sendSeconds, s.warmupMessages);
  const warmDrain = await phases.drain(warm.messages, s.drainSecondsMax);
  if (!warmDrain.complete) throw new Error(`${broker.name}: AMQP 1.0 warm-up messages were not all delivered (${warmDrain.messages}/${warm.messages})`);
  log(`${broker.name}: AMQP 1.0 send (${s.amqp10Senders} senders x ${s.amqp10Window} unsettled, durable, ${s.sendSeconds} s or ${s.messagesMax} messages)`);
  const send = await amqp10SendPhase(broker, endpoint, tls, s, s.sendSeconds, s.messagesMax);
  log(
    `${broker.name}: AMQP 1.0 receive (untimed: drain the ${send.messages} messages sent, fill to ${s.amqp10ReceiveMessages}; timed: receive ` +
      `${s.amqp10ReceiveMessages} with ${s.amqp10Receivers} receiver(s), credit ${s.amqp10Credit}, accepted)`,
  );
  const receive = await drainAtDepth(broker, 'AMQP 1.0', phases, send.messages, s.amqp10ReceiveMessages, s);
  return { tls: tlsText, send, receive };
}
