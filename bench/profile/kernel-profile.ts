/**
 * Per-kernel CPU time of one stage's micro-batch (teacher pass, then student forward + backward), through
 * kernel-timer.ts — where the time goes, kernel by kernel, with input shapes.
 *
 *   npx tsx bench/profile/kernel-profile.ts [--stage distil] [--top 30] [--repeats 2] [--data DIR]
 */
import { buildProgramContext, defineStage } from '../../runtime/parallel/program-context.ts';
import { registerFastMatMulGradient } from '../../runtime/program/fast-matmul-grad.ts';
import { PROGRAM } from '../../generated/stories260k-llamba/program/run.ts';
import { useBackend } from '../../runtime/tensor/backend.ts';
import { GradientAccumulator } from '../../runtime/train/accumulate.ts';
import { installKernelTimers, kernelStats, resetKernelStats } from './kernel-timer.ts';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const which = opt('stage', 'distil');
const top = Number(opt('top', '30'));
const n = Number(opt('repeats', '2'));
const program = { spec: PROGRAM.spec, teacher: PROGRAM.teacher, student: PROGRAM.student, data: PROGRAM.data, stages: PROGRAM.stages.map((s) => s.STAGE) };
registerFastMatMulGradient();
await useBackend('wasm');
installKernelTimers('wasm', { shapes: true });
const pc = buildProgramContext(program, { root: process.cwd(), dataDir: args.includes('--data') ? opt('data', '') : undefined });
const stage = program.stages.find((s) => s.name === which);
if (!stage) throw new Error(`no stage ${which}`);
const setup = await defineStage(pc.ctx, stage).setup();
const acc = new GradientAccumulator(setup.trainable);
const run = (b: Parameters<typeof setup.loss>[0]) => (setup.lossParts ? acc.addParts(setup.lossParts(b)) : acc.add(() => setup.loss(b)));
const cpu = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};
const warm = await setup.data.next();
run(warm);
setup.data.release?.(warm);
acc.finish().grads.forEach((g) => g.dispose());
const report = (title: string, total: number) => {
  const ks = kernelStats();
  const inKernels = ks.reduce((a, k) => a + k.cpuMs, 0) / n;
  console.log(`${title}: ${total.toFixed(0)} ms CPU per micro-batch, ${inKernels.toFixed(0)} in kernels`);
  for (const k of ks.slice(0, top)) console.log(`  ${(k.cpuMs / n).toFixed(1).padStart(8)} ms ${String(k.calls / n).padStart(5)}×  ${k.key}`);
};
resetKernelStats();
let c0 = cpu();
const batches = [];
for (let i = 0; i < n; i++) batches.push(await setup.data.next());
report('teacher pass', (cpu() - c0) / n);
resetKernelStats();
c0 = cpu();
for (const b of batches) run(b);
report('student forward + backward', (cpu() - c0) / n);
