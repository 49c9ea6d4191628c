import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { Readable } from 'node:stream';
import type { Storage } from '../storage';
import { cifarPng } from './cifar-record';
import { BROWSER_TYPES, fullPng, thumbnailJpeg } from './media-decode';
import { MediaError, openImage, openInsideRoot, type ImageFile } from './media-file';
import { parseMediaUrl, THUMB_SIZE, thumbSize, type MediaKind, type MediaVariant } from './media-urls';
import { JobAbandoned, JobQueue } from './thumbnail-queue';

export { MediaError } from './media-file';

export interface MediaFile {
  /** Small results come whole; a full image in a browser format is streamed from its file. */
  body: Buffer | Readable;
  length: number;
  contentType: string;
}

/**
 * Where an id's pixels live, and the folder they must stay in: the dataset's root, the
 * prediction's folder, or (for an image accepted from a prediction into a dataset) its own folder.
 */
export type MediaSource = { path: string; recordIndex: number | null; root: string; skippedReason: string | null };

/** Image jobs that may decode at once (see JobQueue). */
const IMAGE_JOBS = 2;

/**
 * Thumbnails and full images by id. Ids are resolved through the database, so a client can only
 * ever see files the app already knows, and only those that decoded when they were scanned.
 * Thumbnails are JPEGs cached on disk, keyed by the source file's path, size and mtime, so an
 * edited file gets a new thumbnail.
 */
export class MediaService {
  private readonly jobs = new JobQueue(IMAGE_JOBS);

  constructor(
    private readonly storage: Storage,
    private readonly cacheDir: string,
  ) {}

  /** Where an id's pixels live (null when the app knows no such id); the one resolution media and explanations share. */
  sourceOf(kind: MediaKind, id: number): MediaSource | null {
    if (kind === 'image') {
      const image = this.storage.images.get(id);
      const dataset = image && this.storage.datasets.get(image.datasetId);
      if (!image || !dataset) return null;
      const inDataset = !relative(dataset.root, image.path).startsWith('..');
      return { path: image.path, recordIndex: image.recordIndex, root: inDataset ? dataset.root : dirname(image.path), skippedReason: image.skippedReason };
    }
    if (kind === 'predict') {
      const item = this.storage.predictions.item(id);
      const job = item && this.storage.predictions.getJob(item.jobId);
      if (!item || !job) return null;
      return { path: item.path, recordIndex: null, root: job.folder, skippedReason: item.skippedReason ?? (item.top === null ? 'no prediction' : null) };
    }
    const sample = this.storage.evaluations.sample(id);
    if (!sample) return null;
    if (sample.imageId !== null) return this.sourceOf('image', sample.imageId);
    const evaluation = this.storage.evaluations.get(sample.evaluationId);
    const dataset = evaluation && this.storage.datasets.get(evaluation.datasetId);
    if (!dataset || !isAbsolute(sample.path)) return null;
    return { path: sample.path, recordIndex: sample.recordIndex, root: dataset.root, skippedReason: null };
  }

  /** `signal`: the request went away; a decode still waiting in the queue for it is dropped. */
  async get(variant: MediaVariant, kind: MediaKind, id: number, size = THUMB_SIZE, signal?: AbortSignal): Promise<MediaFile> {
    const source = this.sourceOf(kind, id);
    if (!source) throw new MediaError(404, `No ${kind} ${id}`);
    if (source.skippedReason !== null) throw new MediaError(415, `${source.path} was skipped when it was scanned (${source.skippedReason}); it is not shown`);
    if (source.recordIndex !== null) {
      const file = await openInsideRoot(source.path, source.root);
      await file.handle.close();
      const body = await cifarPng(file.realPath, source.recordIndex, variant === 'thumb' ? thumbSize(size) : 32);
      return { body, length: body.length, contentType: 'image/png' };
    }
    const image = await openImage(source.path, source.root);
    const type = BROWSER_TYPES[image.format];
    if (variant === 'image' && type) {
      // The stream owns the descriptor that was checked, and closes it when done or destroyed.
      return { body: image.handle.createReadStream({ start: 0, end: Math.max(0, image.size - 1) }), length: image.size, contentType: type };
    }
    // Decoding waits in a queue; it reads the resolved path, so no descriptor is held meanwhile.
    await image.handle.close();
    if (variant === 'thumb') return this.thumbnail(image, source.path, thumbSize(size), signal);
    const body = await this.jobs.run(`png:${image.realPath}:${image.size}:${image.mtimeMs}`, () => fullPng(image, source.path), signal);
    return { body, length: body.length, contentType: 'image/png' };
  }

  private async thumbnail(image: ImageFile, path: string, size: number, signal?: AbortSignal): Promise<MediaFile> {
    const key = createHash('sha256')
      .update(JSON.stringify([image.realPath, image.size, image.mtimeMs, size]))
      .digest('hex');
    const cached = join(this.cacheDir, key.slice(0, 2), `${key}.jpg`);
    const body =
      (await readFile(cached).catch(() => null)) ??
      (await this.jobs.run(
        key,
        async () => {
          const made = await thumbnailJpeg(image, path, size);
          await mkdir(dirname(cached), { recursive: true });
          const partial = `${cached}.${process.pid}.tmp`;
          await writeFile(partial, made);
          await rename(partial, cached);
          return made;
        },
        signal,
      ));
    return { body, length: body.length, contentType: 'image/jpeg' };
  }

  /** A web Request -> Response handler for `studio-media://...` and `/media/...` URLs. */
  async handle(request: Request): Promise<Response> {
    const target = parseMediaUrl(new URL(request.url));
    if (!target) return new Response('Not a media URL', { status: 404 });
    try {
      const file = await this.get(target.variant, target.kind, target.id, target.size, request.signal);
      const headOnly = request.method === 'HEAD';
      if (headOnly && file.body instanceof Readable) file.body.destroy();
      const body = headOnly ? null : file.body instanceof Readable ? (Readable.toWeb(file.body) as ReadableStream) : new Uint8Array(file.body);
      return new Response(body, {
        headers: {
          'content-type': file.contentType,
          'content-length': String(file.length),
          'cache-control': 'private, max-age=3600',
          'x-content-type-options': 'nosniff',
        },
      });
    } catch (error) {
      if (error instanceof MediaError) return new Response(error.message, { status: error.status, headers: { 'content-type': 'text/plain; charset=utf-8' } });
      // Nobody reads this answer: the client went away while its image waited.
      if (error instanceof JobAbandoned) return new Response(null, { status: 499 });
      throw error;
    }
  }
}
