import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../helpers/paths.ts';

/** Every module reachable from `entry` through relative imports (static, re-export and dynamic). */
function reachable(entries: string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const todo = [...entries];
  while (todo.length) {
    const file = todo.pop()!;
    if (graph.has(file)) continue;
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const specs = info.importedFiles.map((f) => f.fileName);
    graph.set(file, specs);
    for (const s of specs) if (s.startsWith('.')) todo.push(resolve(dirname(file), s));
  }
  return graph;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name));
}

describe('import rules', () => {
  for (const folder of ['runtime/io', 'runtime/data']) {
    it(`${folder} never reaches TensorFlow.js (the checker loads runtime/io; data works on plain int arrays)`, () => {
      const graph = reachable(tsFiles(join(REPO_ROOT, folder)));
      expect(graph.size).toBeGreaterThan(3);
      const offenders: string[] = [];
      for (const [file, specs] of graph) {
        for (const s of specs) {
          const target = s.startsWith('.') ? relative(REPO_ROOT, resolve(dirname(file), s)) : s;
          if (/@tensorflow|^runtime\/tensor\/|^cli\//.test(target)) offenders.push(`${relative(REPO_ROOT, file)} → ${s}`);
        }
      }
      expect(offenders).toEqual([]);
    });
  }

  it('the scanner does see TensorFlow.js where it is imported (positive control)', () => {
    const graph = reachable([join(REPO_ROOT, 'runtime/tensor/backend.ts')]);
    expect([...graph.values()].flat()).toContain('@tensorflow/tfjs-core');
  });

  it('runtime/io imports nothing of ours outside runtime/io except the IR types', () => {
    const graph = reachable(tsFiles(join(REPO_ROOT, 'runtime/io')));
    const outside = [...graph.keys()].map((f) => relative(REPO_ROOT, f)).filter((f) => !f.startsWith('runtime/io/'));
    expect(outside).toEqual(['compiler/ir/types.ts']);
  });
});
