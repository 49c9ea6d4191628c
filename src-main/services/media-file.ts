import { constants } from 'node:fs';
import { open, realpath, stat, type FileHandle } from 'node:fs/promises';
import { isAbsolute, relative } from 'node:path';
import type { ImageFormat } from '../engine/api/light';
import { sniffImageFormat } from '../engine/api/scan';

/** Larger files are not served: a full image is streamed, but nobody browses 64 MB pictures. */
export const MAX_MEDIA_BYTES = 64 * 1024 * 1024;

export class MediaError extends Error {
  constructor(
    readonly status: 404 | 413 | 415,
    message: string,
  ) {
    super(message);
  }
}

/** An open, checked file: the caller reads or streams it and must close `handle`. */
export interface OpenedFile {
  handle: FileHandle;
  /** The path with every symbolic link resolved (inside the root). */
  realPath: string;
  size: number;
  mtimeMs: number;
}

/** A checked image file (its descriptor may be closed by now). */
export interface ImageFile {
  realPath: string;
  size: number;
  mtimeMs: number;
  /** What the first bytes say, whatever the extension claims. */
  format: ImageFormat;
}

export type OpenedImage = OpenedFile & ImageFile;

const megabytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0)} MB`;

/** True when `path` is `root` or lies below it (both already resolved). */
function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * Opens `path` for serving, after resolving its symbolic links: the real file must still lie in
 * the real `root` (the dataset's or the prediction's folder), be a plain file (not a device or a
 * pipe, which could block a read forever), and be at most MAX_MEDIA_BYTES.
 * @throws MediaError 404 (gone, or outside the root), 413 (too large)
 */
export async function openInsideRoot(path: string, root: string): Promise<OpenedFile> {
  const [realFile, realRoot] = await Promise.all([realpath(path).catch(() => null), realpath(root).catch(() => null)]);
  if (realFile === null || realRoot === null) throw new MediaError(404, `The file is gone: ${path}`);
  if (!isInside(realRoot, realFile)) throw new MediaError(404, `${path} links to ${realFile}, outside ${root}; it is not served`);
  const info = await stat(realFile).catch(() => null);
  if (!info?.isFile()) throw new MediaError(404, `${path} is not a plain file`);
  if (info.size > MAX_MEDIA_BYTES) {
    throw new MediaError(413, `${path} is ${megabytes(info.size)}; images over ${megabytes(MAX_MEDIA_BYTES)} are not shown`);
  }
  // O_NONBLOCK: should the file be swapped for a pipe after the check, opening it cannot hang; the
  // open file must then be the one checked.
  const handle = await open(realFile, constants.O_RDONLY | constants.O_NONBLOCK).catch(() => null);
  if (handle === null) throw new MediaError(404, `Cannot open ${path}`);
  const opened = await handle.stat();
  if (opened.ino !== info.ino || opened.dev !== info.dev || !opened.isFile() || opened.size > MAX_MEDIA_BYTES) {
    await handle.close();
    throw new MediaError(404, `${path} changed while it was being opened`);
  }
  return { handle, realPath: realFile, size: opened.size, mtimeMs: opened.mtimeMs };
}

/**
 * openInsideRoot, then the first bytes must be an image signature the engine decodes.
 * @throws MediaError 404, 413, or 415 (not an image)
 */
export async function openImage(path: string, root: string): Promise<OpenedImage> {
  const file = await openInsideRoot(path, root);
  const head = Buffer.alloc(16);
  const { bytesRead } = await file.handle.read(head, 0, head.length, 0);
  const format = sniffImageFormat(head.subarray(0, bytesRead));
  if (format === null) {
    await file.handle.close();
    throw new MediaError(415, `${path} is not an image: its bytes are not JPEG, PNG, GIF, WebP, TIFF or BMP`);
  }
  return { ...file, format };
}
