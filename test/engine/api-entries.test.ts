import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { onnxRuntimeStatus } from '../../src-main/engine/onnx/onnx-runtime';

// The engine's entry points (src-main/engine/api/) promise what they load: `light` nothing but
// Node's built-ins (the app's process and its BMP worker), `scan` sharp but no model runtime and
// no tar (media sniffing, the ML host's scans), the index tfjs (ONNX Runtime on first use).
// import-walls.test.ts reads source text; this test runs each entry in a fresh Node process and
// lists what actually loaded (loaded-packages.child.ts), so a runtime reached some other way (a
// package that requires tfjs, a top-level createRequire) fails here too. The controls show the
// probe sees each package when it does load, so an empty list means something.

const repo = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const ML_RUNTIME = /^(@tensorflow\/|onnxruntime-)/;

function loadedBy(entry: string, then?: 'onnx'): { packages: string[]; tfjsEngine: boolean } {
  const args = ['--import', 'tsx', join(repo, 'test/engine/loaded-packages.child.ts'), join(repo, entry), ...(then ? [then] : [])];
  const out = execFileSync(process.execPath, args, { cwd: repo, encoding: 'utf8' });
  const line = out.split('\n').find((l) => l.startsWith('{"packages"'));
  if (!line) throw new Error(`the probe printed no answer:\n${out}`);
  return JSON.parse(line) as { packages: string[]; tfjsEngine: boolean };
}

describe("the engine's entry points load what they say", () => {
  it('engine/api/light loads no package at all, only Node built-ins', () => {
    expect(loadedBy('src-main/engine/api/light.ts')).toEqual({ packages: [], tfjsEngine: false });
  }, 60_000);

  it('engine/api/scan loads sharp and jpeg-js, and neither TensorFlow.js, ONNX Runtime nor tar', () => {
    const { packages, tfjsEngine } = loadedBy('src-main/engine/api/scan.ts');
    expect(packages).toEqual(expect.arrayContaining(['sharp', 'jpeg-js']));
    expect(packages.filter((name) => ML_RUNTIME.test(name) || name === 'tar')).toEqual([]);
    expect(tfjsEngine).toBe(false);
  }, 60_000);

  it('engine/api (the index) loads TensorFlow.js, and ONNX Runtime only on first use', () => {
    const { packages, tfjsEngine } = loadedBy('src-main/engine/api/index.ts');
    // tar (the CIFAR-10 download) shows that the probe sees ES modules too.
    expect(packages).toEqual(expect.arrayContaining(['@tensorflow/tfjs', '@tensorflow/tfjs-core', 'tar']));
    expect(tfjsEngine).toBe(true);
    expect(packages.filter((name) => name.startsWith('onnxruntime-'))).toEqual([]);
  }, 60_000);

  it('the probe sees ONNX Runtime once the index has used it', (context) => {
    const onnx = onnxRuntimeStatus();
    if (!onnx.available) return context.skip(`ONNX Runtime does not load here: ${onnx.reason}`);
    expect(loadedBy('src-main/engine/api/index.ts', 'onnx').packages).toContain('onnxruntime-node');
  }, 60_000);
});
