// The amqps listener's TLS policy (rabbitmq): TLS 1.1, a TLS 1.2 suite outside the policy and plain
// TCP are refused by the server; both policy suites over TLS 1.2 and TLS 1.3 carry AMQP with both
// clients. A plain-text listener exists only when asked for and logs a warning.

import assert from 'node:assert/strict';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import amqplib from 'amqplib';
import { AMQPClient } from '@cloudamqp/amqp-client';
import { startAmqpTestBroker, type AmqpTestBroker } from '../../helpers/amqp-broker.ts';
import { startBrokerListener } from '../../../src/transport/broker-listener.ts';
import type { Logger } from '../../../src/util/logger.ts';

let env: AmqpTestBroker;
before(async () => {
  env = await startAmqpTestBroker();
});
after(async () => {
  await env.close();
});

function handshake(options: ConnectionOptions): Promise<{ ok: true; protocol: string | null; cipher: string } | { ok: false; code: string }> {
  return new Promise((resolve) => {
    const socket: TLSSocket = tlsConnect({ host: '127.0.0.1', port: env.port, ca: [env.caPem], ...options });
    socket.once('secureConnect', () => {
      resolve({ ok: true, protocol: socket.getProtocol(), cipher: socket.getCipher().name });
      socket.destroy();
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve({ ok: false, code: err.code ?? err.message }));
  });
}

describe('amqps TLS policy', () => {
  it('refuses a TLS 1.1 client (the server sends a protocol-version alert)', async () => {
    // SECLEVEL=0 lets this client really offer TLS 1.1, so the refusal is the server's.
    const r = await handshake({ minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' });
    assert.equal(r.ok, false);
    assert.equal((r as { code: string }).code, 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION');
  });

  for (const cipher of ['ECDHE-RSA-AES128-SHA256', 'AES256-GCM-SHA384', 'ECDHE-RSA-CHACHA20-POLY1305']) {
    it(`refuses a TLS 1.2 client offering only ${cipher} (handshake failure alert)`, async () => {
      const r = await handshake({ maxVersion: 'TLSv1.2', ciphers: cipher });
      assert.equal(r.ok, false);
      assert.equal((r as { code: string }).code, 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE');
    });
  }

  it('refuses a plain TCP AMQP client: no AMQP byte comes back and the socket is closed', async () => {
    const socket = netConnect({ host: '127.0.0.1', port: env.port });
    socket.on('error', () => undefined);
    const received: Buffer[] = [];
    socket.on('data', (d: Buffer) => received.push(d));
    socket.once('connect', () => socket.write(Buffer.from('AMQP\x00\x00\x09\x01')));
    await new Promise((resolve) => socket.once('close', resolve));
    const bytes = Buffer.concat(received);
    assert.equal(bytes.includes(Buffer.from('AMQP')), false);
    // Whatever came back is a TLS alert record (content type 21), not AMQP.
    if (bytes.length > 0) assert.equal(bytes[0], 21);
  });

  for (const cipher of ['ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES128-GCM-SHA256']) {
    it(`carries AMQP over TLS 1.2 with ${cipher} (amqplib)`, async () => {
      const conn = await amqplib.connect(env.url, { ca: [env.caPem], maxVersion: 'TLSv1.2', ciphers: cipher });
      const stream = (conn.connection as unknown as { stream: TLSSocket }).stream;
      assert.equal(stream.getProtocol(), 'TLSv1.2');
      assert.equal(stream.getCipher().name, cipher);
      const ch = await conn.createChannel();
      assert.ok((await ch.assertQueue('', { exclusive: true })).queue);
      await conn.close();
    });
  }

  it('carries AMQP over TLS 1.3 (amqplib) with an AES-GCM suite', async () => {
    const conn = await amqplib.connect(env.url, { ca: [env.caPem] });
    const stream = (conn.connection as unknown as { stream: TLSSocket }).stream;
    assert.equal(stream.getProtocol(), 'TLSv1.3');
    assert.match(stream.getCipher().name, /^TLS_AES_(256|128)_GCM_SHA(384|256)$/);
    await conn.close();
  });

  it('refuses a TLS 1.3 client offering only ChaCha20-Poly1305', async () => {
    const r = await handshake({ minVersion: 'TLSv1.3', ciphers: 'TLS_CHACHA20_POLY1305_SHA256' });
    assert.equal(r.ok, false);
  });

  it('carries AMQP over TLS with @cloudamqp/amqp-client', async () => {
    const conn = await new AMQPClient(env.url, { ca: env.caPem }).connect();
    const ch = await conn.channel();
    const q = await ch.queueDeclare('', { exclusive: true });
    assert.match(q.name, /^amq\.gen-/);
    await conn.close();
  });
});

describe('plain-text listener', () => {
  it('exists only when enabled explicitly, and logs a loud warning', async () => {
    const warnings: string[] = [];
    const logger = { warn: (_o: unknown, msg: string) => warnings.push(msg), info: () => undefined, debug: () => undefined, error: () => undefined } as unknown as Logger;
    await assert.rejects(startBrokerListener({ name: 'amqp', host: '127.0.0.1', port: 0, onConnection: () => ({ close: async () => undefined }) }), /TLS settings are required/);
    const listener = await startBrokerListener({ name: 'amqp', host: '127.0.0.1', port: 0, plainText: true, logger, onConnection: () => ({ close: async () => undefined }) });
    await listener.close();
    assert.equal(listener.tls, false);
    assert.ok(warnings.some((w) => /PLAIN-TEXT LISTENER ENABLED/.test(w)));
  });

  it('serves AMQP without TLS when enabled', async () => {
    const plain = await startAmqpTestBroker({ listener: { tls: undefined, plainText: true } });
    try {
      assert.match(plain.url, /^amqp:\/\//);
      const conn = await amqplib.connect(plain.url);
      await conn.close();
    } finally {
      await plain.close();
    }
  });
});
