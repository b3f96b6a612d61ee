/**
 * The stories260K teacher against llama2.c run.c (../shared/golden/once_upon_a_time_pos32*): logits, every
 * layer's attention probabilities and the residual stream, on each backend; plus the same numbers through
 * the other paths a caller can take (per-layer callback, layer filter, padded batch, KV-cache decoding).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadLlama2c } from '../../../runtime/io/llama2c.ts';
import { buildTeacher, type LayerCapture, type TransformerLM } from '../../../runtime/models/index.ts';
import { tf, useBackend, type BackendName } from '../../../runtime/tensor/backend.ts';
import { TEACHER_BIN } from '../../helpers/paths.ts';
import { loadPos32, maxAbsDiff, relErr, type PosGolden } from './golden-helpers.ts';

const T = 32;
const V = 512;
const D = 64;
const HEADS = 8;
const LAYERS = 5;

const haveVulkan = !!process.env.VK_ICD_FILENAMES;
const backends: { name: BackendName; logits: number; rel: number; run: boolean }[] = [
  { name: 'wasm', logits: 1e-4, rel: 1e-5, run: true },
  { name: 'cpu', logits: 1e-4, rel: 1e-5, run: true },
  { name: 'webgpu', logits: 1e-3, rel: 1e-3, run: haveVulkan || !!process.env.CI },
];

let g: PosGolden;
beforeAll(() => {
  g = loadPos32();
});

for (const be of backends) {
  describe.skipIf(!be.run)(`stories260K vs run.c on ${be.name}`, () => {
    let model: TransformerLM;
    beforeAll(async () => {
      await useBackend(be.name);
      model = buildTeacher(loadLlama2c(TEACHER_BIN));
      return () => model.dispose();
    });

    it('logits, attention probabilities and hidden states match', async () => {
      const before = tf.memory().numTensors;
      const r = model.forward([g.tokensFed], { capture: { input: true, probs: true, output: true }, finalHidden: true });
      expect(r.logits!.shape).toEqual([1, T, V]);
      expect(maxAbsDiff(await r.logits!.data(), g.logits)).toBeLessThanOrEqual(be.logits);

      const probs = new Float32Array(LAYERS * HEADS * T * T);
      const hidden = new Float32Array(7 * T * D);
      expect(r.layers.map((c) => c.layer)).toEqual([0, 1, 2, 3, 4]);
      hidden.set(await r.layers[0].input!.data(), 0);
      for (const c of r.layers) {
        expect(c.probs!.shape).toEqual([1, HEADS, T, T]);
        probs.set(await c.probs!.data(), c.layer * HEADS * T * T);
        hidden.set(await c.output!.data(), (c.layer + 1) * T * D);
      }
      hidden.set(await r.finalHidden!.data(), 6 * T * D);
      expect(relErr(probs, g.attention)).toBeLessThanOrEqual(be.rel);
      for (let s = 0; s < 7; s++) {
        const sl = (a: Float32Array) => a.subarray(s * T * D, (s + 1) * T * D);
        expect(relErr(sl(hidden), sl(g.hidden)), `hidden stage ${s}`).toBeLessThanOrEqual(be.rel);
      }
      tf.dispose([r.logits!, r.finalHidden!, ...r.layers.flatMap((c) => [c.input, c.probs, c.output].filter((x) => x) as tf.Tensor[])]);
      expect(tf.memory().numTensors).toBe(before);
    });

    it('a layer filter and a per-layer callback give the same layers and hold nothing else', async () => {
      const seen: number[] = [];
      const held: LayerCapture[] = [];
      const before = tf.memory().numTensors;
      const r = model.forward([g.tokensFed], {
        logits: false,
        capture: {
          layers: (l) => l % 2 === 1,
          probs: true,
          attnOut: true,
          onLayer: (c) => {
            seen.push(c.layer);
            expect(c.attnOut!.shape).toEqual([1, T, D]);
            held.push(c); // webgpu reads are async only: check after the pass
          },
        },
      });
      expect(seen).toEqual([1, 3]);
      expect(r.layers).toEqual([]);
      expect(r.logits).toBeUndefined();
      for (const c of held) {
        const want = g.attention.subarray(c.layer * HEADS * T * T, (c.layer + 1) * HEADS * T * T);
        expect(relErr(await c.probs!.data(), want)).toBeLessThanOrEqual(be.rel);
        tf.dispose([c.probs!, c.attnOut!]);
      }
      expect(tf.memory().numTensors).toBe(before);
    });

    it('the attention output is the block input-to-middle residual difference', async () => {
      // Independent of run.c: for a sequential block, input + attnOut + mlp(...) = output; check input + attnOut
      // reproduces the middle residual by recomputing the MLP half from the captured tensors.
      const r = model.forward([g.tokensFed], { logits: false, capture: { layers: [2], input: true, attnOut: true, output: true } });
      const [c] = r.layers;
      const w = model.weights.layers[2];
      const recomputed = tf.tidy(() => {
        const mid = c.input!.add(c.attnOut!).reshape([T, D]) as tf.Tensor2D;
        const n = mid.mul(mid.square().mean(-1, true).add(1e-5).rsqrt()).mul(w.mlpNorm!.weight);
        const m = tf.matMul(tf.matMul(n, w.mlp.gate!).sigmoid().mul(tf.matMul(n, w.mlp.gate!)).mul(tf.matMul(n, w.mlp.up!)) as tf.Tensor2D, w.mlp.down!);
        return mid.add(m);
      });
      expect(maxAbsDiff(await recomputed.data(), await c.output!.data())).toBeLessThan(1e-5);
      tf.dispose([recomputed, c.input!, c.attnOut!, c.output!]);
    });

    it('padded batch rows give the logits of their unpadded sequences', async () => {
      const lengths = [T, 20, 7];
      const rows = lengths.map((n) => [...g.tokensFed.slice(0, n), ...new Array(T - n).fill(0)]);
      const r = model.forward(rows, { lengths, capture: { layers: [4], probs: true } });
      const logits = await r.logits!.data();
      const probs = await r.layers[0].probs!.data();
      for (let b = 0; b < lengths.length; b++) {
        const n = lengths[b];
        const ours = logits.subarray(b * T * V, b * T * V + n * V);
        expect(maxAbsDiff(ours, g.logits.subarray(0, n * V)), `row ${b}`).toBeLessThanOrEqual(be.logits);
        // Padded keys get exactly zero probability, even from padded query rows.
        for (let h = 0; h < HEADS; h++)
          for (let q = 0; q < T; q++)
            for (let s = n; s < T; s++) expect(probs[((b * HEADS + h) * T + q) * T + s]).toBe(0);
      }
      tf.dispose([r.logits!, r.layers[0].probs!]);
    });

    it('KV-cache decoding reproduces the full forward position by position', async () => {
      const before = tf.memory().numTensors;
      const prompt = g.tokensFed.slice(0, 5);
      const first = model.forward([prompt], { cache: true });
      const fl = await first.logits!.data();
      expect(maxAbsDiff(fl, g.logits.subarray(0, 5 * V))).toBeLessThanOrEqual(be.logits);
      first.logits!.dispose();
      let cache = first.cache!;
      let worst = 0;
      for (let p = 5; p < T; p++) {
        const s = model.step([g.tokensFed[p]], cache);
        cache = s.cache;
        expect(cache.length).toBe(p + 1);
        worst = Math.max(worst, maxAbsDiff(await s.logits.data(), g.logits.subarray(p * V, (p + 1) * V)));
        s.logits.dispose();
      }
      expect(worst).toBeLessThanOrEqual(be.logits);
      tf.dispose([...cache.k, ...cache.v]);
      expect(tf.memory().numTensors).toBe(before);
    });
  });
}
