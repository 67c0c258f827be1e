import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { connect, createServer, type TLSSocket } from 'node:tls';
import { CertificateError, ensureCertificates, loadUserCertificate, namesForHost, tlsFiles, watchCertificate, type ServerCertificate } from './certificates.ts';
import { TLS_POLICIES, cipherString, tls12Only, tlsServerOptions } from './tls-policy.ts';

const root = mkdtempSync(join(tmpdir(), 'sealmq-tls-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `t${n++}`);

// One generated set shared by the handshake tests (RSA key generation is the slow part).
let shared: Promise<ServerCertificate> | undefined;
const sharedCertificate = () => (shared ??= ensureCertificates({ dir: freshDir() }));

function handshake(
  serverOptions: Parameters<typeof createServer>[0],
  clientOptions: { ca: string; minVersion?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3'; maxVersion?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3'; ciphers?: string; servername?: string; ecdhCurve?: string },
): Promise<{ protocol: string | null; cipher: string; socket: TLSSocket; close: () => void }> {
  return new Promise((resolve, reject) => {
    const server = createServer(serverOptions, (socket) => socket.on('error', () => undefined));
    server.on('tlsClientError', () => undefined);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      const socket = connect({ host: '127.0.0.1', port, ...clientOptions }, () => {
        resolve({
          protocol: socket.getProtocol(),
          cipher: socket.getCipher().name,
          socket,
          close: () => {
            socket.destroy();
            server.close();
          },
        });
      });
      socket.on('error', (error) => {
        server.close();
        reject(error);
      });
    });
  });
}

describe('ensureCertificates', () => {
  it('creates a CA and a server certificate for localhost and 127.0.0.1 with private keys 0600', async () => {
    const dir = freshDir();
    const certificate = await ensureCertificates({ dir });
    const files = tlsFiles(dir);
    assert.equal(statSync(files.caKeyFile).mode & 0o777, 0o600);
    assert.equal(statSync(files.keyFile).mode & 0o777, 0o600);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    const ca = new X509Certificate(readFileSync(files.caFile));
    const leaf = new X509Certificate(certificate.certPem);
    assert.ok(ca.ca, 'ca.pem is a CA');
    assert.ok(leaf.verify(ca.publicKey), 'server certificate signed by the CA');
    assert.equal(leaf.checkHost('localhost'), 'localhost');
    assert.equal(leaf.checkIP('127.0.0.1'), '127.0.0.1');
    assert.equal(leaf.publicKey.asymmetricKeyType, 'rsa');
    assert.ok((leaf.publicKey.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048);
    assert.equal(certificate.caFile, files.caFile);
    assert.ok(certificate.generated);
  });

  it('reuses the CA and certificate on a later start', async () => {
    const dir = freshDir();
    const first = await ensureCertificates({ dir });
    const second = await ensureCertificates({ dir });
    assert.equal(second.certPem, first.certPem);
    assert.equal(second.caPem, first.caPem);
  });

  it('reissues the server certificate near expiry, keeping the CA', async () => {
    const dir = freshDir();
    const first = await ensureCertificates({ dir });
    const later = new Date(first.notAfter.getTime() - 10 * 24 * 3600 * 1000);
    const renewed = await ensureCertificates({ dir, now: () => later, renewBeforeDays: 30 });
    assert.notEqual(renewed.certPem, first.certPem);
    assert.equal(renewed.caPem, first.caPem);
    assert.ok(renewed.notAfter > first.notAfter);
  });

  it('reissues when a new name must be covered', async () => {
    const dir = freshDir();
    await ensureCertificates({ dir });
    const names = namesForHost('broker.example.internal');
    const renewed = await ensureCertificates({ dir, ...names });
    assert.equal(new X509Certificate(renewed.certPem).checkHost('broker.example.internal'), 'broker.example.internal');
  });

  it('refuses to guess when ca.key is missing but ca.pem exists', async () => {
    const dir = freshDir();
    await ensureCertificates({ dir });
    unlinkSync(tlsFiles(dir).caKeyFile);
    await assert.rejects(ensureCertificates({ dir }), (error: unknown) => error instanceof CertificateError && error.code === 'TLS_DIR_INCONSISTENT');
  });
});

describe('loadUserCertificate', () => {
  it('loads a matching pair and refuses a mismatched one', async () => {
    const a = await sharedCertificate();
    const other = await ensureCertificates({ dir: freshDir() });
    const loaded = await loadUserCertificate(a.certFile, a.keyFile);
    assert.equal(loaded.generated, false);
    await assert.rejects(loadUserCertificate(a.certFile, other.keyFile), /does not match/);
    await assert.rejects(loadUserCertificate(join(root, 'nope.pem'), a.keyFile), /cannot read the certificate/);
  });
});

describe('TLS policies', () => {
  it('controlPlane: TLS 1.2 ECDHE-RSA-AES-GCM and TLS 1.3 handshake; the certificate verifies against ca.pem', async () => {
    const certificate = await sharedCertificate();
    const server = { key: certificate.keyPem, cert: certificate.certPem, ...tlsServerOptions(TLS_POLICIES.controlPlane) };
    const tls13 = await handshake(server, { ca: certificate.caPem!, servername: 'localhost' });
    assert.equal(tls13.protocol, 'TLSv1.3');
    assert.equal(tls13.socket.authorized, true);
    tls13.close();
    const tls12 = await handshake(server, { ca: certificate.caPem!, maxVersion: 'TLSv1.2' });
    assert.equal(tls12.protocol, 'TLSv1.2');
    assert.match(tls12.cipher, /^ECDHE-RSA-AES(128|256)-GCM-SHA(256|384)$/);
    tls12.close();
  });

  it('controlPlane refuses TLS 1.1, a CBC suite and renegotiation', async () => {
    const certificate = await sharedCertificate();
    const server = { key: certificate.keyPem, cert: certificate.certPem, ...tlsServerOptions(TLS_POLICIES.controlPlane) };
    await assert.rejects(handshake(server, { ca: certificate.caPem!, minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' }));
    await assert.rejects(handshake(server, { ca: certificate.caPem!, maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-SHA' }));
    const ok = await handshake(server, { ca: certificate.caPem!, maxVersion: 'TLSv1.2' });
    const renegotiated = await new Promise<Error | null>((resolve) => {
      ok.socket.on('error', (error) => resolve(error));
      const started = ok.socket.renegotiate({}, (error) => resolve(error ?? null));
      if (!started) resolve(new Error('not started'));
    });
    assert.ok(renegotiated instanceof Error, 'renegotiation refused');
    ok.close();
  });

  it('rabbitmq (TLS 1.2 only): exactly the two documented suites', async () => {
    const certificate = await sharedCertificate();
    const policy = tls12Only(TLS_POLICIES.rabbitmq);
    assert.equal(cipherString(policy), 'ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=2');
    const server = { key: certificate.keyPem, cert: certificate.certPem, ...tlsServerOptions(policy) };
    const fallback = await handshake(server, { ca: certificate.caPem! });
    assert.equal(fallback.protocol, 'TLSv1.2', 'TLS 1.3 off');
    assert.equal(fallback.cipher, 'ECDHE-RSA-AES256-GCM-SHA384');
    fallback.close();
    await assert.rejects(handshake(server, { ca: certificate.caPem!, ciphers: 'ECDHE-ECDSA-AES256-GCM-SHA384:AES256-GCM-SHA384' }));
  });

  it('rabbitmq with TLS 1.3: only the AES-GCM 1.3 suites', async () => {
    const certificate = await sharedCertificate();
    const server = { key: certificate.keyPem, cert: certificate.certPem, ...tlsServerOptions(TLS_POLICIES.rabbitmq) };
    const tls13 = await handshake(server, { ca: certificate.caPem! });
    assert.equal(tls13.protocol, 'TLSv1.3');
    assert.equal(tls13.cipher, 'TLS_AES_256_GCM_SHA384');
    tls13.close();
    await assert.rejects(handshake(server, { ca: certificate.caPem!, minVersion: 'TLSv1.3', ciphers: 'TLS_CHACHA20_POLY1305_SHA256' }));
  });
});

describe('watchCertificate', () => {
  it('calls back with the new pair once both files changed, and skips a bad pair', async () => {
    const certificate = await ensureCertificates({ dir: freshDir() });
    const replacement = await ensureCertificates({ dir: freshDir() });
    const seen: ServerCertificate[] = [];
    const watcher = watchCertificate(certificate, (next) => seen.push(next), { intervalMs: 20 });
    try {
      writeFileSync(certificate.certFile, 'garbage');
      await new Promise((r) => setTimeout(r, 150));
      assert.equal(seen.length, 0, 'a broken file is not applied');
      writeFileSync(certificate.keyFile, replacement.keyPem);
      chmodSync(certificate.keyFile, 0o600);
      writeFileSync(certificate.certFile, replacement.certPem);
      const deadline = Date.now() + 3000;
      while (seen.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal(seen.length, 1);
      assert.equal(seen[0]!.certPem, replacement.certPem);
    } finally {
      watcher.close();
    }
  });
});
