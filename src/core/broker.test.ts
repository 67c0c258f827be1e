import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BrokerError } from './errors.ts';
import { DefinitionKind } from './message-store.ts';
import { jsonPropertiesCodec, message, openTestBroker, recordingHandler } from './test-support.ts';

describe('broker and vhosts', () => {
  it('vhosts are separate namespaces, each with its own amq.* exchanges', async () => {
    const t = await openTestBroker();
    await t.broker.addVhost('tenant');
    const other = t.broker.connect({ vhost: 'tenant', user: null }).openChannel(recordingHandler());
    await t.channel.declareQueue({ queue: 'q' });
    await other.declareQueue({ queue: 'q' });
    t.channel.publish(message('', 'q', 'root'));
    assert.equal((await other.declareQueue({ queue: 'q', passive: true })).messageCount, 0);
    await other.declareExchange({ exchange: 'amq.topic', type: 'topic', passive: true });
  });

  it('deleting a vhost closes its connections and removes its definitions and messages from the store', async () => {
    const t = await openTestBroker();
    await t.broker.addVhost('gone');
    await t.broker.users.addUser('u', 'u-password-123');
    await t.broker.users.setPermissions('u', 'gone', { configure: '.*', write: '.*', read: '.*' });
    const connection = t.broker.connect({ vhost: 'gone', user: 'u' });
    const channel = connection.openChannel(recordingHandler());
    await channel.declareExchange({ exchange: 'x', type: 'fanout', durable: true });
    await channel.declareQueue({ queue: 'q', durable: true });
    await channel.bindQueue({ queue: 'q', exchange: 'x', routingKey: '' });
    channel.publish(message('x', '', 'm', { persistent: true }));
    await t.broker.deleteVhost('gone');
    await t.broker.settle();
    assert.equal(connection.closed, true);
    assert.throws(() => t.broker.connect({ vhost: 'gone', user: null }), (e) => e instanceof BrokerError && e.code === 'NOT_ALLOWED');
    const kinds = (await t.store.listDefinitions()).map((d) => d.kind);
    assert.deepEqual(kinds.filter((k) => k !== DefinitionKind.USER), [DefinitionKind.VHOST]);
    assert.deepEqual(await t.store.queueIds(), []);
    assert.equal(t.broker.users.getPermissions('u', 'gone'), undefined);
  });

  it('tells the session when the broker closes a connection itself (user or vhost deleted, shutdown)', async () => {
    const t = await openTestBroker();
    await t.broker.users.addUser('u', 'u-password-123');
    await t.broker.users.setPermissions('u', '/', { configure: '.*', write: '.*', read: '.*' });
    await t.broker.addVhost('v');
    const reasons: string[] = [];
    const byUser = t.broker.connect({ vhost: '/', user: 'u', onForcedClose: (e) => reasons.push(`${e.code} ${e.replyText}`) });
    const inVhost = t.broker.connect({ vhost: 'v', user: null, onForcedClose: (e) => reasons.push(e.code) });
    const other = t.broker.connect({ vhost: '/', user: null, onForcedClose: (e) => reasons.push(`shutdown ${e.replyCode}`) });
    await t.broker.deleteUser('u');
    assert.equal(byUser.closed, true);
    await t.broker.deleteVhost('v');
    assert.equal(inVhost.closed, true);
    await t.broker.close();
    assert.equal(other.closed, true);
    assert.deepEqual(reasons, ["CONNECTION_FORCED CONNECTION_FORCED - user 'u' was deleted", 'CONNECTION_FORCED', 'shutdown 320']);
  });

  it('an error in timer-driven dead-lettering is reported, not thrown, and the broker carries on', async () => {
    const errors: unknown[] = [];
    const codec = { ...jsonPropertiesCodec, rewrite: () => { throw new Error('codec bug'); } };
    const t = await openTestBroker({ codec, onStoreError: (e) => errors.push(e) });
    await t.channel.declareQueue({ queue: 'dead' });
    await t.channel.declareQueue({ queue: 'q', args: { 'x-message-ttl': 10, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'dead' } });
    t.channel.publish(message('', 'q', 'm'));
    t.clock.advance(11);
    assert.equal(errors.length, 1);
    assert.equal(t.channel.get({ queue: 'q' }), undefined);
    assert.equal(t.channel.publish(message('', 'dead', 'still works')).routed, true);
  });

  it('deleting an exchange removes the exchange-to-exchange bindings pointing at it', async () => {
    const t = await openTestBroker();
    await t.channel.declareExchange({ exchange: 'inner', type: 'fanout' });
    await t.channel.bindExchange({ destination: 'inner', source: 'amq.fanout', routingKey: '' });
    await t.channel.declareQueue({ queue: 'q' });
    await t.channel.bindQueue({ queue: 'q', exchange: 'inner', routingKey: '' });
    assert.equal(t.channel.publish(message('amq.fanout', '', 'a')).routed, true);
    await t.channel.deleteExchange('inner');
    assert.equal(t.channel.publish(message('amq.fanout', '', 'b')).routed, false);
  });

  it('operations on a closed channel are CHANNEL_ERROR; closing twice is harmless', async () => {
    const t = await openTestBroker();
    await t.channel.declareQueue({ queue: 'q' });
    t.channel.close();
    t.channel.close();
    assert.throws(() => t.channel.publish(message('', 'q', 'x')), (e) => e instanceof BrokerError && e.code === 'CHANNEL_ERROR');
    assert.throws(() => t.channel.consume({ queue: 'q' }), (e) => e instanceof BrokerError && e.code === 'CHANNEL_ERROR');
  });

  it('close() closes connections, requeueing their unacknowledged messages, and refuses new connections', async () => {
    const t = await openTestBroker();
    await t.channel.declareQueue({ queue: 'dq', durable: true });
    await t.channel.publish(message('', 'dq', 'm', { persistent: true })).confirmation;
    t.channel.get({ queue: 'dq' });
    await t.channel.declareQueue({ queue: 'ttl', args: { 'x-message-ttl': 1000, 'x-expires': 5000 } });
    t.channel.publish(message('', 'ttl', 'x'));
    await t.broker.close();
    assert.equal(t.clock.pendingTimers, 0);
    assert.equal(t.connection.closed, true);
    assert.throws(() => t.broker.connect({ vhost: '/', user: null }), (e) => e instanceof BrokerError && e.code === 'CONNECTION_FORCED');
    const r = await openTestBroker({ state: t.state });
    const d = r.channel.get({ queue: 'dq', noAck: true })!;
    assert.equal(d.redelivered, true);
  });
});
