import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RootKeyError } from '../crypto/root-key.ts';
import { ConfigError } from '../util/config.ts';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, describeError, runCli, type CliIo } from './program.ts';

function fakeIo(env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const exits: number[] = [];
  const io: CliIo = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    env,
    exit: (code) => exits.push(code),
    onSignal: () => undefined,
  };
  return { io, out, err, exits };
}

describe('sealmq command line', () => {
  it('--help tells a newcomer what to run and where the credentials and CA are', async () => {
    const { io, out, exits } = fakeIo();
    await runCli(['node', 'sealmq', '--help'], io);
    const text = out.join('');
    assert.match(text, /sealmq serve/);
    assert.match(text, /tls\/ca\.pem/);
    assert.match(text, /credentials/);
    assert.match(text, /aws kms list-keys/);
    assert.deepEqual(exits, [EXIT_OK]);
  });

  it('serve --help lists every option with its env variable and default', async () => {
    const { io, out } = fakeIo();
    await runCli(['node', 'sealmq', 'serve', '--help'], io);
    const text = out.join('');
    for (const option of ['--data-dir', '--api-port', '--host', '--config', 'SEALMQ_DATA_DIR', 'SEALMQ_ROOT_PASSPHRASE', 'default 8443']) assert.ok(text.includes(option), option);
  });

  it('an unknown command is a usage error', async () => {
    const { io, err, exits } = fakeIo();
    await runCli(['node', 'sealmq', 'srve'], io);
    assert.deepEqual(exits, [EXIT_USAGE]);
    assert.match(err.join(''), /unknown command/);
  });

  it('a bad setting is one line naming it, exit 2, and nothing is started', async () => {
    const { io, err, exits } = fakeIo({ SEALMQ_LOG_LEVEL: 'silent' });
    await runCli(['node', 'sealmq', 'serve', '--api-port', '-3', '--data-dir', '/nonexistent/never'], io);
    assert.deepEqual(exits, [EXIT_USAGE]);
    assert.equal(err.join(''), 'sealmq: invalid setting apiPort (--api-port): expected an integer 0..65535\n');
  });

  it('operating errors are told without a stack; unknown errors are called bugs', () => {
    assert.deepEqual(describeError(new ConfigError('apiPort', 'SEALMQ_API_PORT', 'expected an integer 0..65535')), {
      message: 'invalid setting apiPort (SEALMQ_API_PORT): expected an integer 0..65535',
      code: EXIT_USAGE,
      isBug: false,
    });
    const wrong = describeError(new RootKeyError('WRONG_PASSPHRASE', 'the root passphrase is not the one it was created with'));
    assert.equal(wrong.isBug, false);
    assert.equal(wrong.code, EXIT_FAILURE);
    assert.equal(describeError(new TypeError('x is undefined')).isBug, true);
  });

  it('audit verify on a data directory without a trail is exit 2 with a message', async () => {
    const { io, err, out, exits } = fakeIo();
    await runCli(['node', 'sealmq', 'audit', 'verify', '--data-dir', '/nonexistent/sealmq-data'], io);
    assert.deepEqual(exits, [2]);
    assert.match(err.join('') + out.join(''), /\/nonexistent\/sealmq-data\/audit/);
  });
});
