import { join } from 'node:path';
import { ApiError, type EventSink } from '../contract';
import type { MlHost } from '../ml-host/client';
import type { DatasetRow, RunRow, Storage } from '../storage';
import type { BackendTracker } from './backend-tracker';
import type { MediaUrls } from './media-urls';

/** What every service needs: the database, the ML host, where files go, and where events go. */
export interface ServiceContext {
  storage: Storage;
  host: MlHost;
  events: EventSink;
  dataDir: string;
  media: MediaUrls;
  backend: BackendTracker;
}

/** Folders beside the database. */
export const paths = {
  database: (dataDir: string) => join(dataDir, 'studio.db'),
  runs: (dataDir: string) => join(dataDir, 'runs'),
  downloads: (dataDir: string) => join(dataDir, 'datasets'),
  uploads: (dataDir: string) => join(dataDir, 'uploads'),
  thumbnails: (dataDir: string) => join(dataDir, 'cache', 'thumbnails'),
  pixelCache: (dataDir: string) => join(dataDir, 'cache', 'pixels'),
  /** CIFAR-10 records written out as PNGs for Grad-CAM, which reads files. */
  explainInputs: (dataDir: string) => join(dataDir, 'cache', 'explain'),
  /** A dataset's label snapshot for its audit (services/audit.ts); removed with the dataset. */
  auditSnapshot: (dataDir: string, datasetId: number) => join(dataDir, 'audits', String(datasetId)),
};

export function notFound(what: string, id: number | string): ApiError {
  return new ApiError('not-found', `${what} ${id} does not exist (it may have been removed)`);
}

export function requireDataset(context: ServiceContext, id: number): DatasetRow {
  const dataset = context.storage.datasets.get(id);
  if (!dataset) throw notFound('Dataset', id);
  return dataset;
}

export function requireRun(context: ServiceContext, id: number): RunRow {
  const run = context.storage.runs.get(id);
  if (!run) throw notFound('Run', id);
  return run;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Runs work whose caller already got its answer (a training run, a download, a prediction job).
 * A failure there has nobody to reject to, so it is logged; after shutdown (database closed) it is
 * expected and dropped.
 */
export function detached(context: ServiceContext, label: string, task: () => Promise<void>): void {
  task().catch((error: unknown) => {
    if (context.storage.db.open) console.error(`${label} failed:`, error);
  });
}
