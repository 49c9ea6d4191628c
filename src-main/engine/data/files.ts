import { readdir, realpath, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { AbortedError } from '../errors';

/** Lower-case file extensions (with the dot) that are treated as images. */
export const IMAGE_EXTENSIONS: readonly string[] = ['.jpg', '.jpeg', '.png', '.webp', '.bmp', '.gif', '.tiff', '.tif'];

const imageExtensions = new Set(IMAGE_EXTENSIONS);

/** True when the file name has an image extension (case-insensitive). */
export function isImageFileName(name: string): boolean {
  return imageExtensions.has(extname(name).toLowerCase());
}

/** Plain code-point order, so every machine and locale sees the same sample order. */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Every image file under `dir` and its sub-folders, depth first, names sorted at each level.
 * Hidden files and folders (leading dot) are skipped; symbolic links are followed once (a link
 * back to a folder already being walked is ignored, so loops end).
 */
export async function* walkImageFiles(dir: string, signal?: AbortSignal): AsyncGenerator<string> {
  yield* walk(dir, new Set([await realpath(dir)]), signal);
}

async function* walk(dir: string, active: Set<string>, signal?: AbortSignal): AsyncGenerator<string> {
  if (signal?.aborted) throw new AbortedError();
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => compareNames(a.name, b.name));
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const full = join(dir, entry.name);
    let isDir = entry.isDirectory();
    let isFile = entry.isFile();
    if (entry.isSymbolicLink()) {
      const target = await stat(full).catch(() => null);
      isDir = target?.isDirectory() ?? false;
      isFile = target?.isFile() ?? false;
    }
    if (isDir) {
      const real = await realpath(full);
      if (active.has(real)) continue;
      active.add(real);
      yield* walk(full, active, signal);
      active.delete(real);
    } else if (isFile && isImageFileName(entry.name)) {
      yield full;
    }
  }
}
