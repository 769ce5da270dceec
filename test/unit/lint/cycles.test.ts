// No import cycles: between the engine's folders (each folder is a layer that may lean only on the
// ones below it), and between any two source files. Type-only imports carry no code and are
// left out.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const srcRoot = path.join(repoRoot, 'src');
const engineRoot = path.join(srcRoot, 'engine');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return name.endsWith('.ts') ? [full] : [];
  });
}

function resolveImport(from: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null;
  const base = path.resolve(path.dirname(from), spec);
  for (const candidate of [`${base}.ts`, path.join(base, 'index.ts'), base]) {
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // try the next form
    }
  }
  return null;
}

/** Runtime imports (not `import type`, and re-exports count) of every file under src/. */
function importGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  const pattern = /^(?:import|export)\s+(type\s+)?(?:[^;]*?\s+from\s+)?'([^']+)'/gm;
  for (const file of sourceFiles(srcRoot)) {
    const edges = new Set<string>();
    for (const match of readFileSync(file, 'utf8').matchAll(pattern)) {
      if (match[1]) continue;
      const target = resolveImport(file, match[2]!);
      if (target) edges.add(target);
    }
    graph.set(file, edges);
  }
  return graph;
}

/** One cycle of the graph as a list of nodes, or null. */
function findCycle<T>(graph: Map<T, Set<T>>): T[] | null {
  const state = new Map<T, 'open' | 'done'>();
  const stack: T[] = [];
  const visit = (node: T): T[] | null => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') return [...stack.slice(stack.indexOf(next)), next];
      if (!state.has(next)) {
        const found = visit(next);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(node, 'done');
    return null;
  };
  for (const node of graph.keys()) {
    if (!state.has(node)) {
      const found = visit(node);
      if (found) return found;
    }
  }
  return null;
}

const files = importGraph();

test('no two source files import each other, directly or around a loop', () => {
  const cycle = findCycle(files);
  assert.equal(cycle, null, `import cycle: ${cycle?.map((f) => path.relative(repoRoot, f)).join(' → ')}`);
});

test('the engine folders form layers: no folder imports one that imports it back', () => {
  const folderOf = (file: string): string | null => {
    const relative = path.relative(engineRoot, file);
    return relative.startsWith('..') || !relative.includes(path.sep) ? null : relative.split(path.sep)[0]!;
  };
  const folders = new Map<string, Set<string>>();
  for (const [file, targets] of files) {
    const from = folderOf(file);
    if (!from) continue;
    const edges = folders.get(from) ?? new Set<string>();
    for (const target of targets) {
      const to = folderOf(target);
      if (to && to !== from) edges.add(to);
    }
    folders.set(from, edges);
  }
  assert.ok(folders.size > 5, `found only ${folders.size} engine folders`);
  const cycle = findCycle(folders);
  assert.equal(cycle, null, `folders import each other: ${cycle?.join(' → ')}`);
});
