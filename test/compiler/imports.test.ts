/**
 * `mohawkc check` must never load TensorFlow.js: the static import graph from the check verb (and from the
 * compiler's front door) reaches neither @tensorflow packages nor runtime/tensor. grammar/ imports nothing of
 * ours, and compiler/ reaches runtime/ only through runtime/io (docs/architecture.md).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/paths.ts';

/** Static imports (including `import type`-free re-exports) and dynamic imports with a literal specifier. */
function importsOf(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of src.matchAll(/^\s*(?:import|export)\s+(?!type\b)[^'"]*?from\s+['"]([^'"]+)['"]/gm)) out.push(m[1]);
  for (const m of src.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)) out.push(m[1]);
  for (const m of src.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push(m[1]);
  return out;
}

function graph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const todo = [resolve(REPO_ROOT, entry)];
  while (todo.length) {
    const f = todo.pop()!;
    if (files.has(f)) continue;
    files.add(f);
    for (const spec of importsOf(f)) {
      if (spec.startsWith('.')) {
        const target = resolve(dirname(f), spec);
        if (existsSync(target) && /\.(ts|mjs|js)$/.test(target)) todo.push(target);
      } else packages.add(spec);
    }
  }
  return { files, packages };
}

const rel = (f: string) => relative(REPO_ROOT, f).split('\\').join('/');

describe('import rules of the language code', () => {
  it('check (and compile) never reach TensorFlow.js', () => {
    for (const entry of ['cli/verbs/check.ts', 'cli/verbs/fmt.ts', 'cli/verbs/explain.ts', 'compiler/compile.ts']) {
      const g = graph(entry);
      expect([...g.packages].filter((p) => p.includes('tensorflow') || p === 'webgpu'), entry).toEqual([]);
      expect([...g.files].map(rel).filter((f) => f.startsWith('runtime/') && !f.startsWith('runtime/io/')), entry).toEqual([]);
    }
    // The scan does see real edges: the checker reaches the header readers and the parser library.
    const g = graph('cli/verbs/check.ts');
    expect([...g.files].map(rel)).toContain('runtime/io/checkpoint.ts');
    expect(g.packages.has('chevrotain')).toBe(true);
  });

  it('grammar/ imports nothing of ours; compiler/ (language part) reaches runtime only through runtime/io', () => {
    const g = graph('compiler/compile.ts');
    for (const f of [...g.files].map(rel)) {
      if (f.startsWith('grammar/')) for (const spec of importsOf(resolve(REPO_ROOT, f))) expect(spec.startsWith('.') ? resolve(REPO_ROOT, dirname(f), spec).startsWith(resolve(REPO_ROOT, 'grammar')) : true, `${f} → ${spec}`).toBe(true);
    }
    expect([...g.files].map(rel).filter((f) => !/^(grammar|compiler|runtime\/io)\//.test(f))).toEqual([]);
  });
});
