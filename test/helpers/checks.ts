// Assertions and data-directory scans shared by the end-to-end suites: the AWS error a call must
// fail with, and the files under a directory (for the at-rest scans that look for plaintext).
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Awaits `call`, expects it to fail with the AWS error `name`, and returns the error's message. */
export async function rejectsWith(call: Promise<unknown>, name: string): Promise<string> {
  try {
    await call;
  } catch (error) {
    const e = error as { name?: string; message?: string };
    assert.equal(e.name, name, `expected ${name}, got ${e.name}: ${e.message}`);
    return e.message ?? '';
  }
  assert.fail(`expected ${name}, but the call succeeded`);
}

/** Every regular file below `dir`, recursively. */
export async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

/** Every file under `dir` that contains `needle` (raw bytes, and as base64 and hex text). */
export async function filesContaining(dir: string, needle: Buffer): Promise<string[]> {
  const forms = [needle, Buffer.from(needle.toString('base64')), Buffer.from(needle.toString('hex'))];
  const hits: string[] = [];
  for (const file of await filesUnder(dir)) {
    const content = await readFile(file);
    if (forms.some((form) => content.includes(form))) hits.push(file);
  }
  return hits;
}
