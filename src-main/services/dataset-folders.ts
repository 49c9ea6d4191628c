import { readdir, realpath, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { ApiError, type FolderInspection } from '../contract';
import { isImageFileName } from '../engine/api/light';
import type { DatasetKind, DatasetRow, Storage } from '../storage';

/** The real path where it resolves, else the plain resolved one (a dataset's folder may be gone). */
async function realOrResolved(path: string): Promise<string> {
  const resolved = resolve(path);
  return realpath(resolved).catch(() => resolved);
}

/** The dataset already added from `dir` (same real folder; of `kind` when given), if any. */
export async function datasetAt(storage: Storage, dir: string, kind?: DatasetKind): Promise<DatasetRow | undefined> {
  const target = await realOrResolved(dir);
  for (const row of storage.datasets.list()) {
    if (kind && row.kind !== kind) continue;
    if ((await realOrResolved(row.root)) === target) return row;
  }
  return undefined;
}

/** The refusal for a second dataset from the same folder: which one exists, and what to do instead. */
export function alreadyAdded(dir: string, existing: DatasetRow): ApiError {
  return new ApiError('conflict', `${dir} is already added as “${existing.name}”; open it from the list, or remove it first to add it again`);
}

/**
 * A quick look at a folder's top level only (no decoding, no recursion), so the renderer can say
 * before adding that a folder has no class folders, or was added already.
 */
export async function inspectFolder(storage: Storage, path: string): Promise<FolderInspection> {
  const dir = resolve(path);
  const info = await stat(dir).catch(() => null);
  if (!info) throw new ApiError('user-error', `Folder not found: ${dir}`);
  if (!info.isDirectory()) throw new ApiError('user-error', `${dir} is a file; choose a folder`);
  const entries = await readdir(dir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    throw new ApiError('user-error', `Cannot read folder ${dir} (${err.code ?? err.message})`);
  });
  let subfolders = 0;
  let looseImages = 0;
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const isDir = entry.isDirectory() || (entry.isSymbolicLink() && (await stat(join(dir, entry.name)).catch(() => null))?.isDirectory() === true);
    if (isDir) subfolders++;
    else if (isImageFileName(entry.name)) looseImages++;
  }
  const existing = await datasetAt(storage, dir);
  const parent = dirname(dir);
  return {
    path: dir,
    subfolders,
    looseImages,
    parent: parent === dir ? null : parent,
    existing: existing ? { id: existing.id, name: existing.name } : null,
  };
}
