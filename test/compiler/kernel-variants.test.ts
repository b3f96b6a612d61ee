/** Kernel variant enumeration: keys carry every axis, the set follows the student's shapes, WGSL never gets bf16. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KERNEL_NAMES, enumerateVariants, shapeKey, targetSupports, type KernelRequest } from '../../compiler/check/kernel-variants.ts';
import { compileSource } from '../../compiler/compile.ts';
import { DATA_DIR, REPO_ROOT } from '../helpers/paths.ts';

const spec = (mixer: string, kernels = '') => `mohawk 0.1
teacher t { checkpoint = "stories260K/stories260K.bin", tokenizer = "stories260K/tok512.bin" }
student s {
  mixer  = ${mixer}
  init   = random
}
stage e : end_to_end { tokens = 1M }
${kernels}`;
const keys = (src: string) => {
  const r = compileSource(src, 'k.mohawk', { dataDir: DATA_DIR, specDir: REPO_ROOT });
  expect(r.diagnostics).toEqual([]);
  return r.ir!.kernels.map((k) => k.key);
};

describe('kernel variants', () => {
  it('keys name every axis: <kernel>_<decay>_n<N>_p<P>_h<H>_g<G>_q<Q>_<dtype>', () => {
    const [v] = enumerateVariants([{ decay: 'continuous', n: 16, p: 32, h: 4, g: 2, q: 128, dtype: 'f16', targets: ['wgsl'] }]);
    expect(v).toEqual({ key: 'ssd_bwd_continuous_n16_p32_h4_g2_q128_f16', kernel: 'ssd_bwd', decay: 'continuous', n: 16, p: 32, h: 4, g: 2, q: 128, dtype: 'f16', targets: ['wgsl'] });
  });

  it('follows the student: changing d_state, heads or chunk changes the variants; mamba2 is continuous', () => {
    const base = keys(spec('discrete_mamba2(d_state: 8)'));
    expect(base).toEqual(['ssd_bwd', 'ssd_fwd', 'ssd_materialize', 'ssd_step'].map((k) => `${k}_discrete_n8_p8_h8_g8_q64_f32`));
    expect(keys(spec('discrete_mamba2(d_state: 16)'))).toEqual(base.map((k) => k.replace('_n8_', '_n16_')));
    expect(keys(spec('discrete_mamba2(d_state: 8, heads: 4, groups: 2, chunk: 32)'))).toEqual(base.map((k) => k.replace('_p8_h8_g8_q64', '_p16_h4_g2_q32')));
    expect(keys(spec('mamba2(d_state: 8)'))).toEqual(base.map((k) => k.replace('discrete', 'continuous')));
  });

  it('per-layer mixers give one set of variants per distinct shape', () => {
    const src = spec('discrete_mamba2(d_state: 8)').replace('init   = random', 'init   = random\n  layout = [ssm, ssm(d_state: 16), ssm, ssm(d_state: 16), attention]');
    expect(keys(src).map((k) => k.split('_')[3])).toEqual(['n16', 'n8', 'n16', 'n8', 'n16', 'n8', 'n16', 'n8']);
  });

  it('a kernels block adds shapes and targets; without per-student variants only its shapes remain', () => {
    const extra = keys(spec('discrete_mamba2(d_state: 8)', 'kernels {\n  targets = [cuda(sm: [80, 90])]\n  shapes = [shape(d_state: 64, head_dim: 64, heads: 32, chunk: 128, dtype: bf16)]\n}'));
    expect(extra).toHaveLength(8);
    expect(extra.filter((k) => k.endsWith('_bf16'))).toHaveLength(4);
    const r = compileSource(spec('discrete_mamba2(d_state: 8)', 'kernels { targets = [cuda(sm: [90, 80])] }'), 'k.mohawk', { dataDir: DATA_DIR, specDir: REPO_ROOT });
    expect(r.ir!.kernels.every((k) => k.targets.join() === 'cuda' && k.sm!.join() === '80,90')).toBe(true);
  });

  it('enumeration is sorted, de-duplicated, merges targets and never gives WGSL a bf16 variant', () => {
    const req = fc.record({
      decay: fc.constantFrom('discrete' as const, 'continuous' as const),
      n: fc.constantFrom(8, 16, 64),
      p: fc.constantFrom(8, 64),
      h: fc.constantFrom(8, 32),
      g: fc.constantFrom(1, 8),
      q: fc.constantFrom(64, 128),
      dtype: fc.constantFrom('f32' as const, 'f16' as const, 'bf16' as const),
      targets: fc.subarray(['wgsl', 'cuda'] as ('wgsl' | 'cuda')[], { minLength: 1 }),
      sm: fc.constant<number[]>([90]),
    });
    fc.assert(
      fc.property(fc.array(req, { maxLength: 8 }), (reqs: KernelRequest[]) => {
        const vs = enumerateVariants(reqs);
        const ks = vs.map((v) => v.key);
        expect(ks).toEqual([...new Set(ks)].sort());
        for (const v of vs) {
          expect(v.key).toBe(`${v.kernel}_${shapeKey(v)}`);
          expect(v.targets.length).toBeGreaterThan(0);
          if (v.dtype === 'bf16') expect(v.targets).not.toContain('wgsl');
          // Every target asked for this shape and able to run its dtype is present.
          const wanted = new Set(reqs.filter((r) => shapeKey(r) === shapeKey(v)).flatMap((r) => r.targets.filter((t) => targetSupports(t, r.dtype))));
          expect(new Set(v.targets)).toEqual(wanted);
        }
        const shapes = new Set(reqs.filter((r) => r.targets.some((t) => targetSupports(t, r.dtype))).map(shapeKey));
        expect(vs).toHaveLength(shapes.size * KERNEL_NAMES.length);
      }),
      { numRuns: 300, seed: 11 },
    );
  });
});
