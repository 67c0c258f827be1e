// Bad STOMP input on raw TLS sockets to the in-process ACTIVEMQ broker: each malformed frame gets an
// ERROR frame (with a `message` header, never echoing the input) and its connection is closed, while
// a client connected beforehand keeps sending and receiving. The session runs with small limits here
// so that the over-limit cases stay small on the wire; the defaults are in the session's README.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startActiveMqTestBroker, type ActiveMqTestBroker } from '../../helpers/activemq-broker.ts';
import { createStompSession } from '../../../src/session/stomp/index.ts';
import type { StompTestPeer } from '../../../src/session/stomp/test-peer.ts';
import { rawStompPeer } from './stomp-clients.ts';

const LIMITS = { bodySizeMaxBytes: 64 * 1024, frameSizeMaxBytes: 96 * 1024, headerSizeMaxBytes: 1024, headerCountMax: 50 };
let server: ActiveMqTestBroker;
let survivor: StompTestPeer;
const QUEUE = `/queue/survivor-${process.pid}`;

before(async () => {
  server = await startActiveMqTestBroker({
    session: (socket, engine) => createStompSession(socket, { engine, remoteAddress: socket.remoteAddress, connectTimeoutMs: 1000, closeTimeoutMs: 1000, ...LIMITS }),
  });
  survivor = await connected();
  survivor.send('SUBSCRIBE', { id: 's', destination: QUEUE, receipt: 'sub' });
  await survivor.next('RECEIPT');
});
after(async () => {
  survivor.send('DISCONNECT');
  await survivor.closed;
  await server.close();
});

async function rawPeer(): Promise<StompTestPeer> {
  return rawStompPeer(server);
}

async function connected(version = '1.2'): Promise<StompTestPeer> {
  const peer = await rawPeer();
  const f = await peer.connect({ 'accept-version': version, host: 'localhost', login: server.username, passcode: server.password });
  assert.equal(f.command, 'CONNECTED', f.headers.get('message'));
  return peer;
}

let round = 0;
/** The client connected before the bad one still sends and receives. */
async function survivorStillWorks(): Promise<void> {
  const body = `round ${++round}`;
  survivor.send('SEND', { destination: QUEUE }, body);
  assert.equal((await survivor.next('MESSAGE')).body.toString(), body);
}

/** Sends the bytes and expects ERROR, then the end of the connection. */
async function refused(peer: StompTestPeer, bytes: string | Buffer, message: RegExp): Promise<void> {
  peer.raw(bytes);
  const f = await peer.next('ERROR');
  const text = f.headers.get('message') ?? '';
  assert.match(text, message);
  assert.ok(text.length < 100, 'short');
  assert.equal(f.headers.get('content-type'), 'text/plain');
  await peer.closed;
  await survivorStillWorks();
}

describe('STOMP bad input over TLS: ERROR, that connection closed, the broker serving on', () => {
  it('an unknown command, and a server command from a client', async () => {
    await refused(await connected(), 'FOO\n\n^@', /unknown command/);
    await refused(await connected(), 'MESSAGE\ndestination:/queue/a\n\nx^@', /unknown command/);
  });

  it('a header line without a colon', async () => {
    await refused(await connected(), `SEND\ndestination:${QUEUE}\nno colon here\n\nx^@`, /without a colon/);
  });

  it('a body not followed by NUL where content-length says (a short lie)', async () => {
    await refused(await connected(), `SEND\ndestination:${QUEUE}\ncontent-length:3\n\nhello^@`, /not followed by NUL/);
  });

  it('a content-length longer than the body: the next frame is read as body, then no NUL', async () => {
    const peer = await connected();
    // Nothing is delivered from either frame: the first is waiting for its 50 octets.
    await refused(peer, `SEND\ndestination:${QUEUE}\ncontent-length:50\n\nhi^@SEND\ndestination:${QUEUE}\n\n${'x'.repeat(80)}^@`, /not followed by NUL/);
  });

  it('a content-length that is not a number', async () => {
    await refused(await connected(), `SEND\ndestination:${QUEUE}\ncontent-length:12abc\n\nx^@`, /content-length/);
  });

  it('a body over the limit, and a content-length over it refused before any body is sent', async () => {
    await refused(await connected(), `SEND\ndestination:${QUEUE}\n\n${'x'.repeat(LIMITS.bodySizeMaxBytes + 1)}^@`, /body exceeds 65536 bytes/);
    await refused(await connected(), `SEND\ndestination:${QUEUE}\ncontent-length:${11 * 1024 * 1024}\n\n`, /body exceeds 65536 bytes/);
  });

  it('a frame over the limit though its body and each header line are within theirs', async () => {
    const headers = Array.from({ length: 40 }, (_, i) => `h${i}:${'v'.repeat(1000)}\n`).join('');
    await refused(await connected(), `SEND\ndestination:${QUEUE}\n${headers}\n${'x'.repeat(60 * 1024)}^@`, /frame exceeds 98304 bytes/);
  });

  it('a header line over the limit, and too many header lines', async () => {
    await refused(await connected(), `SEND\ndestination:${QUEUE}\nbig:${'v'.repeat(2000)}\n\nx^@`, /header line exceeds 1024 bytes/);
    const many = Array.from({ length: 51 }, (_, i) => `h${i}:v\n`).join('');
    await refused(await connected(), `SEND\ndestination:${QUEUE}\n${many}\nx^@`, /more than 50 header lines/);
  });

  it('invalid UTF-8 in a header, and an undefined escape', async () => {
    const bad = Buffer.concat([Buffer.from(`SEND\ndestination:${QUEUE}\nname:`), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('\n\nx\0')]);
    await refused(await connected(), bad, /not valid UTF-8/);
    await refused(await connected(), `SEND\ndestination:${QUEUE}\nfoo:a\\tb\n\nx^@`, /escape/);
  });

  it('garbage or a SEND before CONNECT, and a SEND without destination', async () => {
    await refused(await rawPeer(), Buffer.from([0x16, 0x03, 0x01, 0x00, 0x0a, 0x0a]), /unknown command/);
    await refused(await rawPeer(), `SEND\ndestination:${QUEUE}\n\nx^@`, /before CONNECT/);
    await refused(await connected(), 'SEND\n\nx^@', /destination/);
  });

  it('an invalid destination or an ACK for nothing', async () => {
    await refused(await connected(), 'SEND\ndestination:no-prefix\n\nx^@', /Invalid destination/);
    await refused(await connected(), 'ACK\nid:12345\n\n^@', /Unexpected ACK/);
  });

  it('a client that never sends CONNECT is closed after the connect timeout', async () => {
    const peer = await rawPeer();
    const f = await peer.next('ERROR');
    assert.match(f.headers.get('message') ?? '', /No CONNECT/);
    await peer.closed;
    await survivorStillWorks();
  });

  it('bad frames fed in small chunks are refused the same way', async () => {
    const peer = await connected();
    const bytes = Buffer.from(`SEND\ndestination:${QUEUE}\ncontent-length:2\n\nabc\0`);
    for (let at = 0; at < bytes.length; at += 3) {
      peer.raw(bytes.subarray(at, at + 3));
      await new Promise((resolve) => setImmediate(resolve));
    }
    const f = await peer.next('ERROR');
    assert.match(f.headers.get('message') ?? '', /not followed by NUL/);
    await peer.closed;
    await survivorStillWorks();
  });
});
