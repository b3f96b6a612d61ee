/**
 * The device harness's Node entry, bundled by bench/peers/device/prepare.sh into .gpu/speed/bundle/ (the GPU
 * machine has no node_modules): the stories260k-llamba generated program's stages through the real loop
 * (bench/profile/throughput.ts), on webgpu (Dawn over NVIDIA's Vulkan) or wasm, printing one JSON object.
 *
 *   node .gpu/speed/bundle/entry.mjs --backend webgpu|wasm [--workers 0,2] [--steps 3] [--warm 1]
 *        [--micro N] [--batch-tokens N] [--stages a,b] --data DIR
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROGRAM } from '../../../generated/stories260k-llamba/program/run.ts';
import { KERNELS } from '../../../generated/kernels/dispatch.ts';
import { registerKernelTable } from '../../../runtime/kernels/registry.ts';
import type { BackendName } from '../../../runtime/tensor/backend.ts';
import { cutProgram, formatRows, measureStages } from '../../profile/throughput.ts';

const args = process.argv.slice(2);
const opt = (name: string, dflt?: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
// The bundle lives in <repo>/.gpu/speed/bundle/: the checkout (generated/ with the WGSL files) is 3 up.
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
registerKernelTable(KERNELS, resolve(repo, 'generated'));
const backend = opt('backend', 'webgpu') as BackendName;
const o = {
  workers: opt('workers', '0')!.split(',').map(Number),
  steps: Number(opt('steps', '3')),
  warm: Number(opt('warm', '1')),
  backend,
  stages: opt('stages')?.split(','),
  micro: opt('micro') ? Number(opt('micro')) : undefined,
  batchTokens: opt('batch-tokens') ? Number(opt('batch-tokens')) : undefined,
  context: { root: repo, dataDir: opt('data'), tokenCacheDir: false as const },
};
// One JSON line per (worker count, stage) as soon as it is measured: a time limit on the device keeps what
// finished.
const t0 = performance.now();
const stages = o.stages ?? PROGRAM.stages.map((s) => s.STAGE.name);
for (const workers of o.workers)
  for (const stage of stages) {
    const one = { ...o, workers: [workers], stages: [stage] };
    const rows = await measureStages(cutProgram(PROGRAM, one), one);
    const dispatches = backend === 'webgpu' ? (await import('../../../runtime/kernels/tfjs-webgpu.ts')).kernelDispatchCounts() : undefined;
    process.stderr.write(formatRows(rows) + '\n');
    console.log(JSON.stringify({ spec: PROGRAM.spec, backend, rows, kernelDispatches: dispatches, seconds: (performance.now() - t0) / 1000 }));
  }
process.exit(0);
