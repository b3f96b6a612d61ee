/**
 * Runs a generated program: loads the teacher and tokenizer, assembles the student, runs the selected stages
 * through the loop driver (checkpoints, resume, metrics, NaN guard), exports the student to <run>/student/ and
 * scores it on the spec's evaluation set, writing <run>/summary.json.
 *
 * Determinism: the student's random init, every stage's batch stream and the loop's state all derive from
 * seeds in the program, so a run killed at any point and resumed ends with the same bytes as one that was not.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DataSourceIR, StageIR } from '../../compiler/ir/types.ts';
import { RandomWindowSource, type Batch } from '../data/batches.ts';
import { batchSourceFromIR } from '../data/from-ir.ts';
import { loadCheckpoint } from '../io/checkpoint.ts';
import { writeFileAtomic } from '../io/atomic-write.ts';
import { loadTokenizer, type Tokenizer } from '../io/tokenizers/index.ts';
import { buildTeacher } from '../models/index.ts';
import type { TransformerLM } from '../models/transformer.ts';
import { configHash } from '../run/config-hash.ts';
import { runStages, type DataSource, type StageSummary } from '../run/loop.ts';
import type { WriteOptions } from '../run/checkpoint.ts';
import { silentProgress, type ProgressSink } from '../run/progress.ts';
import { teacherPool } from '../sample/teacher-sampler.ts';
import type { StageContext } from '../stages/context.ts';
import { buildStudent } from '../student/build.ts';
import { exportStudent } from '../student/export.ts';
import { useBackend, type BackendName } from '../tensor/backend.ts';
import { Rng } from '../train/rng.ts';
import { evalSequences, evaluateModel, type EvalSpec, type ModelEval } from './evaluate.ts';
import { registerFastMatMulGradient } from './fast-matmul-grad.ts';
import { parallelStage } from '../parallel/data-parallel.ts';
import { WorkerPool } from '../parallel/pool.ts';
import { resolveWorkers, type WorkersOption } from '../parallel/workers.ts';
import { stageSteps } from '../run/loop.ts';
import { resolveProgramPath } from './paths.ts';
import { stageStudent } from './student-adapter.ts';
import type { Program } from './types.ts';

export interface ProgramOptions {
  runDir: string;
  /** The project root (the folder holding generated/): spec-relative paths resolve against it. */
  root: string;
  /** --data DIR. */
  dataDir?: string;
  backend?: BackendName;
  /** Continue from the run directory's latest checkpoint (default true); false refuses one that has any. */
  resume?: boolean;
  /** Names of the stages to run, in program order (default all). */
  stages?: readonly string[];
  progress?: ProgressSink;
  /** Evaluate only this many sequences (default: the spec's eval.maxSequences, else all). */
  evalMaxSequences?: number;
  /** Skip the final evaluation. */
  skipEval?: boolean;
  /** Also score the teacher on the same sequences (default true), for the student/teacher ratio. */
  evalTeacher?: boolean;
  /** Token cache folder (default the repository's .cache/tokens; false disables it). */
  tokenCacheDir?: string | false;
  log?: (line: string) => void;
  /** Crash injection inside checkpoint writes (tests). */
  onCheckpointStep?: WriteOptions['onStep'];
  /**
   * Worker threads for data-parallel steps and the final evaluation (runtime/parallel): a count, or 'auto'
   * (default; MOHAWK_WORKERS overrides) = one per core on wasm/cpu. 0 or 1: everything in this thread.
   */
  workers?: WorkersOption;
}

export interface ProgramResult {
  runDir: string;
  spec: string;
  backend: BackendName;
  resumedFrom: string | null;
  stages: (StageSummary & { kind: StageIR['kind'] })[];
  /** Worker threads the steps ran on (0: in-process). */
  workers: number;
  studentDir: string;
  eval?: { student: ModelEval; teacher?: ModelEval; ratio?: number; data: string; sequences: number };
  seconds: number;
}

/** The IR a run directory records: the program without source positions (a moved comment is not a new run). */
export function programIr(program: Program): Record<string, unknown> {
  return {
    spec: program.spec,
    edition: program.edition,
    teacher: program.teacher,
    student: program.student,
    data: program.data,
    eval: program.eval,
    kernels: program.kernels,
    stages: program.stages.map((s) => {
      const { source: _source, ...rest } = s.STAGE;
      return rest;
    }),
  };
}

export function selectStages(program: Program, names?: readonly string[]): Program['stages'] {
  if (!names) return program.stages;
  const all = program.stages.map((s) => s.STAGE.name);
  for (const n of names) if (!all.includes(n)) throw new RangeError(`the program has no stage '${n}' (its stages: ${all.join(', ')})`);
  return program.stages.filter((s) => names.includes(s.STAGE.name));
}

export async function runProgram(program: Program, options: ProgramOptions): Promise<ProgramResult> {
  const started = performance.now();
  const log = options.log ?? (() => {});
  registerFastMatMulGradient();
  const backend = await useBackend(options.backend ?? 'wasm');
  const stages = selectStages(program, options.stages);
  const resolve = (p: string) => resolveProgramPath(p, program.spec, options.root, options.dataDir);

  const ckptPath = resolve(program.teacher.checkpoint);
  log(`teacher ${program.teacher.name}: ${ckptPath}`);
  const ckpt = loadCheckpoint(ckptPath);
  const tokenizer = loadTokenizer(resolve(program.teacher.tokenizer), { vocabSize: ckpt.config.vocab });
  const teacher = buildTeacher(ckpt);
  const built = buildStudent(ckpt, program.student, { trainable: true, seed: studentSeed(program) });
  for (const n of built.notes) log(`student init: ${n}`);
  const student = stageStudent(built.model, program.student);
  const ctx: StageContext = { teacher, student, tokens: (s) => stageTokens(program.data, s, tokenizer, teacher, options) };
  const maxMicro = Math.max(...stages.map((s) => stageSteps(s.STAGE).accumulation));
  const workers = resolveWorkers(options.workers, backend, maxMicro);
  let pool: WorkerPool | undefined;

  try {
    if (workers > 0) {
      log(`training on ${workers} worker threads`);
      pool = await WorkerPool.start({
        workers,
        program: { spec: program.spec, teacher: program.teacher, student: program.student, data: program.data, stages: program.stages.map((s) => s.STAGE) },
        options: { root: options.root, dataDir: options.dataDir, tokenCacheDir: options.tokenCacheDir },
        backend,
        params: student.params,
      });
    }
    const ir = programIr(program);
    const summary = await runStages({
      dir: options.runDir,
      params: student.params,
      stages: stages.map((s) => (pool ? parallelStage(s.define(ctx), s.STAGE, pool, ctx.tokens) : s.define(ctx))),
      ir,
      configHash: configHash({ ir, run: stages.map((s) => s.STAGE.name) }),
      resume: options.resume ?? true,
      progress: options.progress ?? silentProgress,
      onCheckpointStep: options.onCheckpointStep,
    });
    const studentDir = join(summary.run.root, 'student');
    const exported = await exportStudent(built, program.student, studentDir);
    log(`student exported to ${studentDir} (${exported.format} layout)`);

    const result: ProgramResult = {
      runDir: summary.run.root,
      spec: program.spec,
      backend,
      resumedFrom: summary.resumedFrom,
      stages: summary.stages.map((s, i) => ({ ...s, kind: stages[i].STAGE.kind })),
      workers,
      studentDir,
      seconds: 0,
    };
    if (!options.skipEval) {
      const limit = options.evalMaxSequences ?? program.eval.maxSequences;
      const evalFile = resolve(program.eval.data);
      const common = { file: evalFile, protocol: program.eval.protocol, maxSequences: limit, tokenizer, cacheDir: options.tokenCacheDir };
      log(`evaluating the student on ${program.eval.data}${limit !== undefined ? ` (first ${limit} sequences)` : ''}`);
      const s = pool ? await evaluateOnPool(pool, 'student', common, teacher.config.maxSeqLen) : await evaluateModel(built.model, common);
      const t = options.evalTeacher === false ? undefined : pool ? await evaluateOnPool(pool, 'teacher', common, teacher.config.maxSeqLen) : await evaluateModel(teacher, common);
      result.eval = { student: s, teacher: t, ratio: t ? s.meanNll / t.meanNll : undefined, data: program.eval.data, sequences: s.sequences };
    }
    result.seconds = (performance.now() - started) / 1000;
    writeSummary(summary.run.root, result);
    return result;
  } finally {
    await pool?.close();
    teacher.dispose();
    built.model.dispose();
  }
}

/** evaluateModel's result with the sequences shared among the pool's workers. */
async function evaluateOnPool(pool: WorkerPool, which: 'student' | 'teacher', spec: EvalSpec, maxSeqLen: number): Promise<ModelEval> {
  const t0 = performance.now();
  const { tokenizer: _tokenizer, ...task } = spec;
  const r = await pool.evaluate(which, task, evalSequences(spec, maxSeqLen).length);
  return { ...r, seconds: (performance.now() - t0) / 1000 };
}

/** The student's random parts are seeded by the first stage's seed (the spec's `seed`, default 0). */
function studentSeed(program: Program): number {
  return program.stages[0]?.STAGE.seed ?? 0;
}

function writeSummary(dir: string, r: ProgramResult): void {
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(join(dir, 'summary.json'), [Buffer.from(JSON.stringify(r, null, 2) + '\n', 'utf8')]);
}

/**
 * A stage's token batches: its data source from the IR, micro-batches of microBatch × seqLen, drawn with the
 * stage's seed on a stream named after the stage (so stages with the same seed draw different windows).
 */
export function stageTokens(
  data: DataSourceIR[],
  stage: StageIR,
  tokenizer: Tokenizer,
  teacher: TransformerLM,
  options: ProgramOptions,
): DataSource<Batch> {
  const source = batchSourceFromIR(data, stage.data, {
    tokenizer,
    batch: stage.microBatch,
    seqLen: stage.seqLen,
    seed: stage.seed,
    dataDir: { data: options.dataDir },
    cacheDir: options.tokenCacheDir,
    teacherPool: (settings) => teacherPool(teacher, settings, tokenizer.bos ?? 1),
  });
  source.restore({ kind: 'random-windows', rng: Rng.fromSeed(stage.seed, `data/${stage.name}`).state(), batches: 0 });
  return {
    next: () => source.nextAsync(),
    state: () => source.state(),
    restore: (s) => source.restore(s as ReturnType<RandomWindowSource['state']>),
  };
}

