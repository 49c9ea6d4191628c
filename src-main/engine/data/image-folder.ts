import { stat } from 'node:fs/promises';
import { relative, sep } from 'node:path';
import { AbortedError, UserError } from '../errors';
import type { DatasetSplit, LoadedDataset, SkippedFile } from '../types';
import { decodeImageFile } from './decode-image';
import { DecodeError, joinSkipReason, noReadableImageMessage, splitSkipReason } from './decode-error';
import { compareNames, walkImageFiles } from './files';
import { defaultCacheDirs, PixelCache, type FileStamp } from './pixel-cache';
import { DEFAULT_VALIDATION_FRACTION, stratifiedSplit } from './split';

const DECODE_CONCURRENCY = 4;
const FLUSH_EVERY = 2000;

export interface ImageFolderOptions {
  storeSize: number;
  fit: 'cover' | 'fill';
  validationFraction?: number;
  seed?: number;
  cacheDir?: string;
  /** While decoding: images done of all found. */
  onProgress?: (done: number, total: number) => void;
  /** While looking for images, before decoding: folder entries seen and image files found so far. */
  onWalk?: (seen: number, found: number) => void;
  signal?: AbortSignal;
}

interface FolderImage {
  /** Path relative to the root with '/' separators: the sample id. */
  rel: string;
  abs: string;
  /** Class index, -1 for an image directly in the root. */
  label: number;
  slot: number;
}

/**
 * Image files under `root`: the first folder level names the class, files at the root are
 * unlabeled. `skipped` holds what the walk could not use (broken links, links out of the root, ...).
 */
export async function scanImageFolder(
  root: string,
  signal?: AbortSignal,
  onWalk?: (seen: number, found: number) => void,
): Promise<{ classes: string[]; images: FolderImage[]; skipped: SkippedFile[] }> {
  const found: { rel: string; abs: string; className: string | null }[] = [];
  const skipped: SkippedFile[] = [];
  let seen = 0;
  const hooks = { onSkip: (file: SkippedFile) => skipped.push(file), onEntry: () => onWalk?.(++seen, found.length) };
  for await (const abs of walkImageFiles(root, signal, hooks)) {
    const parts = relative(root, abs).split(sep);
    found.push({ rel: parts.join('/'), abs, className: parts.length > 1 ? parts[0] : null });
  }
  onWalk?.(seen, found.length);
  const classes = [...new Set(found.map((f) => f.className).filter((c): c is string => c !== null))].sort(compareNames);
  const classIndex = new Map(classes.map((c, i) => [c, i]));
  const images = found.map((f) => ({ rel: f.rel, abs: f.abs, label: f.className === null ? -1 : (classIndex.get(f.className) as number), slot: -1 }));
  return { classes, images, skipped };
}

function folderSplit(images: FolderImage[], cache: PixelCache): DatasetSplit {
  return {
    count: images.length,
    labels: Int32Array.from(images, (image) => image.label),
    id: (index) => images[index].rel,
    filePath: (index) => images[index]?.abs,
    async readPixels(indices) {
      const slots = indices.map((index) => {
        const image = images[index];
        if (!image) throw new RangeError(`index ${index} out of range 0..${images.length - 1}`);
        return image.slot;
      });
      return cache.read(slots);
    },
  };
}

/**
 * Decodes every image once (or finds it in the pixel cache), so the skipped list is complete and
 * later reads touch only the cache file. Progress counts images; stopping keeps what was decoded.
 */
async function fillCache(images: FolderImage[], cache: PixelCache, options: ImageFolderOptions): Promise<SkippedFile[]> {
  const prep = { storeSize: options.storeSize, fit: options.fit };
  const skipped: (SkippedFile | null)[] = new Array(images.length).fill(null);
  let next = 0;
  let done = 0;
  let sinceFlush = 0;
  let failed = false;
  const worker = async () => {
    while (next < images.length && !failed) {
      if (options.signal?.aborted) throw new AbortedError();
      const position = next++;
      const image = images[position];
      const stamp: FileStamp | null = await stat(image.abs).then(
        (s) => ({ size: s.size, mtimeMs: s.mtimeMs }),
        () => null,
      );
      if (stamp === null) {
        skipped[position] = { path: image.abs, reason: 'cannot read the file (it disappeared or is not accessible)' };
      } else {
        const cached = cache.lookup(image.rel, stamp);
        if (cached) {
          if (cached.slot === null) skipped[position] = { path: image.abs, ...splitSkipReason(cached.reason ?? 'could not be decoded') };
          else image.slot = cached.slot;
        } else {
          try {
            image.slot = await cache.store(image.rel, stamp, await decodeImageFile(image.abs, prep));
          } catch (err) {
            if (!(err instanceof DecodeError)) throw err;
            cache.storeFailure(image.rel, stamp, joinSkipReason(err.reason, err.detail));
            skipped[position] = { path: image.abs, reason: err.reason, ...(err.detail ? { detail: err.detail } : {}) };
          }
          if (++sinceFlush >= FLUSH_EVERY) {
            sinceFlush = 0;
            await cache.saveIndex();
          }
        }
      }
      options.onProgress?.(++done, images.length);
    }
  };
  // Every worker is awaited before the pixels file closes, even when one of them fails.
  const results = await Promise.allSettled(
    Array.from({ length: DECODE_CONCURRENCY }, () =>
      worker().catch((err: unknown) => {
        failed = true;
        throw err;
      }),
    ),
  );
  await cache.finishWrites();
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) throw failure.reason;
  return skipped.filter((s): s is SkippedFile => s !== null);
}

/**
 * Opens a folder of images: one sub-folder per class (any nesting below it), unlabeled images at
 * the root. Every image is decoded to `storeSize` x `storeSize` RGB once and cached on disk;
 * files that cannot be decoded are listed in `skipped` and left out of every split.
 * Splits: `train` and `validation` (stratified, seeded); root images form `unlabeled`.
 * @throws UserError when the folder holds no image files at all (a folder whose files all fail to
 *   decode loads, with every file in `skipped`).
 */
export async function loadImageFolder(root: string, options: ImageFolderOptions): Promise<LoadedDataset> {
  const { classes, images, skipped: notWalked } = await scanImageFolder(root, options.signal, options.onWalk);
  if (images.length === 0 && notWalked.length > 0) throw new UserError(noReadableImageMessage(root, notWalked), 'dataset-unreadable');
  if (images.length === 0) {
    throw new UserError(
      `${root} is not a dataset: no cifar-10 .bin files and no class sub-folders with images (expected cifar-10-batches-bin, or one sub-folder per class holding .jpg/.png/.webp/.bmp/.gif/.tiff files)`,
      'dataset-invalid',
    );
  }
  const cacheDirs = options.cacheDir ? [options.cacheDir] : defaultCacheDirs(root, options.storeSize, options.fit);
  const cache = await PixelCache.open(cacheDirs, root, options.storeSize, options.fit);
  cache.retainOnly(new Set(images.map((image) => image.rel)));
  const skipped = [...notWalked, ...(await fillCache(images, cache, options))];

  const usable = images.filter((image) => image.slot >= 0);
  const labeled = usable.filter((image) => image.label >= 0);
  const { train, validation } = stratifiedSplit(
    labeled.map((image) => image.label),
    labeled.map((image) => image.rel),
    classes.length,
    options.validationFraction ?? DEFAULT_VALIDATION_FRACTION,
    options.seed ?? 0,
  );
  return {
    format: 'image-folder',
    root,
    classes,
    storeSize: options.storeSize,
    splits: {
      train: folderSplit(
        train.map((i) => labeled[i]),
        cache,
      ),
      validation: folderSplit(
        validation.map((i) => labeled[i]),
        cache,
      ),
    },
    unlabeled: folderSplit(
      usable.filter((image) => image.label < 0),
      cache,
    ),
    skipped,
  };
}
