import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createServer } from 'node:net';
import { connect } from 'node:tls';
import { ensureCertificates } from '../transport/certificates.ts';
import { loadConfig } from '../util/config.ts';
import { silentLogger } from '../util/logger.ts';
import { ListenError, DataDirError, startSealMQ } from './serve.ts';

const root = mkdtempSync(join(tmpdir(), 'sealmq-serve-'));
after(() => rmSync(root, { recursive: true, force: true }));

function peerCertificate(url: string, ca: string): Promise<X509Certificate> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), ca, servername: 'localhost' }, () => {
      resolve(socket.getPeerX509Certificate()!);
      socket.destroy();
    });
    socket.on('error', reject);
  });
}

describe('startSealMQ', () => {
  it('serves a certificate the user supplied, and endpoints.json names no generated CA', async () => {
    const own = await ensureCertificates({ dir: join(root, 'own-pki') });
    const dataDir = join(root, 'user-cert');
    const config = loadConfig({ env: {}, flags: { dataDir, apiPort: '0', amqpsPort: '0', 'tls.certFile': own.certFile, 'tls.keyFile': own.keyFile } });
    const running = await startSealMQ({ config, logger: silentLogger() });
    try {
      assert.equal(running.endpoints.caFile, undefined);
      assert.ok(!existsSync(join(dataDir, 'tls')), 'no CA generated');
      const endpointsFile = JSON.parse(readFileSync(join(dataDir, 'endpoints.json'), 'utf8')) as Record<string, unknown>;
      assert.equal(endpointsFile.api, running.endpoints.api);
      const served = await peerCertificate(running.endpoints.api, own.caPem!);
      assert.equal(served.fingerprint256, new X509Certificate(own.certPem).fingerprint256);
    } finally {
      await running.close();
    }
    assert.ok(!existsSync(join(dataDir, 'endpoints.json')), 'endpoints.json removed at shutdown');
  });

  it('a busy port is a ListenError naming the setting, and a second start on the data directory then works', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    const dataDir = join(root, 'busy');
    try {
      const config = loadConfig({ env: {}, flags: { dataDir, apiPort: String(port), amqpsPort: '0' } });
      await assert.rejects(startSealMQ({ config, logger: silentLogger() }), (error: unknown) => {
        assert.ok(error instanceof ListenError);
        assert.match(error.message, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use \\(setting apiPort`));
        return true;
      });
    } finally {
      blocker.close();
    }
    const running = await startSealMQ({ config: loadConfig({ env: {}, flags: { dataDir, apiPort: '0', amqpsPort: '0' } }), logger: silentLogger() });
    await running.close();
  });

  it('refuses a data directory that is a file, and one of an unknown format', async () => {
    const file = join(root, 'not-a-dir');
    writeFileSync(file, 'x');
    await assert.rejects(startSealMQ({ config: loadConfig({ env: {}, flags: { dataDir: file, apiPort: '0' } }), logger: silentLogger() }), DataDirError);
    const future = join(root, 'future');
    const running = await startSealMQ({ config: loadConfig({ env: {}, flags: { dataDir: future, apiPort: '0', amqpsPort: '0' } }), logger: silentLogger() });
    await running.close();
    writeFileSync(join(future, 'sealmq.json'), JSON.stringify({ formatVersion: 99 }));
    await assert.rejects(startSealMQ({ config: loadConfig({ env: {}, flags: { dataDir: future, apiPort: '0', amqpsPort: '0' } }), logger: silentLogger() }), /format 99/);
  });

  it("a replaced certificate is served by the brokers' amqps listeners too, without a restart", async () => {
    const own = await ensureCertificates({ dir: join(root, 'reload-pki-1') });
    const next = await ensureCertificates({ dir: join(root, 'reload-pki-2') });
    const dataDir = join(root, 'reload');
    const config = loadConfig({ env: {}, flags: { dataDir, apiPort: '0', amqpsPort: '0', 'tls.certFile': own.certFile, 'tls.keyFile': own.keyFile } });
    const running = await startSealMQ({ config, logger: silentLogger(), certificateWatchIntervalMs: 20 });
    try {
      const amqps = running.endpoints.amqps!.replace('amqps://', 'https://');
      assert.equal((await peerCertificate(amqps, own.caPem!)).fingerprint256, new X509Certificate(own.certPem).fingerprint256);
      writeFileSync(own.keyFile, next.keyPem);
      writeFileSync(own.certFile, next.certPem);
      const wanted = new X509Certificate(next.certPem).fingerprint256;
      const deadline = Date.now() + 10_000;
      let served = '';
      while (served !== wanted && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        served = (await peerCertificate(amqps, next.caPem!).catch(() => undefined))?.fingerprint256 ?? '';
      }
      assert.equal(served, wanted, 'the new certificate is served on amqps');
    } finally {
      await running.close();
    }
  });

  it("a busy amqps port is a ListenError naming amqpsPort (no default broker made); a free one is the default broker's, kept at the next start", async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const busyPort = (blocker.address() as { port: number }).port;
    const dataDir = join(root, 'amqps-port');
    try {
      const config = loadConfig({ env: {}, flags: { dataDir, apiPort: '0', amqpsPort: String(busyPort) } });
      await assert.rejects(startSealMQ({ config, logger: silentLogger() }), (error: unknown) => {
        assert.ok(error instanceof ListenError);
        assert.match(error.message, new RegExp(`port ${busyPort} on 127\\.0\\.0\\.1 is already in use \\(setting amqpsPort: --amqps-port or SEALMQ_AMQPS_PORT`));
        return true;
      });
      assert.ok(!existsSync(join(dataDir, 'default-broker.json')), 'no default broker was made');
    } finally {
      blocker.close();
    }
    // The port just freed is now the default broker's, at this start and the next.
    const config = loadConfig({ env: {}, flags: { dataDir, apiPort: '0', amqpsPort: String(busyPort) } });
    for (let run = 0; run < 2; run++) {
      const running = await startSealMQ({ config, logger: silentLogger() });
      try {
        assert.equal(running.endpoints.amqps, `amqps://127.0.0.1:${busyPort}`);
        assert.match(running.endpoints.brokerId ?? '', /^b-[0-9a-f-]{36}$/);
        assert.equal(running.endpoints.brokerCredentialsFile, join(dataDir, 'broker-credentials'));
        const text = readFileSync(running.endpoints.brokerCredentialsFile!, 'utf8');
        assert.match(text, /^username=admin$/m);
        assert.match(text, /^password=[A-Za-z0-9_-]{32}$/m);
      } finally {
        await running.close();
      }
    }
  });

  it('stops serving when the audit trail cannot write: a trail that cannot be sealed ends SealMQ', async () => {
    const dataDir = join(root, 'audit-fails');
    // The open log file still takes the API call's event (its descriptor outlives the rename); the
    // next seal, which opens files in the moved folder, is what fails, so seal every second.
    const config = loadConfig({ env: { SEALMQ_AUDIT_DIGEST_INTERVAL_MS: '1000' }, flags: { dataDir, apiPort: '0', amqpsPort: '0' } });
    let stoppedWith: Error | undefined;
    const stopped = new Promise<void>((resolve) => {
      void startSealMQ({ config, logger: silentLogger(), onStopped: (reason) => ((stoppedWith = reason), resolve()) }).then(async (running) => {
        assert.ok(existsSync(join(dataDir, 'audit', 'logs')));
        // The trail's log folder becomes a file: the next event cannot be written.
        renameSync(join(dataDir, 'audit', 'logs'), join(dataDir, 'audit', 'logs.moved'));
        writeFileSync(join(dataDir, 'audit', 'logs'), '');
        const caPem = readFileSync(running.endpoints.caFile!, 'utf8');
        await new Promise<void>((done) => {
          const req = httpsRequest(running.endpoints.api, { method: 'POST', ca: caPem, headers: { 'x-amz-target': 'TrentService.ListKeys' } }, (res) => {
            res.resume();
            res.on('end', () => done());
          });
          req.on('error', () => done());
          req.end('{}');
        });
      });
    });
    await stopped;
    assert.match(String(stoppedWith?.message), /audit trail failed/);
    assert.ok(!existsSync(join(dataDir, 'endpoints.json')), 'SealMQ stopped: endpoints.json removed');
  });
});
