/**
 * The kernel emitter as a pure function: deterministic and order-independent output, sorted paths, banners,
 * one file per variant and target (and CUDA architecture), a dispatch table that matches the files, WGSL files
 * whose sections match the pass plans, and clear errors for variants the templates cannot generate.
 */
import { describe, expect, it } from 'vitest';
import type { KernelVariantIR } from '../../compiler/ir/types.ts';
import { DEFAULT_VARIANTS } from '../../compiler/kernels/default-variants.ts';
import { tableData } from '../../compiler/kernels/dispatch.ts';
import { emitKernelFiles } from '../../compiler/kernels/emit.ts';
import { KERNEL_BANNER_LINES } from '../../compiler/kernels/banner.ts';
import { KernelVariantError, parseVariantKey, variantsForShape } from '../../compiler/kernels/variant.ts';
import type { KernelTable } from '../../runtime/kernels/table.ts';
import { parseWgslFile } from '../../runtime/kernels/wgsl-source.ts';
import { makeRng } from '../helpers/reference/random.ts';

function shuffled<T>(a: T[], seed: number): T[] {
  const rng = makeRng(seed);
  const out = [...a];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

describe('kernel emitter', () => {
  const files = emitKernelFiles(DEFAULT_VARIANTS);

  it('is deterministic and independent of the order of its input', () => {
    for (const seed of [1, 2, 3]) expect(emitKernelFiles(shuffled(DEFAULT_VARIANTS, seed))).toEqual(files);
    const doubled = emitKernelFiles([...DEFAULT_VARIANTS, ...shuffled(DEFAULT_VARIANTS, 9)]);
    expect(doubled).toEqual(files);
  });

  it('writes sorted paths, each kernel file bannered, no absolute paths or times', () => {
    const paths = files.map((f) => f.path);
    expect(paths).toEqual([...paths].sort());
    for (const f of files) {
      if (f.path.endsWith('.json')) expect(JSON.parse(f.content)._generated).toEqual(KERNEL_BANNER_LINES);
      else expect(f.content.startsWith(`// ${KERNEL_BANNER_LINES[0]}\n// ${KERNEL_BANNER_LINES[1]}\n`), f.path).toBe(true);
      expect(f.content, f.path).not.toMatch(/\/work\/|\/home\/|\d{4}-\d{2}-\d{2}T/);
    }
  });

  it('emits one file per variant, target and CUDA architecture, and a table naming exactly those', () => {
    const v = variantsForShape({ decay: 'continuous', n: 16, p: 16, h: 4, g: 2, q: 32, dtype: 'f32' }, ['wgsl', 'cuda']).map((x) => ({ ...x, sm: [80, 90] }));
    const out = emitKernelFiles(v);
    const keys = v.map((x) => x.key).sort();
    expect(out.filter((f) => f.path.startsWith('kernels/wgsl/')).map((f) => f.path)).toEqual(keys.map((k) => `kernels/wgsl/${k}.wgsl`));
    expect(out.filter((f) => f.path.startsWith('kernels/cuda/')).map((f) => f.path)).toEqual(keys.flatMap((k) => [`kernels/cuda/${k}_sm80.cu`, `kernels/cuda/${k}_sm90.cu`]));
    const table = JSON.parse(out.find((f) => f.path === 'kernels/kernels.json')!.content) as KernelTable;
    expect(Object.keys(table.variants)).toEqual(keys);
    for (const k of keys) {
      expect(table.variants[k].cuda!.files).toEqual({ 80: `kernels/cuda/${k}_sm80.cu`, 90: `kernels/cuda/${k}_sm90.cu` });
      expect(table.variants[k].wgsl!.file).toBe(`kernels/wgsl/${k}.wgsl`);
    }
    const ts = out.find((f) => f.path === 'kernels/dispatch.ts')!.content;
    for (const k of keys) expect(ts).toContain(`"${k}": {`);
  });

  it('gives every WGSL pass of every op its bindings and code section', () => {
    const table = tableData(DEFAULT_VARIANTS.map((x) => ({ ...x })));
    // The compiler's table type is the runtime's (a type error here means the two drifted apart).
    const runtimeView: KernelTable = table;
    for (const e of Object.values(runtimeView.variants)) {
      if (!e.wgsl) continue;
      const f = parseWgslFile(files.find((x) => x.path === e.wgsl!.file)!.content, e.wgsl.file);
      const passes = new Set(Object.values(e.ops).flatMap((op) => op.passes.map((p) => p.name)));
      expect(new Set(f.passes.keys())).toEqual(passes);
      for (const op of Object.values(e.ops))
        for (const p of op.passes) {
          const b = f.passes.get(p.name)!.bindings;
          p.inputs.forEach((name, i) => expect(b, `${e.key} ${p.name}`).toContain(`@binding(${i + 1}) var<storage, read> ${name}:`));
          expect(p.inputs.length + 1, `${e.key} ${p.name}: tfjs-webgpu allows 8 storage buffers per pass`).toBeLessThanOrEqual(8);
        }
    }
  });

  it('rejects variants the templates cannot generate, naming the key and the rule', () => {
    const bad = (v: Partial<KernelVariantIR>) => () => emitKernelFiles([{ ...parseVariantKey('ssd_fwd_discrete_n8_p8_h8_g8_q64_f32'), ...v }]);
    expect(bad({ key: 'ssd_fwd_discrete_n8_p8_h8_g8_q64_f16' })).toThrow(/key does not match its fields/);
    expect(() => parseVariantKey('ssd_fwd_discrete_n8_p8_h6_g4_q64_f32')).toThrow(/groups 4 must divide heads 6/);
    expect(() => parseVariantKey('ssd_fwd_discrete_n8_p8_h8_g8_q64_bf16', ['wgsl'])).toThrow(/WGSL has no bf16/);
    expect(() => parseVariantKey('ssd_scan_discrete_n8_p8_h8_g8_q64_f32')).toThrow(KernelVariantError);
    expect(bad({ sm: [60] })).toThrow(/sm 60/);
  });
});
