/**
 * Every generated WGSL variant validates and runs through Dawn on the CI adapter (Mesa lavapipe) and matches
 * the float64 references on fresh random inputs (T not a multiple of Q, with and without initial state),
 * outputs poisoned with NaN before each run. f16 variants run only where the adapter has shader-f16.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import KERNELS from '../../generated/kernels/dispatch.ts';
import { hasShaderF16, runDawnOp } from '../../runtime/kernels/dawn.ts';
import { registerKernelTable } from '../../runtime/kernels/registry.ts';
import { checkVariant, type Executor } from './helpers/check-variant.ts';
import { TOLERANCE } from './helpers/cases.ts';

const dawn: Executor = async (e, op, inputs, dims) => (await runDawnOp(e, op, inputs, dims)).outputs;

const entries = Object.values(KERNELS.variants).filter((e) => e.wgsl);

describe('generated WGSL kernels through Dawn', () => {
  let f16 = false;
  beforeAll(async () => {
    registerKernelTable(KERNELS);
    f16 = await hasShaderF16();
  });

  it('the table lists WGSL variants', () => {
    expect(entries.length).toBeGreaterThan(0);
  });

  for (const e of entries) {
    it(`${e.key} matches float64`, async (ctx) => {
      if (e.dtype === 'f16' && !f16) ctx.skip();
      const seed = [...e.key].reduce((a, c) => (a * 31 + c.charCodeAt(0)) >>> 0, 7);
      const results = await checkVariant(e, dawn, seed);
      for (const r of results) {
        expect(r.finite, `${r.case}: ${r.output} has unwritten (NaN) elements`).toBe(true);
        expect(r.err, `${r.case}: ${r.output}`).toBeLessThan(TOLERANCE[e.dtype]);
      }
    });
  }
});
