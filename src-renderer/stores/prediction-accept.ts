import { defineStore } from 'pinia';
import { computed, ref, watch } from 'vue';
import { useApiClient } from '../api/studio-client';
import { counted } from '../lib/format';
import { acceptable } from '../lib/prediction-filter';
import { useAppStore } from './app';
import { useDatasetsStore } from './datasets';
import { usePredictionsStore } from './predictions';
import { useRunsStore } from './runs';

/**
 * "Accept as labels": which shown predictions go into which dataset, and the undo of the last accept.
 * Everything it sends comes from the predictions store's `visible` list, the one the grid shows.
 */
export const usePredictionAcceptStore = defineStore('prediction-accept', () => {
  const api = useApiClient();
  const app = useAppStore();
  const runs = useRunsStore();
  const datasets = useDatasetsStore();
  const predictions = usePredictionsStore();
  /** The accept's own cut-off; null follows the filter's minimum confidence until the person moves it. */
  const minOverride = ref<number | null>(null);
  /** The dataset the person picked; null until they pick one. */
  const choice = ref<number | null>(null);
  const busy = ref(false);
  /** The last accept, for its Undo button. */
  const last = ref<{ acceptId: string; added: number; datasetName: string } | null>(null);

  /** No made-up default: the person's pick, else the dataset the run was trained on if it can take labels, else none. */
  const datasetId = computed({
    get: () => {
      if (choice.value !== null && datasets.datasets.some((d) => d.id === choice.value)) return choice.value;
      const trainedOn = runs.runs.find((run) => run.id === predictions.runId)?.datasetId;
      const dataset = datasets.datasets.find((d) => d.id === trainedOn);
      return dataset?.kind === 'folder' ? dataset.id : null;
    },
    set: (id: number | null) => (choice.value = id),
  });
  const minConfidence = computed({
    get: () => minOverride.value ?? predictions.filter.minConfidence,
    set: (value: number) => (minOverride.value = value),
  });
  /** Exactly what "Accept N as labels" sends: the shown items at or above the accept's cut-off. */
  const items = computed(() => acceptable(predictions.visible, minConfidence.value));

  // A new prediction starts over: no cut-off carried over, no undo of an accept from the last one.
  watch(
    () => predictions.jobId,
    () => {
      minOverride.value = null;
      last.value = null;
    },
  );

  async function accept(): Promise<number | null> {
    const jobId = predictions.jobId;
    if (!jobId) return null;
    if (datasetId.value === null) {
      app.reportError(new Error('Choose the dataset that should receive the images first.'));
      return null;
    }
    const itemIds = items.value.map((item) => item.id);
    if (itemIds.length === 0) {
      app.notify('No shown prediction reaches the minimum confidence: lower it to accept some.', 'info');
      return null;
    }
    busy.value = true;
    try {
      const result = await api.invoke('predict.accept', { jobId, datasetId: datasetId.value, itemIds });
      last.value = result.acceptId ? { acceptId: result.acceptId, added: result.added, datasetName: result.datasetName } : null;
      if (result.added) app.notify(`Added ${counted(result.added, 'image')} to “${result.datasetName}” with their predicted labels.`, 'success');
      else app.notify(`“${result.datasetName}” already had these images labeled; nothing changed.`, 'info');
      return result.added;
    } catch (err) {
      app.reportError(err, 'Could not accept the predictions');
      return null;
    } finally {
      busy.value = false;
    }
  }

  async function undo(): Promise<void> {
    const done = last.value;
    if (!done) return;
    busy.value = true;
    try {
      const result = await api.invoke('predict.undoAccept', { acceptId: done.acceptId });
      last.value = null;
      app.notify(`Undone: ${counted(result.restored, 'image')} in “${result.datasetName}” put back as they were.`, 'success');
    } catch (err) {
      app.reportError(err, 'Could not undo the accept');
    } finally {
      busy.value = false;
    }
  }

  return { datasetId, minConfidence, items, busy, last, accept, undo };
});
