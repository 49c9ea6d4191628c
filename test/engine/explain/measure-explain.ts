/**
 * Measures Grad-CAM with the shipped backbone at 32, 64 and 96 px: the map size, how long one
 * explanation takes (the first, which loads the checkpoint, and the next ones from the cache), and
 * how well the map finds a square pasted on grey. Not a test; run by hand:
 *
 *   npx tsx test/engine/explain/measure-explain.ts [sizes, default 32,64,96]
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { initBackend } from '../../../src-main/engine/backend';
import { explainImage } from '../../../src-main/engine/explain/explain-image';
import { clearCheckpointModelCache } from '../../../src-main/engine/explain/model-cache';
import { linearProbe } from '../../../src-main/engine/transfer/linear-probe';
import { pretrainedDir } from '../../../src-main/engine/checkpoint/pretrained';
import { pastedSquarePixels, pngOf, randomSquares, writePastedSquareFolder } from './pasted-object';

const sizes = (process.argv[2] ?? '32,64,96').split(',').map(Number);
const IMAGES = 20;
const backend = await initBackend();
console.log(`backend ${backend.name}, threads ${backend.threads}`);
const dir = await mkdtemp(path.join(tmpdir(), 'measure-explain-'));
try {
  const shipped = await explainImage({ run: pretrainedDir(), path: await writeSample(dir, 32) });
  console.log(`shipped checkpoint (32 px): map ${shipped.width}x${shipped.height}`);
  clearCheckpointModelCache();
  for (const size of sizes) {
    const side = size / 4;
    const data = path.join(dir, `squares-${size}`);
    await writePastedSquareFolder(data, { classes: ['red', 'green', 'empty'], perClass: 20, size, side });
    const run = path.join(dir, `run-${size}`);
    const probe = await linearProbe({ dataset: data, outDir: run, from: pretrainedDir(), inputSize: size });
    const squares = randomSquares(IMAGES, size, side, 4242, ['red', 'green']);
    const ms: number[] = [];
    let peaks = 0;
    for (const [i, square] of squares.entries()) {
      const file = path.join(dir, `test-${size}-${i}.png`);
      await writeFile(file, await pngOf(pastedSquarePixels(size, square), size));
      const started = performance.now();
      const e = await explainImage({ run, path: file });
      ms.push(performance.now() - started);
      const peak = e.values.indexOf(Math.max(...e.values));
      const cell = size / e.width;
      const [cx, cy] = [((peak % e.width) + 0.5) * cell, (Math.floor(peak / e.width) + 0.5) * cell];
      const m = cell / 2;
      if (cx >= square.x - m && cx < square.x + side + m && cy >= square.y - m && cy < square.y + side + m) peaks += 1;
      if (i === 0) console.log(`${size} px: map ${e.width}x${e.height}, probe val accuracy ${probe.valAccuracy}, probe ${probe.elapsedSec.toFixed(1)} s`);
    }
    const warm = ms.slice(1).sort((a, b) => a - b);
    console.log(
      `${size} px: first explanation ${ms[0].toFixed(0)} ms (loads the checkpoint); next ${warm.length}: median ${warm[Math.floor(warm.length / 2)].toFixed(0)} ms, ` +
        `min ${warm[0].toFixed(0)}, max ${warm.at(-1)?.toFixed(0)}; peak on the square ${peaks}/${IMAGES}`,
    );
    clearCheckpointModelCache();
  }
} finally {
  clearCheckpointModelCache();
  await rm(dir, { recursive: true, force: true });
}

async function writeSample(folder: string, size: number): Promise<string> {
  const file = path.join(folder, `sample-${size}.png`);
  await writeFile(file, await pngOf(pastedSquarePixels(size, { cls: 'red', x: 4, y: 4, side: size / 4 }), size));
  return file;
}
