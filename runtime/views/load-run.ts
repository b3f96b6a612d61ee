/**
 * The models of a run directory: the teacher (from the checkpoint ir.json names), its tokenizer, and the
 * trained student (assembled from ir.json's layout, weights from the export in <run>/student/, read back with
 * runtime/student/export.ts).
 */
import { join } from 'node:path';
import { loadCheckpoint } from '../io/checkpoint.ts';
import { loadTokenizer, type Tokenizer } from '../io/tokenizers/index.ts';
import type { Checkpoint } from '../io/types.ts';
import { buildTeacher } from '../models/index.ts';
import type { TransformerLM } from '../models/transformer.ts';
import { resolveProgramPath } from '../program/paths.ts';
import { RunDirError } from '../run/errors.ts';
import { buildStudent, type BuiltStudent } from '../student/build.ts';
import { assignStudentWeights, readStudentExport } from '../student/export.ts';
import type { RunContents } from './run-dir.ts';

export interface RunPathOptions {
  /** --data DIR. */
  dataDir?: string;
  /** Folder spec-relative paths (`./x`) resolve against: the project root the run was trained from (default cwd). */
  root?: string;
}

export interface TeacherOfRun {
  checkpoint: Checkpoint;
  checkpointPath: string;
  tokenizerPath: string;
  tokenizer: Tokenizer;
}

/** A path as the run's spec wrote it (data-directory relative, spec relative with ./, or absolute). */
export function runPath(run: RunContents, p: string, opts: RunPathOptions = {}): string {
  return resolveProgramPath(p, run.ir.spec, opts.root ?? process.cwd(), opts.dataDir);
}

/** The teacher checkpoint and tokenizer a run used (host side: nothing uploaded yet). */
export function teacherOfRun(run: RunContents, opts: RunPathOptions = {}): TeacherOfRun {
  const resolve = (p: string) => runPath(run, p, opts);
  const checkpointPath = resolve(run.ir.teacher.checkpoint);
  const tokenizerPath = resolve(run.ir.teacher.tokenizer);
  const checkpoint = loadCheckpoint(checkpointPath);
  const tokenizer = loadTokenizer(tokenizerPath, { vocabSize: checkpoint.config.vocab });
  return { checkpoint, checkpointPath, tokenizerPath, tokenizer };
}

export function loadTeacher(t: TeacherOfRun): TransformerLM {
  return buildTeacher(t.checkpoint);
}

/**
 * The run's trained student. Built as Variables (assignment needs them) with the gather embedding, which is
 * the fast lookup for inference.
 */
export function loadStudent(run: RunContents, teacher: TeacherOfRun): BuiltStudent {
  if (!run.studentDir)
    throw new RunDirError(run.root, "has no exported student (student/model.safetensors); the run has not finished — 'mohawkc train' exports it at the end");
  const built = buildStudent(teacher.checkpoint, run.ir.student, { trainable: true, embedding: 'gather', namePrefix: `views-${nextId++}` });
  try {
    assignStudentWeights(built, readStudentExport(run.studentDir, teacher.checkpoint.config).tensors, join(run.studentDir, 'model.safetensors'));
  } catch (e) {
    built.model.dispose();
    throw e;
  }
  return built;
}

let nextId = 0;
