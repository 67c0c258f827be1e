import assert from 'node:assert/strict';
import { connect } from 'node:tls';
import { it } from 'node:test';
import { startActiveMqTestBroker } from './activemq-broker.ts';

it('startActiveMqTestBroker: a TLS listener running the given session on the engine, and a test user that can connect', async () => {
  const seen: string[] = [];
  const test = await startActiveMqTestBroker({
    session: (socket, engine) => {
      socket.on('error', () => undefined);
      socket.on('data', (data) => {
        seen.push(data.toString());
        void engine.connect({ username: test.username, password: test.password }).then(async (c) => {
          await c.send({ kind: 'queue', name: 'echo' }, { body: data, bodyType: 'bytes', persistent: false });
          socket.end('ok');
        });
      });
      return { close: async () => void socket.destroy() };
    },
  });
  try {
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: test.port, ca: test.caPem, servername: 'localhost' }, () => socket.write('ping'));
      let text = '';
      socket.on('data', (d) => (text += d.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    assert.equal(reply, 'ok');
    assert.deepEqual(seen, ['ping']);
    assert.equal(test.broker.queueStats().find((q) => q.name === 'echo')?.ready, 1);
  } finally {
    await test.close();
  }
});
