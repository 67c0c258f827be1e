import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, loadConfig, unknownEnvSettings } from './config.ts';

const dir = mkdtempSync(join(tmpdir(), 'sealmq-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function writeConfig(name: string, value: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
  return path;
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a ConfigError');
}

describe('loadConfig', () => {
  it("amqpsPort (the default broker's amqps port): 5671 by default, SEALMQ_AMQPS_PORT and --amqps-port override it, 0 allowed", () => {
    assert.equal(loadConfig({ env: {} }).amqpsPort, 5671);
    assert.equal(loadConfig({ env: { SEALMQ_AMQPS_PORT: '0' } }).amqpsPort, 0);
    assert.equal(loadConfig({ env: { SEALMQ_AMQPS_PORT: '5000' }, flags: { amqpsPort: '5001' } }).amqpsPort, 5001);
    const error = configError(() => loadConfig({ env: { SEALMQ_AMQPS_PORT: '70000' } }));
    assert.equal(error.message, 'invalid setting amqpsPort (SEALMQ_AMQPS_PORT): expected an integer 0..65535');
  });

  it('fills every default when nothing is given', () => {
    const config = loadConfig({ env: {}, cwd: '/srv' });
    assert.equal(config.dataDir, '/srv/data');
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.apiPort, 8443);
    assert.equal(config.region, 'us-east-1');
    assert.equal(config.accountId, '000000000000');
    assert.equal(config.logLevel, 'info');
    assert.equal(config.limits.apiBodyMaxBytes, 1024 * 1024);
    assert.equal(config.tls.certFile, undefined);
    assert.equal(config.tls.serverCertRenewBeforeDays, 30);
    assert.equal(config.dataKeyCacheAgeMaxMs, 300_000);
  });

  it('takes flags over environment over config file', () => {
    const file = writeConfig('precedence.json', { apiPort: 1111, host: '0.0.0.0', region: 'eu-west-1', limits: { apiBodyMaxBytes: 4096 } });
    const env = { SEALMQ_API_PORT: '2222', SEALMQ_HOST: '::1' };
    const config = loadConfig({ configFile: file, env, flags: { apiPort: '3333' }, cwd: dir });
    assert.equal(config.apiPort, 3333, 'flag wins');
    assert.equal(config.host, '::1', 'env wins over file');
    assert.equal(config.region, 'eu-west-1', 'file wins over default');
    assert.equal(config.limits.apiBodyMaxBytes, 4096);
    assert.equal(config.limits.apiHeadersTimeoutMs, 10_000, 'nested defaults kept beside file values');
  });

  it('resolves a relative dataDir from the file against the file folder, from env against cwd', () => {
    const file = writeConfig('paths.json', { dataDir: 'state' });
    assert.equal(loadConfig({ configFile: file, env: {}, cwd: '/elsewhere' }).dataDir, join(dir, 'state'));
    assert.equal(loadConfig({ configFile: file, env: { SEALMQ_DATA_DIR: 'd2' }, cwd: '/elsewhere' }).dataDir, '/elsewhere/d2');
  });

  it('names the setting and the env var for a non-integer port', () => {
    const error = configError(() => loadConfig({ env: { SEALMQ_API_PORT: 'http' } }));
    assert.equal(error.message, 'invalid setting apiPort (SEALMQ_API_PORT): expected an integer 0..65535');
  });

  it('names the flag for an out-of-range port', () => {
    const error = configError(() => loadConfig({ env: {}, flags: { apiPort: '70000' } }));
    assert.equal(error.message, 'invalid setting apiPort (--api-port): expected an integer 0..65535');
  });

  it('names the config file for a bad value in it', () => {
    const file = writeConfig('bad-account.json', { accountId: '123' });
    const error = configError(() => loadConfig({ configFile: file, env: {} }));
    assert.equal(error.setting, 'accountId');
    assert.match(error.message, /invalid setting accountId \(config file .*bad-account\.json\): expected 12 digits/);
  });

  it('refuses an unknown setting (a typo) in the file', () => {
    const file = writeConfig('typo.json', { apiPrt: 1 });
    assert.match(configError(() => loadConfig({ configFile: file, env: {} })).message, /invalid setting apiPrt .*unknown setting/);
    const nested = writeConfig('typo2.json', { limits: { bodyMax: 1 } });
    assert.equal(configError(() => loadConfig({ configFile: nested, env: {} })).setting, 'limits.bodyMax');
  });

  it('refuses a bad log level, a bad region, a data-key cache age out of range', () => {
    assert.match(configError(() => loadConfig({ env: { SEALMQ_LOG_LEVEL: 'loud' } })).message, /logLevel \(SEALMQ_LOG_LEVEL\): expected one of fatal/);
    assert.match(configError(() => loadConfig({ env: { SEALMQ_REGION: 'Mars' } })).message, /region \(SEALMQ_REGION\)/);
    assert.match(
      configError(() => loadConfig({ env: { SEALMQ_DATA_KEY_CACHE_AGE_MAX_MS: '-1' } })).message,
      /dataKeyCacheAgeMaxMs \(SEALMQ_DATA_KEY_CACHE_AGE_MAX_MS\): expected an integer 0\.\./,
    );
  });

  it('requires a certificate and its key together', () => {
    const error = configError(() => loadConfig({ env: { SEALMQ_TLS_CERT_FILE: '/x/cert.pem' } }));
    assert.match(error.message, /tls\.certFile \(SEALMQ_TLS_CERT_FILE\): certFile and keyFile must be given together/);
    const ok = loadConfig({ env: { SEALMQ_TLS_CERT_FILE: '/x/cert.pem', SEALMQ_TLS_KEY_FILE: '/x/key.pem' } });
    assert.equal(ok.tls.keyFile, '/x/key.pem');
  });

  it('reports a missing or malformed config file', () => {
    assert.match(configError(() => loadConfig({ configFile: join(dir, 'absent.json') })).message, /config file .*absent\.json\): file not found/);
    const broken = writeConfig('broken.json', '{"apiPort": ');
    assert.match(configError(() => loadConfig({ configFile: broken })).message, /not valid JSON/);
    const list = writeConfig('list.json', '[1]');
    assert.match(configError(() => loadConfig({ configFile: list })).message, /expected a JSON object/);
  });

  it('takes a wrong type in the file as a named error', () => {
    const file = writeConfig('wrongtype.json', { apiPort: '8443' });
    assert.match(configError(() => loadConfig({ configFile: file, env: {} })).message, /invalid setting apiPort \(config file .*\): expected an integer 0\.\.65535/);
  });

  it('names SEALMQ_* variables that are not settings (typos)', () => {
    assert.deepEqual(unknownEnvSettings({ SEALMQ_APIPORT: '1', SEALMQ_API_PORT: '2', SEALMQ_ROOT_PASSPHRASE: 'x', HOME: '/' }, ['SEALMQ_ROOT_PASSPHRASE']), ['SEALMQ_APIPORT']);
  });

  it('refuses a headers timeout longer than the request timeout', () => {
    const error = configError(() => loadConfig({ env: { SEALMQ_API_HEADERS_TIMEOUT_MS: '60000', SEALMQ_API_REQUEST_TIMEOUT_MS: '30000' } }));
    assert.equal(error.message, 'invalid setting limits.apiHeadersTimeoutMs (SEALMQ_API_HEADERS_TIMEOUT_MS): must not exceed limits.apiRequestTimeoutMs');
  });
});
