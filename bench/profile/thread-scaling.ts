/**
 * How well this machine runs 2 busy threads at once, independent of our code: the same fixed work in 1 and in
 * N worker threads (each thread does the full amount), wall time ratio = scaling. Three kinds of work: an
 * XNNPACK 2-D matMul loop on the wasm backend, a plain JS float64 loop (the CPU kernels' kind), and a loop
 * that allocates and touches 16 MB typed arrays (page faults, the stage-1 kernels' pattern). A ratio near N
 * means N independent cores; near 1, one core's worth (busy siblings, a CPU quota, or other load).
 *
 *   npx tsx bench/profile/thread-scaling.ts [--threads 2]
 *
 * On a machine shared with other sessions, run it (and the other benchmarks) in its own session with a raised
 * autogroup priority, or the scheduler shares the cores per session whatever the nice value:
 *   setsid bash -c 'echo -15 > /proc/$$/autogroup; exec nice -n -15 npx tsx bench/profile/thread-scaling.ts'
 */
import { Worker } from 'node:worker_threads';
import { loadavg } from 'node:os';

const args = process.argv.slice(2);
const threads = Number(args[args.indexOf('--threads') + 1] || 2);
const backendUrl = new URL('../../runtime/tensor/backend.ts', import.meta.url).href;

// Each worker prepares, reports 'ready', waits for 'go', then times only its work: the threads start together.
const code = (kind: string) => `
const { parentPort } = require('node:worker_threads');
(async () => {
  let work;
  if ('${kind}' === 'matmul') {
    const { register } = await import('tsx/esm/api'); register();
    const { tf, useBackend } = await import('${backendUrl}');
    await useBackend('wasm');
    const a = tf.randomNormal([2048, 64]), b = tf.randomNormal([64, 172]);
    for (let i = 0; i < 20; i++) tf.matMul(a, b).dispose();
    work = () => { for (let i = 0; i < 1000; i++) tf.matMul(a, b).dispose(); };
  } else if ('${kind}' === 'js') {
    work = () => { const x = new Float64Array(64); let s = 0; for (let i = 0; i < 3e8; i++) { const k = i & 63; x[k] = x[k] * 0.999 + i * 1e-9; s += x[k]; } return s; };
  } else {
    work = () => { let s = 0; for (let i = 0; i < 300; i++) { const a = new Float32Array(4 << 20); for (let j = 0; j < a.length; j += 1024) a[j] = j; s += a[4096]; } return s; };
  }
  parentPort.once('message', () => { const t0 = performance.now(); work(); parentPort.postMessage(performance.now() - t0); });
  parentPort.postMessage('ready');
})();`;

async function run(kind: string, n: number): Promise<number> {
  const workers = Array.from({ length: n }, () => new Worker(code(kind), { eval: true }));
  await Promise.all(workers.map((w) => new Promise<void>((res, rej) => { w.once('message', () => res()); w.on('error', rej); })));
  const times = await Promise.all(workers.map((w) => new Promise<number>((res) => { w.once('message', (ms: number) => res(ms)); w.postMessage('go'); })));
  await Promise.all(workers.map((w) => w.terminate()));
  return Math.max(...times);
}

console.log(`load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
for (const kind of ['js', 'alloc', 'matmul']) {
  const one = await run(kind, 1);
  const many = await run(kind, threads);
  console.log(`${kind.padEnd(7)} 1 thread ${one.toFixed(0)} ms, ${threads} threads ${many.toFixed(0)} ms: scaling ${((threads * one) / many).toFixed(2)}×`);
}
