/**
 * CLI of throughput.ts: wall-clock tokens/s of a spec's recipe steps per stage, for several worker counts.
 *
 *   npx tsx bench/profile/stage-throughput.ts [--spec specs/stories260k-llamba.mohawk] [--workers 0,2]
 *       [--steps 2] [--warm 1] [--stages orient,align,distil] [--backend wasm] [--micro N]
 *       [--batch-tokens N] [--data DIR] [--json]
 *
 * On a shared machine the ratio is only as good as the quiet: the load average is printed before and after
 * each run, and process CPU time (all threads) beside wall time.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Program } from '../../runtime/program/types.ts';
import type { BackendName } from '../../runtime/tensor/backend.ts';
import { cutProgram, formatRows, measureStages } from './throughput.ts';

const args = process.argv.slice(2);
const opt = (name: string, dflt?: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const ROOT = resolve(import.meta.dirname, '..', '..');
const spec = opt('spec', 'specs/stories260k-llamba.mohawk')!;
const name = spec.replace(/^.*\//, '').replace(/\.mohawk$/, '');
const backend = opt('backend', 'wasm') as BackendName;
const o = {
  workers: opt('workers', '0,2')!.split(',').map(Number),
  steps: Number(opt('steps', '2')),
  warm: Number(opt('warm', '1')),
  backend,
  stages: opt('stages')?.split(','),
  micro: opt('micro') ? Number(opt('micro')) : undefined,
  batchTokens: opt('batch-tokens') ? Number(opt('batch-tokens')) : undefined,
  context: { root: ROOT, dataDir: opt('data') },
};
const { PROGRAM } = (await import(pathToFileURL(resolve(ROOT, 'generated', name, 'program', 'run.ts')).href)) as { PROGRAM: Program };
const rows = await measureStages(cutProgram(PROGRAM, o), o);
// Proof that the generated WGSL kernels ran (runtime/kernels' dispatch counters), on webgpu.
const dispatches = backend === 'webgpu' ? (await import('../../runtime/kernels/tfjs-webgpu.ts')).kernelDispatchCounts() : undefined;
if (args.includes('--json')) console.log(JSON.stringify({ spec, backend, rows, kernelDispatches: dispatches }, null, 1));
else {
  console.log(formatRows(rows));
  if (dispatches) console.log('generated kernel passes dispatched:', JSON.stringify(dispatches));
}
