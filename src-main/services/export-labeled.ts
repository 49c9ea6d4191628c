import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { ApiError } from '../contract';
import type { DatasetRow, Storage } from '../storage';
import { cifarPng } from './cifar-record';

/** A class name made safe as a folder name on every OS. */
export function folderName(name: string): string {
  const safe = name
    // eslint-disable-next-line no-control-regex -- control characters are exactly what this replaces
    .replace(/[<>:"/\\|?*\u0000-\u001f]/g, '_')
    .replace(/[. ]+$/, '')
    .trim();
  return safe === '' || safe === '.' || safe === '..' ? '_' : safe;
}

/** "Pets & ships" -> "pets-ships-labeled": the archive's file name and its top folder. */
export function labeledArchiveName(dataset: Pick<DatasetRow, 'id' | 'name'>): string {
  const slug = dataset.name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
  return `${slug || `dataset-${dataset.id}`}-labeled`;
}

/**
 * Writes every labeled image as `destDir/<class>/<file>` (copies; CIFAR-10 records as PNG).
 * Two images with the same file name in one class get their image id as a prefix.
 * @throws ApiError user-error when destDir exists and is not empty.
 */
export async function exportLabeled(storage: Storage, dataset: DatasetRow, destDir: string): Promise<{ written: number; destDir: string }> {
  const dest = resolve(destDir);
  const existing = await readdir(dest).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    if (error.code === 'ENOTDIR') throw new ApiError('user-error', `${dest} is a file; choose an empty folder`);
    throw error;
  });
  if (existing.length > 0) throw new ApiError('user-error', `${dest} is not empty; choose an empty or new folder`);
  const images = storage.images.labeled(dataset.id);
  if (images.length === 0) throw new ApiError('user-error', `${dataset.name} has no labeled images to export`);
  const used = new Map<string, Set<string>>();
  let written = 0;
  for (const image of images) {
    const folder = folderName(image.className);
    if (!used.has(folder)) {
      used.set(folder, new Set());
      await mkdir(join(dest, folder), { recursive: true });
    }
    const names = used.get(folder) as Set<string>;
    let name = image.recordIndex === null ? basename(image.path) : `${image.sampleKey.replace(':', '-')}.png`;
    if (names.has(name.toLowerCase())) name = `${image.id}-${name}`;
    names.add(name.toLowerCase());
    const target = join(dest, folder, name);
    if (image.recordIndex === null) await copyFile(image.path, target);
    else await writeFile(target, await cifarPng(image.path, image.recordIndex));
    written++;
  }
  return { written, destDir: dest };
}
