/** How a command speaks: human text on a terminal, or one JSON object per line with --json. */
export interface Output {
  json: boolean;
  /** A final result: printed as JSON with --json, else through `human`. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each command passes a formatter typed for its own result; `unknown` would refuse them
  result(value: unknown, human: (value: any) => string): void;
  /** One JSON line (streams such as predictions and training events). */
  line(value: unknown): void;
  /** Progress text for people; never printed with --json. */
  progress(text: string): void;
  /** Ends a progress line so the next output starts on a fresh line. */
  endProgress(): void;
}

export function createOutput(json: boolean, stream: NodeJS.WriteStream = process.stdout): Output {
  let progressShown = false;
  const isTty = Boolean(process.stderr.isTTY);
  return {
    json,
    result(value, human) {
      this.endProgress();
      stream.write(json ? `${JSON.stringify(value)}\n` : `${human(value)}\n`);
    },
    line(value) {
      stream.write(`${JSON.stringify(value)}\n`);
    },
    progress(text) {
      if (json) return;
      if (isTty) {
        process.stderr.write(`\r\x1b[2K${text}`);
        progressShown = true;
      } else {
        process.stderr.write(`${text}\n`);
      }
    },
    endProgress() {
      if (progressShown) process.stderr.write('\n');
      progressShown = false;
    },
  };
}

/** `[#####-----] 50%` */
export function bar(fraction: number, width = 24): string {
  const filled = Math.max(0, Math.min(width, Math.round(fraction * width)));
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(rest).padStart(2, '0')}s` : `${rest}s`;
}

export function percent(x: number, digits = 2): string {
  return `${(x * 100).toFixed(digits)}%`;
}

/** Left-aligned text table. */
export function table(rows: (string | number)[][]): string {
  const cells = rows.map((row) => row.map(String));
  const widths = cells[0].map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  return cells
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
