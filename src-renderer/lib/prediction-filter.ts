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

export const isPredicted = (item: PredictItem): item is PredictedItem => 'top' in item;
export const isSkipped = (item: PredictItem): item is SkippedItem => 'skipped' in item;

export function topProbability(item: PredictedItem): number {
  return item.top[0]?.probability ?? 0;
}

export function filterPredictions(items: readonly PredictItem[], filter: PredictionFilter): PredictedItem[] {
  const kept = items.filter(isPredicted).filter((item) => {
    if (filter.label && item.top[0]?.label !== filter.label) return false;
    return topProbability(item) >= filter.minConfidence;
  });
  const byName = (a: PredictedItem, b: PredictedItem) => a.path.localeCompare(b.path);
  if (filter.sort === 'name') return kept.sort(byName);
  const sign = filter.sort === 'confidence-asc' ? 1 : -1;
  return kept.sort((a, b) => sign * (topProbability(a) - topProbability(b)) || byName(a, b));
}

/** Distinct top labels in first-seen order, for the class filter. */
export function predictedLabels(items: readonly PredictItem[]): string[] {
  const labels = new Set<string>();
  for (const item of items) if (isPredicted(item) && item.top[0]) labels.add(item.top[0].label);
  return [...labels].sort();
}
