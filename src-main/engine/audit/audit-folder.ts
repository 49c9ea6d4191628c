/** `dataset audit <dir>`: an image folder on disk turned into audit items, with the folder's own split. */
import { resolve } from 'node:path';
import { findCifarFolder } from '../data/cifar10';
import { scanImageFolder } from '../data/image-folder';
import { DEFAULT_VALIDATION_FRACTION, stratifiedSplit } from '../data/split';
import { UserError } from '../errors';
import { readManifest, resolveCheckpointDir } from '../checkpoint/checkpoint';
import { resolveInit } from '../checkpoint/pretrained';
import { auditDataset, DEFAULT_FOLDS, labelCheckProblem, type AuditItem, type AuditOptions, type AuditReport } from './audit';

export interface FolderAuditOptions extends Omit<AuditOptions, 'items' | 'classes' | 'skipped'> {
  /** While looking for images: folder entries seen and image files found. */
  onWalk?: (seen: number, found: number) => void;
  /**
   * True: a folder too small for the folds is still checked for duplicates and health, with a
   * warning that label errors were not looked for (the app). Default false: refused (the CLI).
   */
  labelCheckOptional?: boolean;
}

/**
 * The train/validation split a training run of `root` uses: the run's own fraction and seed when
 * `from` is a run of this folder, else the defaults a new run takes. Broken files are split with
 * the rest here (training leaves them out first), which can move a few images when some are broken.
 */
async function splitSettings(from: string, root: string): Promise<{ fraction: number; seed: number }> {
  const manifest = await readManifest(await resolveCheckpointDir(from));
  const sameFolder = resolve(manifest.config.dataset) === root;
  return sameFolder ? { fraction: manifest.config.validationFraction, seed: manifest.config.seed } : { fraction: DEFAULT_VALIDATION_FRACTION, seed: 0 };
}

/**
 * Audits an image folder (one sub-folder per class, unlabeled images at the root).
 * @throws UserError for a missing folder, a CIFAR-10 binary folder, a folder without images, or
 *   (unless `labelCheckOptional`) one whose classes are too few or too small for the folds
 */
export async function auditFolder(dir: string, options: FolderAuditOptions): Promise<AuditReport & { root: string; classes: string[] }> {
  const root = resolve(dir);
  if ((await findCifarFolder(root)) !== null) {
    throw new UserError(`${root} is a CIFAR-10 binary folder; dataset audit works on image folders (one sub-folder per class)`, 'dataset-invalid');
  }
  const { classes, images, skipped } = await scanImageFolder(root, options.signal, options.onWalk);
  if (images.length === 0)
    throw new UserError(`${root} holds no images: expected one sub-folder per class with .jpg/.png/.webp/.bmp/.gif/.tiff files`, 'dataset-invalid');
  const classCounts = Object.fromEntries(classes.map((name) => [name, 0]));
  for (const image of images) if (image.label >= 0) classCounts[classes[image.label]]++;
  const problem = labelCheckProblem(classCounts, options.folds ?? DEFAULT_FOLDS);
  if (problem !== null && !options.labelCheckOptional) throw new UserError(`cannot audit ${root} for label errors: ${problem}`, 'dataset-too-small');

  const from = options.from === 'pretrained' ? (resolveInit('pretrained') as string) : options.from;
  const { fraction, seed } = await splitSettings(from, root);
  const labeled = images.filter((image) => image.label >= 0);
  const { validation } = stratifiedSplit(
    labeled.map((image) => image.label),
    labeled.map((image) => image.rel),
    classes.length,
    fraction,
    seed,
  );
  const held = new Set(validation.map((i) => labeled[i].abs));
  const items: AuditItem[] = images.map((image) =>
    image.label < 0 ? { path: image.abs, label: null } : { path: image.abs, label: image.label, split: held.has(image.abs) ? 'validation' : 'train' },
  );
  const report = await auditDataset({ ...options, from, items, classes, skipped });
  return { root, classes, ...report };
}
