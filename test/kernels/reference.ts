/**
 * Float64 references for the generated kernels' full contract: raw decay inputs (a, or dt with dt_bias and
 * A_log), the D skip, initial/final states, and gradients. The forward and the matrix reuse the SSD-core
 * references of test/helpers/reference (naive recurrence, running-product matrix); the gradients here are
 * reverse-mode through the naive recurrence (dS_t = dy_t ⊗ C_t + α_{t+1}·dS_{t+1}) and, for the matrix, the
 * triple sum ∂M[t,s]/∂ℓ_k = M̃[t,s]·[s < k ≤ t] — neither is the telescoped form the kernels use.
 */
import { ssdMatrixF64, ssdRecurrenceF64 } from '../helpers/reference/ssd-f64.ts';

export type Decay = 'discrete' | 'continuous';

export interface Shape {
  b: number;
  t: number;
  h: number;
  p: number;
  g: number;
  n: number;
}

export interface RawInputs extends Shape {
  decay: Decay;
  x: Float64Array; // [b,t,h,p]
  dec: Float64Array; // [b,t,h] raw a (discrete) or dt (continuous)
  B: Float64Array; // [b,t,g,n]
  C: Float64Array;
  hp: Float64Array; // [3,h]: D, dt_bias, A_log
  s0?: Float64Array; // [b,h,p,n]
}

const softplus = (z: number) => Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** log α and the input scale per (b,t,h). */
export function coreDecay(inp: RawInputs): { logA: Float64Array; scale: Float64Array } {
  const { b, t, h } = inp;
  const logA = new Float64Array(b * t * h);
  const scale = new Float64Array(b * t * h);
  for (let i = 0; i < b * t * h; i++) {
    const hi = i % h;
    if (inp.decay === 'discrete') {
      logA[i] = -softplus(inp.dec[i]);
      scale[i] = 1;
    } else {
      const d = softplus(inp.dec[i] + inp.hp[h + hi]);
      logA[i] = -d * Math.exp(inp.hp[2 * h + hi]);
      scale[i] = d;
    }
  }
  return { logA, scale };
}

function scaledX(inp: RawInputs, scale: Float64Array): Float64Array {
  const xb = new Float64Array(inp.x.length);
  for (let i = 0; i < xb.length; i++) xb[i] = inp.x[i] * scale[Math.floor(i / inp.p)];
  return xb;
}

export function forwardRef(inp: RawInputs): { y: Float64Array; finalState: Float64Array } {
  const { logA, scale } = coreDecay(inp);
  const { y, finalState } = ssdRecurrenceF64({ ...inp, x: scaledX(inp, scale), logA, initialState: inp.s0 });
  for (let i = 0; i < y.length; i++) y[i] += inp.hp[Math.floor(i / inp.p) % inp.h] * inp.x[i];
  return { y, finalState };
}

export interface Grads {
  dx: Float64Array;
  ddec: Float64Array;
  dB: Float64Array;
  dC: Float64Array;
  dS0: Float64Array;
  /** Per-token terms of dA_log (continuous; zeros for discrete) — their sum over b and t is dA_log. */
  dAlogPart: Float64Array;
  dD: Float64Array;
}

export function backwardRef(inp: RawInputs, dy: Float64Array, dSf?: Float64Array): Grads {
  const { b, t, h, p, g, n } = inp;
  const { logA, scale } = coreDecay(inp);
  const xb = scaledX(inp, scale);
  const out: Grads = {
    dx: new Float64Array(b * t * h * p),
    ddec: new Float64Array(b * t * h),
    dB: new Float64Array(b * t * g * n),
    dC: new Float64Array(b * t * g * n),
    dS0: new Float64Array(b * h * p * n),
    dAlogPart: new Float64Array(b * t * h),
    dD: new Float64Array(h),
  };
  const pn = p * n;
  for (let bi = 0; bi < b; bi++) {
    for (let hi = 0; hi < h; hi++) {
      const gi = Math.floor((hi * g) / h);
      // Forward states S_{-1..t-1} for this head.
      const S = new Float64Array((t + 1) * pn);
      if (inp.s0) S.set(inp.s0.subarray((bi * h + hi) * pn, (bi * h + hi + 1) * pn), 0);
      for (let ti = 0; ti < t; ti++) {
        const a = Math.exp(logA[(bi * t + ti) * h + hi]);
        for (let pi = 0; pi < p; pi++)
          for (let ni = 0; ni < n; ni++)
            S[(ti + 1) * pn + pi * n + ni] =
              a * S[ti * pn + pi * n + ni] + xb[((bi * t + ti) * h + hi) * p + pi] * inp.B[((bi * t + ti) * g + gi) * n + ni];
      }
      const dS = new Float64Array(pn);
      if (dSf) dS.set(dSf.subarray((bi * h + hi) * pn, (bi * h + hi + 1) * pn));
      for (let ti = t - 1; ti >= 0; ti--) {
        const tok = (bi * t + ti) * h + hi;
        const gOff = ((bi * t + ti) * g + gi) * n;
        const xOff = tok * p;
        for (let pi = 0; pi < p; pi++) for (let ni = 0; ni < n; ni++) dS[pi * n + ni] += dy[xOff + pi] * inp.C[gOff + ni];
        for (let ni = 0; ni < n; ni++) {
          let c = 0;
          let bb = 0;
          for (let pi = 0; pi < p; pi++) {
            c += S[(ti + 1) * pn + pi * n + ni] * dy[xOff + pi];
            bb += dS[pi * n + ni] * xb[xOff + pi];
          }
          out.dC[gOff + ni] += c;
          out.dB[gOff + ni] += bb;
        }
        let q = 0;
        for (let pi = 0; pi < p; pi++) {
          let dxb = 0;
          for (let ni = 0; ni < n; ni++) dxb += dS[pi * n + ni] * inp.B[gOff + ni];
          out.dx[xOff + pi] = scale[tok] * dxb + inp.hp[hi] * dy[xOff + pi];
          q += dxb * inp.x[xOff + pi];
          out.dD[hi] += dy[xOff + pi] * inp.x[xOff + pi];
        }
        const alpha = Math.exp(logA[tok]);
        let dAlpha = 0;
        for (let e = 0; e < pn; e++) dAlpha += dS[e] * S[ti * pn + e];
        const dl = dAlpha * alpha;
        if (inp.decay === 'discrete') out.ddec[tok] = -dl * sigmoid(inp.dec[tok]);
        else {
          const z = inp.dec[tok] + inp.hp[h + hi];
          const A = -Math.exp(inp.hp[2 * h + hi]);
          out.ddec[tok] = (dl * A + q) * sigmoid(z);
          out.dAlogPart[tok] = dl * softplus(z) * A;
        }
        for (let e = 0; e < pn; e++) dS[e] *= alpha;
      }
      out.dS0.set(dS, (bi * h + hi) * pn);
    }
  }
  return out;
}

/** M [b,h,t,t] including the input scale of column s and D on the diagonal. */
export function materializeRef(inp: Omit<RawInputs, 'x' | 's0'>): Float64Array {
  const { b, t, h } = inp;
  const { logA, scale } = coreDecay(inp as RawInputs);
  const m = ssdMatrixF64({ ...inp, logA });
  for (let bi = 0; bi < b; bi++)
    for (let hi = 0; hi < h; hi++)
      for (let ti = 0; ti < t; ti++)
        for (let s = 0; s <= ti; s++) {
          const i = ((bi * h + hi) * t + ti) * t + s;
          m[i] = m[i] * scale[(bi * t + s) * h + hi] + (s === ti ? inp.hp[hi] : 0);
        }
  return m;
}

export function materializeBackwardRef(inp: Omit<RawInputs, 'x' | 's0'>, dM: Float64Array): Omit<Grads, 'dx' | 'dS0'> {
  const { b, t, h, g, n } = inp;
  const { logA, scale } = coreDecay(inp as RawInputs);
  const out = {
    ddec: new Float64Array(b * t * h),
    dB: new Float64Array(b * t * g * n),
    dC: new Float64Array(b * t * g * n),
    dAlogPart: new Float64Array(b * t * h),
    dD: new Float64Array(h),
  };
  for (let bi = 0; bi < b; bi++)
    for (let hi = 0; hi < h; hi++) {
      const gi = Math.floor((hi * g) / h);
      const dl = new Float64Array(t);
      const dScale = new Float64Array(t);
      for (let ti = 0; ti < t; ti++) {
        out.dD[hi] += dM[((bi * h + hi) * t + ti) * t + ti];
        let decay = 1;
        for (let s = ti; s >= 0; s--) {
          if (s < ti) decay *= Math.exp(logA[(bi * t + s + 1) * h + hi]);
          const gm = dM[((bi * h + hi) * t + ti) * t + s];
          const cOff = ((bi * t + ti) * g + gi) * n;
          const bOff = ((bi * t + s) * g + gi) * n;
          let cb = 0;
          for (let ni = 0; ni < n; ni++) cb += inp.C[cOff + ni] * inp.B[bOff + ni];
          const sc = scale[(bi * t + s) * h + hi];
          for (let ni = 0; ni < n; ni++) {
            out.dC[cOff + ni] += gm * decay * sc * inp.B[bOff + ni];
            out.dB[bOff + ni] += gm * decay * sc * inp.C[cOff + ni];
          }
          dScale[s] += gm * decay * cb;
          // M̃[t,s] depends on every ℓ_k with s < k ≤ t.
          for (let k = s + 1; k <= ti; k++) dl[k] += gm * cb * decay * sc;
        }
      }
      for (let ti = 0; ti < t; ti++) {
        const tok = (bi * t + ti) * h + hi;
        if (inp.decay === 'discrete') out.ddec[tok] = -dl[ti] * sigmoid(inp.dec[tok]);
        else {
          const z = inp.dec[tok] + inp.hp[h + hi];
          const A = -Math.exp(inp.hp[2 * h + hi]);
          out.ddec[tok] = (dl[ti] * A + dScale[ti]) * sigmoid(z);
          out.dAlogPart[tok] = dl[ti] * softplus(z) * A;
        }
      }
    }
  return out;
}

/** One decode step: returns the new state and y (with D·x). */
export function stepRef(
  inp: Omit<Shape, 't'> & { decay: Decay; state: Float64Array; x: Float64Array; dec: Float64Array; B: Float64Array; C: Float64Array; hp: Float64Array },
): { state: Float64Array; y: Float64Array } {
  const { b, h, p, g, n } = inp;
  const core = coreDecay({ ...inp, t: 1, s0: undefined } as RawInputs);
  const state = Float64Array.from(inp.state);
  const y = new Float64Array(b * h * p);
  for (let bi = 0; bi < b; bi++)
    for (let hi = 0; hi < h; hi++) {
      const gi = Math.floor((hi * g) / h);
      const a = Math.exp(core.logA[bi * h + hi]);
      const sc = core.scale[bi * h + hi];
      for (let pi = 0; pi < p; pi++) {
        const xv = inp.x[(bi * h + hi) * p + pi];
        let acc = 0;
        for (let ni = 0; ni < n; ni++) {
          const i = ((bi * h + hi) * p + pi) * n + ni;
          state[i] = a * state[i] + sc * xv * inp.B[(bi * g + gi) * n + ni];
          acc += state[i] * inp.C[(bi * g + gi) * n + ni];
        }
        y[(bi * h + hi) * p + pi] = acc + inp.hp[hi] * xv;
      }
    }
  return { state, y };
}
