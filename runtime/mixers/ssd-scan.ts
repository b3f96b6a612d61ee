/**
 * Form (d): the SSD recurrence as one fused CPU kernel, forward and backward, for the backends whose tensors
 * live in this process (wasm, cpu):
 *   S_t = exp(logA_t)·S_{t−1} + x_t ⊗ B_t,   y_t = S_t·C_t       (per head, group g = ⌊h·G/H⌋)
 * It does the least arithmetic of all forms (2·P·N multiply-adds per token and head forward, ~5·P·N backward)
 * in plain loops over typed arrays, accumulating in float64. On wasm the chunked form spends that work in
 * dozens of small batched matMuls and elementwise kernels over [b·H·c, Q, Q] tensors — tfjs' slow paths
 * there — so for the stories260K shapes this form is several times faster (docs/performance.md).
 *
 * Backward (reverse-mode through the recurrence, states recomputed per head from the saved inputs):
 *   dS_t = dy_t ⊗ C_t + exp(logA_{t+1})·dS_{t+1}   (dS_T from the final state's gradient)
 *   dC_t = S_tᵀ·dy_t,  dx_t = dS_t·B_t,  dB_t = dS_tᵀ·x_t,  dlogA_t = exp(logA_t)·⟨dS_t, S_{t−1}⟩,  dS_0 = dS_1·α_1
 * with dB, dC summed over the heads of a group. y and the final state come out of one kernel as one flat
 * tensor (tf.customGrad takes a single output), split by differentiable slices.
 */
import { tf } from '../tensor/backend.ts';
import { readValues, tensorOf } from '../tensor/host-values.ts';
import { applyResets, MixerShapeError, ssdShape, type SsdInputs, type SsdShape } from './ssd-inputs.ts';
import type { SsdResult } from './ssd-chunked.ts';
import { unrolledKernels } from './ssd-scan-kernels.ts';

/** Backends whose tensors can be read synchronously in this process. */
export function scanAvailable(): boolean {
  const b = tf.getBackend();
  return b === 'wasm' || b === 'cpu';
}

export function ssdScan(inp: SsdInputs, opts: { initialState?: tf.Tensor } = {}): SsdResult {
  const s = ssdShape(inp);
  const { b, t, h, p, n } = s;
  if (!scanAvailable()) throw new MixerShapeError(`ssd: the scan form runs on the wasm and cpu backends, not ${tf.getBackend()}`);
  if (opts.initialState) {
    const sh = opts.initialState.shape;
    if (sh.length !== 4 || sh[0] !== b || sh[1] !== h || sh[2] !== p || sh[3] !== n)
      throw new MixerShapeError(`ssd: initial state has shape [${sh}], expected [${[b, h, p, n]}]`);
  }
  return tf.tidy(() => {
    const logA = applyResets(inp.logA, inp.resets);
    const s0 = opts.initialState ?? tf.zeros([b, h, p, n]);
    const flat = scanOp(s)(inp.x, logA, inp.B, inp.C, s0) as tf.Tensor1D;
    const ySize = b * t * h * p;
    return {
      y: flat.slice(0, ySize).reshape([b, t, h, p]),
      finalState: flat.slice(ySize, b * h * p * n).reshape([b, h, p, n]),
    };
  });
}

const ops = new Map<string, (...args: tf.Tensor[]) => tf.Tensor>();

function scanOp(s: SsdShape): (...args: tf.Tensor[]) => tf.Tensor {
  const key = `${s.b},${s.t},${s.h},${s.p},${s.g},${s.n}`;
  let op = ops.get(key);
  if (!op) {
    const g = tf.customGrad(((x: tf.Tensor, logA: tf.Tensor, B: tf.Tensor, C: tf.Tensor, s0: tf.Tensor, save: tf.GradSaveFunc) => {
      save([x, logA, B, C, s0]);
      const k = unrolledKernels(s.n);
      const fwd = k?.forward ?? scanForward;
      const bwd = k?.backward ?? scanBackward;
      // Inputs are read as heap views (valid until the next allocation): outputs are made after computing.
      const out = fwd(s, readValues(x), readValues(logA), readValues(B), readValues(C), readValues(s0));
      return {
        value: tensorOf(out, [out.length]),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [xs, ls, bs, cs, s0s] = saved.map(readValues);
          const d = bwd(s, xs, ls, bs, cs, s0s, readValues(dy));
          return [
            tensorOf(d.dx, [...saved[0].shape]),
            tensorOf(d.dlogA, [...saved[1].shape]),
            tensorOf(d.dB, [...saved[2].shape]),
            tensorOf(d.dC, [...saved[3].shape]),
            tensorOf(d.ds0, [...saved[4].shape]),
          ];
        },
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
    op = (...args: tf.Tensor[]) => g(...args) as tf.Tensor;
    ops.set(key, op);
  }
  return op;
}

/** [y (b·T·H·P) | final state (b·H·P·N)] as one array. */
export function scanForward(s: SsdShape, x: Float32Array, logA: Float32Array, B: Float32Array, C: Float32Array, s0: Float32Array): Float32Array {
  const { b, t, h, p, g, n } = s;
  const r = h / g;
  const pn = p * n;
  const out = new Float32Array(b * t * h * p + b * h * pn);
  const yOff = 0;
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
        const bo = (row * g + gi) * n;
        for (let pi = 0; pi < p; pi++) {
          const xv = x[xo + pi];
          let acc = 0;
          const so = pi * n;
          for (let ni = 0; ni < n; ni++) {
            const v = a * S[so + ni] + xv * B[bo + ni];
            S[so + ni] = v;
            acc += v * C[bo + ni];
          }
          out[yOff + xo + pi] = acc;
        }
      }
      for (let k = 0; k < pn; k++) out[fOff + sBase + k] = S[k];
    }
  return out;
}

export interface ScanGrads {
  dx: Float32Array;
  dlogA: Float32Array;
  dB: Float32Array;
  dC: Float32Array;
  ds0: Float32Array;
}

/** Gradients given d[y | final state] (the layout scanForward returns). */
export function scanBackward(
  s: SsdShape,
  x: Float32Array,
  logA: Float32Array,
  B: Float32Array,
  C: Float32Array,
  s0: Float32Array,
  dOut: Float32Array,
): ScanGrads {
  const { b, t, h, p, g, n } = s;
  const r = h / g;
  const pn = p * n;
  const fOff = b * t * h * p;
  const dx = new Float32Array(x.length);
  const dlogA = new Float32Array(logA.length);
  // Group gradients gather r heads each: accumulate in float64, round once.
  const dB64 = new Float64Array(B.length);
  const dC64 = new Float64Array(C.length);
  const ds0 = new Float32Array(s0.length);
  const states = new Float64Array((t + 1) * pn); // S_0 … S_T of one (batch, head)
  const dS = new Float64Array(pn);
  for (let bi = 0; bi < b; bi++)
    for (let hi = 0; hi < h; hi++) {
      const gi = Math.floor(hi / r);
      const sBase = (bi * h + hi) * pn;
      for (let k = 0; k < pn; k++) states[k] = s0[sBase + k];
      for (let ti = 0; ti < t; ti++) {
        const row = bi * t + ti;
        const a = Math.exp(logA[row * h + hi]);
        const xo = (row * h + hi) * p;
        const bo = (row * g + gi) * n;
        const prev = ti * pn;
        const cur = prev + pn;
        for (let pi = 0; pi < p; pi++) {
          const xv = x[xo + pi];
          for (let ni = 0; ni < n; ni++) states[cur + pi * n + ni] = a * states[prev + pi * n + ni] + xv * B[bo + ni];
        }
      }
      for (let k = 0; k < pn; k++) dS[k] = dOut[fOff + sBase + k];
      for (let ti = t - 1; ti >= 0; ti--) {
        const row = bi * t + ti;
        const a = Math.exp(logA[row * h + hi]);
        const xo = (row * h + hi) * p;
        const bo = (row * g + gi) * n;
        const prev = ti * pn;
        const cur = prev + pn;
        // y_t = S_t·C_t
        for (let pi = 0; pi < p; pi++) {
          const dyv = dOut[xo + pi];
          if (dyv === 0) continue;
          const so = pi * n;
          for (let ni = 0; ni < n; ni++) {
            dS[so + ni] += dyv * C[bo + ni];
            dC64[bo + ni] += dyv * states[cur + so + ni];
          }
        }
        // S_t = a·S_{t−1} + x_t ⊗ B_t
        let da = 0;
        for (let pi = 0; pi < p; pi++) {
          const so = pi * n;
          const xv = x[xo + pi];
          let dxv = 0;
          for (let ni = 0; ni < n; ni++) {
            const d = dS[so + ni];
            dxv += d * B[bo + ni];
            dB64[bo + ni] += d * xv;
            da += d * states[prev + so + ni];
            dS[so + ni] = d * a;
          }
          dx[xo + pi] = dxv;
        }
        dlogA[row * h + hi] = da * a;
      }
      for (let k = 0; k < pn; k++) ds0[sBase + k] = dS[k];
    }
  return { dx, dlogA, dB: Float32Array.from(dB64), dC: Float32Array.from(dC64), ds0 };
}
