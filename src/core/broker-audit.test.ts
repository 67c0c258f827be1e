import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryAuditSink } from './audit-sink.ts';
import { message, openTestBroker, recordingHandler } from './test-support.ts';

describe('broker-user audit events', () => {
  it('records failed logins, opened and refused and closed connections, and permission refusals without resource names', async () => {
    const audit = new MemoryAuditSink();
    const { broker } = await openTestBroker({ audit, brokerId: 'b-1234' });
    await broker.users.addUser('app', 'app-password-123');
    await broker.users.setPermissions('app', '/', { configure: '', write: '^allowed$', read: '' });
    const client = { sourceIPAddress: '192.0.2.7', userAgent: 'amqplib 0.10' };

    await assert.rejects(broker.authenticate('app', 'wrong-password-marker', client));
    await broker.authenticate('app', 'app-password-123', client);
    assert.throws(() => broker.connect({ vhost: '/nope', user: 'app', client }));
    const connection = broker.connect({ vhost: '/', user: 'app', client });
    const channel = connection.openChannel(recordingHandler());
    assert.throws(() => channel.publish(message('secret-exchange-marker', 'secret-key-marker', 'body-marker')));
    await connection.close();

    assert.deepEqual(
      audit.events.map((e) => [e.eventName, e.eventType, e.userIdentity?.userName, e.sourceIPAddress, e.errorCode ?? null]),
      [
        ['AuthenticationFailed', 'BrokerUserEvent', 'app', '192.0.2.7', 'ACCESS_REFUSED'],
        ['ConnectionRefused', 'BrokerUserEvent', 'app', '192.0.2.7', 'NOT_ALLOWED'],
        ['ConnectionOpened', 'BrokerUserEvent', 'app', '192.0.2.7', null],
        ['PermissionRefused', 'BrokerUserEvent', 'app', '192.0.2.7', 'ACCESS_REFUSED'],
        ['ConnectionClosed', 'BrokerUserEvent', 'app', '192.0.2.7', null],
      ],
    );
    const refused = audit.events[3]!;
    assert.deepEqual(
      { ...refused.additionalEventData, connectionId: undefined },
      { brokerId: 'b-1234', vhost: '/', connectionId: undefined, permission: 'write', resourceType: 'exchange' },
    );
    assert.equal(audit.events[2]!.additionalEventData?.connectionId, connection.id);
    const all = JSON.stringify(audit.events);
    for (const marker of ['wrong-password-marker', 'app-password-123', 'secret-exchange-marker', 'secret-key-marker', 'body-marker']) {
      assert.equal(all.includes(marker), false, marker);
    }
  });
});
