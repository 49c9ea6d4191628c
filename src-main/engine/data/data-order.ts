/** Deterministic sample order: which samples a run uses, their order per epoch, and per-step augmentation seeds. */
import { createRng } from './augment';

/** Fisher-Yates shuffle of a copy of `items` with `rng`. */
export function shuffled<T>(items: readonly T[], rng: () => number): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/**
 * `n` items spread evenly over `items` (all of them when `n` covers it). Folder splits list their
 * samples class by class, so taking the first `n` would keep only the first classes; a spread
 * subset keeps the class mix.
 */
export function spreadSubset<T>(items: readonly T[], n: number): T[] {
  if (n >= items.length) return items.slice();
  return Array.from({ length: n }, (_, i) => items[Math.floor((i * items.length) / n)]);
}

/** Sample order of epoch `epoch` (0-based): a shuffle seeded with `seed + epoch`. */
export function epochOrder(indices: readonly number[], seed: number, epoch: number): number[] {
  return shuffled(indices, createRng(seed + epoch));
}

/**
 * Seed of the augmentation random numbers for one step. Seeding per step (not per run) lets a run
 * stopped in the middle of an epoch resume with exactly the crops and flips it would have drawn.
 */
export function stepSeed(seed: number, epoch: number, step: number): number {
  let h = 0x9e3779b9;
  for (const part of [seed, epoch, step]) {
    h = Math.imul(h ^ (part >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}
