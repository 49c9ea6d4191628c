/** Reproducible initial weights for a seed. */
import { createRng } from '../data/augment';

/**
 * Runs the synchronous `build` with `Math.random` replaced by a generator seeded with `seed`.
 * tfjs initializers given no seed of their own draw one from `Math.random` (tfjs-core
 * rand_util), and the model builder passes none, so this makes a fresh model's weights a function
 * of the run's seed: two runs with one seed start from the same point.
 */
export function withSeededRandom<T>(seed: number, build: () => T): T {
  const original = Math.random;
  Math.random = createRng(seed ^ 0x5eed);
  try {
    return build();
  } finally {
    Math.random = original;
  }
}
