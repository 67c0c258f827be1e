#!/usr/bin/env node
// Runs every *.test.ts under the given folders (default: src and test) with Node's own test runner,
// through tsx. Node 20's --test takes no globs, so the files are collected here.
// Unhandled rejections fail the run (--unhandled-rejections=strict). A test that hangs fails after
// --test-timeout, and a file that leaves a handle open after its tests is ended (--test-force-exit),
// so one leaked socket cannot stall the whole run.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const roots = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const passThrough = process.argv.slice(2).filter((a) => a.startsWith('-'));
const files = [];
function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith('.test.ts')) files.push(path);
  }
}
for (const root of roots.length > 0 ? roots : ['src', 'test']) walk(root);
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--unhandled-rejections=strict', '--test', '--test-concurrency=2', '--test-force-exit', '--test-timeout=180000', ...passThrough, ...files],
  { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } },
);
process.exit(result.status ?? 1);
