// Crash safety: a child process appends (6 concurrent producers) and removes with acknowledgements
// and is SIGKILLed at a random moment, 20 rounds on one data directory (small segments, so kills land
// during segment rotation, drops and relocations too). After each recovery: every acknowledged
// append that was not removed is present exactly once at its acknowledged offset, every
// acknowledged removal is gone, nothing appears that was never written, nothing earlier vanishes,
// each producer's messages keep their order within the queue, and every acknowledged delivery
// record survives (redelivered stays true). The writer keeps a rollback anchor (rewritten every two
// group commits), and every recovery opens with it: a real crash never reads as a rollback, also when
// the kill lands in the middle of an anchor write.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { randomSecretBytes } from '../crypto/aead.ts';
import { openRootKey } from '../crypto/root-key.ts';
import { FileRollbackAnchor } from './rollback-anchor.ts';
import { TestKeyProvider } from '../../test/store/test-key-provider.ts';
import { SegmentMessageStore } from './segment-message-store.ts';

const ROUNDS = 20;
const QUEUES = ['q0', 'q1', 'q2'];
const WRITER = new URL('../../test/store/crash-writer.ts', import.meta.url).pathname;

interface RoundLog {
  readonly appended: Map<string, { queueId: string; offset: number }>;
  readonly removeIssued: Set<string>;
  readonly removed: Set<string>;
  readonly deliveriesIssued: Map<string, number>;
  readonly deliveriesAcked: Map<string, number>;
}

function bump(map: Map<string, number>, id: string): void {
  map.set(id, (map.get(id) ?? 0) + 1);
}

interface Writer {
  readonly child: ChildProcess;
  /** Starts the writer and resolves with what it acknowledged once it has been killed. */
  run(killAfterMs: number): Promise<RoundLog>;
}

/** Spawns a writer that loads its modules and then waits for `go`. */
function spawnWriter(dataDir: string, anchorDir: string, masterKey: Buffer, round: number, seed: number): Writer {
  const log: RoundLog = {
    appended: new Map(),
    removeIssued: new Set(),
    removed: new Set(),
    deliveriesIssued: new Map(),
    deliveriesAcked: new Map(),
  };
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER], {
    env: {
      ...process.env,
      CRASH_DATA_DIR: dataDir,
      CRASH_MASTER_KEY: masterKey.toString('hex'),
      CRASH_ROUND: String(round),
      CRASH_SEED: String(seed),
      CRASH_ANCHOR_DIR: anchorDir,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let buffered = '';
  let stderr = '';
  let timer: NodeJS.Timeout | undefined;
  let killAfter = 0;
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin!.on('error', () => undefined);
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      const [kind, a, b, c] = line.split(' ');
      if (kind === 'READY') timer = setTimeout(() => child.kill('SIGKILL'), killAfter);
      else if (kind === 'A') log.appended.set(c!, { queueId: a!, offset: Number(b) });
      else if (kind === 'r') log.removeIssued.add(a!);
      else if (kind === 'R') log.removed.add(a!);
      else if (kind === 'd') bump(log.deliveriesIssued, a!);
      else if (kind === 'D') bump(log.deliveriesAcked, a!);
    }
  });
  const closed = new Promise<RoundLog>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (timer !== undefined) clearTimeout(timer);
      if (signal !== 'SIGKILL') reject(new Error(`writer exited on its own (${signal ?? code}): ${stderr}`));
      else resolve(log);
    });
  });
  closed.catch(() => undefined);
  return {
    child,
    run(killAfterMs) {
      killAfter = killAfterMs;
      child.stdin!.write('go\n');
      return closed;
    },
  };
}

describe('SegmentMessageStore crash safety', () => {
  it(`keeps every acknowledged message exactly once and in order across ${ROUNDS} SIGKILLs`, async (t) => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sealmq-crash-'));
    // The anchor lives outside the data directory, as its owner would keep it.
    const anchorDir = await mkdtemp(join(tmpdir(), 'sealmq-crash-anchor-'));
    const rootKey = await openRootKey({ dir: anchorDir });
    const anchor = new FileRollbackAnchor(join(anchorDir, 'anchor.sealed'), rootKey, 'b-crash');
    let anchorsSeen = 0;
    const masterKey = randomSecretBytes(32);
    const keyProvider = new TestKeyProvider(['test-key'], masterKey);
    // What was present after the previous recovery: id -> queue and offset.
    let previous = new Map<string, { queueId: string; offset: number }>();
    // Delivery counts after the previous recovery; each round may only add to them.
    let previousCounts = new Map<string, number>();
    let totalAcked = 0;
    let next: Writer | undefined;
    let totalTorn = 0;
    let totalRemoved = 0;
    let totalRedelivered = 0;
    try {
      const seeds = Array.from({ length: ROUNDS + 1 }, () => (Math.random() * 0x7fffffff) | 1);
      next = spawnWriter(dataDir, anchorDir, masterKey, 1, seeds[1]!);
      for (let round = 1; round <= ROUNDS; round++) {
        const seed = seeds[round]!;
        const killAfterMs = 30 + Math.floor(Math.random() * 250);
        const context = `round ${round} (seed ${seed}, kill after ${killAfterMs} ms)`;
        const writer = next!;
        next = round < ROUNDS ? spawnWriter(dataDir, anchorDir, masterKey, round + 1, seeds[round + 1]!) : undefined;
        const log = await writer.run(killAfterMs);
        totalAcked += log.appended.size;
        totalRemoved += log.removed.size;

        const anchored = await anchor.read();
        if (anchored !== undefined) anchorsSeen++;
        const store = await SegmentMessageStore.open({
          dataDir,
          brokerId: 'b-crash',
          kmsKeyId: 'test-key',
          keyProvider,
          segmentBytesMax: 24 * 1024,
          rollbackAnchor: anchor,
          onEvent: (event) => {
            if (event.type === 'torn-tail') totalTorn++;
          },
        });
        const present = new Map<string, { queueId: string; offset: number }>();
        const counts = new Map<string, number>();
        for (const queueId of QUEUES) {
          const lastSeq = new Map<string, number>();
          for await (const message of store.iterate(queueId)) {
            const id = Buffer.from(message.properties).toString();
            assert.ok(Buffer.from(message.body).toString().startsWith(id), `${context}: body and headers belong together`);
            assert.ok(!present.has(id), `${context}: ${id} present twice`);
            present.set(id, { queueId, offset: message.offset });
            counts.set(id, message.deliveryCount);
            const [r, p, s] = id.split('.').map(Number) as [number, number, number];
            assert.ok(r <= round, `${context}: ${id} was never written`);
            const producerKey = `${r}.${p}`;
            assert.ok((lastSeq.get(producerKey) ?? -1) < s, `${context}: ${id} out of order in ${queueId}`);
            lastSeq.set(producerKey, s);
          }
        }
        for (const [id, where] of log.appended) {
          if (log.removeIssued.has(id)) continue; // a removal in flight may or may not have landed
          assert.deepEqual(present.get(id), where, `${context}: acknowledged ${id} lost or moved`);
        }
        for (const id of log.removed) assert.ok(!present.has(id), `${context}: acknowledged removal of ${id} undone`);
        for (const [id, where] of previous) {
          if (log.removeIssued.has(id)) continue;
          assert.deepEqual(present.get(id), where, `${context}: ${id} from an earlier round vanished`);
        }
        for (const id of present.keys()) {
          const r = Number(id.split('.')[0]);
          assert.ok(r === round || previous.has(id), `${context}: ${id} came back`);
        }
        for (const [id, count] of counts) {
          const before = previousCounts.get(id) ?? 0;
          const acked = log.deliveriesAcked.get(id) ?? 0;
          const issued = log.deliveriesIssued.get(id) ?? 0;
          assert.ok(count >= before + acked, `${context}: acknowledged deliveries of ${id} forgotten (${count} < ${before} + ${acked})`);
          assert.ok(count <= before + issued, `${context}: ${id} counted deliveries that never happened`);
          totalRedelivered += count > 0 ? 1 : 0;
        }
        previous = present;
        previousCounts = counts;
        await store.close();
      }
      assert.ok(totalAcked > ROUNDS * 20, `the writer got work done (${totalAcked} acknowledged appends)`);
      assert.equal(anchorsSeen, ROUNDS, 'every recovery checked against an anchor');
      assert.deepEqual(await readdir(anchorDir).then((names) => names.filter((n) => n.includes('.tmp-'))), [], 'no temporary anchor files left');
      t.diagnostic(`${totalAcked} acknowledged appends, ${totalRemoved} acknowledged removals, ${totalRedelivered} redelivered-flag checks, ${totalTorn} torn tails truncated`);
    } finally {
      next?.child.kill('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
      await rm(anchorDir, { recursive: true, force: true });
    }
  });
});
