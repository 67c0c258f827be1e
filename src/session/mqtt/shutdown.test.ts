// The MQTT session's will on broker shutdown when the store does not answer: close() (the
// listener closing the session for a shutdown) publishes the will but does not wait for a stalled
// store beyond its bound, so the shutdown goes on. The store here is the in-memory one with its
// appends held back by a gate; the engine and the session are the real ones.

import assert from 'node:assert/strict';
import { Duplex, PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { startActiveMqTestBroker, type ActiveMqTestBroker } from '../../../test/helpers/activemq-broker.ts';
import { MemoryMessageStore, createMemoryStoreState } from '../../core/memory-message-store.ts';
import type { MessageStore } from '../../core/message-store.ts';
import { createMqttSession } from './session.ts';

let server: ActiveMqTestBroker;
let stalled = false;
let release: () => void = () => undefined;
const gate = new Promise<void>((resolve) => (release = resolve));

before(async () => {
  const inner = new MemoryMessageStore(createMemoryStoreState());
  // Appends wait at the gate while `stalled`: a store that has stopped answering.
  const store = new Proxy(inner, {
    get(target, property, receiver) {
      if (property === 'append') {
        return async (...args: Parameters<MessageStore['append']>) => {
          if (stalled) await gate;
          return target.append(...args);
        };
      }
      const value = Reflect.get(target, property, receiver) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  server = await startActiveMqTestBroker({ store, session: () => ({ close: async () => undefined }) });
});
after(async () => {
  release();
  await server.close();
});

describe('MQTT session: the will on a shutdown with a stalled store', () => {
  it('publishes the will but does not hold the shutdown for a store that does not answer', { timeout: 30_000 }, async () => {
    // A durable subscription on the will topic: the will (QoS 1) must be stored.
    const subscriber = await server.engine.connect({ username: server.username, password: server.password, clientId: 'will-watcher' });
    await (await subscriber.subscribe({ id: 'w', destination: { kind: 'topic', name: 'status.stalled' }, ackMode: 'individual', durableName: 'AT_LEAST_ONCE:status/stalled' }, () => undefined)).close();
    await subscriber.close();

    const toServer = new PassThrough();
    const toClient = new PassThrough();
    const session = createMqttSession(Duplex.from({ readable: toServer, writable: toClient }), { engine: server.engine, closeTimeoutMs: 200 });
    const parser = mqttPacket.parser({ protocolVersion: 5 });
    const packets: Packet[] = [];
    parser.on('packet', (p: Packet) => packets.push(p));
    toClient.on('data', (chunk: Buffer) => parser.parse(chunk));
    toServer.write(
      mqttPacket.generate(
        {
          cmd: 'connect',
          protocolId: 'MQTT',
          protocolVersion: 5,
          clientId: 'stalled-device',
          clean: true,
          keepalive: 0,
          username: server.username,
          password: Buffer.from(server.password),
          will: { topic: 'status/stalled', payload: Buffer.from('offline'), qos: 1, retain: false },
        },
        { protocolVersion: 5 },
      ),
    );
    while (!packets.some((p) => p.cmd === 'connack')) await new Promise((resolve) => setTimeout(resolve, 5));

    stalled = true;
    await session.close(); // would never resolve if the will waited for the store
    assert.deepEqual(
      packets.filter((p) => p.cmd === 'disconnect').map((p) => (p as { reasonCode?: number }).reasonCode),
      [0x8b],
      'the client was told the server is shutting down',
    );

    // Once the store answers again the will is there: it was published, only not confirmed in time.
    stalled = false;
    release();
    const back = await server.engine.connect({ username: server.username, password: server.password, clientId: 'will-watcher' });
    const bodies: string[] = [];
    const sub = await back.subscribe({ id: 'w', destination: { kind: 'topic', name: 'status.stalled' }, ackMode: 'individual', durableName: 'AT_LEAST_ONCE:status/stalled' }, (d) => {
      bodies.push(Buffer.from(d.message.body).toString('utf8'));
      back.ack(d.token);
    });
    while (bodies.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.deepEqual(bodies, ['offline']);
    await sub.close();
    await back.unsubscribeDurable('AT_LEAST_ONCE:status/stalled');
    await back.close();
  });
});
