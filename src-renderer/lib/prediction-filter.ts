import type { PredictItem } from '../api/types';

export type PredictedItem = Extract<PredictItem, { top: unknown }>;
export type SkippedItem = Extract<PredictItem, { skipped: string }>;
export type PredictionSort = 'confidence-desc' | 'confidence-asc' | 'name';

export interface PredictionFilter {
  /** Top label to keep, or '' for every label. */
  label: string;
  /** 0..1; items whose top probability is lower are hidden. */
  minConfidence: number;
  sort: PredictionSort;
}

/** What a new prediction starts with: the previous one's filters do not carry over. */
export const DEFAULT_PREDICTION_FILTER: Readonly<PredictionFilter> = Object.freeze({ label: '', minConfidence: 0, sort: 'confidence-desc' });

export const isPredicted = (item: PredictItem): item is PredictedItem => 'top' in item;
export const isSkipped = (item: PredictItem): item is SkippedItem => 'skipped' in item;

export function topProbability(item: PredictedItem): number {
  return item.top[0]?.probability ?? 0;
}

/**
 * The one home of filter and sort: the store's `visible` list comes from here, the grid shows that
 * list, and "Accept" sends ids picked from it, so the grid and the count can never disagree.
 */
export function filterPredictions(items: readonly PredictItem[], filter: PredictionFilter): PredictedItem[] {
  const kept = items.filter(isPredicted).filter((item) => {
    if (filter.label && item.top[0]?.label !== filter.label) return false;
    return topProbability(item) >= filter.minConfidence;
  });
  const byName = (a: PredictedItem, b: PredictedItem) => a.path.localeCompare(b.path, undefined, { numeric: true });
  if (filter.sort === 'name') return kept.sort(byName);
  const sign = filter.sort === 'confidence-asc' ? 1 : -1;
  return kept.sort((a, b) => sign * (topProbability(a) - topProbability(b)) || byName(a, b));
}

/** Of the shown items, those "Accept as labels" takes: a top class at or above `minConfidence`. */
export function acceptable(visible: readonly PredictedItem[], minConfidence: number): PredictedItem[] {
  return visible.filter((item) => item.top.length > 0 && topProbability(item) >= minConfidence);
}

/** Distinct top labels, sorted, for the class filter. */
export function predictedLabels(items: readonly PredictItem[]): string[] {
  const labels = new Set<string>();
  for (const item of items) if (isPredicted(item) && item.top[0]) labels.add(item.top[0].label);
  return [...labels].sort();
}
