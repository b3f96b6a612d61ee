/**
 * The scan form's loops (ssd-scan.ts), generated per state size N with the N-loop unrolled into locals: V8
 * then keeps B_t, C_t and one row of the state in registers, which measured ~3× faster than the generic loops
 * for N = 8 (1.8–2.8 vs 6.3 ms for the stories260K layer's forward). The generic loops (ssd-scan.ts
 * scanForward / scanBackward) stay as the reference the tests hold these to, and serve N > MAX_UNROLLED_N.
 *
 * Outputs are per-thread scratch arrays, valid until the next call (copy them into tensors at once).
 *
 * Layouts (row-major): x, y [b,T,H,P]; logA [b,T,H]; B, C [b,T,G,N]; s0, final [b,H,P,N]; out = [y | final].
 */
import { scratch32, scratch64 } from '../tensor/host-values.ts';
import type { SsdShape } from './ssd-inputs.ts';

export const MAX_UNROLLED_N = 16;

export type ForwardKernel = (s: SsdShape, x: Float32Array, logA: Float32Array, B: Float32Array, C: Float32Array, s0: Float32Array) => Float32Array;
export type BackwardKernel = (
  s: SsdShape,
  x: Float32Array,
  logA: Float32Array,
  B: Float32Array,
  C: Float32Array,
  s0: Float32Array,
  dOut: Float32Array,
) => { dx: Float32Array; dlogA: Float32Array; dB: Float32Array; dC: Float32Array; ds0: Float32Array };

const cache = new Map<number, { forward: ForwardKernel; backward: BackwardKernel }>();

const range = (n: number) => Array.from({ length: n }, (_, k) => k);
const each = (n: number, f: (k: number) => string, sep = '') => range(n).map(f).join(sep);

export function unrolledKernels(n: number): { forward: ForwardKernel; backward: BackwardKernel } | undefined {
  if (!(Number.isInteger(n) && n >= 1 && n <= MAX_UNROLLED_N)) return undefined;
  let k = cache.get(n);
  if (!k) {
    // Generated code reaches the per-thread scratch pools (runtime/tensor/host-values.ts) through its first two
    // parameters: outputs are reused arrays that the caller copies into tensors (no fresh 0.5 MB arrays per call).
    const fwd = new Function('scratch32', 'scratch64', 's', 'x', 'logA', 'B', 'C', 's0', forwardSource(n));
    const bwd = new Function('scratch32', 'scratch64', 's', 'x', 'logA', 'B', 'C', 's0', 'dOut', backwardSource(n));
    k = {
      forward: ((...a: unknown[]) => fwd(scratch32, scratch64, ...a)) as ForwardKernel,
      backward: ((...a: unknown[]) => bwd(scratch32, scratch64, ...a)) as BackwardKernel,
    };
    cache.set(n, k);
  }
  return k;
}

/** Loads B_t and C_t of the group into locals b0…, c0…. */
const loadBC = (n: number) => `const ${each(n, (i) => `b${i} = B[bo + ${i}]`, ', ')};\n const ${each(n, (i) => `c${i} = C[bo + ${i}]`, ', ')};`;

function forwardSource(n: number): string {
  return `
const { b, t, h, p, g } = s;
const N = ${n};
const r = h / g, pn = p * N;
const out = scratch32('scan.out', b * t * h * p + b * h * pn);
const fOff = b * t * h * p;
const S = new Float64Array(pn);
for (let bi = 0; bi < b; bi++)
  for (let hi = 0; hi < h; hi++) {
    const gi = Math.floor(hi / r);
    const sBase = (bi * h + hi) * pn;
    for (let k = 0; k < pn; k++) S[k] = s0[sBase + k];
    for (let ti = 0; ti < t; ti++) {
      const row = bi * t + ti;
      const a = Math.exp(logA[row * h + hi]);
      const xo = (row * h + hi) * p;
      const bo = (row * g + gi) * N;
      ${loadBC(n)}
      for (let pi = 0; pi < p; pi++) {
        const xv = x[xo + pi];
        const so = pi * N;
        const ${each(n, (i) => `v${i} = a * S[so + ${i}] + xv * b${i}`, ', ')};
        ${each(n, (i) => `S[so + ${i}] = v${i};`, ' ')}
        out[xo + pi] = ${each(n, (i) => `v${i} * c${i}`, ' + ')};
      }
    }
    for (let k = 0; k < pn; k++) out[fOff + sBase + k] = S[k];
  }
return out;`;
}

function backwardSource(n: number): string {
  return `
const { b, t, h, p, g } = s;
const N = ${n};
const r = h / g, pn = p * N;
const fOff = b * t * h * p;
const dx = scratch32('scan.dx', x.length);
const dlogA = scratch32('scan.dlogA', logA.length);
const dB64 = scratch64('scan.dB', B.length);
const dC64 = scratch64('scan.dC', C.length);
const ds0 = scratch32('scan.ds0', s0.length);
const st = scratch64('scan.states', (t + 1) * pn);
const dS = new Float64Array(pn);
for (let bi = 0; bi < b; bi++)
  for (let hi = 0; hi < h; hi++) {
    const gi = Math.floor(hi / r);
    const sBase = (bi * h + hi) * pn;
    for (let k = 0; k < pn; k++) st[k] = s0[sBase + k];
    for (let ti = 0; ti < t; ti++) {
      const row = bi * t + ti;
      const a = Math.exp(logA[row * h + hi]);
      const xo = (row * h + hi) * p;
      const bo = (row * g + gi) * N;
      const ${each(n, (i) => `b${i} = B[bo + ${i}]`, ', ')};
      const prev = ti * pn, cur = prev + pn;
      for (let pi = 0; pi < p; pi++) {
        const xv = x[xo + pi];
        const so = pi * N;
        ${each(n, (i) => `st[cur + so + ${i}] = a * st[prev + so + ${i}] + xv * b${i};`, ' ')}
      }
    }
    for (let k = 0; k < pn; k++) dS[k] = dOut[fOff + sBase + k];
    for (let ti = t - 1; ti >= 0; ti--) {
      const row = bi * t + ti;
      const a = Math.exp(logA[row * h + hi]);
      const xo = (row * h + hi) * p;
      const bo = (row * g + gi) * N;
      ${loadBC(n)}
      const prev = ti * pn, cur = prev + pn;
      let ${each(n, (i) => `dc${i} = 0, db${i} = 0`, ', ')};
      let da = 0;
      for (let pi = 0; pi < p; pi++) {
        const dyv = dOut[xo + pi];
        const xv = x[xo + pi];
        const so = pi * N;
        const ${each(n, (i) => `d${i} = dS[so + ${i}] + dyv * c${i}`, ', ')};
        ${each(n, (i) => `dc${i} += dyv * st[cur + so + ${i}];`, ' ')}
        dx[xo + pi] = ${each(n, (i) => `d${i} * b${i}`, ' + ')};
        ${each(n, (i) => `db${i} += d${i} * xv;`, ' ')}
        da += ${each(n, (i) => `d${i} * st[prev + so + ${i}]`, ' + ')};
        ${each(n, (i) => `dS[so + ${i}] = d${i} * a;`, ' ')}
      }
      ${each(n, (i) => `dC64[bo + ${i}] += dc${i}; dB64[bo + ${i}] += db${i};`, ' ')}
      dlogA[row * h + hi] = da * a;
    }
    for (let k = 0; k < pn; k++) ds0[sBase + k] = dS[k];
  }
const dB = scratch32('scan.dB32', B.length);
dB.set(dB64);
const dC = scratch32('scan.dC32', C.length);
dC.set(dC64);
return { dx, dlogA, dB, dC, ds0 };`;
}
