export interface Point {
  x: number;
  y: number;
}

export interface Series {
  name: string;
  color: string;
  points: readonly Point[];
  /** Few points drawn as dots joined by a line (per-epoch values); else a plain line (per-step). */
  markers?: boolean;
  faint?: boolean;
}

/** Round tick values ("nice numbers") covering [min, max], about `count` of them. */
export function niceTicks(min: number, max: number, count = 4): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (min === max) return [min];
  const raw = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude;
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/**
 * Labels for the ticks of one axis: the chart's own format where it tells every tick apart, else
 * as many significant digits as it takes (a range of 1.100-1.115 showed "1.1 / 1.1 / 1.1").
 */
export function tickLabels(ticks: readonly number[], format: (v: number) => string): string[] {
  const distinct = (labels: string[]) => new Set(labels).size === labels.length;
  const labels = ticks.map(format);
  if (distinct(labels)) return labels;
  for (let digits = 4; digits <= 12; digits++) {
    const precise = ticks.map((t) => String(Number(t.toPrecision(digits))));
    if (distinct(precise)) return precise;
  }
  return labels;
}

/** Keeps at most `limit` points, always including the last, so long runs still draw quickly. */
export function thin(points: readonly Point[], limit: number): readonly Point[] {
  if (points.length <= limit) return points;
  const stride = points.length / limit;
  const out: Point[] = [];
  for (let i = 0; i < limit; i++) out.push(points[Math.floor(i * stride)]);
  out.push(points[points.length - 1]);
  return out;
}

export function extent(values: Iterable<number>): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : null;
}

/** Compact tick labels: 0.0005 -> "5e-4", 1200 -> "1.2k". */
export function compact(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a < 0.01) return v.toExponential(0);
  if (a >= 1000) return `${(v / 1000).toFixed(1).replace(/\.0$/, '')}k`;
  return String(Number(v.toPrecision(3)));
}
