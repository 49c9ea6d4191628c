/**
 * Number keys for classes in palette order: 1-9 for the first nine, 0 for the tenth (keyboards
 * have ten digits). Backspace or Delete removes the label.
 */
export const UNLABEL_KEYS: readonly string[] = ['Backspace', 'Delete'];

/** The key that labels with the class at `index` (0-based), or null past the tenth. */
export function classKey(index: number): string | null {
  if (index < 0 || index > 9) return null;
  return index === 9 ? '0' : String(index + 1);
}

/** The palette index a digit key stands for, or null for any other key. */
export function classIndexForKey(key: string): number | null {
  if (!/^[0-9]$/.test(key)) return null;
  return key === '0' ? 9 : Number(key) - 1;
}
