// The `activemq` TLS policy on a real ACTIVEMQ broker's listeners (created through the Amazon MQ API
// of `sealmq serve`): on each of amqp+ssl, stomp+ssl, mqtt+ssl and wss, each of Amazon MQ's 18 TLS
// 1.2 suites completes a handshake on its own (DHE on a group of at least 2048 bits), and on
// stomp+ssl a STOMP login works over every one of them; TLS 1.3 negotiates AES-GCM; a suite outside
// the list, TLS 1.1, TLS 1.0 and plain TCP are refused.
import assert from 'node:assert/strict';
import { connect as netConnect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { TLS_POLICIES } from '../../../src/transport/tls-policy.ts';
import { ActiveMqService, within } from './service-clients.ts';

const USER = { username: 'tls-user', password: 'Tls-Policy-Pass-2024' };
const SUITES = TLS_POLICIES.activemq.tls12Ciphers;

let amq: ActiveMqService;

before(async () => {
  amq = await ActiveMqService.start('activemq-tls', USER);
});
after(() => amq?.stop());

function listeners(): [string, number][] {
  return [
    ['amqp+ssl', amq.ports.amqp],
    ['stomp+ssl', amq.ports.stomp],
    ['mqtt+ssl', amq.ports.mqtt],
    ['wss', amq.ports.wss],
  ];
}

/** Completes a TLS handshake and hands back the socket, still open. */
function handshake(port: number, options: ConnectionOptions): Promise<TLSSocket> {
  return within(
    new Promise((resolve, reject) => {
      const socket = tlsConnect({ host: '127.0.0.1', port, ca: [amq.server.caPem], servername: 'localhost', ...options }, () => resolve(socket));
      socket.once('error', reject);
    }),
    `a TLS handshake on ${port}`,
  );
}

/** The first STOMP frame the broker answers a CONNECT with, over `socket`. */
function stompLogin(socket: TLSSocket): Promise<string> {
  return within(
    new Promise((resolve, reject) => {
      let text = '';
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
        const end = text.indexOf('\0');
        if (end !== -1) resolve(text.slice(0, end));
      });
      socket.once('error', reject);
      socket.once('close', () => reject(new Error('closed before an answer')));
      socket.write(`CONNECT\naccept-version:1.2\nhost:localhost\nlogin:${USER.username}\npasscode:${USER.password}\n\n\0`);
    }),
    'a STOMP answer',
  );
}

describe('activemq TLS policy on an ACTIVEMQ broker', () => {
  it('each of the 18 suites completes a TLS 1.2 handshake on every listener (DHE >= 2048 bits, ECDHE on X25519/P-256/P-384)', async () => {
    assert.equal(SUITES.length, 18);
    for (const [scheme, port] of listeners()) {
      for (const suite of SUITES) {
        const socket = await handshake(port, { ciphers: suite, maxVersion: 'TLSv1.2' }).catch((error: Error) => assert.fail(`${scheme} ${suite}: ${error.message}`));
        try {
          assert.equal(socket.getProtocol(), 'TLSv1.2', `${scheme} ${suite}`);
          assert.equal(socket.getCipher().name, suite, scheme);
          assert.equal(socket.authorized, true, 'the certificate verifies against the CA');
          const key = socket.getEphemeralKeyInfo() as { type?: string; name?: string; size?: number };
          if (suite.startsWith('DHE-')) {
            assert.equal(key.type, 'DH', `${scheme} ${suite}`);
            assert.ok((key.size ?? 0) >= 2048, `${scheme} ${suite}: a ${key.size}-bit DH group`);
          } else if (suite.startsWith('ECDHE-')) {
            assert.ok(['X25519', 'prime256v1', 'secp384r1'].includes(key.name ?? ''), `${scheme} ${suite}: group ${key.name}`);
          }
        } finally {
          socket.destroy();
        }
      }
    }
  });

  it('a STOMP login succeeds over each of the 18 suites', async () => {
    for (const suite of SUITES) {
      const socket = await handshake(amq.ports.stomp, { ciphers: suite, maxVersion: 'TLSv1.2' });
      try {
        assert.match(await stompLogin(socket), /^CONNECTED\n/, suite);
      } finally {
        socket.destroy();
      }
    }
  });

  it('TLS 1.3 negotiates an AES-GCM suite on every listener', async () => {
    for (const [scheme, port] of listeners()) {
      const socket = await handshake(port, {});
      try {
        assert.equal(socket.getProtocol(), 'TLSv1.3', scheme);
        assert.match(socket.getCipher().name, /^TLS_AES_(128|256)_GCM_SHA(256|384)$/, scheme);
      } finally {
        socket.destroy();
      }
    }
  });

  it('refuses suites outside the list, TLS 1.1 and 1.0, and TLS 1.3 ChaCha20 on every listener', async () => {
    const outside = ['ECDHE-RSA-CHACHA20-POLY1305', 'DHE-RSA-CHACHA20-POLY1305', 'ECDHE-ECDSA-AES128-GCM-SHA256', 'DHE-RSA-CAMELLIA256-SHA', 'AES128-CCM', 'DES-CBC3-SHA'];
    for (const [scheme, port] of listeners()) {
      for (const suite of outside) {
        await assert.rejects(handshake(port, { ciphers: `${suite}:@SECLEVEL=0`, maxVersion: 'TLSv1.2' }), Error, `${scheme} accepted ${suite}`);
      }
      for (const version of ['TLSv1.1', 'TLSv1'] as const) {
        await assert.rejects(handshake(port, { minVersion: version, maxVersion: version, ciphers: 'DEFAULT:@SECLEVEL=0' }), Error, `${scheme} accepted ${version}`);
      }
      await assert.rejects(handshake(port, { minVersion: 'TLSv1.3', ciphers: 'TLS_CHACHA20_POLY1305_SHA256' }), Error, `${scheme} accepted ChaCha20`);
    }
  });

  it('plain TCP gets no protocol answer on any listener: STOMP, MQTT, AMQP and HTTP bytes are all refused by the TLS layer', async () => {
    const hello: Record<string, Buffer> = {
      'amqp+ssl': Buffer.from('AMQP\x03\x01\x00\x00', 'latin1'),
      'stomp+ssl': Buffer.from(`CONNECT\naccept-version:1.2\nhost:localhost\nlogin:${USER.username}\npasscode:${USER.password}\n\n\0`),
      'mqtt+ssl': Buffer.from([0x10, 0x0c, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x3c, 0x00, 0x00]),
      wss: Buffer.from('GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: stomp\r\n\r\n'),
    };
    for (const [scheme, port] of listeners()) {
      const answer = await within(
        new Promise<Buffer>((resolve) => {
          const chunks: Buffer[] = [];
          const socket = netConnect(port, '127.0.0.1', () => socket.write(hello[scheme]!));
          socket.on('data', (chunk: Buffer) => chunks.push(chunk));
          socket.on('error', () => undefined);
          socket.once('close', () => resolve(Buffer.concat(chunks)));
        }),
        `${scheme} to close a plain-text connection`,
      );
      const text = answer.toString('latin1');
      assert.ok(!/CONNECTED|AMQP|HTTP\/1\.1 101/.test(text), `${scheme} answered plain text: ${JSON.stringify(text.slice(0, 40))}`);
      assert.ok(answer.length === 0 || answer[0] === 0x15, `${scheme}: nothing, or a TLS alert record`);
      assert.ok(!(answer.length >= 2 && answer[0] === 0x20 && answer[1] === 0x02), `${scheme}: no MQTT CONNACK`);
    }
  });
});
