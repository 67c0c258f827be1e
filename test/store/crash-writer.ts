// Child process for the crash test: opens the segment store, then appends from several concurrent
// producers and removes old messages, printing each acknowledgement (synchronously, to a pipe) only
// after the store resolved it. The parent SIGKILLs it at a random moment.
//
// Env: CRASH_DATA_DIR, CRASH_MASTER_KEY (hex), CRASH_ROUND, CRASH_SEED, CRASH_ANCHOR_DIR (optional:
// a rollback anchor sealed under the root key in that folder, rewritten often so that kills land
// during its writes too). Starts work on `go` (stdin).
// Output lines: `READY`, `A <queue> <offset> <id>` (append acknowledged), `r <id>` (remove issued),
// `R <id>` (remove acknowledged), `d <id>` / `D <id>` (delivery recorded: issued / acknowledged).

import { writeSync } from 'node:fs';
import { join } from 'node:path';
import { openRootKey } from '../../src/crypto/root-key.ts';
import { FileRollbackAnchor } from '../../src/store/rollback-anchor.ts';
import { SegmentMessageStore } from '../../src/store/segment-message-store.ts';
import { TestKeyProvider } from './test-key-provider.ts';

const dataDir = process.env.CRASH_DATA_DIR!;
const masterKey = Buffer.from(process.env.CRASH_MASTER_KEY!, 'hex');
const round = Number(process.env.CRASH_ROUND);
let seed = Number(process.env.CRASH_SEED);
function random(): number {
  // xorshift32: reproducible per round from the seed the parent prints on failure.
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 0x100000000;
}

export const CRASH_STORE_OPTIONS = { segmentBytesMax: 24 * 1024, chunkBytesMax: 2048, compactionLiveRatioMin: 0.5 };
export const CRASH_QUEUES = ['q0', 'q1', 'q2'];
export const CRASH_ANCHOR_OPTIONS = { anchorEverySyncs: 2, anchorIntervalMs: 10 };
const anchorDir = process.env.CRASH_ANCHOR_DIR;
const PRODUCERS = 6;

function say(line: string): void {
  writeSync(1, `${line}\n`);
}

// The parent starts the next writer while the current round runs, so that loading modules does
// not count against the round; this one opens the store only when told to go.
await new Promise<void>((resolve) => {
  let input = '';
  process.stdin.on('data', (chunk: Buffer) => {
    input += chunk.toString();
    if (input.includes('go\n')) resolve();
  });
});

const store = await SegmentMessageStore.open({
  dataDir,
  brokerId: 'b-crash',
  kmsKeyId: 'test-key',
  keyProvider: new TestKeyProvider(['test-key'], masterKey),
  ...CRASH_STORE_OPTIONS,
  ...(anchorDir === undefined
    ? {}
    : { rollbackAnchor: new FileRollbackAnchor(join(anchorDir, 'anchor.sealed'), await openRootKey({ dir: anchorDir }), 'b-crash'), ...CRASH_ANCHOR_OPTIONS }),
});
say('READY');

async function producer(p: number): Promise<void> {
  const queueId = CRASH_QUEUES[p % CRASH_QUEUES.length]!;
  for (let seq = 0; ; seq++) {
    const id = `${round}.${p}.${seq}`;
    const size = 50 + Math.floor(random() * 1500);
    const body = Buffer.alloc(size, 0x2e);
    body.write(id);
    const [offset] = await store.append([{ queueId, message: { exchange: 'ex', routingKey: 'rk', properties: Buffer.from(id), body } }]);
    say(`A ${queueId} ${offset} ${id}`);
  }
}

/** Removes messages of earlier rounds and some of this round's, so that compaction runs. */
async function janitor(): Promise<void> {
  for (;;) {
    let removedAny = false;
    for (const queueId of CRASH_QUEUES) {
      const page = await store.read(queueId, 0, 40);
      // Deliveries first (as a broker records them before sending), then removals.
      const delivered = page.filter(() => random() < 0.3);
      if (delivered.length > 0) {
        for (const m of delivered) say(`d ${Buffer.from(m.properties).toString()}`);
        await store.recordDelivery(queueId, delivered.map((m) => m.offset));
        for (const m of delivered) say(`D ${Buffer.from(m.properties).toString()}`);
      }
      const victims = page.filter(() => random() < 0.5);
      if (victims.length === 0) continue;
      for (const m of victims) say(`r ${Buffer.from(m.properties).toString()}`);
      await store.remove(queueId, victims.map((m) => m.offset));
      for (const m of victims) say(`R ${Buffer.from(m.properties).toString()}`);
      removedAny = true;
    }
    await new Promise((resolve) => setTimeout(resolve, removedAny ? 15 : 5));
  }
}

await Promise.all([...Array.from({ length: PRODUCERS }, (_, p) => producer(p)), janitor()]);
