/** Any list of image files as a DatasetSplit, so featuresOf can run on the files an audit is given. */
import { DecodeError } from '../data/decode-error';
import { decodeImageFile } from '../data/decode-image';
import { UserError } from '../errors';
import type { DatasetSplit, Preprocessing } from '../types';
import { eachConcurrently } from './each-concurrently';

const DECODE_CONCURRENCY = 4;

/**
 * A split over `files` (absolute paths) with their class indices (-1 unlabeled). Each image's
 * pixels come from `decoded` where the hashing stage kept them, else they are decoded on demand
 * through decodeImageFile, the path training and prediction decode with, at the checkpoint's
 * stored size and fit; nothing is cached here, because the audit reads each image once.
 * @throws UserError from readPixels when a file that decoded before no longer does (it changed meanwhile)
 */
export function fileListSplit(
  files: readonly string[],
  labels: Int32Array,
  prep: Pick<Preprocessing, 'storeSize' | 'fit'>,
  decoded: readonly (Uint8Array | undefined)[] = [],
): DatasetSplit {
  const bytes = prep.storeSize * prep.storeSize * 3;
  return {
    count: files.length,
    labels,
    id: (index) => files[index],
    filePath: (index) => files[index],
    async readPixels(indices) {
      const out = new Uint8Array(indices.length * bytes);
      await eachConcurrently(indices.length, DECODE_CONCURRENCY, async (k) => {
        const file = files[indices[k]];
        if (file === undefined) throw new RangeError(`index ${indices[k]} out of range 0..${files.length - 1}`);
        const kept = decoded[indices[k]];
        if (kept) return out.set(kept, k * bytes);
        try {
          out.set(await decodeImageFile(file, prep), k * bytes);
        } catch (err) {
          if (err instanceof DecodeError) throw new UserError(`${file} changed while it was being audited (${err.reason}); audit again`, 'dataset-changed');
          throw err;
        }
      });
      return out;
    },
  };
}
