import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The walls between processes are lint rules (eslint.config.js, `npm run lint`), which read every
// .ts and .vue file one at a time. Two things a per-file rule cannot see are checked here: that
// the rules fire at all (a typo in a glob would make a wall silently pass everything), and what a
// process loads transitively (serve mode must not reach tfjs through an innocent-looking import).

const repo = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const ML_PACKAGE = /^(@tensorflow\/|onnxruntime-)/;

/** Runtime (non-type) imports of a TypeScript file: static `import`/`export ... from` and `import()`. */
function runtimeImports(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const match of source.matchAll(/^\s*(import|export)\s+(?!type\b)([^;]*?)\s+from\s+'([^']+)'/gms)) found.push(match[3]);
  for (const match of source.matchAll(/^\s*import\s+'([^']+)'/gm)) found.push(match[1]);
  for (const match of source.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)) found.push(match[1]);
  return found;
}

function resolveLocal(from: string, specifier: string): string | null {
  if (!specifier.startsWith('.')) return null;
  const base = resolve(dirname(from), specifier);
  for (const candidate of [`${base}.ts`, join(base, 'index.ts')]) if (existsSync(candidate)) return candidate;
  return null;
}

/** Every package and repository file the entry loads at run time. */
function importGraph(entry: string): { files: string[]; packages: string[] } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const stack = [entry];
  while (stack.length > 0) {
    const file = stack.pop() as string;
    if (files.has(file)) continue;
    files.add(file);
    for (const specifier of runtimeImports(file)) {
      const local = resolveLocal(file, specifier);
      if (local) stack.push(local);
      else if (!specifier.startsWith('.')) packages.add(specifier);
    }
  }
  return { files: [...files].map((f) => relative(repo, f)), packages: [...packages] };
}

describe('process walls, transitively', () => {
  it('serve mode (server, services, storage) never loads tfjs or ONNX Runtime', () => {
    const { files, packages } = importGraph(join(repo, 'src-main/server/main.ts'));
    expect(files).toContain('src-main/services/index.ts');
    expect(packages.filter((p) => ML_PACKAGE.test(p))).toEqual([]);
  });

  it("Electron's main process never loads tfjs or ONNX Runtime (the ML host does, in its own process)", () => {
    const { files, packages } = importGraph(join(repo, 'src-main/electron/main.ts'));
    expect(files).toContain('src-main/services/index.ts');
    expect(packages.filter((p) => ML_PACKAGE.test(p))).toEqual([]);
  });

  it("the engine's light entry (the app process, its BMP worker) reaches no package, only Node built-ins; scan no model runtime", () => {
    const light = importGraph(join(repo, 'src-main/engine/api/light.ts'));
    expect(light.files).toContain('src-main/engine/data/bmp.ts');
    expect(light.packages.filter((p) => !p.startsWith('node:'))).toEqual([]);
    const scan = importGraph(join(repo, 'src-main/engine/api/scan.ts'));
    expect(scan.packages).toContain('sharp');
    expect(scan.packages.filter((p) => ML_PACKAGE.test(p) || p === 'tar')).toEqual([]);
  });

  it('the ML host reaches the engine', () => {
    const { files } = importGraph(join(repo, 'src-main/ml-host/main.ts'));
    expect(files).toContain('src-main/engine/train/train.ts');
  });
});

describe('process walls as lint rules', () => {
  const eslint = new ESLint({ cwd: repo });

  /** The wall findings (rule ids with line numbers) for `code` as if it were the file at `path`. */
  async function wallFindings(path: string, code: string): Promise<string[]> {
    const [result] = await eslint.lintText(code, { filePath: join(repo, path) });
    return result.messages
      .filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports' || m.ruleId === 'no-restricted-syntax')
      .map((m) => `line ${m.line}: ${m.message}`);
  }

  const vue = (script: string) => `<script setup lang="ts">\n${script}\n</script>\n<template><div /></template>\n`;

  it('tfjs and ONNX Runtime are refused outside the engine and the ML host, static or dynamic', async () => {
    const tfjs = "import * as tf from '@tensorflow/tfjs';\nexport const t = tf;\n";
    const ort = "export const load = () => import('onnxruntime-node');\n";
    expect(await wallFindings('src-main/services/wall-probe.ts', tfjs)).toEqual([
      expect.stringMatching(/^line 1: .*TensorFlow\.js and ONNX Runtime load only/),
    ]);
    expect(await wallFindings('src-main/cli/wall-probe.ts', ort)).toEqual([expect.stringMatching(/^line 1: .*TensorFlow\.js and ONNX Runtime load only/)]);
    expect(await wallFindings('src-renderer/stores/wall-probe.ts', tfjs)).toHaveLength(1);
    expect(await wallFindings('src-main/engine/wall-probe.ts', tfjs + ort)).toEqual([]);
    expect(await wallFindings('src-main/ml-host/wall-probe.ts', tfjs + ort)).toEqual([]);
  });

  it('outside the engine, the engine is imported only through engine/api, engine/api/light or engine/api/scan: types and import() too', async () => {
    const deep = "import { train } from '../../engine/jobs/train';\nexport const t = train;\n";
    const deepType = "import type { TrainEvent } from '../engine/types';\nexport type T = TrainEvent;\n";
    const deepDynamic = "export const load = () => import('../engine/jobs/predict');\n";
    expect(await wallFindings('src-main/cli/commands/wall-probe.ts', deep)).toEqual([
      expect.stringMatching(/^line 1: .*Import the engine only through 'engine\/api', 'engine\/api\/light' or 'engine\/api\/scan'/),
    ]);
    expect(await wallFindings('src-main/ml-host/wall-probe.ts', deepDynamic)).toEqual([expect.stringMatching(/^line 1: Import the engine only through/)]);
    expect(await wallFindings('src-main/ml-host/wall-probe.ts', deepType)).toHaveLength(1);
    expect(await wallFindings('src-main/services/wall-probe.ts', deepType)).toHaveLength(1);
    expect(await wallFindings('src-main/storage/wall-probe.ts', deepType)).toHaveLength(1);
    const entries = "import { train } from '../../engine/api';\nimport { UserError } from '../../engine/api/light';\nexport const t = [train, UserError];\n";
    expect(await wallFindings('src-main/cli/commands/wall-probe.ts', entries)).toEqual([]);
    expect(
      await wallFindings(
        'src-main/ml-host/wall-probe.ts',
        "export const load = () => [import('../engine/api'), import('../engine/api/light'), import('../engine/api/scan')];\n",
      ),
    ).toEqual([]);
    // Inside the engine, imports are free.
    expect(await wallFindings('src-main/engine/jobs/wall-probe.ts', "import { train } from '../train/train';\nexport const t = train;\n")).toEqual([]);
  });

  it('the app process (server, services, storage, Electron) takes only the light and scan entries, which load no model runtime', async () => {
    expect(
      await wallFindings(
        'src-main/services/wall-probe.ts',
        "import { DecodeError } from '../engine/api/light';\nimport { sniffImageFormat } from '../engine/api/scan';\nexport const d = [DecodeError, sniffImageFormat];\n",
      ),
    ).toEqual([]);
    expect(await wallFindings('src-main/services/wall-probe.ts', "import { train } from '../engine/api';\nexport const t = train;\n")).toEqual([
      expect.stringMatching(/^line 1: .*This process loads no tfjs or ONNX Runtime/),
    ]);
    expect(await wallFindings('src-main/server/wall-probe.ts', "export const load = () => import('../engine/api');\n")).toHaveLength(1);
    expect(
      await wallFindings('src-main/electron/wall-probe.ts', "import type { TrainConfig } from '../engine/api';\nexport type C = TrainConfig;\n"),
    ).toHaveLength(1);
  });

  it('the renderer imports only the contract from the main side, in .vue files too', async () => {
    const storage = "import { openDatabase } from '../../src-main/storage/db';\nconsole.log(openDatabase);";
    const contract = "import { ApiError } from '../../src-main/contract/errors';\nconsole.log(ApiError);";
    expect(await wallFindings('src-renderer/components/WallProbe.vue', vue(storage))).toEqual([
      expect.stringMatching(/^line 2: .*The renderer may import only src-main\/contract\//),
    ]);
    expect(await wallFindings('src-renderer/components/WallProbe.vue', vue(contract))).toEqual([]);
    expect(await wallFindings('src-renderer/stores/wall-probe.ts', "export const s = () => import('../../src-main/services/index');\n")).toHaveLength(1);
    expect(await wallFindings('src-renderer/views/WallProbe.vue', vue("import { readFileSync } from 'node:fs';\nconsole.log(readFileSync);"))).toEqual([
      expect.stringContaining('Chromium'),
    ]);
  });

  it('the contract imports nothing but zod and its own files', async () => {
    const own = "import { z } from 'zod';\nimport { ApiError } from '../errors';\nexport const a = [z, ApiError];\n";
    expect(await wallFindings('src-main/contract/schemas/wall-probe.ts', own)).toEqual([]);
    expect(await wallFindings('src-main/contract/schemas/wall-probe.ts', "import { x } from '../../services/index';\nexport const a = x;\n")).toHaveLength(1);
    expect(await wallFindings('src-main/contract/wall-probe.ts', "import { join } from 'node:path';\nexport const a = join;\n")).toHaveLength(1);
  });
});
