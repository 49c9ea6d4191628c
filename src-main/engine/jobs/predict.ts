/** Prediction over every image in a folder tree, streamed in file order with bounded memory. */
import { stat } from 'node:fs/promises';
import { DecodeError, decodeImageFile } from '../data/preprocess';
import { walkImageFiles } from '../data/files';
import { AbortedError, assertFiniteLogits, UserError } from '../errors';
import { softmaxRow, topKIndices } from '../metrics/metrics';
import { openInference, type InferenceChoice } from '../runtime/tta';
import type { PredictionItem } from '../types';

const DEFAULT_BATCH_SIZE = 64;
const DEFAULT_TOP_K = 5;
/** Files decoded at once: sharp works off the main thread, so a few overlap well. */
const DECODE_CONCURRENCY = 4;

async function decodeAll(paths: string[], decode: (p: string) => Promise<Uint8Array>): Promise<(Uint8Array | { error: string })[]> {
  const out: (Uint8Array | { error: string })[] = new Array(paths.length);
  let next = 0;
  const worker = async () => {
    while (next < paths.length) {
      const i = next++;
      try {
        out[i] = await decode(paths[i]);
      } catch (error) {
        if (!(error instanceof DecodeError)) throw error;
        out[i] = { error: error.reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(DECODE_CONCURRENCY, paths.length) }, worker));
  return out;
}

/** Options of predictFolder and predictFiles, less what names the images. */
interface PredictOptions extends InferenceChoice {
  run: string;
  topK?: number;
  batchSize?: number;
  signal?: AbortSignal;
  onItem: (item: PredictionItem) => void;
  onProgress?: (done: number, total: number | null) => void;
}

/**
 * Predicts every image file under `folder` (recursively, names sorted at each level) with the
 * newest checkpoint of `run` (or the checkpoint folder `run` names), using the checkpoint's
 * preprocessing; see predictFiles for how. `onProgress(done, null)`: the total is not known up front.
 * @throws UserError for a wrong run path, a folder that does not exist, or a model whose outputs are not finite
 * @throws AbortedError when `signal` fires (checked between batches; items already sent stay valid)
 */
export async function predictFolder(options: PredictOptions & { folder: string }): Promise<{ predicted: number; skipped: number }> {
  const info = await stat(options.folder).catch(() => null);
  if (!info?.isDirectory()) throw new UserError(`${options.folder} is not a folder: expected a folder of images to predict`, 'folder-not-found');
  return predictFiles({ ...options, paths: walkImageFiles(options.folder, options.signal) });
}

/**
 * Predicts the image files `paths` (in that order; the labeling view's suggestions name them one
 * by one). Files are taken `batchSize` at a time (default 64): decoded, stacked into
 * `[batch, inputSize, inputSize, 3]`, run in inference mode, and reported through `onItem` in
 * order as `{ path, top }` (the `topK` most probable classes, default 5) or `{ path, skipped }`
 * with the reason a file could not be decoded. The forward pass runs on ONNX Runtime or tfjs
 * on ONNX Runtime's `device` (`runtime` and `device`, see openLogitsRunner; `onRuntime` hears
 * which ones opened the model). The next batch is decoded while the one ahead runs, so a GPU waits
 * less for the CPU; at most two batches of pixels are held, so memory does not grow with the folder.
 * @throws UserError for a wrong run path or a model whose outputs are not finite
 * @throws AbortedError when `signal` fires (checked between batches; items already sent stay valid)
 */
export async function predictFiles(
  options: PredictOptions & { paths: Iterable<string> | AsyncIterable<string> },
): Promise<{ predicted: number; skipped: number }> {
  const { signal, onItem } = options;
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const topK = options.topK ?? DEFAULT_TOP_K;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new UserError(`batchSize must be a whole number of at least 1, got ${batchSize}`, 'bad-option');
  if (!Number.isInteger(topK) || topK < 1) throw new UserError(`topK must be a whole number of at least 1, got ${topK}`, 'bad-option');
  const { runner } = await openInference(options.run, options);
  const { manifest } = runner;
  const prep = manifest.preprocessing;
  const imageBytes = prep.storeSize * prep.storeSize * 3;
  let predicted = 0;
  let skipped = 0;

  const runBatch = async (paths: string[], decoded: (Uint8Array | { error: string })[]) => {
    // Decoded while the batch ahead ran: a stop heard meanwhile ends here, before this batch runs or reports.
    if (signal?.aborted) throw new AbortedError();
    const good = decoded.filter((d): d is Uint8Array => d instanceof Uint8Array);
    const pixels = new Uint8Array(good.length * imageBytes);
    good.forEach((d, i) => pixels.set(d, i * imageBytes));
    const logits = good.length > 0 ? await runner.logits(pixels, good.length) : new Float32Array(0);
    assertFiniteLogits(logits, runner.dir);
    const c = manifest.classes.length;
    let row = 0;
    decoded.forEach((d, i) => {
      if (!(d instanceof Uint8Array)) {
        skipped += 1;
        onItem({ path: paths[i], skipped: d.error });
        return;
      }
      const probs = softmaxRow(logits.subarray(row * c, (row + 1) * c));
      row += 1;
      predicted += 1;
      onItem({ path: paths[i], top: topKIndices(probs, topK).map((k) => ({ label: manifest.classes[k], probability: probs[k] })) });
    });
    options.onProgress?.(predicted + skipped, null);
  };

  // The batch ahead, decoding or running; a new batch starts decoding before it is awaited.
  let ahead: Promise<void> = Promise.resolve();
  const submit = async (paths: string[]) => {
    const decoding = decodeAll(paths, (p) => decodeImageFile(p, prep));
    decoding.catch(() => undefined); // Its error is raised where it is awaited, below.
    await ahead;
    ahead = decoding.then((decoded) => runBatch(paths, decoded));
  };

  try {
    options.onRuntime?.(runner);
    let pending: string[] = [];
    for await (const file of options.paths) {
      pending.push(file);
      if (pending.length === batchSize) {
        if (signal?.aborted) throw new AbortedError();
        await submit(pending);
        pending = [];
      }
    }
    if (signal?.aborted) throw new AbortedError();
    if (pending.length > 0) await submit(pending);
    await ahead;
    return { predicted, skipped };
  } finally {
    await ahead.catch(() => undefined);
    await runner.dispose();
  }
}
