// The `activemq` policy on a real broker listener: each of Amazon MQ's 18 TLS 1.2 suites completes
// a handshake (DHE ones on the shipped 2048-bit RFC 7919 group, ECDHE on a strong curve), and
// nothing else does: a suite outside the list, TLS 1.1, a weak group and plain TCP are refused;
// TLS 1.3 negotiates an AES-GCM suite. The shipped group is checked against RFC 7919's formula.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { startBrokerListener, type BrokerListener } from './broker-listener.ts';
import { ensureCertificates, type ServerCertificate } from './certificates.ts';
import { FFDHE2048_PEM, TLS_POLICIES, cipherString, tls12Only } from './tls-policy.ts';

let dir: string;
let cert: ServerCertificate;
let listener: BrokerListener;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sealmq-tls-policy-'));
  cert = await ensureCertificates({ dir, ipAddresses: ['127.0.0.1'] });
  listener = await startBrokerListener({
    name: 'stomp+ssl',
    host: '127.0.0.1',
    port: 0,
    tls: { policy: 'activemq', certPem: cert.certPem, keyPem: cert.keyPem },
    onConnection: (socket) => {
      socket.end('ok');
      return { close: async () => void socket.destroy() };
    },
  });
});
after(async () => {
  await listener?.close();
  await rm(dir, { recursive: true, force: true });
});

interface Handshake {
  readonly protocol: string | null;
  readonly cipher: string;
  readonly ephemeral: { type?: string; name?: string; size?: number };
}

function handshake(options: ConnectionOptions): Promise<Handshake> {
  return new Promise((resolve, reject) => {
    const socket: TLSSocket = tlsConnect({ host: '127.0.0.1', port: listener.port, ca: [cert.caPem!], ...options }, () => {
      const result = { protocol: socket.getProtocol(), cipher: socket.getCipher().name, ephemeral: socket.getEphemeralKeyInfo() as Handshake['ephemeral'] };
      socket.destroy();
      resolve(result);
    });
    socket.once('error', reject);
  });
}

/** floor(2^bits * e), exact: the terms 2^(bits+64)/k! summed and the 64 guard bits dropped. */
function floorTimesE(bits: number): bigint {
  const scale = 1n << BigInt(bits + 64);
  let sum = 0n;
  let term = scale;
  for (let k = 1n; term > 0n; k++) {
    sum += term;
    term /= k;
  }
  return sum >> 64n;
}

/** The two INTEGERs (p, g) of a PEM `DH PARAMETERS` (DER SEQUENCE { INTEGER p, INTEGER g }). */
function parseDhParameters(pem: string): { p: bigint; g: bigint } {
  const der = Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  let at = 0;
  const readLength = (): number => {
    const first = der[at++]!;
    if (first < 0x80) return first;
    let length = 0;
    for (let i = 0; i < (first & 0x7f); i++) length = length * 256 + der[at++]!;
    return length;
  };
  assert.equal(der[at++], 0x30);
  readLength();
  const readInteger = (): bigint => {
    assert.equal(der[at++], 0x02);
    const length = readLength();
    const value = BigInt('0x' + der.subarray(at, at + length).toString('hex'));
    at += length;
    return value;
  };
  const p = readInteger();
  const g = readInteger();
  assert.equal(at, der.length, 'nothing after g');
  return { p, g };
}

describe('activemq TLS policy', () => {
  it('ships the RFC 7919 ffdhe2048 group: p = 2^2048 - 2^1984 + (floor(2^1918 * e) + 560316) * 2^64 - 1, g = 2', () => {
    const { p, g } = parseDhParameters(FFDHE2048_PEM);
    const expected = (1n << 2048n) - (1n << 1984n) + (floorTimesE(1918) + 560316n) * (1n << 64n) - 1n;
    assert.equal(p, expected);
    assert.equal(g, 2n);
    assert.equal(p.toString(2).length, 2048);
  });

  it('offers exactly 18 TLS 1.2 suites, TLS 1.3 AES-GCM and strong groups only', () => {
    const policy = TLS_POLICIES.activemq;
    assert.equal(policy.tls12Ciphers.length, 18);
    assert.equal(new Set(policy.tls12Ciphers).size, 18);
    assert.deepEqual(policy.tls13Ciphersuites, ['TLS_AES_256_GCM_SHA384', 'TLS_AES_128_GCM_SHA256']);
    assert.deepEqual(policy.ecdhCurves, ['X25519', 'P-256', 'P-384']);
    assert.equal(policy.minVersion, 'TLSv1.2');
    assert.equal(policy.dhparam, FFDHE2048_PEM);
    assert.ok(!cipherString(tls12Only(policy)).includes('TLS_AES'), 'the TLS 1.2-only variant offers no TLS 1.3 suite');
  });

  for (const suite of TLS_POLICIES.activemq.tls12Ciphers) {
    it(`TLS 1.2 handshake with ${suite} alone`, async () => {
      const result = await handshake({ ciphers: suite, maxVersion: 'TLSv1.2' });
      assert.equal(result.protocol, 'TLSv1.2');
      assert.equal(result.cipher, suite);
      if (suite.startsWith('DHE-')) {
        assert.equal(result.ephemeral.type, 'DH');
        assert.ok((result.ephemeral.size ?? 0) >= 2048, `DH group of ${result.ephemeral.size} bits`);
      } else if (suite.startsWith('ECDHE-')) {
        assert.equal(result.ephemeral.type, 'ECDH');
        assert.ok(['X25519', 'prime256v1', 'secp384r1'].includes(result.ephemeral.name ?? ''), `group ${result.ephemeral.name}`);
      } else {
        assert.deepEqual(result.ephemeral, {}, 'RSA key exchange has no ephemeral key');
      }
    });
  }

  it('TLS 1.3 negotiates an AES-GCM suite', async () => {
    const result = await handshake({});
    assert.equal(result.protocol, 'TLSv1.3');
    assert.match(result.cipher, /^TLS_AES_(128|256)_GCM_SHA(256|384)$/);
  });

  it('refuses suites outside the list, TLS 1.1, TLS 1.3 ChaCha20, weak groups and plain TCP', async () => {
    for (const suite of ['ECDHE-RSA-CHACHA20-POLY1305', 'DHE-RSA-CHACHA20-POLY1305', 'ECDHE-RSA-CAMELLIA256-SHA384', 'DHE-RSA-CAMELLIA128-SHA', 'AES128-CCM']) {
      await assert.rejects(handshake({ ciphers: `${suite}:@SECLEVEL=0`, maxVersion: 'TLSv1.2' }), Error, suite);
    }
    await assert.rejects(handshake({ minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' }), Error, 'TLS 1.1');
    await assert.rejects(handshake({ ciphers: 'TLS_CHACHA20_POLY1305_SHA256', minVersion: 'TLSv1.3' }), Error, 'TLS 1.3 ChaCha20');
    await assert.rejects(handshake({ ciphers: 'ECDHE-RSA-AES128-GCM-SHA256', maxVersion: 'TLSv1.2', ecdhCurve: 'P-521' }), Error, 'P-521 only');

    // A plain-text STOMP CONNECT gets no STOMP answer: the socket is closed by the TLS layer.
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = netConnect(listener.port, '127.0.0.1', () => socket.write('CONNECT\naccept-version:1.2\nhost:/\n\n\0'));
      let received = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => (received = Buffer.concat([received, chunk])));
      socket.once('close', () => resolve(received.toString('latin1')));
      socket.once('error', reject);
    });
    assert.ok(!answer.includes('CONNECTED'), 'no STOMP frame over plain TCP');
    assert.equal(listener.connectionCount, 0);
  });
});
