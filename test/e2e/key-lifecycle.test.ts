// The key lifecycle end to end (issue 6): the real `sealmq serve` with a 2 s data-key cache and key
// check interval, driven with @aws-sdk/client-kms, @aws-sdk/client-mq and amqplib. A revoked grant
// quarantines the broker for good (clients told why, new connections refused, reboot refused) until
// DeleteBroker; a scheduled deletion cancelled and the key enabled brings the broker back with its
// messages; DeleteBroker crypto-shreds: a copy of the broker's files taken before deletion cannot be
// opened with the KMS that is left.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CancelKeyDeletionCommand,
  CreateKeyCommand,
  EnableKeyCommand,
  ListGrantsCommand,
  RevokeGrantCommand,
  RotateKeyOnDemandCommand,
  ScheduleKeyDeletionCommand,
  type KMSClient,
} from '@aws-sdk/client-kms';
import {
  BadRequestException,
  CreateBrokerCommand,
  DeleteBrokerCommand,
  DescribeBrokerCommand,
  RebootBrokerCommand,
  type CreateBrokerCommandInput,
  type DescribeBrokerResponse,
  type MqClient,
} from '@aws-sdk/client-mq';
import { brokerCaller } from '../../src/control/mq/kms-encryption-keys.ts';
import { KeyUnavailableError } from '../../src/crypto/key-provider.ts';
import { openRootKey } from '../../src/crypto/root-key.ts';
import { KmsKeyProvider } from '../../src/kms/kms-key-provider.ts';
import { KmsService } from '../../src/kms/kms-service.ts';
import { parseCiphertextHeader } from '../../src/kms/ciphertext.ts';
import { decodeSegmentHeader, SEGMENTS_DIR, SEGMENT_SUFFIX } from '../../src/store/segment-format.ts';
import { SegmentMessageStore } from '../../src/store/segment-message-store.ts';
import { kmsClient, mqClient, runCli, signedRequest, startServer, type RunningServer } from '../helpers/server.ts';
import { type AmqpLogin, connectAmqps, consumeAcked, publishConfirmed as publishConfirmedAs } from '../helpers/amqp-client.ts';
import { waitForBrokerDeletion, waitForBrokerState } from '../helpers/mq-brokers.ts';

const CACHE_AGE_MS = 2_000;
const CHECK_INTERVAL_MS = 2_000;
/** Upper bound for waiting on a key change to take effect: cache age + one interval + slack. */
const KEY_BOUND_MS = CACHE_AGE_MS + CHECK_INTERVAL_MS + 10_000;
const WAIT_MS = 30_000;
const PASSWORD = 'Key-Lifecycle-Pass-42';

let server: RunningServer;
let mq: MqClient;
let kms: KMSClient;
const scratch: string[] = [];

before(async () => {
  server = await startServer({
    env: { SEALMQ_DATA_KEY_CACHE_AGE_MAX_MS: String(CACHE_AGE_MS), SEALMQ_KEY_CHECK_INTERVAL_MS: String(CHECK_INTERVAL_MS) },
  });
  mq = mqClient(server);
  kms = kmsClient(server);
});
after(async () => {
  mq?.destroy();
  kms?.destroy();
  await server?.stop().catch(() => undefined);
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

function rabbitBroker(name: string, extra: Partial<CreateBrokerCommandInput> = {}): CreateBrokerCommandInput {
  return {
    BrokerName: name,
    EngineType: 'RABBITMQ',
    DeploymentMode: 'SINGLE_INSTANCE',
    HostInstanceType: 'mq.m5.large',
    PubliclyAccessible: false,
    AutoMinorVersionUpgrade: true,
    Users: [{ Username: 'owner', Password: PASSWORD }],
    ...extra,
  };
}

async function describeBroker(brokerId: string): Promise<DescribeBrokerResponse> {
  return mq.send(new DescribeBrokerCommand({ BrokerId: brokerId }));
}

// A quarantined broker may pass through states on its way; only the deadline ends the wait.
const waitForState = (brokerId: string, state: string, waitMs = WAIT_MS): Promise<DescribeBrokerResponse> =>
  waitForBrokerState(mq, brokerId, state, { waitMs, creationFailedIsFinal: false });
const waitForDeletion = (brokerId: string): Promise<void> => waitForBrokerDeletion(mq, brokerId, WAIT_MS);

async function createRunning(name: string, extra: Partial<CreateBrokerCommandInput> = {}): Promise<{ id: string; endpoint: string }> {
  const created = await mq.send(new CreateBrokerCommand(rabbitBroker(name, extra)));
  const described = await waitForState(created.BrokerId!, 'RUNNING');
  const endpoint = described.BrokerInstances?.[0]?.Endpoints?.find((e) => e.startsWith('amqps://'));
  assert.ok(endpoint !== undefined);
  return { id: created.BrokerId!, endpoint };
}

/** The broker user every broker in this suite is created with. */
const owner = (endpoint: string): AmqpLogin => ({ endpoint, username: 'owner', password: PASSWORD, caPem: server.caPem });
const connect = (endpoint: string) => connectAmqps(owner(endpoint));
const publishConfirmed = (endpoint: string, queue: string, bodies: string[]) => publishConfirmedAs(owner(endpoint), queue, bodies);
const consume = (endpoint: string, queue: string, count: number) => consumeAcked(owner(endpoint), queue, count, WAIT_MS);

/** An open connection and a promise of the error it is closed with by the server. */
async function holdConnection(endpoint: string): Promise<{ closed: Promise<Error>; close: () => Promise<void> }> {
  const conn = await connect(endpoint);
  conn.on('error', () => undefined);
  // Wrapped: an async function returning a bare promise would wait for it.
  return { closed: new Promise<Error>((resolve) => conn.on('close', (error: Error) => resolve(error))), close: () => conn.close() };
}

/** Each segment file's wrapped data key (hex) and the KMS key-material version in its ciphertext blob. */
function wrappedDataKeys(storeDir: string): { file: string; hex: string; materialVersion: number }[] {
  const dir = join(storeDir, SEGMENTS_DIR);
  return readdirSync(dir)
    .filter((name) => name.endsWith(SEGMENT_SUFFIX))
    .map((file) => {
      const header = decodeSegmentHeader(readFileSync(join(dir, file)));
      assert.ok(header !== undefined && header !== 'malformed', `${file} has a segment header`);
      return { file, hex: header.encryptedDataKey.toString('hex'), materialVersion: parseCiphertextHeader(header.encryptedDataKey).materialVersion };
    });
}

async function mqGrantId(keyId: string): Promise<string> {
  const grants = await kms.send(new ListGrantsCommand({ KeyId: keyId }));
  const grant = grants.Grants?.find((g) => g.Name === 'mq_grant');
  assert.ok(grant?.GrantId !== undefined, 'the broker has its mq_grant');
  return grant.GrantId;
}

/** Opens the KMS of a (copied) data directory in this process, as an attacker with the disk would. */
async function openKmsAt(dataDir: string): Promise<KmsService> {
  const rootKey = await openRootKey({ dir: join(dataDir, 'kms') });
  return KmsService.open({ dir: join(dataDir, 'kms'), rootKey, accountId: server.accountId, region: server.region, maintenanceIntervalMs: 0 });
}

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
}

describe('key lifecycle', () => {
  let customerKeyId: string;
  let customerKeyArn: string;
  /** The re-encrypted broker and its wrapped data keys from before, for verify-at-rest once the server is stopped. */
  let rotated: { id: string; keyArn: string; oldWrappedKeys: Set<string> } | undefined;
  /** Broker ids by test, for the audit trail check at the end. */
  const ids: Record<string, string> = {};

  before(async () => {
    const key = await kms.send(new CreateKeyCommand({ Description: 'key lifecycle' }));
    customerKeyId = key.KeyMetadata!.KeyId!;
    customerKeyArn = key.KeyMetadata!.Arn!;
  });

  it('a revoked mq_grant quarantines the broker for good: clients told why, new connections refused, reboot refused; DeleteBroker is the way out', async () => {
    const broker = await createRunning('revoked', { EncryptionOptions: { UseAwsOwnedKey: false, KmsKeyId: customerKeyId } });
    ids.revoked = broker.id;
    await publishConfirmed(broker.endpoint, 'kept', ['r1', 'r2']);
    const held = await holdConnection(broker.endpoint);

    await kms.send(new RevokeGrantCommand({ KeyId: customerKeyId, GrantId: await mqGrantId(customerKeyId) }));
    const critical = await waitForState(broker.id, 'CRITICAL_ACTION_REQUIRED', KEY_BOUND_MS);
    assert.equal(critical.ActionsRequired?.length, 1);
    assert.equal(critical.ActionsRequired[0]!.ActionRequiredCode, 'INVALID_KMS_KEY');
    const info = critical.ActionsRequired[0]!.ActionRequiredInfo ?? '';
    assert.ok(info.includes(customerKeyArn), `the action names the key: ${info}`);
    assert.match(info, /revoked or retired/);
    assert.match(info, /delete the broker/);

    const error = await held.closed;
    assert.match(String(error?.message), /CONNECTION_FORCED/);
    assert.ok(String(error?.message).includes(customerKeyArn), `the close names the key: ${String(error?.message)}`);
    // The listener stopped taking connections before the held one was closed: refused at connect.
    await assert.rejects(connect(broker.endpoint), /ECONNREFUSED/, 'new connections are refused');
    await assert.rejects(mq.send(new RebootBrokerCommand({ BrokerId: broker.id })), BadRequestException);

    // No recovery: after several more check intervals it is still quarantined and still refuses.
    await new Promise((r) => setTimeout(r, 3 * CHECK_INTERVAL_MS));
    const still = await describeBroker(broker.id);
    assert.equal(still.BrokerState, 'CRITICAL_ACTION_REQUIRED');
    assert.deepEqual(still.ActionsRequired?.map((a) => a.ActionRequiredCode), ['INVALID_KMS_KEY']);
    await assert.rejects(connect(broker.endpoint), /ECONNREFUSED/);

    const dir = join(server.dataDir, 'brokers', broker.id);
    assert.ok(existsSync(dir), 'a quarantined broker keeps its files');
    await mq.send(new DeleteBrokerCommand({ BrokerId: broker.id }));
    await waitForDeletion(broker.id);
    assert.ok(!existsSync(dir), 'DeleteBroker removed its directory');
  });

  it('a scheduled deletion, cancelled and the key enabled again, brings the broker back RUNNING with every message', async () => {
    const key = await kms.send(new CreateKeyCommand({ Description: 'scheduled then cancelled' }));
    const keyId = key.KeyMetadata!.KeyId!;
    const broker = await createRunning('cancelled', { EncryptionOptions: { UseAwsOwnedKey: false, KmsKeyId: keyId } });
    ids.cancelled = broker.id;
    const bodies = Array.from({ length: 20 }, (_, i) => `cancelled-${i}`);
    await publishConfirmed(broker.endpoint, 'survives', bodies);
    const held = await holdConnection(broker.endpoint);

    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
    const critical = await waitForState(broker.id, 'CRITICAL_ACTION_REQUIRED', KEY_BOUND_MS);
    const info = critical.ActionsRequired?.[0]?.ActionRequiredInfo ?? '';
    assert.equal(critical.ActionsRequired?.[0]?.ActionRequiredCode, 'INVALID_KMS_KEY');
    assert.ok(info.includes(key.KeyMetadata!.Arn!), info);
    assert.match(info, /scheduled for deletion/);
    assert.match(String((await held.closed)?.message), /CONNECTION_FORCED/);
    await assert.rejects(connect(broker.endpoint), /ECONNREFUSED/);
    await assert.rejects(mq.send(new RebootBrokerCommand({ BrokerId: broker.id })), BadRequestException);

    // CancelKeyDeletion leaves the key Disabled: still quarantined until it is enabled.
    await kms.send(new CancelKeyDeletionCommand({ KeyId: keyId }));
    await new Promise((r) => setTimeout(r, 2 * CHECK_INTERVAL_MS));
    assert.equal((await describeBroker(broker.id)).BrokerState, 'CRITICAL_ACTION_REQUIRED');
    await kms.send(new EnableKeyCommand({ KeyId: keyId }));
    const recovered = await waitForState(broker.id, 'RUNNING', KEY_BOUND_MS);
    assert.equal(recovered.ActionsRequired, undefined);
    assert.deepEqual(await consume(broker.endpoint, 'survives', bodies.length), bodies);
  });

  it('after a rotation, ReencryptBroker rewrites the data under fresh data keys on the new material while the broker serves; every message stays readable', async () => {
    const key = await kms.send(new CreateKeyCommand({ Description: 'rotated' }));
    const keyId = key.KeyMetadata!.KeyId!;
    const broker = await createRunning('rotated', { EncryptionOptions: { UseAwsOwnedKey: false, KmsKeyId: keyId } });
    const bodies = Array.from({ length: 50 }, (_, i) => `rotated-${i}`);
    await publishConfirmed(broker.endpoint, 'rotating', bodies.slice(0, 25));
    const storeDir = join(server.dataDir, 'brokers', broker.id, 'store');
    const beforeKeys = wrappedDataKeys(storeDir);
    assert.ok(beforeKeys.length > 0);
    assert.deepEqual(new Set(beforeKeys.map((k) => k.materialVersion)), new Set([1]));

    await kms.send(new RotateKeyOnDemandCommand({ KeyId: keyId }));
    const held = await holdConnection(broker.endpoint);
    const cli = await runCli(['broker', 'reencrypt', broker.id, '--data-dir', server.dataDir]);
    assert.equal(cli.exitCode, 0, cli.stderr);
    assert.match(cli.stderr, /re-encrypting broker/);
    assert.match(cli.stderr, /re-encrypted broker .*: 25 messages moved/);
    const result = JSON.parse(cli.stdout) as { brokerId: string; messagesMoved: number; segmentsDeleted: number };
    assert.equal(result.brokerId, broker.id);
    assert.equal(result.messagesMoved, 25);
    assert.ok(result.segmentsDeleted >= 1);

    await publishConfirmed(broker.endpoint, 'rotating', bodies.slice(25)); // the broker kept serving
    const afterKeys = wrappedDataKeys(storeDir);
    const old = new Set(beforeKeys.map((k) => k.hex));
    assert.deepEqual(afterKeys.filter((k) => old.has(k.hex)), [], 'no segment is left under a data key from before the re-encryption');
    assert.deepEqual(new Set(afterKeys.map((k) => k.materialVersion)), new Set([2]), 'the new data keys are under the rotated material');
    assert.deepEqual(await consume(broker.endpoint, 'rotating', bodies.length), bodies);
    await held.close();
    rotated = { id: broker.id, keyArn: key.KeyMetadata!.Arn!, oldWrappedKeys: new Set(beforeKeys.map((k) => k.hex)) };

    // Refused for an unknown broker, and for one that is not RUNNING.
    const unknown = await signedRequest(server, { method: 'POST', path: `/v1/brokers/b-00000000-0000-0000-0000-000000000000/reencrypt`, body: '{}' });
    assert.equal(unknown.status, 404);
  });

  it('DeleteBroker crypto-shreds: a copy of the files taken before deletion cannot be decrypted with the KMS that is left', async () => {
    const owned = await createRunning('shred-owned');
    const customer = await createRunning('shred-customer', { EncryptionOptions: { UseAwsOwnedKey: false, KmsKeyId: customerKeyId } });
    ids.shredOwned = owned.id;
    for (const broker of [owned, customer]) await publishConfirmed(broker.endpoint, 'secret', ['s1', 's2', 's3']);

    // What an attacker with the disk would copy before the deletion: the broker's files and the KMS.
    const before = tempDir('sealmq-shred-before-');
    for (const broker of [owned, customer]) cpSync(join(server.dataDir, 'brokers', broker.id), join(before, 'brokers', broker.id), { recursive: true });
    cpSync(join(server.dataDir, 'kms'), join(before, 'kms'), { recursive: true });

    for (const broker of [owned, customer]) await mq.send(new DeleteBrokerCommand({ BrokerId: broker.id }));
    for (const broker of [owned, customer]) {
      await waitForDeletion(broker.id);
      assert.ok(!existsSync(join(server.dataDir, 'brokers', broker.id)), 'the broker directory is gone');
    }
    await server.stop(); // so the KMS files are read at rest

    const keyProvider = (kmsService: KmsService, brokerId: string, customerKey: boolean) =>
      customerKey ? KmsKeyProvider.forCaller(kmsService, brokerCaller(server.accountId, brokerId)) : KmsKeyProvider.forServiceOwnedKeys(kmsService);
    const openCopy = async (kmsService: KmsService, broker: { id: string }, customerKey: boolean, kmsKeyId: string) => {
      const dataDir = join(tempDir('sealmq-shred-open-'), 'store');
      cpSync(join(before, 'brokers', broker.id, 'store'), dataDir, { recursive: true });
      return SegmentMessageStore.open({ dataDir, brokerId: broker.id, kmsKeyId, keyProvider: keyProvider(kmsService, broker.id, customerKey), dataKeyCache: { dataKeyCacheAgeMaxMs: 1 } });
    };
    const ownedArn = (JSON.parse(readFileSync(join(before, 'brokers', owned.id, 'broker.json'), 'utf8')) as { encryption: { keyArn: string } }).encryption.keyArn;

    // Control: with the KMS as it was, the copies open (so the refusals below are the deletion's doing).
    const kmsBefore = await openKmsAt(before);
    try {
      await (await openCopy(kmsBefore, owned, false, ownedArn)).close();
      await (await openCopy(kmsBefore, customer, true, customerKeyArn)).close();
    } finally {
      await kmsBefore.close();
    }

    const kmsAfter = await openKmsAt(server.dataDir);
    try {
      assert.equal(kmsAfter.listServiceOwnedKeys().some((k) => k.OwnerId === owned.id), false, 'the service-owned key is destroyed');
      await assert.rejects(openCopy(kmsAfter, owned, false, ownedArn), (error: unknown) => error instanceof KeyUnavailableError && error.reason === 'NOT_FOUND');
      await assert.rejects(openCopy(kmsAfter, customer, true, customerKeyArn), (error: unknown) => error instanceof KeyUnavailableError && error.reason === 'ACCESS_DENIED');
    } finally {
      await kmsAfter.close();
    }
  });

  it('verify-at-rest (SealMQ stopped) accounts for every byte of the re-encrypted broker, and finds an injected plaintext file and a flipped byte', async () => {
    assert.ok(rotated !== undefined, 'the re-encryption test ran');
    const { id, keyArn, oldWrappedKeys } = rotated;
    await server.stop().catch(() => undefined); // stopped already by the test before; the KMS files are read at rest
    const keyId = keyArn.slice(keyArn.lastIndexOf('/') + 1);
    const clean = await runCli(['broker', 'verify-at-rest', id, '--data-dir', server.dataDir, '--json']);
    assert.equal(clean.exitCode, 0, clean.stdout + clean.stderr);
    const report = JSON.parse(clean.stdout) as { segments: { file: string; formatVersion: number; kmsKeyId: string; keyMaterialVersion: number; wrappedDataKeyHex: string; records: number }[]; findings: unknown[] };
    assert.deepEqual(report.findings, []);
    assert.ok(report.segments.length >= 1);
    for (const segment of report.segments) {
      assert.equal(segment.formatVersion, 1);
      assert.equal(segment.kmsKeyId, keyId);
      assert.equal(segment.keyMaterialVersion, 2);
      assert.equal(oldWrappedKeys.has(segment.wrappedDataKeyHex), false, `${segment.file} is under a data key from before the re-encryption`);
    }
    assert.ok(report.segments.reduce((n, s) => n + s.records, 0) >= 50, 'the records of the 50 messages are counted');
    const text = await runCli(['broker', 'verify-at-rest', id, '--data-dir', server.dataDir]);
    assert.match(text.stdout, /material v2/);

    const storeDir = join(server.dataDir, 'brokers', id, 'store');
    writeFileSync(join(storeDir, 'segments', 'notes.txt'), 'plaintext that should not be here');
    const segmentFile = join(storeDir, 'segments', report.segments.at(-1)!.file.split('/').at(-1)!);
    const bytes = readFileSync(segmentFile);
    const flipAt = bytes.length - 20; // inside the last chunk's ciphertext
    bytes[flipAt] = bytes[flipAt]! ^ 0x01;
    writeFileSync(segmentFile, bytes);
    const tampered = await runCli(['broker', 'verify-at-rest', id, '--data-dir', server.dataDir]);
    assert.equal(tampered.exitCode, 1, tampered.stdout + tampered.stderr);
    writeFileSync(join(server.dataDir, 'brokers', id, 'dump.bin'), 'more plaintext');
    assert.match(tampered.stdout, /FINDING store\/segments\/notes\.txt: unknown file/);
    assert.match(tampered.stdout, /FINDING store\/segments\/\d+\.seg bytes \d+\.\.\d+: chunk fails authentication/);
    const again = await runCli(['broker', 'verify-at-rest', id, '--data-dir', server.dataDir]);
    assert.equal(again.exitCode, 1);
    assert.match(again.stdout, /FINDING dump\.bin: unknown file/);
  });

  it('every key-lifecycle event is in the audit trail, and `sealmq audit verify` passes', async () => {
    await server.stop().catch(() => undefined);
    const listed = await runCli(['audit', 'list', '--data-dir', server.dataDir, '--json']);
    assert.equal(listed.exitCode, 0, listed.stderr);
    const events = listed.stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { eventName: string; eventType: string; additionalEventData?: Record<string, unknown> });
    const named = (eventName: string, brokerId: string | undefined) =>
      events.filter((e) => e.eventName === eventName && e.eventType === 'ServiceEvent' && e.additionalEventData?.brokerId === brokerId);
    assert.equal(named('KmsKeyCheckFailed', ids.revoked).length, 1, 'the failed key check');
    assert.equal(named('BrokerQuarantined', ids.revoked).length, 1, 'the quarantine');
    assert.equal(named('BrokerRecovered', ids.revoked).length, 0, 'a revoked grant never recovers');
    assert.equal(named('BrokerDeleted', ids.revoked)[0]?.additionalEventData?.grantRetired !== undefined, true, 'the delete names the retired grant');
    assert.equal(named('BrokerQuarantined', ids.cancelled).length, 1);
    assert.equal(named('BrokerRecovered', ids.cancelled).length, 1, 'the recovery');
    const shred = named('BrokerDeleted', ids.shredOwned)[0]?.additionalEventData;
    assert.equal((shred?.serviceOwnedKeysDestroyed as string[] | undefined)?.length, 1, 'the shred names the destroyed service-owned key');
    const reencrypted = named('BrokerReencrypted', rotated?.id)[0]?.additionalEventData;
    assert.equal(reencrypted?.messagesMoved, 25, 'the re-encryption');
    const verified = await runCli(['audit', 'verify', '--data-dir', server.dataDir]);
    assert.equal(verified.exitCode, 0, verified.stdout + verified.stderr);
  });
});
