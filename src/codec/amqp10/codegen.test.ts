import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { generate, loadSpec, OUTPUT_PATH, parseXml, SPEC_FILES } from '../../../scripts/gen-amqp10.ts';

const REPO_ROOT = resolve(import.meta.dirname, '../../..');
const SPEC_DIR = process.env.AMQP10_SPEC ?? resolve(REPO_ROOT, '../shared/specs/amqp-1.0');
const haveSpec = existsSync(SPEC_DIR);
const GENERATOR = join(REPO_ROOT, 'scripts/gen-amqp10.ts');

function runGenerator(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', GENERATOR, ...args], { cwd: REPO_ROOT, encoding: 'utf8' });
}

describe('codegen amqp10', { skip: haveSpec ? false : `spec not found at ${SPEC_DIR}` }, () => {
  it('the committed generated.ts is what the generator makes from the spec', () => {
    const committed = readFileSync(join(REPO_ROOT, OUTPUT_PATH), 'utf8');
    assert.ok(generate(loadSpec(SPEC_DIR)) === committed, 'generated.ts is stale: run `npm run codegen:amqp10`');
  });

  it('is deterministic', () => {
    assert.equal(generate(loadSpec(SPEC_DIR)), generate(loadSpec(SPEC_DIR)));
  });

  it('--check passes on the committed output, fails on a changed spec, and skips without a spec', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gen-amqp10-'));
    try {
      const ok = runGenerator(['--check']);
      assert.equal(ok.status, 0, ok.stderr);
      assert.match(ok.stdout, /up to date/);

      const changed = join(dir, 'changed');
      cpSync(SPEC_DIR, changed, { recursive: true });
      const transport = join(changed, 'transport.xml');
      chmodSync(transport, 0o644);
      writeFileSync(transport, readFileSync(transport, 'utf8').replace('<field name="hostname" type="string"/>', ''));
      const stale = runGenerator(['--check', '--spec', changed]);
      assert.equal(stale.status, 1);
      assert.match(stale.stderr, /stale.*npm run codegen:amqp10/s);

      const missing = runGenerator(['--check', '--spec', join(dir, 'absent')]);
      assert.equal(missing.status, 0, missing.stderr);
      assert.match(missing.stdout, /spec not found.*skipping/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses duplicate descriptor codes and unknown field types', () => {
    const spec = loadSpec(SPEC_DIR);
    const open = spec.types.find((t) => t.name === 'open')!;
    spec.types.push({ ...open, name: 'open-again' });
    assert.throws(() => generate(spec), /duplicate descriptor code 0x10/);
    const spec2 = loadSpec(SPEC_DIR);
    spec2.types.find((t) => t.name === 'open')!.fields[0]!.type = 'nonsense';
    assert.throws(() => generate(spec2), /unknown type nonsense/);
  });

  it('reads every spec file and refuses malformed XML', () => {
    assert.equal(SPEC_FILES.length, 5);
    assert.throws(() => parseXml('<amqp><section></amqp>', 'x.xml'), /closes/);
  });
});
