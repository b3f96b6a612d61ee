/**
 * Library part of stage-throughput.ts (the CLI) and of the device harness (bench/peers/device/entry.ts).
 *
 * Wall-clock tokens/s of the recipe's optimizer steps per stage, for several worker counts run after run in
 * one process: the real loop (runtime/run/loop.ts runStages) on the generated program's stages with budgets
 * cut to `--warm + --steps` steps; the first `--warm` steps of each stage are not counted. Also the device
 * harness's entry (bench/peers/device/), where it runs on webgpu.
 *
 *   npx tsx bench/profile/stage-throughput.ts [--spec specs/stories260k-llamba.mohawk] [--workers 0,2]
 *       [--steps 2] [--warm 1] [--stages orient,align,distil] [--backend wasm] [--micro N]
 *       [--batch-tokens N] [--data DIR] [--json]
 *
 * --micro / --batch-tokens change the micro-batch (sequences per forward pass) and the tokens per step from
 * the spec's (the GPU comparison runs whole 64-sequence steps as one micro-batch; smoke tests cut the batch).
 *
 * On a shared machine the ratio is only as good as the quiet: the load average is printed before and after
 * each run, and process CPU time (all threads) beside wall time.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parallelStage } from '../../runtime/parallel/data-parallel.ts';
import { WorkerPool } from '../../runtime/parallel/pool.ts';
import { buildProgramContext, defineStage, type ContextOptions, type ProgramData } from '../../runtime/parallel/program-context.ts';
import { registerFastMatMulGradient } from '../../runtime/program/fast-matmul-grad.ts';
import type { Program } from '../../runtime/program/types.ts';
import { runStages, type StageDef } from '../../runtime/run/loop.ts';
import { readMetrics } from '../../runtime/run/metrics.ts';
import { useBackend, type BackendName } from '../../runtime/tensor/backend.ts';

export interface ThroughputOptions {
  workers: number[];
  steps: number;
  warm: number;
  backend: BackendName;
  stages?: string[];
  micro?: number;
  batchTokens?: number;
  context: ContextOptions;
}

export interface ThroughputRow {
  workers: number;
  backend: BackendName;
  stage: string;
  microBatch: number;
  batchTokens: number;
  tokensPerS: number;
  losses: number[];
  cpuSecondsPerStep: number;
  loadBefore: number;
  loadAfter: number;
}

/** The program's data with budgets cut to warm + steps steps (and the batch overrides). */
export function cutProgram(p: Program, o: Pick<ThroughputOptions, 'stages' | 'micro' | 'batchTokens' | 'steps' | 'warm'>): ProgramData {
  const wanted = o.stages ?? p.stages.map((s) => s.STAGE.name);
  return {
    spec: p.spec,
    teacher: p.teacher,
    student: p.student,
    data: p.data,
    stages: p.stages
      .filter((s) => wanted.includes(s.STAGE.name))
      .map((s) => {
        const batchTokens = o.batchTokens ?? s.STAGE.batchTokens;
        const microBatch = o.micro ?? s.STAGE.microBatch;
        return { ...s.STAGE, batchTokens, microBatch, tokens: (o.warm + o.steps) * batchTokens, checkpointEvery: 0 };
      }),
  };
}

export async function measureStages(program: ProgramData, o: ThroughputOptions): Promise<ThroughputRow[]> {
  registerFastMatMulGradient();
  await useBackend(o.backend);
  const { warm, steps, backend } = o;
  const rows: ThroughputRow[] = [];
  const cpuS = () => {
    const c = process.cpuUsage();
    return (c.user + c.system) / 1e6;
  };
  for (const workers of o.workers) {
    const pc = buildProgramContext(program, o.context);
    const pool = workers > 0 ? await WorkerPool.start({ workers, program, options: o.context, backend, params: pc.ctx.student.params }) : undefined;
    const dir = mkdtempSync(join(tmpdir(), 'mohawk-throughput-'));
    const cpuAtStep: number[] = [];
    try {
      const load0 = loadavg()[0];
      const stages: StageDef<any>[] = program.stages.map((s) => {
        const def = defineStage(pc.ctx, s);
        return pool ? parallelStage(def, s, pool, pc.ctx.tokens) : def;
      });
      await runStages({
        dir: join(dir, 'run'),
        params: pc.ctx.student.params,
        stages,
        ir: { bench: 'stage-throughput' },
        progress: {
          stageStart: () => cpuAtStep.push(cpuS()),
          step: () => cpuAtStep.push(cpuS()),
          checkpoint: () => {},
          stageEnd: () => {},
          stop: () => {},
        },
      });
      const load1 = loadavg()[0];
      const metrics = readMetrics(readFileSync(join(dir, 'run', 'metrics.jsonl'), 'utf8'));
      let k = 0;
      for (const s of program.stages) {
        const all = metrics.filter((m) => m.stage === s.name);
        const lines = all.slice(warm);
        const secs = lines.reduce((a, m) => a + s.batchTokens / (m.tokens_per_s as number), 0);
        // cpuAtStep holds, per stage, its start and then one entry per step.
        const base = k + 1 + warm;
        const cpu = (cpuAtStep[base + steps - 1] - cpuAtStep[base - 1]) / steps;
        k += 1 + warm + steps;
        rows.push({
          workers,
          backend,
          stage: s.name,
          microBatch: s.microBatch,
          batchTokens: s.batchTokens,
          tokensPerS: Math.round((lines.length * s.batchTokens) / secs),
          losses: all.map((m) => m.loss as number),
          cpuSecondsPerStep: Math.round(cpu * 100) / 100,
          loadBefore: load0,
          loadAfter: load1,
        });
      }
    } finally {
      await pool?.close();
      pc.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return rows;
}

export function formatRows(rows: ThroughputRow[]): string {
  return rows
    .map((r) => {
      const base = rows.find((b) => b.stage === r.stage && b.workers === rows[0].workers)!;
      return (
        `${r.backend} ${r.stage.padEnd(8)} micro ${r.microBatch} workers ${r.workers}: ${String(r.tokensPerS).padStart(7)} tokens/s  ×${(r.tokensPerS / base.tokensPerS).toFixed(2)}  ` +
        `${r.cpuSecondsPerStep} CPU-s/step  load ${r.loadBefore.toFixed(1)} → ${r.loadAfter.toFixed(1)}  losses ${r.losses.map((l) => l.toFixed(4)).join(' ')}`
      );
    })
    .join('\n');
}
