/**
 * What makes a checkpoint trustworthy on disk: a SHA-256 of each of its files, recorded in its
 * manifest when written and checked when read, and a plain account of a write the disk had no room
 * for. Sizes alone do not catch a damaged file: 4 KB overwritten inside weights.bin keeps its size
 * and makes the model answer NaN.
 */
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { isDiskFull, isFileTooLarge, UserError } from '../errors';
import type { CheckpointManifest } from '../types';

/** SHA-256 (hex) of each file's bytes, by file name. */
export function checksumsOf(files: Map<string, Uint8Array>): Record<string, string> {
  return Object.fromEntries([...files].map(([name, bytes]) => [name, createHash('sha256').update(bytes).digest('hex')]));
}

async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Checks every file the manifest of `dir` lists a SHA-256 for. A checkpoint written before
 * checksums were recorded has none and passes unchecked.
 * @throws UserError naming the first file that is missing or whose bytes changed since it was written
 */
export async function verifyChecksums(dir: string, manifest: CheckpointManifest): Promise<void> {
  for (const [name, expected] of Object.entries(manifest.sha256 ?? {})) {
    if (path.basename(name) !== name || typeof expected !== 'string') {
      throw new UserError(
        `${path.join(dir, 'manifest.json')} lists a checksum for "${name}", which is not a file of the checkpoint folder`,
        'checkpoint-corrupt',
      );
    }
    const file = path.join(dir, name);
    const actual = await sha256OfFile(file).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT')
        throw new UserError(`checkpoint ${file} is missing: the manifest (written ${manifest.createdAt}) lists it`, 'checkpoint-corrupt');
      throw error;
    });
    if (actual !== expected) {
      throw new UserError(
        `checkpoint ${file} is corrupted: its SHA-256 does not match the manifest (written ${manifest.createdAt}); use an earlier checkpoint of the run or train again`,
        'checkpoint-corrupt',
      );
    }
  }
}

function formatBytes(bytes: number): string {
  return bytes < 1e6 ? `${Math.max(1, Math.ceil(bytes / 1e3))} kB` : `${(bytes / 1e6).toFixed(1)} MB`;
}

/**
 * The error to report when writing checkpoint `name` into `folder` failed: for a full disk (or
 * quota), one sentence with the folder, the bytes the checkpoint needs, the bytes free there and
 * the checkpoint that is still intact; any other error as it was.
 * @param previous the run's newest complete checkpoint folder after the failed write, or null
 */
export async function checkpointWriteError(error: unknown, info: { folder: string; name: string; bytes: number; previous: string | null }): Promise<unknown> {
  if (isFileTooLarge(error)) {
    const safe = info.previous ? `the previous checkpoint ${info.previous} is intact, so the run can resume there` : 'the run has no earlier checkpoint';
    return new UserError(
      `The file system of ${info.folder} refuses a file that large (EFBIG): checkpoint ${info.name} needs ${formatBytes(info.bytes)}; move the app's data folder to a disk without that limit (FAT32 stops at 4 GB; a ulimit -f stops sooner); ${safe}`,
      'file-too-large',
    );
  }
  if (!isDiskFull(error)) return error;
  const stats = await fs.statfs(info.folder).catch(() => null);
  const free = stats ? ` and ${formatBytes(stats.bavail * stats.bsize)} are free there` : '';
  const safe = info.previous
    ? `the previous checkpoint ${info.previous} is intact; free some space, then resume the run`
    : 'the run has no earlier checkpoint; free some space, then train again';
  return new UserError(`No space left on the disk of ${info.folder}: checkpoint ${info.name} needs ${formatBytes(info.bytes)}${free}; ${safe}`, 'disk-full');
}
