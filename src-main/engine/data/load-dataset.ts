import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UserError } from '../errors';
import type { DatasetFormat, LoadedDataset, SkippedFile } from '../types';
import { findCifarFolder, loadCifar10 } from './cifar10';
import { loadImageFolder } from './image-folder';

/** Stored side for image folders when the caller does not say (the cifar stem's input size). */
export const DEFAULT_FOLDER_STORE_SIZE = 32;

export interface LoadDatasetOptions {
  /** Side of the stored square pixels for image folders (default 32); CIFAR-10 is always 32. */
  storeSize?: number;
  /** How folder images become square: 'cover' crops the centre (default), 'fill' stretches. */
  fit?: 'cover' | 'fill';
  /** Share of each class held out as `validation` in a folder dataset (default 0.2). */
  validationFraction?: number;
  seed?: number;
  /** Where decoded folder pixels are cached (default: the OS cache folder, see pixel-cache.ts). */
  cacheDir?: string;
  onProgress?: (done: number, total: number) => void;
  /** Image folders: entries seen and image files found while looking, before decoding starts. */
  onWalk?: (seen: number, found: number) => void;
  signal?: AbortSignal;
  /** CIFAR-10 only; default true. False accepts .bin files with any whole number of records. */
  strictSizes?: boolean;
}

export interface DatasetInspection {
  format: DatasetFormat;
  root: string;
  classes: string[];
  splits: Record<string, { count: number; perClass: number[] }>;
  unlabeledCount: number;
  skipped: SkippedFile[];
}

/**
 * Opens a dataset folder, detecting its format: a CIFAR-10 binary folder (or the folder that
 * contains `cifar-10-batches-bin`), else a folder of class sub-folders with images.
 * @throws UserError for a missing path, a file, a broken CIFAR-10 folder, or a folder with no images.
 */
export async function loadDataset(dir: string, options: LoadDatasetOptions = {}): Promise<LoadedDataset> {
  const root = resolve(dir);
  const info = await stat(root).catch(() => null);
  if (info === null) throw new UserError(`Dataset folder not found: ${root}`, 'dataset-not-found');
  if (!info.isDirectory()) {
    throw new UserError(`${root} is a file; expected a dataset folder (cifar-10-batches-bin, or one sub-folder per class with images)`, 'dataset-invalid');
  }
  const cifar = await findCifarFolder(root);
  if (cifar !== null) {
    return loadCifar10(cifar, { strictSizes: options.strictSizes, onProgress: options.onProgress, signal: options.signal });
  }
  const storeSize = options.storeSize ?? DEFAULT_FOLDER_STORE_SIZE;
  if (!Number.isInteger(storeSize) || storeSize < 1 || storeSize > 1024) {
    throw new UserError(`storeSize must be a whole number from 1 to 1024, got ${storeSize}`, 'bad-option');
  }
  return loadImageFolder(root, {
    storeSize,
    fit: options.fit ?? 'cover',
    validationFraction: options.validationFraction,
    seed: options.seed,
    cacheDir: options.cacheDir,
    onProgress: options.onProgress,
    onWalk: options.onWalk,
    signal: options.signal,
  });
}

function countPerClass(labels: Int32Array, numClasses: number): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (const label of labels) if (label >= 0) counts[label]++;
  return counts;
}

/**
 * What `loadDataset` would give, as plain JSON: format, classes, count and per-class counts per
 * split, unlabeled images and skipped files with reasons. A folder dataset is decoded (or read
 * from the pixel cache) so that the skipped list is complete.
 */
export async function inspectDataset(dir: string, options: LoadDatasetOptions = {}): Promise<DatasetInspection> {
  const dataset = await loadDataset(dir, options);
  const splits: DatasetInspection['splits'] = {};
  for (const [name, split] of Object.entries(dataset.splits)) {
    splits[name] = { count: split.count, perClass: countPerClass(split.labels, dataset.classes.length) };
  }
  return {
    format: dataset.format,
    root: dataset.root,
    classes: dataset.classes,
    splits,
    unlabeledCount: dataset.unlabeled?.count ?? 0,
    skipped: dataset.skipped,
  };
}
