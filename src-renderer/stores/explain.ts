import { defineStore } from 'pinia';
import { ref, shallowReactive } from 'vue';
import type { Heatmap } from '../../src-main/contract/schemas/explain';
import { useApiClient } from '../api/studio-client';

export type ExplainKind = 'image' | 'predict' | 'sample';

/** Heatmaps kept at once: a grid shows a few dozen tiles; older ones are asked for again. */
const KEPT = 300;

/**
 * "Where the model looked": one toggle for every view (the labeling preview, the prediction grid,
 * the confusion-cell gallery), and the heatmaps already made while it is on, by image. A failure
 * is remembered as its message, so a tile says why instead of asking again and again.
 */
export const useExplainStore = defineStore('explain', () => {
  const api = useApiClient();
  const shown = ref(false);
  const maps = shallowReactive(new Map<string, Heatmap | { error: string }>());
  const pending = new Map<string, Promise<void>>();

  const key = (kind: ExplainKind, id: number) => `${kind}:${id}`;

  function get(kind: ExplainKind, id: number): Heatmap | { error: string } | null {
    return maps.get(key(kind, id)) ?? null;
  }

  function load(kind: ExplainKind, id: number): Promise<void> {
    const k = key(kind, id);
    if (maps.has(k)) return Promise.resolve();
    let waiting = pending.get(k);
    if (!waiting) {
      waiting = api
        .invoke('explain.image', { kind, id })
        .then((heatmap) => void maps.set(k, heatmap))
        .catch((err: unknown) => void maps.set(k, { error: err instanceof Error ? err.message : String(err) }))
        .finally(() => {
          pending.delete(k);
          while (maps.size > KEPT) maps.delete(maps.keys().next().value as string);
        });
      pending.set(k, waiting);
    }
    return waiting;
  }

  /**
   * Turning the overlay off forgets the maps: the next run to train may look elsewhere, and the
   * maps are made by the newest run, so turning it on again asks anew.
   */
  function toggle() {
    shown.value = !shown.value;
    if (!shown.value) maps.clear();
  }

  return { shown, get, load, toggle };
});
