import { randomUUID } from 'node:crypto';
import { ApiError, type Handlers, type SuggestionsStatus } from '../contract';
import type { AcceptRecord, RunRow, SuggestionRow } from '../storage';
import { AcceptLog } from './accept-log';
import { detached, errorMessage, notFound, requireDataset, requireRun, type ServiceContext } from './context';
import { classIdsBySnapshotName } from './training-data';

/**
 * Suggestions average each image with its mirror image: on the shipped backbone that is 1.7 points
 * of top-1 (docs/results.md, test-time augmentation) and a steadier margin for "least certain
 * first", for twice the forward passes of a job that runs in the background.
 */
export const SUGGESTION_TTA = 'flip';

type SuggestionHandlers = Pick<Handlers, 'suggestions.start' | 'suggestions.cancel' | 'suggestions.status' | 'suggestions.accept' | 'suggestions.undoAccept'>;

/** The newest run of a dataset that has a checkpoint to predict with, or null. */
export function newestRunWithCheckpoint(context: ServiceContext, datasetId: number): RunRow | null {
  const runs = context.storage.runs.list().filter((run) => run.datasetId === datasetId && run.checkpointDir !== null);
  return runs.reduce<RunRow | null>(
    (newest, run) => (newest === null || run.startedAt > newest.startedAt || (run.startedAt === newest.startedAt && run.id > newest.id) ? run : newest),
    null,
  );
}

const runRef = (run: RunRow) => ({ id: run.id, name: run.name, startedAt: run.startedAt });

/**
 * Suggested labels: a run's model predicts every unlabeled image of a folder dataset in the ML
 * host, and its top guess, confidence and margin are stored with the image. The labeling view
 * shows them, sorts by them ("least certain first") and accepts them; an accept can be undone.
 */
export class SuggestionService {
  private readonly running = new Map<string, { datasetId: number; controller: AbortController }>();
  private readonly accepts: AcceptLog;

  constructor(private readonly context: ServiceContext) {
    this.accepts = new AcceptLog(context.storage);
  }

  private runFor(datasetId: number, runId: number | undefined): RunRow {
    const run = runId === undefined ? newestRunWithCheckpoint(this.context, datasetId) : requireRun(this.context, runId);
    if (!run) throw new ApiError('user-error', 'Train a model on this dataset first: suggestions come from its newest run');
    if (!run.checkpointDir) throw new ApiError('user-error', `Run ${run.name} has no checkpoint yet; train at least one epoch first`);
    return run;
  }

  status(datasetId: number): SuggestionsStatus {
    const { storage } = this.context;
    requireDataset(this.context, datasetId);
    const set = storage.suggestions.set(datasetId);
    const run = set?.runId != null ? (storage.runs.get(set.runId) ?? null) : null;
    const newest = newestRunWithCheckpoint(this.context, datasetId);
    const job = [...this.running].find(([, entry]) => entry.datasetId === datasetId);
    return {
      datasetId,
      run: run ? runRef(run) : null,
      count: set ? storage.suggestions.count(datasetId) : 0,
      computedAt: set?.computedAt ?? null,
      labelsChangedSince: run ? storage.images.labelsChangedSince(datasetId, run.startedAt) : null,
      newestRun: newest ? runRef(newest) : null,
      jobId: job?.[0] ?? null,
    };
  }

  handlers(): SuggestionHandlers {
    const { storage, events } = this.context;
    return {
      'suggestions.start': ({ datasetId, runId }) => {
        const dataset = requireDataset(this.context, datasetId);
        if (dataset.kind !== 'folder') throw new ApiError('user-error', `${dataset.name} is CIFAR-10: every image has its label already`);
        const run = this.runFor(datasetId, runId);
        if (run.datasetId !== datasetId) throw new ApiError('invalid-input', `Run ${run.name} was trained on another dataset`);
        const images = storage.images.unlabeled(datasetId);
        if (images.length === 0) throw new ApiError('user-error', `${dataset.name} has no unlabeled images to suggest labels for`);
        // A newer request replaces one still running for this dataset: its guesses would be overwritten anyway.
        for (const [oldJob, entry] of this.running) {
          if (entry.datasetId !== datasetId) continue;
          entry.controller.abort();
          this.running.delete(oldJob);
        }
        const jobId = randomUUID();
        this.launch(
          jobId,
          datasetId,
          run,
          images.map((image) => ({ id: image.id, path: image.path })),
        );
        return { jobId, total: images.length };
      },

      'suggestions.cancel': ({ jobId }) => {
        const job = this.running.get(jobId);
        if (!job) throw notFound('Suggestion job', jobId);
        job.controller.abort();
        return {};
      },

      'suggestions.status': ({ datasetId }) => this.status(datasetId),

      'suggestions.accept': ({ datasetId, minConfidence, classId }) => {
        requireDataset(this.context, datasetId);
        const rows = storage.suggestions.acceptable(datasetId, minConfidence, classId);
        const record: AcceptRecord = { datasetId, addedImageIds: [], relabeled: [], createdClassIds: [] };
        storage.db.transaction(() => {
          for (const row of rows) {
            if (storage.images.assign([row.imageId], row.classId, datasetId) > 0)
              record.relabeled.push({ imageId: row.imageId, previousClassId: null, classId: row.classId });
          }
        })();
        if (record.relabeled.length === 0) return { updated: 0, acceptId: null };
        events.emit('datasets.changed', { datasetId });
        return { updated: record.relabeled.length, acceptId: this.accepts.add(record) };
      },

      'suggestions.undoAccept': ({ acceptId }) => {
        const record = this.accepts.take(acceptId);
        const restored = storage.predictions.undoAccept(record);
        events.emit('datasets.changed', { datasetId: record.datasetId });
        return { restored };
      },
    };
  }

  private launch(jobId: string, datasetId: number, run: RunRow, images: { id: number; path: string }[]): void {
    const { storage, host, events } = this.context;
    const controller = new AbortController();
    this.running.set(jobId, { datasetId, controller });
    // The run's class index -> this dataset's class id, by name (a class renamed since has no suggestions).
    const byName = classIdsBySnapshotName(storage, datasetId);
    const classIds = run.classes.map((name) => byName.get(name) ?? null);
    const byPath = new Map(images.map((image) => [image.path, image.id]));
    const rows: SuggestionRow[] = [];
    detached(this.context, `Suggestions ${jobId}`, async () => {
      let error: string | undefined;
      try {
        await host.call(
          'predictFiles',
          { run: run.runDir, paths: images.map((image) => image.path), topK: 2, tta: SUGGESTION_TTA },
          {
            signal: controller.signal,
            onEvent: (event) => {
              if (event.type === 'progress') {
                events.emit('suggestions.progress', { jobId, datasetId, done: event.done, total: images.length });
                return;
              }
              const imageId = byPath.get(event.item.path);
              if (imageId === undefined || !('top' in event.item)) return;
              const [first, second] = event.item.top;
              const classId = classIds[run.classes.indexOf(first.label)];
              if (classId == null) return;
              rows.push({ imageId, classId, confidence: first.probability, margin: first.probability - (second?.probability ?? 0) });
            },
          },
        );
        storage.suggestions.replace(datasetId, run.id, rows);
      } catch (caught) {
        error = controller.signal.aborted ? 'Cancelled' : errorMessage(caught);
      } finally {
        this.running.delete(jobId);
      }
      events.emit('suggestions.done', { jobId, datasetId, suggested: error ? 0 : rows.length, ...(error ? { error } : {}) });
      if (!error) events.emit('datasets.changed', { datasetId });
    });
  }
}
