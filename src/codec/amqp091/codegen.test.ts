import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { generate, loadSpec, OUTPUT_PATH, type Spec } from '../../../scripts/gen-amqp091.ts';

const REPO_ROOT = resolve(import.meta.dirname, '../../..');
const SPEC_PATH = process.env.AMQP091_SPEC ?? resolve(REPO_ROOT, '../shared/specs/amqp-rabbitmq-0.9.1.json');
const haveSpec = existsSync(SPEC_PATH);
const GENERATOR = join(REPO_ROOT, 'scripts/gen-amqp091.ts');

function runGenerator(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', GENERATOR, ...args], { cwd: REPO_ROOT, encoding: 'utf8' });
}

describe('codegen', { skip: haveSpec ? false : `spec not found at ${SPEC_PATH}` }, () => {
  it('the committed generated.ts is what the generator makes from the spec', () => {
    const committed = readFileSync(join(REPO_ROOT, OUTPUT_PATH), 'utf8');
    assert.ok(generate(loadSpec(SPEC_PATH)) === committed, 'generated.ts is stale: run `npm run codegen`');
  });

  it('is deterministic', () => {
    const spec = loadSpec(SPEC_PATH);
    assert.equal(generate(spec), generate(structuredClone(spec)));
  });

  it('--check passes on the committed output, fails on a changed spec, and skips without a spec', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gen-amqp091-'));
    try {
      const ok = runGenerator(['--check']);
      assert.equal(ok.status, 0, ok.stderr);
      assert.match(ok.stdout, /up to date/);

      const spec: Spec = loadSpec(SPEC_PATH);
      spec.classes.find((c) => c.name === 'basic')!.methods.push({ name: 'frobnicate', id: 200, arguments: [] });
      const changed = join(dir, 'changed.json');
      writeFileSync(changed, JSON.stringify(spec));
      const stale = runGenerator(['--check', '--spec', changed]);
      assert.equal(stale.status, 1);
      assert.match(stale.stderr, /stale.*npm run codegen/s);

      const missing = runGenerator(['--check', '--spec', join(dir, 'absent.json')]);
      assert.equal(missing.status, 0, missing.stderr);
      assert.match(missing.stdout, /spec not found.*skipping/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a spec with duplicate method ids', () => {
    const spec = loadSpec(SPEC_PATH);
    const basic = spec.classes.find((c) => c.name === 'basic')!;
    basic.methods.push({ ...basic.methods[0]!, name: 'qos-again' });
    assert.throws(() => generate(spec), /duplicate method id \(60, 10\)/);
  });
});
