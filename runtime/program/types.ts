/**
 * What a generated program hands the runtime. The generated files (generated/<spec>/program/) hold every
 * spec-specific value as readable constants; this is their type.
 */
import type { DataSourceIR, EvalIR, StageIR, StudentIR, TeacherIR } from '../../compiler/ir/types.ts';
import type { MohawkStage, StageContext } from '../stages/context.ts';

export interface ProgramStage {
  STAGE: StageIR;
  /** The stage as the loop driver runs it (runtime/stages/<kind>.ts). */
  define(ctx: StageContext): MohawkStage;
}

export interface Program {
  /** Spec path, relative to the project root (the folder holding generated/). */
  spec: string;
  edition: string;
  teacher: TeacherIR;
  student: StudentIR;
  data: DataSourceIR[];
  eval: EvalIR;
  /** Kernel variant keys the student uses (generated/kernels/dispatch.ts resolves them). */
  kernels: readonly string[];
  stages: readonly ProgramStage[];
}
