// Prometheus metrics for GET /metrics on the control-plane endpoint (issue 4 item 8): one prom-client
// Registry per server (never the global default one), filled on each scrape from what the running
// brokers expose (core counters, queue depths, alarms, store stats) and counted in the API pipeline
// (requests by service, operation and error type). Labels are bounded and carry no content: broker
// ids, operation names from the API's own tables and AWS error types; never queue names, usernames,
// access keys or message data. Who may scrape is the API server's decision (api-server.ts).
// Latencies measured inside a broker (publisher confirms, store fdatasync) are kept there as
// cumulative histograms (util/latency-histogram.ts) and only rendered here at scrape time.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type Metric } from 'prom-client';
import type { AuditSink } from '../core/audit-sink.ts';
import type { Broker } from '../core/broker.ts';
import type { LatencyHistogramSnapshot } from '../util/latency-histogram.ts';

/** What a scrape reads of one running broker. */
export interface BrokerMetricsSource {
  readonly brokerId: string;
  readonly broker: Pick<Broker, 'counters' | 'connections' | 'queueStats' | 'flow'> & { readonly confirmLatency: { snapshot(): LatencyHistogramSnapshot } };
  readonly store: {
    stats(): { segments: number; cachedKeys: number; dataKeyCacheHits: number; dataKeyCacheMisses: number };
    readonly syncLatency: { snapshot(): LatencyHistogramSnapshot };
  };
}

export interface ControlPlaneMetricsOptions {
  /** The brokers running now (BrokerSupervisor.runningBrokers). */
  readonly brokers: () => readonly BrokerMetricsSource[];
  readonly audit?: Pick<AuditSink, 'stats'> | undefined;
  /** Node's process metrics (memory, CPU, event loop lag) under the `sealmq_` prefix. Default true. */
  readonly processMetrics?: boolean;
}

/** Operation labels are bounded: a name outside the API's tables is counted as this. */
export const UNKNOWN_OPERATION = 'unknown';

const BROKER_LABELS = ['broker_id'] as const;

/** The registry behind GET /metrics, and the API pipeline's request observer. */
export class ControlPlaneMetrics {
  readonly registry = new Registry();
  readonly #apiRequests: Counter<'service' | 'operation' | 'error_type'>;
  readonly #apiDuration: Histogram<'service'>;

  constructor(options: ControlPlaneMetricsOptions) {
    const registry = this.registry;
    if (options.processMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'sealmq_' });

    this.#apiRequests = new Counter({
      name: 'sealmq_api_requests_total',
      help: 'Control-plane API requests by service, operation and AWS error type (none = success)',
      labelNames: ['service', 'operation', 'error_type'],
      registers: [registry],
    });
    this.#apiDuration = new Histogram({
      name: 'sealmq_api_request_duration_seconds',
      help: 'Control-plane API request duration',
      labelNames: ['service'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: [registry],
    });

    // Each broker gauge is recomputed from scratch at scrape time, so a deleted broker's series vanish.
    const perBroker = (name: string, help: string, value: (source: BrokerMetricsSource) => number) =>
      new Gauge({
        name,
        help,
        labelNames: BROKER_LABELS,
        registers: [registry],
        collect() {
          this.reset();
          for (const source of options.brokers()) this.set({ broker_id: source.brokerId }, value(source));
        },
      });
    const sumQueues = (source: BrokerMetricsSource, field: 'ready' | 'unacked' | 'consumers' | 'readyBytes') => {
      let total = 0;
      for (const queue of source.broker.queueStats()) total += queue[field];
      return total;
    };
    perBroker('sealmq_broker_connections', 'Open client connections', (s) => s.broker.connections.size);
    perBroker('sealmq_broker_channels', 'Open channels over all connections', (s) => {
      let channels = 0;
      for (const connection of s.broker.connections) channels += connection.channels.size;
      return channels;
    });
    perBroker('sealmq_broker_queues', 'Queues in all virtual hosts', (s) => s.broker.queueStats().length);
    perBroker('sealmq_broker_queue_messages_ready', 'Messages ready for delivery, summed over the queues', (s) => sumQueues(s, 'ready'));
    perBroker('sealmq_broker_queue_messages_unacked', 'Messages delivered and not yet acknowledged, summed over the queues', (s) => sumQueues(s, 'unacked'));
    perBroker('sealmq_broker_queue_messages_ready_bytes', 'Body bytes of ready messages, summed over the queues', (s) => sumQueues(s, 'readyBytes'));
    perBroker('sealmq_broker_consumers', 'Consumers, summed over the queues', (s) => sumQueues(s, 'consumers'));
    perBroker('sealmq_broker_memory_alarm', '1 while the memory alarm blocks publishers', (s) => (s.broker.flow.alarms.includes('memory') ? 1 : 0));
    perBroker('sealmq_broker_disk_alarm', '1 while the disk free alarm blocks publishers', (s) => (s.broker.flow.alarms.includes('disk') ? 1 : 0));
    perBroker('sealmq_store_segments', 'Segment files of the encrypted message store', (s) => s.store.stats().segments);
    perBroker('sealmq_store_data_keys_cached', 'Plaintext data keys held in the store cache', (s) => s.store.stats().cachedKeys);

    // The core's counters restart at zero when a broker reboots; Prometheus' rate() treats that as a reset.
    const counter = (name: string, help: string, field: keyof Broker['counters']) =>
      new Counter({
        name,
        help,
        labelNames: BROKER_LABELS,
        registers: [registry],
        collect() {
          this.reset();
          for (const source of options.brokers()) this.inc({ broker_id: source.brokerId }, source.broker.counters[field]);
        },
      });
    counter('sealmq_broker_messages_published_total', 'Messages published', 'published');
    counter('sealmq_broker_messages_unroutable_total', 'Published messages that reached no queue', 'unroutable');
    counter('sealmq_broker_messages_delivered_total', 'Messages delivered to consumers or basic.get', 'delivered');
    counter('sealmq_broker_messages_redelivered_total', 'Deliveries with redelivered=true', 'redelivered');
    counter('sealmq_broker_messages_acknowledged_total', 'Deliveries acknowledged', 'acknowledged');
    counter('sealmq_broker_messages_requeued_total', 'Deliveries requeued', 'requeued');
    counter('sealmq_broker_messages_discarded_total', 'Deliveries rejected or nacked without requeue', 'discarded');

    const storeCounter = (name: string, help: string, value: (source: BrokerMetricsSource) => number) =>
      new Counter({
        name,
        help,
        labelNames: BROKER_LABELS,
        registers: [registry],
        collect() {
          this.reset();
          for (const source of options.brokers()) this.inc({ broker_id: source.brokerId }, value(source));
        },
      });
    storeCounter('sealmq_store_data_key_cache_hits_total', 'Data-key lookups of the encrypted store served from its cache', (s) => s.store.stats().dataKeyCacheHits);
    storeCounter(
      'sealmq_store_data_key_cache_misses_total',
      'Data-key lookups of the encrypted store that asked the KMS (key not cached, expired or past its limits)',
      (s) => s.store.stats().dataKeyCacheMisses,
    );

    const brokerHistogram = (name: string, help: string, value: (source: BrokerMetricsSource) => LatencyHistogramSnapshot) =>
      registry.registerMetric(new BrokerHistogram(name, help, () => options.brokers().map((source) => ({ brokerId: source.brokerId, snapshot: value(source) }))) as unknown as Metric);
    brokerHistogram(
      'sealmq_broker_confirm_latency_seconds',
      'Time from a publish to its publisher confirm (ack or nack) being sent',
      (s) => s.broker.confirmLatency.snapshot(),
    );
    brokerHistogram('sealmq_store_sync_duration_seconds', 'Duration of each fdatasync of the encrypted message store', (s) => s.store.syncLatency.snapshot());

    const audit = options.audit;
    if (audit !== undefined) {
      const auditGauge = (name: string, help: string, value: (stats: ReturnType<AuditSink['stats']>) => number) =>
        new Gauge({
          name,
          help,
          registers: [registry],
          collect() {
            this.set(value(audit.stats()));
          },
        });
      auditGauge('sealmq_audit_events_written', 'Audit events written and synced since start', (s) => s.writtenEvents);
      auditGauge('sealmq_audit_events_rejected', 'Audit events refused (queue full or trail failed): each is a gap to investigate', (s) => s.rejectedEvents);
      auditGauge('sealmq_audit_events_queued', 'Audit events waiting to be written', (s) => s.queuedEvents);
      auditGauge('sealmq_audit_digests_written', 'Signed digests written since start', (s) => s.digestsWritten);
      auditGauge('sealmq_audit_failed', '1 once the audit trail has failed (SealMQ stops serving)', (s) => (s.failure === undefined ? 0 : 1));
    }
  }

  /** Counts one API request; `operation` must come from the API's tables (or be UNKNOWN_OPERATION). */
  observeApiRequest(service: string, operation: string, errorType: string | undefined, durationMs: number): void {
    this.#apiRequests.inc({ service, operation, error_type: errorType ?? 'none' });
    this.#apiDuration.observe({ service }, durationMs / 1000);
  }

  /** The exposition text and its content type. */
  async render(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }
}

/**
 * A histogram per broker rendered from the cumulative counts the broker keeps itself. prom-client's
 * Histogram only takes observations one at a time; the registry reads any object with a name and
 * `get()` (prom-client 15 registry.js), so this one hands it the same shape a Histogram would.
 */
class BrokerHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';

  constructor(
    readonly name: string,
    readonly help: string,
    readonly read: () => readonly { brokerId: string; snapshot: LatencyHistogramSnapshot }[],
  ) {}

  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: { metricName: string; labels: Record<string, string | number>; value: number }[] }> {
    const values: { metricName: string; labels: Record<string, string | number>; value: number }[] = [];
    for (const { brokerId, snapshot } of this.read()) {
      snapshot.boundsSeconds.forEach((bound, index) => {
        values.push({ metricName: `${this.name}_bucket`, labels: { broker_id: brokerId, le: bound }, value: snapshot.cumulativeCounts[index]! });
      });
      values.push({ metricName: `${this.name}_bucket`, labels: { broker_id: brokerId, le: '+Inf' }, value: snapshot.count });
      values.push({ metricName: `${this.name}_sum`, labels: { broker_id: brokerId }, value: snapshot.sumSeconds });
      values.push({ metricName: `${this.name}_count`, labels: { broker_id: brokerId }, value: snapshot.count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    // The counts belong to the brokers; a registry reset does not clear them.
  }
}
