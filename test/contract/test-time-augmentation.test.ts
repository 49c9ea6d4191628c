/**
 * The test-time augmentations are listed once (contract/test-time-augmentation.ts): the contract's
 * schema takes that list, and no other file of the app writes it out again, except migration 6,
 * whose CHECK is frozen SQL and must still agree.
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root, sourceFiles } from './source-files';
import { testTimeAugmentation } from '../../src-main/contract/schemas/evaluation';
import { TEST_TIME_AUGMENTATIONS } from '../../src-main/contract/test-time-augmentation';
import { requestedTta } from '../../src-main/engine/runtime/tta';
import { MIGRATIONS } from '../../src-main/storage';

const HOME = 'src-main/contract/test-time-augmentation.ts';
const FROZEN = 'src-main/storage/migrations.ts';

describe('test-time augmentations', () => {
  it('the contract’s schema and the engine’s option check take the one list', () => {
    expect(testTimeAugmentation.options).toEqual([...TEST_TIME_AUGMENTATIONS]);
    for (const tta of TEST_TIME_AUGMENTATIONS) expect(requestedTta(tta)).toBe(tta);
    expect(() => requestedTta('mirror')).toThrow('tta must be one of none, flip, flip-shift, got "mirror"');
  });

  it('no other source file lists them again (a union type or an array of the three names)', () => {
    // Three quoted names in a row, joined by commas or bars: how a z.enum, an array or a type would write them.
    const written = new RegExp(TEST_TIME_AUGMENTATIONS.map((name) => `['"]${name}['"]`).join(String.raw`\s*[,|]\s*`));
    const copies = [...sourceFiles(join(root, 'src-main')), ...sourceFiles(join(root, 'src-renderer'))]
      .map((file) => relative(root, file))
      .filter((file) => file !== HOME && file !== FROZEN && written.test(readFileSync(join(root, file), 'utf8')));
    expect(copies).toEqual([]);
  });

  it('migration 6’s CHECK of both tta columns allows exactly the list', () => {
    const sql = MIGRATIONS.find((m) => m.version === 6)?.sql ?? '';
    const checks = [...sql.matchAll(/CHECK \(tta IN \(([^)]*)\)\)/g)].map((m) => m[1].split(',').map((v) => v.trim().replace(/^'|'$/g, '')));
    expect(checks).toHaveLength(2);
    for (const allowed of checks) expect(allowed).toEqual([...TEST_TIME_AUGMENTATIONS]);
  });
});
