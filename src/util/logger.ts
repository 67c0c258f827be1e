// Structured JSON logging (pino) with the redaction of secrets configured in one place. The logger
// is made by the composition root and handed down (child loggers per component); there is no
// module-level logger. Redaction is a safety net: code still never logs secrets on purpose.
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Field names whose values are never written to a log, at any of the first three levels of nesting. */
export const REDACTED_FIELDS = [
  'authorization',
  'Authorization',
  'password',
  'Password',
  'passphrase',
  'secret',
  'secretAccessKey',
  'SecretAccessKey',
  'aws_secret_access_key',
  'sessionToken',
  'SessionToken',
  'x-amz-security-token',
  'token',
  'Token',
  'GrantToken',
  'GrantTokens',
  'grantTokens',
  'Plaintext',
  'plaintext',
  'plaintextDataKey',
  'plaintextRootKey',
  'privateKey',
  'keyPem',
  'cookie',
  'Cookie',
  'set-cookie',
  'totpSecret',
] as const;

export const REDACTED = '[REDACTED]';

function redactPaths(): string[] {
  const paths: string[] = [];
  for (const field of REDACTED_FIELDS) {
    const key = /^[A-Za-z_$][\w$]*$/.test(field) ? field : `["${field}"]`;
    const join = (prefix: string) => (key.startsWith('[') ? `${prefix}${key}` : `${prefix}.${key}`);
    paths.push(key.startsWith('[') ? key.slice(2, -2) : key, join('*'), join('*.*'));
  }
  return paths;
}

export interface LoggerOptions {
  level: LogLevel;
  /** Where lines go; default stdout. Tests pass a stream to read them back. */
  destination?: DestinationStream;
  /** Fields bound to every line, e.g. `{ service: 'sealmq' }`. */
  base?: Record<string, unknown>;
}

/** A JSON logger with secrets redacted. */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { pid: process.pid, ...options.base },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: redactPaths(), censor: REDACTED },
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

/** A logger that writes nothing, for tests and library defaults. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
