/**
 * Everything a stage needs, built from a program's plain data (no functions), so that a worker thread can
 * rebuild in its own tfjs instance exactly what the main thread built: the frozen teacher, the student (same
 * seeded init), and a StageContext whose token batches come from the spec's data sources. Stage definitions
 * are looked up by kind, which is what every generated `stage<k>_<name>.ts` does.
 */
import type { DataSourceIR, StageIR, StudentIR, TeacherIR } from '../../compiler/ir/types.ts';
import type { Batch } from '../data/batches.ts';
import { batchSourceFromIR } from '../data/from-ir.ts';
import { loadCheckpoint } from '../io/checkpoint.ts';
import { loadTokenizer, type Tokenizer } from '../io/tokenizers/index.ts';
import { buildTeacher } from '../models/index.ts';
import type { TransformerLM } from '../models/transformer.ts';
import { resolveProgramPath } from '../program/paths.ts';
import { stageStudent } from '../program/student-adapter.ts';
import type { DataSource } from '../run/loop.ts';
import type { MohawkStage, StageContext } from '../stages/context.ts';
import { endToEnd } from '../stages/end-to-end.ts';
import { hiddenStateAlignment } from '../stages/hidden-state-alignment.ts';
import { matrixOrientation } from '../stages/matrix-orientation.ts';
import { buildStudent, type BuiltStudent } from '../student/build.ts';
import { Rng } from '../train/rng.ts';

/** The data part of a generated Program (runtime/program/types.ts), as it crosses a thread boundary. */
export interface ProgramData {
  spec: string;
  teacher: TeacherIR;
  student: StudentIR;
  data: DataSourceIR[];
  stages: StageIR[];
}

export interface ContextOptions {
  /** The folder holding generated/ (spec-relative paths resolve against it). */
  root: string;
  dataDir?: string;
  tokenCacheDir?: string | false;
}

export interface ProgramContext {
  ctx: StageContext;
  teacher: TransformerLM;
  built: BuiltStudent;
  tokenizer: Tokenizer;
  dispose(): void;
}

const STAGES: Record<StageIR['kind'], (ctx: StageContext, s: StageIR) => MohawkStage> = {
  matrix_orientation: matrixOrientation,
  hidden_state_alignment: hiddenStateAlignment,
  end_to_end: endToEnd,
};

/** The stage as its generated module defines it. */
export function defineStage(ctx: StageContext, stage: StageIR): MohawkStage {
  return STAGES[stage.kind](ctx, stage);
}

/** The student's random parts are seeded by the first stage's seed, as runtime/program/run-program.ts does. */
export function studentSeed(p: Pick<ProgramData, 'stages'>): number {
  return p.stages[0]?.seed ?? 0;
}

/**
 * Teacher, student and StageContext for `program`. `tokens` overrides where a stage's token batches come
 * from (a worker is fed its batches by the main thread); by default they are the spec's seeded sources.
 */
export function buildProgramContext(
  program: ProgramData,
  opts: ContextOptions,
  tokens?: (stage: StageIR) => DataSource<Batch>,
): ProgramContext {
  const resolve = (p: string) => resolveProgramPath(p, program.spec, opts.root, opts.dataDir);
  const ckpt = loadCheckpoint(resolve(program.teacher.checkpoint));
  const tokenizer = loadTokenizer(resolve(program.teacher.tokenizer), { vocabSize: ckpt.config.vocab });
  const teacher = buildTeacher(ckpt);
  const built = buildStudent(ckpt, program.student, { trainable: true, seed: studentSeed(program) });
  const student = stageStudent(built.model, program.student);
  const ctx: StageContext = {
    teacher,
    student,
    tokens: tokens ?? ((s) => seededTokens(program.data, s, tokenizer, opts)),
  };
  return {
    ctx,
    teacher,
    built,
    tokenizer,
    dispose: () => {
      teacher.dispose();
      built.model.dispose();
    },
  };
}

/** A stage's seeded token source: its own stream `data/<stage name>` of the stage's seed (as run-program). */
export function seededTokens(data: DataSourceIR[], stage: StageIR, tokenizer: Tokenizer, opts: ContextOptions): DataSource<Batch> {
  const source = batchSourceFromIR(data, stage.data, {
    tokenizer,
    batch: stage.microBatch,
    seqLen: stage.seqLen,
    seed: stage.seed,
    dataDir: { data: opts.dataDir },
    cacheDir: opts.tokenCacheDir,
  });
  source.restore({ kind: 'random-windows', rng: Rng.fromSeed(stage.seed, `data/${stage.name}`).state(), batches: 0 });
  return {
    next: () => source.nextAsync(),
    state: () => source.state(),
    restore: (s) => source.restore(s as ReturnType<typeof source.state>),
  };
}
