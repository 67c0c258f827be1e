// The segment store on the embedded KMS (src/kms) instead of the test KeyProvider: data keys from
// GenerateDataKey under a customer managed key, DisableKey stopping the store after the cache age
// with KeyUnavailableError, EnableKey bringing every message back; a service-owned key destroyed
// with the broker (crypto-shredding) leaves the data unreadable.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { KeyUnavailableError } from '../../src/crypto/key-provider.ts';
import { KmsKeyProvider } from '../../src/kms/kms-key-provider.ts';
import { admin, kmsFixture } from '../../src/kms/testing.ts';
import { SegmentMessageStore } from '../../src/store/segment-message-store.ts';
import { bodyText, readQueue, textMessage } from './store-fixture.ts';

const AGE_MS = 150;

describe('SegmentMessageStore on the embedded KMS', () => {
  it('DisableKey stops it after the data-key cache age; EnableKey brings back every message', async () => {
    const kms = await kmsFixture();
    const dataDir = await mkdtemp(join(tmpdir(), 'sealmq-store-kms-'));
    try {
      const { KeyMetadata } = await kms.kms.createKey(admin, { Description: 'broker key' });
      const options = {
        dataDir,
        brokerId: 'b-0a1b2c3d-kms',
        kmsKeyId: KeyMetadata.Arn,
        keyProvider: KmsKeyProvider.forCaller(kms.kms, admin),
        dataKeyCache: { dataKeyCacheAgeMaxMs: AGE_MS },
      };
      const store = await SegmentMessageStore.open(options);
      await store.putDefinition({ kind: 'queue', name: '/|orders', record: { id: 'orders' } });
      await store.append([0, 1, 2].map((i) => ({ queueId: 'orders', message: textMessage(`m${i}`) })));

      await kms.kms.disableKey(admin, { KeyId: KeyMetadata.KeyId });
      await sleep(AGE_MS + 50);
      const refused = await store.append([{ queueId: 'orders', message: textMessage('refused') }]).catch((e: unknown) => e);
      assert.ok(refused instanceof KeyUnavailableError, `got ${String(refused)}`);
      assert.equal(refused.reason, 'DISABLED');
      await assert.rejects(store.read('orders', 0, 10), KeyUnavailableError);
      await store.close();
      await assert.rejects(SegmentMessageStore.open(options), KeyUnavailableError);

      await kms.kms.enableKey(admin, { KeyId: KeyMetadata.KeyId });
      const reopened = await SegmentMessageStore.open(options);
      assert.deepEqual((await readQueue(reopened, 'orders')).map(bodyText), ['m0', 'm1', 'm2']);
      assert.equal((await reopened.listDefinitions()).length, 1);
      await reopened.append([{ queueId: 'orders', message: textMessage('m3') }]);
      await reopened.close();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
      await kms.cleanup();
    }
  });

  it('a destroyed service-owned key leaves the segments unreadable (crypto-shredding)', async () => {
    const kms = await kmsFixture();
    const dataDir = await mkdtemp(join(tmpdir(), 'sealmq-store-kms-'));
    try {
      const owned = await kms.kms.createServiceOwnedKey('b-shredded');
      const options = {
        dataDir,
        brokerId: 'b-shredded',
        kmsKeyId: owned.Arn,
        keyProvider: KmsKeyProvider.forServiceOwnedKeys(kms.kms),
        dataKeyCache: { dataKeyCacheAgeMaxMs: AGE_MS },
      };
      const store = await SegmentMessageStore.open(options);
      await store.append([{ queueId: 'q', message: textMessage('secret') }]);
      await store.close();
      await kms.kms.destroyServiceOwnedKey(owned.KeyId);
      const error = await SegmentMessageStore.open(options).catch((e: unknown) => e);
      assert.ok(error instanceof KeyUnavailableError, `got ${String(error)}`);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
      await kms.cleanup();
    }
  });
});
