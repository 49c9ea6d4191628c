import type { Worker } from 'node:worker_threads';
import { type RgbImage, DecodeError, startWorker } from '../engine/api/light';

export interface BmpRequest {
  id: number;
  path: string;
  /** Bytes to read: the size that was checked against the cap. */
  size: number;
}

export type BmpReply = { id: number; width: number; height: number; data: Uint8Array } | { id: number; error: string };

let worker: Worker | null = null;
let nextId = 1;
const pending = new Map<number, { resolve: (image: RgbImage) => void; reject: (error: Error) => void }>();

/** One worker for all BMPs, started on the first and never keeping the process alive. */
function bmpWorker(): Worker {
  if (worker) return worker;
  const started = startWorker(new URL('./bmp-worker.js', import.meta.url), null);
  started.unref();
  started.on('message', (reply: BmpReply) => {
    const waiting = pending.get(reply.id);
    pending.delete(reply.id);
    if ('error' in reply) waiting?.reject(new DecodeError(reply.error));
    else waiting?.resolve({ width: reply.width, height: reply.height, data: reply.data });
  });
  const fail = (error: Error) => {
    if (worker === started) worker = null;
    for (const waiting of pending.values()) waiting.reject(error);
    pending.clear();
  };
  started.on('error', fail);
  started.on('exit', (code) => fail(new Error(`the BMP decoder stopped (exit code ${code})`)));
  worker = started;
  return started;
}

/**
 * Decodes the BMP at `path` (already checked, `size` bytes) with the engine's decoder on a worker
 * thread, so the thread that serves requests never waits on it.
 * @throws DecodeError when the file is not a BMP the engine reads
 */
export function decodeBmpOffThread(path: string, size: number): Promise<RgbImage> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    bmpWorker().postMessage({ id, path, size } satisfies BmpRequest);
  });
}
