/**
 * Trains test/views/fixtures/views-tiny.mohawk (a few thousand tokens per stage) into a run directory, through
 * the same runtime/program entry a generated program calls: the stages are the runtime/stages modules the
 * emitter wires, so the run directory is what `mohawkc train` writes — without emitting a generated/ tree
 * into the repository from a test.
 */
import { relative, resolve } from 'node:path';
import type { StageIR } from '../../../compiler/ir/types.ts';
import { compileSpecFile } from '../../../compiler/compile.ts';
import { runProgram, type ProgramResult } from '../../../runtime/program/run-program.ts';
import type { Program } from '../../../runtime/program/types.ts';
import type { StageContext } from '../../../runtime/stages/context.ts';
import { endToEnd } from '../../../runtime/stages/end-to-end.ts';
import { hiddenStateAlignment } from '../../../runtime/stages/hidden-state-alignment.ts';
import { matrixOrientation } from '../../../runtime/stages/matrix-orientation.ts';
import { DATA_DIR, REPO_ROOT } from '../../helpers/paths.ts';

export const TINY_SPEC = resolve(REPO_ROOT, 'test/views/fixtures/views-tiny.mohawk');

export function tinyProgram(): Program {
  const spec = relative(REPO_ROOT, TINY_SPEC);
  const r = compileSpecFile(TINY_SPEC, { dataDir: DATA_DIR });
  if (!r.ir) throw new Error(`${spec} does not check: ${r.diagnostics.map((d) => d.message).join('; ')}`);
  const ir = r.ir;
  const define = (s: StageIR) => (ctx: StageContext) =>
    s.kind === 'matrix_orientation' ? matrixOrientation(ctx, s) : s.kind === 'hidden_state_alignment' ? hiddenStateAlignment(ctx, s) : endToEnd(ctx, s);
  return {
    spec,
    edition: ir.edition,
    teacher: ir.teacher,
    student: ir.student,
    data: ir.data,
    eval: ir.eval,
    kernels: ir.kernels.map((k) => k.key),
    stages: ir.stages.map((s) => ({ STAGE: s, define: define(s) })),
  };
}

export function trainTiny(runDir: string): Promise<ProgramResult> {
  return runProgram(tinyProgram(), { runDir, root: REPO_ROOT, dataDir: DATA_DIR, backend: 'wasm', tokenCacheDir: false });
}
