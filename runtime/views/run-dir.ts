/**
 * Reading a finished (or running) training run directory for the views: the IR it ran (ir.json), the metrics
 * log, summary.json and the exported student folder. Every problem names the file and what is wrong, so the
 * CLI prints one line instead of a stack.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DataSourceIR, EvalIR, StageIR, StudentIR, TeacherIR } from '../../compiler/ir/types.ts';
import { FileFormatError } from '../io/types.ts';
import { readMetrics } from '../run/metrics.ts';
import { RunDirError } from '../run/errors.ts';

/** ir.json as runtime/program writes it: the program's IR, stages without source positions. */
export interface RunIR {
  spec: string;
  edition?: string;
  teacher: TeacherIR;
  student: StudentIR;
  data: DataSourceIR[];
  eval: EvalIR;
  stages: Omit<StageIR, 'source'>[];
}

/** One metrics.jsonl line (runtime/run/metrics.ts StepMetrics), as read back. */
export interface MetricsLine {
  stage: string;
  step: number;
  tokens: number;
  run_tokens: number;
  loss: number;
  lr: number;
  grad_norm: number;
  tokens_per_s: number;
  wall_s: number;
}

export interface RunContents {
  root: string;
  ir: RunIR;
  metrics: MetricsLine[];
  /** summary.json when the run finished (its shape: runtime/program/run-program.ts ProgramResult). */
  summary?: Record<string, unknown>;
  /** The exported student folder, when present. */
  studentDir?: string;
}

export function readRunDir(dir: string): RunContents {
  const root = resolve(dir);
  if (!existsSync(root)) throw new RunDirError(root, 'does not exist');
  if (!statSync(root).isDirectory()) throw new RunDirError(root, 'is not a directory');
  const irFile = join(root, 'ir.json');
  if (!existsSync(irFile)) throw new RunDirError(root, "has no ir.json: not a run directory (made by 'mohawkc train')");
  const ir = parseJson(irFile) as RunIR;
  for (const key of ['teacher', 'student', 'stages'] as const)
    if (!ir || typeof ir !== 'object' || !(key in ir)) throw new FileFormatError(irFile, `has no '${key}' section`);
  if (!Array.isArray(ir.student.layers)) throw new FileFormatError(irFile, "student.layers is not a list");

  const metricsFile = join(root, 'metrics.jsonl');
  let metrics: MetricsLine[] = [];
  if (existsSync(metricsFile)) {
    try {
      metrics = readMetrics(readFileSync(metricsFile, 'utf8')) as unknown as MetricsLine[];
    } catch (e) {
      throw new FileFormatError(metricsFile, `a line is not JSON (${(e as Error).message})`);
    }
  }
  const summaryFile = join(root, 'summary.json');
  const summary = existsSync(summaryFile) ? (parseJson(summaryFile) as Record<string, unknown>) : undefined;
  const student = join(root, 'student');
  const studentDir = existsSync(join(student, 'model.safetensors')) ? student : undefined;
  return { root, ir, metrics, summary, studentDir };
}

function parseJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new FileFormatError(file, `is not valid JSON (${(e as Error).message})`);
  }
}
