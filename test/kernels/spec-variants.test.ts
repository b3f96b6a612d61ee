/**
 * From spec to kernels: changing d_state or heads in a spec's source changes the kernel variants its IR
 * asks for, the files the emitter writes and the dispatch table, exactly by those axes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileSource } from '../../compiler/compile.ts';
import { emitKernelFiles } from '../../compiler/kernels/emit.ts';
import { REPO_ROOT } from '../helpers/paths.ts';

const specPath = join(REPO_ROOT, 'specs', 'ci-tiny.mohawk');
// A random init, so that shape edits are not held to the teacher's attention widths (from_attention needs
// groups × d_state = d_model).
const source = readFileSync(specPath, 'utf8').replace(/student (\w+) \{\n/, 'student $1 {\n  init = random\n');

function kernelsOf(text: string) {
  const r = compileSource(text, specPath);
  expect(r.diagnostics.filter((d) => d.severity === 'error'), 'the edited spec checks clean').toEqual([]);
  const variants = r.ir!.kernels;
  const files = emitKernelFiles(variants);
  const table = JSON.parse(files.find((f) => f.path === 'kernels/kernels.json')!.content) as { variants: Record<string, unknown> };
  return { keys: variants.map((v) => v.key).sort(), paths: files.map((f) => f.path), tableKeys: Object.keys(table.variants).sort(), dispatch: files.find((f) => f.path === 'kernels/dispatch.ts')!.content };
}

describe('spec → kernel variants → emitted files', () => {
  const base = kernelsOf(source);

  it('the example spec asks for its student shape', () => {
    expect(source).toContain('init = random');
    expect(base.keys.length).toBeGreaterThan(0);
    for (const k of base.keys) expect(k).toMatch(/_n8_p8_h8_g8_q64_f32$/);
    expect(base.tableKeys).toEqual(base.keys);
  });

  for (const [what, edit, axis, before, after] of [
    ['d_state', (s: string) => s.replace('d_state: 8', 'd_state: 16'), 'n', '_n8_', '_n16_'],
    // Stage 1 matches one mixing matrix per teacher head, so a student with other heads has no stage 1.
    ['heads', (s: string) => s.replace('heads: 8', 'heads: 4').replace(/stage orient : matrix_orientation \{[^}]*\}\n\n/, ''), 'h', '_h8_', '_h4_'],
  ] as const) {
    it(`changing ${what} changes the variants, the files and the dispatch table`, () => {
      const edited = edit(source);
      expect(edited).not.toBe(source);
      const e = kernelsOf(edited);
      expect(e.keys.length).toBe(base.keys.length);
      for (const k of e.keys) {
        expect(k, axis).toContain(after);
        expect(k).not.toContain(before);
      }
      for (const k of base.keys) {
        expect(e.dispatch).not.toContain(`"${k}"`);
        expect(e.paths.some((p) => p.includes(k))).toBe(false);
      }
      for (const k of e.keys) {
        expect(e.dispatch).toContain(`"${k}": {`);
        expect(e.paths).toContain(`kernels/wgsl/${k}.wgsl`);
      }
      expect(e.tableKeys).toEqual(e.keys);
    });
  }
});
