import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMain } from '../../scripts/build-main.mjs';

let outDir: string;
let metafiles: Record<string, Metafile>;

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'main-bundle-'));
  metafiles = await buildMain({ only: ['main', 'ml-host'], outDir, quiet: true });
});

afterAll(() => rmSync(outDir, { recursive: true, force: true }));

/** Every module the bundle reaches: bundled source files and the packages left to require(). */
function moduleGraph(meta: Metafile): { files: string[]; externals: string[] } {
  const externals = new Set<string>();
  for (const input of Object.values(meta.inputs)) {
    for (const imported of input.imports) if (imported.external) externals.add(imported.path);
  }
  return { files: Object.keys(meta.inputs), externals: [...externals].sort() };
}

describe('main-process bundle', () => {
  it('never reaches TensorFlow.js, directly or through any import', () => {
    const main = moduleGraph(metafiles.main!);
    expect(main.files.length).toBeGreaterThan(20);
    expect(main.files.filter((file) => file.includes('@tensorflow'))).toEqual([]);
    expect(main.externals.filter((name) => name.includes('@tensorflow'))).toEqual([]);
    expect(readFileSync(join(outDir, 'electron', 'main.js'), 'utf8')).not.toContain('@tensorflow');
  });

  // The wall is "no tfjs or ONNX Runtime outside the engine and the ML host" (issue 13): the main
  // process may use the engine's plain helpers (file walking, image sniffing, BMP decoding on a
  // worker, the divergence message), never a module that runs a model.
  it('reaches no engine module that loads a model runtime, and no ONNX Runtime', () => {
    const main = moduleGraph(metafiles.main!);
    const engine = main.files.filter((file) => file.startsWith('src-main/engine/'));
    expect(engine.filter((file) => /^src-main\/engine\/(model|ort-train|runtime|export|kernels|transfer)\//.test(file))).toEqual([]);
    expect([...main.files, ...main.externals].filter((name) => name.includes('onnxruntime'))).toEqual([]);
  });

  it('keeps native modules and Electron external', () => {
    const { externals } = moduleGraph(metafiles.main!);
    expect(externals).toEqual(expect.arrayContaining(['better-sqlite3', 'electron', 'sharp']));
  });

  it('the same check sees TensorFlow.js in the ML host bundle', () => {
    const host = moduleGraph(metafiles['ml-host']!);
    expect(host.externals.some((name) => name.startsWith('@tensorflow/tfjs'))).toBe(true);
    expect(host.externals).not.toContain('electron');
  });
});
