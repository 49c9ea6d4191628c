import { execFileSync } from 'node:child_process';
import { mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMAGE_EXTENSIONS, naturalCompare, walkImageFiles, type WalkHooks } from '../../../src-main/engine/data/files';
import { systemFolderKind } from '../../../src-main/engine/data/system-folders';
import { AbortedError, UserError } from '../../../src-main/engine/errors';
import type { SkippedFile } from '../../../src-main/engine/types';
import { tempDir, writeFileDeep } from './fixtures';

async function walkAll(dir: string, hooks: WalkHooks = {}): Promise<{ found: string[]; skipped: SkippedFile[] }> {
  const found: string[] = [];
  const skipped: SkippedFile[] = [];
  for await (const path of walkImageFiles(dir, undefined, { ...hooks, onSkip: (file) => skipped.push(file) })) found.push(path.slice(dir.length + 1));
  return { found, skipped };
}

describe('walkImageFiles', () => {
  let dir: string;
  let outside: string;
  let cleanup: () => Promise<void>;
  let cleanupOutside: () => Promise<void>;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('walk'));
    ({ dir: outside, cleanup: cleanupOutside } = await tempDir('walk-outside'));
    for (const rel of [
      'b.PNG',
      'a.jpg',
      'z/deep/x.webp',
      'z/y.TIFF',
      'm/n.bmp',
      'm/o.gif',
      'm/p.tif',
      'm/q.JPEG',
      'notes.txt',
      '.hidden.png',
      '.git/c.png',
      'm/.cache/d.png',
    ]) {
      await writeFileDeep(join(dir, rel), 'x');
    }
    await writeFileDeep(join(outside, 'secret.png'), 'x');
    await writeFileDeep(join(outside, 'more', 'e.png'), 'x');
    // A link back to the root must not loop.
    await symlink(dir, join(dir, 'z', 'loop'));
  });
  afterAll(async () => {
    await cleanup();
    await cleanupOutside();
  });

  it('yields image files recursively, sorted, case-insensitive, skipping hidden entries and loops', async () => {
    const { found, skipped } = await walkAll(dir);
    expect(found).toEqual(['a.jpg', 'b.PNG', 'm/n.bmp', 'm/o.gif', 'm/p.tif', 'm/q.JPEG', 'z/deep/x.webp', 'z/y.TIFF']);
    expect(skipped).toEqual([
      { path: join(dir, 'z', 'loop'), reason: 'link loop: leads back to a folder being scanned (not followed)', detail: `links to ${dir}` },
    ]);
    expect(IMAGE_EXTENSIONS).toEqual(['.jpg', '.jpeg', '.png', '.webp', '.bmp', '.gif', '.tiff', '.tif']);
  });

  it('follows no link out of the root, lists broken links and self-loops, and passes pipes by', async () => {
    const { dir: root, cleanup: done } = await tempDir('walk-links');
    try {
      await writeFileDeep(join(root, 'cat', '1.png'), 'x');
      await symlink('/', join(root, 'cat', 'everything'));
      await symlink(join(outside, 'more'), join(root, 'elsewhere'));
      await symlink(join(outside, 'secret.png'), join(root, 'cat', 'secret.png'));
      await symlink(join(root, 'cat', '1.png'), join(root, 'cat', 'same.png'));
      await symlink(join(root, 'nowhere.png'), join(root, 'cat', 'dangling.png'));
      await symlink(join(root, 'self'), join(root, 'self'));
      execFileSync('mkfifo', [join(root, 'cat', 'pipe.jpg')]);
      const started = Date.now();
      const { found, skipped } = await walkAll(root);
      expect(Date.now() - started).toBeLessThan(2000);
      expect(found).toEqual(['cat/1.png', 'cat/same.png']);
      expect(skipped.map((s) => [s.path.slice(root.length + 1), s.reason])).toEqual([
        ['cat/dangling.png', 'broken link: its target does not exist'],
        ['cat/everything', 'link to a folder outside the dataset folder (not followed)'],
        ['cat/pipe.jpg', 'not a regular file (a named pipe)'],
        ['cat/secret.png', 'link to a file outside the dataset folder (not read)'],
        ['elsewhere', 'link to a folder outside the dataset folder (not followed)'],
        ['self', 'link loop: the link leads back to itself'],
      ]);
      expect(skipped[0].detail).toBe(`links to ${join(root, 'nowhere.png')} (ENOENT)`);
      expect(skipped[1].detail).toBe('links to /');
    } finally {
      await done();
    }
  });

  it('refuses system folders and skips them when mounted below the root', async () => {
    await expect(walkImageFiles('/proc').next()).rejects.toThrow('/proc is a system folder (/proc) that holds no images; choose a folder of images');
    await expect(walkImageFiles('/sys/kernel').next()).rejects.toBeInstanceOf(UserError);
    // By path, and (on Linux) by file system type wherever procfs or sysfs is mounted.
    expect(await systemFolderKind('/proc/self/fd')).toBe('/proc');
    expect(await systemFolderKind('/dev')).toBe('/dev');
    expect(await systemFolderKind('/dev/shm')).toBeNull();
    expect(await systemFolderKind('/processed')).toBeNull();
    expect(await systemFolderKind(dir)).toBeNull();
    if (process.platform === 'linux') {
      const { dir: root, cleanup: done } = await tempDir('walk-proc');
      try {
        // A bind mount of /proc inside a dataset folder, where the container allows mounting.
        const mounted = join(root, 'proc-inside');
        await mkdir(mounted);
        let bound = false;
        try {
          execFileSync('mount', ['--bind', '/proc', mounted], { stdio: 'ignore' });
          bound = true;
        } catch {
          // No mount permission here: the path checks above still ran.
        }
        if (bound) {
          try {
            expect(await systemFolderKind(mounted)).toBe('proc');
            const { found, skipped } = await walkAll(root);
            expect(found).toEqual([]);
            expect(skipped).toEqual([{ path: mounted, reason: 'system folder (proc), not scanned' }]);
          } finally {
            execFileSync('umount', [mounted]);
          }
        }
      } finally {
        await done();
      }
    }
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

  it('counts every entry it looks at, for progress', async () => {
    let seen = 0;
    await walkAll(dir, { onEntry: () => seen++ });
    // 8 images, notes.txt, .hidden.png, .git, 3 folders (m, z, z/deep), m/.cache and the loop link.
    expect(seen).toBe(16);
  });
});

describe('naturalCompare', () => {
  it('puts 2 before 10 and is total', () => {
    expect(['10.jpg', '1.jpg', '2.jpg', '0.jpg', '11.jpg', 'b/3.png', 'a/20.png', 'a/3.png'].sort(naturalCompare)).toEqual([
      '0.jpg',
      '1.jpg',
      '2.jpg',
      '10.jpg',
      '11.jpg',
      'a/3.png',
      'a/20.png',
      'b/3.png',
    ]);
    expect(naturalCompare('a.jpg', 'A.jpg')).not.toBe(0);
  });
});
