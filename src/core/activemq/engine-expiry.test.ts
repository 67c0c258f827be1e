// Durable subscriptions that expire (SubscribeOptions.expiresAfterMs, the MQTT 5 session expiry): the
// core's x-expires on the subscription queue, counted only while no consumer is attached, kept
// across a reopen (its countdown starting again at recovery), changed in place without losing
// messages, and the engine's index of durable subscriptions by client id following the core's
// deletions. Time is a FakeClock: no real waits.

import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { FakeClock } from '../clock.ts';
import type { MemoryStoreState } from '../memory-message-store.ts';
import { AmqError, type AmqConnection, type SubscribeOptions } from './api.ts';
import { openEngine, record, settle, textMessage, type EngineFixture } from './engine-test-support.ts';

const fixtures: EngineFixture[] = [];

afterEach(async () => {
  for (const f of fixtures.splice(0)) await f.close();
});

async function open(clock: FakeClock, state?: MemoryStoreState): Promise<EngineFixture> {
  const f = await openEngine({ broker: { clock }, ...(state === undefined ? {} : { state }) });
  fixtures.push(f);
  return f;
}

/** Closes the engine's broker and opens it again on the same store state with a new clock. */
async function reopen(f: EngineFixture, clock: FakeClock): Promise<EngineFixture> {
  await f.broker.settle();
  await f.close();
  fixtures.splice(fixtures.indexOf(f), 1);
  return open(clock, f.state);
}

const topic = { kind: 'topic', name: 'sensors.a' } as const;

function durable(expiresAfterMs: number | undefined, id = 'd'): SubscribeOptions {
  return { id, destination: topic, ackMode: 'individual', durableName: 'AT_LEAST_ONCE:sensors/a', expiresAfterMs };
}

async function sendPersistent(f: EngineFixture, ...bodies: string[]): Promise<void> {
  const producer = await f.connect();
  for (const body of bodies) await producer.send(topic, textMessage(body, { persistent: true }));
  await producer.close();
}

/** Attaches to the durable subscription, waits for `count` messages and detaches without acking. */
async function receive(c: AmqConnection, options: SubscribeOptions, count: number): Promise<string[]> {
  const r = await record(c, options);
  await r.waitFor(count);
  await settle();
  await r.subscription.close();
  return r.bodies();
}

function stored(c: AmqConnection) {
  return c.durableSubscriptions().map((d) => [d.name, d.expiresAfterMs] as const);
}

describe('ActiveMQ engine: durable subscriptions that expire', () => {
  it('never expires while a consumer is attached; expires once left without one that long', async () => {
    const clock = new FakeClock();
    const f = await open(clock);
    const c = await f.connect({ clientId: 'device-1' });
    const sub = await c.subscribe(durable(1000), () => undefined);
    clock.advance(5000);
    await settle();
    assert.deepEqual(stored(c), [['AT_LEAST_ONCE:sensors/a', 1000]], 'a consumer keeps it');
    await sub.close();
    await sendPersistent(f, 'kept for a while');
    clock.advance(999);
    await settle();
    assert.deepEqual(stored(c), [['AT_LEAST_ONCE:sensors/a', 1000]], 'counted from when the consumer left');
    clock.advance(1);
    await settle();
    // Checked before anything reads the index (a read drops what it finds gone).
    assert.equal(f.engine.durableClientCount, 0, 'the index forgets a client whose last subscription expired');
    assert.deepEqual(stored(c), [], 'gone, with its message');
    assert.equal(f.engine.coreQueue('ActiveMQ.Subscription.Durable:device-1:AT_LEAST_ONCE%3Asensors%2Fa'), undefined);
    // Subscribing again makes a new, empty one.
    assert.deepEqual(await receiveNothingThen(f, c), ['after']);
  });

  it('keeps its expiry across a reopen, the countdown starting again at recovery', async () => {
    const clock = new FakeClock();
    let f = await open(clock);
    const c = await f.connect({ clientId: 'device-2' });
    await (await c.subscribe(durable(10_000), () => undefined)).close();
    await sendPersistent(f, 'before restart');
    clock.advance(9000);
    await settle();
    const later = new FakeClock(clock.now() + 60_000);
    f = await reopen(f, later);
    const back = await f.connect({ clientId: 'device-2' });
    assert.deepEqual(stored(back), [['AT_LEAST_ONCE:sensors/a', 10_000]], 'recovered with the queue');
    // Later than asked (9 s had passed before the restart), never earlier: from recovery on.
    later.advance(9999);
    await settle();
    assert.deepEqual(stored(back), [['AT_LEAST_ONCE:sensors/a', 10_000]]);
    later.advance(1);
    await settle();
    assert.equal(f.engine.durableClientCount, 0);
    assert.deepEqual(stored(back), [], 'expired after a restart without its client');

    // The control case: a client back in time after the restart gets what was collected.
    const control = await f.connect({ clientId: 'device-3' });
    await (await control.subscribe(durable(10_000), () => undefined)).close();
    await sendPersistent(f, 'kept');
    const third = new FakeClock(later.now());
    f = await reopen(f, third);
    third.advance(5000);
    await settle();
    const returned = await f.connect({ clientId: 'device-3' });
    assert.deepEqual(await receive(returned, durable(10_000), 1), ['kept']);
  });

  it('changes its expiry in place, keeping its messages, and stores the change', async () => {
    const clock = new FakeClock();
    let f = await open(clock);
    const c = await f.connect({ clientId: 'device-4' });
    await (await c.subscribe(durable(1000), () => undefined)).close();
    await sendPersistent(f, 'one');
    // Subscribed again with a longer expiry (an MQTT session resumed with another interval).
    assert.deepEqual(await receive(c, durable(60_000), 1), ['one']);
    assert.deepEqual(stored(c), [['AT_LEAST_ONCE:sensors/a', 60_000]]);
    clock.advance(30_000);
    await settle();
    assert.deepEqual(stored(c), [['AT_LEAST_ONCE:sensors/a', 60_000]], 'the longer expiry applies');
    // Changed without a consumer (an MQTT 5 DISCONNECT): the countdown starts again with it.
    await c.setDurableExpiry('AT_LEAST_ONCE:sensors/a', 5000);
    assert.deepEqual(stored(c), [['AT_LEAST_ONCE:sensors/a', 5000]]);
    f = await reopen(f, clock);
    const back = await f.connect({ clientId: 'device-4' });
    assert.deepEqual(stored(back), [['AT_LEAST_ONCE:sensors/a', 5000]], 'the change was stored');
    // None: never removed, and the unacknowledged message is still there.
    await back.setDurableExpiry('AT_LEAST_ONCE:sensors/a', undefined);
    clock.advance(10 * 60_000);
    await settle();
    assert.deepEqual(stored(back), [['AT_LEAST_ONCE:sensors/a', undefined]]);
    assert.deepEqual(await receive(back, durable(undefined), 1), ['one']);
    await assert.rejects(back.setDurableExpiry('no-such', 1000), (e: unknown) => e instanceof AmqError && e.code === 'invalid-destination');
  });

  it('gives none to a subscription that does not ask, or asks for more than the largest x-expires; a long one is kept until due', async () => {
    const clock = new FakeClock();
    const f = await open(clock);
    const c = await f.connect({ clientId: 'stomp-client' });
    await (await c.subscribe({ id: 's', destination: topic, ackMode: 'client', durableName: 'plain' }, () => undefined)).close();
    await (await c.subscribe({ ...durable(2 ** 32), id: 'l', durableName: 'long' }, () => undefined)).close();
    await (await c.subscribe({ ...durable(2 ** 31), id: 'm', durableName: 'month' }, () => undefined)).close();
    clock.advance(2 ** 31 - 1);
    await settle();
    assert.ok(c.durableSubscriptions().some((d) => d.name === 'month'), 'not removed early');
    clock.advance(1);
    await settle();
    assert.ok(!c.durableSubscriptions().some((d) => d.name === 'month'), 'removed when due, past 2^31-1 ms');
    clock.advance(2 ** 33);
    await settle();
    assert.deepEqual(
      c.durableSubscriptions().map((d) => [d.name, d.expiresAfterMs]).sort(),
      [
        ['long', undefined],
        ['plain', undefined],
      ],
    );
    await assert.rejects(c.subscribe({ ...durable(0), id: 'z', durableName: 'zero' }, () => undefined));
  });
});

/** Subscribes again after an expiry: the new subscription has only what is sent after it. */
async function receiveNothingThen(f: EngineFixture, c: AmqConnection): Promise<string[]> {
  const r = await record(c, durable(1000, 'again'));
  await sendPersistent(f, 'after');
  await r.waitFor(1);
  await settle();
  await r.subscription.close();
  return r.bodies();
}
