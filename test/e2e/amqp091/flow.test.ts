// Resource alarms with @cloudamqp/amqp-client (the amqplib side is in limits.test.ts): a memory alarm
// and then a disk free alarm each send connection.blocked naming the resource, the client then
// refuses to publish as it does against RabbitMQ, and connection.unblocked lets publishing resume with
// nothing lost. Alarms are driven by the broker's own probes, given test values here.

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { AMQPClient } from '@cloudamqp/amqp-client';
import { startAmqpTestBroker, type AmqpTestBroker } from '../../helpers/amqp-broker.ts';

const started: AmqpTestBroker[] = [];
after(async () => {
  for (const env of started) await env.close();
});

describe('flow control with @cloudamqp/amqp-client', () => {
  it('connection.blocked on a memory alarm and on a disk alarm stops the publisher; connection.unblocked lets it on', async () => {
    let memoryUsed = 0;
    let diskFree = 1e12;
    const env = await startAmqpTestBroker({
      broker: {
        alarmCheckIntervalMs: 10,
        flowControl: { memoryUsedBytes: () => memoryUsed, memoryHighWatermarkBytes: 100, diskFreeBytes: () => diskFree, diskFreeLimitBytes: 1000 },
      },
    });
    started.push(env);
    const publisher = await new AMQPClient(env.url, { ca: env.caPem }).connect();
    const consumer = await new AMQPClient(env.url, { ca: env.caPem }).connect();
    try {
      const pch = await publisher.channel();
      const cch = await consumer.channel();
      const q = (await cch.queueDeclare('', { exclusive: true })).name;
      // Confirms, so that each publish has reached the queue before the next alarm is raised: a
      // publish still in flight when an alarm sets would block the connection (as RabbitMQ does).
      await pch.confirmSelect();
      await pch.basicPublish('', q, 'before');

      for (const [resource, raise, clear] of [
        ['memory', () => (memoryUsed = 200), () => (memoryUsed = 0)],
        ['disk', () => (diskFree = 10), () => (diskFree = 1e12)],
      ] as const) {
        const blocked = new Promise<string>((resolve) => (publisher.onblocked = resolve));
        raise();
        assert.match(await blocked, new RegExp(resource), `the reason names the ${resource} alarm`);
        assert.match(String(publisher.blocked), new RegExp(resource));
        await assert.rejects(pch.basicPublish('', q, `during the ${resource} alarm`), /Connection blocked by server/);
        // The consumer's connection still answers, and nothing published during the alarm arrived.
        const during = await cch.queueDeclare(q, { passive: true });
        assert.equal(during.messageCount, resource === 'memory' ? 1 : 2);

        const unblocked = new Promise<void>((resolve) => (publisher.onunblocked = resolve));
        clear();
        await unblocked;
        assert.equal(publisher.blocked, undefined);
        await pch.basicPublish('', q, `after the ${resource} alarm`);
      }

      const bodies: string[] = [];
      for (let m = await cch.basicGet(q, { noAck: true }); m !== null; m = await cch.basicGet(q, { noAck: true })) {
        bodies.push(m.bodyToString() ?? '');
      }
      assert.deepEqual(bodies, ['before', 'after the memory alarm', 'after the disk alarm']);
    } finally {
      // Clear any alarm left by a failed assertion: a blocked connection reads nothing, not even close.
      memoryUsed = 0;
      diskFree = 1e12;
      await publisher.close();
      await consumer.close();
    }
  });
});
