/**
 * Child process of the WebGPU tests: opens a checkpoint on each device named on the command line
 * and prints, as one JSON line, each runner's device, detail and logits for the same pixels.
 * Usage: logits-on-device.child.ts <checkpoint-dir> <images> <device>...
 */
import { createRng } from '../../../src-main/engine/data/augment';
import { openLogitsRunner } from '../../../src-main/engine/runtime/logits-runner';
import type { DeviceChoice } from '../../../src-main/engine/runtime/devices';

const [dir, count, ...devices] = process.argv.slice(2);
const n = Number(count);
const results: Record<string, { device: string; detail: string; logits: number[] }> = {};
for (const device of devices) {
  const runner = await openLogitsRunner(dir, 'onnx', device as DeviceChoice);
  const size = runner.manifest.preprocessing.storeSize;
  // The same seeded noise on every device, different for each image.
  const rng = createRng(11);
  const pixels = Uint8Array.from({ length: n * size * size * 3 }, () => Math.floor(rng() * 256));
  const logits = await runner.logits(pixels, n);
  results[device] = { device: runner.device, detail: runner.detail, logits: Array.from(logits) };
  await runner.dispose();
}
process.stdout.write(`${JSON.stringify(results)}\n`);
