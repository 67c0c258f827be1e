// GET /metrics on the control-plane endpoint, end to end: the real `sealmq serve`, an amqplib client
// on the default broker, and a scrape over HTTPS. It is refused without the bearer token from
// DATA/metrics-token (0600); with it, the default broker's connections, channels, queue depths and
// message counters are there under its broker_id, API requests are counted by operation and error
// type, and no queue name, username or password appears anywhere in the text. Publisher confirm
// latency and store fdatasync latency histograms and the data-key cache hit and miss counters move
// as a client publishes with confirms (a short data-key cache age makes misses happen while it runs).
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { ListBrokersCommand, NotFoundException, DescribeBrokerCommand, type MqClient } from '@aws-sdk/client-mq';
import amqplib from 'amqplib';
import { httpsGet, mqClient, readBrokerCredentials, startServer, type RunningServer } from '../helpers/server.ts';

const QUEUE = 'metrics-queue-name-7f3a9c';
const LATENCY_QUEUE = 'metrics-latency-queue-2b8e';
const DATA_KEY_CACHE_AGE_MS = 1500;

let server: RunningServer;
let mq: MqClient;
let token: string;

before(async () => {
  server = await startServer({ env: { SEALMQ_DATA_KEY_CACHE_AGE_MAX_MS: String(DATA_KEY_CACHE_AGE_MS) } });
  mq = mqClient(server);
  assert.ok(server.endpoints.metricsTokenFile !== undefined, 'endpoints.json names the metrics token file');
  token = (await readFile(server.endpoints.metricsTokenFile, 'utf8')).trim();
});
after(async () => {
  mq?.destroy();
  await server?.stop();
});

/** The value of one series, e.g. `sealmq_broker_connections{broker_id="b-..."}`; undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const close = line.lastIndexOf('}');
    const labelText = line.slice(name.length + 1, close);
    const found = Object.fromEntries([...labelText.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v) && Object.keys(found).length === Object.keys(labels).length) return Number(line.slice(close + 1).trim());
  }
  return undefined;
}

async function brokerConnection(): Promise<amqplib.ChannelModel> {
  const { username, password } = await readBrokerCredentials(server);
  const url = new URL(server.endpoints.amqps!);
  url.username = encodeURIComponent(username);
  url.password = encodeURIComponent(password);
  return amqplib.connect(url.toString(), { ca: [server.caPem] });
}

/** Every `name_bucket` line of one broker as [le, cumulative count], in order. */
function buckets(text: string, name: string, brokerId: string): [string, number][] {
  const out: [string, number][] = [];
  for (const match of text.matchAll(new RegExp(`^${name}_bucket\\{broker_id="${brokerId}",le="([^"]+)"\\} (\\S+)$`, 'gm'))) out.push([match[1]!, Number(match[2])]);
  return out;
}

async function scrape(): Promise<string> {
  const res = await httpsGet(server, '/metrics', { authorization: `Bearer ${token}` });
  assert.equal(res.status, 200);
  assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  return res.text;
}

describe('GET /metrics', () => {
  it('is refused without the bearer token from the 0600 token file, or with a wrong one', async () => {
    assert.equal((await stat(server.endpoints.metricsTokenFile!)).mode & 0o777, 0o600);
    const none = await httpsGet(server, '/metrics');
    assert.equal(none.status, 401);
    assert.doesNotMatch(none.text, /sealmq_/);
    const wrong = await httpsGet(server, '/metrics', { authorization: `Bearer ${token.slice(0, -1)}x` });
    assert.equal(wrong.status, 401);
  });

  it('shows the default broker connections, channels and queue depth after an amqplib client publishes, and no queue name or username', async () => {
    const brokerId = server.endpoints.brokerId!;
    assert.ok(brokerId !== undefined && server.endpoints.amqps !== undefined);
    const { username, password } = await readBrokerCredentials(server);
    const url = new URL(server.endpoints.amqps);
    url.username = encodeURIComponent(username);
    url.password = encodeURIComponent(password);
    const conn = await amqplib.connect(url.toString(), { ca: [server.caPem] });
    try {
      const ch = await conn.createConfirmChannel();
      await ch.assertQueue(QUEUE, { durable: true });
      for (let i = 0; i < 3; i++) ch.sendToQueue(QUEUE, Buffer.from(`metrics body ${i}`), { persistent: true });
      await ch.waitForConfirms();
      // One message taken and not acknowledged: 2 ready, 1 unacked.
      const got = await ch.get(QUEUE, { noAck: false });
      assert.ok(got !== false);

      const text = await scrape();
      const labels = { broker_id: brokerId };
      assert.ok((sample(text, 'sealmq_broker_connections', labels) ?? 0) >= 1, 'one connection at least');
      assert.ok((sample(text, 'sealmq_broker_channels', labels) ?? 0) >= 1, 'one channel at least');
      assert.equal(sample(text, 'sealmq_broker_queue_messages_ready', labels), 2);
      assert.equal(sample(text, 'sealmq_broker_queue_messages_unacked', labels), 1);
      assert.equal(sample(text, 'sealmq_broker_messages_published_total', labels), 3);
      assert.equal(sample(text, 'sealmq_broker_messages_delivered_total', labels), 1);
      assert.equal(sample(text, 'sealmq_broker_memory_alarm', labels), 0);
      assert.equal(sample(text, 'sealmq_broker_disk_alarm', labels), 0);
      assert.ok(sample(text, 'sealmq_store_segments', labels) !== undefined);
      assert.ok(!text.includes(QUEUE), 'no queue name in the metrics');
      assert.ok(!text.includes(username), 'no broker username in the metrics');
      assert.ok(!text.includes(password), 'no broker password in the metrics');
      assert.ok(!text.includes(server.credentials.accessKeyId), 'no access key id in the metrics');
      ch.nack(got, false, true);
      await ch.close();
    } finally {
      await conn.close();
    }
  });

  it('has publisher confirm latency and store sync latency histograms and data-key cache hit and miss counters that move with publishing', async () => {
    const brokerId = server.endpoints.brokerId!;
    const labels = { broker_id: brokerId };
    const before = await scrape();
    for (const name of ['sealmq_broker_confirm_latency_seconds', 'sealmq_store_sync_duration_seconds']) {
      assert.match(before, new RegExp(`^# TYPE ${name} histogram$`, 'm'));
      assert.ok(sample(before, `${name}_count`, labels) !== undefined, `${name} is there for the default broker`);
    }
    for (const name of ['sealmq_store_data_key_cache_hits_total', 'sealmq_store_data_key_cache_misses_total']) {
      assert.match(before, new RegExp(`^# TYPE ${name} counter$`, 'm'));
      assert.ok(sample(before, name, labels) !== undefined, `${name} is there for the default broker`);
    }
    const n = 20;
    const conn = await brokerConnection();
    try {
      const ch = await conn.createConfirmChannel();
      await ch.assertQueue(LATENCY_QUEUE, { durable: true });
      for (let i = 0; i < n; i++) ch.sendToQueue(LATENCY_QUEUE, Buffer.from(`latency body ${i}`), { persistent: true });
      await ch.waitForConfirms();
      const after = await scrape();
      const confirms = sample(after, 'sealmq_broker_confirm_latency_seconds_count', labels)! - sample(before, 'sealmq_broker_confirm_latency_seconds_count', labels)!;
      assert.ok(confirms >= n, `${n} confirms observed (${confirms})`);
      assert.ok(sample(after, 'sealmq_broker_confirm_latency_seconds_sum', labels)! > sample(before, 'sealmq_broker_confirm_latency_seconds_sum', labels)!);
      const confirmBuckets = buckets(after, 'sealmq_broker_confirm_latency_seconds', brokerId);
      assert.ok(confirmBuckets.length > 2 && confirmBuckets.at(-1)![0] === '+Inf', 'le buckets up to +Inf');
      assert.equal(confirmBuckets.at(-1)![1], sample(after, 'sealmq_broker_confirm_latency_seconds_count', labels));
      assert.ok(confirmBuckets.every(([, count], i) => i === 0 || count >= confirmBuckets[i - 1]![1]), 'buckets are cumulative');
      assert.ok(sample(after, 'sealmq_store_sync_duration_seconds_count', labels)! > sample(before, 'sealmq_store_sync_duration_seconds_count', labels)!, 'persistent publishes were synced');
      assert.ok(sample(after, 'sealmq_store_sync_duration_seconds_sum', labels)! > 0);
      assert.ok(sample(after, 'sealmq_store_data_key_cache_hits_total', labels)! > sample(before, 'sealmq_store_data_key_cache_hits_total', labels)!, 'writes under the cached data key are hits');

      // Once the cached data key is older than its age limit the store must ask the KMS again: a miss.
      const missesBefore = sample(after, 'sealmq_store_data_key_cache_misses_total', labels)!;
      const deadline = Date.now() + 30_000;
      let misses = missesBefore;
      while (misses <= missesBefore && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, DATA_KEY_CACHE_AGE_MS / 3));
        ch.sendToQueue(LATENCY_QUEUE, Buffer.from('after the cache age'), { persistent: true });
        await ch.waitForConfirms();
        misses = sample(await scrape(), 'sealmq_store_data_key_cache_misses_total', labels)!;
      }
      assert.ok(misses > missesBefore, `a data-key cache miss once the key aged out (${missesBefore} -> ${misses})`);
      await ch.deleteQueue(LATENCY_QUEUE);
      await ch.close();
    } finally {
      await conn.close();
    }
  });

  it('counts API requests by operation and AWS error type', async () => {
    await mq.send(new ListBrokersCommand({}));
    await assert.rejects(mq.send(new DescribeBrokerCommand({ BrokerId: 'b-00000000-0000-0000-0000-000000000000' })), NotFoundException);
    const text = await scrape();
    assert.ok((sample(text, 'sealmq_api_requests_total', { service: 'mq', operation: 'ListBrokers', error_type: 'none' }) ?? 0) >= 1);
    assert.ok((sample(text, 'sealmq_api_requests_total', { service: 'mq', operation: 'DescribeBroker', error_type: 'NotFoundException' }) ?? 0) >= 1);
    const audited = /^sealmq_audit_events_written (\d+)$/m.exec(text);
    assert.ok(audited !== null && Number(audited[1]) > 0, 'the audit trail has written events');
  });
});
