import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { onnxRuntimeStatus } from '../../src-main/engine/onnx/onnx-runtime';

// The engine's two entry points (src-main/engine/api/): the light one is what the server, the
// services and the ML host's folder scans import, and must load neither TensorFlow.js nor ONNX
// Runtime. The static import-walls test reads source text; this one runs the entry in a fresh
// Node process and asks what actually loaded, so a runtime reached some other way (a package that
// requires tfjs, a top-level createRequire) fails here too. Both runtimes load as CommonJS (tfjs
// through its package's `main`, ONNX Runtime through onnx-runtime.ts's createRequire), so they
// show in require's cache; tfjs's engine global is checked as well. The controls below show the
// probe sees each runtime when it does load, so an empty answer means something.

const repo = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

/** The tfjs and ONNX Runtime packages a fresh process holds after importing `entry` and running `then` (code using `entry`). */
function runtimesLoaded(entry: string, then = ''): string[] {
  const script = [
    `const entry = await import(${JSON.stringify(pathToFileURL(join(repo, entry)).href)});`,
    then,
    "const { createRequire } = await import('node:module');",
    'const files = Object.keys(createRequire(process.cwd() + "/").cache);',
    String.raw`const names = files.map((f) => f.match(/node_modules[\\/]((?:@tensorflow[\\/])?[^\\/]+)/)?.[1]?.replace('\\', '/')).filter(Boolean);`,
    "if (globalThis._tfengine) names.push('tfjs engine (global)');",
    String.raw`console.log('\nRUNTIMES ' + JSON.stringify([...new Set(names)].filter((n) => /^(@tensorflow\/|onnxruntime-|tfjs )/.test(n)).sort()));`,
  ].join('\n');
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: repo, encoding: 'utf8' });
  const line = out.split('\n').find((l) => l.startsWith('RUNTIMES '));
  if (!line) throw new Error(`the probe printed no answer:\n${out}`);
  return JSON.parse(line.slice('RUNTIMES '.length)) as string[];
}

describe("the engine's entry points", () => {
  it('engine/api/light loads neither TensorFlow.js nor ONNX Runtime', () => {
    expect(runtimesLoaded('src-main/engine/api/light.ts')).toEqual([]);
  }, 60_000);

  it('engine/api (the index) loads TensorFlow.js, and ONNX Runtime only on first use', () => {
    const loaded = runtimesLoaded('src-main/engine/api/index.ts');
    expect(loaded).toEqual(expect.arrayContaining(['@tensorflow/tfjs-core', 'tfjs engine (global)']));
    expect(loaded.filter((name) => name.startsWith('onnxruntime-'))).toEqual([]);
  }, 60_000);

  it('the probe sees ONNX Runtime once the index has used it', (context) => {
    const onnx = onnxRuntimeStatus();
    if (!onnx.available) return context.skip(`ONNX Runtime does not load here: ${onnx.reason}`);
    expect(runtimesLoaded('src-main/engine/api/index.ts', 'entry.onnxRuntimeStatus();')).toContain('onnxruntime-node');
  }, 60_000);
});
