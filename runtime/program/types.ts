/**
 * What a generated program hands the runtime. The generated files (generated/<spec>/program/) hold every
 * spec-specific value as readable constants; this is their type.
 */
import type { DataSourceIR, EvalIR, StageIR, StudentIR, TeacherIR } from '../../compiler/ir/types.ts';
import type { StageContext, StageResult } from '../stages/context.ts';

export interface ProgramStage {
  STAGE: StageIR;
  run(ctx: StageContext): Promise<StageResult>;
}

export interface Program {
  /** Repo-relative spec path. */
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
