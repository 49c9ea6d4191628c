import type { ApiRouter } from '../contract';
import type { Services } from '../services';

/**
 * The folders whose files the page may reveal in the file manager (`dialogs.showInFolder`): the
 * app's data folder (runs, default exports, downloads), every dataset's folder in the database, and
 * the folders the app exported to in this session. It re-registers the two export methods so that
 * each folder they write is remembered; their behaviour is unchanged.
 */
export function trackKnownFolders(router: ApiRouter, services: Services, dataDir: string): () => string[] {
  const exported = new Set<string>();
  const { handlers } = services;
  router.register({
    'runs.export': async (input, call) => {
      const result = await handlers['runs.export'](input, call);
      exported.add(result.dir);
      return result;
    },
    'datasets.exportLabeled': async (input, call) => {
      const result = await handlers['datasets.exportLabeled'](input, call);
      exported.add(result.destDir);
      return result;
    },
  });
  return () => [dataDir, ...services.storage.datasets.list().map((dataset) => dataset.root), ...exported];
}
