import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeSafetensors } from '../../../runtime/io/safetensors.ts';
import { parallelStage } from '../../../runtime/parallel/data-parallel.ts';
import { WorkerPool } from '../../../runtime/parallel/pool.ts';
import { buildProgramContext, defineStage, type ProgramData } from '../../../runtime/parallel/program-context.ts';
import { registerFastMatMulGradient } from '../../../runtime/program/fast-matmul-grad.ts';
import { runStages, type StageDef } from '../../../runtime/run/loop.ts';
import { readMetrics, TIMING_FIELDS } from '../../../runtime/run/metrics.ts';
import { useBackend } from '../../../runtime/tensor/backend.ts';
import { mapToHost } from '../../../runtime/train/host-tensors.ts';
import { CONTEXT, freshRunDir, removeRunDirs, tinyProgram } from './fixture.ts';

interface Outcome {
  weights: Buffer;
  losses: number[];
  metrics: string;
  dir: string;
}

/**
 * Trains `program` in a fresh run directory: in-process (workers 0) or on a pool of `workers` threads.
 * `stopAfter` checkpoints, the run is interrupted (as a killed process would be) and resumed by a new
 * "process": fresh model, fresh pool.
 */
async function train(program: ProgramData, workers: number, opts: { stopAfter?: number; dir?: string } = {}): Promise<Outcome> {
  const dir = opts.dir ?? freshRunDir();
  const pc = buildProgramContext(program, CONTEXT);
  const pool = workers > 0 ? await WorkerPool.start({ workers, program, options: CONTEXT, backend: 'wasm', params: pc.ctx.student.params }) : undefined;
  let checkpoints = 0;
  try {
    const stages: StageDef<any>[] = program.stages.map((s) => {
      const def = defineStage(pc.ctx, s);
      return pool ? parallelStage(def, s, pool, pc.ctx.tokens) : def;
    });
    await runStages({
      dir,
      params: pc.ctx.student.params,
      stages,
      ir: { test: 'parallel' },
      onCheckpoint: () => {
        if (opts.stopAfter !== undefined && ++checkpoints === opts.stopAfter) throw new Error('simulated kill');
      },
    });
  } catch (e) {
    if ((e as Error).message !== 'simulated kill') throw e;
    await pool?.close();
    pc.dispose();
    return train(program, workers, { dir });
  } finally {
    await pool?.close();
  }
  const weights = Buffer.concat(encodeSafetensors(await mapToHost(pc.ctx.student.params)));
  pc.dispose();
  const metrics = readFileSync(join(dir, 'metrics.jsonl'), 'utf8');
  const lines = readMetrics(metrics);
  const untimed = lines.map((l) => JSON.stringify(Object.fromEntries(Object.entries(l).filter(([k]) => !(TIMING_FIELDS as readonly string[]).includes(k)))));
  return { weights, losses: lines.map((l) => l.loss as number), metrics: untimed.join('\n'), dir };
}

describe('data-parallel training on worker threads', () => {
  const program = tinyProgram();
  let inProcess: Outcome;
  let two: Outcome;

  beforeAll(async () => {
    registerFastMatMulGradient();
    await useBackend('wasm');
    inProcess = await train(program, 0);
    two = await train(program, 2);
  }, 300_000);
  afterAll(removeRunDirs);

  it('runs every stage: 7 steps, finite losses that move', () => {
    expect(inProcess.losses).toHaveLength(7);
    expect(inProcess.losses.every(Number.isFinite)).toBe(true);
    expect(new Set(inProcess.losses).size).toBe(7);
  });

  it('one worker reproduces the in-process run bit for bit (weights and metrics)', async () => {
    const one = await train(program, 1);
    expect(one.metrics).toBe(inProcess.metrics);
    expect(one.weights.equals(inProcess.weights)).toBe(true);
  }, 300_000);

  it('two workers: the same losses within float tolerance (only the summation order differs)', () => {
    expect(two.losses).toHaveLength(inProcess.losses.length);
    two.losses.forEach((l, i) => expect(Math.abs(l - inProcess.losses[i])).toBeLessThan(1e-4 * Math.max(1, Math.abs(inProcess.losses[i]))));
    expect(two.weights.equals(inProcess.weights)).toBe(false); // it did run a different summation
  });

  it('two workers: interrupted after 3 checkpoints and resumed, the same bytes as uninterrupted', async () => {
    const resumed = await train(program, 2, { stopAfter: 3 });
    expect(resumed.metrics).toBe(two.metrics);
    expect(resumed.weights.equals(two.weights)).toBe(true);
  }, 300_000);
});
