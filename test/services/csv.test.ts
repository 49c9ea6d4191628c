import { describe, expect, it } from 'vitest';
import { csvText, UTF8_BOM } from '../../src-main/services/csv';

describe('CSV exports', () => {
  it('start with a UTF-8 byte-order mark, so Excel reads 猫 and Flugzeug ✈ as written', () => {
    const text = csvText(
      ['label', 'count'],
      [
        ['猫', 3],
        ['Flugzeug ✈', 1],
        ['a, "quoted"', null],
      ],
    );
    const bytes = Buffer.from(text, 'utf8');
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(text.startsWith(UTF8_BOM)).toBe(true);
    expect(bytes.subarray(3).toString('utf8')).toBe('label,count\n猫,3\nFlugzeug ✈,1\n"a, ""quoted""",\n');
    // Exactly one mark, however many rows.
    expect(text.lastIndexOf(UTF8_BOM)).toBe(0);
  });
});
