// Verification of an audit trail on disk, as CloudTrail's `validate-logs` does it (security.md 1.3)
// plus the event hash chain: every digest's signature and place, the digest chain, each sealed log
// file's hash, the event chain within and across files, and the head (anchor) that names the newest
// digest. Each problem becomes a finding with its file and time range; `formatVerifyReport` turns a
// report into the lines `sealmq audit verify` prints. Reading only: nothing here writes to the trail.
//
// What it cannot see (stated in the report's notes): events after the newest digest are protected by
// the hash chain alone, so a clean cut of the unsealed tail at a line boundary is invisible; deleting
// the newest digest together with head.json is caught only against an anchor kept elsewhere
// (`anchor`); and without a pinned public key a trail re-signed with a new key verifies.
import { createPublicKey, verify as verifySignature, type KeyObject } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  DIGESTS_DIR,
  GENESIS_HASH,
  HEAD_FILE,
  LOGS_DIR,
  PUBLIC_KEY_FILE,
  PUBLIC_KEYS_DIR,
  SIGNATURE_SUFFIX,
  checkDigestShape,
  digestSigningString,
  eventRecordIntact,
  nodeDigestName,
  parseDigestFileName,
  parseEventLine,
  parseLogFileName,
  publicKeyFingerprint,
  sha256Hex,
  signatureAlgorithmOf,
  type DigestFile,
  type DigestLogFile,
  type EventRecord,
  type TrailHead,
} from './trail-format.ts';

/** What kind of damage a finding reports. */
export const AuditFindingKind = {
  MODIFIED: 'modified',
  DELETED: 'deleted',
  INSERTED: 'inserted',
  REORDERED: 'reordered',
  TRUNCATED: 'truncated',
  DIGEST_MISSING: 'digest-missing',
  DIGEST_INVALID: 'digest-invalid',
  SIGNATURE_INVALID: 'signature-invalid',
  FILE_MISSING: 'file-missing',
} as const;
export type AuditFindingKind = (typeof AuditFindingKind)[keyof typeof AuditFindingKind];

export interface AuditFinding {
  readonly kind: AuditFindingKind;
  /** Path relative to the trail directory. */
  readonly file?: string | undefined;
  readonly message: string;
  /** Event sequence numbers concerned, where known. */
  readonly firstSequence?: number | undefined;
  readonly lastSequence?: number | undefined;
  /** ISO times bounding what is affected, where known. */
  readonly fromTime?: string | undefined;
  readonly toTime?: string | undefined;
}

export interface AuditVerifyReport {
  readonly dir: string;
  /** True when there is no finding. Unsealed events are not a finding. */
  readonly valid: boolean;
  readonly findings: readonly AuditFinding[];
  /** `pinned`: keys given by the caller; `trail`: keys read from the trail directory itself. */
  readonly keySource: 'pinned' | 'trail';
  readonly publicKeyFingerprints: readonly string[];
  readonly digests: { readonly checked: number; readonly valid: number };
  readonly logFiles: { readonly checked: number; readonly valid: number };
  readonly events: { readonly checked: number; readonly sealed: number; readonly unsealed: number };
  readonly newestDigest?: { readonly file: string; readonly endTime: string } | undefined;
  /** Events after the newest digest: checked by the hash chain, not yet sealed by a signature. */
  readonly unsealed?:
    | {
        readonly files: readonly string[];
        readonly firstSequence: number;
        readonly lastSequence: number;
        readonly oldestEventTime: string;
        readonly newestEventTime: string;
      }
    | undefined;
  readonly notes: readonly string[];
}

export interface VerifyAuditTrailOptions {
  readonly dir: string;
  /** Trusted public key(s), PEM (several blocks allowed). Without it, the keys in the trail directory are used. */
  readonly publicKeyPem?: string | undefined;
  /** Report only findings whose time range touches [from, to]; the whole trail is still checked. */
  readonly from?: Date | string | undefined;
  readonly to?: Date | string | undefined;
  /** The newest head published outside the trail (`onSeal`); checked like head.json. */
  readonly anchor?: Pick<TrailHead, 'digestFile' | 'digestSignature'> | undefined;
}

interface DigestInfo {
  readonly path: string;
  readonly nameSequence: number;
  readonly bytes: Buffer;
  readonly digest: DigestFile | undefined;
  signature: string | undefined;
}

interface LoadedRecord {
  readonly file: string;
  readonly line: number;
  readonly record: EventRecord | undefined;
  /** The file's last line, without its newline: a write cut short. */
  readonly torn?: true;
}

/** Checks the whole trail in `dir`; never throws for damage (that is a finding), only for an unreadable directory. */
export async function verifyAuditTrail(options: VerifyAuditTrailOptions): Promise<AuditVerifyReport> {
  const dir = resolve(options.dir);
  const findings: AuditFinding[] = [];
  const notes: string[] = [];
  const add = (finding: AuditFinding) => findings.push(finding);
  if (!(await stat(dir)).isDirectory()) throw new Error(`${dir} is not a directory`);

  // Public keys, by fingerprint.
  const keys = new Map<string, KeyObject>();
  const keySource = options.publicKeyPem === undefined ? 'trail' : 'pinned';
  if (options.publicKeyPem !== undefined) {
    for (const pem of splitPemBlocks(options.publicKeyPem)) addKey(keys, pem);
    if (keys.size === 0) throw new TypeError('the public key given is not a PEM public key');
  } else {
    for (const name of await listDir(join(dir, PUBLIC_KEYS_DIR))) {
      if (name.endsWith('.pem')) addKey(keys, await readFile(join(dir, PUBLIC_KEYS_DIR, name), 'utf8'));
    }
    const current = await readFile(join(dir, PUBLIC_KEY_FILE), 'utf8').catch(() => undefined);
    if (current !== undefined) addKey(keys, current);
    notes.push('public keys were read from the trail directory; pin one with --public-key to detect a trail re-signed with another key');
  }

  // Digests, in sequence order.
  const digests: DigestInfo[] = [];
  for (const name of await listDir(join(dir, DIGESTS_DIR))) {
    if (name.endsWith(SIGNATURE_SUFFIX) || name.includes('.tmp-')) continue;
    const path = `${DIGESTS_DIR}/${name}`;
    const nameSequence = parseDigestFileName(name);
    if (nameSequence === undefined) {
      add({ kind: 'digest-invalid', file: path, message: 'unexpected file among the digests' });
      continue;
    }
    const bytes = await readFile(join(dir, path));
    let digest: DigestFile | undefined;
    try {
      const parsed: unknown = JSON.parse(bytes.toString('utf8'));
      const problem = checkDigestShape(parsed);
      if (problem === undefined) digest = parsed as DigestFile;
      else add({ kind: 'digest-invalid', file: path, message: `invalid format (${problem})` });
    } catch {
      add({ kind: 'digest-invalid', file: path, message: 'invalid format (not JSON)' });
    }
    const signature = (await readFile(join(dir, path + SIGNATURE_SUFFIX), 'utf8').catch(() => undefined))?.trim();
    digests.push({ path, nameSequence, bytes, digest, signature });
  }
  for (const name of await listDir(join(dir, DIGESTS_DIR))) {
    if (!name.endsWith(SIGNATURE_SUFFIX)) continue;
    const digestName = name.slice(0, -SIGNATURE_SUFFIX.length);
    if (!digests.some((info) => info.path === `${DIGESTS_DIR}/${digestName}`) && parseDigestFileName(digestName) !== undefined) {
      // The digest was deleted but its signature left behind; the chain check reports the gap.
      notes.push(`${DIGESTS_DIR}/${name} has no digest beside it`);
    }
  }
  digests.sort((a, b) => a.nameSequence - b.nameSequence);

  // Signatures: the sidecar, cross-checked with the successor's previousDigestSignature.
  let validDigests = 0;
  digests.forEach((info, index) => {
    const successor = digests[index + 1];
    const fromSuccessor =
      successor?.digest !== undefined && successor.nameSequence === info.nameSequence + 1 ? successor.digest.previousDigestSignature : undefined;
    if (info.signature === undefined) {
      if (fromSuccessor !== undefined && fromSuccessor !== null) {
        add({ kind: 'file-missing', file: info.path + SIGNATURE_SUFFIX, message: 'signature file not found (the successor digest still holds the signature)' });
        info.signature = fromSuccessor;
      } else {
        add({ kind: 'signature-invalid', file: info.path, message: 'signature not found', ...digestTimes(info.digest) });
        return;
      }
    } else if (fromSuccessor !== undefined && fromSuccessor !== info.signature) {
      add({ kind: 'signature-invalid', file: info.path, message: 'signature differs from the one its successor digest recorded', ...digestTimes(info.digest) });
    }
    const digest = info.digest;
    if (digest === undefined) return;
    if (digest.digestFile !== info.path) {
      add({ kind: 'digest-invalid', file: info.path, message: `has been moved from its original location ${digest.digestFile}`, ...digestTimes(digest) });
      return;
    }
    if (digest.digestSequence !== info.nameSequence) {
      add({ kind: 'digest-invalid', file: info.path, message: 'digestSequence does not match the file name', ...digestTimes(digest) });
    }
    const key = keys.get(digest.digestPublicKeyFingerprint);
    if (key === undefined) {
      add({ kind: 'signature-invalid', file: info.path, message: `public key not found for fingerprint ${digest.digestPublicKeyFingerprint}`, ...digestTimes(digest) });
      return;
    }
    const algorithm = signatureAlgorithmOf(key);
    let ok = false;
    if (algorithm !== undefined && algorithm === digest.digestSignatureAlgorithm && /^[0-9a-f]+$/.test(info.signature!)) {
      try {
        ok = verifySignature(
          nodeDigestName(algorithm),
          Buffer.from(digestSigningString(digest, info.bytes), 'utf8'),
          key,
          Buffer.from(info.signature!, 'hex'),
        );
      } catch {
        ok = false;
      }
    }
    if (ok) validDigests++;
    else add({ kind: 'signature-invalid', file: info.path, message: 'signature verification failed', ...digestTimes(digest) });
  });

  // The digest chain: sequence, previous name, hash and signature, times, and the event chain points.
  const gaps: { fromSequence: number; toSequence: number }[] = [];
  let previous: DigestInfo | undefined;
  for (const info of digests) {
    const digest = info.digest;
    if (digest === undefined) {
      previous = info;
      continue;
    }
    const expectedSequence = (previous?.nameSequence ?? 0) + 1;
    if (info.nameSequence > expectedSequence) {
      const previousDigest = previous?.digest;
      const fromSequence = (previousDigest?.chainEnd.sequence ?? 0) + 1;
      const toSequence = digest.chainStart.sequence;
      gaps.push({ fromSequence, toSequence });
      add({
        kind: 'digest-missing',
        file: digest.previousDigestFile ?? undefined,
        message:
          `digest ${expectedSequence === info.nameSequence - 1 ? expectedSequence : `${expectedSequence}..${info.nameSequence - 1}`} not found` +
          ` (chain broken between ${previous?.path ?? 'the start of the trail'} and ${info.path}); that interval is unverifiable`,
        ...(toSequence >= fromSequence ? { firstSequence: fromSequence, lastSequence: toSequence } : {}),
        fromTime: previousDigest?.digestEndTime,
        toTime: digest.digestStartTime,
      });
    } else if (previous === undefined) {
      if (digest.previousDigestFile !== null || digest.chainStart.sequence !== 0 || digest.chainStart.eventHash !== GENESIS_HASH) {
        add({ kind: 'digest-invalid', file: info.path, message: 'the first digest does not start the chain', ...digestTimes(digest) });
      }
    } else {
      const previousDigest = previous.digest;
      if (digest.previousDigestFile !== previous.path) {
        add({ kind: 'digest-invalid', file: info.path, message: `names ${String(digest.previousDigestFile)} as its predecessor, not ${previous.path}`, ...digestTimes(digest) });
      } else if (digest.previousDigestHashValue !== sha256Hex(previous.bytes)) {
        add({ kind: 'modified', file: previous.path, message: "digest hash value doesn't match the one its successor recorded", ...digestTimes(previousDigest) });
      }
      if (previousDigest !== undefined) {
        if (digest.digestStartTime !== previousDigest.digestEndTime) {
          add({ kind: 'digest-invalid', file: info.path, message: 'does not start where its predecessor ended', ...digestTimes(digest) });
        }
        if (digest.chainStart.sequence !== previousDigest.chainEnd.sequence || digest.chainStart.eventHash !== previousDigest.chainEnd.eventHash) {
          add({ kind: 'digest-invalid', file: info.path, message: 'does not continue the event chain where its predecessor ended', ...digestTimes(digest) });
        }
      }
    }
    previous = info;
  }
  const parsedDigests = digests.filter((info): info is DigestInfo & { digest: DigestFile } => info.digest !== undefined);
  const newest = parsedDigests.at(-1);
  const sealedEnd = newest?.digest.chainEnd.sequence ?? 0;

  // The head: head.json and an anchor given by the caller name the newest digest.
  const heads: { source: string; head: Pick<TrailHead, 'digestFile' | 'digestSignature'> }[] = [];
  const headText = await readFile(join(dir, HEAD_FILE), 'utf8').catch(() => undefined);
  if (headText !== undefined) {
    try {
      heads.push({ source: HEAD_FILE, head: JSON.parse(headText) as TrailHead });
    } catch {
      add({ kind: 'modified', file: HEAD_FILE, message: 'invalid format (not JSON)' });
    }
  } else if (digests.length > 0) {
    add({ kind: 'file-missing', file: HEAD_FILE, message: 'not found; the newest digest cannot be checked against it' });
  }
  if (options.anchor !== undefined) heads.push({ source: 'the anchor given', head: options.anchor });
  else if (digests.length > 0) {
    notes.push('no anchor given: deleting the newest digest together with head.json would go unnoticed; pass the head published at each seal');
  }
  for (const { source, head } of heads) {
    const named = digests.find((info) => info.path === head.digestFile);
    const headSequence = parseDigestFileName(String(head.digestFile).slice(DIGESTS_DIR.length + 1));
    if (named === undefined) {
      add({
        kind: 'digest-missing',
        file: String(head.digestFile),
        message: `newest digest named by ${source} not found`,
        fromTime: newest?.digest.digestEndTime,
      });
    } else if (named.signature !== head.digestSignature) {
      add({ kind: 'signature-invalid', file: named.path, message: `signature differs from the one ${source} recorded`, ...digestTimes(named.digest) });
    }
    if (headSequence !== undefined && newest !== undefined && newest.nameSequence > headSequence + 1) {
      notes.push(`${source} names ${head.digestFile}, older than the newest digest ${newest.path}`);
    }
  }

  // Log files: each sealed one against its digest entry.
  const logNames = (await listDir(join(dir, LOGS_DIR))).filter((name) => !name.includes('.tmp-'));
  const existingLogs = new Set<string>();
  for (const name of logNames) {
    const path = `${LOGS_DIR}/${name}`;
    if (parseLogFileName(name) === undefined) add({ kind: 'inserted', file: path, message: 'unexpected file among the log files' });
    else existingLogs.add(path);
  }
  const loaded = new Map<string, { bytes: Buffer; records: LoadedRecord[]; torn: boolean }>();
  const loadLog = async (path: string) => {
    let entry = loaded.get(path);
    if (entry === undefined) {
      const bytes = await readFile(join(dir, path));
      const pieces = bytes.toString('utf8').split('\n');
      const tail = pieces.pop();
      const records: LoadedRecord[] = pieces.map((line, index) => ({ file: path, line: index + 1, record: parseEventLine(line) }));
      entry = { bytes, records, torn: tail !== undefined && tail !== '' };
      if (entry.torn) records.push({ file: path, line: pieces.length + 1, record: parseEventLine(tail!), torn: true });
      loaded.set(path, entry);
    }
    return entry;
  };
  const sealedBy = new Map<string, DigestLogFile>();
  let logFilesChecked = 0;
  let logFilesValid = 0;
  for (const info of parsedDigests) {
    for (const entry of info.digest.logFiles) {
      logFilesChecked++;
      if (sealedBy.has(entry.file)) {
        add({ kind: 'digest-invalid', file: info.path, message: `seals ${entry.file} a second time` });
        continue;
      }
      sealedBy.set(entry.file, entry);
      const range = entryRange(entry);
      if (!existingLogs.has(entry.file)) {
        add({ kind: 'file-missing', file: entry.file, message: `log file not found; its ${countOf(entry)} sealed events are gone`, ...range });
        continue;
      }
      const log = await loadLog(entry.file);
      if (sha256Hex(log.bytes) === entry.hashValue) {
        logFilesValid++;
        continue;
      }
      add(classifyFileDamage(entry, log.records, log.torn));
    }
  }

  // Log files no digest seals: the unsealed tail, or files slipped in among sealed ones.
  const unsealedFiles: string[] = [];
  for (const path of [...existingLogs].sort()) {
    if (sealedBy.has(path)) continue;
    const firstSequence = parseLogFileName(path.slice(LOGS_DIR.length + 1))!;
    if (firstSequence > sealedEnd) {
      unsealedFiles.push(path);
      continue;
    }
    const gap = gaps.find((candidate) => firstSequence >= candidate.fromSequence && firstSequence <= candidate.toSequence);
    if (gap !== undefined) {
      notes.push(`${path} was sealed by a missing digest; its events are checked by the hash chain only`);
    } else {
      add({ kind: 'inserted', file: path, message: 'log file sealed by no digest although older than the newest digest' });
    }
  }

  // The event chain across every file in order.
  const allRecords: LoadedRecord[] = [];
  for (const path of [...existingLogs].sort()) allRecords.push(...(await loadLog(path)).records);
  const chain = walkEventChain(allRecords);
  findings.push(...chain.findings);
  if (chain.lastSequence < sealedEnd && newest !== undefined) {
    add({
      kind: 'truncated',
      file: newest.digest.logFiles.at(-1)?.file,
      message: `the trail ends at event ${chain.lastSequence}, but ${newest.path} sealed events up to ${sealedEnd}`,
      firstSequence: chain.lastSequence + 1,
      lastSequence: sealedEnd,
      fromTime: chain.lastTime,
      toTime: newest.digest.newestEventTime ?? newest.digest.digestEndTime,
    });
  }

  let unsealed: AuditVerifyReport['unsealed'];
  const unsealedRecords = allRecords
    .filter((loadedRecord) => unsealedFiles.includes(loadedRecord.file))
    .map((loadedRecord) => loadedRecord.record)
    .filter((record): record is EventRecord => record !== undefined);
  if (unsealedRecords.length > 0) {
    const times = unsealedRecords.map((record) => record.event.eventTime).sort();
    unsealed = {
      files: unsealedFiles,
      firstSequence: unsealedRecords[0]!.sequence,
      lastSequence: unsealedRecords.at(-1)!.sequence,
      oldestEventTime: times[0]!,
      newestEventTime: times.at(-1)!,
    };
  }

  const from = options.from === undefined ? undefined : new Date(options.from).toISOString();
  const to = options.to === undefined ? undefined : new Date(options.to).toISOString();
  const reported = findings.filter(
    (finding) =>
      (from === undefined || finding.toTime === undefined || finding.toTime >= from) &&
      (to === undefined || finding.fromTime === undefined || finding.fromTime <= to),
  );
  return {
    dir,
    valid: reported.length === 0,
    findings: reported,
    keySource,
    publicKeyFingerprints: [...keys.keys()],
    digests: { checked: digests.length, valid: validDigests },
    logFiles: { checked: logFilesChecked, valid: logFilesValid },
    events: { checked: chain.checked, sealed: chain.checked - unsealedRecords.length, unsealed: unsealedRecords.length },
    newestDigest: newest === undefined ? undefined : { file: newest.path, endTime: newest.digest.digestEndTime },
    unsealed,
    notes,
  };
}

/** Walks records in file order and reports every break of the sequence or the hash chain. */
function walkEventChain(records: readonly LoadedRecord[]): {
  findings: AuditFinding[];
  checked: number;
  lastSequence: number;
  lastTime: string | undefined;
} {
  const findings: AuditFinding[] = [];
  // How many times each sequence number occurs from here on, to tell a reordering from a deletion.
  const remaining = new Map<number, number>();
  for (const { record } of records) if (record !== undefined) remaining.set(record.sequence, (remaining.get(record.sequence) ?? 0) + 1);
  const seen = new Map<number, string>();
  let expectedSequence = 1;
  let expectedHash: string | undefined = GENESIS_HASH;
  let lastTime: string | undefined;
  let highest = 0;
  let checked = 0;
  let reorderedUntil = 0;
  for (const [index, { file, line, record, torn }] of records.entries()) {
    const nextTime = records[index + 1]?.record?.event.eventTime;
    if (record !== undefined) remaining.set(record.sequence, (remaining.get(record.sequence) ?? 1) - 1);
    if (record === undefined || torn === true || !eventRecordIntact(record)) {
      // A damaged line takes the place of the event expected there; the chain resumes after it.
      findings.push({
        kind: torn === true ? 'truncated' : 'modified',
        file,
        message:
          torn === true
            ? `line ${line} is cut short`
            : record === undefined
              ? `line ${line} is not a valid event record`
              : `event ${record.sequence} (line ${line}) does not match its hash`,
        firstSequence: expectedSequence,
        lastSequence: expectedSequence,
        fromTime: lastTime,
        toTime: nextTime ?? record?.event.eventTime,
      });
      if (record !== undefined) checked++;
      expectedSequence++;
      expectedHash = undefined;
      continue;
    }
    checked++;
    const time = record.event.eventTime;
    const where = { file, firstSequence: record.sequence, lastSequence: record.sequence };
    if (seen.has(record.sequence)) {
      const copy = seen.get(record.sequence) === record.eventHash;
      findings.push({
        kind: 'inserted',
        ...where,
        message: `event ${record.sequence} (line ${line}) repeats a sequence number already used (${copy ? 'a copy' : 'a forged or renumbered event'})`,
        fromTime: time,
        toTime: time,
      });
      continue;
    }
    seen.set(record.sequence, record.eventHash);
    if (record.sequence === expectedSequence) {
      if (expectedHash !== undefined && record.previousHash !== expectedHash) {
        findings.push({
          kind: 'inserted',
          ...where,
          message: `event ${record.sequence} (line ${line}) does not chain to the event before it: an event was forged or replaced`,
          fromTime: lastTime,
          toTime: time,
        });
      }
    } else if (record.sequence > expectedSequence) {
      const comesLater: number[] = [];
      for (let sequence = expectedSequence; sequence < record.sequence; sequence++) if ((remaining.get(sequence) ?? 0) > 0) comesLater.push(sequence);
      if (comesLater.length > 0) {
        findings.push({
          kind: 'reordered',
          file,
          firstSequence: expectedSequence,
          lastSequence: record.sequence,
          message: `events ${expectedSequence}..${record.sequence} are out of order (event ${record.sequence} at line ${line} comes before event ${comesLater[0]})`,
          fromTime: lastTime,
          toTime: time,
        });
        reorderedUntil = Math.max(reorderedUntil, ...comesLater);
      }
      const missing = record.sequence - expectedSequence - comesLater.length;
      if (missing > 0) {
        findings.push({
          kind: 'deleted',
          file,
          firstSequence: expectedSequence,
          lastSequence: record.sequence - 1,
          message: `${missing} event${missing === 1 ? '' : 's'} missing before event ${record.sequence} (line ${line})`,
          fromTime: lastTime,
          toTime: time,
        });
      }
    } else {
      // Below the expected sequence and not seen before: a late event of a reordering. The chain
      // continues from the highest event seen, so the state is left as it is.
      if (record.sequence > reorderedUntil) {
        findings.push({ kind: 'reordered', ...where, message: `event ${record.sequence} (line ${line}) comes after later events`, fromTime: lastTime, toTime: time });
      }
      continue;
    }
    expectedSequence = record.sequence + 1;
    expectedHash = record.eventHash;
    lastTime = time;
    highest = Math.max(highest, record.sequence);
  }
  return { findings, checked, lastSequence: Math.max(highest, expectedSequence - 1), lastTime };
}

/** What a sealed file whose hash no longer matches looks like compared with what was sealed. */
function classifyFileDamage(entry: DigestLogFile, records: readonly LoadedRecord[], torn: boolean): AuditFinding {
  const parsed = records.map((loadedRecord) => loadedRecord.record).filter((record): record is EventRecord => record !== undefined);
  const expected = countOf(entry);
  const lastPresent = parsed.at(-1);
  const base = { file: entry.file, ...entryRange(entry) };
  const prefix = "hash value doesn't match the digest";
  if (torn || (lastPresent !== undefined && lastPresent.sequence < entry.lastSequence && parsed.length < expected && parsed[0]?.sequence === entry.firstSequence && isPrefixOrdered(parsed))) {
    const from = lastPresent === undefined ? entry.firstSequence : lastPresent.sequence + 1;
    return {
      kind: 'truncated',
      ...base,
      message: `${prefix}: the file is cut short after event ${lastPresent?.sequence ?? entry.firstSequence - 1}; events ${from}..${entry.lastSequence} were sealed`,
      firstSequence: from,
      fromTime: lastPresent?.event.eventTime ?? entry.oldestEventTime,
    };
  }
  const sequences = parsed.map((record) => record.sequence);
  const sorted = [...sequences].sort((a, b) => a - b);
  if (
    records.length === expected &&
    parsed.length === expected &&
    sorted.every((sequence, index) => sequence === entry.firstSequence + index) &&
    sequences.some((sequence, index) => sequence !== sorted[index])
  ) {
    return { kind: 'reordered', ...base, message: `${prefix}: the sealed events are all there, in another order` };
  }
  if (records.length > expected) return { kind: 'inserted', ...base, message: `${prefix}: ${records.length - expected} line(s) more than the ${expected} events sealed` };
  if (records.length < expected) return { kind: 'deleted', ...base, message: `${prefix}: ${expected - records.length} event(s) fewer than the ${expected} sealed` };
  return { kind: 'modified', ...base, message: `${prefix}: contents changed` };
}

function isPrefixOrdered(records: readonly EventRecord[]): boolean {
  return records.every((record, index) => index === 0 || record.sequence === records[index - 1]!.sequence + 1);
}

function countOf(entry: DigestLogFile): number {
  return entry.lastSequence - entry.firstSequence + 1;
}

function entryRange(entry: DigestLogFile): Pick<AuditFinding, 'firstSequence' | 'lastSequence' | 'fromTime' | 'toTime'> {
  return { firstSequence: entry.firstSequence, lastSequence: entry.lastSequence, fromTime: entry.oldestEventTime, toTime: entry.newestEventTime };
}

function digestTimes(digest: DigestFile | undefined): Pick<AuditFinding, 'fromTime' | 'toTime'> {
  return digest === undefined ? {} : { fromTime: digest.digestStartTime, toTime: digest.digestEndTime };
}

function addKey(keys: Map<string, KeyObject>, pem: string): void {
  try {
    const key = createPublicKey(pem);
    keys.set(publicKeyFingerprint(key), key);
  } catch {
    // Not a public key: it simply verifies nothing.
  }
}

function splitPemBlocks(text: string): string[] {
  return text.match(/-----BEGIN [A-Z ]+-----[\s\S]+?-----END [A-Z ]+-----/g) ?? [];
}

async function listDir(path: string): Promise<string[]> {
  try {
    return (await readdir(path)).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** The lines `sealmq audit verify` prints: a summary, then one line per finding. */
export function formatVerifyReport(report: AuditVerifyReport): string[] {
  const lines: string[] = [];
  lines.push(`Audit trail ${report.dir}`);
  lines.push(
    report.keySource === 'pinned'
      ? `Public keys: pinned (${report.publicKeyFingerprints.join(', ')})`
      : `Public keys: from the trail directory (${report.publicKeyFingerprints.join(', ') || 'none'})`,
  );
  lines.push(`Digest files: ${report.digests.checked} checked, ${report.digests.valid} valid${report.newestDigest === undefined ? '' : `; newest ${report.newestDigest.file} (${report.newestDigest.endTime})`}`);
  lines.push(`Log files: ${report.logFiles.checked} sealed files checked, ${report.logFiles.valid} valid`);
  lines.push(`Events: ${report.events.checked} checked, ${report.events.sealed} sealed`);
  if (report.unsealed !== undefined) {
    const u = report.unsealed;
    lines.push(
      `Not yet sealed: events ${u.firstSequence}..${u.lastSequence} (${u.oldestEventTime} .. ${u.newestEventTime}) in ${u.files.join(', ')}; checked by the hash chain only`,
    );
  }
  for (const finding of report.findings) {
    const sequences =
      finding.firstSequence === undefined
        ? ''
        : finding.lastSequence === undefined || finding.lastSequence === finding.firstSequence
          ? ` [event ${finding.firstSequence}]`
          : ` [events ${finding.firstSequence}..${finding.lastSequence}]`;
    const times = finding.fromTime === undefined && finding.toTime === undefined ? '' : ` (${finding.fromTime ?? '?'} .. ${finding.toTime ?? '?'})`;
    lines.push(`INVALID ${finding.kind}: ${finding.file ?? '-'}: ${finding.message}${sequences}${times}`);
  }
  for (const note of report.notes) lines.push(`Note: ${note}`);
  lines.push(report.valid ? 'Result: VALID' : `Result: INVALID (${report.findings.length} finding${report.findings.length === 1 ? '' : 's'})`);
  return lines;
}
