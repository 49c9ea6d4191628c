/**
 * Every CSV the app exports starts with it: without a byte-order mark Excel reads UTF-8 as the
 * local code page, and "猫" or "Flugzeug ✈" come out garbled.
 */
export const UTF8_BOM = '\uFEFF';

/** One CSV field, quoted when it holds a comma, quote or line break (RFC 4180). */
export function csvField(value: string | number | null | undefined): string {
  const text = value === null || value === undefined ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(values: readonly (string | number | null | undefined)[]): string {
  return values.map(csvField).join(',');
}

/** A whole CSV file: the byte-order mark, the header, one line per row. */
export function csvText(header: readonly string[], rows: readonly (readonly (string | number | null | undefined)[])[]): string {
  return UTF8_BOM + [csvLine(header), ...rows.map(csvLine)].join('\n') + '\n';
}
