// Every setting of `sealmq serve`, its default and its validation, and how the three sources are
// merged: a JSON config file (`--config`), overridden by SEALMQ_* environment variables, overridden
// by command-line flags. A bad value stops the start with a ConfigError that names the setting and
// where the value came from. What the settings mean is left to the components they are handed to.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';

const intIn = (min: number, max: number) => {
  const error = `expected an integer ${min}..${max}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
};
const nonEmpty = (what: string) => z.string({ error: `expected ${what}` }).min(1, { error: `expected ${what}` });

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const TlsSchema = z
  .strictObject({
    /** PEM certificate chain to serve instead of the generated one. */
    certFile: nonEmpty('a file path').optional(),
    /** PEM private key of certFile. */
    keyFile: nonEmpty('a file path').optional(),
    /** Regenerate the generated server certificate when it expires within this many days. */
    serverCertRenewBeforeDays: intIn(1, 365).default(30),
  })
  .refine((tls) => (tls.certFile === undefined) === (tls.keyFile === undefined), {
    error: 'certFile and keyFile must be given together',
    path: ['certFile'],
  });

const LimitsSchema = z.strictObject({
  /** Largest API request body accepted; larger ones get 413 without being buffered. */
  apiBodyMaxBytes: intIn(1024, 64 * 1024 * 1024).default(1024 * 1024),
  /** Time allowed for a client to send the request headers. */
  apiHeadersTimeoutMs: intIn(1000, 600_000).default(10_000),
  /** Time allowed for a whole request (headers and body). */
  apiRequestTimeoutMs: intIn(1000, 3_600_000).default(30_000),
  /** Idle time before a kept-alive connection is closed. */
  apiKeepAliveTimeoutMs: intIn(100, 600_000).default(5_000),
  /** Most concurrent connections to the API endpoint. */
  apiConnectionsMax: intIn(1, 1_000_000).default(1024),
}).refine((limits) => limits.apiHeadersTimeoutMs <= limits.apiRequestTimeoutMs, {
  error: 'must not exceed limits.apiRequestTimeoutMs',
  path: ['apiHeadersTimeoutMs'],
});

export const ConfigSchema = z.strictObject({
  /** Where SealMQ keeps everything: keys, certificates, credentials, data. */
  dataDir: nonEmpty('a directory path').default('./data'),
  /** Address every listener binds to. */
  host: nonEmpty('a host name or IP address').default('127.0.0.1'),
  /** Port of the HTTPS control-plane endpoint (KMS and Amazon MQ APIs); 0 = any free port. */
  apiPort: intIn(0, 65535).default(8443),
  /** Port of the default broker's amqps listener (RabbitMQ engine); 0 = any free port. */
  amqpsPort: intIn(0, 65535).default(5671),
  /** Region in ARNs and the SigV4 credential scope. */
  region: z
    .string({ error: 'expected a region name like us-east-1' })
    .regex(/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/, { error: 'expected a region name like us-east-1' })
    .default('us-east-1'),
  /** The 12-digit account id in ARNs. */
  accountId: z
    .string({ error: 'expected 12 digits' })
    .regex(/^\d{12}$/, { error: 'expected 12 digits' })
    .default('000000000000'),
  logLevel: z.enum(LOG_LEVELS, { error: `expected one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  tls: TlsSchema.prefault({}),
  limits: LimitsSchema.prefault({}),
  /** How long a plaintext data key may stay cached; bounds how late a disabled key takes effect. 0 = no cache. */
  dataKeyCacheAgeMaxMs: intIn(0, 24 * 3_600_000).default(300_000),
  /** How often brokers re-check that their KMS key is still usable. */
  keyCheckIntervalMs: intIn(1000, 24 * 3_600_000).default(60_000),
  /** How often the audit trail seals what was written with a signed digest (empty intervals too). */
  auditDigestIntervalMs: intIn(100, 24 * 3_600_000).default(15 * 60_000),
});

/** The validated settings, defaults filled in, paths absolute. */
export type Config = z.infer<typeof ConfigSchema>;

type Kind = 'string' | 'int';

interface SettingSpec {
  /** Dotted path in Config. */
  readonly path: string;
  readonly env: string;
  /** Command-line flag, where there is one. */
  readonly flag?: string;
  readonly kind: Kind;
  /** A relative path value is resolved against the config file's folder (file) or the working directory. */
  readonly isPath?: boolean;
}

/** The settings that environment variables and flags can set, with their names. */
export const SETTINGS: readonly SettingSpec[] = [
  { path: 'dataDir', env: 'SEALMQ_DATA_DIR', flag: '--data-dir', kind: 'string', isPath: true },
  { path: 'host', env: 'SEALMQ_HOST', flag: '--host', kind: 'string' },
  { path: 'apiPort', env: 'SEALMQ_API_PORT', flag: '--api-port', kind: 'int' },
  { path: 'amqpsPort', env: 'SEALMQ_AMQPS_PORT', flag: '--amqps-port', kind: 'int' },
  { path: 'region', env: 'SEALMQ_REGION', flag: '--region', kind: 'string' },
  { path: 'accountId', env: 'SEALMQ_ACCOUNT_ID', flag: '--account-id', kind: 'string' },
  { path: 'logLevel', env: 'SEALMQ_LOG_LEVEL', flag: '--log-level', kind: 'string' },
  { path: 'tls.certFile', env: 'SEALMQ_TLS_CERT_FILE', flag: '--tls-cert-file', kind: 'string', isPath: true },
  { path: 'tls.keyFile', env: 'SEALMQ_TLS_KEY_FILE', flag: '--tls-key-file', kind: 'string', isPath: true },
  { path: 'tls.serverCertRenewBeforeDays', env: 'SEALMQ_TLS_SERVER_CERT_RENEW_BEFORE_DAYS', kind: 'int' },
  { path: 'limits.apiBodyMaxBytes', env: 'SEALMQ_API_BODY_MAX_BYTES', kind: 'int' },
  { path: 'limits.apiHeadersTimeoutMs', env: 'SEALMQ_API_HEADERS_TIMEOUT_MS', kind: 'int' },
  { path: 'limits.apiRequestTimeoutMs', env: 'SEALMQ_API_REQUEST_TIMEOUT_MS', kind: 'int' },
  { path: 'limits.apiKeepAliveTimeoutMs', env: 'SEALMQ_API_KEEP_ALIVE_TIMEOUT_MS', kind: 'int' },
  { path: 'limits.apiConnectionsMax', env: 'SEALMQ_API_CONNECTIONS_MAX', kind: 'int' },
  { path: 'dataKeyCacheAgeMaxMs', env: 'SEALMQ_DATA_KEY_CACHE_AGE_MAX_MS', kind: 'int' },
  { path: 'keyCheckIntervalMs', env: 'SEALMQ_KEY_CHECK_INTERVAL_MS', kind: 'int' },
  { path: 'auditDigestIntervalMs', env: 'SEALMQ_AUDIT_DIGEST_INTERVAL_MS', kind: 'int' },
];

/** SEALMQ_* variables that are not settings (nor one of `alsoKnown`): likely typos, worth a warning. */
export function unknownEnvSettings(env: Readonly<Record<string, string | undefined>>, alsoKnown: readonly string[] = []): string[] {
  const known = new Set([...SETTINGS.map((s) => s.env), ...alsoKnown]);
  return Object.keys(env)
    .filter((name) => name.startsWith('SEALMQ_') && !known.has(name))
    .sort();
}

/** A setting could not be read or is invalid; the start must stop. */
export class ConfigError extends Error {
  readonly code = 'INVALID_CONFIG';
  constructor(
    /** Dotted setting path, or undefined for a problem with the config file as a whole. */
    readonly setting: string | undefined,
    /** Where the bad value came from: an env var name, a flag, `config file <path>` or `default`. */
    readonly source: string,
    readonly problem: string,
  ) {
    super(setting === undefined ? `invalid config (${source}): ${problem}` : `invalid setting ${setting} (${source}): ${problem}`);
    this.name = 'ConfigError';
  }
}

export interface ConfigSources {
  /** Path of a JSON config file (`--config`). */
  configFile?: string;
  /** Environment; only SEALMQ_* variables listed in SETTINGS are read. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Flag values as the CLI parsed them, keyed by setting path (e.g. `{ apiPort: '0' }`). */
  flags?: Readonly<Record<string, string | number | undefined>>;
  /** Folder relative paths from env and flags are resolved against; default process.cwd(). */
  cwd?: string;
}

/** Merges file < env < flags, validates, fills defaults and resolves paths. Throws ConfigError. */
export function loadConfig(sources: ConfigSources = {}): Config {
  const cwd = sources.cwd ?? process.cwd();
  const merged: Record<string, unknown> = {};
  const origin = new Map<string, string>();

  if (sources.configFile !== undefined) {
    const filePath = resolve(cwd, sources.configFile);
    const fileSource = `config file ${filePath}`;
    const fromFile = readConfigFile(filePath, fileSource);
    for (const [path, value] of flatten(fromFile)) {
      const spec = SETTINGS.find((s) => s.path === path);
      const resolved = spec?.isPath === true && typeof value === 'string' && !isAbsolute(value) ? resolve(dirname(filePath), value) : value;
      setPath(merged, path, resolved);
      origin.set(path, fileSource);
    }
  }

  for (const spec of SETTINGS) {
    const raw = sources.env?.[spec.env];
    if (raw === undefined || raw === '') continue;
    setPath(merged, spec.path, coerce(spec, raw, spec.env, cwd));
    origin.set(spec.path, spec.env);
  }

  for (const spec of SETTINGS) {
    const raw = sources.flags?.[spec.path];
    if (raw === undefined) continue;
    const source = spec.flag ?? `flag ${spec.path}`;
    setPath(merged, spec.path, coerce(spec, String(raw), source, cwd));
    origin.set(spec.path, source);
  }

  const parsed = ConfigSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.map(String).join('.');
    const isUnknown = issue.code === 'unrecognized_keys';
    if (isUnknown) {
      const keys = (issue as { keys?: string[] }).keys ?? [];
      const name = [path, keys[0] ?? ''].filter((p) => p !== '').join('.');
      throw new ConfigError(name, sourceOf(origin, name), 'unknown setting');
    }
    throw new ConfigError(path === '' ? undefined : path, sourceOf(origin, path), issue.message);
  }
  const config = parsed.data;
  config.dataDir = resolve(cwd, config.dataDir);
  if (config.tls.certFile !== undefined) config.tls.certFile = resolve(cwd, config.tls.certFile);
  if (config.tls.keyFile !== undefined) config.tls.keyFile = resolve(cwd, config.tls.keyFile);
  return config;
}

function sourceOf(origin: Map<string, string>, path: string): string {
  const exact = origin.get(path);
  if (exact !== undefined) return exact;
  // An unknown key or a cross-field rule: name the source of any value under that path.
  for (const [p, source] of origin) if (p.startsWith(`${path}.`) || path.startsWith(`${p}.`)) return source;
  for (const source of origin.values()) if (source.startsWith('config file')) return source;
  return 'default';
}

function readConfigFile(filePath: string, source: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(filePath, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(undefined, source, code === 'ENOENT' ? 'file not found' : `cannot read the file (${code ?? 'error'})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(undefined, source, `not valid JSON (${(error as Error).message})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(undefined, source, 'expected a JSON object of settings');
  }
  return value as Record<string, unknown>;
}

/** Leaf values of a parsed config file, as dotted paths (objects one level deep: tls, limits). */
function flatten(value: Record<string, unknown>, prefix = ''): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const [key, child] of Object.entries(value)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (child !== null && typeof child === 'object' && !Array.isArray(child) && prefix === '') out.push(...flatten(child as Record<string, unknown>, path));
    else out.push([path, child]);
  }
  return out;
}

function coerce(spec: SettingSpec, raw: string, source: string, cwd: string): string | number {
  if (spec.kind === 'int') {
    const text = raw.trim();
    if (!/^-?\d+$/.test(text)) {
      // Let the schema word the message with the range it expects.
      const probe = ConfigSchema.safeParse(setPath({}, spec.path, Number.NaN));
      const message = probe.success ? 'expected an integer' : (probe.error.issues[0]?.message ?? 'expected an integer');
      throw new ConfigError(spec.path, source, message);
    }
    return Number(text);
  }
  return spec.isPath === true && raw !== '' ? resolve(cwd, raw) : raw;
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1]!] = value;
  return target;
}
