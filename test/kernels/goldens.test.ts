/**
 * The official Discrete Mamba-2 reference (goombalab/phi-mamba discrete_mamba2_ref.py, float64 outputs in
 * /work/shared/golden/discrete_mamba2_ref) reproduced by generated WGSL kernels of the goldens' shapes, emitted
 * for this test and run through Dawn on lavapipe: chunked forward with and without an initial state, 24 decode
 * steps with groups, and the stage-1 matrix. Relative error ≤ 1e-5 (float32 kernels).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runDawnOp } from '../../runtime/kernels/dawn.ts';
import { getVariant } from '../../runtime/kernels/registry.ts';
import { GOLDEN_DIR } from '../helpers/paths.ts';
import { relErr } from '../helpers/reference/random.ts';
import { emitTemp } from './helpers/emit-temp.ts';

const dir = join(GOLDEN_DIR, 'discrete_mamba2_ref');
const meta = JSON.parse(readFileSync(join(dir, 'discrete_mamba2_ref.json'), 'utf8')) as {
  cases: Record<string, { tensors: Record<string, { file: string; shape: number[] }> }>;
};

function golden(c: string, name: string): { data: Float64Array; shape: number[] } {
  const t = meta.cases[c].tensors[name];
  const buf = readFileSync(join(dir, t.file));
  return { data: new Float64Array(buf.buffer, buf.byteOffset, buf.byteLength / 8), shape: t.shape };
}

const f32 = (a: Float64Array) => Float32Array.from(a);
const f64 = (a: Float32Array | Uint16Array) => Float64Array.from(a);
/** Head params with D = 0: the goldens' Y excludes the D skip. */
const noSkip = (h: number, D?: Float64Array) => {
  const hp = new Float32Array(3 * h);
  if (D) hp.set(D);
  return hp;
};

const KEYS = [
  'ssd_fwd_discrete_n16_p8_h4_g4_q32_f32',
  'ssd_fwd_discrete_n8_p4_h2_g2_q16_f32',
  'ssd_step_discrete_n16_p8_h4_g2_q16_f32',
  'ssd_materialize_discrete_n16_p8_h4_g4_q32_f32',
];

describe('generated kernels reproduce the phi-mamba reference', () => {
  beforeAll(() => {
    emitTemp(KEYS, ['wgsl']);
  });

  for (const [c, key, withInit] of [
    ['chunked_b2_t128_h4_p8_n16_q32', KEYS[0], false],
    ['chunked_init_b1_t64_h2_p4_n8_q16', KEYS[1], true],
  ] as const) {
    it(`${c}: chunked forward`, async () => {
      const X = golden(c, 'X');
      const [b, t, h] = X.shape;
      const r = await runDawnOp(
        getVariant(key),
        'forward',
        {
          xBuf: f32(X.data),
          decBuf: f32(golden(c, 'a_raw').data),
          bBuf: f32(golden(c, 'B').data),
          cBuf: f32(golden(c, 'C').data),
          hpBuf: noSkip(h),
          s0Buf: withInit ? f32(golden(c, 'initial_state').data) : undefined,
        },
        { batch: b, seqLen: t },
      );
      expect(relErr(f64(r.outputs.y), golden(c, 'Y').data)).toBeLessThan(1e-5);
      expect(relErr(f64(r.outputs.finalState), golden(c, 'final_state').data)).toBeLessThan(1e-5);
    });
  }

  it('step_b2_t24_h4_g2_p8_n16: 24 decode steps with 2 groups for 4 heads', async () => {
    const c = 'step_b2_t24_h4_g2_p8_n16';
    const x = golden(c, 'x');
    const [b, t, h, p] = x.shape;
    const B = golden(c, 'B');
    const [g, n] = B.shape.slice(2);
    const a = golden(c, 'a_raw').data;
    const C = golden(c, 'C').data;
    const Y = golden(c, 'Y').data;
    const pick = (src: Float64Array, ti: number, w: number) => {
      const o = new Float32Array(b * w);
      for (let bi = 0; bi < b; bi++) o.set(f32(src.subarray((bi * t + ti) * w, (bi * t + ti + 1) * w)), bi * w);
      return o;
    };
    let state: Float32Array = new Float32Array(b * h * p * n);
    const y = new Float64Array(Y.length);
    const e = getVariant(KEYS[2]);
    for (let ti = 0; ti < t; ti++) {
      const r = await runDawnOp(e, 'forward', { stateBuf: state, xBuf: pick(x.data, ti, h * p), decBuf: pick(a, ti, h), bBuf: pick(B.data, ti, g * n), cBuf: pick(C, ti, g * n), hpBuf: noSkip(h) }, { batch: b, seqLen: 1 });
      state = r.outputs.state as Float32Array;
      const yt = r.outputs.y as Float32Array;
      for (let bi = 0; bi < b; bi++) y.set(yt.subarray(bi * h * p, (bi + 1) * h * p), (bi * t + ti) * h * p);
    }
    expect(relErr(y, Y)).toBeLessThan(1e-5);
    expect(relErr(f64(state), golden(c, 'final_state').data)).toBeLessThan(1e-5);
  });

  it('materialize_b2_t32_h4_n16: the stage-1 matrix with D on the diagonal', async () => {
    const c = 'materialize_b2_t32_h4_n16';
    const B = golden(c, 'B');
    const [b, t, h] = B.shape;
    const r = await runDawnOp(
      getVariant(KEYS[3]),
      'forward',
      { decBuf: f32(golden(c, 'a_raw').data), bBuf: f32(B.data), cBuf: f32(golden(c, 'C').data), hpBuf: noSkip(h, golden(c, 'D').data) },
      { batch: b, seqLen: t },
    );
    expect(relErr(f64(r.outputs.M), golden(c, 'M').data)).toBeLessThan(1e-5);
  });
});
