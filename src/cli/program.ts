// The `sealmq` command line: commands, options, help text, and how a failure is told to the user
// (one line naming the problem, a non-zero exit code; never a stack trace for an operating error).
// Building and running the components is serve.ts's; this file only reads the command line.
import { Command, CommanderError } from 'commander';
import { ConfigError, loadConfig } from '../util/config.ts';
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

/** Builds the `sealmq` program. */
export function buildProgram(io: CliIo): Command {
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
    .description('start SealMQ: the HTTPS API endpoint (AWS KMS API; Amazon MQ API under /v1/) and the embedded KMS')
    .option('--config <file>', 'JSON config file with any of the settings below (env SEALMQ_* and flags override it)')
    .option('--data-dir <dir>', 'data directory (env SEALMQ_DATA_DIR, default ./data)')
    .option('--api-port <port>', 'HTTPS API port; 0 = any free port (env SEALMQ_API_PORT, default 8443)')
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
      await serveCommand(flags, io);
    });

  // TODO(issue 5): `sealmq principal create|list|delete` and `sealmq access-key create|delete`,
  // over the SealMQIdentity API of a running server (src/identity/identity-api.ts).
  return program;
}

async function serveCommand(flags: Record<string, string | undefined>, io: CliIo): Promise<void> {
  const config = loadConfig({
    ...(flags.config !== undefined ? { configFile: flags.config } : {}),
    env: io.env,
    flags: {
      dataDir: flags.dataDir,
      apiPort: flags.apiPort,
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
    `  API endpoint:        ${endpoints.api}   (AWS KMS API; GET /health)`,
    ...(endpoints.caFile !== undefined ? [`  CA to trust:         ${endpoints.caFile}`] : []),
    `  Admin credentials:   ${endpoints.credentialsFile}${running.createdAdministrator !== undefined ? '   (created now)' : ''}`,
    '',
    'Try it with the AWS CLI:',
    `  AWS_SHARED_CREDENTIALS_FILE=${endpoints.credentialsFile} aws kms list-keys --endpoint-url ${endpoints.api}${endpoints.caFile !== undefined ? ` --ca-bundle ${endpoints.caFile}` : ''} --region ${endpoints.region}`,
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
    const known = ['RootKeyError', 'SealedFileError', 'CertificateError', 'PrincipalError', 'KmsStoreError', 'DataDirError', 'ListenError'];
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
export async function runCli(argv: readonly string[], io: CliIo): Promise<void> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv]);
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
