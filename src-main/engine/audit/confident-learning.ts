/**
 * Confident learning (Northcutt, Jiang and Chuang, "Confident Learning: Estimating Uncertainty in
 * Dataset Labels", JAIR 2021), the part that finds the label issues: from out-of-sample
 * probabilities, each class j gets a threshold t_j, the mean probability of j the model gives the
 * images labeled j (how sure it is, on average, of a correct j). An image labeled i is counted as
 * truly j when p_j >= t_j, taking the largest p_j among the classes that reach their threshold;
 * when that class is not i, the label is suspect. Per-class thresholds, not one global cut-off, are
 * what let a class the model finds hard (low probabilities everywhere) still be judged fairly.
 */

export interface LabelIssue {
  /** Row of the image in the probabilities. */
  index: number;
  label: number;
  suggested: number;
  labelProbability: number;
  suggestedProbability: number;
  /** p(suggested) - p(label), from -1 to 1: how much more the model believes the suggestion. */
  score: number;
}

/**
 * Per-class thresholds t_j: mean p_j over the images labeled j; NaN for a class with no images
 * (it is never suggested).
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

/**
 * Every image whose confidently counted class differs from its label, most suspicious (largest
 * score) first; ties keep the earlier row first.
 * @param probabilities row-major `[labels.length, classes]`, out-of-sample
 */
export function findLabelIssues(probabilities: Float64Array, labels: Int32Array, classes: number): LabelIssue[] {
  const t = classThresholds(probabilities, labels, classes);
  const issues: LabelIssue[] = [];
  for (let i = 0; i < labels.length; i++) {
    const p = probabilities.subarray(i * classes, (i + 1) * classes);
    let confident = -1;
    for (let j = 0; j < classes; j++) {
      if (p[j] >= t[j] && (confident < 0 || p[j] > p[confident])) confident = j;
    }
    if (confident < 0 || confident === labels[i]) continue;
    const labelProbability = p[labels[i]];
    const suggestedProbability = p[confident];
    issues.push({ index: i, label: labels[i], suggested: confident, labelProbability, suggestedProbability, score: suggestedProbability - labelProbability });
  }
  return issues.sort((a, b) => b.score - a.score || a.index - b.index);
}
