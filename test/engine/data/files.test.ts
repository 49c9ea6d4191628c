import { symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMAGE_EXTENSIONS, walkImageFiles } from '../../../src-main/engine/data/files';
import { AbortedError, UserError } from '../../../src-main/engine/errors';
import { tempDir, writeFileDeep } from './fixtures';

describe('walkImageFiles', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('walk'));
    for (const rel of ['b.PNG', 'a.jpg', 'z/deep/x.webp', 'z/y.TIFF', 'm/n.bmp', 'm/o.gif', 'm/p.tif', 'm/q.JPEG', 'notes.txt', '.hidden.png', '.git/c.png', 'm/.cache/d.png']) {
      await writeFileDeep(join(dir, rel), 'x');
    }
    // A link back to the root must not loop.
    await symlink(dir, join(dir, 'z', 'loop'));
  });
  afterAll(() => cleanup());

  it('yields image files recursively, sorted, case-insensitive, skipping hidden entries and loops', async () => {
    const found: string[] = [];
    for await (const path of walkImageFiles(dir)) found.push(path.slice(dir.length + 1));
    expect(found).toEqual(['a.jpg', 'b.PNG', 'm/n.bmp', 'm/o.gif', 'm/p.tif', 'm/q.JPEG', 'z/deep/x.webp', 'z/y.TIFF']);
    expect(IMAGE_EXTENSIONS).toEqual(['.jpg', '.jpeg', '.png', '.webp', '.bmp', '.gif', '.tiff', '.tif']);
  });

  it('says when the folder is missing or a file', async () => {
    await expect(walkImageFiles(join(dir, 'nope')).next()).rejects.toBeInstanceOf(UserError);
    await expect(walkImageFiles(join(dir, 'nope')).next()).rejects.toThrow(`Folder not found: ${join(dir, 'nope')}`);
    await expect(walkImageFiles(join(dir, 'a.jpg')).next()).rejects.toThrow(/a\.jpg is a file; expected a folder of images/);
  });

  it('stops when the signal aborts', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(walkImageFiles(dir, controller.signal).next()).rejects.toBeInstanceOf(AbortedError);
  });
});
