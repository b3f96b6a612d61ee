/**
 * Global gradient-norm clipping as torch.nn.utils.clip_grad_norm_: total = ‖(‖g_1‖, …, ‖g_n‖)‖₂, and every
 * gradient is multiplied by min(1, maxNorm / (total + 1e-6)). The per-parameter norms come back too (one read
 * from the device for all of them): the NaN guard uses them to name the first non-finite gradient.
 */
import { tf } from '../tensor/backend.ts';

export interface GradNorms {
  /** Pre-clip global norm. */
  total: number;
  /** Pre-clip norm per parameter, in the order of the gradient map. */
  perParam: Map<string, number>;
  /** The value of the `loss` scalar passed in (NaN when none was). */
  loss: number;
}

/**
 * Norms of the gradients, summed on the host in float64. One device read (async, as webgpu requires) for
 * all of them and, when given, the step's loss, so a training step synchronises once.
 */
export async function gradNorms(grads: ReadonlyMap<string, tf.Tensor>, loss?: tf.Scalar): Promise<GradNorms> {
  const perParam = new Map<string, number>();
  const packed = tf.tidy(() => tf.stack([loss ?? tf.scalar(NaN), ...[...grads.values()].map((g) => g.square().sum())]));
  const values = await packed.data();
  packed.dispose();
  let sum = 0;
  [...grads.keys()].forEach((name, i) => {
    const sq = values[i + 1];
    perParam.set(name, Math.sqrt(sq));
    sum += sq;
  });
  return { total: Math.sqrt(sum), perParam, loss: values[0] };
}

/**
 * Scales the gradients in place in the map (replaced tensors are disposed) so that their global norm is at
 * most `maxNorm`; `maxNorm` 0 or Infinity disables clipping. Returns the coefficient applied (1 = unchanged).
 */
export function clipToNorm(grads: Map<string, tf.Tensor>, total: number, maxNorm: number): number {
  if (!(maxNorm > 0) || maxNorm === Infinity || !Number.isFinite(total)) return 1;
  const coef = Math.min(1, maxNorm / (total + 1e-6));
  if (coef === 1) return 1;
  for (const [name, g] of grads) {
    grads.set(name, g.mul(coef));
    g.dispose();
  }
  return coef;
}
