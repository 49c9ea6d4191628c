import { relative, resolve, sep } from 'node:path';
import { ApiError, type ParsedInput, type PredictAcceptResult } from '../contract';
import type { AcceptRecord, PredictionItemRow, Storage } from '../storage';
import { AcceptLog } from './accept-log';
import { notFound, requireDataset, type ServiceContext } from './context';

/** The dataset's sample key for a predicted file: its path inside the root, else the absolute path. */
function sampleKey(root: string, path: string): string {
  const inside = relative(root, path);
  return inside.startsWith('..') || resolve(root, inside) !== path ? path : inside.split(sep).join('/');
}

/**
 * `predict.accept` and its undo. Each accept records exactly what it changed (images it added,
 * images it labeled with their previous class, classes it created), and the undo puts back only
 * that: a label the person set in between on another image is never touched.
 */
export class PredictionAccepts {
  private readonly log: AcceptLog;

  constructor(private readonly context: ServiceContext) {
    this.log = new AcceptLog(context.storage);
  }

  accept({ jobId, datasetId, itemIds, minConfidence }: ParsedInput<'predict.accept'>): PredictAcceptResult {
    const { storage, events } = this.context;
    if (!storage.predictions.getJob(jobId)) throw notFound('Prediction job', jobId);
    const dataset = requireDataset(this.context, datasetId);
    if (dataset.kind !== 'folder') throw new ApiError('user-error', `${dataset.name} is CIFAR-10; accept predictions into an image-folder dataset`);
    const wanted = itemIds ? new Set(itemIds) : null;
    const accepted = storage.predictions
      .items(jobId)
      .filter((item) => item.top !== null && item.top.length > 0 && (!wanted || wanted.has(item.id)))
      .filter((item) => minConfidence === undefined || (item.top?.[0].probability ?? 0) >= minConfidence);
    const record = storage.db.transaction(() => this.write(storage, dataset.id, dataset.root, accepted))();
    const added = record.addedImageIds.length + record.relabeled.length;
    let acceptId: string | null = null;
    if (added > 0) {
      acceptId = this.log.add(record);
      events.emit('datasets.changed', { datasetId });
    }
    return { added, acceptId, datasetId, datasetName: dataset.name };
  }

  undo(acceptId: string): { restored: number; datasetId: number; datasetName: string } {
    const record = this.log.take(acceptId);
    const dataset = requireDataset(this.context, record.datasetId);
    const restored = this.context.storage.predictions.undoAccept(record);
    this.context.events.emit('datasets.changed', { datasetId: dataset.id });
    return { restored, datasetId: dataset.id, datasetName: dataset.name };
  }

  private write(storage: Storage, datasetId: number, root: string, items: PredictionItemRow[]): AcceptRecord {
    const record: AcceptRecord = { datasetId, addedImageIds: [], relabeled: [], createdClassIds: [] };
    for (const item of items) {
      const label = item.top?.[0].label as string;
      let target = storage.images.classByName(datasetId, label);
      if (!target) {
        target = storage.images.createClass(datasetId, label);
        record.createdClassIds.push(target.id);
      }
      const key = sampleKey(root, item.path);
      const existing = storage.images.bySampleKey(datasetId, key);
      if (!existing) {
        storage.datasets.addImages(datasetId, [{ sampleKey: key, path: item.path, classId: target.id }]);
        const inserted = storage.images.bySampleKey(datasetId, key);
        if (inserted) record.addedImageIds.push(inserted.id);
      } else if (existing.classId === null && existing.skippedReason === null) {
        // Only unlabeled images take the prediction: a label the person gave stays.
        if (storage.images.assign([existing.id], target.id, datasetId) > 0)
          record.relabeled.push({ imageId: existing.id, previousClassId: null, classId: target.id });
      }
    }
    return record;
  }
}
