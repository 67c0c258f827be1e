// Writing a small file so that a reader sees either the old or the new contents, never half of one:
// a fresh temporary file with the final mode, fsync, rename over the target, fsync of the folder.
import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Writes `contents` to `path` atomically with the given mode (default 0600). */
export async function writeFileAtomic(path: string, contents: string | Buffer, mode = 0o600): Promise<void> {
  const tmpPath = `${path}.tmp-${randomBytes(6).toString('hex')}`;
  try {
    const handle = await open(tmpPath, 'wx', mode);
    try {
      await handle.writeFile(contents);
      await handle.chmod(mode);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmpPath, path);
  } catch (error) {
    await unlink(tmpPath).catch(() => undefined);
    throw error;
  }
  const dirHandle = await open(dirname(path), 'r');
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
}
