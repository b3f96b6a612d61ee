/** Shared by the mixer tests: seeded SSD inputs as float64 (for the references) and as tfjs tensors. */
import { tf } from '../../../runtime/tensor/backend.ts';
import type { SsdInputs } from '../../../runtime/mixers/ssd-inputs.ts';
import { makeRng, randn, type Rng } from '../../helpers/reference/random.ts';
import { negSoftplusF64, type SsdDims, type SsdF64Inputs } from '../../helpers/reference/ssd-f64.ts';

export interface Case extends SsdDims {
  q: number;
}

export function caseName(c: Case): string {
  return `b${c.b} t${c.t} h${c.h} p${c.p} g${c.g} n${c.n} q${c.q}`;
}

/** Random inputs; decays from a ~ N(0.5, 1) span slow to fast forgetting (α ≈ 0.15…0.9). */
export function randomSsd(dims: SsdDims, seed: number, opts: { resetRate?: number; initialState?: boolean } = {}): SsdF64Inputs {
  const rng: Rng = makeRng(seed);
  const { b, t, h, p, g, n } = dims;
  const x = randn(rng, b * t * h * p);
  const a = randn(rng, b * t * h, 1, 0.5);
  const logA = a.map(negSoftplusF64);
  const B = randn(rng, b * t * g * n, 1 / Math.sqrt(n));
  const C = randn(rng, b * t * g * n, 1 / Math.sqrt(n));
  const out: SsdF64Inputs = { ...dims, x, logA, B, C };
  if (opts.initialState) out.initialState = randn(rng, b * h * p * n);
  if (opts.resetRate) {
    out.resets = new Uint8Array(b * t);
    for (let i = 0; i < b * t; i++) out.resets[i] = rng.uniform() < opts.resetRate ? 1 : 0;
  }
  return out;
}

export function toTensors(inp: SsdF64Inputs): SsdInputs & { initialState?: tf.Tensor } {
  const { b, t, h, p, g, n } = inp;
  const f = (v: Float64Array, shape: number[]) => tf.tensor(Float32Array.from(v), shape);
  const out: SsdInputs & { initialState?: tf.Tensor } = {
    x: f(inp.x, [b, t, h, p]),
    logA: f(inp.logA, [b, t, h]),
    B: f(inp.B, [b, t, g, n]),
    C: f(inp.C, [b, t, g, n]),
  };
  if (inp.resets) out.resets = tf.tensor(Float32Array.from(inp.resets), [b, t]);
  if (inp.initialState) out.initialState = f(inp.initialState, [b, h, p, n]);
  return out;
}

export async function host(t: tf.Tensor): Promise<Float32Array> {
  return (await t.data()) as Float32Array;
}
