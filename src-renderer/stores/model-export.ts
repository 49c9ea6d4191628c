import { defineStore } from 'pinia';
import { ref } from 'vue';
import { useApiClient } from '../api/studio-client';
import type { ModelExport, ModelExportFormat } from '../api/types';
import { useAppStore } from './app';

export const FORMAT_LABELS: Record<ModelExportFormat, string> = { onnx: 'ONNX', tfjs: 'TensorFlow.js' };

/**
 * Exports of trained runs. In the desktop app the person picks the folder first (native dialog);
 * in a browser the server writes into the run's folder and the result carries download links.
 */
export const useModelExportStore = defineStore('modelExport', () => {
  const api = useApiClient();
  const app = useAppStore();
  /** The export being written; one at a time. */
  const busy = ref<{ runId: number; format: ModelExportFormat } | null>(null);
  /** The latest export of each run, per format, in this session. */
  const results = ref<Record<number, Partial<Record<ModelExportFormat, ModelExport>>>>({});
  /** The last failure per run, shown beside its buttons (and as a toast). */
  const errors = ref<Record<number, string>>({});

  async function exportRun(runId: number, format: ModelExportFormat): Promise<ModelExport | null> {
    if (busy.value) return null;
    let destDir: string | undefined;
    if (app.nativeDialogs) {
      const picked = await app.pickFolder(`Export the ${FORMAT_LABELS[format]} model to…`);
      if (!picked) return null;
      destDir = picked;
    }
    busy.value = { runId, format };
    const { [runId]: _previous, ...otherErrors } = errors.value;
    errors.value = otherErrors;
    try {
      const result = await api.invoke('runs.export', destDir ? { runId, format, destDir } : { runId, format });
      results.value = { ...results.value, [runId]: { ...results.value[runId], [format]: result } };
      return result;
    } catch (err) {
      errors.value = { ...errors.value, [runId]: app.reportError(err, `Could not export the ${FORMAT_LABELS[format]} model`) };
      return null;
    } finally {
      busy.value = null;
    }
  }

  /** Desktop app only: the file manager opens with the exported file or folder selected. */
  async function showInFolder(path: string): Promise<void> {
    try {
      await api.invoke('dialogs.showInFolder', { path });
    } catch (err) {
      app.reportError(err, 'Could not open the folder');
    }
  }

  return { busy, results, errors, exportRun, showInFolder };
});
