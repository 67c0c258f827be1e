// STOMP and MQTT over secure WebSocket on a real ACTIVEMQ broker's wss listener, with a raw `ws`
// client to see the frames: the subprotocol (or the path) picks the protocol, STOMP answers in text
// frames and MQTT in binary ones, an unknown subprotocol is refused with HTTP 400, a text frame on
// MQTT closes with 1002, a message over the limit with 1009, and bad protocol input closes only its
// own connection while another keeps working.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { ActiveMqService, Inbox, within } from './service-clients.ts';

const USER = { username: 'wss-user', password: 'WebSocket-Pass-77' };
const CONNECT = `CONNECT\naccept-version:1.2\nhost:localhost\nlogin:${USER.username}\npasscode:${USER.password}\n\n\0`;
/** MQTT 3.1.1 CONNECT, clean session, keep-alive 60, with username and password. */
function mqttConnectPacket(clientId: string, password = USER.password): Buffer {
  const str = (s: string) => {
    const b = Buffer.from(s);
    return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
  };
  const variable = Buffer.concat([str('MQTT'), Buffer.from([0x04, 0xc2, 0x00, 0x3c])]);
  const payload = Buffer.concat([str(clientId), str(USER.username), str(password)]);
  const rest = Buffer.concat([variable, payload]);
  return Buffer.concat([Buffer.from([0x10, rest.length]), rest]);
}

let amq: ActiveMqService;

before(async () => {
  amq = await ActiveMqService.start('activemq-wss', USER);
});
after(() => amq?.stop());

interface RawClient {
  readonly ws: WebSocket;
  readonly inbox: Inbox<{ data: Buffer; isBinary: boolean }>;
  readonly closed: Promise<{ code: number; reason: string }>;
}

function open(protocols: string[] | undefined, path = '/'): Promise<RawClient> {
  return within(
    new Promise((resolve, reject) => {
      const ws = new WebSocket(`wss://127.0.0.1:${amq.ports.wss}${path}`, protocols, { ca: amq.server.caPem, perMessageDeflate: false });
      const inbox = new Inbox<{ data: Buffer; isBinary: boolean }>();
      ws.on('message', (data: Buffer, isBinary: boolean) => inbox.push({ data, isBinary }));
      const closed = new Promise<{ code: number; reason: string }>((r) => ws.once('close', (code: number, reason: Buffer) => r({ code, reason: reason.toString() })));
      ws.once('error', reject);
      ws.once('open', () => {
        ws.on('error', () => undefined);
        resolve({ ws, inbox, closed });
      });
    }),
    'a WebSocket upgrade',
  );
}

describe('wss listener of an ACTIVEMQ broker', () => {
  it('STOMP by subprotocol answers CONNECTED in a text frame; MQTT by subprotocol or by the /mqtt path answers CONNACK in a binary frame', async () => {
    const stomp = await open(['v12.stomp', 'v11.stomp']);
    assert.equal(stomp.ws.protocol, 'v12.stomp');
    stomp.ws.send(CONNECT);
    const connected = await stomp.inbox.next('CONNECTED');
    assert.equal(connected.isBinary, false);
    assert.match(connected.data.toString(), /^CONNECTED\n[\s\S]*version:1\.2/);
    stomp.ws.close(1000);
    await stomp.closed;

    for (const [protocols, path] of [[['mqtt'], '/'], [undefined, '/mqtt']] as const) {
      const client = await open(protocols === undefined ? undefined : [...protocols], path);
      client.ws.send(mqttConnectPacket(`wss-raw-${path.length}`));
      const connack = await client.inbox.next('CONNACK');
      assert.equal(connack.isBinary, true);
      assert.deepEqual([...connack.data], [0x20, 0x02, 0x00, 0x00], 'CONNACK accepted');
      client.ws.close(1000);
      await client.closed;
    }
  });

  it('refuses an unknown subprotocol with HTTP 400', async () => {
    await assert.rejects(open(['amqp']), /Unexpected server response: 400/);
  });

  it('closes MQTT on a text frame with 1002 and any connection on a message over the limit with 1009, while another connection keeps working', async () => {
    const bystander = await open(['stomp']);
    bystander.ws.send(CONNECT);
    assert.match((await bystander.inbox.next()).data.toString(), /^CONNECTED/);

    const mqttText = await open(['mqtt']);
    mqttText.ws.send(mqttConnectPacket('wss-text').toString('latin1'));
    assert.equal((await within(mqttText.closed, 'the close of MQTT on a text frame')).code, 1002);

    const big = await open(['stomp']);
    big.ws.send(Buffer.alloc(17 * 1024 * 1024, 0x41));
    assert.equal((await within(big.closed, 'the close on a too-big message')).code, 1009);

    // A malformed STOMP frame: ERROR, then the connection closes.
    const bad = await open(['stomp']);
    bad.ws.send('NOT-A-COMMAND\n\n\0');
    assert.match((await bad.inbox.next('ERROR')).data.toString(), /^ERROR\n/);
    await within(bad.closed, 'the close after ERROR');

    bystander.ws.send('SUBSCRIBE\nid:1\ndestination:/queue/wss.still\n\n\0SEND\ndestination:/queue/wss.still\n\nstill served\0');
    assert.match((await bystander.inbox.next('MESSAGE')).data.toString(), /^MESSAGE\n[\s\S]*\n\nstill served\0/);
    bystander.ws.close(1000);
    await bystander.closed;
  });

  it('a wrong password over wss gets a STOMP ERROR, or a CONNACK refusing it, then the close', async () => {
    const stomp = await open(['stomp']);
    stomp.ws.send(CONNECT.replace(USER.password, 'Wrong-Password-1'));
    assert.match((await stomp.inbox.next('ERROR')).data.toString(), /^ERROR\n/);
    await within(stomp.closed, 'the close after a refused STOMP login');

    const mqtt = await open(['mqtt']);
    mqtt.ws.send(mqttConnectPacket('wss-bad-login', 'Wrong-Password-1'));
    const connack = await mqtt.inbox.next('CONNACK');
    assert.equal(connack.data[0], 0x20);
    assert.notEqual(connack.data[3], 0x00, 'CONNACK refuses the login');
    await within(mqtt.closed, 'the close after a refused MQTT login');
  });
});
