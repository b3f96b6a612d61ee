/**
 * The SSD core shared by both mixer kinds (method.md §5.1): per head h, with group g = ⌊h·G/H⌋,
 *   S_t = exp(logA_t)·S_{t−1} + x_t ⊗ B_t,   y_t = S_t·C_t.
 * Discrete Mamba-2 passes logA = −softplus(a) and x unscaled; Mamba-2 passes logA = Δ·A and x̄ = Δ·x.
 * The D skip, gate and norm live in the mixers, not here.
 */
import { tf } from '../tensor/backend.ts';

export interface SsdInputs {
  /** [b, T, H, P] */
  x: tf.Tensor;
  /** [b, T, H], ≤ 0 */
  logA: tf.Tensor;
  /** [b, T, G, N] */
  B: tf.Tensor;
  /** [b, T, G, N] */
  C: tf.Tensor;
  /**
   * [b, T], 1 (or true) where a token starts a new packed sequence: no state flows into it, neither within a
   * chunk nor across chunks. Data, not a parameter (never differentiated).
   */
  resets?: tf.Tensor;
}

export interface SsdShape {
  b: number;
  t: number;
  h: number;
  p: number;
  g: number;
  n: number;
}

/** A shape or configuration mistake by the caller; the message names the tensor and both shapes. */
export class MixerShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MixerShapeError';
  }
}

/** A tensor's shape as a plain array (tfjs types it as a union of tuples, awkward to destructure). */
export function dims(t: tf.Tensor): number[] {
  return t.shape as number[];
}

export function ssdShape(inp: SsdInputs): SsdShape {
  const [b, t, h, p] = expectRank('x', inp.x, 4);
  const [g, n] = expectRank('B', inp.B, 4).slice(2);
  const want = (name: string, got: tf.Tensor, shape: number[]) => {
    if (got.shape.length !== shape.length || got.shape.some((d, i) => d !== shape[i]))
      throw new MixerShapeError(`ssd: ${name} has shape [${got.shape}], expected [${shape}]`);
  };
  want('logA', inp.logA, [b, t, h]);
  want('B', inp.B, [b, t, g, n]);
  want('C', inp.C, [b, t, g, n]);
  if (inp.resets) want('resets', inp.resets, [b, t]);
  if (h % g !== 0) throw new MixerShapeError(`ssd: groups G=${g} must divide heads H=${h}`);
  return { b, t, h, p, g, n };
}

function expectRank(name: string, t: tf.Tensor, rank: number): number[] {
  if (t.rank !== rank) throw new MixerShapeError(`ssd: ${name} must have rank ${rank}, got shape [${t.shape}]`);
  return t.shape;
}

/**
 * Log-decay standing in for "no state flows in": exp of it (and of any sum containing it) is exactly 0 in
 * float32, yet it is finite, so 0·it = 0 and masked cumulative sums never meet ∞ − ∞.
 */
export const RESET_LOG_DECAY = -1e30;

/** logA with resets applied. The condition is data, so the `where` keeps its gradient inside autograd. */
export function applyResets(logA: tf.Tensor, resets: tf.Tensor | undefined): tf.Tensor {
  if (!resets) return logA;
  const cond = resets.cast('bool').expandDims(-1).broadcastTo(logA.shape);
  return tf.where(cond, tf.fill(logA.shape, RESET_LOG_DECAY), logA);
}
