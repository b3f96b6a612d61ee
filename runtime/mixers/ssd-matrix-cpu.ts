/**
 * The stage-1 mixing matrix as one fused CPU kernel, forward and backward, for wasm/cpu (the T×T analogue of
 * ssd-scan.ts):
 *   M[b,h,i,j] = (C_i·B_j)·Π_{k=j+1..i} exp(logA_k)   (j ≤ i, else 0)   + D_h on the diagonal
 * Each row's decay products are a running product from the diagonal leftwards (float64: every L[i,j] is the
 * product of its own factors, as the stable segment sum is the sum of its own terms). On wasm the tfjs form
 * spends stage 1 in batched matMuls on the generic path ([64,256,8]·[64,8,256] and its two gradients: ~700 ms
 * of a ~2 s micro-batch) and in passes over [b,H,T,T] tensors; here it is ~T²·N multiply-adds per head
 * forward and ~3·T²·N backward in plain loops.
 *
 * Backward from dM: with W = dM∘L and V = dM∘M' (M' without D),
 *   dC_i = Σ_{j≤i} W[i,j]·B_j,   dB_j = Σ_{i≥j} W[i,j]·C_i,   dD_h = Σ_i dM[i,i],
 *   dlogA_k = Σ_{i≥k} Σ_{j<k} V[i,j]   (row prefix sums of V, accumulated down the columns),
 * with dB, dC summed over the heads of a group.
 */
import { tf } from '../tensor/backend.ts';
import { readValues, scratch32, scratch64, tensorOf } from '../tensor/host-values.ts';
import { MixerShapeError } from './ssd-inputs.ts';

export interface MatrixShape {
  b: number;
  t: number;
  h: number;
  g: number;
  n: number;
}

const ops = new Map<string, (...args: tf.Tensor[]) => tf.Tensor>();

/** logA [b,T,H] (resets already applied), B, C [b,T,G,N], D [H] → M [b,H,T,T] with D on the diagonal. */
export function ssdMatrixCpu(logA: tf.Tensor, B: tf.Tensor, C: tf.Tensor, D: tf.Tensor): tf.Tensor {
  const [b, t, h] = logA.shape as number[];
  const [, , g, n] = B.shape as number[];
  if (C.shape.join() !== B.shape.join() || B.shape[0] !== b || B.shape[1] !== t || D.size !== h || h % g !== 0)
    throw new MixerShapeError(`ssd matrix: logA [${logA.shape}], B [${B.shape}], C [${C.shape}], D [${D.shape}] do not fit`);
  const s: MatrixShape = { b, t, h, g, n };
  const key = `${b},${t},${h},${g},${n}`;
  let op = ops.get(key);
  if (!op) {
    const f = tf.customGrad(((la: tf.Tensor, Bt: tf.Tensor, Ct: tf.Tensor, Dt: tf.Tensor, save: tf.GradSaveFunc) => {
      save([la, Bt, Ct, Dt]);
      const k = unrolledMatrixKernels(n);
      // Inputs are read as heap views (valid until the next allocation): outputs are made after computing.
      const m = (k?.forward ?? matrixForward)(s, readValues(la), readValues(Bt), readValues(Ct), readValues(Dt));
      return {
        value: tensorOf(m, [b, h, t, t]),
        gradFunc: (dM: tf.Tensor, saved: tf.Tensor[]) => {
          const [ls, bs, cs] = saved.map(readValues);
          const d = (k?.backward ?? matrixBackward)(s, ls, bs, cs, readValues(dM));
          return [tensorOf(d.dlogA, [b, t, h]), tensorOf(d.dB, [b, t, g, n]), tensorOf(d.dC, [b, t, g, n]), tensorOf(d.dD, [...saved[3].shape])];
        },
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
    op = (...args: tf.Tensor[]) => f(...args) as tf.Tensor;
    ops.set(key, op);
  }
  return op(logA, B, C, D);
}

export function matrixForward(s: MatrixShape, logA: Float32Array, B: Float32Array, C: Float32Array, D: Float32Array): Float32Array {
  const { b, t, h, g } = s;
  const r = h / g;
  const tt = t * t;
  const M = scratch32('matrix.M', b * h * tt);
  const alpha = new Float64Array(t);
  const S = scratch64('matrix.S', tt); // C_i·B_j of one (batch, group), lower triangle
  for (let bi = 0; bi < b; bi++)
    for (let gi = 0; gi < g; gi++) {
      groupScores(S, C, B, bi, gi, s);
      for (let hi = gi * r; hi < (gi + 1) * r; hi++) {
        headDecays(alpha, logA, bi, hi, s);
        const base = (bi * h + hi) * tt;
        const dh = D[hi];
        for (let i = 0; i < t; i++) {
          const row = base + i * t;
          M[row + i] = S[i * t + i] + dh;
          let p = 1;
          for (let j = i - 1; j >= 0; j--) {
            p *= alpha[j + 1];
            M[row + j] = p * S[i * t + j];
          }
        }
      }
    }
  return M;
}

export function matrixBackward(
  s: MatrixShape,
  logA: Float32Array,
  B: Float32Array,
  C: Float32Array,
  dM: Float32Array,
): { dlogA: Float32Array; dB: Float32Array; dC: Float32Array; dD: Float32Array } {
  const { b, t, h, g, n } = s;
  const r = h / g;
  const tt = t * t;
  const dlogA = scratch32('matrix.dlogA', b * t * h);
  const dB = scratch64('matrix.dB', B.length);
  const dC = scratch64('matrix.dC', C.length);
  const dD = new Float64Array(h);
  const alpha = new Float64Array(t);
  const colAcc = new Float64Array(t);
  const V = new Float64Array(t); // one row of dM∘M'
  const S = scratch64('matrix.S', tt);
  for (let bi = 0; bi < b; bi++)
    for (let gi = 0; gi < g; gi++) {
      groupScores(S, C, B, bi, gi, s);
      for (let hi = gi * r; hi < (gi + 1) * r; hi++) {
        headDecays(alpha, logA, bi, hi, s);
        colAcc.fill(0);
        const base = (bi * h + hi) * tt;
        for (let i = 0; i < t; i++) {
          const row = base + i * t;
          const ci = ((bi * t + i) * g + gi) * n;
          // Diagonal: L = 1, and it enters no decay (j < k ≤ i is empty for j = i).
          const wd = dM[row + i];
          dD[hi] += wd;
          for (let k = 0; k < n; k++) {
            dC[ci + k] += wd * B[ci + k];
            dB[ci + k] += wd * C[ci + k];
          }
          // Leftwards from the diagonal: L[i,j] = L[i,j+1]·α_{j+1}.
          let p = 1;
          for (let j = i - 1; j >= 0; j--) {
            p *= alpha[j + 1];
            const w = dM[row + j] * p;
            const bj = ((bi * t + j) * g + gi) * n;
            for (let k = 0; k < n; k++) {
              dC[ci + k] += w * B[bj + k];
              dB[bj + k] += w * C[ci + k];
            }
            V[j] = w * S[i * t + j];
          }
          // ∂M'[i,j]/∂logA_k = M'[i,j] for j < k ≤ i: dlogA_k += Σ_{j<k} V[i,j] (row prefix sums).
          let prefix = 0;
          for (let k = 1; k <= i; k++) {
            prefix += V[k - 1];
            colAcc[k] += prefix;
          }
        }
        for (let k = 0; k < t; k++) dlogA[(bi * t + k) * h + hi] = colAcc[k];
      }
    }
  return { dlogA, dB: Float32Array.from(dB), dC: Float32Array.from(dC), dD: Float32Array.from(dD) };
}

/**
 * matrixForward / matrixBackward generated per state size N with the N-loop unrolled into locals (C_i in
 * registers for a whole row; the products fused into the row loop), as ssd-scan-kernels.ts does for the
 * recurrence. G = H (one B/C per head, as MOHAWK students) computes each C_i·B_j once per head either way.
 */
export const MAX_UNROLLED_MATRIX_N = 16;

type Forward = typeof matrixForward;
type Backward = typeof matrixBackward;
const generated = new Map<number, { forward: Forward; backward: Backward }>();
// Generated code reaches the scratch pools through its first two parameters.
const bindScratch = (f: Function) => (...args: unknown[]) => f(scratch32, scratch64, ...args);
const each = (n: number, f: (k: number) => string, sep = '') => Array.from({ length: n }, (_, k) => f(k)).join(sep);

export function unrolledMatrixKernels(n: number): { forward: Forward; backward: Backward } | undefined {
  if (!(Number.isInteger(n) && n >= 1 && n <= MAX_UNROLLED_MATRIX_N)) return undefined;
  let k = generated.get(n);
  if (!k) {
    const head = `
const { b, t, h, g } = s;
const N = ${n};
const r = h / g, tt = t * t;
const alpha = new Float64Array(t);`;
    const rowStart = `
const ci = ((bi * t + i) * g + gi) * N;
const ${each(n, (q) => `c${q} = C[ci + ${q}]`, ', ')};
const row = base + i * t;`;
    const forward = `${head}
const M = scratch32('matrix.M', b * h * tt);
for (let bi = 0; bi < b; bi++)
  for (let hi = 0; hi < h; hi++) {
    const gi = Math.floor(hi / r);
    for (let q = 0; q < t; q++) alpha[q] = Math.exp(logA[(bi * t + q) * h + hi]);
    const base = (bi * h + hi) * tt;
    const dh = D[hi];
    for (let i = 0; i < t; i++) {
      ${rowStart}
      M[row + i] = ${each(n, (q) => `c${q} * B[ci + ${q}]`, ' + ')} + dh;
      let p = 1;
      for (let j = i - 1; j >= 0; j--) {
        p *= alpha[j + 1];
        const bj = ((bi * t + j) * g + gi) * N;
        M[row + j] = p * (${each(n, (q) => `c${q} * B[bj + ${q}]`, ' + ')});
      }
    }
  }
return M;`;
    const backward = `${head}
const dlogA = scratch32('matrix.dlogA', b * t * h);
const dB = scratch64('matrix.dB', B.length);
const dC = scratch64('matrix.dC', C.length);
const dD = new Float64Array(h);
const colAcc = new Float64Array(t);
const V = new Float64Array(t);
for (let bi = 0; bi < b; bi++)
  for (let hi = 0; hi < h; hi++) {
    const gi = Math.floor(hi / r);
    for (let q = 0; q < t; q++) alpha[q] = Math.exp(logA[(bi * t + q) * h + hi]);
    colAcc.fill(0);
    const base = (bi * h + hi) * tt;
    for (let i = 0; i < t; i++) {
      ${rowStart}
      const wd = dM[row + i];
      dD[hi] += wd;
      let ${each(n, (q) => `dc${q} = wd * B[ci + ${q}]`, ', ')};
      ${each(n, (q) => `dB[ci + ${q}] += wd * c${q};`, ' ')}
      let p = 1;
      for (let j = i - 1; j >= 0; j--) {
        p *= alpha[j + 1];
        const w = dM[row + j] * p;
        const bj = ((bi * t + j) * g + gi) * N;
        const ${each(n, (q) => `b${q} = B[bj + ${q}]`, ', ')};
        ${each(n, (q) => `dc${q} += w * b${q};`, ' ')}
        ${each(n, (q) => `dB[bj + ${q}] += w * c${q};`, ' ')}
        V[j] = w * (${each(n, (q) => `c${q} * b${q}`, ' + ')});
      }
      ${each(n, (q) => `dC[ci + ${q}] += dc${q};`, ' ')}
      let prefix = 0;
      for (let q = 1; q <= i; q++) {
        prefix += V[q - 1];
        colAcc[q] += prefix;
      }
    }
    for (let q = 0; q < t; q++) dlogA[(bi * t + q) * h + hi] = colAcc[q];
  }
return { dlogA, dB: Float32Array.from(dB), dC: Float32Array.from(dC), dD: Float32Array.from(dD) };`;
    k = {
      forward: bindScratch(new Function('scratch32', 'scratch64', 's', 'logA', 'B', 'C', 'D', forward)) as Forward,
      backward: bindScratch(new Function('scratch32', 'scratch64', 's', 'logA', 'B', 'C', 'dM', backward)) as Backward,
    };
    generated.set(n, k);
  }
  return k;
}

/** S[i·t + j] = C_i·B_j for j ≤ i, one (batch, group): shared by the forward and the backward (which recomputes it). */
function groupScores(S: Float64Array, C: Float32Array, B: Float32Array, bi: number, gi: number, { t, g, n }: MatrixShape): void {
  for (let i = 0; i < t; i++) {
    const ci = ((bi * t + i) * g + gi) * n;
    for (let j = 0; j <= i; j++) {
      const bj = ((bi * t + j) * g + gi) * n;
      let acc = 0;
      for (let k = 0; k < n; k++) acc += C[ci + k] * B[bj + k];
      S[i * t + j] = acc;
    }
  }
}

/** alpha[k] = exp(logA) of one (batch, head) at every position k. */
function headDecays(alpha: Float64Array, logA: Float32Array, bi: number, hi: number, { t, h }: MatrixShape): void {
  for (let k = 0; k < t; k++) alpha[k] = Math.exp(logA[(bi * t + k) * h + hi]);
}
