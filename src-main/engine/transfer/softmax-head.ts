/**
 * The quick path's classifier: multinomial logistic regression on frozen features, fitted in plain
 * arrays. The problem is convex and small (a few thousand images, a few hundred features), so a
 * full-batch fit takes well under a second and gives the same head for the same data every time.
 */

export interface SoftmaxHead {
  /** Row-major `[width, classes]`, as the dense layer's kernel. */
  kernel: Float32Array;
  bias: Float32Array;
  /** The L2 strength the cross-validation chose. */
  l2: number;
}

/**
 * A head to lean on: the rows of the classes the starting model already knows (model/known-classes.ts),
 * as the dense layer holds them. The fit starts there and its L2 pulls towards them instead of
 * towards zero (a Gaussian prior centred on the trained row), so with few images a known class keeps
 * what 50,000 pretraining images taught it, and the cross-validation says how far to move.
 */
export interface HeadPrior {
  /** Row-major `[width, classes]`; the columns of unknown classes are ignored. */
  kernel: Float32Array;
  bias: Float32Array;
  known: readonly boolean[];
}

export interface HeadFitOptions {
  classes: number;
  /** L2 strengths to choose from by k-fold cross-validation on the training features. */
  l2Grid?: readonly number[];
  prior?: HeadPrior;
  folds?: number;
  iterations?: number;
  labelSmoothing?: number;
}

const DEFAULT_GRID = [1e-4, 1e-3, 1e-2, 1e-1];
/** With a prior, strong pulls are worth trying too: at 10 a known row barely leaves the pretrained one. */
const PRIOR_GRID = [1e-3, 1e-2, 1e-1, 1, 10];

interface Standardised {
  x: Float32Array;
  mean: Float64Array;
  scale: Float64Array;
}

/** Zero mean and unit variance per feature, so one learning rate suits every feature. */
function standardise(features: Float32Array, n: number, width: number): Standardised {
  const mean = new Float64Array(width);
  const scale = new Float64Array(width);
  for (let i = 0; i < n; i++) for (let j = 0; j < width; j++) mean[j] += features[i * width + j] / n;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < width; j++) scale[j] += (features[i * width + j] - mean[j]) ** 2 / n;
  }
  for (let j = 0; j < width; j++) scale[j] = 1 / Math.max(Math.sqrt(scale[j]), 1e-6);
  const x = new Float32Array(n * width);
  for (let i = 0; i < n; i++) for (let j = 0; j < width; j++) x[i * width + j] = (features[i * width + j] - mean[j]) * scale[j];
  return { x, mean, scale };
}

/**
 * Logits `[rows.length, classes]` of standardised rows under (w, b), `w` class-major
 * `[classes, width]`. Used once per fit, on held-out rows; the fit itself uses `productRows`.
 */
function logitsOf(x: Float32Array, rows: readonly number[], width: number, classes: number, w: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(rows.length * classes);
  for (let r = 0; r < rows.length; r++) {
    const at = rows[r] * width;
    for (let k = 0; k < classes; k++) {
      let z = b[k];
      const wk = k * width;
      for (let j = 0; j < width; j++) z += x[at + j] * w[wk + j];
      out[r * classes + k] = z;
    }
  }
  return out;
}

/**
 * out[v * n + r] = b[v] + sum_j a[r * width + j] * w[v * width + j], for `a` `[n, width]` and `w`
 * `[vectors, width]`. The loop's cost is its loads, so it works on two rows and four vectors at a
 * time (6 loads for 8 multiply-adds, 1.4x over one row); each sum still starts at its bias and adds
 * j in order, so it is the plain loop's to the bit.
 * The gradient's product is the same one: a = X^T `[width, n]`, w = residuals `[vectors, n]`, b = 0.
 */
function productRows(a: Float64Array, n: number, width: number, w: Float64Array, b: Float64Array | null, vectors: number, out: Float64Array): void {
  let r = 0;
  for (; r + 2 <= n; r += 2) {
    const a0 = r * width,
      a1 = a0 + width;
    let v = 0;
    for (; v + 4 <= vectors; v += 4) {
      const w0 = v * width,
        w1 = w0 + width,
        w2 = w1 + width,
        w3 = w2 + width;
      let z00 = b ? b[v] : 0,
        z01 = b ? b[v + 1] : 0,
        z02 = b ? b[v + 2] : 0,
        z03 = b ? b[v + 3] : 0;
      let z10 = z00,
        z11 = z01,
        z12 = z02,
        z13 = z03;
      for (let j = 0; j < width; j++) {
        const x0 = a[a0 + j],
          x1 = a[a1 + j];
        const c0 = w[w0 + j],
          c1 = w[w1 + j],
          c2 = w[w2 + j],
          c3 = w[w3 + j];
        z00 += x0 * c0;
        z01 += x0 * c1;
        z02 += x0 * c2;
        z03 += x0 * c3;
        z10 += x1 * c0;
        z11 += x1 * c1;
        z12 += x1 * c2;
        z13 += x1 * c3;
      }
      out[v * n + r] = z00;
      out[(v + 1) * n + r] = z01;
      out[(v + 2) * n + r] = z02;
      out[(v + 3) * n + r] = z03;
      out[v * n + r + 1] = z10;
      out[(v + 1) * n + r + 1] = z11;
      out[(v + 2) * n + r + 1] = z12;
      out[(v + 3) * n + r + 1] = z13;
    }
    for (; v < vectors; v++) {
      let z0 = b ? b[v] : 0,
        z1 = z0;
      for (let j = 0; j < width; j++) {
        z0 += a[a0 + j] * w[v * width + j];
        z1 += a[a1 + j] * w[v * width + j];
      }
      out[v * n + r] = z0;
      out[v * n + r + 1] = z1;
    }
  }
  for (; r < n; r++) {
    for (let v = 0; v < vectors; v++) {
      let z = b ? b[v] : 0;
      for (let j = 0; j < width; j++) z += a[r * width + j] * w[v * width + j];
      out[v * n + r] = z;
    }
  }
}

interface FitOptions {
  classes: number;
  iterations: number;
  labelSmoothing: number;
  /** Where each fit starts and what its L2 pulls towards, class-major in standardised space; zero without a prior. */
  centre: { w: Float64Array; b: Float64Array } | null;
}

/**
 * The prior's rows in the standardised space the fit works in: z = sum_j x_j * w_kj + b_k with
 * x_j = (f_j - mean_j) * scale_j equals the raw head's sum_j f_j * K_jk + B_k when
 * w_kj = K_jk / scale_j and b_k = B_k + sum_j mean_j * K_jk. Unknown classes centre on zero.
 */
function standardisedPrior(prior: HeadPrior, s: Standardised, width: number, classes: number) {
  const w = new Float64Array(classes * width);
  const b = new Float64Array(classes);
  for (let k = 0; k < classes; k++) {
    if (!prior.known[k]) continue;
    let shift = prior.bias[k];
    for (let j = 0; j < width; j++) {
      const raw = prior.kernel[j * classes + k];
      w[k * width + j] = raw / s.scale[j];
      shift += s.mean[j] * raw;
    }
    b[k] = shift;
  }
  return { w, b };
}

/**
 * Full-batch Adam on mean label-smoothed cross-entropy plus l2/2 |w - centre|^2, for every strength in `l2s`
 * at once on the same rows: their weights are stacked `[l2s.length * classes, width]` (each fit
 * class-major), so one pass over the features serves them all. Each fit's numbers are those of
 * fitting it alone, in the same order, so the heads are the same to the bit. Returns one (w, b) per l2.
 */
function fitSharingRows(x: Float32Array, labels: Int32Array, rows: readonly number[], width: number, l2s: readonly number[], o: FitOptions) {
  const { classes, iterations, labelSmoothing, centre } = o;
  const n = rows.length;
  const vectors = l2s.length * classes;
  // The rows' features twice, row-major for the logits and transposed for the gradient, so both
  // products read memory in order (float32 -> float64 is exact, so the values are unchanged).
  const xr = new Float64Array(n * width);
  const xt = new Float64Array(width * n);
  rows.forEach((row, r) => {
    for (let j = 0; j < width; j++) xt[j * n + r] = xr[r * width + j] = x[row * width + j];
  });
  const target = new Float64Array(classes * n);
  rows.forEach((row, r) => {
    for (let k = 0; k < classes; k++) target[k * n + r] = (k === labels[row] ? 1 - labelSmoothing : 0) + labelSmoothing / classes;
  });
  const w = new Float64Array(vectors * width);
  const b = new Float64Array(vectors);
  if (centre) {
    for (let f = 0; f < l2s.length; f++) {
      w.set(centre.w, f * classes * width);
      b.set(centre.b, f * classes);
    }
  }
  const [gw, mw, vw] = [0, 0, 0].map(() => new Float64Array(w.length));
  const [gb, mb, vb] = [0, 0, 0].map(() => new Float64Array(vectors));
  const p = new Float64Array(vectors * n);
  const lr = 0.05;
  const adam = (t: number, i: number, g: number, m: Float64Array, v: Float64Array) => {
    m[i] = 0.9 * m[i] + 0.1 * g;
    v[i] = 0.999 * v[i] + 0.001 * g * g;
    return (lr * (m[i] / (1 - 0.9 ** t))) / (Math.sqrt(v[i] / (1 - 0.999 ** t)) + 1e-8);
  };
  for (let t = 1; t <= iterations; t++) {
    productRows(xr, n, width, w, b, vectors, p);
    // Softmax over each fit's classes, then p becomes the mean residual (p - target) / n.
    for (let f = 0; f < l2s.length; f++) {
      const at = f * classes * n;
      for (let r = 0; r < n; r++) {
        let max = -Infinity;
        for (let k = 0; k < classes; k++) max = Math.max(max, p[at + k * n + r]);
        let sum = 0;
        for (let k = 0; k < classes; k++) sum += p[at + k * n + r] = Math.exp(p[at + k * n + r] - max);
        for (let k = 0; k < classes; k++) p[at + k * n + r] = (p[at + k * n + r] / sum - target[k * n + r]) / n;
      }
    }
    for (let v = 0; v < vectors; v++) {
      let s = 0;
      for (let r = 0; r < n; r++) s += p[v * n + r];
      gb[v] = s;
    }
    // gw[v, j] = sum_r residual[v, r] * x[r, j], rows in order as the plain loop adds them.
    productRows(xt, width, n, p, null, vectors, gw);
    for (let f = 0; f < l2s.length; f++) {
      const at = f * classes * width;
      for (let i = at; i < at + classes * width; i++) w[i] -= adam(t, i, gw[i] + l2s[f] * (w[i] - (centre ? centre.w[i - at] : 0)), mw, vw);
    }
    for (let v = 0; v < vectors; v++) b[v] -= adam(t, v, gb[v], mb, vb);
  }
  return l2s.map((_, f) => ({ w: w.subarray(f * classes * width, (f + 1) * classes * width), b: b.subarray(f * classes, (f + 1) * classes) }));
}

/** Summed cross-entropy of `rows` under (w, b): the held-out fold's score in the cross-validation. */
function lossOf(x: Float32Array, labels: Int32Array, rows: readonly number[], width: number, classes: number, w: Float64Array, b: Float64Array): number {
  const z = logitsOf(x, rows, width, classes, w, b);
  let loss = 0;
  rows.forEach((row, r) => {
    let max = -Infinity;
    for (let k = 0; k < classes; k++) max = Math.max(max, z[r * classes + k]);
    let sum = 0;
    for (let k = 0; k < classes; k++) sum += Math.exp(z[r * classes + k] - max);
    loss += Math.log(sum) + max - z[r * classes + labels[row]];
  });
  return loss;
}

/**
 * Fits the head on `features` (row-major `[labels.length, width]`) and returns it in the raw
 * feature space, ready for the model's dense layer. The L2 strength is the grid value with the
 * lowest k-fold cross-entropy on these same training features (ties go to the stronger one), so a
 * validation split stays unseen. Cross-entropy rather than accuracy: a fold holds a few dozen
 * images, so strengths often tie or differ by one image in accuracy, and accuracy cannot see how
 * much a prior's confident rows are worth (docs/results.md, 2026-12-03: choosing by accuracy took
 * the weakest pull towards the pretrained rows and lost 3-5 points on held-out images).
 */
export function fitSoftmaxHead(features: Float32Array, labels: Int32Array, options: HeadFitOptions): SoftmaxHead {
  const n = labels.length;
  const width = features.length / n;
  const { classes } = options;
  const standardised = standardise(features, n, width);
  const { x, mean, scale } = standardised;
  const prior = options.prior && options.prior.known.some(Boolean) ? options.prior : null;
  const centre = prior ? standardisedPrior(prior, standardised, width, classes) : null;
  const o = { classes, iterations: options.iterations ?? 300, labelSmoothing: options.labelSmoothing ?? 0, centre };
  const all = Array.from({ length: n }, (_, i) => i);
  const grid = options.l2Grid ?? (prior ? PRIOR_GRID : DEFAULT_GRID);
  const folds = Math.min(options.folds ?? 3, n);
  let l2 = grid[grid.length - 1];
  if (grid.length > 1 && folds >= 2) {
    // Strongest first, so a tie keeps the stronger L2. Each fold's fits share their rows, so they
    // are fitted together; the scores add up in the same order as fitting them one by one.
    const candidates = [...grid].reverse();
    const loss = candidates.map(() => 0);
    for (let f = 0; f < folds; f++) {
      const held = all.filter((i) => i % folds === f);
      const kept = all.filter((i) => i % folds !== f);
      fitSharingRows(x, labels, kept, width, candidates, o).forEach(({ w, b }, c) => {
        loss[c] += lossOf(x, labels, held, width, classes, w, b);
      });
    }
    let bestLoss = Infinity;
    candidates.forEach((candidate, c) => {
      if (loss[c] < bestLoss - 1e-9) {
        bestLoss = loss[c];
        l2 = candidate;
      }
    });
  }
  const [{ w, b }] = fitSharingRows(x, labels, all, width, [l2], o);
  // Back to raw features: z = sum_j (f_j - mean_j) * scale_j * w_jk + b_k.
  const kernel = new Float32Array(width * classes);
  const bias = new Float32Array(classes);
  for (let k = 0; k < classes; k++) {
    let shift = b[k];
    for (let j = 0; j < width; j++) {
      kernel[j * classes + k] = w[k * width + j] * scale[j];
      shift -= mean[j] * scale[j] * w[k * width + j];
    }
    bias[k] = shift;
  }
  return { kernel, bias, l2 };
}

/** Accuracy, top-5 and plain cross-entropy of a fitted head on raw features (row-major `[labels.length, width]`). */
export function scoreHead(features: Float32Array, labels: Int32Array, head: SoftmaxHead, classes: number) {
  const n = labels.length;
  const width = features.length / Math.max(n, 1);
  let correct = 0;
  let top5 = 0;
  let loss = 0;
  const z = new Float64Array(classes);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < classes; k++) {
      let s = head.bias[k];
      for (let j = 0; j < width; j++) s += features[i * width + j] * head.kernel[j * classes + k];
      z[k] = s;
    }
    const max = Math.max(...z);
    const logSum = Math.log(z.reduce((sum, v) => sum + Math.exp(v - max), 0)) + max;
    loss += logSum - z[labels[i]];
    const above = z.filter((v) => v > z[labels[i]]).length;
    if (above === 0) correct++;
    if (above < 5) top5++;
  }
  const d = Math.max(n, 1);
  return { accuracy: correct / d, top5: top5 / d, loss: loss / d };
}
