import { readdir, realpath, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { AbortedError, UserError } from '../errors';

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
 * Hidden files and folders (leading dot) are skipped, and so are sub-folders that cannot be read;
 * symbolic links are followed once (a link back to a folder already being walked is ignored, so
 * loops end).
 * @throws UserError when `dir` itself is missing, not a folder or unreadable.
 */
export async function* walkImageFiles(dir: string, signal?: AbortSignal): AsyncGenerator<string> {
  const info = await stat(dir).catch(() => null);
  if (info === null) throw new UserError(`Folder not found: ${dir}`, 'folder-not-found');
  if (!info.isDirectory()) throw new UserError(`${dir} is a file; expected a folder of images`, 'not-a-folder');
  yield* walk(dir, new Set([await realpath(dir)]), signal, true);
}

async function* walk(dir: string, active: Set<string>, signal: AbortSignal | undefined, isRoot = false): AsyncGenerator<string> {
  if (signal?.aborted) throw new AbortedError();
  const listed = await readdir(dir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (isRoot) throw new UserError(`Cannot read folder ${dir} (${err.code ?? err.message})`, 'folder-unreadable');
    return null;
  });
  if (listed === null) return;
  const entries = listed.sort((a, b) => compareNames(a.name, b.name));
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
