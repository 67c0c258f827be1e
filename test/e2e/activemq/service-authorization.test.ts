// ActiveMQ users, groups and destination permissions through the Amazon MQ API: a configuration
// revision with authorization entries and users with `groups` given at CreateBroker decide what each
// user may do over STOMP and MQTT; a user created later can log in only after RebootBroker, as on
// Amazon MQ for ActiveMQ.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateConfigurationCommand, CreateUserCommand, UpdateConfigurationCommand } from '@aws-sdk/client-mq';
import { ActiveMqService, mqttConnect, stompConnect, stompDisconnect, stompSend, stompSubscribe, within } from './service-clients.ts';

const WRITER = { username: 'order-writer', password: 'Writer-Pass-Word-1', groups: ['writers'] };
const READER = { username: 'order-reader', password: 'Reader-Pass-Word-1', groups: ['readers'] };
const LATE = { username: 'late-writer', password: 'Late-Writer-Pass-1' };

const CONFIGURATION = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<broker xmlns="http://activemq.apache.org/schema/core">
  <plugins>
    <authorizationPlugin>
      <map>
        <authorizationMap>
          <authorizationEntries>
            <authorizationEntry queue="orders.>" read="readers" write="writers" admin="writers,readers"/>
            <authorizationEntry topic="prices.>" read="readers" write="writers" admin="writers,readers"/>
          </authorizationEntries>
        </authorizationMap>
      </map>
    </authorizationPlugin>
  </plugins>
</broker>
`;

let amq: ActiveMqService;

before(async () => {
  amq = await ActiveMqService.start('activemq-authorization', WRITER, {
    users: [READER],
    async configuration(mq) {
      const configuration = await mq.send(new CreateConfigurationCommand({ Name: 'orders-authorization', EngineType: 'ACTIVEMQ', EngineVersion: '5.18' }));
      const revision = await mq.send(new UpdateConfigurationCommand({ ConfigurationId: configuration.Id!, Data: Buffer.from(CONFIGURATION).toString('base64') }));
      return { Id: configuration.Id!, Revision: revision.LatestRevision!.Revision! };
    },
  });
});
after(() => amq?.stop());

describe('ActiveMQ authorization through the Amazon MQ API', () => {
  it('STOMP: writers may send to orders.>, readers may read it; neither may use a destination no entry covers', async () => {
    const writer = await stompConnect(amq.ports.stomp, amq.server.caPem, WRITER);
    await stompSend(writer, { destination: '/queue/orders.new', receipt: 'w1', persistent: 'true' }, 'order 1');
    const refused = new Promise<Error>((resolve) => writer.on('error', resolve));
    writer.send({ destination: '/queue/payroll', receipt: 'w2' }).end('not allowed');
    assert.match((await within(refused, 'an ERROR for a destination without permission')).message, /./);

    const reader = await stompConnect(amq.ports.stomp, amq.server.caPem, READER);
    const inbox = stompSubscribe(reader, { destination: '/queue/orders.new', id: 'r' });
    assert.equal((await inbox.inbox.next()).body, 'order 1');
    const readerRefused = new Promise<Error>((resolve) => reader.on('error', resolve));
    reader.send({ destination: '/queue/orders.new', receipt: 'r2' }).end('readers cannot write');
    await within(readerRefused, 'an ERROR for a reader sending');
    reader.destroy();
    writer.destroy();
  });

  it('MQTT 5: a publish without write permission gets PUBACK 0x87 (not authorized); a permitted one is delivered', async () => {
    const reader = await mqttConnect(`mqtts://127.0.0.1:${amq.ports.mqtt}`, amq.server.caPem, READER, { protocolVersion: 5, clientId: 'authz-reader' });
    const writer = await mqttConnect(`mqtts://127.0.0.1:${amq.ports.mqtt}`, amq.server.caPem, WRITER, { protocolVersion: 5, clientId: 'authz-writer' });
    try {
      await reader.client.subscribeAsync('prices/eur', { qos: 1 });
      await writer.client.publishAsync('prices/eur', '1.08', { qos: 1 });
      assert.equal((await reader.inbox.next()).payload.toString(), '1.08');
      await assert.rejects(reader.client.publishAsync('prices/eur', '0.01', { qos: 1 }), (error: Error & { code?: number }) => error.code === 0x87 || /0x87|135|not authori[sz]ed/i.test(error.message));
      await assert.rejects(writer.client.publishAsync('payroll/all', 'x', { qos: 1 }), (error: Error & { code?: number }) => error.code === 0x87 || /0x87|135|not authori[sz]ed/i.test(error.message));
    } finally {
      await reader.client.endAsync();
      await writer.client.endAsync();
    }
  });

  it('a user created on a running broker logs in only after RebootBroker (ActiveMQ user changes are applied at reboot)', async () => {
    await amq.mq.send(new CreateUserCommand({ BrokerId: amq.brokerId, Username: LATE.username, Password: LATE.password, Groups: ['writers'] }));
    await assert.rejects(stompConnect(amq.ports.stomp, amq.server.caPem, LATE), Error, 'the pending user cannot log in yet');
    await amq.rebootBroker();
    const late = await stompConnect(amq.ports.stomp, amq.server.caPem, LATE);
    await stompSend(late, { destination: '/queue/orders.late', receipt: 'l1' }, 'late order');
    await stompDisconnect(late);
  });
});
