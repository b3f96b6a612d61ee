/**
 * Gradient accumulation over micro-batches to one optimizer batch: gradients (and losses) are summed in the
 * order the micro-batches arrive, then scaled once by 1/count — so the result is the gradient of the mean
 * micro-batch loss, computed in an order that does not depend on anything but the data order.
 */
import { tf } from '../tensor/backend.ts';

export interface AccumulatedStep {
  /** Mean of the micro-batch losses. */
  loss: tf.Scalar;
  /** Gradient of that mean per parameter name; parameters without a path to the loss are absent. */
  grads: Map<string, tf.Tensor>;
  microBatches: number;
}

/**
 * A sum over `n` micro-batches → their mean (the input is disposed when replaced). Every path that finishes
 * an accumulated step scales through here, so in-process and worker-thread steps use the same op.
 */
export function scaleToMean<T extends tf.Tensor>(sum: T, n: number): T {
  if (n === 1) return sum;
  const s = sum.mul(1 / n) as T;
  sum.dispose();
  return s;
}

export class GradientAccumulator {
  private readonly byVariable = new Map<string, string>();
  private readonly sums = new Map<string, tf.Tensor>();
  private lossSum: tf.Scalar | null = null;
  private count = 0;

  /** `params`: the trainable parameters by name (the names the optimizer uses). */
  constructor(private readonly params: ReadonlyMap<string, tf.Variable>) {
    for (const [name, v] of params) {
      // tfjs silently drops non-trainable variables from variableGrads: say so instead of training nothing.
      if (!v.trainable) throw new TypeError(`parameter '${name}' is a tf.Variable created with trainable = false; a stage cannot train it`);
      this.byVariable.set(v.name, name);
    }
  }

  /** Runs one micro-batch's forward and backward (`lossFn` builds the scalar loss) and adds its gradients in. */
  add(lossFn: () => tf.Scalar): void {
    this.addTerm(lossFn);
    this.count++;
  }

  /**
   * One micro-batch whose loss is the sum of `parts`, each differentiated on its own tape (in order) and added
   * in: the same gradient as `add(() => Σ parts)`, but only one part's intermediates are alive at a time (stage
   * 1 holds one layer's T×T matrices instead of all layers').
   */
  addParts(parts: readonly (() => tf.Scalar)[]): void {
    if (parts.length === 0) throw new Error('gradient accumulator: addParts() needs at least one part');
    for (const part of parts) this.addTerm(part);
    this.count++;
  }

  private addTerm(lossFn: () => tf.Scalar): void {
    const { value, grads } = tf.variableGrads(lossFn, [...this.params.values()]);
    for (const [varName, g] of Object.entries(grads)) {
      if (!g) continue;
      const name = this.byVariable.get(varName)!;
      const prev = this.sums.get(name);
      if (prev) {
        this.sums.set(name, prev.add(g));
        prev.dispose();
        g.dispose();
      } else {
        this.sums.set(name, g);
      }
    }
    if (this.lossSum) {
      const prev = this.lossSum;
      this.lossSum = prev.add(value);
      prev.dispose();
      value.dispose();
    } else {
      this.lossSum = value;
    }
  }

  /**
   * The accumulated step (caller owns the tensors); the accumulator is empty again afterwards. With
   * `{ mean: false }` the gradients and loss are the plain sums in arrival order (a worker thread's share of a
   * step, which runtime/parallel adds to the other shares before scaling once).
   */
  finish(opts: { mean?: boolean } = {}): AccumulatedStep {
    if (this.count === 0 || !this.lossSum) throw new Error('gradient accumulator: finish() before any add()');
    const n = this.count;
    const mean = opts.mean ?? true;
    const scale = (t: tf.Tensor) => (mean ? scaleToMean(t, n) : t);
    const grads = new Map<string, tf.Tensor>();
    // Parameter order, not arrival order, so every consumer iterates the same way.
    for (const name of this.params.keys()) {
      const g = this.sums.get(name);
      if (g) grads.set(name, scale(g));
    }
    const loss = scale(this.lossSum) as tf.Scalar;
    this.sums.clear();
    this.lossSum = null;
    this.count = 0;
    return { loss, grads, microBatches: n };
  }

  dispose(): void {
    this.sums.forEach((t) => t.dispose());
    this.sums.clear();
    this.lossSum?.dispose();
    this.lossSum = null;
    this.count = 0;
  }
}
