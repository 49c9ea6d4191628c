import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import sharp from 'sharp';
import type { Storage } from '../storage';
import { cifarPng } from './cifar-record';
import { parseMediaUrl, type MediaKind, type MediaVariant } from './media-urls';

export interface MediaFile {
  body: Buffer;
  contentType: string;
}

type Source = { path: string; recordIndex: number | null };

/** Formats every browser shows as they are; anything else (TIFF) is converted to PNG. */
const PASSTHROUGH: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.bmp': 'image/bmp',
};

export class MediaError extends Error {
  constructor(
    readonly status: 404 | 415,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Thumbnails and full images by id. Ids are resolved through the database, so a client can only
 * ever see files the app already knows. Thumbnails are JPEGs cached on disk, keyed by the source
 * file's path, size and mtime, so an edited file gets a new thumbnail.
 */
export class MediaService {
  constructor(
    private readonly storage: Storage,
    private readonly cacheDir: string,
  ) {}

  private resolveSource(kind: MediaKind, id: number): Source | null {
    if (kind === 'image') {
      const image = this.storage.images.get(id);
      return image ? { path: image.path, recordIndex: image.recordIndex } : null;
    }
    if (kind === 'predict') {
      const item = this.storage.predictions.item(id);
      return item ? { path: item.path, recordIndex: null } : null;
    }
    const sample = this.storage.evaluations.sample(id);
    if (!sample) return null;
    if (sample.imageId !== null) return this.resolveSource('image', sample.imageId);
    return { path: sample.path, recordIndex: sample.recordIndex };
  }

  async get(variant: MediaVariant, kind: MediaKind, id: number, size = 128): Promise<MediaFile> {
    const source = this.resolveSource(kind, id);
    if (!source) throw new MediaError(404, `No ${kind} ${id}`);
    const info = await stat(source.path).catch(() => null);
    if (!info?.isFile()) throw new MediaError(404, `The file of ${kind} ${id} is gone: ${source.path}`);
    if (source.recordIndex !== null) {
      return { body: await cifarPng(source.path, source.recordIndex, variant === 'thumb' ? size : 32), contentType: 'image/png' };
    }
    if (variant === 'image') {
      const type = PASSTHROUGH[extname(source.path).toLowerCase()];
      if (type) return { body: await readFile(source.path), contentType: type };
      return { body: await this.convert(source.path, (image) => image.png()), contentType: 'image/png' };
    }
    const key = createHash('sha256').update(JSON.stringify([source.path, info.size, info.mtimeMs, size])).digest('hex');
    const cached = join(this.cacheDir, key.slice(0, 2), `${key}.jpg`);
    const hit = await readFile(cached).catch(() => null);
    if (hit) return { body: hit, contentType: 'image/jpeg' };
    const body = await this.convert(source.path, (image) =>
      image.resize(size, size, { fit: 'cover' }).flatten({ background: '#000' }).jpeg({ quality: 80 }),
    );
    await mkdir(join(this.cacheDir, key.slice(0, 2)), { recursive: true });
    const partial = `${cached}.${process.pid}.tmp`;
    await writeFile(partial, body);
    await rename(partial, cached);
    return { body, contentType: 'image/jpeg' };
  }

  private async convert(path: string, pipeline: (image: sharp.Sharp) => sharp.Sharp): Promise<Buffer> {
    try {
      return await pipeline(sharp(path, { failOn: 'error' }).rotate()).toBuffer();
    } catch (error) {
      throw new MediaError(415, `Cannot decode ${path}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** A web Request -> Response handler for `studio-media://...` and `/media/...` URLs. */
  async handle(request: Request): Promise<Response> {
    const target = parseMediaUrl(new URL(request.url));
    if (!target) return new Response('Not a media URL', { status: 404 });
    try {
      const file = await this.get(target.variant, target.kind, target.id, target.size);
      return new Response(request.method === 'HEAD' ? null : new Uint8Array(file.body), {
        headers: {
          'content-type': file.contentType,
          'content-length': String(file.body.length),
          'cache-control': 'private, max-age=3600',
          'x-content-type-options': 'nosniff',
        },
      });
    } catch (error) {
      if (error instanceof MediaError) return new Response(error.message, { status: error.status });
      throw error;
    }
  }
}
