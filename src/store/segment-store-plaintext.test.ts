// No plaintext at rest: a random 32-byte marker in body, headers, routing key, exchange, queue name
// and definitions never appears, whole or as any 16-byte piece, in any file under the data
// directory: after writing, after compaction, and after a restart.

import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { randomSecretBytes } from '../crypto/aead.ts';
import { createStoreFixture, readQueue, textMessage } from '../../test/store/store-fixture.ts';
import { nullCipher } from '../../test/store/null-cipher.ts';
import { SegmentMessageStore } from './segment-message-store.ts';

async function allFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await allFiles(path)));
    else out.push(path);
  }
  return out;
}

/** Every 16-byte window of each form of the marker. */
function pieces(forms: readonly Buffer[]): Buffer[] {
  const out: Buffer[] = [];
  for (const form of forms) for (let i = 0; i + 16 <= form.length; i++) out.push(form.subarray(i, i + 16));
  return out;
}

async function assertNoMarker(dataDir: string, forms: readonly Buffer[], when: string): Promise<number> {
  const files = await allFiles(dataDir);
  assert.ok(files.length > 0);
  const windows = pieces(forms);
  for (const file of files) {
    assert.ok(!forms.some((form) => file.includes(form.toString('latin1'))), `${when}: marker in a file name`);
    const bytes = await readFile(file);
    for (const window of windows) {
      assert.equal(bytes.indexOf(window), -1, `${when}: a 16-byte piece of the marker is in ${file}`);
    }
  }
  return files.length;
}

describe('SegmentMessageStore keeps no plaintext on disk', () => {
  it('no file contains the marker or any 16-byte piece of it, after writes, compaction and restart', async () => {
    const marker = randomSecretBytes(32);
    const hex = marker.toString('hex');
    const base64 = marker.toString('base64');
    const forms = [marker, Buffer.from(hex, 'latin1'), Buffer.from(base64, 'latin1')];
    const fixture = await createStoreFixture({ segmentBytesMax: 16 * 1024, compactionLiveRatioMin: 0.5 });
    try {
      let store = await fixture.open();
      const queueName = `orders-${hex}`;
      const carrying = {
        exchange: `ex-${base64}`,
        routingKey: `rk.${hex}`,
        properties: Buffer.concat([Buffer.from('headers:'), marker, Buffer.from(hex)]),
        body: Buffer.concat([Buffer.from('body:'), marker, Buffer.from(base64), marker]),
      };
      await store.putDefinition({ kind: 'queue', name: `/|${queueName}`, record: { id: queueName, note: base64 } });
      await store.putDefinition({ kind: 'binding', name: `/|ex-${base64}|${queueName}|rk.${hex}`, record: {} });
      await store.append([{ queueId: queueName, message: carrying }]);
      const filler: number[] = [];
      for (let i = 0; i < 40; i++) {
        filler.push(...(await store.append([{ queueId: queueName, message: { ...carrying, body: Buffer.concat([marker, Buffer.alloc(900, i)]) } }])));
      }
      await assertNoMarker(fixture.dataDir, forms, 'after writing');

      // Compaction: acknowledge the filler so old segments go and the first message is relocated.
      await store.remove(queueName, filler);
      await store.settle();
      const files = await assertNoMarker(fixture.dataDir, forms, 'after compaction');
      assert.ok(files <= 4, 'compaction ran');
      await store.close();

      store = await fixture.open();
      const [kept] = await readQueue(store, queueName);
      assert.ok(kept !== undefined);
      assert.deepEqual(Buffer.from(kept.body), carrying.body, 'the marker is still readable through the store');
      assert.equal(kept.routingKey, carrying.routingKey);
      await store.close();
      await assertNoMarker(fixture.dataDir, forms, 'after restart');
    } finally {
      await fixture.dispose();
    }
  });

  it('control: the same check finds the marker when records are not encrypted', async () => {
    const marker = randomSecretBytes(32);
    const fixture = await createStoreFixture();
    try {
      const store = await SegmentMessageStore.open(fixture.options, { cipher: nullCipher });
      await store.append([{ queueId: 'q', message: { ...textMessage('x'), body: marker } }]);
      await store.close();
      await assert.rejects(assertNoMarker(fixture.dataDir, [marker], 'null cipher'), /16-byte piece of the marker/);
    } finally {
      await fixture.dispose();
    }
  });

  it('the data directory holds only the FORMAT file and numbered segment files', async () => {
    const fixture = await createStoreFixture();
    try {
      const store = await fixture.open();
      await store.append([{ queueId: 'secret-queue-name', message: textMessage('x') }]);
      await store.close();
      const names = (await allFiles(fixture.dataDir)).map((f) => f.slice(fixture.dataDir.length + 1)).sort();
      assert.equal(names[0], 'FORMAT');
      for (const name of names.slice(1)) assert.match(name, /^segments\/\d{20}\.seg$/);
    } finally {
      await fixture.dispose();
    }
  });
});
