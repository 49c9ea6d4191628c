import { truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defaultCacheDirs, PixelCache } from '../../../src-main/engine/data/pixel-cache';
import { UserError } from '../../../src-main/engine/errors';
import { tempDir } from './fixtures';

const stamp = { size: 10, mtimeMs: 1234.5 };
const record = (value: number) => new Uint8Array(2 * 2 * 3).fill(value);

describe('PixelCache', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  const savedEnv = { ...process.env };
  beforeAll(async () => ({ dir, cleanup } = await tempDir('cache')));
  afterAll(() => cleanup());
  afterEach(() => {
    process.env = { ...savedEnv };
  });

  it('puts caches under the OS cache folder, else the dataset parent, or where SHUFFLENET_CACHE_DIR says', () => {
    delete process.env.SHUFFLENET_CACHE_DIR;
    process.env.XDG_CACHE_HOME = '/var/cache-home';
    const dirs = defaultCacheDirs('/data/photos', 64, 'cover');
    if (process.platform === 'linux') expect(dirs[0]).toMatch(/^\/var\/cache-home\/\.shufflenet-cache\/[0-9a-f]{16}$/);
    expect(dirs.at(-1)).toMatch(/^\/data\/\.shufflenet-cache\/[0-9a-f]{16}$/);
    expect(defaultCacheDirs('/data/photos', 32, 'cover')[0]).not.toBe(dirs[0]);
    expect(defaultCacheDirs('/data/photos', 64, 'fill')[0]).not.toBe(dirs[0]);
    process.env.SHUFFLENET_CACHE_DIR = '/tmp/mine';
    expect(defaultCacheDirs('/data/photos', 64, 'cover')).toEqual([`/tmp/mine/${dirs[0].split('/').pop()}`]);
  });

  it('stores, finds by size and mtime, reuses freed records, and survives reopening', async () => {
    const at = join(dir, 'a');
    const cache = await PixelCache.open([at], '/data', 2, 'cover');
    expect(await cache.store('x.png', stamp, record(1))).toBe(0);
    expect(await cache.store('y.png', stamp, record(2))).toBe(1);
    cache.storeFailure('z.png', stamp, 'empty file (0 bytes)');
    await cache.finishWrites();
    expect(Array.from(await cache.read([1, 0, 1]))).toEqual([...record(2), ...record(1), ...record(2)]);

    const again = await PixelCache.open([at], '/data', 2, 'cover');
    expect(again.lookup('x.png', stamp)?.slot).toBe(0);
    expect(again.lookup('x.png', { ...stamp, mtimeMs: 1 })).toBeUndefined();
    expect(again.lookup('z.png', stamp)).toMatchObject({ slot: null, reason: 'empty file (0 bytes)' });
    again.retainOnly(new Set(['y.png']));
    expect(again.lookup('x.png', stamp)).toBeUndefined();
    expect(await again.store('w.png', stamp, record(3))).toBe(0);
    await again.finishWrites();
    expect(Array.from(await again.read([0]))).toEqual(Array.from(record(3)));
  });

  it('starts afresh when the index is unreadable or the pixels file is shorter than it claims', async () => {
    const at = join(dir, 'b');
    const cache = await PixelCache.open([at], '/data', 2, 'cover');
    await cache.store('x.png', stamp, record(9));
    await cache.finishWrites();
    await truncate(join(at, 'pixels.u8'), 5);
    expect((await PixelCache.open([at], '/data', 2, 'cover')).lookup('x.png', stamp)).toBeUndefined();
    await writeFile(join(at, 'index.json'), '{ not json');
    expect((await PixelCache.open([at], '/data', 2, 'cover')).lookup('x.png', stamp)).toBeUndefined();
  });

  it('falls back to the next folder, and says where it tried when none is writable', async () => {
    const blocker = join(dir, 'a-file');
    await writeFile(blocker, 'x');
    const cache = await PixelCache.open([join(blocker, 'cache'), join(dir, 'c')], '/data', 2, 'cover');
    expect(cache.dir).toBe(join(dir, 'c'));
    const err = await PixelCache.open([join(blocker, 'cache')], '/data', 2, 'cover').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toBe(`Cannot create a pixel cache in ${join(blocker, 'cache')} (ENOTDIR); pass a writable cacheDir`);
  });
});
