// The MQTT session on an in-memory stream against the real ActiveMQ engine: packets split into
// single bytes work as whole ones, and close() (broker shutdown) says so with DISCONNECT 0x8B and
// resolves once the stream is gone.

import assert from 'node:assert/strict';
import { Duplex, PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { startActiveMqTestBroker, type ActiveMqTestBroker } from '../../../test/helpers/activemq-broker.ts';
import { createMqttSession, type MqttSession } from './session.ts';

let server: ActiveMqTestBroker;

before(async () => {
  server = await startActiveMqTestBroker({ session: () => ({ close: async () => undefined }) });
});
after(async () => {
  await server.close();
});

/** A client end and a session on the other end of an in-memory stream. */
function pair(): { session: MqttSession; send(bytes: Buffer, bytewise?: boolean): void; next(): Promise<Packet>; ended: Promise<void> } {
  const toServer = new PassThrough();
  const toClient = new PassThrough();
  const serverSide = Duplex.from({ readable: toServer, writable: toClient });
  const session = createMqttSession(serverSide, { engine: server.engine, closeTimeoutMs: 200 });
  const parser = mqttPacket.parser({ protocolVersion: 5 });
  const packets: Packet[] = [];
  let wake: (() => void) | undefined;
  parser.on('packet', (p: Packet) => {
    packets.push(p);
    wake?.();
  });
  toClient.on('data', (chunk: Buffer) => parser.parse(chunk));
  const ended = new Promise<void>((resolve) => toClient.once('end', () => resolve()));
  return {
    session,
    send(bytes, bytewise = false) {
      if (!bytewise) toServer.write(bytes);
      else for (const b of bytes) toServer.write(Buffer.from([b]));
    },
    async next() {
      while (packets.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      return packets.shift()!;
    },
    ended,
  };
}

const gen = (p: Packet) => mqttPacket.generate(p, { protocolVersion: 5 });

describe('MQTT session on a byte stream', () => {
  it('handles packets delivered one byte at a time', async () => {
    const c = pair();
    c.send(gen({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: 'bytewise', clean: true, keepalive: 0, username: server.username, password: Buffer.from(server.password) }), true);
    const connack = await c.next();
    assert.equal(connack.cmd, 'connack');
    assert.equal((connack as { reasonCode?: number }).reasonCode, 0);
    c.send(gen({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'unit/bytes', qos: 1, nl: false, rap: false, rh: 0 }] }), true);
    const suback = await c.next();
    assert.deepEqual(suback.cmd === 'suback' && suback.granted, [1]);
    c.send(gen({ cmd: 'publish', topic: 'unit/bytes', payload: Buffer.from('one byte at a time'), qos: 1, messageId: 7, dup: false, retain: false }), true);
    const got = [await c.next(), await c.next()];
    const puback = got.find((p) => p.cmd === 'puback');
    const delivery = got.find((p) => p.cmd === 'publish');
    assert.equal(puback?.messageId, 7);
    assert.ok(delivery?.cmd === 'publish');
    assert.equal(Buffer.from(delivery.payload as Buffer).toString(), 'one byte at a time');
    c.send(gen({ cmd: 'puback', messageId: delivery.messageId! }));
    c.send(gen({ cmd: 'disconnect', reasonCode: 0 }));
    await c.ended;
  });

  it('closes for a broker shutdown with DISCONNECT 0x8B', async () => {
    const c = pair();
    c.send(gen({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: 'shutdown', clean: true, keepalive: 0, username: server.username, password: Buffer.from(server.password) }));
    assert.equal((await c.next()).cmd, 'connack');
    const closing = c.session.close();
    const disconnect = await c.next();
    assert.equal(disconnect.cmd, 'disconnect');
    assert.equal((disconnect as { reasonCode?: number }).reasonCode, 0x8b);
    await c.ended;
    await closing;
  });
});
