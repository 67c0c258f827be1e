// ControlPlaneMetrics rendered from broker sources: the latency histograms the brokers keep (publisher
// confirms, store fdatasync) come out as Prometheus histograms per broker_id, the data-key cache
// counters as counters, and a broker that stops running takes its series with it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LatencyHistogram } from '../util/latency-histogram.ts';
import { ControlPlaneMetrics, type BrokerMetricsSource } from './metrics.ts';

function source(brokerId: string): BrokerMetricsSource & { confirm: LatencyHistogram; sync: LatencyHistogram; hits: number; misses: number } {
  const confirm = new LatencyHistogram([0.001, 0.01, 0.1]);
  const sync = new LatencyHistogram([0.001, 0.01]);
  const self = {
    brokerId,
    confirm,
    sync,
    hits: 0,
    misses: 0,
    broker: {
      counters: { published: 0, unroutable: 0, delivered: 0, redelivered: 0, acknowledged: 0, requeued: 0, discarded: 0 },
      connections: new Set(),
      queueStats: () => [],
      flow: { alarms: [] },
      confirmLatency: confirm,
    },
    store: {
      stats: () => ({ segments: 1, cachedKeys: 1, dataKeyCacheHits: self.hits, dataKeyCacheMisses: self.misses }),
      syncLatency: sync,
    },
  };
  return self as unknown as ReturnType<typeof source>;
}

function lines(text: string, prefix: string): string[] {
  return text.split('\n').filter((line) => line.startsWith(prefix));
}

describe('ControlPlaneMetrics', () => {
  it('renders each broker confirm and sync latency as a histogram with cumulative le buckets, _sum and _count', async () => {
    const a = source('b-aaaaaaaa-0000-0000-0000-000000000000');
    for (const seconds of [0.0005, 0.005, 0.05, 0.5]) a.confirm.observe(seconds);
    a.sync.observe(0.002);
    const metrics = new ControlPlaneMetrics({ brokers: () => [a], processMetrics: false });
    const { text } = await metrics.render();
    assert.match(text, /^# TYPE sealmq_broker_confirm_latency_seconds histogram$/m);
    assert.deepEqual(lines(text, 'sealmq_broker_confirm_latency_seconds'), [
      `sealmq_broker_confirm_latency_seconds_bucket{broker_id="${a.brokerId}",le="0.001"} 1`,
      `sealmq_broker_confirm_latency_seconds_bucket{broker_id="${a.brokerId}",le="0.01"} 2`,
      `sealmq_broker_confirm_latency_seconds_bucket{broker_id="${a.brokerId}",le="0.1"} 3`,
      `sealmq_broker_confirm_latency_seconds_bucket{broker_id="${a.brokerId}",le="+Inf"} 4`,
      `sealmq_broker_confirm_latency_seconds_sum{broker_id="${a.brokerId}"} 0.5555`,
      `sealmq_broker_confirm_latency_seconds_count{broker_id="${a.brokerId}"} 4`,
    ]);
    assert.match(text, /^# TYPE sealmq_store_sync_duration_seconds histogram$/m);
    assert.ok(lines(text, 'sealmq_store_sync_duration_seconds_count').includes(`sealmq_store_sync_duration_seconds_count{broker_id="${a.brokerId}"} 1`));
    assert.ok(lines(text, 'sealmq_store_sync_duration_seconds_bucket').includes(`sealmq_store_sync_duration_seconds_bucket{broker_id="${a.brokerId}",le="0.01"} 1`));
  });

  it('counts data-key cache hits and misses per broker, and drops the series of a broker no longer running', async () => {
    const a = source('b-aaaaaaaa-0000-0000-0000-000000000000');
    const b = source('b-bbbbbbbb-0000-0000-0000-000000000000');
    let running = [a, b];
    const metrics = new ControlPlaneMetrics({ brokers: () => running, processMetrics: false });
    a.hits = 7;
    a.misses = 2;
    b.hits = 1;
    let { text } = await metrics.render();
    assert.match(text, /^# TYPE sealmq_store_data_key_cache_hits_total counter$/m);
    assert.ok(text.includes(`sealmq_store_data_key_cache_hits_total{broker_id="${a.brokerId}"} 7`));
    assert.ok(text.includes(`sealmq_store_data_key_cache_misses_total{broker_id="${a.brokerId}"} 2`));
    assert.ok(text.includes(`sealmq_store_data_key_cache_hits_total{broker_id="${b.brokerId}"} 1`));
    assert.ok(text.includes(`sealmq_store_data_key_cache_misses_total{broker_id="${b.brokerId}"} 0`));
    a.hits = 9;
    running = [a];
    ({ text } = await metrics.render());
    assert.ok(text.includes(`sealmq_store_data_key_cache_hits_total{broker_id="${a.brokerId}"} 9`));
    assert.ok(!text.includes(b.brokerId), 'the stopped broker has no series left');
    assert.equal(lines(text, 'sealmq_broker_confirm_latency_seconds_count').length, 1);
  });
});
