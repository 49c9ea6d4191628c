/**
 * Writes that survive a power loss once they return: the data, and the folder entry naming it,
 * flushed to the disk with fsync. Without this a rename can reach the disk before the data it
 * publishes, and a crash leaves a complete-looking folder of empty files.
 */
import { promises as fs } from 'node:fs';

/** Writes `data` to `file` (replacing it) and flushes it to the disk before returning. */
export async function writeFileDurable(file: string, data: Uint8Array | string): Promise<void> {
  const handle = await fs.open(file, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Flushes a folder's entries (files created or renamed in it) to the disk. Windows cannot open a
 * folder as a file and some filesystems cannot sync one: there this is a no-op, as it must be.
 */
export async function syncFolder(dir: string): Promise<void> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(dir, 'r');
  } catch (error) {
    if (['EISDIR', 'EPERM', 'EACCES'].includes((error as NodeJS.ErrnoException).code ?? '')) return;
    throw error;
  }
  try {
    await handle.sync();
  } catch (error) {
    if (!['EINVAL', 'EPERM', 'EBADF', 'ENOTSUP'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
  } finally {
    await handle.close();
  }
}
