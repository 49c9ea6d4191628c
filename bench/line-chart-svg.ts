/**
 * A plain SVG line chart for benchmark results in docs/: series of (x, mean) points with an optional
 * band (mean ± spread), labelled axes and a legend. Hand-written so the docs need no plotting package.
 */

export interface ChartSeries {
  name: string;
  color: string;
  points: { x: number; y: number; spread?: number }[];
}

export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  xTicks: number[];
  /** y range; ticks every `yStep`. */
  yMin: number;
  yMax: number;
  yStep: number;
  /** How a y tick reads, e.g. as a percentage. */
  yFormat?: (y: number) => string;
  series: ChartSeries[];
  note?: string;
}

const W = 720;
const H = 440;
const PAD = { left: 72, right: 24, top: 48, bottom: 76 };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const f1 = (n: number) => n.toFixed(1);

export function lineChartSvg(chart: LineChart): string {
  const xMin = Math.min(...chart.xTicks);
  const xMax = Math.max(...chart.xTicks);
  const px = (x: number) => PAD.left + ((x - xMin) / (xMax - xMin)) * (W - PAD.left - PAD.right);
  const py = (y: number) => H - PAD.bottom - ((y - chart.yMin) / (chart.yMax - chart.yMin)) * (H - PAD.top - PAD.bottom);
  const yFormat = chart.yFormat ?? ((y: number) => String(y));
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="13">`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${W / 2}" y="26" text-anchor="middle" font-size="16" font-weight="bold">${esc(chart.title)}</text>`,
  ];
  const ySteps = Math.round((chart.yMax - chart.yMin) / chart.yStep);
  for (let i = 0; i <= ySteps; i++) {
    const y = chart.yMin + i * chart.yStep;
    out.push(
      `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${f1(py(y))}" y2="${f1(py(y))}" stroke="#e4e4e4"/>`,
      `<text x="${PAD.left - 8}" y="${f1(py(y) + 4)}" text-anchor="end">${esc(yFormat(y))}</text>`,
    );
  }
  for (const x of chart.xTicks) {
    out.push(
      `<line x1="${f1(px(x))}" x2="${f1(px(x))}" y1="${H - PAD.bottom}" y2="${H - PAD.bottom + 5}" stroke="#333"/>`,
      `<text x="${f1(px(x))}" y="${H - PAD.bottom + 20}" text-anchor="middle">${x}</text>`,
    );
  }
  out.push(
    `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${H - PAD.bottom}" y2="${H - PAD.bottom}" stroke="#333"/>`,
    `<line x1="${PAD.left}" x2="${PAD.left}" y1="${PAD.top}" y2="${H - PAD.bottom}" stroke="#333"/>`,
    `<text x="${(PAD.left + W - PAD.right) / 2}" y="${H - PAD.bottom + 44}" text-anchor="middle">${esc(chart.xLabel)}</text>`,
    `<text transform="translate(20 ${(PAD.top + H - PAD.bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(chart.yLabel)}</text>`,
  );
  for (const s of chart.series) {
    const band = s.points.filter((p) => p.spread !== undefined);
    if (band.length > 1) {
      const upper = band.map((p) => `${f1(px(p.x))},${f1(py(p.y + (p.spread ?? 0)))}`);
      const lower = band.map((p) => `${f1(px(p.x))},${f1(py(p.y - (p.spread ?? 0)))}`).reverse();
      out.push(`<polygon points="${[...upper, ...lower].join(' ')}" fill="${s.color}" fill-opacity="0.15" stroke="none"/>`);
    }
    const line = s.points.map((p) => `${f1(px(p.x))},${f1(py(p.y))}`).join(' ');
    out.push(`<polyline points="${line}" fill="none" stroke="${s.color}" stroke-width="2.5"/>`);
    for (const p of s.points) out.push(`<circle cx="${f1(px(p.x))}" cy="${f1(py(p.y))}" r="3.5" fill="${s.color}"/>`);
  }
  // Legend in the lower right, where accuracy curves that rise leave room.
  const legendX = W - PAD.right - 250;
  const legendY = H - PAD.bottom - 20 - 22 * chart.series.length;
  out.push(`<rect x="${legendX - 10}" y="${legendY - 16}" width="250" height="${22 * chart.series.length + 8}" fill="#ffffff" stroke="#cccccc"/>`);
  chart.series.forEach((s, i) => {
    const y = legendY + 22 * i;
    out.push(
      `<line x1="${legendX}" x2="${legendX + 28}" y1="${y - 4}" y2="${y - 4}" stroke="${s.color}" stroke-width="2.5"/>`,
      `<text x="${legendX + 36}" y="${y}">${esc(s.name)}</text>`,
    );
  });
  if (chart.note) out.push(`<text x="${PAD.left}" y="${H - 10}" font-size="11" fill="#555">${esc(chart.note)}</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
