import type { Dirent, Stats } from 'node:fs';
import { readdir, readlink, realpath, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { AbortedError, UserError } from '../errors';
import type { SkippedFile } from '../types';
import { errnoInWords } from './decode-error';
import { isInside, systemFolderKind } from './system-folders';

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

const natural = new Intl.Collator('en', { numeric: true, sensitivity: 'variant' });

/**
 * The order a person expects in a list of files: "2.jpg" before "10.jpg". Only for showing
 * files; the engine's sample order stays `compareNames`, which does not depend on ICU data.
 */
export function naturalCompare(a: string, b: string): number {
  return natural.compare(a, b) || compareNames(a, b);
}

export interface WalkHooks {
  /** A file, link or folder the walk could not use, with the reason; it is left out of the results. */
  onSkip?: (file: SkippedFile) => void;
  /** Called for every folder entry looked at, images or not (for progress). */
  onEntry?: () => void;
}

interface Walk {
  realRoot: string;
  /** Real paths of the folders being walked, root to here: a link to one of them is a loop. */
  active: Set<string>;
  signal?: AbortSignal;
  hooks: WalkHooks;
}

type Found = { kind: 'dir'; real: string; dev: number } | { kind: 'file' } | { kind: 'special'; what: string } | null;

function specialKind(entry: Dirent | Stats): string | null {
  if (entry.isFIFO()) return 'a named pipe';
  if (entry.isSocket()) return 'a socket';
  if (entry.isCharacterDevice() || entry.isBlockDevice()) return 'a device file';
  return null;
}

/**
 * Every image file under `dir` and its sub-folders, depth first, names sorted at each level.
 * Hidden files and folders (leading dot) are left out silently. What cannot be used is reported
 * through `hooks.onSkip` and walked past: unreadable sub-folders, broken links, link loops, links
 * that lead out of `dir` (never followed), system folders mounted inside (/proc, sysfs, ...), and
 * pipes, sockets or devices with an image name.
 * @throws UserError when `dir` itself is missing, not a folder, unreadable or a system folder.
 */
export async function* walkImageFiles(dir: string, signal?: AbortSignal, hooks: WalkHooks = {}): AsyncGenerator<string> {
  const info = await stat(dir).catch(() => null);
  if (info === null) throw new UserError(`Folder not found: ${dir}`, 'folder-not-found');
  if (!info.isDirectory()) throw new UserError(`${dir} is a file; expected a folder of images`, 'not-a-folder');
  const realRoot = await realpath(dir).catch((err: unknown) => {
    throw new UserError(`Cannot open folder ${dir} (${errnoInWords(err).words})`, 'folder-unreadable');
  });
  const system = await systemFolderKind(realRoot);
  if (system) throw new UserError(`${dir} is a system folder (${system}) that holds no images; choose a folder of images`, 'folder-system');
  yield* walk(dir, realRoot, info.dev, { realRoot, active: new Set([realRoot]), signal, hooks }, true);
}

async function* walk(dir: string, realDir: string, dev: number, w: Walk, isRoot = false): AsyncGenerator<string> {
  if (w.signal?.aborted) throw new AbortedError();
  let listed: Dirent[];
  try {
    listed = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    const { words, code } = errnoInWords(err);
    if (isRoot) throw new UserError(`Cannot read folder ${dir} (${words})`, 'folder-unreadable');
    w.hooks.onSkip?.({ path: dir, reason: `folder cannot be read (${words})`, detail: code });
    return;
  }
  for (const entry of listed.sort((a, b) => compareNames(a.name, b.name))) {
    if (w.signal?.aborted) throw new AbortedError();
    w.hooks.onEntry?.();
    if (entry.name.startsWith('.')) continue;
    const full = join(dir, entry.name);
    const found = entry.isSymbolicLink() ? await followLink(full, entry.name, w) : await plainEntry(entry, full, join(realDir, entry.name));
    if (found?.kind === 'file') {
      if (isImageFileName(entry.name)) yield full;
    } else if (found?.kind === 'special') {
      if (isImageFileName(entry.name)) w.hooks.onSkip?.({ path: full, reason: `not a regular file (${found.what})` });
    } else if (found?.kind === 'dir') {
      if (w.active.has(found.real)) {
        w.hooks.onSkip?.({ path: full, reason: 'link loop: leads back to a folder being scanned (not followed)', detail: `links to ${found.real}` });
        continue;
      }
      // The file system type is asked only at mount points (another device), where /proc or sysfs may be.
      const system = await systemFolderKind(found.real, found.dev !== dev);
      if (system) {
        w.hooks.onSkip?.({ path: full, reason: `system folder (${system}), not scanned` });
        continue;
      }
      w.active.add(found.real);
      yield* walk(full, found.real, found.dev, w);
      w.active.delete(found.real);
    }
  }
}

async function plainEntry(entry: Dirent, full: string, real: string): Promise<Found> {
  if (entry.isFile()) return { kind: 'file' };
  const special = specialKind(entry);
  if (special) return { kind: 'special', what: special };
  if (!entry.isDirectory()) return null;
  const info = await stat(full).catch(() => null);
  return info ? { kind: 'dir', real, dev: info.dev } : null;
}

/** Resolves a symbolic link; reports it (and returns null) when it is broken or leads out of the root. */
async function followLink(full: string, name: string, w: Walk): Promise<Found> {
  const skip = (reason: string, detail?: string) => {
    w.hooks.onSkip?.({ path: full, reason, detail });
    return null;
  };
  let real: string;
  try {
    real = await realpath(full);
  } catch (err) {
    const { words, code } = errnoInWords(err);
    const target = await readlink(full).catch(() => null);
    const detail = target === null ? code : `links to ${target} (${code})`;
    if (code === 'ENOENT') return skip('broken link: its target does not exist', detail);
    if (code === 'ELOOP') return skip('link loop: the link leads back to itself', detail);
    return skip(`link cannot be followed (${words})`, detail);
  }
  const info = await stat(real).catch(() => null);
  if (info === null) return skip('broken link: its target does not exist', `links to ${real}`);
  if (!isInside(w.realRoot, real)) {
    if (info.isDirectory()) return skip('link to a folder outside the dataset folder (not followed)', `links to ${real}`);
    return isImageFileName(name) ? skip('link to a file outside the dataset folder (not read)', `links to ${real}`) : null;
  }
  if (info.isDirectory()) return { kind: 'dir', real, dev: info.dev };
  if (info.isFile()) return { kind: 'file' };
  const special = specialKind(info);
  return special ? { kind: 'special', what: special } : null;
}
