import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ApiError, type Handlers, type PredictionItemView, type TestTimeAugmentation } from '../contract';
import type { PredictionItemRow } from '../storage';
import { detached, errorMessage, notFound, requireRun, type ServiceContext } from './context';
import { PredictionAccepts } from './prediction-accept';
import { csvText } from './csv';

type PredictionHandlers = Pick<Handlers, 'predict.start' | 'predict.cancel' | 'predict.list' | 'predict.accept' | 'predict.undoAccept' | 'predict.exportCsv'>;

const TOP_K = 5;

function itemView(context: ServiceContext, row: PredictionItemRow): PredictionItemView {
  if (row.skippedReason !== null || row.top === null) return { id: row.id, path: row.path, skipped: row.skippedReason ?? 'no prediction' };
  return { id: row.id, path: row.path, thumbUrl: context.media.url('thumb', 'predict', row.id), top: row.top };
}

/** Batch prediction of a folder in the ML host; every item is stored as it arrives, then streamed. */
export class PredictionService {
  private readonly running = new Map<string, AbortController>();
  private readonly accepts: PredictionAccepts;

  constructor(private readonly context: ServiceContext) {
    this.accepts = new PredictionAccepts(context);
  }

  /** Jobs a previous session left running ended with it. */
  failInterrupted(): void {
    for (const job of this.context.storage.predictions.runningJobs()) {
      this.context.storage.predictions.finishJob(job.id, 'failed', 'The app stopped before this prediction finished');
    }
  }

  private requireJob(jobId: string) {
    const job = this.context.storage.predictions.getJob(jobId);
    if (!job) throw notFound('Prediction job', jobId);
    return job;
  }

  handlers(): PredictionHandlers {
    const { storage } = this.context;
    return {
      'predict.start': async ({ runId, folder, tta = 'none' }) => {
        const run = requireRun(this.context, runId);
        if (!run.checkpointDir) throw new ApiError('user-error', `Run ${run.id} has no checkpoint yet; train at least one epoch first`);
        const dir = resolve(folder);
        const info = await stat(dir).catch(() => null);
        if (!info?.isDirectory()) throw new ApiError('user-error', `Folder not found: ${dir}`);
        const jobId = randomUUID();
        storage.predictions.createJob(jobId, runId, dir, tta);
        this.launch(jobId, run.runDir, dir, tta);
        return { jobId, total: null, tta };
      },

      'predict.cancel': ({ jobId }) => {
        this.requireJob(jobId);
        this.running.get(jobId)?.abort();
        return {};
      },

      'predict.list': ({ jobId }) => {
        const job = this.requireJob(jobId);
        return { items: storage.predictions.items(jobId).map((row) => itemView(this.context, row)), done: job.status !== 'running' };
      },

      'predict.accept': (input) => this.accepts.accept(input),

      'predict.undoAccept': ({ acceptId }) => this.accepts.undo(acceptId),

      'predict.exportCsv': ({ jobId }) => {
        const job = this.requireJob(jobId);
        const items = storage.predictions.items(jobId);
        const header = ['path', 'label', 'probability'];
        for (let k = 2; k <= TOP_K; k++) header.push(`top${k}_label`, `top${k}_probability`);
        // The job's test-time augmentation on every row, last: the probabilities depend on it, and a
        // column survives sorting, filtering and pasting where a note above the header would not.
        header.push('skipped_reason', 'tta');
        const rows = items.map((item) => {
          const top = item.top ?? [];
          const cells: (string | number | null)[] = [item.path];
          for (let k = 0; k < TOP_K; k++) cells.push(top[k]?.label ?? '', top[k]?.probability ?? '');
          cells.push(item.skippedReason ?? '', job.tta);
          return cells;
        });
        return { filename: `predictions-${jobId.slice(0, 8)}.csv`, content: csvText(header, rows) };
      },
    };
  }

  private launch(jobId: string, runDir: string, folder: string, tta: TestTimeAugmentation): void {
    const { storage, host, events } = this.context;
    const controller = new AbortController();
    this.running.set(jobId, controller);
    this.context.backend.learnInBackground();
    detached(this.context, `Prediction ${jobId}`, async () => {
      let error: string | undefined;
      try {
        await host.call(
          'predictFolder',
          { run: runDir, folder, topK: TOP_K, tta },
          {
            signal: controller.signal,
            onEvent: (event) => {
              if (event.type === 'progress') {
                storage.predictions.setTotal(jobId, event.total);
                events.emit('predict.progress', { jobId, done: event.done, total: event.total });
                return;
              }
              const { path } = event.item;
              const top = 'top' in event.item ? event.item.top : null;
              const skippedReason = 'skipped' in event.item ? event.item.skipped : null;
              const id = storage.predictions.addItem(jobId, path, top, skippedReason);
              // The streamed item is the row as stored (its id from the insert), without reading it back.
              events.emit('predict.item', { jobId, item: itemView(this.context, { id, jobId, path, top, skippedReason }) });
            },
          },
        );
        storage.predictions.finishJob(jobId, 'completed');
      } catch (caught) {
        error = controller.signal.aborted ? 'Cancelled' : errorMessage(caught);
        storage.predictions.finishJob(jobId, controller.signal.aborted ? 'cancelled' : 'failed', error);
      } finally {
        this.running.delete(jobId);
      }
      const job = storage.predictions.getJob(jobId);
      events.emit('predict.done', { jobId, predicted: job?.predicted ?? 0, skipped: job?.skipped ?? 0, tta, ...(error ? { error } : {}) });
    });
  }
}
