import { copyFile, link, mkdir, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ApiError } from '../contract';
import type { DatasetRow, Storage } from '../storage';
import { folderName } from './export-labeled';

/**
 * The engine reads a folder dataset's labels from its class sub-folders, but here labels live in
 * the database (images at the root, relabeled images). So a run of a folder dataset trains on
 * `<runDir>/data/<class>/<imageId>-<file>`: hard links (copies where links are impossible) of the
 * labeled images, a snapshot of the labels at the moment the run started.
 * Returns the folder to give the engine as its dataset.
 */
export async function prepareTrainingData(storage: Storage, dataset: DatasetRow, runDir: string): Promise<string> {
  if (dataset.kind === 'cifar10') return dataset.root;
  const images = storage.images.labeled(dataset.id, { forTraining: true });
  const classes = new Set(images.map((image) => image.className));
  if (classes.size < 2) {
    throw new ApiError('user-error', `${dataset.name} needs labeled images in at least two classes to train (it has ${classes.size})`);
  }
  const dataDir = join(runDir, 'data');
  await rm(dataDir, { recursive: true, force: true });
  const made = new Set<string>();
  for (const image of images) {
    const folder = join(dataDir, folderName(image.className));
    if (!made.has(folder)) {
      await mkdir(folder, { recursive: true });
      made.add(folder);
    }
    const target = join(folder, `${image.id}-${basename(image.path)}`);
    await link(image.path, target).catch(() => copyFile(image.path, target));
  }
  return dataDir;
}

/** The image id a training-tree sample id (`<class>/<imageId>-<file>`) came from, or null. */
export function imageIdFromTreeKey(key: string): number | null {
  const match = /^[^/]+\/(\d+)-/.exec(key);
  return match ? Number(match[1]) : null;
}

/**
 * A folder dataset's class ids by the names its runs and audits know them by: the snapshot's
 * folder names (folderName: a name made safe for a file system), and the names as typed.
 */
export function classIdsBySnapshotName(storage: Storage, datasetId: number): Map<string, number> {
  return new Map(storage.datasets.classes(datasetId).flatMap((c) => [[c.name, c.id] as const, [folderName(c.name), c.id] as const]));
}
