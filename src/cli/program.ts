// The `sealmq` command line: commands, options, help text, and how a failure is told to the user
// (one line naming the problem, a non-zero exit code; never a stack trace for an operating error).
// Building and running the components is serve.ts's; this file only reads the command line.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Command, CommanderError } from 'commander';
import { runAuditList, runAuditVerify, type AuditCommandResult } from '../audit/audit-commands.ts';
import { writeCredentialsFile } from '../identity/access-keys.ts';
import { addBrokerCommands } from './broker-commands.ts';
import { CliError, IdentityClient } from './identity-client.ts';
import { ConfigError, loadConfig, unknownEnvSettings } from '../util/config.ts';
import { createLogger } from '../util/logger.ts';
import { startSealMQ, type RunningSealMQ } from './serve.ts';

/** Where the CLI writes and how it exits; replaced in tests. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Readonly<Record<string, string | undefined>>;
  /** Called on a fatal error or a finished command. */
  exit: (code: number) => void;
  /** Registers shutdown signals; returns nothing. */
  onSignal: (signal: 'SIGINT' | 'SIGTERM', handler: () => void) => void;
}

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

const GETTING_STARTED = `
Getting started:
  sealmq serve                       start SealMQ with everything embedded, data in ./data
  sealmq serve --data-dir /var/lib/sealmq --api-port 8443

  On first start SealMQ creates, in the data directory:
    tls/ca.pem     a private CA: the certificate your clients trust
    credentials    an administrator access key (AWS shared-credentials format)
    endpoints.json the URL of every listener, written when SealMQ is ready

  Then use the AWS CLI or any AWS SDK against it, e.g.:
    AWS_SHARED_CREDENTIALS_FILE=./data/credentials aws kms list-keys \\
      --endpoint-url https://127.0.0.1:8443 --ca-bundle ./data/tls/ca.pem --region us-east-1

Settings come from a JSON file (--config), SEALMQ_* environment variables, then flags (flags win).
Run 'sealmq serve --help' for every option.`;

/** Builds the `sealmq` program. `state.serving` is set when `serve` started (the process then keeps running). */
export function buildProgram(io: CliIo, state: { serving: boolean } = { serving: false }): Command {
  const program = new Command();
  program
    .name('sealmq')
    .description('SealMQ: a self-hosted message broker with encryption at rest and in transit,\nmanaged through the Amazon MQ and AWS KMS APIs (an embedded KMS included).')
    .version('0.1.0', '-v, --version')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError('(run sealmq --help for usage)')
    .addHelpText('after', GETTING_STARTED)
    .exitOverride();

  program
    .command('serve')
    .description('start SealMQ: the HTTPS API endpoint (AWS KMS API; Amazon MQ API under /v1/), the embedded KMS and the brokers (a default one on first start)')
    .option('--config <file>', 'JSON config file with any of the settings below (env SEALMQ_* and flags override it)')
    .option('--data-dir <dir>', 'data directory (env SEALMQ_DATA_DIR, default ./data)')
    .option('--api-port <port>', 'HTTPS API port; 0 = any free port (env SEALMQ_API_PORT, default 8443)')
    .option('--amqps-port <port>', "the default broker's amqps port; 0 = any free port (env SEALMQ_AMQPS_PORT, default 5671)")
    .option('--host <address>', 'address to listen on (env SEALMQ_HOST, default 127.0.0.1)')
    .option('--region <region>', 'region in ARNs and SigV4 scopes (env SEALMQ_REGION, default us-east-1)')
    .option('--account-id <id>', '12-digit account id in ARNs (env SEALMQ_ACCOUNT_ID, default 000000000000)')
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (env SEALMQ_LOG_LEVEL, default info)')
    .option('--tls-cert-file <file>', 'serve this PEM certificate instead of the generated one (env SEALMQ_TLS_CERT_FILE)')
    .option('--tls-key-file <file>', 'private key of --tls-cert-file (env SEALMQ_TLS_KEY_FILE)')
    .addHelpText(
      'after',
      `
Environment:
  SEALMQ_ROOT_PASSPHRASE   derive the KMS root key from this passphrase (scrypt) instead of keeping
                           a key file in DATA/kms; needed again on every start
  SEALMQ_DATA_KEY_CACHE_AGE_MAX_MS, SEALMQ_API_BODY_MAX_BYTES, ...   see README for every setting

Logs are JSON lines on stdout; the ready message goes to stderr. Stop with Ctrl-C (SIGINT) or SIGTERM.`,
    )
    .action(async (flags: Record<string, string | undefined>) => {
      state.serving = true;
      await serveCommand(flags, io);
    });

  addIdentityCommands(program, io);
  addAuditCommands(program, io);
  addBrokerCommands(program, io);
  return program;
}

interface ClientFlags {
  dataDir?: string;
  endpointUrl?: string;
  caBundle?: string;
  credentialsFile?: string;
  profile?: string;
}

function withClientOptions(command: Command): Command {
  return command
    .option('--data-dir <dir>', 'data directory of the running SealMQ (env SEALMQ_DATA_DIR, default ./data)')
    .option('--endpoint-url <url>', 'API endpoint (default: from DATA/endpoints.json)')
    .option('--ca-bundle <file>', 'CA to trust (default: DATA/tls/ca.pem)')
    .option('--credentials-file <file>', 'AWS shared-credentials file (default: DATA/credentials)')
    .option('--profile <name>', 'profile in the credentials file (default: default)');
}

function dataDirOf(flags: { dataDir?: string }, io: CliIo): string {
  return resolve(flags.dataDir ?? io.env.SEALMQ_DATA_DIR ?? './data');
}

async function identityCall(flags: ClientFlags, io: CliIo, operation: string, input: Record<string, unknown>): Promise<Record<string, unknown>> {
  const client = await IdentityClient.connect({
    dataDir: dataDirOf(flags, io),
    ...(flags.endpointUrl !== undefined ? { endpointUrl: flags.endpointUrl } : {}),
    ...(flags.caBundle !== undefined ? { caFile: resolve(flags.caBundle) } : {}),
    ...(flags.credentialsFile !== undefined ? { credentialsFile: resolve(flags.credentialsFile) } : {}),
    ...(flags.profile !== undefined ? { profile: flags.profile } : {}),
  });
  return client.call(operation, input);
}

function printJson(io: CliIo, value: unknown): void {
  io.stdout(`${JSON.stringify(value, null, 2)}\n`);
}

async function readPolicyFiles(files: readonly string[]): Promise<unknown[]> {
  const policies: unknown[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(resolve(file), 'utf8');
    } catch (error) {
      throw new CliError(`cannot read the policy file ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    try {
      policies.push(JSON.parse(text));
    } catch {
      throw new CliError(`the policy file ${file} is not valid JSON`);
    }
  }
  return policies;
}

/** `sealmq principal ...` and `sealmq access-key ...`, against a running server. */
function addIdentityCommands(program: Command, io: CliIo): void {
  const principal = program.command('principal').description('API principals (IAM-style users) of a running SealMQ');
  withClientOptions(principal.command('create <name>'))
    .description('create a principal with identity policies and an access key (its secret is shown once)')
    .option('--policy-file <file>', 'IAM policy document (JSON) to attach; repeatable', (value: string, previous: string[]) => [...previous, value], [] as string[])
    .option('--no-access-key', 'do not create an access key')
    .option('--credentials-out <file>', 'also write the new key as an AWS shared-credentials file (mode 0600)')
    .action(async (name: string, flags: ClientFlags & { policyFile: string[]; accessKey: boolean; credentialsOut?: string }) => {
      const policies = await readPolicyFiles(flags.policyFile);
      const out = await identityCall(flags, io, 'CreatePrincipal', { Name: name, Policies: policies, CreateAccessKey: flags.accessKey });
      const key = out.AccessKey as { AccessKeyId: string; SecretAccessKey: string } | undefined;
      if (flags.credentialsOut !== undefined && key !== undefined) {
        await writeCredentialsFile(resolve(flags.credentialsOut), { accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey });
      }
      printJson(io, out);
      if (key !== undefined) io.stderr('The secret access key is shown only now; keep it safe.\n');
    });
  withClientOptions(principal.command('list'))
    .description('list principals and their access key ids (never secrets)')
    .action(async (flags: ClientFlags) => printJson(io, await identityCall(flags, io, 'ListPrincipals', {})));
  withClientOptions(principal.command('delete <name>'))
    .description('delete a principal and its access keys')
    .action(async (name: string, flags: ClientFlags) => {
      await identityCall(flags, io, 'DeletePrincipal', { Name: name });
      io.stderr(`deleted principal ${name}\n`);
    });

  const accessKey = program.command('access-key').description('access keys of API principals on a running SealMQ');
  withClientOptions(accessKey.command('create <principal>'))
    .description('create an access key for a principal (its secret is shown once)')
    .option('--credentials-out <file>', 'also write it as an AWS shared-credentials file (mode 0600)')
    .action(async (name: string, flags: ClientFlags & { credentialsOut?: string }) => {
      const out = await identityCall(flags, io, 'CreateAccessKey', { Name: name });
      const key = out.AccessKey as { AccessKeyId: string; SecretAccessKey: string };
      if (flags.credentialsOut !== undefined) await writeCredentialsFile(resolve(flags.credentialsOut), { accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey });
      printJson(io, out);
      io.stderr('The secret access key is shown only now; keep it safe.\n');
    });
  withClientOptions(accessKey.command('delete <accessKeyId>'))
    .description('delete an access key; requests signed with it are refused at once')
    .action(async (accessKeyId: string, flags: ClientFlags) => {
      await identityCall(flags, io, 'DeleteAccessKey', { AccessKeyId: accessKeyId });
      io.stderr(`deleted access key ${accessKeyId}\n`);
    });
}

/** `sealmq audit verify|list`: offline checks of DATA/audit (src/audit does the work). */
function addAuditCommands(program: Command, io: CliIo): void {
  const audit = program.command('audit').description('the audit trail: verify its integrity, list events');
  const finish = (result: AuditCommandResult) => {
    if (result.output !== '') (result.exitCode === 2 ? io.stderr : io.stdout)(`${result.output}\n`);
    io.exit(result.exitCode);
  };
  audit
    .command('verify')
    .description('check every audit log file against its signed digests and hash chain (exit 0 valid, 1 findings, 2 unusable)')
    .option('--data-dir <dir>', 'data directory (env SEALMQ_DATA_DIR, default ./data)')
    .option('--dir <dir>', 'the trail directory (default DATA/audit)')
    .option('--public-key <file>', 'PEM public key kept outside the trail')
    .option('--anchor <file>', 'a trail head (JSON) kept outside the trail')
    .option('--from <time>', 'ISO 8601 start')
    .option('--to <time>', 'ISO 8601 end')
    .option('--json', 'print the report as JSON')
    .action(async (flags: { dataDir?: string; dir?: string; publicKey?: string; anchor?: string; from?: string; to?: string; json?: boolean }) => {
      finish(
        await runAuditVerify({
          dir: flags.dir !== undefined ? resolve(flags.dir) : join(dataDirOf(flags, io), 'audit'),
          publicKeyFile: flags.publicKey,
          anchorFile: flags.anchor,
          from: flags.from,
          to: flags.to,
          json: flags.json,
        }),
      );
    });
  audit
    .command('list')
    .description('list audit events, oldest first')
    .option('--data-dir <dir>', 'data directory (env SEALMQ_DATA_DIR, default ./data)')
    .option('--dir <dir>', 'the trail directory (default DATA/audit)')
    .option('--since <time>', 'ISO 8601 start')
    .option('--until <time>', 'ISO 8601 end')
    .option('--event-name <name>', 'only this event name')
    .option('--limit <n>', 'at most this many events')
    .option('--json', 'one JSON event per line')
    .action(async (flags: { dataDir?: string; dir?: string; since?: string; until?: string; eventName?: string; limit?: string; json?: boolean }) => {
      const limit = flags.limit === undefined ? undefined : Number(flags.limit);
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new CliError('--limit must be a positive integer');
      finish(
        await runAuditList({
          dir: flags.dir !== undefined ? resolve(flags.dir) : join(dataDirOf(flags, io), 'audit'),
          since: flags.since,
          until: flags.until,
          eventName: flags.eventName,
          limit,
          json: flags.json,
        }),
      );
    });
}

async function serveCommand(flags: Record<string, string | undefined>, io: CliIo): Promise<void> {
  const config = loadConfig({
    ...(flags.config !== undefined ? { configFile: flags.config } : {}),
    env: io.env,
    flags: {
      dataDir: flags.dataDir,
      apiPort: flags.apiPort,
      amqpsPort: flags.amqpsPort,
      host: flags.host,
      region: flags.region,
      accountId: flags.accountId,
      logLevel: flags.logLevel,
      'tls.certFile': flags.tlsCertFile,
      'tls.keyFile': flags.tlsKeyFile,
    },
  });
  const logger = createLogger({ level: config.logLevel, base: { service: 'sealmq' } });
  const passphrase = io.env.SEALMQ_ROOT_PASSPHRASE;
  const unknown = unknownEnvSettings(io.env, ['SEALMQ_ROOT_PASSPHRASE', 'SEALMQ_DEBUG', 'SEALMQ_TEST_LOG_LEVEL']);
  if (unknown.length > 0) logger.warn({ variables: unknown }, 'ignoring SEALMQ_* environment variables that are not settings (typo?)');

  // Signals are taken from the start: a SIGTERM that arrives while starting stops SealMQ as soon as
  // it is up, instead of killing it half-way (endpoints.json is visible a moment before start returns).
  let running: RunningSealMQ | undefined;
  let stopping = false;
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    running!
      .close()
      .then(() => {
        logger.info('stopped');
        io.exit(EXIT_OK);
      })
      .catch((error: Error) => {
        io.stderr(`sealmq: error while shutting down: ${error.message}\n`);
        io.exit(EXIT_FAILURE);
      });
  };
  const onSignal = (signal: string) => {
    if (stopping) {
      io.stderr(`sealmq: ${signal} again, exiting at once\n`);
      io.exit(EXIT_FAILURE);
      return;
    }
    stopping = true;
    if (running !== undefined) shutdown(signal);
  };
  io.onSignal('SIGINT', () => onSignal('SIGINT'));
  io.onSignal('SIGTERM', () => onSignal('SIGTERM'));

  try {
    running = await startSealMQ({ config, logger, ...(passphrase !== undefined ? { rootPassphrase: passphrase } : {}) });
  } catch (error) {
    logger.flush?.();
    throw error;
  }
  if (stopping) {
    shutdown('signal during start');
    return;
  }
  const { endpoints } = running;
  const lines = [
    '',
    'SealMQ is ready.',
    `  API endpoint:        ${endpoints.api}   (AWS KMS API; Amazon MQ API under /v1/; GET /health)`,
    ...(endpoints.caFile !== undefined ? [`  CA to trust:         ${endpoints.caFile}`] : []),
    `  Admin credentials:   ${endpoints.credentialsFile}${running.createdAdministrator !== undefined ? '   (created now)' : ''}`,
    ...(endpoints.amqps !== undefined
      ? [
          `  Default broker:      ${endpoints.amqps}   (RabbitMQ engine, AMQP 0-9-1 over TLS; broker ${endpoints.brokerId})`,
          `  Broker credentials:  ${endpoints.brokerCredentialsFile}   (username= and password=)`,
        ]
      : []),
    '',
    'Try it with the AWS CLI:',
    `  AWS_SHARED_CREDENTIALS_FILE=${endpoints.credentialsFile} aws kms list-keys --endpoint-url ${endpoints.api}${endpoints.caFile !== undefined ? ` --ca-bundle ${endpoints.caFile}` : ''} --region ${endpoints.region}`,
    `  AWS_SHARED_CREDENTIALS_FILE=${endpoints.credentialsFile} aws mq list-brokers --endpoint-url ${endpoints.api}${endpoints.caFile !== undefined ? ` --ca-bundle ${endpoints.caFile}` : ''} --region ${endpoints.region}`,
    '',
    'Stop with Ctrl-C.',
    '',
  ];
  io.stderr(lines.join('\n'));
}

/** Operating errors are told in one line; anything else is a bug and keeps its stack. */
export function describeError(error: unknown): { message: string; code: number; isBug: boolean } {
  if (error instanceof ConfigError) return { message: error.message, code: EXIT_USAGE, isBug: false };
  if (error instanceof Error) {
    const known = ['RootKeyError', 'SealedFileError', 'CertificateError', 'PrincipalError', 'KmsStoreError', 'DataDirError', 'ListenError', 'CliError', 'RemoteApiError'];
    if (known.includes(error.name)) {
      const hint = error.name === 'SealedFileError' || error.name === 'KmsStoreError' ? ' (nothing was changed; SealMQ never replaces damaged data)' : '';
      return { message: `${error.message}${hint}`, code: EXIT_FAILURE, isBug: false };
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return { message: error.message, code: EXIT_FAILURE, isBug: false };
    return { message: error.message, code: EXIT_FAILURE, isBug: true };
  }
  return { message: String(error), code: EXIT_FAILURE, isBug: true };
}

/** Runs the CLI with `argv` (process.argv shape). */
export async function runCli(argv: readonly string[], rawIo: CliIo): Promise<void> {
  let exited = false;
  const io: CliIo = {
    ...rawIo,
    exit: (code) => {
      if (exited) return;
      exited = true;
      rawIo.exit(code);
    },
  };
  const state = { serving: false };
  const program = buildProgram(io, state);
  try {
    await program.parseAsync([...argv]);
    // One-shot commands end here (an idle keep-alive socket must not hold the process).
    if (!state.serving) io.exit(EXIT_OK);
  } catch (error) {
    if (error instanceof CommanderError) {
      io.exit(error.exitCode === 0 ? EXIT_OK : EXIT_USAGE);
      return;
    }
    const { message, code, isBug } = describeError(error);
    io.stderr(`sealmq: ${message}\n`);
    if (isBug && error instanceof Error && error.stack !== undefined && io.env.SEALMQ_DEBUG === '1') io.stderr(`${error.stack}\n`);
    else if (isBug) io.stderr('sealmq: this looks like a bug; run with SEALMQ_DEBUG=1 for details\n');
    io.exit(code);
  }
}
