// Randomised bookkeeping check: whatever sequence of publishes, consumes, gets, acks, nacks,
// rejects, recovers, cancels and channel closes a client performs, every message is accounted for
// exactly once (ready, unacknowledged, acknowledged or discarded), prefetch limits hold, and the
// store holds exactly the durable messages not yet acknowledged or discarded.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { flush, message, openTestBroker, text, type RecordingHandler } from './test-support.ts';
import type { ConsumerChannel } from './channel.ts';

type Op =
  | { kind: 'publish'; persistent: boolean }
  | { kind: 'consume'; channel: number; prefetch: number; noAck: boolean }
  | { kind: 'cancel'; channel: number }
  | { kind: 'get'; channel: number; noAck: boolean }
  | { kind: 'settle'; channel: number; how: 'ack' | 'ack-multiple' | 'nack-requeue' | 'reject-drop'; pick: number }
  | { kind: 'recover'; channel: number }
  | { kind: 'close'; channel: number };

const channelIndex = fc.integer({ min: 0, max: 2 });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('publish' as const), persistent: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('consume' as const), channel: channelIndex, prefetch: fc.integer({ min: 0, max: 3 }), noAck: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancel' as const), channel: channelIndex }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('get' as const), channel: channelIndex, noAck: fc.boolean() }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('settle' as const),
      channel: channelIndex,
      how: fc.constantFrom('ack' as const, 'ack-multiple' as const, 'nack-requeue' as const, 'reject-drop' as const),
      pick: fc.nat(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('recover' as const), channel: channelIndex }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('close' as const), channel: channelIndex }) },
);

describe('queue and channel bookkeeping (randomised)', () => {
  it('accounts for every message exactly once and honours prefetch', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 60 }), async (ops) => {
        const t = await openTestBroker();
        await t.channel.declareQueue({ queue: 'q', durable: true });
        const channels: Array<{ channel: ConsumerChannel; handler: RecordingHandler; consumer?: string; prefetch: number; generation: number }> = [];
        let generation = 0;
        const fresh = () => {
          const { channel, handler } = t.openChannel();
          return { channel, handler, prefetch: 0, generation: 0 };
        };
        for (let i = 0; i < 3; i++) channels.push(fresh());
        let published = 0;
        const finished = new Set<string>(); // acked or dropped
        /** Delivery tags per channel ("channel:tag") of unacknowledged deliveries: body and, for consumer deliveries, the consumer generation. */
        const tagBody = new Map<string, string>();
        const tagGeneration = new Map<string, number>();
        for (const o of ops) {
          const c = channels[o.kind === 'publish' ? 0 : o.channel]!;
          switch (o.kind) {
            case 'publish': {
              const id = `m${published++}`;
              t.channel.publish(message('', 'q', id, { persistent: o.persistent }));
              break;
            }
            case 'consume':
              if (c.consumer !== undefined) break;
              c.channel.qos(o.prefetch, false);
              c.prefetch = o.noAck ? 0 : o.prefetch;
              c.generation = ++generation;
              c.consumer = c.channel.consume({ queue: 'q', noAck: o.noAck, consumerTag: o.noAck ? 'noack' : 'ack' });
              break;
            case 'cancel':
              if (c.consumer !== undefined) c.channel.cancel(c.consumer);
              c.consumer = undefined;
              break;
            case 'get': {
              const d = c.channel.get({ queue: 'q', noAck: o.noAck });
              if (d !== undefined && o.noAck) finished.add(text(d)!);
              if (d !== undefined && !o.noAck) tagBody.set(`${o.channel}:${d.deliveryTag}`, text(d)!);
              break;
            }
            case 'settle': {
              if (c.channel.unackedCount === 0) break;
              const tags = [...tagBody.keys()].filter((k) => k.startsWith(`${o.channel}:`)).map((k) => Number(k.split(':')[1]));
              if (tags.length === 0) break;
              const tag = tags[o.pick % tags.length]!;
              const settled = o.how === 'ack-multiple' ? tags.filter((x) => x <= tag) : [tag];
              if (o.how === 'ack') c.channel.ack(tag);
              else if (o.how === 'ack-multiple') c.channel.ack(tag, true);
              else if (o.how === 'nack-requeue') c.channel.nack(tag, false, true);
              else c.channel.reject(tag, false);
              for (const s of settled) {
                const body = tagBody.get(`${o.channel}:${s}`)!;
                tagBody.delete(`${o.channel}:${s}`);
                if (o.how !== 'nack-requeue') finished.add(body);
              }
              break;
            }
            case 'recover':
              c.channel.recover(true);
              for (const k of [...tagBody.keys()]) if (k.startsWith(`${o.channel}:`)) tagBody.delete(k);
              break;
            case 'close':
              c.channel.close();
              for (const k of [...tagBody.keys()]) if (k.startsWith(`${o.channel}:`)) tagBody.delete(k);
              channels[o.channel] = fresh();
              break;
          }
          await flush();
          // Record consumer deliveries as outstanding (ack mode) or finished (no-ack).
          for (let i = 0; i < channels.length; i++) {
            const ch = channels[i]!;
            for (const d of ch.handler.deliveries.splice(0)) {
              if (d.consumerTag === 'noack') finished.add(text(d)!);
              else {
                tagBody.set(`${i}:${d.deliveryTag}`, text(d)!);
                tagGeneration.set(`${i}:${d.deliveryTag}`, ch.generation);
              }
            }
            // The current consumer never holds more than its prefetch.
            if (ch.consumer !== undefined && ch.prefetch > 0) {
              const held = [...tagBody.keys()].filter((k) => k.startsWith(`${i}:`) && tagGeneration.get(k) === ch.generation).length;
              assert.ok(held <= ch.prefetch, `consumer holds ${held} > prefetch ${ch.prefetch}`);
            }
          }
        }
        // Every message is exactly one of: finished, unacked (in tagBody), or ready.
        const unacked = new Set(tagBody.values());
        assert.equal(unacked.size, tagBody.size, 'a message is unacknowledged twice');
        for (const body of unacked) assert.equal(finished.has(body), false, `${body} both finished and unacknowledged`);
        const ready: string[] = [];
        // Cancel every consumer first, so that what closing requeues is not consumed on the way.
        for (const c of channels) if (c.consumer !== undefined) c.channel.cancel(c.consumer);
        for (const c of channels) c.channel.close();
        const probe = t.openChannel().channel;
        for (let d = probe.get({ queue: 'q', noAck: true }); d !== undefined; d = probe.get({ queue: 'q', noAck: true })) ready.push(text(d)!);
        for (const body of ready) assert.equal(finished.has(body), false, `${body} finished yet delivered again`);
        assert.equal(ready.length + finished.size, published, 'messages lost or duplicated');
        assert.equal(new Set(ready).size, ready.length);
        // The store holds nothing once everything is finished.
        await t.broker.settle();
        const [queueId] = await t.store.queueIds();
        if (queueId !== undefined) assert.equal((await t.store.queueStats(queueId)).messageCount, 0);
      }),
      { numRuns: 150 },
    );
  });
});
