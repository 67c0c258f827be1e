// The MessageStore contract as one test suite that every implementation runs (memory, segment
// store, later PostgreSQL), as aedes does for its persistence backends. It checks behaviour only
// through the port; crash, tamper and encryption properties of a particular store live beside it.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DefinitionKind,
  StoreClosedError,
  type AppendEntry,
  type MessageStore,
  type MessageToStore,
  type StoredMessage,
} from './message-store.ts';

/** Storage that outlives one store instance: `open` again after `close` simulates a restart. */
export interface MessageStoreFixture {
  open(): Promise<MessageStore>;
  /** Removes the storage; called once at the end of a test. */
  dispose(): Promise<void>;
}

export interface MessageStoreConformanceOptions {
  /** Creates fresh, empty storage for one test. */
  readonly createFixture: () => Promise<MessageStoreFixture>;
}

function message(text: string, extra: Partial<MessageToStore> = {}): MessageToStore {
  return {
    exchange: 'amq.direct',
    routingKey: `rk.${text}`,
    properties: new TextEncoder().encode(`props:${text}`),
    body: new TextEncoder().encode(`body:${text}`),
    ...extra,
  };
}

function bodyText(stored: StoredMessage): string {
  return new TextDecoder().decode(stored.body);
}

async function withStore(
  options: MessageStoreConformanceOptions,
  run: (store: MessageStore, reopen: () => Promise<MessageStore>) => Promise<void>,
): Promise<void> {
  const fixture = await options.createFixture();
  let current = await fixture.open();
  const reopen = async (): Promise<MessageStore> => {
    await current.close();
    current = await fixture.open();
    return current;
  };
  try {
    await run(current, reopen);
  } finally {
    await current.close().catch(() => undefined);
    await fixture.dispose();
  }
}

async function readAll(store: MessageStore, queueId: string): Promise<StoredMessage[]> {
  const out: StoredMessage[] = [];
  for await (const m of store.iterate(queueId)) out.push(m);
  return out;
}

/** Registers the conformance tests for one implementation under `describe(name)`. */
export function runMessageStoreConformance(name: string, options: MessageStoreConformanceOptions): void {
  describe(`MessageStore conformance: ${name}`, () => {
    it('appends give increasing offsets per queue, independent between queues', async () => {
      await withStore(options, async (store) => {
        const offsets = await store.append([
          { queueId: 'q1', message: message('a') },
          { queueId: 'q2', message: message('b') },
          { queueId: 'q1', message: message('c') },
        ]);
        assert.equal(offsets.length, 3);
        assert.ok(offsets[2]! > offsets[0]!);
        const more = await store.append([{ queueId: 'q1', message: message('d') }]);
        assert.ok(more[0]! > offsets[2]!);
        assert.deepEqual((await store.read('q1', 0, 10)).map(bodyText), ['body:a', 'body:c', 'body:d']);
        assert.deepEqual((await store.read('q2', 0, 10)).map(bodyText), ['body:b']);
        assert.deepEqual(await store.append([]), []);
      });
    });

    it('round-trips every field exactly, including empty, binary and large values', async () => {
      await withStore(options, async (store, reopen) => {
        const binary = new Uint8Array(256).map((_, i) => i);
        const large = new Uint8Array(300 * 1024).map((_, i) => (i * 7) & 0xff);
        const inputs: MessageToStore[] = [
          { exchange: '', routingKey: '', properties: new Uint8Array(0), body: new Uint8Array(0) },
          { exchange: 'ex.ünï', routingKey: 'rk/🙂', properties: binary, body: binary },
          { exchange: 'x', routingKey: 'y', properties: new Uint8Array([1]), body: large },
        ];
        const offsets = await store.append(inputs.map((m) => ({ queueId: 'bytes', message: m })));
        const check = (read: StoredMessage[]): void => {
          assert.equal(read.length, 3);
          read.forEach((got, i) => {
            const want = inputs[i]!;
            assert.equal(got.queueId, 'bytes');
            assert.equal(got.offset, offsets[i]);
            assert.equal(got.exchange, want.exchange);
            assert.equal(got.routingKey, want.routingKey);
            assert.deepEqual(Buffer.from(got.properties), Buffer.from(want.properties));
            assert.deepEqual(Buffer.from(got.body), Buffer.from(want.body));
            assert.equal(got.deliveryCount, 0);
          });
        };
        check(await store.read('bytes', 0, 10));
        const reopened = await reopen();
        check(await reopened.read('bytes', 0, 10));
      });
    });

    it('reads from an offset with a limit, in order, and iterates across pages', async () => {
      await withStore(options, async (store) => {
        const entries: AppendEntry[] = [];
        for (let i = 0; i < 600; i++) entries.push({ queueId: 'q', message: message(String(i)) });
        const offsets = await store.append(entries);
        const page = await store.read('q', offsets[100]!, 5);
        assert.deepEqual(page.map(bodyText), ['body:100', 'body:101', 'body:102', 'body:103', 'body:104']);
        assert.deepEqual(await store.read('q', offsets[599]! + 1, 5), []);
        assert.deepEqual(await store.read('nope', 0, 5), []);
        const all = await readAll(store, 'q');
        assert.deepEqual(all.map(bodyText), entries.map((_, i) => `body:${i}`));
        const tail: string[] = [];
        for await (const m of store.iterate('q', offsets[590]!)) tail.push(bodyText(m));
        assert.equal(tail.length, 10);
      });
    });

    it('concurrent appends get offsets in call order and are all durable', async () => {
      await withStore(options, async (store, reopen) => {
        const calls = Array.from({ length: 200 }, (_, i) =>
          store.append([
            { queueId: `q${i % 3}`, message: message(String(i)) },
            { queueId: 'all', message: message(String(i)) },
          ]),
        );
        const results = await Promise.all(calls);
        const allOffsets = results.map((r) => r[1]!);
        assert.deepEqual(allOffsets, [...allOffsets].sort((a, b) => a - b));
        const reopened = await reopen();
        const all = await readAll(reopened, 'all');
        assert.deepEqual(all.map(bodyText), calls.map((_, i) => `body:${i}`));
        assert.equal((await readAll(reopened, 'q1')).length, 67);
      });
    });

    it('removes acknowledged messages, idempotently, and the removal survives a restart', async () => {
      await withStore(options, async (store, reopen) => {
        const offsets = await store.append([0, 1, 2, 3, 4].map((i) => ({ queueId: 'q', message: message(String(i)) })));
        assert.equal(await store.remove('q', [offsets[1]!, offsets[3]!]), 2);
        assert.equal(await store.remove('q', [offsets[1]!, 99_999]), 0);
        assert.equal(await store.remove('unknown', [0]), 0);
        assert.deepEqual((await readAll(store, 'q')).map(bodyText), ['body:0', 'body:2', 'body:4']);
        const reopened = await reopen();
        assert.deepEqual((await readAll(reopened, 'q')).map(bodyText), ['body:0', 'body:2', 'body:4']);
        const stats = await reopened.queueStats('q');
        assert.equal(stats.messageCount, 3);
        assert.equal(stats.bodyBytes, 18);
        assert.ok(stats.nextOffset > offsets[4]!);
        const next = await reopened.append([{ queueId: 'q', message: message('5') }]);
        assert.ok(next[0]! > offsets[4]!, 'offsets are not reused after a restart');
      });
    });

    it('remembers delivery counts across a restart (redelivered survives)', async () => {
      await withStore(options, async (store, reopen) => {
        const offsets = await store.append([0, 1].map((i) => ({ queueId: 'q', message: message(String(i)) })));
        await store.recordDelivery('q', [offsets[0]!]);
        await store.recordDelivery('q', [offsets[0]!, offsets[1]!, offsets[1]!, 12345]);
        await store.recordDelivery('unknown', [0]);
        const counts = (await store.read('q', 0, 10)).map((m) => m.deliveryCount);
        assert.deepEqual(counts, [2, 1]);
        const reopened = await reopen();
        assert.deepEqual((await reopened.read('q', 0, 10)).map((m) => m.deliveryCount), [2, 1]);
        await reopened.remove('q', [offsets[0]!]);
        assert.deepEqual((await reopened.read('q', 0, 10)).map((m) => m.deliveryCount), [1]);
      });
    });

    it('stores a delivery count given with the append, and refuses an impossible one', async () => {
      await withStore(options, async (store, reopen) => {
        const offsets = await store.append([
          { queueId: 'q', message: message('0'), deliveryCount: 1 },
          { queueId: 'q', message: message('1') },
          { queueId: 'q', message: message('2'), deliveryCount: 3 },
        ]);
        assert.deepEqual((await store.read('q', 0, 10)).map((m) => m.deliveryCount), [1, 0, 3]);
        await store.recordDelivery('q', [offsets[0]!, offsets[1]!]);
        const reopened = await reopen();
        assert.deepEqual((await reopened.read('q', 0, 10)).map((m) => m.deliveryCount), [2, 1, 3]);
        for (const deliveryCount of [-1, 1.5, 2 ** 32, Number.NaN]) {
          await assert.rejects(reopened.append([{ queueId: 'q', message: message('bad'), deliveryCount }]), RangeError);
        }
        assert.equal((await reopened.queueStats('q')).messageCount, 3, 'a refused append stores nothing');
      });
    });

    it('purges a queue and keeps offsets increasing', async () => {
      await withStore(options, async (store, reopen) => {
        const offsets = await store.append([0, 1, 2].map((i) => ({ queueId: 'q', message: message(String(i)) })));
        await store.append([{ queueId: 'other', message: message('x') }]);
        assert.equal(await store.purge('q'), 3);
        assert.equal(await store.purge('q'), 0);
        assert.equal(await store.purge('unknown'), 0);
        assert.deepEqual(await store.read('q', 0, 10), []);
        const after = await store.append([{ queueId: 'q', message: message('3') }]);
        assert.ok(after[0]! > offsets[2]!);
        const reopened = await reopen();
        assert.deepEqual((await readAll(reopened, 'q')).map(bodyText), ['body:3']);
        assert.deepEqual((await readAll(reopened, 'other')).map(bodyText), ['body:x']);
      });
    });

    it('deletes a queue; the same id later starts an empty queue', async () => {
      await withStore(options, async (store, reopen) => {
        await store.append([0, 1].map((i) => ({ queueId: 'q', message: message(String(i)) })));
        await store.append([{ queueId: 'keep', message: message('k') }]);
        assert.deepEqual((await store.queueIds()).sort(), ['keep', 'q']);
        await store.deleteQueue('q');
        await store.deleteQueue('q');
        await store.deleteQueue('never-existed');
        assert.deepEqual(await store.queueIds(), ['keep']);
        assert.deepEqual(await store.queueStats('q'), { messageCount: 0, bodyBytes: 0, nextOffset: 0 });
        let reopened = await reopen();
        assert.deepEqual(await reopened.queueIds(), ['keep']);
        await reopened.append([{ queueId: 'q', message: message('new') }]);
        reopened = await reopen();
        assert.deepEqual((await readAll(reopened, 'q')).map(bodyText), ['body:new']);
        assert.deepEqual((await reopened.queueIds()).sort(), ['keep', 'q']);
      });
    });

    it('stores, replaces, lists and deletes definitions durably', async () => {
      await withStore(options, async (store, reopen) => {
        await store.putDefinition({ kind: DefinitionKind.QUEUE, name: '/|orders', record: { durable: true, id: 'q-1' } });
        await store.putDefinition({ kind: DefinitionKind.VHOST, name: '/', record: {} });
        await store.putDefinition({ kind: DefinitionKind.QUEUE, name: '/|alpha', record: { durable: true, n: [1, 'two', null] } });
        await store.putDefinition({ kind: DefinitionKind.QUEUE, name: '/|orders', record: { durable: true, id: 'q-2' } });
        await store.putDefinition({ kind: DefinitionKind.USER, name: 'ünïcode', record: { tags: ['admin'] } });
        assert.deepEqual(await store.getDefinition(DefinitionKind.QUEUE, '/|orders'), {
          kind: 'queue',
          name: '/|orders',
          record: { durable: true, id: 'q-2' },
        });
        assert.equal(await store.getDefinition(DefinitionKind.EXCHANGE, '/|orders'), undefined);
        const reopened = await reopen();
        assert.deepEqual(
          (await reopened.listDefinitions(DefinitionKind.QUEUE)).map((d) => d.name),
          ['/|alpha', '/|orders'],
        );
        assert.deepEqual(
          (await reopened.listDefinitions()).map((d) => `${d.kind}:${d.name}`),
          ['queue:/|alpha', 'queue:/|orders', 'user:ünïcode', 'vhost:/'],
        );
        assert.equal(await reopened.deleteDefinition(DefinitionKind.QUEUE, '/|alpha'), true);
        assert.equal(await reopened.deleteDefinition(DefinitionKind.QUEUE, '/|alpha'), false);
        const again = await reopen();
        assert.deepEqual((await again.listDefinitions(DefinitionKind.QUEUE)).map((d) => d.name), ['/|orders']);
      });
    });

    it('rejects calls after close with StoreClosedError', async () => {
      await withStore(options, async (store) => {
        await store.close();
        await assert.rejects(store.append([{ queueId: 'q', message: message('a') }]), StoreClosedError);
        await assert.rejects(store.read('q', 0, 1), StoreClosedError);
        await assert.rejects(store.listDefinitions(), StoreClosedError);
      });
    });
  });
}
