// The four ActiveMQ listeners on the real engine and the real STOMP session: each listener runs the
// session of its protocol (wss by subprotocol), closeSessions() ends every session, and a listener
// that cannot open closes the ones already open.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { WebSocket } from 'ws';
import { openEngine, type EngineFixture } from '../../core/activemq/engine-test-support.ts';
import { createStompSession } from '../../session/stomp/index.ts';
import { ensureCertificates, type ServerCertificate } from '../../transport/certificates.ts';
import { silentLogger } from '../../util/logger.ts';
import { ACTIVEMQ_LISTENERS, startActiveMqListeners, type ActiveMqProtocol, type ActiveMqSessionFactory } from './activemq-listeners.ts';

let dir: string;
let cert: ServerCertificate;
let fixture: EngineFixture;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sealmq-amq-listeners-'));
  cert = await ensureCertificates({ dir, ipAddresses: ['127.0.0.1'] });
  fixture = await openEngine();
});
after(async () => {
  await fixture.close();
  await rm(dir, { recursive: true, force: true });
});

/** STOMP for every protocol slot, recording which slot each connection came through. */
function recordingFactories(seen: ActiveMqProtocol[]): Record<ActiveMqProtocol, ActiveMqSessionFactory> {
  const make = (protocol: ActiveMqProtocol): ActiveMqSessionFactory => (stream: Duplex, options) => {
    seen.push(protocol);
    return createStompSession(stream, options);
  };
  return { amqp10: make('amqp10'), stomp: make('stomp'), mqtt: make('mqtt') };
}

function firstBytes(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, ca: [cert.caPem!] }, () => socket.write('CONNECT\naccept-version:1.2\nhost:x\nlogin:nobody\npasscode:nothing\n\n\0'));
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    socket.once('close', () => resolve(text));
    socket.once('error', reject);
  });
}

describe('ActiveMQ listeners', () => {
  it('opens amqp+ssl, stomp+ssl, mqtt+ssl and wss in that order, each running its protocol, and closes every session', async () => {
    const seen: ActiveMqProtocol[] = [];
    const listeners = await startActiveMqListeners({
      engine: fixture.engine,
      sessions: recordingFactories(seen),
      host: '127.0.0.1',
      certificate: () => cert,
      listenPort: (_scheme, start) => start(0),
      logger: silentLogger(),
    });
    try {
      assert.deepEqual(listeners.listeners.map((l) => l.scheme), ACTIVEMQ_LISTENERS.map((l) => l.scheme));
      const [amqp, stomp, mqtt, wss] = listeners.listeners.map((l) => l.listener.port) as [number, number, number, number];
      // A refused login: the STOMP session answers ERROR and closes, whichever slot it runs in.
      for (const port of [amqp, stomp, mqtt]) assert.match(await firstBytes(port), /^ERROR\n/);
      assert.deepEqual(seen, ['amqp10', 'stomp', 'mqtt']);

      const ws = new WebSocket(`wss://127.0.0.1:${wss}/`, ['mqtt'], { ca: cert.caPem! });
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
      const closed = new Promise<number>((resolve) => ws.once('close', (code: number) => resolve(code)));
      assert.deepEqual(seen, ['amqp10', 'stomp', 'mqtt', 'mqtt'], 'the wss subprotocol picked the MQTT session');
      assert.equal(listeners.sessionCount, 1);
      assert.equal(await listeners.closeSessions(), 1);
      assert.ok([1000, 1001].includes(await closed));
    } finally {
      await listeners.close();
    }
  });

  it('a listener that cannot open closes the ones already open', async () => {
    const opened: number[] = [];
    await assert.rejects(
      startActiveMqListeners({
        engine: fixture.engine,
        sessions: recordingFactories([]),
        host: '127.0.0.1',
        certificate: () => cert,
        listenPort: async (scheme, start) => {
          if (scheme === 'mqtt+ssl') throw new Error('port taken');
          const listener = await start(0);
          opened.push(listener.port);
          return listener;
        },
        logger: silentLogger(),
      }),
      /port taken/,
    );
    assert.equal(opened.length, 2);
    for (const port of opened) {
      const refused = await new Promise<boolean>((resolve) => {
        const socket = netConnect(port, '127.0.0.1', () => {
          socket.destroy();
          resolve(false);
        });
        socket.once('error', () => resolve(true));
      });
      assert.ok(refused, `port ${port} is closed again`);
    }
  });
});
