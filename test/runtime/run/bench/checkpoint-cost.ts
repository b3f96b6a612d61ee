/**
 * Measures what a checkpoint costs for a stories260K-sized model (260,032 float32 parameters in the teacher's
 * tensor shapes, AdamW moments for all of them): reading the tensors off the backend, writing the checkpoint
 * (encode, sha256, write + fsync, rename, `latest`) and loading + verifying it; and, for scale, one optimizer
 * update (grad norms + clip + AdamW) over the same parameters. Not a test (no timing in tests).
 * Usage: npx tsx test/runtime/run/bench/checkpoint-cost.ts [backend] [repeats]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadLatest, writeCheckpoint } from '../../../../runtime/run/checkpoint.ts';
import { openRunDir } from '../../../../runtime/run/run-dir.ts';
import { CHECKPOINT_FORMAT, CHECKPOINT_VERSION } from '../../../../runtime/run/state.ts';
import { AdamW } from '../../../../runtime/train/adamw.ts';
import { clipToNorm, gradNorms } from '../../../../runtime/train/clip.ts';
import { mapToHost } from '../../../../runtime/train/host-tensors.ts';
import { Rng } from '../../../../runtime/train/rng.ts';
import { tf, useBackend, type BackendName } from '../../../../runtime/tensor/backend.ts';

const backend = (process.argv[2] ?? 'wasm') as BackendName;
const repeats = Number(process.argv[3] ?? 10);
await useBackend(backend);

const shapes: [string, number[]][] = [['model.embed_tokens.weight', [512, 64]], ['model.norm.weight', [64]]];
for (let l = 0; l < 5; l++) {
  const p = `model.layers.${l}`;
  shapes.push(
    [`${p}.input_layernorm.weight`, [64]], [`${p}.self_attn.q_proj.weight`, [64, 64]], [`${p}.self_attn.k_proj.weight`, [32, 64]],
    [`${p}.self_attn.v_proj.weight`, [32, 64]], [`${p}.self_attn.o_proj.weight`, [64, 64]], [`${p}.post_attention_layernorm.weight`, [64]],
    [`${p}.mlp.gate_proj.weight`, [172, 64]], [`${p}.mlp.down_proj.weight`, [64, 172]], [`${p}.mlp.up_proj.weight`, [172, 64]],
  );
}
const rng = Rng.fromSeed(0);
const params = new Map(shapes.map(([n, s]) => [n, tf.variable(tf.tensor(rng.normals(s.reduce((a, b) => a * b, 1)), s))]));
const count = [...params.values()].reduce((a, p) => a + p.size, 0);
const opt = new AdamW(params, { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, noDecay: [] });
opt.apply(new Map([...params].map(([n, p]) => [n, tf.onesLike(p)])), 1e-3);

const root = mkdtempSync(join(tmpdir(), 'mohawk-bench-'));
const run = openRunDir(join(root, 'run'));
const times = { read: [] as number[], write: [] as number[], load: [] as number[] };
let bytes = 0;
for (let i = 1; i <= repeats; i++) {
  let t = performance.now();
  const weights = await mapToHost(params);
  const { tensors } = await opt.exportState();
  times.read.push(performance.now() - t);
  t = performance.now();
  const { state } = writeCheckpoint(run, {
    state: {
      format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, configHash: 'bench', stage: 'bench', stageIndex: 0,
      stageComplete: false, completedStages: [], step: i, totalSteps: repeats, tokens: i, runTokens: i, optimizerStep: 1,
      lr: 0, rng: {}, data: null, wallTime: 0, metricsBytes: 0, createdAt: new Date().toISOString(),
    },
    weights,
    optimizer: tensors,
  });
  times.write.push(performance.now() - t);
  bytes = state.files.weights.bytes + state.files.optimizer.bytes;
  t = performance.now();
  loadLatest(run);
  times.load.push(performance.now() - t);
}
rmSync(root, { recursive: true, force: true });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const update: number[] = [];
for (let i = 0; i < repeats; i++) {
  const grads = new Map([...params].map(([n, p]) => [n, tf.randomNormal(p.shape, 0, 1, 'float32', i) as tf.Tensor]));
  const t = performance.now();
  const norms = await gradNorms(grads);
  clipToNorm(grads, norms.total, 1);
  opt.apply(grads, 1e-3);
  await params.get('model.norm.weight')!.data(); // wait for the device
  update.push(performance.now() - t);
  grads.forEach((g) => g.dispose());
}
console.log(
  `${backend}: ${count} parameters, ${(bytes / 1e6).toFixed(2)} MB per checkpoint; median of ${repeats}: ` +
    `read off the backend ${median(times.read).toFixed(1)} ms, write ${median(times.write).toFixed(1)} ms, load + verify ${median(times.load).toFixed(1)} ms; ` +
    `one optimizer update (norms + clip + AdamW, ${params.size} tensors) ${median(update).toFixed(1)} ms`,
);
