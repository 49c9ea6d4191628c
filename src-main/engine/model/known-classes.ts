/**
 * Which of a person's classes the model they start from already knows. A folder named "cats" or
 * "Dog" is the shipped model's "cat" or "dog", so its row of the classifier can start from the
 * trained one instead of from noise (model/copy-weights.ts), and the Quick fit can lean on it
 * (transfer/softmax-head.ts, its `prior`).
 */

/**
 * Other names people give CIFAR-10's classes (the shipped model's, checkpoint/pretrained.ts).
 * Plurals need no entry: they are tried by `candidates`.
 */
const ALIASES: Readonly<Record<string, string>> = {
  car: 'automobile',
  plane: 'airplane',
  aeroplane: 'airplane',
};

/** Case, width, accents' composed form, separators and surrounding spaces do not make another class. */
function normalise(name: string): string {
  return name
    .normalize('NFKC')
    .toLocaleLowerCase('en')
    .trim()
    .replace(/[\s_-]+/g, ' ');
}

/** The names `name` may be known by: itself, its singular ("cats", "boxes") and an alias of either. */
function candidates(name: string): string[] {
  const base = normalise(name);
  const singular = [base, base.endsWith('es') ? base.slice(0, -2) : null, base.endsWith('s') ? base.slice(0, -1) : null].filter((s): s is string => !!s);
  return [...new Set(singular.flatMap((s) => [s, ALIASES[s]].filter((c): c is string => !!c)))];
}

/**
 * For each target class, the index of the source class it is, or null for a class the source does
 * not know. A source class answers at most one target class: when two of the person's classes
 * would take the same one ("cat" and "cats"), neither does, since either would be a guess.
 */
export function knownClassIndices(target: readonly string[], source: readonly string[]): (number | null)[] {
  const sourceIndex = new Map(source.map((name, i) => [normalise(name), i]));
  const found = target.map((name) => {
    for (const c of candidates(name)) {
      const i = sourceIndex.get(c);
      if (i !== undefined) return i;
    }
    return null;
  });
  const taken = new Map<number, number>();
  for (const i of found) if (i !== null) taken.set(i, (taken.get(i) ?? 0) + 1);
  return found.map((i) => (i !== null && taken.get(i) === 1 ? i : null));
}
