import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repo = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

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

describe('process walls', () => {
  it('serve mode (server, services, storage) never loads tfjs or the engine', () => {
    const { files, packages } = importGraph(join(repo, 'src-main/server/main.ts'));
    expect(files).toContain('src-main/services/index.ts');
    expect(files.filter((f) => f.startsWith('src-main/engine/'))).toEqual([]);
    expect(packages.filter((p) => p.startsWith('@tensorflow/'))).toEqual([]);
  });

  it('the contract imports nothing but zod', () => {
    const { files, packages } = importGraph(join(repo, 'src-main/contract/index.ts'));
    expect(files.every((f) => f.startsWith('src-main/contract/'))).toBe(true);
    expect(packages).toEqual(['zod']);
  });

  it('the ML host reaches the engine', () => {
    const { files } = importGraph(join(repo, 'src-main/ml-host/main.ts'));
    expect(files).toContain('src-main/engine/train/train.ts');
  });
});
