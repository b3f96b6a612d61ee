/**
 * Where a distillation step's time goes, per stage, on one backend in one process: for each optimizer step,
 * wall and CPU time of drawing tokens, the teacher pass, the student's forward, forward + backward, and the
 * optimizer part (finish accumulation, grad norms, clip, AdamW), plus a kernel-level breakdown of one
 * micro-batch (tf.profile: time per kernel name; the rest of the micro-batch's time is JS dispatch, tape
 * bookkeeping and GC).
 *
 *   npx tsx bench/profile/stage-steps.ts [--spec specs/stories260k-llamba.mohawk] [--stages orient,align,distil]
 *       [--steps 2] [--backend wasm] [--kernels] [--json] [--data DIR] [--micro N]
 *
 * Runs the real stage code (runtime/stages, runtime/train) the generated program runs; steps are the recipe's
 * (batchTokens per step), so tokens/s here is the recipe's tokens/s on one core.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { StageIR } from '../../compiler/ir/types.ts';
import { buildProgramContext, defineStage, type ProgramData } from '../../runtime/parallel/program-context.ts';
import { registerFastMatMulGradient } from '../../runtime/program/fast-matmul-grad.ts';
import type { Program } from '../../runtime/program/types.ts';
import { stageSteps } from '../../runtime/run/loop.ts';
import { tf, useBackend, type BackendName } from '../../runtime/tensor/backend.ts';
import { GradientAccumulator } from '../../runtime/train/accumulate.ts';
import { AdamW } from '../../runtime/train/adamw.ts';
import { clipToNorm, gradNorms } from '../../runtime/train/clip.ts';

const args = process.argv.slice(2);
const opt = (name: string, dflt?: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const flag = (name: string) => args.includes(`--${name}`);

const ROOT = resolve(import.meta.dirname, '..', '..');
const spec = opt('spec', 'specs/stories260k-llamba.mohawk')!;
const name = spec.replace(/^.*\//, '').replace(/\.mohawk$/, '');
const steps = Number(opt('steps', '2'));
const backend = (opt('backend', 'wasm') as BackendName);
const micro = opt('micro') ? Number(opt('micro')) : undefined;

const { PROGRAM } = (await import(pathToFileURL(resolve(ROOT, 'generated', name, 'program', 'run.ts')).href)) as { PROGRAM: Program };
const program: ProgramData = {
  spec: PROGRAM.spec,
  teacher: PROGRAM.teacher,
  student: PROGRAM.student,
  data: PROGRAM.data,
  stages: PROGRAM.stages.map((s) => (micro ? { ...s.STAGE, microBatch: micro } : s.STAGE)),
};
const wanted = opt('stages')?.split(',') ?? program.stages.map((s) => s.name);

registerFastMatMulGradient();
await useBackend(backend);
const pc = buildProgramContext(program, { root: ROOT, dataDir: opt('data') });

type Section = 'tokens' | 'teacher' | 'forward' | 'backward' | 'optimizer';
interface Clock { wall: number; cpu: number }
const now = (): Clock => {
  const c = process.cpuUsage();
  return { wall: performance.now(), cpu: (c.user + c.system) / 1000 };
};

async function profileStage(stage: StageIR) {
  const def = defineStage(pc.ctx, stage);
  const setup = await def.setup();
  const { accumulation } = stageSteps(def.plan);
  const acc = new GradientAccumulator(setup.trainable);
  const adam = new AdamW(setup.trainable, def.plan.optimizer);
  const totals: Record<Section, Clock> = Object.fromEntries(
    (['tokens', 'teacher', 'forward', 'backward', 'optimizer'] as Section[]).map((s) => [s, { wall: 0, cpu: 0 }]),
  ) as Record<Section, Clock>;
  const add = (s: Section, a: Clock, b: Clock) => {
    totals[s].wall += b.wall - a.wall;
    totals[s].cpu += b.cpu - a.cpu;
  };
  // Forward time: the loss closures run inside tf.variableGrads before its backward pass.
  let fwd: Clock = { wall: 0, cpu: 0 };
  const timed = <T>(fn: () => T) => () => {
    const a = now();
    const r = fn();
    const b = now();
    fwd.wall += b.wall - a.wall;
    fwd.cpu += b.cpu - a.cpu;
    return r;
  };
  const teacherSource = setup.data as { next(): Promise<unknown>; release?(b: unknown): void; tokens?: { next(): unknown } };
  const stepTimes: { wall: number; cpu: number }[] = [];
  let kernels: { name: string; ms: number; calls: number }[] | undefined;
  let microWall = 0;
  for (let step = -1; step < steps; step++) {
    const s0 = now();
    for (let j = 0; j < accumulation; j++) {
      const a = now();
      const batch = await setup.data.next();
      const b = now();
      add('teacher', a, b);
      fwd = { wall: 0, cpu: 0 };
      const run = () => {
        if (setup.lossParts) acc.addParts(setup.lossParts(batch).map((p) => timed(p)));
        else acc.add(timed(() => setup.loss(batch)));
      };
      if (step === 0 && j === 0 && flag('kernels')) {
        const m0 = performance.now();
        const info = await tf.profile(run);
        microWall = performance.now() - m0;
        const byName = new Map<string, { ms: number; calls: number }>();
        for (const k of info.kernels) {
          const e = byName.get(k.name) ?? { ms: 0, calls: 0 };
          e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
          e.calls++;
          byName.set(k.name, e);
        }
        kernels = [...byName].map(([n, e]) => ({ name: n, ...e })).sort((x, y) => y.ms - x.ms);
      } else run();
      const c = now();
      if (step >= 0) {
        totals.forward.wall += fwd.wall;
        totals.forward.cpu += fwd.cpu;
        totals.backward.wall += c.wall - b.wall - fwd.wall;
        totals.backward.cpu += c.cpu - b.cpu - fwd.cpu;
      }
      setup.data.release?.(batch);
      if (step < 0) { totals.teacher.wall -= b.wall - a.wall; totals.teacher.cpu -= b.cpu - a.cpu; }
    }
    const o0 = now();
    const r = acc.finish();
    const norms = await gradNorms(r.grads, r.loss);
    clipToNorm(r.grads, norms.total, def.plan.gradClip);
    adam.apply(r.grads, def.plan.lr);
    r.loss.dispose();
    r.grads.forEach((g) => g.dispose());
    const o1 = now();
    if (step >= 0) {
      add('optimizer', o0, o1);
      stepTimes.push({ wall: o1.wall - s0.wall, cpu: o1.cpu - s0.cpu });
    }
    void teacherSource;
  }
  acc.dispose();
  adam.dispose();
  setup.dispose?.();
  const tokens = steps * def.plan.batchTokens;
  const wall = stepTimes.reduce((a, s) => a + s.wall, 0);
  const cpu = stepTimes.reduce((a, s) => a + s.cpu, 0);
  return {
    stage: stage.name,
    kind: stage.kind,
    microBatch: stage.microBatch,
    accumulation,
    batchTokens: def.plan.batchTokens,
    steps,
    tokensPerS: Math.round(tokens / (wall / 1000)),
    tokensPerCpuS: Math.round(tokens / (cpu / 1000)),
    sectionsMsPerStep: Object.fromEntries(
      Object.entries(totals).map(([k, v]) => [k, { wall: Math.round(v.wall / steps), cpu: Math.round(v.cpu / steps) }]),
    ),
    kernels: kernels?.slice(0, 25).map((k) => ({ ...k, ms: Math.round(k.ms * 10) / 10 })),
    kernelMsTotal: kernels ? Math.round(kernels.reduce((a, k) => a + k.ms, 0)) : undefined,
    profiledMicroBatchWallMs: kernels ? Math.round(microWall) : undefined,
  };
}

const results = [];
for (const s of program.stages.filter((s) => wanted.includes(s.name))) {
  const r = await profileStage(s);
  results.push(r);
  if (!flag('json')) {
    console.log(`\n${r.stage} (${r.kind}) micro ${r.microBatch} × ${r.accumulation}: ${r.tokensPerS} tokens/s wall, ${r.tokensPerCpuS} tokens/CPU-s`);
    for (const [k, v] of Object.entries(r.sectionsMsPerStep)) console.log(`  ${k.padEnd(10)} ${String(v.wall).padStart(7)} ms wall ${String(v.cpu).padStart(7)} ms CPU per step`);
    if (r.kernels) {
      console.log(`  kernels of one micro-batch (fwd+bwd): ${r.kernelMsTotal} ms in kernels of ${r.profiledMicroBatchWallMs} ms wall`);
      for (const k of r.kernels) console.log(`    ${k.name.padEnd(24)} ${String(k.ms).padStart(8)} ms ${String(k.calls).padStart(6)} calls`);
    }
  }
}
const { loadavg } = await import('node:os');
if (flag('json')) console.log(JSON.stringify({ spec, backend, loadavg: loadavg(), results }, null, 1));
else console.log(`\nload average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
pc.dispose();
