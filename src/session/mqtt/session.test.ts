// The MQTT session on an in-memory stream against the real ActiveMQ engine: packets split into
// single bytes work as whole ones, close() (broker shutdown) says so with DISCONNECT 0x8B and
// resolves once the stream is gone, and random client packet sequences (valid, reordered, mutated,
// in random chunks, with client ids shared so that sessions are taken over and resumed) only ever
// get well-formed packets back, always end, and leave the engine serving.

import assert from 'node:assert/strict';
import { Duplex, PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { startActiveMqTestBroker, type ActiveMqTestBroker } from '../../../test/helpers/activemq-broker.ts';
import { prng, randomPacket } from '../../codec/mqtt/test-arbitraries.ts';
import { createMqttSession, type MqttSession } from './session.ts';

const SEQUENCES = Number(process.env.MQTT_SESSION_FUZZ_SEQUENCES ?? 300);
const SEED = Number(process.env.MQTT_SESSION_FUZZ_SEED ?? 0x5e55);

let server: ActiveMqTestBroker;

before(async () => {
  server = await startActiveMqTestBroker({ session: () => ({ close: async () => undefined }) });
});
after(async () => {
  await server.close();
});

/** A client end and a session on the other end of an in-memory stream. */
function pair(version: 4 | 5 = 5): {
  session: MqttSession;
  send(bytes: Buffer, bytewise?: boolean): void;
  next(): Promise<Packet>;
  waitFor(cmd: string): Promise<void>;
  endInput(): void;
  ended: Promise<void>;
  parseErrors: Error[];
  packets: Packet[];
} {
  const toServer = new PassThrough();
  const toClient = new PassThrough();
  const serverSide = Duplex.from({ readable: toServer, writable: toClient });
  const session = createMqttSession(serverSide, { engine: server.engine, closeTimeoutMs: 200 });
  const parser = mqttPacket.parser({ protocolVersion: version });
  const packets: Packet[] = [];
  const parseErrors: Error[] = [];
  let wake: (() => void) | undefined;
  parser.on('packet', (p: Packet) => {
    packets.push(p);
    wake?.();
  });
  parser.on('error', (err: Error) => parseErrors.push(err));
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
    async waitFor(cmd: string) {
      while (!packets.some((p) => p.cmd === cmd)) await new Promise<void>((resolve) => (wake = resolve));
    },
    endInput() {
      toServer.end();
    },
    ended,
    parseErrors,
    packets,
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

  it('acknowledges PUBLISHes in packet order when some are answered at once and others wait (a retained one)', async () => {
    const c = pair();
    c.send(gen({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: 'ack-order', clean: true, keepalive: 0, username: server.username, password: Buffer.from(server.password) }));
    assert.equal((await c.next()).cmd, 'connack');
    // One read: a plain one, a retained one (its PUBACK waits for the retained store), plain ones.
    const ids = [1, 2, 3, 4, 5];
    c.send(
      Buffer.concat(
        ids.map((id) => gen({ cmd: 'publish', topic: `unit/order/${id}`, payload: Buffer.from('x'), qos: 1, messageId: id, dup: false, retain: id === 2 })),
      ),
    );
    const acks: number[] = [];
    while (acks.length < ids.length) {
      const p = await c.next();
      if (p.cmd === 'puback') acks.push(p.messageId!);
    }
    assert.deepEqual(acks, ids);
    c.send(gen({ cmd: 'publish', topic: 'unit/order/2', payload: Buffer.alloc(0), qos: 0, dup: false, retain: true }));
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

  it(`survives ${SEQUENCES} random client packet sequences (seed ${SEED})`, async (t) => {
    const rand = prng(SEED);
    const int = (n: number) => Math.floor(rand() * n);
    const SERVER_PACKETS = new Set(['connack', 'publish', 'puback', 'pubrec', 'pubrel', 'pubcomp', 'suback', 'unsuback', 'pingresp', 'disconnect']);
    const stats = { sequences: 0, packetsBack: 0, disconnects: 0 };
    for (let i = 0; i < SEQUENCES; i++) {
      const version = int(2) === 0 ? 4 : 5;
      const c = pair(version);
      const parts: Buffer[] = [];
      const clientId = `fuzz-${int(4)}`; // shared: takeovers and resumed sessions
      parts.push(
        mqttPacket.generate(
          {
            cmd: 'connect',
            protocolId: 'MQTT',
            protocolVersion: version,
            clientId,
            clean: int(2) === 0,
            keepalive: 0,
            username: server.username,
            password: Buffer.from(server.password),
            ...(int(3) === 0 ? { will: { topic: `fuzz/will/${int(3)}`, payload: Buffer.from('w'), qos: int(3) as 0 | 1 | 2, retain: int(2) === 0 } } : {}),
            ...(version === 5 ? { properties: { sessionExpiryInterval: int(3) === 0 ? 0 : 60, receiveMaximum: 1 + int(20), maximumPacketSize: 64 + int(4000) } } : {}),
          },
          { protocolVersion: version },
        ),
      );
      for (let k = int(15); k > 0; k--) {
        const p = randomPacket(rand, version);
        if (p.cmd === 'connect' && int(4) !== 0) continue; // a second CONNECT now and then
        let bytes: Buffer;
        try {
          bytes = mqttPacket.generate(p, { protocolVersion: version });
        } catch {
          continue;
        }
        if (int(12) === 0) {
          bytes = Buffer.from(bytes);
          bytes[int(bytes.length)]! ^= 1 << int(8);
        }
        parts.push(bytes);
      }
      const input = Buffer.concat(parts);
      let at = 0;
      while (at < input.length) {
        const n = 1 + int(64);
        c.send(input.subarray(at, at + n));
        at += n;
      }
      if (int(2) === 0) c.send(mqttPacket.generate({ cmd: 'disconnect' }, { protocolVersion: version }));
      else {
        // A PINGREQ behind the rest: its PINGRESP says everything before it was handled.
        c.send(mqttPacket.generate({ cmd: 'pingreq' }, { protocolVersion: version }));
        await Promise.race([c.ended, c.waitFor('pingresp')]);
      }
      c.endInput();
      await c.ended; // the session always ends its side
      stats.sequences++;
      assert.deepEqual(c.parseErrors, [], 'the server sends only well-formed packets');
      for (const p of c.packets) {
        assert.ok(SERVER_PACKETS.has(p.cmd), `server sent ${p.cmd}`);
        stats.packetsBack++;
        if (p.cmd === 'disconnect') stats.disconnects++;
      }
    }
    t.diagnostic(`sequences ${stats.sequences}, packets back ${stats.packetsBack}, DISCONNECTs ${stats.disconnects}`);
    assert.ok(stats.packetsBack > SEQUENCES, 'the sequences got answers');
    // The engine still serves a well-behaved client.
    const ok = pair();
    ok.send(gen({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: 'after-fuzz', clean: true, keepalive: 0, username: server.username, password: Buffer.from(server.password) }));
    assert.equal((await ok.next()).cmd, 'connack');
    ok.send(gen({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'unit/after', qos: 1, nl: false, rap: false, rh: 0 }] }));
    assert.equal((await ok.next()).cmd, 'suback');
    ok.send(gen({ cmd: 'publish', topic: 'unit/after', payload: Buffer.from('fine'), qos: 0, dup: false, retain: false }));
    const p = await ok.next();
    assert.ok(p.cmd === 'publish' && Buffer.from(p.payload as Buffer).toString() === 'fine');
    ok.send(gen({ cmd: 'disconnect', reasonCode: 0 }));
    await ok.ended;
  });
});
