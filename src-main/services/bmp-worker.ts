/**
 * A worker thread that decodes BMP files for the media service (bmp-off-thread.ts). The engine's
 * BMP decoder is plain JavaScript: a 4000x4000 BMP takes 0.4 s and an 8000x8000 palette BMP 11 s,
 * which on the server's own thread would stall every request meanwhile.
 */
import { open } from 'node:fs/promises';
import { parentPort } from 'node:worker_threads';
import { decodeBmp, DecodeError } from '../engine/api/light';
import type { BmpReply, BmpRequest } from './bmp-off-thread';

async function decode({ path, size }: BmpRequest): Promise<{ width: number; height: number; data: Uint8Array }> {
  const bytes = Buffer.alloc(size);
  const file = await open(path);
  try {
    await file.read(bytes, 0, size, 0);
  } finally {
    await file.close();
  }
  return decodeBmp(bytes);
}

parentPort!.on('message', (request: BmpRequest) => {
  decode(request).then(
    ({ width, height, data }) => parentPort!.postMessage({ id: request.id, width, height, data } satisfies BmpReply, [data.buffer as ArrayBuffer]),
    (error: unknown) => {
      const reason = error instanceof DecodeError ? error.reason : error instanceof Error ? error.message : String(error);
      parentPort!.postMessage({ id: request.id, error: reason } satisfies BmpReply);
    },
  );
});
