/**
 * Mixer initialisation (MOHAWK recipe, Mamba-2 defaults, decay_init) and the attention → SSM mapping: with
 * decay forced to 1, no conv and D = 0, an initialised layer computes causal linear attention with the
 * teacher's Q/K/V/O, checked against an independent float64 computation on the stories260K teacher (8 query
 * heads, 4 kv heads, so the GQA repeat is exercised).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../../runtime/tensor/backend.ts';
import { inProjRows, mixerDims, mixerParamSpecs, OPEN_GATE_Z_BIAS, toCompute, type MixerDims } from '../../../runtime/mixers/layout.ts';
import { Mixer, type MixerParams } from '../../../runtime/mixers/mixer.ts';
import { MixerShapeError } from '../../../runtime/mixers/ssd-inputs.ts';
import { initFromAttention, type AttentionSource } from '../../../runtime/student/from-attention.ts';
import { initMixer, type HostParams } from '../../../runtime/student/init.ts';
import { attentionFromCheckpoint } from '../../../runtime/student/teacher-attention.ts';
import { Rng } from '../../../runtime/train/rng.ts';
import { makeRng, randn, relErr } from '../../helpers/reference/random.ts';
import { storiesMixer, stories260K } from './helpers.ts';

const softplus = (v: number) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
const silu = (v: number) => v / (1 + Math.exp(-v));

function device(d: MixerDims, host: HostParams): MixerParams {
  return Object.fromEntries(mixerParamSpecs(d).map((s) => [s.name, toCompute(s, host.get(s.name)!)]));
}

/** Independent float64 causal linear attention: out_t = W_O ⊕_h Σ_{s≤t} (q_t^h·k_s^{kv(h)}) v_s^{kv(h)}. */
function linearAttentionF64(att: AttentionSource, u: Float64Array, t: number, decay = 1): Float64Array {
  const { heads, kvHeads, headDim: hd } = att;
  const d = att.q.shape[1];
  const proj = (w: Float32Array, rows: number) => {
    const out = new Float64Array(t * rows);
    for (let ti = 0; ti < t; ti++)
      for (let r = 0; r < rows; r++) {
        let acc = 0;
        for (let i = 0; i < d; i++) acc += w[r * d + i] * u[ti * d + i];
        out[ti * rows + r] = acc;
      }
    return out;
  };
  const q = proj(att.q.data, heads * hd);
  const k = proj(att.k.data, kvHeads * hd);
  const v = proj(att.v.data, kvHeads * hd);
  const ctx = new Float64Array(t * heads * hd);
  for (let h = 0; h < heads; h++) {
    const kv = Math.floor((h * kvHeads) / heads);
    for (let ti = 0; ti < t; ti++)
      for (let s = 0; s <= ti; s++) {
        let score = 0;
        for (let i = 0; i < hd; i++) score += q[ti * heads * hd + h * hd + i] * k[s * kvHeads * hd + kv * hd + i];
        score *= decay ** (ti - s);
        for (let i = 0; i < hd; i++) ctx[ti * heads * hd + h * hd + i] += score * v[s * kvHeads * hd + kv * hd + i];
      }
  }
  const out = new Float64Array(t * d);
  for (let ti = 0; ti < t; ti++)
    for (let o = 0; o < d; o++) {
      let acc = 0;
      for (let i = 0; i < heads * hd; i++) acc += att.o.data[o * heads * hd + i] * ctx[ti * heads * hd + i];
      out[ti * d + o] = acc;
    }
  return out;
}

describe('initMixer', () => {
  it('discrete_mamba2 follows the MOHAWK recipe: identity conv, open gate, D = 1', () => {
    const d = mixerDims(storiesMixer(), 64);
    const p = initMixer(d, { rng: Rng.fromSeed(1), layers: 5 });
    const conv = p.get('conv1d.weight')!.data;
    for (let c = 0; c < d.convDim; c++) for (let w = 0; w < d.k; w++) expect(conv[c * d.k + w]).toBe(w === d.k - 1 ? 1 : 0);
    expect(p.get('conv1d.bias')!.data.every((v) => v === 0)).toBe(true);
    const [z0, z1] = inProjRows(d, 'z');
    const w = p.get('in_proj.weight')!.data;
    expect(w.subarray(z0 * 64, z1 * 64).every((v) => v === 0)).toBe(true);
    expect(w.subarray(0, z0 * 64).some((v) => v !== 0)).toBe(true);
    expect(p.get('z_bias')!.data.every((v) => v === Math.fround(OPEN_GATE_Z_BIAS))).toBe(true);
    expect(Math.abs(silu(OPEN_GATE_Z_BIAS) - 1)).toBeLessThan(1e-11);
    expect(p.get('D')!.data.every((v) => v === 1)).toBe(true);
  });

  it('decay_init sets sigmoid(−a) (discrete, through in_proj.bias) and exp(Δ·A) (mamba2) at a zero projection', () => {
    for (const v of [0.5, 0.9, 0.99]) {
      const d = mixerDims(storiesMixer(), 64, { bias: true });
      const p = initMixer(d, { rng: Rng.fromSeed(2), layers: 5, decayInit: v });
      const [a0, a1] = inProjRows(d, 'a');
      for (const a of p.get('in_proj.bias')!.data.subarray(a0, a1)) expect(Math.abs(1 / (1 + Math.exp(a)) - v)).toBeLessThan(1e-6);
      const [z0, z1] = inProjRows(d, 'z');
      expect(p.get('in_proj.bias')!.data.subarray(z0, z1).every((x) => x === Math.fround(OPEN_GATE_Z_BIAS))).toBe(true);
      const m = mixerDims(storiesMixer({ kind: 'mamba2' }), 64);
      const q = initMixer(m, { rng: Rng.fromSeed(3), layers: 5, decayInit: v });
      for (let h = 0; h < m.h; h++) {
        const alpha = Math.exp(-softplus(q.get('dt_bias')!.data[h]) * Math.exp(q.get('A_log')!.data[h]));
        expect(Math.abs(alpha - v)).toBeLessThan(1e-5);
      }
    }
    expect(() => initMixer(mixerDims(storiesMixer(), 64), { rng: Rng.fromSeed(1), layers: 5, decayInit: 0.9 })).toThrow(/in_proj.bias/);
  });

  it('mamba2 draws Δ in [1e-3, 0.1] and A in [1, 16]', () => {
    const m = mixerDims(storiesMixer({ kind: 'mamba2', heads: 16, headDim: 4 }), 64);
    const q = initMixer(m, { rng: Rng.fromSeed(4), layers: 5 });
    for (let h = 0; h < m.h; h++) {
      const dt = softplus(q.get('dt_bias')!.data[h]);
      expect(dt).toBeGreaterThanOrEqual(1e-3 * (1 - 1e-5));
      expect(dt).toBeLessThanOrEqual(0.1 * (1 + 1e-5));
      const A = Math.exp(q.get('A_log')!.data[h]);
      expect(A).toBeGreaterThanOrEqual(1 - 1e-6);
      expect(A).toBeLessThanOrEqual(16 * (1 + 1e-6));
    }
  });
});

describe.each(['wasm', 'cpu'] as const)('from-attention init on the stories260K teacher (%s)', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  /** The layer with decay 1 (a-bias −100: softplus(−100) ≈ 4e−44), D = 0, identity conv and open gate. */
  function linearAttentionMixer(layer: number, kvAware: boolean, aBias = -100): { mixer: Mixer; att: AttentionSource } {
    const ckpt = stories260K();
    const ir = storiesMixer(kvAware ? { kvHeads: 4 } : {});
    const d = mixerDims(ir, 64, { bias: true });
    const att = attentionFromCheckpoint(ckpt, layer);
    const base = initMixer(d, { rng: Rng.fromSeed(layer), layers: 5 });
    const { params, notes } = initFromAttention(d, base, att);
    expect(notes).toEqual([]);
    const [a0, a1] = inProjRows(d, 'a');
    params.get('in_proj.weight')!.data.fill(0, a0 * 64, a1 * 64);
    params.get('in_proj.bias')!.data.fill(aBias, a0, a1);
    params.get('D')!.data.fill(0);
    return { mixer: new Mixer(d, device(d, params)), att };
  }

  it.each([0, 1, 2, 3, 4])('layer %i reproduces causal linear attention (x, B repeated by head blocks)', async (layer) => {
    const t = 24;
    const u = randn(makeRng(70 + layer), t * 64);
    const { mixer, att } = linearAttentionMixer(layer, false);
    const ut = tf.tensor(Float32Array.from(u), [1, t, 64]);
    const want = linearAttentionF64(att, u, t);
    for (const form of ['chunked', 'matrix', 'recurrent'] as const)
      expect(relErr(await mixer.forward(ut, { form }).out.data(), want), form).toBeLessThan(1e-5);
  });

  it('the GQA-aware variant (x and B of kv width) computes the same linear attention', async () => {
    const t = 17;
    const u = randn(makeRng(81), t * 64);
    const { mixer, att } = linearAttentionMixer(2, true);
    expect(mixer.dims.xHeads).toBe(4);
    expect(relErr(await mixer.forward(tf.tensor(Float32Array.from(u), [1, t, 64])).out.data(), linearAttentionF64(att, u, t))).toBeLessThan(1e-5);
  });

  it('with a constant decay (a = 0: α = ½) it is decayed linear attention', async () => {
    const t = 20;
    const u = randn(makeRng(82), t * 64);
    const { mixer, att } = linearAttentionMixer(1, false, 0);
    expect(relErr(await mixer.forward(tf.tensor(Float32Array.from(u), [1, t, 64])).out.data(), linearAttentionF64(att, u, t, 0.5))).toBeLessThan(1e-5);
  });

  it('repeating single rows (the official helper) would not be linear attention — whole blocks are needed', async () => {
    const t = 12;
    const u = randn(makeRng(83), t * 64);
    const { mixer, att } = linearAttentionMixer(0, false);
    // Same mixer but with K and V rows repeated one row at a time (row r of the kv weight → rows 2r, 2r+1).
    const d = mixer.dims;
    const rowWise = (w: Float32Array) => {
      const out = new Float32Array(w.length * 2);
      for (let r = 0; r < w.length / 64; r++) for (let k = 0; k < 2; k++) out.set(w.subarray(r * 64, (r + 1) * 64), (2 * r + k) * 64);
      return out;
    };
    const params: MixerParams = { ...mixer.params };
    const inProj = (await params['in_proj.weight'].transpose().data()) as Float32Array;
    const [b0] = inProjRows(d, 'B');
    const [x0] = inProjRows(d, 'x');
    inProj.set(rowWise(att.k.data), b0 * 64);
    inProj.set(rowWise(att.v.data), x0 * 64);
    params['in_proj.weight'] = tf.tensor2d(inProj, [d.inProjOut, 64]).transpose();
    const wrong = new Mixer(d, params);
    const got = await wrong.forward(tf.tensor(Float32Array.from(u), [1, t, 64])).out.data();
    expect(relErr(got, linearAttentionF64(att, u, t))).toBeGreaterThan(0.05);
  });

  it('refuses shapes without a head-to-head correspondence, naming what is needed', () => {
    const att = attentionFromCheckpoint(stories260K(), 0);
    for (const over of [{ dState: 16 }, { groups: 4 }, { heads: 4, headDim: 16, groups: 4 }]) {
      const d = mixerDims(storiesMixer(over), 64);
      expect(() => initFromAttention(d, initMixer(d, { rng: Rng.fromSeed(0), layers: 5 }), att)).toThrow(MixerShapeError);
    }
    const d = mixerDims(storiesMixer({ dState: 16 }), 64);
    expect(() => initFromAttention(d, initMixer(d, { rng: Rng.fromSeed(0), layers: 5 }), att)).toThrow(/d_state 8 \(has 16\)/);
  });
});
