import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdamW, type AdamWConfig } from '../../../runtime/train/adamw.ts';
import { Rng } from '../../../runtime/train/rng.ts';
import { tf, useBackend, type BackendName } from '../../../runtime/tensor/backend.ts';

const CFG: AdamWConfig = { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, noDecay: ['D', 'norm', 'bias'] };

/** torch.optim.AdamW in float64, written from the update equations (independent of the tfjs code). */
function referenceAdamW(p0: Float64Array, grads: Float64Array[], lrs: number[], cfg: AdamWConfig, decay: boolean): Float64Array {
  const p = Float64Array.from(p0);
  const m = new Float64Array(p.length);
  const v = new Float64Array(p.length);
  grads.forEach((g, i) => {
    const k = i + 1;
    const lr = lrs[i];
    for (let j = 0; j < p.length; j++) {
      if (decay) p[j] *= 1 - lr * cfg.weightDecay;
      m[j] = cfg.beta1 * m[j] + (1 - cfg.beta1) * g[j];
      v[j] = cfg.beta2 * v[j] + (1 - cfg.beta2) * g[j] * g[j];
      const mHat = m[j] / (1 - cfg.beta1 ** k);
      const denom = Math.sqrt(v[j]) / Math.sqrt(1 - cfg.beta2 ** k) + cfg.eps;
      p[j] -= lr * (mHat / denom);
    }
  });
  return p;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

for (const backend of ['cpu', 'wasm'] as BackendName[]) {
  describe(`AdamW on ${backend}`, () => {
    beforeAll(async () => {
      await useBackend(backend);
    });
    afterAll(() => tf.disposeVariables());

    it('matches two steps derived by hand (torch.optim.AdamW semantics)', async () => {
      // p = 1, g = 0.5 then −0.25, lr 0.1, wd 0.1, β (0.9, 0.95), eps 1e-8:
      // step 1: p·0.99 = 0.99; m = 0.05, v = 0.0125; m̂/√v̂ = 0.05/0.1 ÷ √(0.0125/0.05) = 0.5/0.5 → p = 0.99 − 0.1·1 = 0.89
      // step 2: p·0.99 = 0.8811; m = 0.02, v = 0.015; (0.1/0.19)·0.02 / √(0.015/0.0975) = 0.0268369 → p = 0.8542631
      const p = tf.variable(tf.tensor1d([1]), true, `hand_${backend}`);
      const opt = new AdamW(new Map([['w', p]]), { ...CFG, noDecay: [] });
      opt.apply(new Map([['w', tf.tensor1d([0.5])]]), 0.1);
      expect((await p.data())[0]).toBeCloseTo(0.89, 6);
      opt.apply(new Map([['w', tf.tensor1d([-0.25])]]), 0.1);
      expect((await p.data())[0]).toBeCloseTo(0.8542631, 6);
      expect(opt.step).toBe(2);
      opt.dispose();
    });

    it('matches a float64 reference over 25 steps with a changing lr, decayed and not', async () => {
      const rng = Rng.fromSeed(11, backend);
      const shapes: Record<string, number[]> = {
        'model.layers.0.mixer.in_proj.weight': [12, 7],
        'model.layers.0.mixer.D': [4],
        'model.norm.weight': [7],
      };
      const params = new Map<string, tf.Variable>();
      const init = new Map<string, Float64Array>();
      for (const [name, shape] of Object.entries(shapes)) {
        const x = rng.normals(shape.reduce((a, b) => a * b, 1));
        init.set(name, Float64Array.from(x));
        params.set(name, tf.variable(tf.tensor(x, shape), true, `${name}_${backend}`));
      }
      const opt = new AdamW(params, CFG);
      const steps = 25;
      const lrs = Array.from({ length: steps }, (_, i) => 1e-2 * (1 - i / steps));
      const gradsByName = new Map<string, Float64Array[]>([...params.keys()].map((n) => [n, []]));
      for (let k = 0; k < steps; k++) {
        const grads = new Map<string, tf.Tensor>();
        for (const [name, shape] of Object.entries(shapes)) {
          const g = rng.normals(shape.reduce((a, b) => a * b, 1), 0.5 + k * 0.1);
          gradsByName.get(name)!.push(Float64Array.from(g));
          grads.set(name, tf.tensor(g, shape));
        }
        const before = tf.memory().numTensors;
        opt.apply(grads, lrs[k]);
        expect(tf.memory().numTensors).toBe(before); // nothing leaks per update
        grads.forEach((g) => g.dispose());
      }
      for (const [name, p] of params) {
        const decay = opt.decays(name);
        expect(decay).toBe(name.endsWith('in_proj.weight'));
        const ref = referenceAdamW(init.get(name)!, gradsByName.get(name)!, lrs, CFG, decay);
        expect(maxAbsDiff(await p.data(), ref)).toBeLessThan(2e-6);
      }
      opt.dispose();
    });

    it('decays only decayed parameters when gradients are zero, and skips parameters without a gradient', async () => {
      const w = tf.variable(tf.tensor1d([2, -4]), true, `w_${backend}`);
      const b = tf.variable(tf.tensor1d([3, 5]), true, `b_${backend}`);
      const u = tf.variable(tf.tensor1d([7]), true, `u_${backend}`);
      const opt = new AdamW(new Map([['lin.weight', w], ['lin.bias', b], ['unused.weight', u]]), CFG);
      for (let k = 0; k < 3; k++) {
        opt.apply(new Map([['lin.weight', tf.zeros([2])], ['lin.bias', tf.zeros([2])]]), 0.5);
      }
      const f = (1 - 0.5 * 0.1) ** 3;
      expect(Array.from(await w.data())).toEqual(Array.from(new Float32Array([2 * f, -4 * f])).map((x) => expect.closeTo(x, 6)));
      expect(Array.from(await b.data())).toEqual([3, 5]);
      expect(Array.from(await u.data())).toEqual([7]);
      expect(() => opt.apply(new Map([['other', tf.zeros([1])]]), 0.1)).toThrow(/does not train/);
      opt.dispose();
    });

    it('continues bit-identically from an exported state', async () => {
      const rng = Rng.fromSeed(5);
      const p0 = rng.normals(30);
      const grads = Array.from({ length: 8 }, () => rng.normals(30));
      const run = async (splitAt: number | null): Promise<Float32Array> => {
        const p = tf.variable(tf.tensor(p0, [5, 6]));
        let opt = new AdamW(new Map([['w', p]]), CFG);
        for (let k = 0; k < grads.length; k++) {
          if (k === splitAt) {
            const saved = await opt.exportState();
            opt.dispose();
            opt = new AdamW(new Map([['w', p]]), CFG);
            opt.importState(saved);
            expect(opt.step).toBe(splitAt);
          }
          opt.apply(new Map([['w', tf.tensor(grads[k], [5, 6])]]), 3e-3);
        }
        opt.dispose();
        const out = (await p.data()) as Float32Array;
        p.dispose();
        return out;
      };
      const straight = await run(null);
      const resumed = await run(5);
      expect(Buffer.from(resumed.buffer).equals(Buffer.from(straight.buffer))).toBe(true);
    });

    it('rejects optimizer states that do not fit, and leaves itself unchanged', async () => {
      const p = tf.variable(tf.zeros([2, 3]));
      const opt = new AdamW(new Map([['w', p]]), CFG);
      const good = await opt.exportState();
      expect([...good.tensors.keys()]).toEqual(['exp_avg.w', 'exp_avg_sq.w']);
      const missing = { step: 1, tensors: new Map([...good.tensors].slice(0, 1)) };
      expect(() => opt.importState(missing)).toThrow(/missing 'exp_avg_sq.w'/);
      const badShape = { step: 1, tensors: new Map(good.tensors) };
      badShape.tensors.set('exp_avg.w', { shape: [3, 2], data: new Float32Array(6) });
      expect(() => opt.importState(badShape)).toThrow(/shape \[3,2\]/);
      const extra = { step: 1, tensors: new Map(good.tensors) };
      extra.tensors.set('exp_avg.frozen', { shape: [1], data: new Float32Array(1) });
      expect(() => opt.importState(extra)).toThrow(/does not train/);
      expect(opt.step).toBe(0);
      expect(() => new AdamW(new Map([['w', p]]), { ...CFG, beta2: 1 })).toThrow(/betas/);
      opt.dispose();
      p.dispose();
    });
  });
}
