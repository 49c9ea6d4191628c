import { createHash } from 'node:crypto';
import { UserError } from '../errors';

/** Default share of each class held out for validation. */
export const DEFAULT_VALIDATION_FRACTION = 0.2;

/**
 * Stratified, seeded train/validation split. Within each class, samples are ranked by a hash of
 * `seed` and their key (the relative path), and the first `round(n * fraction)` go to validation,
 * at least one when the class has two or more samples and the fraction is above zero, and never
 * the whole class. Ranking by key rather than shuffling positions keeps most assignments when
 * images are added to or removed from the folder.
 * @param labels class index per sample (-1 samples are ignored).
 * @returns sample indices of each side, ascending.
 */
export function stratifiedSplit(
  labels: ArrayLike<number>,
  keys: readonly string[],
  numClasses: number,
  fraction: number,
  seed: number,
): { train: number[]; validation: number[] } {
  if (!(fraction >= 0 && fraction < 1)) throw new UserError(`validationFraction must be at least 0 and below 1, got ${fraction}`, 'bad-option');
  const members: number[][] = Array.from({ length: numClasses }, () => []);
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= 0) members[labels[i]].push(i);
  }
  const train: number[] = [];
  const validation: number[] = [];
  for (const group of members) {
    const n = group.length;
    const held = fraction === 0 || n < 2 ? 0 : Math.min(n - 1, Math.max(1, Math.round(n * fraction)));
    const ranked = group
      .map((index) => ({ index, rank: createHash('sha1').update(`${seed}\0${keys[index]}`).digest('hex') }))
      .sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : a.index - b.index));
    ranked.forEach(({ index }, k) => (k < held ? validation : train).push(index));
  }
  const ascending = (a: number, b: number) => a - b;
  return { train: train.sort(ascending), validation: validation.sort(ascending) };
}
