import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The engine's top-level folders (and its root files, as the folder '.') must form a tree-like
// order, a DAG: a folder that imports another is above it, so each can be read, tested and
// replaced (a GPU trainer, another runtime) knowing only what lies below it. Type-only and
// dynamic imports count too: they couple folders just the same.

const engine = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../src-main/engine');

function engineFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) return engineFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** Relative specifiers of every import, export-from and import() of a file. */
function localImports(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const m of source.matchAll(/\bfrom\s+'(\.[^']*)'/g)) found.push(m[1]);
  for (const m of source.matchAll(/\bimport\(\s*'(\.[^']*)'\s*\)/g)) found.push(m[1]);
  for (const m of source.matchAll(/^\s*import\s+'(\.[^']*)'/gm)) found.push(m[1]);
  return found;
}

/** The top-level folder of an engine file ('.' for the root's own files). */
function folderOf(file: string): string {
  const parts = relative(engine, file).split(/[\\/]/);
  return parts.length === 1 ? '.' : parts[0];
}

/** folder -> imported folder -> one 'file imports file' example, for naming a cycle's files. */
function folderGraph(): Map<string, Map<string, string>> {
  const graph = new Map<string, Map<string, string>>();
  for (const file of engineFiles(engine)) {
    const from = folderOf(file);
    for (const specifier of localImports(file)) {
      const target = resolve(dirname(file), specifier);
      if (relative(engine, target).startsWith('..')) continue;
      const to = folderOf(`${target}.ts`);
      if (to === from) continue;
      const edges = graph.get(from) ?? new Map<string, string>();
      graph.set(from, edges);
      if (!edges.has(to)) edges.set(to, `${relative(engine, file)} imports ${relative(engine, target)}`);
    }
  }
  return graph;
}

/** Each cycle found by depth-first search, as the import that closes every step of it. */
function cycles(graph: Map<string, Map<string, string>>): string[] {
  const found: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    path.push(node);
    for (const next of graph.get(node)?.keys() ?? []) {
      if (state.get(next) === 'open') {
        const loop = [...path.slice(path.indexOf(next)), next];
        const steps = loop.slice(1).map((to, i) => `${loop[i]} -> ${to} (${graph.get(loop[i])!.get(to)})`);
        found.push(steps.join('; '));
      } else if (!state.has(next)) {
        visit(next);
      }
    }
    path.pop();
    state.set(node, 'done');
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  return found;
}

describe('engine folders', () => {
  it('import each other without cycles', () => {
    const graph = folderGraph();
    // The scan must see the engine's real imports, or an empty graph would pass.
    expect(graph.get('train')?.has('model')).toBe(true);
    expect(cycles(graph)).toEqual([]);
  });

  it('names the files of a cycle', () => {
    const graph = new Map([
      ['a', new Map([['b', 'a/x.ts imports b/y']])],
      ['b', new Map([['a', 'b/y.ts imports a/x']])],
    ]);
    expect(cycles(graph)).toEqual(['a -> b (a/x.ts imports b/y); b -> a (b/y.ts imports a/x)']);
  });
});
