/**
 * GradientAccumulator.addParts (added by pipeline for stage 1's per-layer terms): a micro-batch given as a sum
 * of separately differentiated terms yields the gradient and loss of the summed loss on one tape, counts as one
 * micro-batch in the 1/count scaling, and reaches only the parameters its terms use.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { GradientAccumulator } from '../../../runtime/train/accumulate.ts';
import { Rng } from '../../../runtime/train/rng.ts';
import { tf, useBackend } from '../../../runtime/tensor/backend.ts';

beforeAll(async () => {
  await useBackend('wasm');
});

describe('gradient accumulation over a loss made of parts', () => {
  it('equals the one-tape gradient of the sum; one micro-batch per addParts', async () => {
    const rng = Rng.fromSeed(7);
    const params = new Map([0, 1, 2].map((i) => [`w${i}`, tf.variable(tf.tensor(rng.normals(12, 1), [3, 4]), true, `parts-w${i}`)] as const));
    const x = [tf.tensor(rng.normals(6, 1), [2, 3]), tf.tensor(rng.normals(6, 1), [2, 3])];
    const ws = [...params.values()];
    // Term i uses only w_i (as stage 1's layer terms do); w2 is used by no term.
    const terms = (xb: tf.Tensor) => [0, 1].map((i) => () => tf.matMul(xb, ws[i]).square().mean() as tf.Scalar);

    const oneTape = new GradientAccumulator(params);
    const parts = new GradientAccumulator(params);
    for (const xb of x) {
      oneTape.add(() => terms(xb).map((t) => t()).reduce((a, b) => a.add(b)) as tf.Scalar);
      parts.addParts(terms(xb));
    }
    const a = oneTape.finish();
    const b = parts.finish();
    expect(b.microBatches).toBe(2);
    expect([...b.grads.keys()]).toEqual(['w0', 'w1']);
    expect(Math.abs((await b.loss.data())[0] - (await a.loss.data())[0])).toBeLessThan(1e-6);
    for (const name of ['w0', 'w1']) {
      const ga = await a.grads.get(name)!.data();
      const gb = await b.grads.get(name)!.data();
      ga.forEach((v, i) => expect(gb[i]).toBeCloseTo(v, 6));
    }
    expect(() => parts.addParts([])).toThrow(/at least one part/);
  });
});
