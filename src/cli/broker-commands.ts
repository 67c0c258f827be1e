// `sealmq broker reencrypt BROKER` and `sealmq broker verify-at-rest BROKER` (issue 6). reencrypt
// asks the running server (ReencryptBroker, POST /v1/brokers/{id}/reencrypt, SigV4 with the
// credentials file); verify-at-rest works offline on the data directory, with the embedded KMS
// opened in this process from DATA/kms (root key), so SealMQ must be stopped. The work is the
// server's and src/store/segment-verifier.ts's; this file reads flags and prints.
import { request as httpsRequest } from 'node:https';
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { brokerCaller } from '../control/mq/kms-encryption-keys.ts';
import type { BrokerEncryption } from '../control/mq/ports.ts';
import { openRootKey } from '../crypto/root-key.ts';
import type { KeyProvider } from '../crypto/key-provider.ts';
import { parseCredentialsFile } from '../identity/access-keys.ts';
import { NodeSha256 } from '../identity/sigv4.ts';
import { KmsKeyProvider, mqViaService } from '../kms/kms-key-provider.ts';
import { parseCiphertextHeader } from '../kms/ciphertext.ts';
import { KmsService } from '../kms/kms-service.ts';
import { verifySegmentStore, type VerifyReport } from '../store/segment-verifier.ts';
import { CliError, RemoteApiError } from './identity-client.ts';
import { CREDENTIALS_FILE, ENDPOINTS_FILE, type EndpointsFile } from './serve.ts';

interface BrokerCliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Readonly<Record<string, string | undefined>>;
  exit: (code: number) => void;
}

interface ClientFlags {
  dataDir?: string;
  endpointUrl?: string;
  caBundle?: string;
  credentialsFile?: string;
  profile?: string;
}

const BROKER_ID = /^b-[0-9a-f-]{36}$/;

/** Adds `sealmq broker ...`. */
export function addBrokerCommands(program: Command, io: BrokerCliIo): void {
  const broker = program.command('broker').description('key lifecycle of a broker: re-encrypt its data, verify it at rest');
  broker
    .command('reencrypt <brokerId>')
    .description('rewrite the broker’s stored data under fresh data keys (the KMS key’s current material) while it keeps serving; asks the running SealMQ')
    .option('--data-dir <dir>', 'data directory of the running SealMQ (env SEALMQ_DATA_DIR, default ./data)')
    .option('--endpoint-url <url>', 'API endpoint (default: from DATA/endpoints.json)')
    .option('--ca-bundle <file>', 'CA to trust (default: DATA/tls/ca.pem)')
    .option('--credentials-file <file>', 'AWS shared-credentials file (default: DATA/credentials)')
    .option('--profile <name>', 'profile in the credentials file (default: default)')
    .action(async (brokerId: string, flags: ClientFlags) => {
      checkBrokerId(brokerId);
      io.stderr(`re-encrypting broker ${brokerId}: moving every live message to a segment under a new data key...\n`);
      const result = await reencryptCall(flags, io, brokerId);
      io.stderr(`re-encrypted broker ${brokerId}: ${String(result.messagesMoved)} messages moved, ${String(result.segmentsDeleted)} old segments deleted in ${String(result.durationMs)} ms\n`);
      io.stdout(`${JSON.stringify(result, null, 2)}\n`);
    });
  broker
    .command('verify-at-rest <brokerId>')
    .description('offline (SealMQ stopped): read every file of the broker, authenticate every record, report per file the format, KMS key, key-material version and records, and any byte not accounted for as ciphertext; exits 1 on any finding')
    .option('--data-dir <dir>', 'data directory (env SEALMQ_DATA_DIR, default ./data)')
    .option('--json', 'print the report as JSON')
    .action(async (brokerId: string, flags: { dataDir?: string; json?: boolean }) => {
      checkBrokerId(brokerId);
      const dataDir = resolve(flags.dataDir ?? io.env.SEALMQ_DATA_DIR ?? './data');
      const report = await verifyBrokerAtRest(dataDir, brokerId, io.env.SEALMQ_ROOT_PASSPHRASE);
      if (flags.json === true) io.stdout(`${JSON.stringify(report, null, 2)}\n`);
      else io.stdout(formatReport(brokerId, report));
      io.exit(report.findings.length === 0 ? 0 : 1);
    });
}

function checkBrokerId(brokerId: string): void {
  if (!BROKER_ID.test(brokerId)) throw new CliError(`'${brokerId}' is not a broker id (b-...)`);
}

/**
 * Verifies DATA/brokers/<id>/store with the KMS of DATA/kms opened here (the server must be stopped:
 * two processes must not own the KMS files). The broker's principal and key kind come from broker.json.
 */
export async function verifyBrokerAtRest(dataDir: string, brokerId: string, rootPassphrase?: string): Promise<VerifyReport> {
  const brokerDir = join(dataDir, 'brokers', brokerId);
  let encryption: BrokerEncryption;
  try {
    encryption = (JSON.parse(await readFile(join(brokerDir, 'broker.json'), 'utf8')) as { encryption: BrokerEncryption }).encryption;
  } catch (error) {
    throw new CliError(`cannot read ${join(brokerDir, 'broker.json')} (${(error as NodeJS.ErrnoException).code ?? 'not JSON'}); is ${brokerId} a broker of ${dataDir}?`);
  }
  const arn = /^arn:aws:kms:([^:]+):(\d{12}):key\//.exec(encryption.keyArn);
  if (arn === null) throw new CliError(`broker.json names no KMS key ARN`);
  const [, region, accountId] = arn as unknown as [string, string, string];
  const kmsDir = join(dataDir, 'kms');
  const rootKey = await openRootKey({ dir: kmsDir, ...(rootPassphrase !== undefined ? { passphrase: rootPassphrase } : {}) });
  const kms = await KmsService.open({ dir: kmsDir, rootKey, accountId, region, maintenanceIntervalMs: 0 });
  try {
    const caller = brokerCaller(accountId, brokerId);
    const keyProvider: KeyProvider =
      encryption.kind === 'SERVICE_OWNED'
        ? KmsKeyProvider.forServiceOwnedKeys(kms)
        : encryption.kind === 'SERVICE_MANAGED'
          ? KmsKeyProvider.forCaller(kms, caller, { viaService: mqViaService(region) })
          : KmsKeyProvider.forCaller(kms, caller);
    const report = await verifySegmentStore({
      dataDir: join(brokerDir, 'store'),
      brokerId,
      kmsKeyId: encryption.keyArn,
      keyProvider,
      describeEncryptedDataKey: parseCiphertextHeader,
    });
    // Beside the store only broker.json belongs in the broker directory (no secrets in it; see broker-supervisor.ts).
    const extra = (await readdir(brokerDir)).filter((name) => name !== 'broker.json' && name !== 'store');
    return {
      segments: report.segments.map((s) => ({ ...s, file: `store/${s.file}` })),
      findings: [...extra.map((file) => ({ file, problem: 'unknown file: not part of the broker directory' })), ...report.findings.map((f) => ({ ...f, file: `store/${f.file}` }))],
    };
  } finally {
    await kms.close();
    rootKey.destroy();
  }
}

function formatReport(brokerId: string, report: VerifyReport): string {
  const lines = [`broker ${brokerId}: ${String(report.segments.length)} segment files, ${String(report.findings.length)} findings`];
  for (const s of report.segments) {
    lines.push(`  ${s.file}  format v${String(s.formatVersion)}  key ${s.kmsKeyId}  material v${String(s.keyMaterialVersion)}  ${String(s.chunks)} chunks  ${String(s.records)} records  ${String(s.bytes)} bytes`);
  }
  for (const f of report.findings) {
    const range = f.offset === undefined ? '' : ` bytes ${String(f.offset)}..${String(f.offset + (f.length ?? 0))}`;
    lines.push(`  FINDING ${f.file}${range}: ${f.problem}`);
  }
  return `${lines.join('\n')}\n`;
}

/** POST /v1/brokers/{id}/reencrypt, signed (SigV4, signing name mq) with the credentials file. */
async function reencryptCall(flags: ClientFlags, io: BrokerCliIo, brokerId: string): Promise<Record<string, unknown>> {
  const dataDir = resolve(flags.dataDir ?? io.env.SEALMQ_DATA_DIR ?? './data');
  let endpoints: Partial<EndpointsFile> = {};
  if (flags.endpointUrl === undefined) {
    try {
      endpoints = JSON.parse(await readFile(join(dataDir, ENDPOINTS_FILE), 'utf8')) as EndpointsFile;
    } catch {
      throw new CliError(`SealMQ is not running with data directory ${dataDir} (no ${ENDPOINTS_FILE}); start it, or pass --endpoint-url`);
    }
  }
  const url = new URL(flags.endpointUrl ?? endpoints.api ?? '');
  const caFile = flags.caBundle !== undefined ? resolve(flags.caBundle) : endpoints.caFile;
  const caPem = caFile === undefined ? undefined : await readFile(caFile, 'utf8');
  const credentialsFile = flags.credentialsFile !== undefined ? resolve(flags.credentialsFile) : (endpoints.credentialsFile ?? join(dataDir, CREDENTIALS_FILE));
  const profileName = flags.profile ?? 'default';
  const profile = parseCredentialsFile(await readFile(credentialsFile, 'utf8'))[profileName];
  if (profile?.aws_access_key_id === undefined || profile.aws_secret_access_key === undefined) throw new CliError(`${credentialsFile} has no access key in profile [${profileName}]`);
  const path = `/v1/brokers/${brokerId}/reencrypt`;
  const body = Buffer.from('{}');
  const signer = new SignatureV4({
    service: 'mq',
    region: endpoints.region ?? 'us-east-1',
    credentials: { accessKeyId: profile.aws_access_key_id, secretAccessKey: profile.aws_secret_access_key },
    sha256: NodeSha256,
  });
  const signed = await signer.sign(
    new HttpRequest({
      method: 'POST',
      protocol: 'https:',
      hostname: url.hostname,
      port: Number(url.port),
      path,
      headers: { host: url.host, 'content-type': 'application/json', 'content-length': String(body.length) },
      body,
    }),
  );
  const { status, text } = await new Promise<{ status: number; text: string }>((resolvePromise, reject) => {
    const req = httpsRequest(
      { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port), method: 'POST', path, headers: signed.headers, ...(caPem !== undefined ? { ca: caPem } : {}) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => reject(new CliError(`cannot reach SealMQ at ${url.origin}: ${error.code ?? error.message}`)));
    req.end(body);
  });
  let json: Record<string, unknown> = {};
  try {
    json = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
  } catch {
    throw new CliError(`unexpected answer from ${url.origin} (HTTP ${String(status)})`);
  }
  if (status !== 200) throw new RemoteApiError(String(json.__type ?? json.errorType ?? 'Error'), String(json.message ?? ''), status);
  return json;
}
