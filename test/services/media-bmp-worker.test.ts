import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { buildMain } from '../../scripts/build-main.mjs';
import type { BmpReply } from '../../src-main/services/bmp-off-thread';
import { solid, writeBmp24 } from '../engine/data/fixtures';

const root = join(import.meta.dirname, '..', '..');
const cache = join(root, 'node_modules', '.cache');
mkdirSync(cache, { recursive: true });
const outDir = mkdtempSync(join(cache, 'bmp-worker-bundle-'));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe('the BMP decoder worker in the app bundle', () => {
  it('is built beside the main bundle and decodes a file, or says why not', async () => {
    await buildMain({ only: ['bmp-worker'], outDir, quiet: true });
    const worker = new Worker(join(outDir, 'electron', 'bmp-worker.js'));
    const ask = (id: number, path: string, size: number) =>
      new Promise<BmpReply>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
        worker.postMessage({ id, path, size });
      });
    try {
      const bmp = writeBmp24(solid(3, 2, [10, 20, 30]), 3, 2, false);
      writeFileSync(join(outDir, 'small.bmp'), bmp);
      const reply = await ask(1, join(outDir, 'small.bmp'), bmp.length);
      expect(reply).toMatchObject({ id: 1, width: 3, height: 2 });
      expect('data' in reply && [...reply.data.subarray(0, 3)]).toEqual([10, 20, 30]);
      writeFileSync(join(outDir, 'cut.bmp'), bmp.subarray(0, 30));
      expect(await ask(2, join(outDir, 'cut.bmp'), 30)).toEqual({ id: 2, error: expect.stringMatching(/BMP/) });
    } finally {
      await worker.terminate();
    }
  });
});
