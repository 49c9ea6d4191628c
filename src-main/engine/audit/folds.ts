import { createHash } from 'node:crypto';

/**
 * Stratified, seeded k-fold assignment: within each class, samples are ranked by a hash of `seed`
 * and their key (as data/split.ts ranks them for the validation split) and dealt to folds in
 * turn, so every fold holds each class in near-equal share and the same files get the same folds.
 * @param labels class index per sample, all >= 0
 * @returns fold index (0 .. folds-1) per sample
 */
export function stratifiedFolds(labels: ArrayLike<number>, keys: readonly string[], folds: number, seed: number): Int32Array {
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const members = byClass.get(labels[i]) ?? [];
    members.push(i);
    byClass.set(labels[i], members);
  }
  const fold = new Int32Array(labels.length);
  // Each class starts dealing where the last one stopped, so small classes do not all pile into fold 0.
  let offset = 0;
  for (const members of byClass.values()) {
    const ranked = members
      .map((index) => ({ index, rank: createHash('sha1').update(`${seed}\0${keys[index]}`).digest('hex') }))
      .sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : a.index - b.index));
    ranked.forEach(({ index }, k) => (fold[index] = (k + offset) % folds));
    offset = (offset + members.length) % folds;
  }
  return fold;
}
