/**
 * "Before" measurement for docs/performance.md: the recipe's optimizer steps of stories260k-llamba run by the
 * runtime as it was at the commit this work started from (94202c1), in-process, for the 3× goal. It uses only
 * APIs that existed then (stages, GradientAccumulator, AdamW, clip), so prepare.sh bundles it inside a
 * `git archive` of that commit with runtime/parallel/program-context.ts (plain construction code) copied in.
 * One step = the loop driver's step: the micro-batches' teacher passes and forward/backward, grad norms,
 * clip, AdamW; metrics lines and checkpoints are not written (a few ms per step).
 *
 *   node before-entry.mjs [--steps 1] [--warm 1] [--stages a,b] [--batch-tokens N] --data DIR
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';
import { PROGRAM } from '../../../generated/stories260k-llamba/program/run.ts';
import { buildProgramContext, defineStage } from '../../../runtime/parallel/program-context.ts';
import { registerFastMatMulGradient } from '../../../runtime/program/fast-matmul-grad.ts';
import { stageSteps } from '../../../runtime/run/loop.ts';
import { useBackend } from '../../../runtime/tensor/backend.ts';
import { GradientAccumulator } from '../../../runtime/train/accumulate.ts';
import { AdamW } from '../../../runtime/train/adamw.ts';
import { clipToNorm, gradNorms } from '../../../runtime/train/clip.ts';
import { lrAt } from '../../../runtime/train/schedule.ts';

const args = process.argv.slice(2);
const opt = (name: string, dflt?: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const steps = Number(opt('steps', '1'));
const warm = Number(opt('warm', '1'));
const wanted = opt('stages')?.split(',') ?? PROGRAM.stages.map((s) => s.STAGE.name);
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const batchTokens = opt('batch-tokens') ? Number(opt('batch-tokens')) : undefined;
const program = {
  spec: PROGRAM.spec,
  teacher: PROGRAM.teacher,
  student: PROGRAM.student,
  data: PROGRAM.data,
  stages: PROGRAM.stages.map((s) => ({ ...s.STAGE, batchTokens: batchTokens ?? s.STAGE.batchTokens })),
};

registerFastMatMulGradient();
await useBackend('wasm');
const pc = buildProgramContext(program, { root: repo, dataDir: opt('data'), tokenCacheDir: false });
const rows = [];
for (const stage of program.stages.filter((s) => wanted.includes(s.name))) {
  const def = defineStage(pc.ctx, stage);
  const setup = await def.setup();
  const { accumulation, steps: total } = stageSteps(def.plan);
  const acc = new GradientAccumulator(setup.trainable);
  const adam = new AdamW(setup.trainable, def.plan.optimizer);
  const losses: number[] = [];
  let wall = 0;
  for (let k = 0; k < warm + steps; k++) {
    const t0 = performance.now();
    for (let j = 0; j < accumulation; j++) {
      const batch = await setup.data.next();
      if (setup.lossParts) acc.addParts(setup.lossParts(batch));
      else acc.add(() => setup.loss(batch));
      setup.data.release?.(batch);
    }
    const r = acc.finish();
    const norms = await gradNorms(r.grads, r.loss);
    clipToNorm(r.grads, norms.total, def.plan.gradClip);
    adam.apply(r.grads, lrAt(def.plan.schedule, def.plan.lr, k, total));
    r.loss.dispose();
    r.grads.forEach((g) => g.dispose());
    losses.push(norms.loss);
    if (k >= warm) wall += performance.now() - t0;
  }
  acc.dispose();
  adam.dispose();
  rows.push({ stage: stage.name, workers: 0, code: 'before', tokensPerS: Math.round((steps * def.plan.batchTokens) / (wall / 1000)), losses, load: loadavg()[0] });
  process.stderr.write(`before ${stage.name}: ${rows.at(-1)!.tokensPerS} tokens/s, losses ${losses.map((l) => l.toFixed(4)).join(' ')}\n`);
}
console.log(JSON.stringify({ code: 'before (94202c1)', rows }));
process.exit(0);
