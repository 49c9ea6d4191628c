import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import { useApiClient } from '../api/studio-client';
import type { Evaluation, EvaluationSample } from '../api/types';
import type { CheckpointKind } from '../../src-main/contract/schemas/evaluation';
import { downloadText, mimeFor } from '../lib/download';
import { useAppStore } from './app';

export interface MatrixCell {
  trueClass: number;
  predictedClass: number;
}

const SAMPLE_PAGE = 48;

export const useEvaluationStore = defineStore('evaluation', () => {
  const api = useApiClient();
  const app = useAppStore();
  const runId = ref<number | null>(null);
  const evaluations = ref<Evaluation[]>([]);
  const current = shallowRef<Evaluation | null>(null);
  const running = ref(false);
  const progress = ref<{ done: number; total: number } | null>(null);
  const normalized = ref(false);
  const cell = ref<MatrixCell | null>(null);
  const samples = shallowRef<EvaluationSample[]>([]);
  const samplesTotal = ref(0);
  const samplesLoading = ref(false);
  /** The run's evaluations are being fetched; Evaluate waits for them. */
  const loading = ref(false);
  let listing: Promise<void> | null = null;
  /** Which checkpoint Evaluate measures: the best epoch (what the run list's figure comes from) unless the person picks the newest. */
  const checkpoint = ref<CheckpointKind>('best');
  /** Evaluate with flip test-time augmentation (each image also mirrored, the probabilities averaged). */
  const flipTta = ref(false);

  function clearCell() {
    cell.value = null;
    samples.value = [];
    samplesTotal.value = 0;
  }

  function selectRun(id: number | null): Promise<void> {
    runId.value = id;
    evaluations.value = [];
    current.value = null;
    clearCell();
    if (id === null) return Promise.resolve();
    loading.value = true;
    const fetched = (async () => {
      try {
        // Oldest first, whatever order the server lists them in; the newest is shown.
        const list = [...(await api.invoke('evaluation.listForRun', { runId: id }))].sort((a, b) => a.id - b.id);
        if (runId.value !== id) return;
        evaluations.value = list;
        current.value = list[list.length - 1] ?? null;
      } catch (err) {
        app.reportError(err, 'Could not load evaluations');
      } finally {
        if (runId.value === id) loading.value = false;
      }
    })();
    listing = fetched;
    return fetched;
  }

  async function open(evaluationId: number) {
    clearCell();
    try {
      current.value = await api.invoke('evaluation.get', { id: evaluationId });
    } catch (err) {
      app.reportError(err, 'Could not open the evaluation');
    }
  }

  /** Evaluates the run's checkpoint, showing progress events while it works. */
  async function run(options: { split?: string; limit?: number } = {}) {
    // Pressed while the run's evaluations load: wait, so the new result is not replaced by the list.
    if (listing) await listing;
    const id = runId.value;
    if (id === null) {
      app.reportError(new Error('Choose a run to evaluate first.'));
      return null;
    }
    running.value = true;
    progress.value = { done: 0, total: 0 };
    clearCell();
    const off = api.subscribe('evaluation.progress', (event) => {
      if (event.runId === id) progress.value = { done: event.done, total: event.total };
    });
    try {
      const input: { runId: number; split?: string; limit?: number; checkpoint: CheckpointKind; tta?: 'flip' } = { runId: id, checkpoint: checkpoint.value };
      if (flipTta.value) input.tta = 'flip';
      if (options.split) input.split = options.split;
      if (options.limit && options.limit > 0) input.limit = Math.floor(options.limit);
      const evaluation = await api.invoke('evaluation.run', input);
      if (runId.value === id) {
        evaluations.value = [...evaluations.value, evaluation];
        current.value = evaluation;
      }
      return evaluation;
    } catch (err) {
      app.reportError(err, 'Evaluation failed');
      return null;
    } finally {
      off();
      running.value = false;
      progress.value = null;
    }
  }

  async function loadSamples(offset: number) {
    const evaluation = current.value;
    const target = cell.value;
    if (!evaluation || !target) return;
    samplesLoading.value = true;
    try {
      const page = await api.invoke('evaluation.samples', { evaluationId: evaluation.id, ...target, offset, limit: SAMPLE_PAGE });
      if (cell.value !== target) return;
      samples.value = offset === 0 ? page.items : [...samples.value, ...page.items];
      samplesTotal.value = page.total;
    } catch (err) {
      app.reportError(err, 'Could not load the images of this cell');
    } finally {
      samplesLoading.value = false;
    }
  }

  async function selectCell(target: MatrixCell) {
    cell.value = target;
    samples.value = [];
    samplesTotal.value = 0;
    await loadSamples(0);
  }

  const moreSamples = () => loadSamples(samples.value.length);

  async function exportAs(format: 'csv' | 'json') {
    const evaluation = current.value;
    if (!evaluation) return;
    try {
      const { filename, content } = await api.invoke('evaluation.export', { evaluationId: evaluation.id, format });
      downloadText(filename, content, mimeFor(filename));
    } catch (err) {
      app.reportError(err, `Could not export ${format.toUpperCase()}`);
    }
  }

  return {
    runId,
    evaluations,
    current,
    running,
    progress,
    normalized,
    cell,
    samples,
    samplesTotal,
    samplesLoading,
    loading,
    checkpoint,
    flipTta,
    selectRun,
    open,
    run,
    selectCell,
    clearCell,
    moreSamples,
    exportAs,
  };
});
