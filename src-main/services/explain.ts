import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApiError, type Handlers } from '../contract';
import type { RunRow } from '../storage';
import { cifarPng } from './cifar-record';
import { notFound, paths, requireRun, type ServiceContext } from './context';
import type { MediaService } from './media';
import type { MediaKind } from './media-urls';
import { newestRunWithCheckpoint } from './suggestions';

type ExplainHandlers = Pick<Handlers, 'explain.image'>;

/**
 * "Why this prediction": a Grad-CAM heatmap of one image, made in the ML host from the run's tfjs
 * model. The image is found the way media finds it (so only files the app knows, and only those
 * that decoded), and the run is the one that predicted it: the prediction job's, the
 * evaluation's, or for a dataset image the dataset's newest.
 */
export function explainHandlers(context: ServiceContext, media: MediaService): ExplainHandlers {
  const { storage } = context;

  const defaultRun = (kind: MediaKind, id: number): RunRow | null => {
    if (kind === 'predict') {
      const item = storage.predictions.item(id);
      const job = item && storage.predictions.getJob(item.jobId);
      return job ? (storage.runs.get(job.runId) ?? null) : null;
    }
    if (kind === 'sample') {
      const sample = storage.evaluations.sample(id);
      const evaluation = sample && storage.evaluations.get(sample.evaluationId);
      return evaluation ? (storage.runs.get(evaluation.runId) ?? null) : null;
    }
    const image = storage.images.get(id);
    return image ? newestRunWithCheckpoint(context, image.datasetId) : null;
  };

  /** A file the engine can decode: the image itself, or a CIFAR-10 record written out as a PNG. */
  const fileOf = async (kind: MediaKind, id: number): Promise<string> => {
    const source = media.sourceOf(kind, id);
    if (!source) throw notFound(kind === 'sample' ? 'Evaluation sample' : kind === 'predict' ? 'Prediction' : 'Image', id);
    if (source.skippedReason !== null) throw new ApiError('user-error', `${source.path} could not be read when it was scanned (${source.skippedReason})`);
    if (source.recordIndex === null) return source.path;
    const dir = paths.explainInputs(context.dataDir);
    await mkdir(dir, { recursive: true });
    const file = join(dir, `${kind}-${id}.png`);
    await writeFile(file, await cifarPng(source.path, source.recordIndex));
    return file;
  };

  return {
    'explain.image': async ({ kind, id, runId, classIndex }) => {
      const path = await fileOf(kind, id);
      const run = runId === undefined ? defaultRun(kind, id) : requireRun(context, runId);
      if (!run) throw new ApiError('user-error', 'Train a model first: the heatmap shows where a trained model looked');
      if (!run.checkpointDir) throw new ApiError('user-error', `Run ${run.name} has no checkpoint yet; train at least one epoch first`);
      const heatmap = await context.host.call('explainImage', { run: run.runDir, path, ...(classIndex === undefined ? {} : { classIndex }) });
      return { runId: run.id, ...heatmap };
    },
  };
}
