import assert from 'node:assert/strict';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startBrokerListener } from './broker-listener.ts';
import { ensureCertificates, type ServerCertificate } from './certificates.ts';

let cert: ServerCertificate;
let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sealmq-listener-'));
  cert = await ensureCertificates({ dir, ipAddresses: ['127.0.0.1'] });
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function tlsClient(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port, ca: [cert.caPem!] }, () => resolve(s));
    s.once('error', reject);
  });
}

/** A TLS listener on a free loopback port with the test certificate and the rabbitmq policy. */
function tlsListener(options: Omit<Parameters<typeof startBrokerListener>[0], 'name' | 'host' | 'port' | 'tls'>): ReturnType<typeof startBrokerListener> {
  return startBrokerListener({ name: 'test', host: '127.0.0.1', port: 0, tls: { policy: 'rabbitmq', certPem: cert.certPem, keyPem: cert.keyPem }, ...options });
}

describe('broker listener', () => {
  it('runs a session per TLS socket and closes them gracefully on close()', async () => {
    const closedSessions: number[] = [];
    let n = 0;
    const listener = await tlsListener({
      onConnection: (socket) => {
        const id = ++n;
        socket.write('hello');
        return {
          close: async () => {
            closedSessions.push(id);
            socket.end('bye');
            await new Promise((r) => socket.once('close', r));
          },
        };
      },
    });
    const a = await tlsClient(listener.port);
    const b = await tlsClient(listener.port);
    const received: string[] = [];
    a.on('data', (d: Buffer) => received.push(d.toString()));
    b.on('data', () => undefined);
    a.on('end', () => a.end());
    b.on('end', () => b.end());
    while (listener.connectionCount < 2) await new Promise((r) => setImmediate(r));
    await listener.close();
    assert.deepEqual(closedSessions.sort(), [1, 2]);
    assert.ok(received.join('').endsWith('bye'));
  });

  it('stopAccepting refuses new connections while running sessions go on', async () => {
    const listener = await tlsListener({
      onConnection: (socket) => {
        socket.on('data', (d: Buffer) => socket.write(d));
        return {
          close: async () => {
            socket.end();
            await new Promise((r) => socket.once('close', r));
          },
        };
      },
    });
    const a = await tlsClient(listener.port);
    a.on('end', () => a.end());
    while (listener.connectionCount < 1) await new Promise((r) => setImmediate(r));
    listener.stopAccepting();
    await assert.rejects(tlsClient(listener.port), /ECONNREFUSED/);
    const echoed = new Promise<string>((resolve) => a.once('data', (d: Buffer) => resolve(d.toString())));
    a.write('still here');
    assert.equal(await echoed, 'still here');
    assert.equal(listener.connectionCount, 1);
    await listener.close();
  });

  it('cuts sessions that do not close within the close timeout', async () => {
    const listener = await tlsListener({
      closeTimeoutMs: 100,
      onConnection: () => ({ close: () => new Promise<void>(() => undefined) }),
    });
    const a = await tlsClient(listener.port);
    a.on('error', () => undefined);
    while (listener.connectionCount < 1) await new Promise((r) => setImmediate(r));
    await listener.close();
    await new Promise((r) => a.once('close', r));
  });

  it('serves a replaced certificate to new connections', async () => {
    const otherDir = await mkdtemp(join(tmpdir(), 'sealmq-listener-2-'));
    try {
      const other = await ensureCertificates({ dir: otherDir, ipAddresses: ['127.0.0.1'] });
      const listener = await tlsListener({
        onConnection: (socket) => ({ close: async () => void socket.destroy() }),
      });
      (await tlsClient(listener.port)).destroy();
      listener.updateCertificate(other.certPem, other.keyPem);
      await assert.rejects(tlsClient(listener.port), /self-signed|unable to verify|certificate/i);
      const s = await new Promise<Socket>((resolve, reject) => {
        const c = tlsConnect({ host: '127.0.0.1', port: listener.port, ca: [other.caPem!] }, () => resolve(c));
        c.once('error', reject);
      });
      s.destroy();
      assert.throws(() => listener.updateCertificate('not a cert', 'not a key'));
      await listener.close();
    } finally {
      await rm(otherDir, { recursive: true, force: true });
    }
  });

  it('refuses connections over connectionsMax and survives peers that reset', async () => {
    const listener = await startBrokerListener({
      name: 'test',
      host: '127.0.0.1',
      port: 0,
      plainText: true,
      connectionsMax: 1,
      onConnection: (socket) => ({ close: async () => void socket.destroy() }),
    });
    const first = netConnect({ host: '127.0.0.1', port: listener.port });
    first.on('error', () => undefined);
    while (listener.connectionCount < 1) await new Promise((r) => setImmediate(r));
    const second = netConnect({ host: '127.0.0.1', port: listener.port });
    second.on('error', () => undefined);
    await new Promise((r) => second.once('close', r));
    first.resetAndDestroy();
    await listener.close();
  });
});
