import { mkdirSync } from 'node:fs';
import { ApiRouter, type EventSink, type Handlers } from '../contract';
import { MlHost } from '../ml-host/client';
import { forkHostPort } from '../ml-host/fork-port';
import type { MlHostPortFactory } from '../ml-host/port';
import { Storage } from '../storage';
import { appHandlers, type AppInfoOptions } from './app-info';
import { AuditService } from './audit';
import { BackendTracker } from './backend-tracker';
import { paths, type ServiceContext } from './context';
import { datasetHandlers } from './datasets';
import { evaluationHandlers } from './evaluation';
import { explainHandlers } from './explain';
import { labelingHandlers } from './labeling';
import { MediaService } from './media';
import { httpMediaUrls, type MediaUrls } from './media-urls';
import { PredictionService } from './predictions';
import { PRESETS } from './presets';
import { RunExportService, type ExportUrls } from './run-export';
import { SuggestionService } from './suggestions';
import { TrainingService } from './training';

export { MediaService, MediaError } from './media';
export * from './media-urls';
export { paths } from './context';
export { PRESETS } from './presets';
export { httpExportUrls, RunExportService, type ExportArchive, type ExportDownload, type ExportUrls } from './run-export';

export interface ServicesOptions extends Partial<AppInfoOptions> {
  /** The app's data folder: the database, runs, downloads, uploads and caches go here. */
  dataDir: string;
  /** Where events go; usually the router that serves the clients. */
  events: EventSink;
  /** How to start an ML host process (default: `child_process.fork` of ml-host/main). */
  hostPort?: MlHostPortFactory;
  mediaUrls?: MediaUrls;
  /** Download addresses of model exports (serve mode); without them exports are files on disk only. */
  exportUrls?: ExportUrls;
}

/**
 * Environment for an ML host of this data folder: decoded-pixel caches go beside the database
 * (unless SHUFFLENET_CACHE_DIR already says where).
 */
export function mlHostEnv(dataDir: string, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...base, SHUFFLENET_CACHE_DIR: base.SHUFFLENET_CACHE_DIR ?? paths.pixelCache(dataDir) };
}

export type ServiceHandlers = Omit<Handlers, 'dialogs.openFolder' | 'dialogs.showInFolder'>;

export interface Services {
  handlers: ServiceHandlers;
  media: MediaService;
  storage: Storage;
  host: MlHost;
  training: TrainingService;
  exports: RunExportService;
  /** Stops running work and the ML host, and closes the database. */
  close(): void;
}

/**
 * Builds every service over one database and one ML host. Runs and prediction jobs that an
 * earlier session left unfinished are marked failed first, so nothing shows as running forever.
 */
export function createServices(options: ServicesOptions): Services {
  mkdirSync(options.dataDir, { recursive: true });
  const storage = Storage.open(paths.database(options.dataDir));
  const host = new MlHost(options.hostPort ?? (() => forkHostPort({ env: mlHostEnv(options.dataDir) })));
  const context: ServiceContext = {
    storage,
    host,
    events: options.events,
    dataDir: options.dataDir,
    media: options.mediaUrls ?? httpMediaUrls(),
    backend: new BackendTracker(host, options.events),
  };
  const training = new TrainingService(context);
  const predictions = new PredictionService(context);
  const exports = new RunExportService(context, training, options.exportUrls ?? null);
  const suggestions = new SuggestionService(context);
  const audits = new AuditService(context);
  const media = new MediaService(storage, paths.thumbnails(options.dataDir));
  training.failInterrupted();
  predictions.failInterrupted();
  const handlers: ServiceHandlers = {
    ...appHandlers(context, {
      mode: options.mode ?? 'serve',
      version: options.version,
      capabilities: options.capabilities ?? { nativeDialogs: false, upload: true },
    }),
    ...datasetHandlers(context, training, audits),
    ...labelingHandlers(context),
    ...training.handlers(),
    ...exports.handlers(),
    'presets.list': () => [...PRESETS],
    ...evaluationHandlers(context),
    ...predictions.handlers(),
    ...suggestions.handlers(),
    ...audits.handlers(),
    ...explainHandlers(context, media),
  };
  return {
    handlers,
    media,
    storage,
    host,
    training,
    exports,
    close() {
      host.dispose();
      storage.close();
    },
  };
}

/** A router with every service registered: what serve mode, the Electron shell and tests start from. */
export function createAppRouter(options: Omit<ServicesOptions, 'events'> & { onError?: (where: string, error: unknown) => void }) {
  const router = new ApiRouter({ onError: options.onError ?? ((where, error) => console.error(`[${where}]`, error)) });
  const services = createServices({ ...options, events: router });
  router.register(services.handlers);
  return { router, services };
}
