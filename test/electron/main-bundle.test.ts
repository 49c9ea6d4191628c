import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isBuiltin } from 'node:module';
import { join } from 'node:path';
import type { Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMain } from '../../scripts/build-main.mjs';

let outDir: string;
let metafiles: Record<string, Metafile>;

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'main-bundle-'));
  metafiles = await buildMain({ only: ['main', 'ml-host', 'bmp-worker'], outDir, quiet: true });
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

  // The worker imports the engine's light entry, which must stay Node built-ins only: with the
  // scan entry's sharp it would require a native module, and its bundle would grow from 6 KB to 190 KB.
  it("the BMP worker's bundle loads no package, and holds only the engine's plain modules", () => {
    const worker = moduleGraph(metafiles['bmp-worker']!);
    expect(worker.files).toContain('src-main/engine/data/bmp.ts');
    expect(worker.externals.filter((name) => !isBuiltin(name))).toEqual([]);
    expect(worker.files.filter((file) => file.includes('node_modules'))).toEqual([]);
  });

  // The app process sniffs images through the engine's scan entry; the CIFAR-10 download (tar) is
  // the ML host's and stays out of this bundle (120 KB when it slipped in through that entry).
  it('leaves the CIFAR-10 download and its tar to the ML host', () => {
    const main = moduleGraph(metafiles.main!);
    expect(main.files).toContain('src-main/engine/data/decode-image.ts');
    expect(main.files.filter((file) => /node_modules\/(tar|minipass|minizlib)\//.test(file) || file === 'src-main/engine/data/download.ts')).toEqual([]);
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
