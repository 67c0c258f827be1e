import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createLogger, REDACTED } from './logger.ts';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(...chunk.toString('utf8').split('\n').filter((l) => l !== ''));
      callback();
    },
  });
  return { lines, destination };
}

describe('createLogger', () => {
  it('writes structured JSON with the level as a word', () => {
    const { lines, destination } = capture();
    createLogger({ level: 'info', destination }).info({ port: 8443 }, 'listening');
    const line = JSON.parse(lines[0]!);
    assert.equal(line.level, 'info');
    assert.equal(line.msg, 'listening');
    assert.equal(line.port, 8443);
    assert.match(line.time, /^\d{4}-\d\d-\d\dT/);
  });

  it('redacts secrets at the top level and nested, keeping the rest', () => {
    const { lines, destination } = capture();
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    createLogger({ level: 'info', destination }).info(
      {
        secretAccessKey: secret,
        req: { headers: { authorization: `AWS4-HMAC-SHA256 Credential=AKIA..., Signature=${secret}`, host: 'localhost' } },
        input: { Plaintext: 'aGVsbG8=', KeyId: 'alias/x', GrantTokens: ['tok'] },
        password: 'hunter2',
      },
      'request',
    );
    const text = lines.join('\n');
    assert.ok(!text.includes(secret), 'secret key not logged');
    assert.ok(!text.includes('hunter2'));
    assert.ok(!text.includes('aGVsbG8='));
    assert.ok(!text.includes('"tok"'));
    const line = JSON.parse(lines[0]!);
    assert.equal(line.secretAccessKey, REDACTED);
    assert.equal(line.req.headers.authorization, REDACTED);
    assert.equal(line.req.headers.host, 'localhost');
    assert.equal(line.input.KeyId, 'alias/x');
    assert.equal(line.input.Plaintext, REDACTED);
  });

  it('redacts in child loggers too', () => {
    const { lines, destination } = capture();
    createLogger({ level: 'info', destination }).child({ component: 'kms' }).info({ passphrase: 'open sesame' }, 'x');
    assert.ok(!lines.join('').includes('open sesame'));
  });

  it('writes nothing below its level', () => {
    const { lines, destination } = capture();
    createLogger({ level: 'warn', destination }).info('quiet');
    assert.equal(lines.length, 0);
  });
});
