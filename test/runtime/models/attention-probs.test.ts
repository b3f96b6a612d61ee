/**
 * causalAttentionProbs (probabilities only, for stage 1) against causalSelfAttention's probabilities, both
 * strategies, with GQA, RoPE, biases and a padded-length mask, on wasm and cpu.
 */
import { describe, expect, it } from 'vitest';
import { causalAttentionProbs, causalMask, causalSelfAttention, ropeConstants } from '../../../runtime/models/blocks.ts';
import { tf, useBackend } from '../../../runtime/tensor/backend.ts';
import { makeRng, randn, relErr } from '../../helpers/reference/random.ts';

describe.each(['wasm', 'cpu'] as const)('attention probabilities only (%s)', (backend) => {
  it.each(['batched', 'blockdiag'] as const)('equal the full attention’s probabilities (%s)', async (impl) => {
    await useBackend(backend);
    const rng = makeRng(impl === 'batched' ? 3 : 4);
    const [b, t, d, heads, kvHeads, hd] = [3, 20, 16, 4, 2, 4];
    const m = (rows: number, cols: number) => tf.tensor2d(Float32Array.from(randn(rng, rows * cols, 0.4)), [rows, cols]);
    const v = (n: number) => tf.tensor1d(Float32Array.from(randn(rng, n, 0.1)));
    const w = { q: m(d, heads * hd), k: m(d, kvHeads * hd), v: m(d, kvHeads * hd), o: m(heads * hd, d), qBias: v(heads * hd), kBias: v(kvHeads * hd) };
    const x = m(b * t, d);
    const rope = ropeConstants({ headDim: hd, rotaryDim: hd, theta: 10000, layout: 'half' }, 64);
    const mask = causalMask(t, [t, 13, 7]);
    const shape = { heads, kvHeads, headDim: hd };
    const full = causalSelfAttention(x, w, shape, { batch: b, rope, mask, wantProbs: true, impl }).probs!;
    const only = causalAttentionProbs(x, w, shape, { batch: b, rope, mask, impl });
    expect(only.shape).toEqual([b, heads, t, t]);
    expect(relErr(await only.data(), await full.data())).toBeLessThan(1e-6);
  });
});
