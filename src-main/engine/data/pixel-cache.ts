import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rename, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { UserError } from '../errors';

/** 2: JPEG files of the stored size decode through ./small-jpeg (slightly different pixels). */
const CACHE_VERSION = 2;
const INDEX_FILE = 'index.json';
const PIXELS_FILE = 'pixels.u8';
const MAX_RUN_RECORDS = 256;

/** What the cache knows about one source file, valid while its size and mtime are unchanged. */
interface CacheEntry {
  size: number;
  mtimeMs: number;
  /** Record number in the pixels file, or null when the file could not be decoded. */
  slot: number | null;
  reason?: string;
}

interface CacheIndex {
  version: number;
  root: string;
  storeSize: number;
  fit: string;
  slots: number;
  entries: Record<string, CacheEntry>;
}

export interface FileStamp {
  size: number;
  mtimeMs: number;
}

/** The per-user cache folder of this operating system, or null when there is no home folder. */
function osCacheDir(): string | null {
  let home: string;
  try {
    home = homedir();
  } catch {
    return null;
  }
  if (process.platform === 'win32') return process.env.LOCALAPPDATA ?? (home ? join(home, 'AppData', 'Local') : null);
  if (!home) return null;
  if (process.platform === 'darwin') return join(home, 'Library', 'Caches');
  return process.env.XDG_CACHE_HOME || join(home, '.cache');
}

/**
 * Candidate cache folders for a dataset, best first: `$SHUFFLENET_CACHE_DIR/<hash>` when set,
 * else `<os cache dir>/.shufflenet-cache/<hash>` then `<dataset parent>/.shufflenet-cache/<hash>`.
 * The hash covers the dataset path, the stored size and the fit, so each combination has its own files.
 */
export function defaultCacheDirs(root: string, storeSize: number, fit: string): string[] {
  const hash = createHash('sha256')
    .update(JSON.stringify([CACHE_VERSION, resolve(root), storeSize, fit]))
    .digest('hex')
    .slice(0, 16);
  if (process.env.SHUFFLENET_CACHE_DIR) return [join(process.env.SHUFFLENET_CACHE_DIR, hash)];
  const bases = [osCacheDir(), dirname(resolve(root))].filter((b): b is string => b !== null);
  return bases.map((base) => join(base, '.shufflenet-cache', hash));
}

/**
 * Decoded pixels on disk: one file of fixed-size `[storeSize, storeSize, 3]` records plus a JSON
 * index from relative path to record, keyed by file size and mtime so edited files are decoded
 * again. Decode failures are remembered too, so a second load decodes nothing.
 */
export class PixelCache {
  private writer: Promise<FileHandle> | null = null;
  private freeSlots: number[] = [];

  private constructor(
    readonly dir: string,
    readonly recordBytes: number,
    private index: CacheIndex,
  ) {}

  /** Opens (or creates) the cache in the first usable folder of `dirs`. */
  static async open(dirs: string[], root: string, storeSize: number, fit: string): Promise<PixelCache> {
    const failures: string[] = [];
    for (const dir of dirs) {
      try {
        await mkdir(dir, { recursive: true });
        const pixels = await open(join(dir, PIXELS_FILE), 'a');
        await pixels.close();
      } catch (err) {
        failures.push(`${dir} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
        continue;
      }
      const fresh: CacheIndex = { version: CACHE_VERSION, root: resolve(root), storeSize, fit, slots: 0, entries: {} };
      const stored = await readFile(join(dir, INDEX_FILE), 'utf8')
        .then((text) => JSON.parse(text) as CacheIndex)
        .catch(() => null);
      const pixelBytes = (await stat(join(dir, PIXELS_FILE))).size;
      const recordBytes = storeSize * storeSize * 3;
      // A pixels file shorter than the index claims (deleted or cut by a crash) invalidates the index.
      const usable =
        stored !== null &&
        pixelBytes >= stored.slots * recordBytes &&
        stored.version === CACHE_VERSION &&
        stored.storeSize === storeSize &&
        stored.fit === fit &&
        typeof stored.entries === 'object';
      return new PixelCache(dir, recordBytes, usable ? stored : fresh);
    }
    throw new UserError(`Cannot create a pixel cache in ${failures.join(' or ')}; pass a writable cacheDir`, 'cache-unwritable');
  }

  /** The cached entry for a file, when its size and mtime still match. */
  lookup(relPath: string, stamp: FileStamp): CacheEntry | undefined {
    const entry = this.index.entries[relPath];
    return entry && entry.size === stamp.size && entry.mtimeMs === stamp.mtimeMs ? entry : undefined;
  }

  /** Forgets files that are no longer in the dataset; their records are reused. */
  retainOnly(relPaths: Set<string>): void {
    for (const [rel, entry] of Object.entries(this.index.entries)) {
      if (relPaths.has(rel)) continue;
      if (entry.slot !== null) this.freeSlots.push(entry.slot);
      delete this.index.entries[rel];
    }
  }

  /** Writes one decoded image (`recordBytes` long) and returns its record number. */
  async store(relPath: string, stamp: FileStamp, pixels: Uint8Array): Promise<number> {
    if (pixels.length !== this.recordBytes) throw new Error(`pixel cache: expected ${this.recordBytes} bytes, got ${pixels.length}`);
    const previous = this.index.entries[relPath]?.slot ?? null;
    const slot = previous ?? this.freeSlots.pop() ?? this.index.slots++;
    this.writer ??= open(join(this.dir, PIXELS_FILE), 'r+');
    await (await this.writer).write(pixels, 0, pixels.length, slot * this.recordBytes);
    this.index.entries[relPath] = { size: stamp.size, mtimeMs: stamp.mtimeMs, slot };
    return slot;
  }

  /** Remembers that a file could not be decoded, and why. */
  storeFailure(relPath: string, stamp: FileStamp, reason: string): void {
    const previous = this.index.entries[relPath]?.slot ?? null;
    if (previous !== null) this.freeSlots.push(previous);
    this.index.entries[relPath] = { size: stamp.size, mtimeMs: stamp.mtimeMs, slot: null, reason };
  }

  /**
   * Saves the index atomically (temporary file, then rename). Entries are added only after their
   * pixels are written, so a saved index never points at a record still being written.
   */
  async saveIndex(): Promise<void> {
    const target = join(this.dir, INDEX_FILE);
    const temporary = `${target}.${process.pid}.tmp`;
    await writeFile(temporary, JSON.stringify(this.index));
    await rename(temporary, target);
  }

  /** Ends a decoding pass: closes the pixels file and saves the index. */
  async finishWrites(): Promise<void> {
    if (this.writer) {
      const writer = this.writer;
      this.writer = null;
      await (await writer).close();
    }
    await this.saveIndex();
  }

  /**
   * Reads records in the given order.
   * @returns RGB uint8 `[slots.length, storeSize, storeSize, 3]`.
   */
  async read(slots: readonly number[]): Promise<Uint8Array> {
    const bytes = this.recordBytes;
    const out = new Uint8Array(slots.length * bytes);
    const handle = await open(join(this.dir, PIXELS_FILE), 'r');
    try {
      const reads: Promise<void>[] = [];
      for (let k = 0; k < slots.length;) {
        let length = 1;
        while (k + length < slots.length && length < MAX_RUN_RECORDS && slots[k + length] === slots[k] + length) length++;
        const at = k;
        const start = slots[k];
        reads.push(
          handle.read(out, at * bytes, length * bytes, start * bytes).then(({ bytesRead }) => {
            if (bytesRead !== length * bytes) throw new Error(`pixel cache ${this.dir} is shorter than its index; delete the folder`);
          }),
        );
        k += length;
      }
      await Promise.all(reads);
    } finally {
      await handle.close();
    }
    return out;
  }
}
