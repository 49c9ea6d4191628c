import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { relative, sep } from 'node:path';
import { ApiError, type Audit, type AuditImage, type Handlers } from '../contract';
import { type AuditReport, mislabeledMessage } from '../engine/api/light';
import { detached, errorMessage, notFound, paths, requireDataset, requireRun, type ServiceContext } from './context';
import { classIdsBySnapshotName, imageIdFromTreeKey, prepareTrainingData } from './training-data';

type AuditHandlers = Pick<Handlers, 'audit.start' | 'audit.cancel' | 'audit.get' | 'audit.keep'>;

/** What is stored of an audit: the engine's report, its paths already turned into image ids. */
interface StoredAudit {
  model: string;
  report: AuditReport;
  /** Snapshot path -> image id. */
  imageIds: Record<string, number>;
}

/**
 * The dataset audit of the Datasets view. It runs on the same snapshot of the labels a training
 * run would take (services/training-data.ts), in the ML host, with the engine's audit
 * (engine/audit/): so the split it checks for copies between training and validation is the one a
 * run with the default settings trains on, and every path maps back to an image id.
 */
export class AuditService {
  private readonly running = new Map<string, { datasetId: number; controller: AbortController }>();

  constructor(private readonly context: ServiceContext) {}

  handlers(): AuditHandlers {
    const { storage } = this.context;
    return {
      'audit.start': ({ datasetId, runId }) => {
        const dataset = requireDataset(this.context, datasetId);
        if (dataset.kind !== 'folder') throw new ApiError('user-error', `${dataset.name} is CIFAR-10: audit an image-folder dataset`);
        const run = runId === undefined ? null : requireRun(this.context, runId);
        if (run && !run.checkpointDir) throw new ApiError('user-error', `Run ${run.name} has no checkpoint yet; train at least one epoch first`);
        if (this.auditing(datasetId)) throw new ApiError('conflict', `${dataset.name} is being audited already`);
        const jobId = randomUUID();
        this.launch(jobId, datasetId, run ? { from: run.runDir, model: `run “${run.name}”` } : { from: 'pretrained', model: 'the shipped CIFAR-10 model' });
        return { jobId };
      },

      'audit.cancel': ({ jobId }) => {
        const job = this.running.get(jobId);
        if (!job) throw notFound('Audit', jobId);
        job.controller.abort();
        return {};
      },

      'audit.get': ({ datasetId }) => {
        requireDataset(this.context, datasetId);
        const row = storage.audits.get(datasetId);
        return row ? this.view(datasetId, row.createdAt, JSON.parse(row.reportJson) as StoredAudit) : null;
      },

      'audit.keep': ({ datasetId, imageId }) => {
        const image = storage.images.get(imageId);
        if (!image || image.datasetId !== datasetId) throw notFound('Image', imageId);
        storage.audits.keep(imageId);
        return {};
      },
    };
  }

  /** Refuses to let a dataset go while it is audited: the audit reads its snapshot and stores its report. */
  refuseWhileAuditing(datasetId: number): void {
    if (this.auditing(datasetId)) {
      throw new ApiError('conflict', `${requireDataset(this.context, datasetId).name} is being audited; cancel the audit before removing it`);
    }
  }

  /** Removes a removed dataset's audit snapshot; its stored audit went with its row (ON DELETE CASCADE). */
  async removeSnapshot(datasetId: number): Promise<void> {
    await rm(paths.auditSnapshot(this.context.dataDir, datasetId), { recursive: true, force: true });
  }

  private auditing(datasetId: number): boolean {
    return [...this.running.values()].some((entry) => entry.datasetId === datasetId);
  }

  private launch(jobId: string, datasetId: number, source: { from: string; model: string }): void {
    const { storage, host, events } = this.context;
    const controller = new AbortController();
    this.running.set(jobId, { datasetId, controller });
    detached(this.context, `Audit ${jobId}`, async () => {
      let error: string | undefined;
      try {
        events.emit('audit.progress', { jobId, datasetId, stage: 'preparing', done: 0, total: 1 });
        const dataset = requireDataset(this.context, datasetId);
        const snapshot = await prepareTrainingData(storage, dataset, paths.auditSnapshot(this.context.dataDir, datasetId));
        const report = await host.call(
          'auditFolder',
          { dir: snapshot, from: source.from },
          {
            signal: controller.signal,
            onEvent: (event) => events.emit('audit.progress', { jobId, datasetId, stage: event.stage, done: event.done, total: event.total }),
          },
        );
        const imageIds: Record<string, number> = {};
        const reported = [
          ...report.likelyMislabeled.map((m) => m.path),
          ...report.duplicates.flat(),
          ...report.smallImages.map((s) => s.path),
          ...report.unreadable.map((u) => u.path),
        ];
        for (const path of reported) {
          const id = imageIdFromTreeKey(relative(snapshot, path).split(sep).join('/'));
          if (id !== null) imageIds[path] = id;
        }
        const stored: StoredAudit = { model: source.model, report, imageIds };
        storage.audits.replace(datasetId, JSON.stringify(stored));
      } catch (caught) {
        error = controller.signal.aborted ? 'Cancelled' : errorMessage(caught);
      } finally {
        this.running.delete(jobId);
      }
      events.emit('audit.done', { jobId, datasetId, ...(error ? { error } : {}) });
    });
  }

  /** The stored audit as the person sees it now: judged images they kept or relabeled since drop out. */
  private view(datasetId: number, createdAt: string, stored: StoredAudit): Audit {
    const { storage, media } = this.context;
    const { report } = stored;
    const classIds = classIdsBySnapshotName(storage, datasetId);
    const kept = storage.audits.kept(datasetId);
    const image = (path: string): AuditImage & { row: ReturnType<typeof storage.images.get> } => {
      const id = stored.imageIds[path] ?? null;
      const row = id === null ? undefined : storage.images.get(id);
      return row
        ? { imageId: row.id, path: row.path, thumbUrl: media.url('thumb', 'image', row.id), row }
        : { imageId: null, path, thumbUrl: null, row: undefined };
    };
    const plain = ({ imageId, path, thumbUrl }: AuditImage): AuditImage => ({ imageId, path, thumbUrl });
    const likelyMislabeled = report.likelyMislabeled.flatMap((entry) => {
      const found = image(entry.path);
      const labelClassId = classIds.get(entry.label);
      const suggestedClassId = classIds.get(entry.suggested);
      if (!found.row || labelClassId === undefined || suggestedClassId === undefined) return [];
      if (found.row.classId !== labelClassId || kept.has(found.row.id) || found.row.excluded) return [];
      return [
        {
          ...plain(found),
          labelClassId,
          suggestedClassId,
          score: entry.score,
          flagged: entry.flagged,
          labelProbability: entry.labelProbability,
          suggestedProbability: entry.suggestedProbability,
        },
      ];
    });
    return {
      datasetId,
      createdAt,
      model: stored.model,
      labelsChangedSince: storage.images.labelsChangedSince(datasetId, createdAt),
      likelyMislabeled,
      duplicateGroups: report.duplicateGroups.map((group) => ({ kind: group.kind, scope: group.scope, images: group.paths.map((path) => plain(image(path))) })),
      classCounts: report.classCounts,
      warnings: report.warningDetails.flatMap((warning) => {
        if (warning.kind !== 'mislabeled' || warning.paths.length === 0)
          return [{ kind: warning.kind, message: warning.message, images: warning.paths.map((path) => plain(image(path))) }];
        // Images answered since the audit (kept, relabeled, excluded) leave this warning as they leave the list.
        const open = likelyMislabeled.filter((entry) => entry.flagged);
        if (open.length === 0) return [];
        return [{ kind: warning.kind, message: mislabeledMessage(open.length), images: open.map(plain) }];
      }),
      method: { labelErrors: report.method.labelErrors, duplicates: report.method.duplicates, folds: report.method.folds },
    };
  }
}
