import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AmqError } from './api.ts';
import { Authorizer, groupTags, groupsOfTags, patternCovers } from './authorization.ts';
import { openEngine, record, settle, textMessage } from './engine-test-support.ts';
import { MemoryAuditSink } from '../audit-sink.ts';

const entries = [
  { kind: 'queue' as const, pattern: 'orders.>', read: ['readers', 'admins'], write: ['writers', 'admins'], admin: ['admins'] },
  { kind: 'topic' as const, pattern: 'prices.*', read: ['*'], write: ['admins'], admin: ['admins'] },
];

describe('ActiveMQ authorization entries', () => {
  it('maps Amazon MQ groups onto core user tags and back', () => {
    assert.deepEqual(groupTags(['a', 'b']), ['group:a', 'group:b']);
    assert.deepEqual(groupsOfTags(['administrator', 'group:a']), ['a']);
  });

  it('unions the groups of matching entries; no matching entry refuses; no entries allows all', () => {
    const a = new Authorizer(entries);
    assert.equal(a.allows(['readers'], 'read', 'queue', 'orders.eu'), true);
    assert.equal(a.allows(['readers'], 'write', 'queue', 'orders.eu'), false);
    assert.equal(a.allows(['admins'], 'admin', 'queue', 'orders.eu'), true);
    assert.equal(a.allows(['admins'], 'read', 'queue', 'other'), false, 'no entry for the queue');
    assert.equal(a.allows([], 'read', 'topic', 'prices.x'), true, "group '*' is everyone");
    assert.equal(a.allows([], 'read', 'topic', 'ActiveMQ.Advisory.Connection'), true);
    assert.equal(new Authorizer([]).allows([], 'admin', 'queue', 'anything'), true);
  });

  it('a wildcard subscription needs an entry covering all it can match', () => {
    assert.equal(patternCovers('orders.>', 'orders.*'), true);
    assert.equal(patternCovers('orders.>', 'orders.>'), true);
    assert.equal(patternCovers('orders.*', 'orders.>'), false);
    assert.equal(patternCovers('orders.eu', 'orders.*'), false);
    assert.equal(patternCovers('>', 'a.*.c'), true);
  });

  it('the engine refuses send, subscribe and create per group, and audits the refusals', async () => {
    const audit = new MemoryAuditSink();
    const f = await openEngine({ engine: { authorization: entries, audit } });
    try {
      const writer = await f.connect({ groups: ['writers'] });
      const reader = await f.connect({ groups: ['readers'] });
      const admin = await f.connect({ groups: ['admins'] });
      const notAuthorized = (e: unknown) => e instanceof AmqError && e.code === 'not-authorized';
      // The queue does not exist yet: creating it needs admin.
      await assert.rejects(writer.send({ kind: 'queue', name: 'orders.eu' }, textMessage('x')), notAuthorized);
      await admin.send({ kind: 'queue', name: 'orders.eu' }, textMessage('first'));
      await writer.send({ kind: 'queue', name: 'orders.eu' }, textMessage('second'));
      await assert.rejects(reader.send({ kind: 'queue', name: 'orders.eu' }, textMessage('x')), notAuthorized);
      await assert.rejects(writer.subscribe({ id: 's', destination: { kind: 'queue', name: 'orders.eu' }, ackMode: 'auto' }, () => undefined), notAuthorized);
      const r = await record(reader, { id: 's', destination: { kind: 'queue', name: 'orders.eu' }, ackMode: 'auto' });
      await settle();
      assert.deepEqual(r.bodies(), ['first', 'second']);
      await assert.rejects(admin.send({ kind: 'queue', name: 'elsewhere' }, textMessage('x')), notAuthorized);
      // Topics: anyone reads prices.*, only admins write (and create).
      const sub = await record(reader, { id: 't', destination: { kind: 'topic', name: 'prices.*' }, ackMode: 'auto' });
      await assert.rejects(writer.send({ kind: 'topic', name: 'prices.gold' }, textMessage('x')), notAuthorized);
      await admin.send({ kind: 'topic', name: 'prices.gold' }, textMessage('1900'));
      await settle();
      assert.deepEqual(sub.bodies(), ['1900']);
      await assert.rejects(reader.subscribe({ id: 'w', destination: { kind: 'topic', name: 'prices.>' }, ackMode: 'auto' }, () => undefined), notAuthorized);
      const refusals = audit.events.filter((e) => e.eventName === 'PermissionRefused');
      assert.ok(refusals.length >= 5);
      assert.equal(refusals[0]!.userIdentity?.userName, 'user-writers');
      assert.ok(!JSON.stringify(refusals).includes('orders'), 'audit events do not name destinations');
    } finally {
      await f.close();
    }
  });
  it('a send check passed once is remembered per connection; a refused one is refused and audited every time', async () => {
    const audit = new MemoryAuditSink();
    const f = await openEngine({ engine: { authorization: entries, audit } });
    try {
      const writer = await f.connect({ groups: ['writers'] });
      const admin = await f.connect({ groups: ['admins'] });
      const notAuthorized = (e: unknown) => e instanceof AmqError && e.code === 'not-authorized';
      const refusals = () => audit.events.filter((e) => e.eventName === 'PermissionRefused').length;
      await admin.send({ kind: 'queue', name: 'orders.us' }, textMessage('create'));
      for (let i = 0; i < 3; i++) await writer.send({ kind: 'queue', name: 'orders.us' }, textMessage(`ok ${i}`));
      const before = refusals();
      for (let i = 0; i < 3; i++) await assert.rejects(writer.send({ kind: 'topic', name: 'prices.gold' }, textMessage('x')), notAuthorized);
      assert.equal(refusals(), before + 3);
      // A queue deleted after the check (management) is created again by the next send, which needs admin.
      await f.engine.system.deleteQueue('orders.us');
      await assert.rejects(writer.send({ kind: 'queue', name: 'orders.us' }, textMessage('x')), notAuthorized);
      await admin.send({ kind: 'queue', name: 'orders.us' }, textMessage('again'));
      await writer.send({ kind: 'queue', name: 'orders.us' }, textMessage('after'));
      const r = await record(admin, { id: 'q', destination: { kind: 'queue', name: 'orders.us' }, ackMode: 'auto' });
      await r.waitFor(2);
      assert.deepEqual(r.bodies(), ['again', 'after']);
    } finally {
      await f.close();
    }
  });
});
