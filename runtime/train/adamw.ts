/**
 * AdamW with PyTorch's `torch.optim.AdamW` semantics, per update k = 1, 2, …:
 *   p ← p · (1 − lr·wd)                           (decoupled decay, skipped for no-decay names)
 *   m ← m + (1 − β1)·(g − m)                      (torch's lerp form)
 *   v ← β2·v + (1 − β2)·g²
 *   p ← p − (lr / (1 − β1^k)) · m / (√v / √(1 − β2^k) + eps)
 * A parameter whose gradient is absent (not connected to the loss) is left untouched, decay included, as torch
 * skips parameters whose .grad is None. The step counter is one per optimizer (torch keeps one per parameter;
 * they agree as long as a parameter either always or never gets a gradient within a stage).
 *
 * Only the parameters passed in are optimised: a stage builds its AdamW over its trainable set (frozen
 * parameters are simply not given). State exports as host tensors `exp_avg.<name>` / `exp_avg_sq.<name>`.
 */
import type { OptimizerIR } from '../../compiler/ir/types.ts';
import type { HostTensor } from '../io/types.ts';
import { tf } from '../tensor/backend.ts';
import { assignFromHost, sameShape, toHost } from './host-tensors.ts';
import { matchesAny } from './name-patterns.ts';

export type AdamWConfig = Omit<OptimizerIR, 'kind'>;

export interface AdamWState {
  /** Updates applied so far. */
  step: number;
  tensors: Map<string, HostTensor>;
}

const M_PREFIX = 'exp_avg.';
const V_PREFIX = 'exp_avg_sq.';

export class AdamW {
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();
  private readonly decayed = new Set<string>();
  private steps = 0;

  constructor(
    private readonly params: ReadonlyMap<string, tf.Variable>,
    readonly config: AdamWConfig,
  ) {
    const { beta1, beta2, eps, weightDecay } = config;
    const ok = (x: number, lo: number, hi: number) => Number.isFinite(x) && x >= lo && x < hi;
    if (!ok(beta1, 0, 1) || !ok(beta2, 0, 1)) throw new RangeError(`adamw: betas must be in [0, 1), got ${beta1}, ${beta2}`);
    if (!(eps > 0) || !ok(weightDecay, 0, Infinity)) throw new RangeError(`adamw: need eps > 0 and weightDecay ≥ 0, got ${eps}, ${weightDecay}`);
    for (const [name, p] of params) {
      if (p.dtype !== 'float32') throw new TypeError(`adamw: parameter '${name}' is ${p.dtype}, expected float32`);
      this.m.set(name, tf.variable(tf.zerosLike(p), false));
      this.v.set(name, tf.variable(tf.zerosLike(p), false));
      if (!matchesAny(name, config.noDecay)) this.decayed.add(name);
    }
  }

  get step(): number {
    return this.steps;
  }

  /** Names of the optimised parameters, in the order given. */
  names(): string[] {
    return [...this.params.keys()];
  }

  decays(name: string): boolean {
    return this.decayed.has(name);
  }

  /** One update with learning rate `lr`. `grads` may omit parameters; unknown names are an error. */
  apply(grads: ReadonlyMap<string, tf.Tensor>, lr: number): void {
    for (const name of grads.keys()) {
      if (!this.params.has(name)) throw new Error(`adamw: gradient for '${name}', which this optimizer does not train`);
    }
    const k = this.steps + 1;
    const { beta1, beta2, eps, weightDecay } = this.config;
    // The step's constants as tensors made once, not once per parameter and op (each is an upload on webgpu).
    const c = {
      oneMinusB1: tf.scalar(1 - beta1),
      b2: tf.scalar(beta2),
      oneMinusB2: tf.scalar(1 - beta2),
      keep: tf.scalar(1 - lr * weightDecay),
      bc2Sqrt: tf.scalar(Math.sqrt(1 - beta2 ** k)),
      eps: tf.scalar(eps),
      stepSize: tf.scalar(lr / (1 - beta1 ** k)),
    };
    try {
      for (const [name, p] of this.params) {
        const g = grads.get(name);
        if (!g) continue;
        const m = this.m.get(name)!;
        const v = this.v.get(name)!;
        tf.tidy(() => {
          const m1 = m.add(g.sub(m).mul(c.oneMinusB1));
          const v1 = v.mul(c.b2).add(g.square().mul(c.oneMinusB2));
          const decayed = this.decayed.has(name) && weightDecay !== 0 ? p.mul(c.keep) : p;
          const denom = v1.sqrt().div(c.bc2Sqrt).add(c.eps);
          const p1 = decayed.sub(m1.div(denom).mul(c.stepSize));
          m.assign(m1);
          v.assign(v1);
          p.assign(p1);
        });
      }
    } finally {
      Object.values(c).forEach((t) => t.dispose());
    }
    this.steps = k;
  }

  /** Moments as host tensors (async: webgpu can only read asynchronously). */
  async exportState(): Promise<AdamWState> {
    const tensors = new Map<string, HostTensor>();
    for (const name of this.params.keys()) {
      tensors.set(M_PREFIX + name, await toHost(this.m.get(name)!));
      tensors.set(V_PREFIX + name, await toHost(this.v.get(name)!));
    }
    return { step: this.steps, tensors };
  }

  /**
   * Restores an exported state. Every moment must be present with its parameter's shape and nothing else may
   * be; all is checked before anything is assigned, so a bad state leaves the optimizer as it was.
   */
  importState(state: AdamWState): void {
    if (!Number.isInteger(state.step) || state.step < 0) throw new Error(`optimizer state: bad step ${state.step}`);
    const expected = new Set<string>();
    for (const [name, p] of this.params) {
      for (const key of [M_PREFIX + name, V_PREFIX + name]) {
        expected.add(key);
        const host = state.tensors.get(key);
        if (!host) throw new Error(`optimizer state: missing '${key}'`);
        if (!sameShape(host.shape, p.shape)) {
          throw new Error(`optimizer state: '${key}' has shape [${host.shape}], parameter is [${p.shape}]`);
        }
      }
    }
    const extra = [...state.tensors.keys()].filter((k) => !expected.has(k));
    if (extra.length) throw new Error(`optimizer state: tensors for parameters this stage does not train: ${extra.slice(0, 3).join(', ')}`);
    for (const name of this.params.keys()) {
      assignFromHost(this.m.get(name)!, state.tensors.get(M_PREFIX + name)!);
      assignFromHost(this.v.get(name)!, state.tensors.get(V_PREFIX + name)!);
    }
    this.steps = state.step;
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
    this.m.clear();
    this.v.clear();
  }
}
