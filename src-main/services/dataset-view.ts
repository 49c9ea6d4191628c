import { relative, sep } from 'node:path';
import type { Dataset } from '../contract';
import type { DatasetRow, Storage } from '../storage';

/** A dataset as the contract shows it: row, classes with counts, totals and skipped files. */
export function datasetView(storage: Storage, row: DatasetRow): Dataset {
  const counts = storage.datasets.counts(row.id);
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    root: row.root,
    classes: storage.datasets.classes(row.id).map((c) => ({ id: c.id, name: c.name, count: c.count })),
    imageCount: counts.imageCount,
    unlabeledCount: counts.unlabeledCount,
    skipped: storage.datasets.skipped(row.id).map((file) => ({ ...file, relativePath: relative(row.root, file.path).split(sep).join('/') })),
    splits: counts.splits,
    createdAt: row.createdAt,
  };
}
