#!/usr/bin/env node
// Keeps the dependency rules of DESIGN.md section 3 and STYLE.md true: each layer of src/ may import
// only the layers listed for it, and a protocol's codec or session never imports another protocol's.
// Test files (*.test.ts, test-*.ts) are exempt: tests may reach across layers to set things up.
// Exits non-zero and names every offending import.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '..');
const SRC = join(ROOT, 'src');

/** layer -> the layers it may import (besides itself). */
const ALLOWED = {
  util: [],
  codec: ['util'],
  crypto: ['util'],
  identity: ['util', 'crypto'],
  core: ['util', 'crypto', 'identity'],
  kms: ['util', 'crypto', 'identity'],
  store: ['util', 'crypto', 'core'],
  transport: ['util'],
  session: ['util', 'codec', 'core', 'transport'],
  audit: ['util', 'crypto', 'core'],
  control: ['util', 'crypto', 'identity', 'core', 'kms', 'store', 'transport', 'session', 'audit', 'codec'],
  console: ['util', 'crypto', 'identity', 'core', 'kms', 'control', 'audit', 'transport'],
  cli: ['util', 'crypto', 'identity', 'core', 'kms', 'store', 'transport', 'session', 'audit', 'control', 'codec', 'console'],
};
/** Layers whose sub-folders are protocols that must not import each other. */
const PER_PROTOCOL = new Set(['codec', 'session']);

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.startsWith('test-')) out.push(path);
  }
  return out;
}

const problems = [];
for (const file of walk(SRC, [])) {
  const [layer, sub] = relative(SRC, file).split(sep);
  if (!(layer in ALLOWED)) {
    problems.push(`${relative(ROOT, file)}: folder src/${layer} is not a known layer (add it to scripts/check-layers.mjs)`);
    continue;
  }
  const source = readFileSync(file, 'utf8');
  for (const match of source.matchAll(/(?:from|import)\s+'(\.{1,2}\/[^']+)'/g)) {
    const target = resolve(dirname(file), match[1]);
    const rel = relative(SRC, target);
    if (rel.startsWith('..')) {
      problems.push(`${relative(ROOT, file)} imports ${match[1]}, outside src/`);
      continue;
    }
    const [targetLayer, targetSub] = rel.split(sep);
    if (targetLayer !== layer && !ALLOWED[layer].includes(targetLayer)) {
      problems.push(`${relative(ROOT, file)} (${layer}) imports ${match[1]} (${targetLayer}): not allowed`);
    }
    if (targetLayer === layer && PER_PROTOCOL.has(layer) && sub !== targetSub && targetSub !== undefined && !targetSub.endsWith('.ts')) {
      problems.push(`${relative(ROOT, file)} (${layer}/${sub}) imports another protocol's ${layer}: ${match[1]}`);
    }
  }
}
if (problems.length > 0) {
  console.error(`layering rules broken (${problems.length}):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log('layering rules hold');
