/** Dataset health in short sentences, each with the images behind it: suspect labels, copies, class balance, small and unreadable images. */
import type { DuplicateGroup } from './duplicates';

/** The largest class at this many times the smallest earns a warning (a model then leans to the large one). */
export const IMBALANCE_RATIO = 3;

/** Images whose shorter side is below this share of the model's input side are listed as small. */
export const SMALL_SIDE_SHARE = 0.5;

export type WarningKind = 'imbalance' | 'duplicates' | 'train-validation' | 'small' | 'unreadable' | 'mislabeled';

export interface AuditWarning {
  kind: WarningKind;
  /** A short sentence naming the count ("12 images appear in both training and validation"). */
  message: string;
  /** The images it is about (absolute paths); empty for a warning about classes. */
  paths: string[];
}

export interface HealthFacts {
  classCounts: Record<string, number>;
  duplicateGroups: readonly DuplicateGroup[];
  smallImages: readonly { path: string }[];
  unreadable: readonly { path: string }[];
  likelyMislabeled: readonly { path: string }[];
  inputSize: number;
}

const images = (n: number) => `${n.toLocaleString('en-US')} ${n === 1 ? 'image' : 'images'}`;
const are = (n: number) => (n === 1 ? 'is' : 'are');

/** The likely-label-error warning's words for `n` images (the app says it again as the person answers them). */
export function mislabeledMessage(n: number): string {
  return `${images(n)} very likely ${n === 1 ? 'carries' : 'carry'} the wrong label`;
}

/** The warnings of an audit, most consequential first; none when the dataset looks healthy. */
export function healthWarnings(facts: HealthFacts): AuditWarning[] {
  const warnings: AuditWarning[] = [];
  const add = (kind: WarningKind, message: string, paths: string[] = []) => warnings.push({ kind, message, paths });
  const copies = (scope: DuplicateGroup['scope']) => facts.duplicateGroups.filter((g) => g.scope === scope).flatMap((g) => g.paths);

  const leak = copies('train-validation');
  if (leak.length > 0)
    add('train-validation', `${images(leak.length)} appear in both training and validation (copies), which inflates validation accuracy`, leak);
  const suspect = facts.likelyMislabeled.map((m) => m.path);
  if (suspect.length > 0) add('mislabeled', mislabeledMessage(suspect.length), suspect);
  const across = copies('across-classes');
  if (across.length > 0) add('duplicates', `${images(across.length)} are copies of one another filed under different classes`, across);

  const counts = Object.entries(facts.classCounts);
  for (const [name, n] of counts) if (n === 0) add('imbalance', `class ${name} has no labeled images`);
  const present = counts.filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
  if (present.length >= 2) {
    const [largest, smallest] = [present[0], present[present.length - 1]];
    const ratio = largest[1] / smallest[1];
    if (ratio >= IMBALANCE_RATIO) {
      add(
        'imbalance',
        `classes are imbalanced: ${largest[0]} has ${images(largest[1])}, ${ratio.toFixed(1)} times the ${smallest[1].toLocaleString('en-US')} of ${smallest[0]}`,
      );
    }
  }

  const within = copies('within-class');
  if (within.length > 0) add('duplicates', `${images(within.length)} are copies of one another within a class`, within);
  const unlabeled = copies('unlabeled');
  if (unlabeled.length > 0) add('duplicates', `${images(unlabeled.length)} are copies of one another, some of them unlabeled`, unlabeled);
  const small = facts.smallImages.map((s) => s.path);
  const side = Math.ceil(facts.inputSize * SMALL_SIDE_SHARE);
  if (small.length > 0)
    add(
      'small',
      `${images(small.length)} ${are(small.length)} smaller than ${side}x${side} pixels, under half the model's ${facts.inputSize}x${facts.inputSize} input`,
      small,
    );
  const unreadable = facts.unreadable.map((u) => u.path);
  if (unreadable.length > 0)
    add('unreadable', `${unreadable.length.toLocaleString('en-US')} ${unreadable.length === 1 ? 'file' : 'files'} could not be read`, unreadable);
  return warnings;
}
