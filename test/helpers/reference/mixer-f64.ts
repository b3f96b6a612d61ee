/**
 * Float64 references of whole mixer layers (plain TS), reading parameters in their Hugging Face layout, so a
 * mismatch in our compute-layout conversion shows up too. Written token by token from method.md §1.3/§5:
 *   discrete_mamba2: in_proj → [x|B|C|z|a]; conv (identity); α = sigmoid(−a); S = αS + x⊗B; y = S·C + D·x;
 *                    out_proj(y ⊙ SiLU(z + z_bias))
 *   mamba2:          in_proj → [z|x|B|C|dt]; conv + SiLU; Δ = softplus(dt + dt_bias); α = exp(−Δ·exp(A_log));
 *                    S = αS + Δx⊗B; y = S·C + D·x; out_proj(RMSNorm_groups(y ⊙ SiLU(z))·w)
 * GQA variant: x has kvHeads·P and B kvHeads·N; head h reads x block ⌊h·kv/H⌋, B block ⌊g·kv/G⌋ of its group g.
 */
export interface MixerF64Config {
  kind: 'discrete_mamba2' | 'mamba2';
  dModel: number;
  h: number;
  p: number;
  g: number;
  n: number;
  k: number;
  kvHeads?: number;
  /** in_proj.bias and out_proj.bias present (then a discrete mixer has no z_bias). */
  bias?: boolean;
}

export type ParamsF64 = Record<string, Float64Array>;

const silu = (v: number) => v / (1 + Math.exp(-v));
const softplus = (v: number) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));

/** Per-token quantities of one sequence, heads/groups already expanded. */
interface Streams {
  x: Float64Array[]; // [t][h·p] after conv
  B: Float64Array[]; // [t][g·n]
  C: Float64Array[]; // [t][g·n]
  alpha: Float64Array[]; // [t][h]
  scale: Float64Array[]; // [t][h]: Δ for mamba2, 1 for discrete
  z: Float64Array[]; // [t][d_inner]
  segStart: number[]; // first token of each token's packed sequence
}

function streams(cfg: MixerF64Config, prm: ParamsF64, u: Float64Array, bi: number, t: number, resets?: Uint8Array): Streams {
  const { dModel: D, h, p, g, n, k } = cfg;
  const dInner = h * p;
  const xh = cfg.kvHeads ?? h;
  const bg = cfg.kvHeads ?? g;
  const xw = xh * p;
  const bw = bg * n;
  const convDim = xw + bw + g * n;
  const outW = convDim + dInner + h;
  const W = prm['in_proj.weight'];
  const proj: Float64Array[] = [];
  for (let ti = 0; ti < t; ti++) {
    const row = new Float64Array(outW);
    for (let o = 0; o < outW; o++) {
      let acc = cfg.bias ? prm['in_proj.bias'][o] : 0;
      for (let i = 0; i < D; i++) acc += W[o * D + i] * u[(bi * t + ti) * D + i];
      row[o] = acc;
    }
    proj.push(row);
  }
  const xbcOff = cfg.kind === 'discrete_mamba2' ? 0 : dInner;
  const zOff = cfg.kind === 'discrete_mamba2' ? convDim : 0;
  const lastOff = convDim + dInner;
  const s: Streams = { x: [], B: [], C: [], alpha: [], scale: [], z: [], segStart: [] };
  let segStart = 0;
  for (let ti = 0; ti < t; ti++) {
    if (resets?.[bi * t + ti] === 1) segStart = ti;
    s.segStart.push(segStart);
    const conv = new Float64Array(convDim);
    for (let c = 0; c < convDim; c++) {
      let acc = prm['conv1d.bias'][c];
      for (let w = 0; w < k; w++) {
        const src = ti - (k - 1 - w);
        if (src >= segStart) acc += prm['conv1d.weight'][c * k + w] * proj[src][xbcOff + c];
      }
      conv[c] = cfg.kind === 'mamba2' ? silu(acc) : acc;
    }
    const x = new Float64Array(h * p);
    const alpha = new Float64Array(h);
    const scale = new Float64Array(h);
    for (let hi = 0; hi < h; hi++) {
      const xBlock = Math.floor((hi * xh) / h);
      for (let pi = 0; pi < p; pi++) x[hi * p + pi] = conv[xBlock * p + pi];
      const raw = proj[ti][lastOff + hi];
      if (cfg.kind === 'discrete_mamba2') {
        alpha[hi] = 1 / (1 + Math.exp(raw)); // sigmoid(−a)
        scale[hi] = 1;
      } else {
        const delta = softplus(raw + prm.dt_bias[hi]);
        alpha[hi] = Math.exp(-delta * Math.exp(prm.A_log[hi]));
        scale[hi] = delta;
      }
    }
    const B = new Float64Array(g * n);
    const C = new Float64Array(g * n);
    for (let gi = 0; gi < g; gi++) {
      const bBlock = Math.floor((gi * bg) / g);
      for (let ni = 0; ni < n; ni++) {
        B[gi * n + ni] = conv[xw + bBlock * n + ni];
        C[gi * n + ni] = conv[xw + bw + gi * n + ni];
      }
    }
    s.x.push(x);
    s.B.push(B);
    s.C.push(C);
    s.alpha.push(alpha);
    s.scale.push(scale);
    s.z.push(proj[ti].slice(zOff, zOff + dInner));
  }
  return s;
}

/** u [b, t, dModel] → out [b, t, dModel]; resets [b, t] cut both the conv and the state. */
export function mixerForwardF64(cfg: MixerF64Config, prm: ParamsF64, u: Float64Array, b: number, t: number, resets?: Uint8Array): Float64Array {
  const { dModel: D, h, p, g, n } = cfg;
  const dInner = h * p;
  const out = new Float64Array(b * t * D);
  for (let bi = 0; bi < b; bi++) {
    const s = streams(cfg, prm, u, bi, t, resets);
    const state = new Float64Array(h * p * n);
    for (let ti = 0; ti < t; ti++) {
      if (s.segStart[ti] === ti) state.fill(0);
      const y = new Float64Array(dInner);
      for (let hi = 0; hi < h; hi++) {
        const gi = Math.floor((hi * g) / h);
        for (let pi = 0; pi < p; pi++) {
          const xv = s.x[ti][hi * p + pi];
          let acc = 0;
          for (let ni = 0; ni < n; ni++) {
            const v = s.alpha[ti][hi] * state[(hi * p + pi) * n + ni] + s.scale[ti][hi] * xv * s.B[ti][gi * n + ni];
            state[(hi * p + pi) * n + ni] = v;
            acc += v * s.C[ti][gi * n + ni];
          }
          y[hi * p + pi] = acc + prm.D[hi] * xv;
        }
      }
      const gated = new Float64Array(dInner);
      if (cfg.kind === 'discrete_mamba2') {
        for (let i = 0; i < dInner; i++) gated[i] = y[i] * silu(s.z[ti][i] + (cfg.bias ? 0 : prm.z_bias[i]));
      } else {
        const gs = dInner / g;
        for (let gi = 0; gi < g; gi++) {
          let ms = 0;
          for (let i = gi * gs; i < (gi + 1) * gs; i++) {
            gated[i] = y[i] * silu(s.z[ti][i]);
            ms += gated[i] * gated[i];
          }
          const inv = 1 / Math.sqrt(ms / gs + 1e-5);
          for (let i = gi * gs; i < (gi + 1) * gs; i++) gated[i] *= inv * prm['norm.weight'][i];
        }
      }
      for (let o = 0; o < D; o++) {
        let acc = cfg.bias ? prm['out_proj.bias'][o] : 0;
        for (let i = 0; i < dInner; i++) acc += prm['out_proj.weight'][o * dInner + i] * gated[i];
        out[(bi * t + ti) * D + o] = acc;
      }
    }
  }
  return out;
}

/**
 * The mixing matrix acting on the post-conv x, [b, h, t, t]:
 * M[t,s] = (C_t·B_s)·Π_{k=s+1..t} α_k · scale_s  (+ D on the diagonal), 0 across a reset.
 */
export function mixerMatrixF64(cfg: MixerF64Config, prm: ParamsF64, u: Float64Array, b: number, t: number, resets?: Uint8Array): Float64Array {
  const { h, g, n } = cfg;
  const m = new Float64Array(b * h * t * t);
  for (let bi = 0; bi < b; bi++) {
    const s = streams(cfg, prm, u, bi, t, resets);
    for (let hi = 0; hi < h; hi++) {
      const gi = Math.floor((hi * g) / h);
      for (let src = 0; src < t; src++) {
        let decay = 1;
        for (let tq = src; tq < t; tq++) {
          if (tq > src) {
            if (s.segStart[tq] > src) break;
            decay *= s.alpha[tq][hi];
          }
          let cb = 0;
          for (let ni = 0; ni < n; ni++) cb += s.C[tq][gi * n + ni] * s.B[src][gi * n + ni];
          m[((bi * h + hi) * t + tq) * t + src] = cb * decay * s.scale[src][hi] + (tq === src ? prm.D[hi] : 0);
        }
      }
    }
  }
  return m;
}
