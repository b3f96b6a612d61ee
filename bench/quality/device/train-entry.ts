/**
 * The quality runs' Node entry on the GPU machine (no node_modules there; bundled by
 * bench/quality/device/prepare.sh into .gpu/quality/bundle/). It runs one of the reference programs of
 * generated/ through the same runProgram as `mohawkc train`, with recipe changes given as JSON — each one a
 * value a spec can state (a stage's lr, tokens or batch, `decay_init`, the stage-2 target, which stages run) —
 * so a screen of several one-change recipes needs no compiler on the device. Every change is written into the
 * run's ir.json (runProgram records the program it ran), so the spec that reproduces a run is read off it.
 *
 *   node .gpu/quality/bundle/train-entry.mjs --program ref-123-2750k --run DIR --data DIR
 *        [--backend webgpu] [--micro 64] [--set '{"decayInit":0.9,"stages":{"distil":{"lr":0.0015}}}']
 *        [--drop orient] [--eval-max N] [--no-eval]
 *
 * --micro only changes how many sequences one forward pass takes (the step's gradient is the same sum; on a
 * GPU one pass of 64 is 5–8× faster than 8 passes of 8, docs/performance.md §2).
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KERNELS } from '../../../generated/kernels/dispatch.ts';
import { PROGRAM as ref123_2750k } from '../../../generated/ref-123-2750k/program/run.ts';
import { PROGRAM as ref123_11m } from '../../../generated/ref-123-11m/program/run.ts';
import { PROGRAM as ref123_44m } from '../../../generated/ref-123-44m/program/run.ts';
import { PROGRAM as refHybrid_11m } from '../../../generated/ref-hybrid-11m/program/run.ts';
import { PROGRAM as refHybrid_44m } from '../../../generated/ref-hybrid-44m/program/run.ts';
import { PROGRAM as refS23_11m } from '../../../generated/ref-s23-11m/program/run.ts';
import { PROGRAM as refS3_11m } from '../../../generated/ref-s3-11m/program/run.ts';
import { PROGRAM as refS3_2750k } from '../../../generated/ref-s3-2750k/program/run.ts';
import { PROGRAM as refS3_44m } from '../../../generated/ref-s3-44m/program/run.ts';
import { registerKernelTable } from '../../../runtime/kernels/registry.ts';
import { runProgram } from '../../../runtime/program/run-program.ts';
import type { Program } from '../../../runtime/program/types.ts';
import { silentProgress } from '../../../runtime/run/progress.ts';
import type { BackendName } from '../../../runtime/tensor/backend.ts';
import { changedProgram, type Changes } from './changes.ts';

const PROGRAMS: Record<string, Program> = {
  'ref-123-2750k': ref123_2750k,
  'ref-s3-2750k': refS3_2750k,
  'ref-123-11m': ref123_11m,
  'ref-s23-11m': refS23_11m,
  'ref-s3-11m': refS3_11m,
  'ref-hybrid-11m': refHybrid_11m,
  'ref-123-44m': ref123_44m,
  'ref-s3-44m': refS3_44m,
  'ref-hybrid-44m': refHybrid_44m,
};

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const name = opt('program') ?? '';
  const base = PROGRAMS[name];
  if (!base) throw new Error(`--program: one of ${Object.keys(PROGRAMS).join(', ')}`);
  const runDir = opt('run');
  if (!runDir) throw new Error('--run DIR is required');
  // The bundle lives in <repo>/.gpu/quality/bundle/: the checkout (generated/ with the WGSL files) is 3 up.
  const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  registerKernelTable(KERNELS, resolve(repo, 'generated'));
  const changes = JSON.parse(opt('set') ?? '{}') as Changes;
  const drop = (opt('drop') ?? '').split(',').filter(Boolean);
  const micro = opt('micro') ? Number(opt('micro')) : undefined;
  const program = changedProgram(base, changes, drop, micro);
  const evalMax = opt('eval-max') ? Number(opt('eval-max')) : undefined;
  const t0 = performance.now();
  const result = await runProgram(program, {
    runDir: resolve(runDir),
    root: repo,
    dataDir: opt('data'),
    backend: (opt('backend') ?? 'webgpu') as BackendName,
    resume: true,
    progress: silentProgress,
    evalMaxSequences: evalMax,
    skipEval: args.includes('--no-eval'),
    evalTeacher: args.includes('--eval-teacher'),
    tokenCacheDir: false,
    log: (line) => process.stderr.write(`[${name} ${((performance.now() - t0) / 1000).toFixed(0)}s] ${line}\n`),
  });
  console.log(JSON.stringify({ program: name, changes, drop, micro, result }));
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`error: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);
