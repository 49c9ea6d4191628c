/**
 * Confident learning (Northcutt, Jiang and Chuang, "Confident Learning: Estimating Uncertainty in
 * Dataset Labels", JAIR 2021), the part that finds the label issues, as cleanlab's
 * find_label_issues does by default (filter 'prune_by_noise_rate', ranked by self-confidence):
 *  1. per-class thresholds t_j: the mean out-of-sample probability of j over the images labeled j
 *     (how sure the model is, on average, of a correct j);
 *  2. the confident joint C[i][j]: images labeled i whose confident class is j, the class with the
 *     largest p_j among those with p_j >= t_j; each row scaled to the number of images labeled i,
 *     so C[i][j] for j != i estimates how many images labeled i are really j;
 *  3. from the images labeled i, the C[i][j] with the largest margin p_j - p_i are issues
 *     suggested as j; an image whose most probable class is its label is never one;
 *  4. our addition: an image with less than chance (1/C) on its label and another class first is
 *     an issue too, suggested as that class, where rounding the joint left its cell at 0 (few images).
 * Per-class thresholds, not one global cut-off, are what let a class the model finds hard (low
 * probabilities everywhere) be judged fairly; estimating how many errors each pair of classes has,
 * instead of listing every disagreement, is what keeps the count honest for a weak model.
 */

export interface LabelIssue {
  /** Row of the image in the probabilities. */
  index: number;
  label: number;
  suggested: number;
  labelProbability: number;
  suggestedProbability: number;
  /** 1 - p(label), the self-confidence ranking: higher is more suspicious. */
  score: number;
}

/**
 * Per-class thresholds t_j: mean p_j over the images labeled j; NaN for a class with no images
 * (it is never a confident class).
 */
export function classThresholds(probabilities: Float64Array, labels: Int32Array, classes: number): Float64Array {
  const sum = new Float64Array(classes);
  const count = new Float64Array(classes);
  for (let i = 0; i < labels.length; i++) {
    sum[labels[i]] += probabilities[i * classes + labels[i]];
    count[labels[i]]++;
  }
  return sum.map((s, j) => (count[j] > 0 ? s / count[j] : Number.NaN));
}

/** The confident joint, each row scaled to its label count: estimated images labeled i that are truly j. */
export function calibratedConfidentJoint(probabilities: Float64Array, labels: Int32Array, classes: number): Float64Array[] {
  const t = classThresholds(probabilities, labels, classes);
  const joint = Array.from({ length: classes }, () => new Float64Array(classes));
  const labelCounts = new Float64Array(classes);
  for (let i = 0; i < labels.length; i++) {
    labelCounts[labels[i]]++;
    let confident = -1;
    for (let j = 0; j < classes; j++) {
      const p = probabilities[i * classes + j];
      if (p >= t[j] && (confident < 0 || p > probabilities[i * classes + confident])) confident = j;
    }
    if (confident >= 0) joint[labels[i]][confident]++;
  }
  for (let i = 0; i < classes; i++) {
    const row = joint[i].reduce((a, b) => a + b, 0);
    for (let j = 0; j < classes; j++) joint[i][j] = row > 0 ? (joint[i][j] / row) * labelCounts[i] : 0;
  }
  return joint;
}

/**
 * The label issues, most suspicious (lowest p(label)) first; ties keep the earlier row first.
 * @param probabilities row-major `[labels.length, classes]`, out-of-sample
 */
export function findLabelIssues(probabilities: Float64Array, labels: Int32Array, classes: number): LabelIssue[] {
  const joint = calibratedConfidentJoint(probabilities, labels, classes);
  const p = (i: number, j: number) => probabilities[i * classes + j];
  const top = (i: number) => {
    let best = 0;
    for (let j = 1; j < classes; j++) if (p(i, j) > p(i, best)) best = j;
    return best;
  };
  const members = Array.from({ length: classes }, () => [] as number[]);
  labels.forEach((label, i) => members[label].push(i));
  const chosen = new Map<number, { suggested: number; margin: number }>();
  for (let i = 0; i < classes; i++) {
    for (let j = 0; j < classes; j++) {
      const count = Math.round(joint[i][j]);
      if (j === i || count === 0) continue;
      const byMargin = members[i].map((row) => ({ row, margin: p(row, j) - p(row, i) })).sort((a, b) => b.margin - a.margin || a.row - b.row);
      for (const { row, margin } of byMargin.slice(0, count)) {
        const earlier = chosen.get(row);
        if (!earlier || margin > earlier.margin) chosen.set(row, { suggested: j, margin });
      }
    }
  }
  // Confident learning counts an image for class j only when p_j reaches j's mean self-confidence
  // t_j, so with a handful of images per class a plain mistake can fall between the thresholds (a
  // blue drawing filed as red: p(blue) 0.85 against t_blue 0.90, p(red) 0.10) and its cell rounds to 0.
  // An image the held-out model puts below chance on its own label and on another class first is
  // listed too, suggested as that class.
  labels.forEach((label, row) => {
    if (!chosen.has(row) && top(row) !== label && p(row, label) < 1 / classes)
      chosen.set(row, { suggested: top(row), margin: p(row, top(row)) - p(row, label) });
  });
  const issues: LabelIssue[] = [];
  for (const [index, { suggested }] of chosen) {
    if (top(index) === labels[index]) continue;
    const labelProbability = p(index, labels[index]);
    issues.push({ index, label: labels[index], suggested, labelProbability, suggestedProbability: p(index, suggested), score: 1 - labelProbability });
  }
  return issues.sort((a, b) => b.score - a.score || a.index - b.index);
}
