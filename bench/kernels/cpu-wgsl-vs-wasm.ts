/**
 * On the CPU machine: the generated WGSL kernels on Mesa lavapipe (through Dawn directly, and as tfjs-webgpu
 * kernels with their backward) against the tfjs reference form (runtime/mixers/ssd-chunked.ts) on the wasm
 * backend, at the stories260K student shape of the CI specs (b 8, T 256, H 8, P 8, N 8, Q 64).
 *   eval "$(scripts/setup-lavapipe.sh)"; npx tsx bench/kernels/cpu-wgsl-vs-wasm.ts [--batch 8 --seq 256]
 * Prints a markdown table (median of repeats; the machine is shared, so expect noise).
 */
import KERNELS from '../../generated/kernels/dispatch.ts';
import { runDawnOp } from '../../runtime/kernels/dawn.ts';
import { getVariant, registerKernelTable } from '../../runtime/kernels/registry.ts';
import { ssdKernelForward } from '../../runtime/kernels/tfjs-webgpu.ts';
import { discreteLogDecay } from '../../runtime/mixers/decay.ts';
import { ssdChunked } from '../../runtime/mixers/ssd-chunked.ts';
import { tf, useBackend } from '../../runtime/tensor/backend.ts';
import { makeRng, randn } from '../../test/helpers/reference/random.ts';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const b = arg('batch', 8);
const t = arg('seq', 256);
const reps = arg('reps', 5);

registerKernelTable(KERNELS);
const fwd = getVariant('ssd_fwd_discrete_n8_p8_h8_g8_q64_f32');
const bwd = getVariant('ssd_bwd_discrete_n8_p8_h8_g8_q64_f32');
const { h, p, g, n } = fwd;
const rng = makeRng(1);
const host = {
  x: Float32Array.from(randn(rng, b * t * h * p)),
  dec: Float32Array.from(randn(rng, b * t * h)),
  B: Float32Array.from(randn(rng, b * t * g * n, 1 / Math.sqrt(n))),
  C: Float32Array.from(randn(rng, b * t * g * n, 1 / Math.sqrt(n))),
  D: Float32Array.from(randn(rng, h)),
};

async function median(fn: () => Promise<unknown>): Promise<number> {
  await fn();
  const ms: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  return ms.sort((a, c) => a - c)[Math.floor(ms.length / 2)];
}

function tensors() {
  return {
    x: tf.tensor(host.x, [b, t, h, p]),
    dec: tf.tensor(host.dec, [b, t, h]),
    B: tf.tensor(host.B, [b, t, g, n]),
    C: tf.tensor(host.C, [b, t, g, n]),
    D: tf.tensor(host.D, [h]),
  };
}

const rows: [string, number][] = [];

// 1. Dawn directly: device time of the three forward passes (inputs resident).
const hp = new Float32Array(3 * h);
hp.set(host.D);
const dawn = await runDawnOp(fwd, 'forward', { xBuf: host.x, decBuf: host.dec, bBuf: host.B, cBuf: host.C, hpBuf: hp }, { batch: b, seqLen: t, repeats: reps });
rows.push(['WGSL forward, Dawn direct (3 passes, per call)', dawn.gpuMs]);

// 2. tfjs-webgpu with the generated kernels.
await useBackend('webgpu');
{
  const v = tensors();
  rows.push(['WGSL forward as tfjs-webgpu kernels', await median(async () => tf.tidy(() => ssdKernelForward(fwd, bwd, v).y).data())]);
  const loss = (x: tf.Tensor, dec: tf.Tensor, B: tf.Tensor, C: tf.Tensor) => ssdKernelForward(fwd, bwd, { x, dec, B, C, D: v.D }).y.square().mean() as tf.Scalar;
  rows.push(['WGSL forward + backward (tf.grads), tfjs-webgpu', await median(async () => {
    const gs = tf.grads(loss)([v.x, v.dec, v.B, v.C]);
    await Promise.all(gs.map((x) => x.data()));
    tf.dispose(gs);
  })]);
}

// 3. The tfjs form on wasm (what CI training runs without kernels).
await useBackend('wasm');
{
  const v = tensors();
  const form = (x: tf.Tensor, dec: tf.Tensor, B: tf.Tensor, C: tf.Tensor) =>
    ssdChunked({ x, logA: discreteLogDecay(dec), B, C }, { chunk: fwd.q }).y.add(x.mul(v.D.reshape([1, 1, -1, 1])));
  rows.push(['tfjs form forward, wasm', await median(async () => tf.tidy(() => form(v.x, v.dec, v.B, v.C)).data())]);
  rows.push(['tfjs form forward + backward (tf.grads), wasm', await median(async () => {
    const gs = tf.grads((x: tf.Tensor, dec: tf.Tensor, B: tf.Tensor, C: tf.Tensor) => form(x, dec, B, C).square().mean() as tf.Scalar)([v.x, v.dec, v.B, v.C]);
    await Promise.all(gs.map((x) => x.data()));
    tf.dispose(gs);
  })]);
}

console.log(`\n| SSD layer core, b ${b}, T ${t}, H ${h}, P ${p}, N ${n}, Q ${fwd.q} (f32) | ms (median of ${reps}) |`);
console.log('| --- | --- |');
for (const [name, ms] of rows) console.log(`| ${name} | ${ms.toFixed(1)} |`);
process.exit(0);
