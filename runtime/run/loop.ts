/**
 * The stage loop driver: runs a list of stages over one set of parameters, with gradient accumulation,
 * grad-norm clipping, AdamW, the lr schedule, metrics, progress, the NaN guard, checkpoints every
 * `checkpointEvery` tokens and at each stage end, and resume from the run directory's `latest` checkpoint.
 *
 * Bit-exact resume: everything a step depends on comes from the checkpoint (weights, AdamW moments and step,
 * schedule position, data cursor, registered RNGs), and a step runs the same tensor ops in the same order
 * whether or not the process was restarted. So a run killed at any point and resumed ends with the same bytes
 * as an uninterrupted run on the same backend.
 *
 * What a stage provides (StageDef): its plan (numbers from the IR's StageIR) and a `setup()` that returns the
 * trainable subset, the loss of one micro-batch and the data source. `setup()` runs whenever the stage
 * starts or resumes; it may overwrite parameters (e.g. a weight transfer) but must not derive anything
 * from their current values, since on a mid-stage resume they are restored from the checkpoint after it.
 */
import type { StageIR } from '../../compiler/ir/types.ts';
import type { HostTensor } from '../io/types.ts';
import { FileFormatError } from '../io/types.ts';
import { tf } from '../tensor/backend.ts';
import { GradientAccumulator, type AccumulatedStep } from '../train/accumulate.ts';
import { AdamW, type AdamWConfig } from '../train/adamw.ts';
import { clipToNorm, gradNorms } from '../train/clip.ts';
import { assignFromHost, mapToHost, sameShape } from '../train/host-tensors.ts';
import { matchesAny } from '../train/name-patterns.ts';
import type { Rng } from '../train/rng.ts';
import { lrAt, type Schedule } from '../train/schedule.ts';
import { existsSync } from 'node:fs';
import { writeCheckpoint, type LoadedCheckpoint, type WriteOptions } from './checkpoint.ts';
import { lockRunDir } from './lock.ts';
import { resume } from './resume.ts';
import { configHash } from './config-hash.ts';
import { RunDirError } from './errors.ts';
import { MetricsLog, type StepMetrics } from './metrics.ts';
import { guardFinite } from './nan-guard.ts';
import { silentProgress, type ProgressSink } from './progress.ts';
import { openRunDir, type RunDir } from './run-dir.ts';
import { CHECKPOINT_FORMAT, CHECKPOINT_VERSION, type CheckpointState } from './state.ts';

/** The numbers of a stage the loop needs (a StageIR has them all: `planFromStage`). */
export interface StagePlan {
  name: string;
  /** Token budget; the stage runs max(1, floor(tokens / batchTokens)) optimizer steps. */
  tokens: number;
  /** Tokens per optimizer step; = seqLen · microBatch · accumulation steps. */
  batchTokens: number;
  seqLen: number;
  /** Sequences per micro-batch (one forward/backward). */
  microBatch: number;
  lr: number;
  schedule: Schedule;
  optimizer: AdamWConfig;
  /** Max global grad norm; 0 disables clipping. */
  gradClip: number;
  /** Tokens between checkpoints (0: only at the stage end). */
  checkpointEvery: number;
}

export function planFromStage(s: StageIR): StagePlan {
  const { name, tokens, batchTokens, seqLen, microBatch, lr, schedule, gradClip, checkpointEvery } = s;
  const { kind: _kind, ...optimizer } = s.optimizer;
  return { name, tokens, batchTokens, seqLen, microBatch, lr, schedule, optimizer, gradClip, checkpointEvery };
}

/** A source of micro-batches whose position can be saved and restored exactly. */
export interface DataSource<B> {
  next(): B | Promise<B>;
  /** JSON-serialisable cursor: after restore(state()), next() returns what it would have returned. */
  state(): unknown;
  restore(state: unknown): void;
  /** Frees a batch once its micro-step is done (e.g. disposes its tensors). */
  release?(batch: B): void;
}

export interface StageSetup<B> {
  /** The parameters this stage trains: a subset of the run's `params` (the same Variable objects). */
  trainable: ReadonlyMap<string, tf.Variable>;
  /** Scalar loss of one micro-batch; runs inside tf.variableGrads. */
  loss: (batch: B) => tf.Scalar;
  /**
   * Optional: the same loss as a sum of terms, each differentiated separately (GradientAccumulator.addParts),
   * so a micro-batch needs the memory of one term at a time. Used instead of `loss` when present.
   */
  lossParts?: (batch: B) => (() => tf.Scalar)[];
  /**
   * Optional: the whole step's forward and backward passes at once, given its micro-batches in data order —
   * the gradient of the mean micro-batch loss, as GradientAccumulator.finish() returns it. Used instead of
   * `loss`/`lossParts` when present; runtime/parallel spreads the micro-batches over worker threads this way.
   * Everything after it (norms, NaN guard, clip, AdamW, metrics, checkpoints) is the same.
   */
  accumulate?: (batches: B[]) => Promise<AccumulatedStep>;
  data: DataSource<B>;
  /** Frees what setup() allocated; called when the stage ends or fails. */
  dispose?(): void;
}

export interface StageDef<B = unknown> {
  plan: StagePlan;
  setup(): StageSetup<B> | Promise<StageSetup<B>>;
}

export interface RunOptions {
  /** The run directory (created if needed). */
  dir: string;
  /** Every parameter of the model: all are saved in each checkpoint and restored on resume. */
  params: ReadonlyMap<string, tf.Variable>;
  stages: StageDef<any>[];
  /** Written to ir.json; part of the configuration hash. */
  ir?: unknown;
  /** Defaults to the sha256 of the canonical JSON of { ir, plans }. */
  configHash?: string;
  /** Generators used during training besides the data sources; saved and restored with each checkpoint. */
  rngs?: Record<string, Rng>;
  /** Continue from `latest` when there is one (default true); false refuses a directory that has one. */
  resume?: boolean;
  keep?: number;
  keepStageEnds?: boolean;
  progress?: ProgressSink;
  onCheckpoint?: (c: { name: string; state: CheckpointState }) => void | Promise<void>;
  /** Crash-injection hook of checkpoint writing (tests). */
  onCheckpointStep?: WriteOptions['onStep'];
}

export interface StageSummary {
  name: string;
  /** Finished before this invocation (resume). */
  skipped: boolean;
  steps: number;
  tokens: number;
  /** Loss of the last step run by this invocation (NaN if none ran). */
  loss: number;
  seconds: number;
}

export interface RunSummary {
  run: RunDir;
  resumedFrom: string | null;
  stages: StageSummary[];
}

export function stageSteps(plan: StagePlan): { steps: number; accumulation: number } {
  const perMicro = plan.seqLen * plan.microBatch;
  const positive = (v: number) => Number.isSafeInteger(v) && v > 0;
  if (![plan.tokens, plan.batchTokens, plan.seqLen, plan.microBatch].every(positive)) {
    throw new RangeError(`stage '${plan.name}': tokens, batchTokens, seqLen and microBatch must be positive integers`);
  }
  if (plan.batchTokens % perMicro !== 0) {
    throw new RangeError(`stage '${plan.name}': batchTokens ${plan.batchTokens} is not a multiple of seqLen · microBatch = ${perMicro}`);
  }
  return { steps: Math.max(1, Math.floor(plan.tokens / plan.batchTokens)), accumulation: plan.batchTokens / perMicro };
}

/** The parameters whose names match none of `freeze` (the StageIR's freeze patterns), in model order. */
export function unfrozen(params: ReadonlyMap<string, tf.Variable>, freeze: readonly string[]): Map<string, tf.Variable> {
  return new Map([...params].filter(([name]) => !matchesAny(name, freeze)));
}

function restoreWeights(ckpt: LoadedCheckpoint, params: ReadonlyMap<string, tf.Variable>): void {
  const file = `${ckpt.dir}/weights.safetensors`;
  for (const [name, v] of params) {
    const host: HostTensor | undefined = ckpt.weights.get(name);
    if (!host) throw new FileFormatError(file, `has no tensor '${name}', which the model has`);
    if (!sameShape(host.shape, v.shape)) throw new FileFormatError(file, `tensor '${name}' is [${host.shape}], the model's is [${v.shape}]`);
  }
  const extra = [...ckpt.weights.keys()].filter((n) => !params.has(n));
  if (extra.length) throw new FileFormatError(file, `has tensors the model does not: ${extra.slice(0, 3).join(', ')}`);
  for (const [name, v] of params) assignFromHost(v, ckpt.weights.get(name)!);
}

function restoreRngs(ckpt: LoadedCheckpoint, rngs: Record<string, Rng>): void {
  for (const [name, rng] of Object.entries(rngs)) {
    const s = ckpt.state.rng[name];
    if (!s) throw new FileFormatError(`${ckpt.dir}/state.json`, `has no state for generator '${name}'`);
    rng.setState(s);
  }
}

/** Runs the stages in order, resuming from the run directory's latest checkpoint. */
export async function runStages(opts: RunOptions): Promise<RunSummary> {
  const plans = opts.stages.map((s) => s.plan);
  const names = plans.map((p) => p.name);
  if (new Set(names).size !== names.length) throw new RangeError(`stage names must be unique: ${names.join(', ')}`);
  plans.forEach(stageSteps); // validates every plan before anything is written
  const hash = opts.configHash ?? configHash({ ir: opts.ir ?? null, plans });

  const run = openRunDir(opts.dir, opts.ir);
  if (existsSync(run.latest) && opts.resume === false) {
    throw new RunDirError(run.root, 'already holds a run with checkpoints; resume it or choose a new --run directory');
  }
  const unlock = lockRunDir(run);
  try {
    return await trainLocked(run, opts, hash);
  } finally {
    unlock();
  }
}

async function trainLocked(run: RunDir, opts: RunOptions, hash: string): Promise<RunSummary> {
  const names = opts.stages.map((s) => s.plan.name);
  const shape = opts.stages.map((s) => stageSteps(s.plan));
  const rngs = opts.rngs ?? {};
  const progress = opts.progress ?? silentProgress;
  const ckpt = resume(run.root);
  if (ckpt) {
    if (ckpt.state.configHash !== hash) {
      throw new RunDirError(run.root, `was trained with another configuration (hash ${ckpt.state.configHash.slice(0, 12)}…, now ${hash.slice(0, 12)}…); use a new --run directory`);
    }
    const done = ckpt.state.completedStages;
    const consistent =
      done.every((n, i) => names[i] === n) &&
      names[ckpt.state.stageIndex] === ckpt.state.stage &&
      done.length === ckpt.state.stageIndex + (ckpt.state.stageComplete ? 1 : 0);
    if (!consistent) {
      throw new RunDirError(run.root, `its checkpoints are of stages [${done.join(', ')}${ckpt.state.stageComplete ? '' : `, ${ckpt.state.stage}`}], which do not match [${names.join(', ')}]`);
    }
    restoreWeights(ckpt, opts.params);
    restoreRngs(ckpt, rngs);
  }

  const metrics = new MetricsLog(run.metrics, ckpt?.state.metricsBytes ?? 0);
  const started = performance.now();
  const wallBase = ckpt?.state.wallTime ?? 0;
  const wall = () => wallBase + (performance.now() - started) / 1000;
  let runTokens = ckpt?.state.runTokens ?? 0;
  const completed = [...(ckpt?.state.completedStages ?? [])];
  let lastCheckpoint = ckpt?.name ?? null;
  const summaries: StageSummary[] = [];

  try {
    for (const [index, def] of opts.stages.entries()) {
      const plan = def.plan;
      const { steps: totalSteps, accumulation } = shape[index];
      if (completed.includes(plan.name)) {
        summaries.push({ name: plan.name, skipped: true, steps: totalSteps, tokens: totalSteps * plan.batchTokens, loss: NaN, seconds: 0 });
        continue;
      }
      const stageStarted = performance.now();
      const setup = await def.setup();
      for (const [name, v] of setup.trainable) {
        if (opts.params.get(name) !== v) throw new RangeError(`stage '${plan.name}': trainable '${name}' is not the run's parameter of that name`);
      }
      const opt = new AdamW(setup.trainable, plan.optimizer);
      const acc = new GradientAccumulator(setup.trainable);
      let step = 0;
      let tokens = 0;
      let loss = NaN;
      try {
        if (ckpt && !ckpt.state.stageComplete && ckpt.state.stageIndex === index) {
          if (ckpt.state.totalSteps !== totalSteps) throw new RunDirError(run.root, `checkpoint ${ckpt.name} has ${ckpt.state.totalSteps} steps for stage '${plan.name}', the plan ${totalSteps}`);
          restoreWeights(ckpt, opts.params); // again: setup() may have overwritten some
          restoreRngs(ckpt, rngs);
          try {
            opt.importState({ step: ckpt.state.optimizerStep, tensors: ckpt.optimizer });
          } catch (e) {
            throw new FileFormatError(`${ckpt.dir}/optimizer.safetensors`, (e as Error).message);
          }
          setup.data.restore(ckpt.state.data);
          step = ckpt.state.step;
          tokens = ckpt.state.tokens;
        }
        progress.stageStart(plan.name, totalSteps * plan.batchTokens, tokens);

        const checkpoint = async (stageComplete: boolean, lr: number) => {
          metrics.sync();
          const state: Omit<CheckpointState, 'files'> = {
            format: CHECKPOINT_FORMAT,
            version: CHECKPOINT_VERSION,
            configHash: hash,
            stage: plan.name,
            stageIndex: index,
            stageComplete,
            completedStages: stageComplete ? [...completed, plan.name] : [...completed],
            step,
            totalSteps,
            tokens,
            runTokens,
            optimizerStep: opt.step,
            lr,
            rng: Object.fromEntries(Object.entries(rngs).map(([k, r]) => [k, r.state()])),
            data: setup.data.state(),
            wallTime: wall(),
            metricsBytes: metrics.bytes,
            createdAt: new Date().toISOString(),
          };
          const weights = await mapToHost(opts.params);
          const { tensors: moments } = await opt.exportState();
          const written = writeCheckpoint(run, { state, weights, optimizer: moments }, {
            keep: opts.keep,
            keepStageEnds: opts.keepStageEnds,
            onStep: opts.onCheckpointStep,
          });
          lastCheckpoint = written.name;
          progress.checkpoint(written.name);
          await opts.onCheckpoint?.(written);
        };

        while (step < totalSteps) {
          const t0 = performance.now();
          const lr = lrAt(plan.schedule, plan.lr, step, totalSteps);
          let result: AccumulatedStep;
          if (setup.accumulate) {
            const batches: unknown[] = [];
            for (let j = 0; j < accumulation; j++) batches.push(await setup.data.next());
            try {
              result = await setup.accumulate(batches);
            } finally {
              for (const batch of batches) setup.data.release?.(batch);
            }
          } else {
            for (let j = 0; j < accumulation; j++) {
              const batch = await setup.data.next();
              if (setup.lossParts) acc.addParts(setup.lossParts(batch));
              else acc.add(() => setup.loss(batch));
              setup.data.release?.(batch);
            }
            result = acc.finish();
          }
          try {
            const norms = await gradNorms(result.grads, result.loss);
            loss = norms.loss;
            guardFinite(loss, norms.perParam, { stage: plan.name, step: step + 1, tokens, lastCheckpoint });
            clipToNorm(result.grads, norms.total, plan.gradClip);
            opt.apply(result.grads, lr);
            step++;
            tokens += plan.batchTokens;
            runTokens += plan.batchTokens;
            const seconds = (performance.now() - t0) / 1000;
            const line: StepMetrics = {
              stage: plan.name,
              step,
              tokens,
              run_tokens: runTokens,
              loss,
              lr,
              grad_norm: norms.total,
              tokens_per_s: plan.batchTokens / Math.max(seconds, 1e-9),
              wall_s: wall(),
            };
            metrics.append(line);
            progress.step({ tokens, loss, tokensPerS: line.tokens_per_s });
          } finally {
            result.loss.dispose();
            result.grads.forEach((g) => g.dispose());
          }
          const every = plan.checkpointEvery;
          const crossed = every > 0 && Math.floor(tokens / every) > Math.floor((tokens - plan.batchTokens) / every);
          if (step === totalSteps) await checkpoint(true, lr);
          else if (crossed) await checkpoint(false, lr);
        }
        completed.push(plan.name);
        const seconds = (performance.now() - stageStarted) / 1000;
        progress.stageEnd({ stage: plan.name, tokens, loss, seconds });
        summaries.push({ name: plan.name, skipped: false, steps: totalSteps, tokens, loss, seconds });
      } finally {
        acc.dispose();
        opt.dispose();
        setup.dispose?.();
      }
    }
  } finally {
    metrics.sync();
    metrics.close();
    progress.stop();
  }
  return { run, resumedFrom: ckpt?.name ?? null, stages: summaries };
}
