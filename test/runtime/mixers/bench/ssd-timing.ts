/**
 * Benchmark (not a test): wall time of the SSD forms and a whole Discrete Mamba-2 layer at the stories260K
 * student shape (B 8, T 256, H 8, P 8, N 8, d_model 64). Median of repeats after warm-up, with a data read
 * after each call so asynchronous backends are timed fully. Reports wall time and this process's CPU time
 * (user + system): the machine is shared, and the single-threaded wasm backend's CPU time is the stable
 * number under load.
 *   npx tsx test/runtime/mixers/bench/ssd-timing.ts [wasm|cpu|webgpu] [reps]
 */
import { tf, useBackend, type BackendName } from '../../../../runtime/tensor/backend.ts';
import { discreteLogDecay } from '../../../../runtime/mixers/decay.ts';
import { mixerDims, mixerParamSpecs } from '../../../../runtime/mixers/layout.ts';
import { Mixer } from '../../../../runtime/mixers/mixer.ts';
import { ssdChunked } from '../../../../runtime/mixers/ssd-chunked.ts';
import { ssdMatrix } from '../../../../runtime/mixers/ssd-matrix.ts';
import { deviceParams, mixerIR, randomParamsF64 } from '../mixer-helpers.ts';

const backend = (process.argv[2] ?? 'wasm') as BackendName;
const reps = Number(process.argv[3] ?? 10);
await useBackend(backend);

const [B, T, H, P, N, D] = [8, 256, 8, 8, 8, 64];
console.log('| backend | what | CPU ms (median) | wall ms (median) |\n|---|---|---|---|');

async function time(name: string, fn: () => tf.Tensor | tf.Tensor[]): Promise<void> {
  const run = async () => {
    const out = fn();
    const list = Array.isArray(out) ? out : [out];
    for (const t of list) await t.data();
    tf.dispose(list);
  };
  await run();
  await run();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    await run();
    const c = process.cpuUsage(c0);
    wall.push(performance.now() - t0);
    cpu.push((c.user + c.system) / 1000);
  }
  const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)].toFixed(1);
  console.log(`| ${backend} | ${name} | ${med(cpu)} | ${med(wall)} |`);
}

const x = tf.randomNormal([B, T, H, P], 0, 1, 'float32', 1);
const a = tf.randomNormal([B, T, H], 0, 1, 'float32', 2);
const Bm = tf.randomNormal([B, T, H, N], 0, 0.3, 'float32', 3);
const Cm = tf.randomNormal([B, T, H, N], 0, 0.3, 'float32', 4);

for (const Q of [16, 64]) {
  await time(`SSD chunked Q${Q} fwd`, () => ssdChunked({ x, logA: discreteLogDecay(a), B: Bm, C: Cm }, { chunk: Q }).y);
  await time(`SSD chunked Q${Q} fwd+bwd`, () =>
    tf.grads((x, a, b, c) => ssdChunked({ x, logA: discreteLogDecay(a), B: b, C: c }, { chunk: Q }).y.square().sum())([x, a, Bm, Cm]),
  );
}
for (const [label, block] of [['blockwise', undefined], ['direct', 0]] as const) {
  await time(`SSD matrix [B,H,T,T] ${label} fwd`, () => ssdMatrix({ logA: discreteLogDecay(a), B: Bm, C: Cm }, { block }));
  await time(`SSD matrix ${label} fwd+bwd`, () => tf.grads((a, b, c) => ssdMatrix({ logA: discreteLogDecay(a), B: b, C: c }, { block }).square().sum())([a, Bm, Cm]));
}

const ir = mixerIR({ kind: 'discrete_mamba2', dModel: D, h: H, p: P, g: H, n: N, k: 4, q: 64 });
const dims = mixerDims(ir, D);
const params = deviceParams(dims, randomParamsF64(dims, 1));
const vars = mixerParamSpecs(dims).map((s) => tf.variable(params[s.name], true, `bench.${s.name}`));
const mixer = new Mixer(dims, Object.fromEntries(mixerParamSpecs(dims).map((s, i) => [s.name, vars[i] as tf.Tensor])));
const u = tf.randomNormal([B, T, D], 0, 1, 'float32', 5);
await time('layer fwd (chunked, Q 16)', () => mixer.forward(u).out);
await time('layer fwd+bwd (chunked, Q 16)', () => {
  const { value, grads } = tf.variableGrads(() => mixer.forward(u).out.square().mean() as tf.Scalar, vars);
  return [value, ...Object.values(grads)];
});
await time('layer materialize fwd', () => mixer.materialize(u));
await time('layer materialize fwd+bwd', () => {
  const { value, grads } = tf.variableGrads(() => mixer.materialize(u).square().mean() as tf.Scalar, vars);
  return [value, ...Object.values(grads)];
});
const u1 = tf.randomNormal([B, D], 0, 1, 'float32', 6);
const cache = mixer.emptyCache(B);
await time('layer decode step (B 8)', () => {
  const s = mixer.step(u1, cache);
  return [s.out, s.cache.conv, s.cache.ssm];
});
