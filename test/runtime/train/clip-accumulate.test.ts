import { beforeAll, describe, expect, it } from 'vitest';
import { GradientAccumulator } from '../../../runtime/train/accumulate.ts';
import { clipToNorm, gradNorms } from '../../../runtime/train/clip.ts';
import { Rng } from '../../../runtime/train/rng.ts';
import { tf, useBackend } from '../../../runtime/tensor/backend.ts';

const norm64 = (xs: ArrayLike<number>[]) => Math.sqrt(xs.reduce((s, x) => s + Array.from(x).reduce((a, v) => a + v * v, 0), 0));

describe('gradient clipping', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('reports the pre-clip global and per-parameter norms (float64 reference)', async () => {
    const rng = Rng.fromSeed(1);
    const raw = [rng.normals(40, 3), rng.normals(7, 0.1), rng.normals(1, 10)];
    const grads = new Map(raw.map((x, i) => [`p${i}`, tf.tensor(x)] as const));
    const norms = await gradNorms(grads);
    expect(norms.total).toBeCloseTo(norm64(raw), 4);
    raw.forEach((x, i) => expect(norms.perParam.get(`p${i}`)!).toBeCloseTo(norm64([x]), 5));
    expect([...norms.perParam.keys()]).toEqual(['p0', 'p1', 'p2']);
    expect(norms.loss).toBeNaN();
    const loss = tf.scalar(2.5);
    expect((await gradNorms(grads, loss)).loss).toBe(2.5); // read in the same device round trip
    expect((await gradNorms(new Map(), loss)).total).toBe(0);
    loss.dispose();
    grads.forEach((g) => g.dispose());
  });

  it('scales to the max norm when above it and leaves gradients bit-identical when below', async () => {
    const rng = Rng.fromSeed(2);
    const raw = [rng.normals(30, 2), rng.normals(5, 2)];
    const grads = new Map(raw.map((x, i) => [`p${i}`, tf.tensor(x)] as const));
    const { total } = await gradNorms(grads);
    const coef = clipToNorm(grads, total, 1.0);
    expect(coef).toBeCloseTo(1 / (total + 1e-6), 12);
    const after = await gradNorms(grads);
    expect(after.total).toBeCloseTo(total / (total + 1e-6), 5);
    const g0 = await grads.get('p0')!.data();
    raw[0].forEach((v, j) => expect(g0[j]).toBeCloseTo(v * coef, 6));

    const before = await grads.get('p1')!.data();
    expect(clipToNorm(grads, after.total, 10)).toBe(1);
    expect(Array.from(await grads.get('p1')!.data())).toEqual(Array.from(before));
    expect(clipToNorm(grads, 1e9, 0)).toBe(1); // gradClip 0 = off
    expect(clipToNorm(grads, NaN, 1)).toBe(1); // non-finite norms are the NaN guard's business
    grads.forEach((g) => g.dispose());
  });
});

describe('gradient accumulation', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  // y = x·W + b, loss per micro-batch = mean((y − t)²); float64 gradient of the mean over micro-batches.
  function reference(W: Float32Array, b: Float32Array, xs: Float32Array[], ts: Float32Array[], B: number, I: number, O: number) {
    const gW = new Float64Array(I * O);
    const gb = new Float64Array(O);
    let loss = 0;
    xs.forEach((x, mb) => {
      const t = ts[mb];
      for (let r = 0; r < B; r++) {
        for (let o = 0; o < O; o++) {
          let y = b[o];
          for (let i = 0; i < I; i++) y += x[r * I + i] * W[i * O + o];
          const d = y - t[r * O + o];
          loss += (d * d) / (B * O) / xs.length;
          const dy = (2 * d) / (B * O) / xs.length;
          gb[o] += dy;
          for (let i = 0; i < I; i++) gW[i * O + o] += dy * x[r * I + i];
        }
      }
    });
    return { loss, gW, gb };
  }

  it('gives the gradient of the mean micro-batch loss, deterministically, without leaks', async () => {
    const rng = Rng.fromSeed(3);
    const [B, I, O, n] = [4, 6, 3, 5];
    const W0 = rng.normals(I * O);
    const b0 = rng.normals(O);
    const W = tf.variable(tf.tensor(W0, [I, O]));
    const b = tf.variable(tf.tensor(b0, [O]));
    const unused = tf.variable(tf.zeros([2]));
    const params = new Map([['lin.weight', W], ['lin.bias', b], ['unused', unused]]);
    const xs = Array.from({ length: n }, () => rng.normals(B * I));
    const ts = Array.from({ length: n }, () => rng.normals(B * O));

    const accumulate = async () => {
      const acc = new GradientAccumulator(params);
      for (let k = 0; k < n; k++) {
        acc.add(() => {
          const y = tf.tensor(xs[k], [B, I]).matMul(W).add(b);
          return y.sub(tf.tensor(ts[k], [B, O])).square().mean() as tf.Scalar;
        });
      }
      const step = acc.finish();
      const out = {
        loss: (await step.loss.data())[0],
        gW: await step.grads.get('lin.weight')!.data(),
        gb: await step.grads.get('lin.bias')!.data(),
        names: [...step.grads.keys()],
        count: step.microBatches,
      };
      step.loss.dispose();
      step.grads.forEach((g) => g.dispose());
      return out;
    };
    const tensorsBefore = tf.memory().numTensors;
    const first = await accumulate();
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    const ref = reference(W0, b0, xs, ts, B, I, O);
    expect(first.count).toBe(n);
    expect(first.names).toEqual(['lin.weight', 'lin.bias']); // no path to the loss: absent
    expect(first.loss).toBeCloseTo(ref.loss, 5);
    ref.gW.forEach((v, j) => expect(first.gW[j]).toBeCloseTo(v, 5));
    ref.gb.forEach((v, j) => expect(first.gb[j]).toBeCloseTo(v, 5));
    const second = await accumulate();
    expect(Array.from(second.gW)).toEqual(Array.from(first.gW));
    expect(second.loss).toBe(first.loss);
    params.forEach((p) => p.dispose());
  });

  it('refuses to finish an empty accumulation, and parameters tfjs would silently skip', () => {
    const acc = new GradientAccumulator(new Map());
    expect(() => acc.finish()).toThrow(/before any add/);
    const frozen = tf.variable(tf.zeros([2]), false);
    expect(() => new GradientAccumulator(new Map([['model.norm.weight', frozen]]))).toThrow(/'model.norm.weight' .* trainable = false/);
    frozen.dispose();
  });
});
