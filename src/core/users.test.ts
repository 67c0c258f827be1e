import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BrokerError } from './errors.ts';
import { DefinitionKind } from './message-store.ts';
import { message, openTestBroker, recordingHandler } from './test-support.ts';

function code(error: unknown): string {
  assert.ok(error instanceof BrokerError, `expected a BrokerError, got ${String(error)}`);
  return error.code;
}

describe('broker users', () => {
  it('a new broker has no users; guest cannot be created nor log in', async () => {
    const { broker } = await openTestBroker();
    assert.deepEqual(broker.users.listUsers(), []);
    await assert.rejects(broker.users.addUser('guest', 'guest-password-1'), (e) => code(e) === 'NOT_ALLOWED');
    await assert.rejects(broker.authenticate('guest', 'guest'), (e) => e instanceof BrokerError && e.code === 'ACCESS_REFUSED' && e.scope === 'connection');
  });

  it('authenticates with the right password only; refusals look the same', async () => {
    const { broker } = await openTestBroker();
    await broker.users.addUser('alice', 'alice-password-1', ['administrator']);
    assert.deepEqual(await broker.authenticate('alice', 'alice-password-1'), { name: 'alice', tags: ['administrator'] });
    const wrong = await broker.authenticate('alice', 'nope').catch((e: unknown) => e);
    const unknown = await broker.authenticate('mallory', 'alice-password-1').catch((e: unknown) => e);
    assert.ok(wrong instanceof BrokerError && unknown instanceof BrokerError);
    assert.equal(wrong.replyText, unknown.replyText);
    assert.equal(wrong.code, 'ACCESS_REFUSED');
    await broker.users.changePassword('alice', 'new-password-22');
    await assert.rejects(broker.authenticate('alice', 'alice-password-1'));
    await broker.authenticate('alice', 'new-password-22');
  });

  it('a permission taken away applies to the next publish on an open channel (granted checks are cached)', async () => {
    const t = await openTestBroker();
    await t.channel.declareQueue({ queue: 'q' });
    await t.broker.users.addUser('dave', 'dave-password-1', []);
    await t.broker.users.setPermissions('dave', '/', { configure: '', write: '.*', read: '' });
    const channel = t.broker.connect({ vhost: '/', user: 'dave' }).openChannel(recordingHandler());
    for (let i = 0; i < 3; i++) channel.publish(message('', 'q', `m${i}`));
    await t.broker.users.setPermissions('dave', '/', { configure: '', write: '^other$', read: '' });
    assert.throws(() => channel.publish(message('', 'q', 'refused')), (e) => code(e) === 'ACCESS_REFUSED');
    await t.broker.users.setPermissions('dave', '/', { configure: '', write: '.*', read: '' });
    channel.publish(message('', 'q', 'again'));
  });

  it('stores a scrypt hash, never the password, and users survive a restart', async () => {
    const t = await openTestBroker();
    await t.broker.users.addUser('bob', 'bob-marker-password', []);
    await t.broker.users.setPermissions('bob', '/', { configure: '', write: '.*', read: '.*' });
    await t.broker.settle();
    const [user] = await t.store.listDefinitions(DefinitionKind.USER);
    const stored = JSON.stringify(user);
    assert.equal(stored.includes('bob-marker-password'), false);
    assert.match(stored, /\$scrypt\$ln=/);
    const r = await openTestBroker({ state: t.state });
    await r.broker.authenticate('bob', 'bob-marker-password');
    assert.deepEqual(r.broker.users.getPermissions('bob', '/'), { configure: '', write: '.*', read: '.*' });
  });

  it('connection.open needs permissions on the vhost (NOT_ALLOWED otherwise) and an existing vhost', async () => {
    const { broker } = await openTestBroker();
    await broker.users.addUser('carol', 'carol-password-1');
    assert.throws(() => broker.connect({ vhost: '/', user: 'carol' }), (e) => code(e) === 'NOT_ALLOWED');
    await broker.users.setPermissions('carol', '/', { configure: '.*', write: '.*', read: '.*' });
    broker.connect({ vhost: '/', user: 'carol' });
    assert.throws(() => broker.connect({ vhost: '/other', user: 'carol' }), (e) => code(e) === 'NOT_ALLOWED');
    await broker.addVhost('/other');
    assert.throws(() => broker.connect({ vhost: '/other', user: 'carol' }), (e) => code(e) === 'NOT_ALLOWED');
  });

  it('invalid permission patterns are refused', async () => {
    const { broker } = await openTestBroker();
    await broker.users.addUser('dave', 'dave-password-1');
    await assert.rejects(broker.users.setPermissions('dave', '/', { configure: '(', write: '', read: '' }), (e) => code(e) === 'PRECONDITION_FAILED');
  });
});

describe('permissions matrix (RabbitMQ access-control)', () => {
  /** A user limited to resources matching `pattern` for one permission and everything for the others. */
  async function limited(permission: 'configure' | 'write' | 'read', pattern: string) {
    const t = await openTestBroker();
    // Set up as a trusted caller.
    await t.channel.declareExchange({ exchange: 'ok-x', type: 'fanout' });
    await t.channel.declareExchange({ exchange: 'no-x', type: 'fanout' });
    await t.channel.declareQueue({ queue: 'ok-q' });
    await t.channel.declareQueue({ queue: 'no-q' });
    await t.channel.bindQueue({ queue: 'ok-q', exchange: 'ok-x', routingKey: '' });
    await t.channel.bindQueue({ queue: 'no-q', exchange: 'no-x', routingKey: '' });
    await t.broker.users.addUser('u', 'u-password-123');
    await t.broker.users.setPermissions('u', '/', { configure: '.*', write: '.*', read: '.*', [permission]: pattern });
    const channel = t.broker.connect({ vhost: '/', user: 'u' }).openChannel(recordingHandler());
    return { ...t, channel };
  }

  const refused = (e: unknown) => code(e) === 'ACCESS_REFUSED';

  it('configure: exchange.declare/delete, queue.declare/delete', async () => {
    const { channel } = await limited('configure', '^ok-');
    await channel.declareExchange({ exchange: 'ok-x2', type: 'direct' });
    await assert.rejects(channel.declareExchange({ exchange: 'no-x2', type: 'direct' }), refused);
    await channel.declareExchange({ exchange: 'no-x', type: 'fanout', passive: true }); // passive needs nothing
    await assert.rejects(channel.deleteExchange('no-x'), refused);
    await channel.declareQueue({ queue: 'ok-q2' });
    await assert.rejects(channel.declareQueue({ queue: 'no-q2' }), refused);
    await channel.declareQueue({ queue: 'no-q', passive: true });
    await assert.rejects(channel.deleteQueue('no-q'), refused);
    await channel.deleteQueue('ok-q2');
  });

  it('configure: server-named queues are checked as amq.gen', async () => {
    const { channel } = await limited('configure', '^amq\\.gen');
    await channel.declareQueue({ queue: '' });
    await assert.rejects(channel.declareQueue({ queue: 'named' }), refused);
  });

  it('write: basic.publish to the exchange (the default exchange is amq.default), queue.bind on the queue', async () => {
    const { channel } = await limited('write', '^ok-');
    channel.publish(message('ok-x', '', 'm'));
    assert.throws(() => channel.publish(message('no-x', '', 'm')), refused);
    assert.throws(() => channel.publish(message('', 'ok-q', 'm')), refused);
    await channel.bindQueue({ queue: 'ok-q', exchange: 'no-x', routingKey: 'k' });
    await assert.rejects(channel.bindQueue({ queue: 'no-q', exchange: 'ok-x', routingKey: 'k' }), refused);
    await assert.rejects(channel.unbindQueue({ queue: 'no-q', exchange: 'no-x', routingKey: '' }), refused);
  });

  it('write on amq.default allows the default exchange', async () => {
    const { channel } = await limited('write', '^amq\\.default$');
    channel.publish(message('', 'ok-q', 'm'));
    assert.throws(() => channel.publish(message('amq.direct', 'ok-q', 'm')), refused);
  });

  it('read: basic.consume, basic.get, queue.purge on the queue; queue.bind on the exchange', async () => {
    const { channel } = await limited('read', '^ok-');
    channel.consume({ queue: 'ok-q' });
    assert.throws(() => channel.consume({ queue: 'no-q' }), refused);
    assert.throws(() => channel.get({ queue: 'no-q' }), refused);
    await assert.rejects(channel.purgeQueue('no-q'), refused);
    await channel.purgeQueue('ok-q');
    await channel.bindQueue({ queue: 'no-q', exchange: 'ok-x', routingKey: 'k' });
    await assert.rejects(channel.bindQueue({ queue: 'ok-q', exchange: 'no-x', routingKey: 'k' }), refused);
  });

  it('exchange.bind needs write on the destination and read on the source', async () => {
    const w = await limited('write', '^ok-');
    await w.channel.bindExchange({ destination: 'ok-x', source: 'no-x', routingKey: '' });
    await assert.rejects(w.channel.bindExchange({ destination: 'no-x', source: 'ok-x', routingKey: '' }), refused);
    const r = await limited('read', '^ok-');
    await r.channel.bindExchange({ destination: 'no-x', source: 'ok-x', routingKey: '' });
    await assert.rejects(r.channel.bindExchange({ destination: 'ok-x', source: 'no-x', routingKey: '' }), refused);
  });

  it('a dead-letter exchange needs write on it; an alternate exchange needs write on it', async () => {
    const { channel } = await limited('write', '^ok-');
    await channel.declareQueue({ queue: 'with-dlx', args: { 'x-dead-letter-exchange': 'ok-x' } });
    await assert.rejects(channel.declareQueue({ queue: 'bad-dlx', args: { 'x-dead-letter-exchange': 'no-x' } }), refused);
    await channel.declareExchange({ exchange: 'with-ae', type: 'direct', args: { 'alternate-exchange': 'ok-x' } });
    await assert.rejects(channel.declareExchange({ exchange: 'bad-ae', type: 'direct', args: { 'alternate-exchange': 'no-x' } }), refused);
  });

  it("an empty pattern grants nothing, and the refusal names the resource as RabbitMQ does", async () => {
    const { channel } = await limited('read', '');
    assert.throws(
      () => channel.get({ queue: 'ok-q' }),
      (e) => e instanceof BrokerError && e.replyText === "ACCESS_REFUSED - access to queue 'ok-q' in vhost '/' refused for user 'u'" && e.scope === 'channel',
    );
  });

  it('a permission change applies to open channels at once', async () => {
    const { broker, channel } = await limited('write', '.*');
    channel.publish(message('ok-x', '', 'm'));
    await broker.users.setPermissions('u', '/', { configure: '.*', write: '^nothing$', read: '.*' });
    assert.throws(() => channel.publish(message('ok-x', '', 'm')), refused);
    await broker.users.setPermissions('u', '/', { configure: '.*', write: '.*', read: '.*' });
    channel.publish(message('ok-x', '', 'm'));
  });

  it('deleting a user removes its permissions', async () => {
    const { broker } = await limited('read', '.*');
    await broker.users.deleteUser('u');
    assert.equal(broker.users.getPermissions('u', '/'), undefined);
    assert.throws(() => broker.connect({ vhost: '/', user: 'u' }), (e) => code(e) === 'NOT_ALLOWED');
  });
});
