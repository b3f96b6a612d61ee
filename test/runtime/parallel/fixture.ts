/**
 * A small real program for the parallel tests: the ci-tiny spec's teacher, student and data, with stages cut
 * to a few steps of 4 micro-batches (2 sequences × 32 tokens each), so a step has something to split.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StageIR } from '../../../compiler/ir/types.ts';
import { PROGRAM } from '../../../generated/ci-tiny/program/run.ts';
import type { ProgramData } from '../../../runtime/parallel/program-context.ts';
import { DATA_DIR, REPO_ROOT } from '../../helpers/paths.ts';

export const SEQ = 32;
export const MICRO = 2;
export const ACCUMULATION = 4;
export const BATCH_TOKENS = SEQ * MICRO * ACCUMULATION;

export function tinyProgram(steps: number[] = [2, 2, 3]): ProgramData {
  const stages: StageIR[] = PROGRAM.stages.map((s, i) => ({
    ...s.STAGE,
    seqLen: SEQ,
    microBatch: MICRO,
    batchTokens: BATCH_TOKENS,
    tokens: steps[i] * BATCH_TOKENS,
    checkpointEvery: BATCH_TOKENS,
  }));
  return { spec: PROGRAM.spec, teacher: PROGRAM.teacher, student: PROGRAM.student, data: PROGRAM.data, stages };
}

export const CONTEXT = { root: REPO_ROOT, dataDir: DATA_DIR };

const roots: string[] = [];
export function freshRunDir(): string {
  const root = mkdtempSync(join(tmpdir(), 'mohawk-parallel-'));
  roots.push(root);
  return join(root, 'run');
}
export function removeRunDirs(): void {
  roots.forEach((r) => rmSync(r, { recursive: true, force: true }));
}
