// The wss listener with a scripted echo session (the protocol sessions are tested on their own and
// end to end in test/e2e/activemq): protocol choice by subprotocol and path, text vs binary frames,
// close codes 1000/1001/1002/1008/1009, HTTP 400 for unknown subprotocols and 426 without an
// upgrade, the handshake timeout, and TLS refusals.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { WebSocket } from 'ws';
import { ensureCertificates, type ServerCertificate } from './certificates.ts';
import { selectWebSocketProtocol, startWebSocketListener, type WebSocketConnectionInfo, type WebSocketListener, type WebSocketListenerOptions } from './websocket-listener.ts';

let dir: string;
let cert: ServerCertificate;
const listeners: WebSocketListener[] = [];
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sealmq-wss-'));
  cert = await ensureCertificates({ dir, ipAddresses: ['127.0.0.1'] });
});
after(async () => {
  for (const listener of listeners) await listener.close();
  await rm(dir, { recursive: true, force: true });
});

/** Echoes each chunk prefixed with the protocol; 'bye' ends the stream, 'bad' destroys it with an error. */
function echoSession(stream: Duplex, info: WebSocketConnectionInfo, seen: WebSocketConnectionInfo[]) {
  seen.push(info);
  stream.on('data', (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    if (text === 'bye') stream.end();
    else if (text === 'bad') stream.destroy(new Error('malformed frame'));
    else stream.write(Buffer.concat([Buffer.from(`${info.protocol}:`), chunk]));
  });
  return { close: async () => void stream.end() };
}

async function listen(overrides: Partial<WebSocketListenerOptions> = {}): Promise<{ listener: WebSocketListener; seen: WebSocketConnectionInfo[] }> {
  const seen: WebSocketConnectionInfo[] = [];
  const listener = await startWebSocketListener({
    name: 'wss',
    host: '127.0.0.1',
    port: 0,
    tls: { policy: 'activemq', certPem: cert.certPem, keyPem: cert.keyPem },
    onConnection: (stream, info) => echoSession(stream, info, seen),
    ...overrides,
  });
  listeners.push(listener);
  return { listener, seen };
}

interface Client {
  readonly ws: WebSocket;
  readonly messages: { data: Buffer; isBinary: boolean }[];
  readonly closed: Promise<{ code: number; reason: string }>;
  next(): Promise<{ data: Buffer; isBinary: boolean }>;
}

function open(listener: WebSocketListener, protocols: string[] | undefined, path = '/'): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`wss://127.0.0.1:${listener.port}${path}`, protocols, { ca: cert.caPem!, perMessageDeflate: false });
    const messages: { data: Buffer; isBinary: boolean }[] = [];
    const waiters: (() => void)[] = [];
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      messages.push({ data, isBinary });
      waiters.splice(0).forEach((w) => w());
    });
    const closed = new Promise<{ code: number; reason: string }>((r) => ws.once('close', (code: number, reason: Buffer) => r({ code, reason: reason.toString() })));
    ws.once('error', reject);
    ws.once('open', () =>
      resolve({
        ws,
        messages,
        closed,
        next: async () => {
          while (messages.length === 0) await new Promise<void>((r) => waiters.push(r));
          return messages.shift()!;
        },
      }),
    );
  });
}

describe('selectWebSocketProtocol', () => {
  it('picks by the first known subprotocol, else by path, with STOMP as the default', () => {
    assert.deepEqual(selectWebSocketProtocol(['v12.stomp', 'v11.stomp'], '/'), { protocol: 'stomp', subprotocol: 'v12.stomp' });
    assert.deepEqual(selectWebSocketProtocol(['foo', 'mqttv3.1', 'stomp'], '/'), { protocol: 'mqtt', subprotocol: 'mqttv3.1' });
    assert.deepEqual(selectWebSocketProtocol(['MQTT'], '/'), { protocol: 'mqtt', subprotocol: 'MQTT' });
    assert.equal(selectWebSocketProtocol(['amqp'], '/mqtt'), undefined);
    assert.deepEqual(selectWebSocketProtocol([], '/mqtt?x=1'), { protocol: 'mqtt', subprotocol: undefined });
    assert.deepEqual(selectWebSocketProtocol([], '/mqttx'), { protocol: 'stomp', subprotocol: undefined });
    assert.deepEqual(selectWebSocketProtocol([], '/'), { protocol: 'stomp', subprotocol: undefined });
  });
});

describe('wss listener', () => {
  it('runs STOMP for stomp subprotocols and answers in text frames; MQTT in binary frames', async () => {
    const { listener, seen } = await listen();
    const stomp = await open(listener, ['v12.stomp', 'v11.stomp', 'v10.stomp']);
    assert.equal(stomp.ws.protocol, 'v12.stomp');
    stomp.ws.send('CONNECT\n\n\0');
    const reply = await stomp.next();
    assert.equal(reply.isBinary, false);
    assert.equal(reply.data.toString(), 'stomp:CONNECT\n\n\0');
    // A body that is not UTF-8 cannot go in a text frame.
    stomp.ws.send(Buffer.from([0xff, 0xfe]));
    const binary = await stomp.next();
    assert.equal(binary.isBinary, true);
    assert.deepEqual([...binary.data.subarray(-2)], [0xff, 0xfe]);

    const mqtt = await open(listener, ['mqtt']);
    assert.equal(mqtt.ws.protocol, 'mqtt');
    mqtt.ws.send(Buffer.from([0x10, 0x00]));
    const packet = await mqtt.next();
    assert.equal(packet.isBinary, true);
    assert.deepEqual(seen.map((s) => [s.protocol, s.subprotocol]), [
      ['stomp', 'v12.stomp'],
      ['mqtt', 'mqtt'],
    ]);
    assert.equal(seen[0]!.remoteAddress, '127.0.0.1');
    assert.equal(listener.connectionCount, 2);

    stomp.ws.send('bye');
    assert.equal((await stomp.closed).code, 1000);
    mqtt.ws.send('text is not MQTT');
    assert.equal((await mqtt.closed).code, 1002, '[MQTT-6.0.0-1] a text frame closes an MQTT connection');
  });

  it('without a subprotocol the path decides (/mqtt), else STOMP', async () => {
    const { listener, seen } = await listen();
    const a = await open(listener, undefined, '/mqtt');
    const b = await open(listener, undefined, '/');
    a.ws.send(Buffer.from('x'));
    b.ws.send('y');
    assert.equal((await a.next()).data.toString(), 'mqtt:x');
    assert.equal((await b.next()).data.toString(), 'stomp:y');
    assert.deepEqual(seen.map((s) => s.subprotocol), [undefined, undefined]);
    a.ws.close();
    b.ws.close();
    await Promise.all([a.closed, b.closed]);
  });

  it('refuses unknown subprotocols with HTTP 400 and plain requests with 426', async () => {
    const { listener, seen } = await listen();
    await assert.rejects(open(listener, ['amqp']), /Unexpected server response: 400/);
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', port: listener.port, path: '/', ca: cert.caPem!, agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(status, 426);
    assert.equal(seen.length, 0);
  });

  it('closes with 1002 when the session fails, 1009 for a message over the limit, 1008 over the connection limit', async () => {
    const { listener } = await listen({ maxPayloadBytes: 1024, connectionsMax: 1 });
    const first = await open(listener, ['stomp']);
    first.ws.send('bad');
    assert.equal((await first.closed).code, 1002);
    while (listener.connectionCount > 0) await new Promise((r) => setTimeout(r, 10));

    const big = await open(listener, ['stomp']);
    big.ws.send('x'.repeat(2048));
    assert.equal((await big.closed).code, 1009);
    while (listener.connectionCount > 0) await new Promise((r) => setTimeout(r, 10));

    const holder = await open(listener, ['stomp']);
    const refused = await open(listener, ['stomp']);
    const refusal = await refused.closed;
    assert.equal(refusal.code, 1008);
    assert.match(refusal.reason, /connection limit/);
    holder.ws.send('still served');
    assert.equal((await holder.next()).data.toString(), 'stomp:still served');
    holder.ws.close();
    await holder.closed;
  });

  it('close() ends each session and closes its WebSocket with 1001', async () => {
    const { listener } = await listen();
    const client = await open(listener, ['mqtt']);
    await listener.close();
    assert.equal((await client.closed).code, 1001);
    assert.equal(listener.connectionCount, 0);
    await assert.rejects(open(listener, ['mqtt']), /ECONNREFUSED/);
  });

  it('cuts sockets that do not finish TLS and the upgrade in time; refuses TLS 1.1 and plain TCP', async () => {
    const { listener, seen } = await listen({ handshakeTimeoutMs: 200 });
    // TLS done, no upgrade request: cut.
    const idle = await new Promise<import('node:tls').TLSSocket>((resolve, reject) => {
      const s = tlsConnect({ host: '127.0.0.1', port: listener.port, ca: [cert.caPem!] }, () => resolve(s));
      s.once('error', reject);
    });
    await new Promise<void>((resolve) => idle.once('close', () => resolve()));
    // Plain TCP that never says anything: cut too.
    const silent = netConnect(listener.port, '127.0.0.1');
    silent.on('error', () => undefined);
    await new Promise<void>((resolve) => silent.once('close', () => resolve()));
    await assert.rejects(
      new Promise((resolve, reject) => {
        const s = tlsConnect({ host: '127.0.0.1', port: listener.port, ca: [cert.caPem!], minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' }, () => resolve(s));
        s.once('error', reject);
      }),
    );
    await assert.rejects(
      new Promise((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${listener.port}/`, ['stomp']);
        ws.once('open', () => resolve(ws));
        ws.once('error', reject);
      }),
    );
    assert.equal(seen.length, 0);
  });
});
