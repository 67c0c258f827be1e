// Through the session into the encrypted segment store: persistent messages confirmed to amqplib are
// back after the broker is reopened on the same data directory, the one left unacknowledged comes
// with redelivered=true, durable definitions survive, and markers put in bodies, headers, routing keys
// and queue names appear in no file under the data directory.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import amqplib from 'amqplib';
import { createStoreFixture, type StoreFixture } from '../../store/store-fixture.ts';
import { startAmqpTestBroker } from '../../helpers/amqp-broker.ts';
import { filesUnder } from '../../helpers/checks.ts';

let fixture: StoreFixture;
before(async () => {
  fixture = await createStoreFixture();
});
after(async () => {
  await fixture.dispose();
});

describe('AMQP over the encrypted segment store', () => {
  it('keeps confirmed persistent messages and durable definitions across a reopen, redelivers the unacknowledged, stores no plaintext', async () => {
    const marker = 'PLAINTEXT-MARKER-7f3a';
    const queue = `q-${marker}-queue`;
    const n = 20;
    {
      const store = await fixture.open();
      const env = await startAmqpTestBroker({ store });
      const conn = await amqplib.connect(env.url, { ca: [env.caPem] });
      const ch = await conn.createConfirmChannel();
      await ch.assertExchange(`x-${marker}`, 'topic', { durable: true });
      await ch.assertQueue(queue, { durable: true });
      await ch.bindQueue(queue, `x-${marker}`, `rk.${marker}.#`);
      for (let i = 0; i < n; i++) {
        ch.publish(`x-${marker}`, `rk.${marker}.${i}`, Buffer.from(`${marker}-body-${i}`), { persistent: true, headers: { note: `${marker}-header` } });
      }
      await ch.waitForConfirms();
      const consumer = await conn.createChannel();
      const first = await consumer.get(queue);
      assert.ok(first);
      assert.equal(first.content.toString(), `${marker}-body-0`);
      await env.broker.settle();
      // Left unacknowledged: the connection goes away with the broker.
      await env.close();
      await store.close();
    }
    const files = await filesUnder(fixture.dataDir);
    assert.ok(files.length > 0);
    for (const file of files) {
      const bytes = await readFile(file);
      assert.equal(bytes.includes(Buffer.from(marker)), false, `marker found in ${file}`);
    }
    {
      const store = await fixture.open();
      const env = await startAmqpTestBroker({ store });
      const conn = await amqplib.connect(env.url, { ca: [env.caPem] });
      const ch = await conn.createChannel();
      await ch.checkExchange(`x-${marker}`);
      const bodies: string[] = [];
      const redelivered: boolean[] = [];
      for (;;) {
        const m = await ch.get(queue, { noAck: true });
        if (m === false) break;
        bodies.push(m.content.toString());
        redelivered.push(m.fields.redelivered);
        assert.equal(m.properties.headers?.note, `${marker}-header`);
        assert.equal(m.properties.deliveryMode, 2);
      }
      assert.deepEqual(bodies, Array.from({ length: n }, (_, i) => `${marker}-body-${i}`));
      assert.equal(redelivered[0], true);
      assert.ok(redelivered.slice(1).every((r) => !r));
      await conn.close();
      await env.close();
      await store.close();
    }
  });
});
