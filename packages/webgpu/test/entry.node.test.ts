// The browser entry must never pull in Dawn or Node built-ins, and the export conditions
// must send Node to Dawn and everything else to navigator.gpu.

import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Every module specifier reachable from `entry` through relative imports, by file. */
function importGraph(entry: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (graph.has(file)) continue;
    const source = readFileSync(file, 'utf8');
    const specifiers = [
      ...source.matchAll(/(?:import|export)[^'"]*?from\s*['"]([^'"]+)['"]/g),
      ...source.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g),
    ].map((match) => match[1]!);
    graph.set(file, specifiers);
    for (const specifier of specifiers) {
      if (specifier.startsWith('.')) {
        pending.push(join(dirname(file), specifier.replace(/\.js$/, '.ts')));
      }
    }
  }
  return graph;
}

describe('entry points', () => {
  it('keeps the browser entry free of webgpu (Dawn) and node: modules', () => {
    const graph = importGraph(join(packageDir, 'src/index.ts'));
    expect(graph.size).toBeGreaterThan(3);
    for (const [file, specifiers] of graph) {
      const foreign = specifiers.filter((s) => s === 'webgpu' || s.startsWith('node:'));
      expect(foreign, file).toEqual([]);
    }
  });

  it('reaches Dawn from the Node entry, so the graph walk does see it', () => {
    const graph = importGraph(join(packageDir, 'src/index.node.ts'));
    expect([...graph.values()].flat()).toContain('webgpu');
  });

  it('maps the node condition to the Dawn entry and browsers to navigator.gpu', () => {
    const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
    const root = manifest.exports['.'];
    expect(Object.keys(root)[0]).toBe('types');
    expect(root.node).toBe('./dist/index.node.js');
    expect(root.browser).toBe('./dist/index.js');
    expect(root.default).toBe('./dist/index.js');
    expect(manifest.sideEffects).toBe(false);
  });
});
