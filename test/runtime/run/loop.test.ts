import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeSafetensors } from '../../../runtime/io/safetensors.ts';
import type { StageIR } from '../../../compiler/ir/types.ts';
import { RunDirError, TrainingDivergedError } from '../../../runtime/run/errors.ts';
import { planFromStage, runStages, stageSteps, unfrozen, type RunOptions } from '../../../runtime/run/loop.ts';
import { readMetrics } from '../../../runtime/run/metrics.ts';
import { resume } from '../../../runtime/run/resume.ts';
import { GradientAccumulator } from '../../../runtime/train/accumulate.ts';
import { AdamW } from '../../../runtime/train/adamw.ts';
import { clipToNorm, gradNorms } from '../../../runtime/train/clip.ts';
import { mapToHost } from '../../../runtime/train/host-tensors.ts';
import { Rng } from '../../../runtime/train/rng.ts';
import { lrAt } from '../../../runtime/train/schedule.ts';
import { tf, useBackend } from '../../../runtime/tensor/backend.ts';
import { makeParams, mlpLoss, mlpPlans, mlpStages, SyntheticData } from './fixtures/mlp.ts';

const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));
const freshDir = () => {
  const root = mkdtempSync(join(tmpdir(), 'mohawk-loop-'));
  roots.push(root);
  return join(root, 'run');
};

async function weightBytes(params: Map<string, tf.Variable>): Promise<Buffer> {
  return Buffer.concat(encodeSafetensors(await mapToHost(params)));
}

/** A fresh model + stages, as a new process would build them. */
function build(opts: { noise?: boolean; poison?: NonNullable<Parameters<typeof mlpStages>[1]>['poison'] } = {}) {
  const params = makeParams(0);
  const rngs = opts.noise ? { noise: Rng.fromSeed(0, 'noise') } : undefined;
  const stages = mlpStages(params, { noise: rngs?.noise, poison: opts.poison });
  return { params, rngs, stages };
}

function dispose(params: Map<string, tf.Variable>) {
  params.forEach((p) => p.dispose());
}

describe('runStages', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('composes accumulation, clipping, AdamW and the schedule exactly as documented (first step by hand)', async () => {
    const plan = { ...mlpPlans()[1], tokens: 64, gradClip: 0.05 }; // one step; a tight clip so it bites
    const params = makeParams(0);
    await runStages({ dir: freshDir(), params, stages: [{ plan, setup: () => ({ trainable: params, loss: mlpLoss(params), data: new SyntheticData(1, 32) }) }] });
    const viaLoop = await weightBytes(params);
    const line = readMetrics(readFileSync(join(roots.at(-1)!, 'run', 'metrics.jsonl'), 'utf8'))[0];
    dispose(params);

    const manual = makeParams(0);
    const data = new SyntheticData(1, 32);
    const acc = new GradientAccumulator(manual);
    const loss = mlpLoss(manual);
    for (let j = 0; j < stageSteps(plan).accumulation; j++) {
      const batch = data.next();
      acc.add(() => loss(batch));
    }
    const { grads, loss: l } = acc.finish();
    const norms = await gradNorms(grads, l);
    expect(norms.loss).toBe((await l.data())[0]);
    expect(clipToNorm(grads, norms.total, plan.gradClip)).toBeLessThan(1);
    const opt = new AdamW(manual, plan.optimizer);
    opt.apply(grads, lrAt(plan.schedule, plan.lr, 0, 1));
    expect(line.loss).toBe((await l.data())[0]);
    expect(line.grad_norm).toBe(norms.total);
    expect(line.lr).toBe(lrAt(plan.schedule, plan.lr, 0, 1));
    expect((await weightBytes(manual)).equals(viaLoop)).toBe(true);
    opt.dispose();
    dispose(manual);
  });

  it('logs one metrics line per step with the scheduled lr, and keeps frozen parameters unchanged', async () => {
    const dir = freshDir();
    const { params, stages } = build();
    const before = await mapToHost(params);
    let warmEnd: Map<string, { data: Float32Array }> | null = null;
    const summary = await runStages({
      dir,
      params,
      stages,
      onCheckpoint: async ({ state }) => {
        if (state.stage === 'warm' && state.stageComplete) warmEnd = await mapToHost(params);
      },
    });
    expect(summary.stages.map((s) => [s.name, s.steps, s.tokens, s.skipped])).toEqual([
      ['warm', 20, 1280, false],
      ['main', 40, 2560, false],
    ]);
    expect(summary.stages[1].loss).toBeLessThan(0.1); // it learns: 0.61 at the start
    const lines = readMetrics(readFileSync(join(dir, 'metrics.jsonl'), 'utf8'));
    expect(lines.length).toBe(60);
    const plans = mlpPlans();
    lines.forEach((m, i) => {
      const [plan, k] = i < 20 ? [plans[0], i] : [plans[1], i - 20];
      expect(m).toMatchObject({ stage: plan.name, step: k + 1, tokens: (k + 1) * 64, run_tokens: (i + 1) * 64 });
      expect(m.lr).toBe(lrAt(plan.schedule, plan.lr, k, i < 20 ? 20 : 40));
      for (const f of ['loss', 'grad_norm', 'tokens_per_s', 'wall_s']) expect(Number.isFinite(m[f])).toBe(true);
    });
    // 'warm' trains layer 0 only.
    for (const name of ['model.layers.1.weight', 'model.layers.1.bias', 'model.norm.weight']) {
      expect(Array.from(warmEnd!.get(name)!.data)).toEqual(Array.from(before.get(name)!.data));
    }
    expect(Array.from(warmEnd!.get('model.layers.0.weight')!.data)).not.toEqual(Array.from(before.get('model.layers.0.weight')!.data));
    // checkpoints every 256 tokens (4 steps), keep 2, plus the stage end.
    expect(readdirSync(join(dir, 'checkpoints')).sort()).toEqual(['main-36', 'main-40', 'warm-20']);

    // Running again finds every stage done and changes nothing.
    const bytes = await weightBytes(params);
    dispose(params);
    const again = build();
    const rerun = await runStages({ dir, params: again.params, stages: again.stages });
    expect(rerun.resumedFrom).toBe('checkpoints/main-40');
    expect(rerun.stages.every((s) => s.skipped)).toBe(true);
    expect((await weightBytes(again.params)).equals(bytes)).toBe(true);
    dispose(again.params);
  });

  it('resumes bit-identically after crashes at seeded random points of checkpoint writing (in-process)', async () => {
    const straightDir = freshDir();
    const s = build({ noise: true });
    let writeSteps = 0;
    await runStages({ dir: straightDir, params: s.params, stages: s.stages, rngs: s.rngs, onCheckpointStep: () => writeSteps++ });
    const want = await weightBytes(s.params);
    const wantLines = readFileSync(join(straightDir, 'metrics.jsonl'), 'utf8');
    dispose(s.params);

    const rng = Rng.fromSeed(3, 'crash-points');
    for (let round = 0; round < 3; round++) {
      const dir = freshDir();
      // crash at the n-th file-system step of checkpoint writing, counted over the whole run
      const crashAt = rng.int(writeSteps);
      let seen = 0;
      const a = build({ noise: true });
      const crashed = await runStages({
        dir,
        params: a.params,
        stages: a.stages,
        rngs: a.rngs,
        onCheckpointStep: (label) => {
          if (seen++ === crashAt) throw new Error(`crash at ${label}`);
        },
      }).then(
        () => false,
        (e: Error) => /^crash at/.test(e.message),
      );
      expect(crashed).toBe(true);
      dispose(a.params);
      const b = build({ noise: true });
      const summary = await runStages({ dir, params: b.params, stages: b.stages, rngs: b.rngs });
      expect((await weightBytes(b.params)).equals(want), `crash at step ${crashAt}, resumed from ${summary.resumedFrom}`).toBe(true);
      const strip = (t: string) => readMetrics(t).map(({ tokens_per_s: _a, wall_s: _b, ...rest }) => rest);
      expect(strip(readFileSync(join(dir, 'metrics.jsonl'), 'utf8'))).toEqual(strip(wantLines));
      dispose(b.params);
    }
  });

  it('stops on a non-finite loss without checkpointing the bad state', async () => {
    const dir = freshDir();
    const { params, stages } = build({ poison: { stage: 'main', batch: 23, kind: 'loss' } }); // step 12 of main
    const err = await runStages({ dir, params, stages }).catch((e) => e);
    expect(err).toBeInstanceOf(TrainingDivergedError);
    expect(err.exitCode).toBe(3);
    expect(err.report).toEqual({ stage: 'main', step: 12, tokens: 11 * 64, what: 'loss', value: 'NaN', lastCheckpoint: 'checkpoints/main-8' });
    expect(err.message).toBe(
      "training diverged in stage 'main' at step 12: the loss is NaN; the last good checkpoint is checkpoints/main-8; lower the learning rate or clip harder and resume",
    );
    expect(readFileSync(join(dir, 'latest'), 'utf8')).toBe('checkpoints/main-8\n');
    const lines = readMetrics(readFileSync(join(dir, 'metrics.jsonl'), 'utf8'));
    expect(lines.at(-1)).toMatchObject({ stage: 'main', step: 11 });
    dispose(params);
  });

  it('names the first parameter (and its layer) whose gradient is non-finite while the loss is finite', async () => {
    const dir = freshDir();
    const { params, stages } = build({ poison: { stage: 'main', batch: 5, kind: 'grad' } }); // step 3 of main
    const err = await runStages({ dir, params, stages }).catch((e) => e);
    expect(err).toBeInstanceOf(TrainingDivergedError);
    expect(err.report).toMatchObject({ stage: 'main', step: 3, what: 'gradient', parameter: 'model.layers.1.gate', layer: 1, value: 'NaN', lastCheckpoint: 'checkpoints/warm-20' });
    expect(err.message).toMatch(/the gradient of 'model.layers.1.gate' \(layer 1\) is NaN/);
    expect(readFileSync(join(dir, 'latest'), 'utf8')).toBe('checkpoints/warm-20\n');
    dispose(params);
  });

  it('refuses a run directory of another configuration, or one with checkpoints when resume is off', async () => {
    const dir = freshDir();
    const a = build();
    const short: RunOptions['stages'] = [{ ...a.stages[0], plan: { ...a.stages[0].plan, tokens: 8 * 64 } }];
    const ir = { spec: 'a.mohawk' };
    await runStages({ dir, params: a.params, stages: short, ir });
    await expect(runStages({ dir, params: a.params, stages: a.stages, ir })).rejects.toThrow(RunDirError);
    await expect(runStages({ dir, params: a.params, stages: a.stages, ir })).rejects.toThrow(/another configuration/);
    await expect(runStages({ dir, params: a.params, stages: short, ir, resume: false })).rejects.toThrow(/already holds a run/);
    await expect(runStages({ dir, params: a.params, stages: short, ir: { spec: 'b.mohawk' } })).rejects.toThrow(/different IR/);
    writeFileSync(join(dir, 'ir.json'), '{\n"spec":   "a.mohawk"}'); // same IR, other formatting: still accepted
    expect((await runStages({ dir, params: a.params, stages: short, ir })).stages[0].skipped).toBe(true);
    // one trainer per directory: a live lock holder is refused, a dead one's lock is taken over
    writeFileSync(join(dir, 'run.lock'), `${process.pid}\n`);
    await expect(runStages({ dir, params: a.params, stages: short, ir })).rejects.toThrow(`is in use by process ${process.pid}`);
    writeFileSync(join(dir, 'run.lock'), '999999999\n');
    await runStages({ dir, params: a.params, stages: short, ir });
    expect(existsSync(join(dir, 'run.lock'))).toBe(false);
    expect(resume(join(dir, 'nowhere'))).toBeNull();
    dispose(a.params);
    // a fresh directory with resume off is fine; no checkpoints → nothing to refuse
    const b = build();
    const fresh = freshDir();
    await runStages({ dir: fresh, params: b.params, stages: [{ ...b.stages[0], plan: short[0].plan }], resume: false });
    expect(existsSync(join(fresh, 'latest'))).toBe(true);
    dispose(b.params);
  });

  it('validates stage plans and maps StageIR fields', () => {
    const plan = mlpPlans()[0];
    expect(stageSteps(plan)).toEqual({ steps: 20, accumulation: 2 });
    expect(stageSteps({ ...plan, tokens: 10 })).toEqual({ steps: 1, accumulation: 2 });
    expect(() => stageSteps({ ...plan, batchTokens: 48 })).toThrow(/not a multiple of seqLen · microBatch = 32/);
    expect(() => stageSteps({ ...plan, seqLen: 0 })).toThrow(/positive integers/);
    const ir: StageIR = {
      name: 'orient', kind: 'matrix_orientation', layers: [0], tokens: 1000, batchTokens: 64, seqLen: 16, microBatch: 2,
      lr: 1e-3, schedule: { kind: 'wsd', warmup: 0.05, decay: 0.2, minLrRatio: 1e-4 },
      optimizer: { kind: 'adamw', beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, noDecay: [] },
      gradClip: 1, loss: { kind: 'frobenius' }, freeze: ['mlp'], data: 'train', seed: 0, checkpointEvery: 512,
      source: { file: 'x.mohawk', line: 1 },
    };
    expect(planFromStage(ir)).toEqual({
      name: 'orient', tokens: 1000, batchTokens: 64, seqLen: 16, microBatch: 2, lr: 1e-3, schedule: ir.schedule,
      optimizer: { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, noDecay: [] }, gradClip: 1, checkpointEvery: 512,
    });
    const params = new Map([['model.layers.0.mlp.up', {} as tf.Variable], ['model.layers.0.mixer.D', {} as tf.Variable]]);
    expect([...unfrozen(params, ir.freeze).keys()]).toEqual(['model.layers.0.mixer.D']);
  });
});
