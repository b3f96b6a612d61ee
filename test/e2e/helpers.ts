/** Running `mohawkc` as a user would (a child process of bin/mohawkc.mjs) on scratch specs and run folders. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProgramResult } from '../../runtime/program/run-program.ts';
import { REPO_ROOT } from '../helpers/paths.ts';

export const MOHAWKC = join(REPO_ROOT, 'bin', 'mohawkc.mjs');

/** A scratch project inside the checkout (git-ignored .cache), so generated programs import this checkout. */
export function scratchProject(tag: string): string {
  mkdirSync(join(REPO_ROOT, '.cache'), { recursive: true });
  return mkdtempSync(join(REPO_ROOT, '.cache', `e2e-${tag}-`));
}

export function runMohawkc(args: string[], cwd: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MOHAWKC, ...args], { cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * `mohawkc train SPEC --out generated --run RUN --json [extra]` in `cwd` without blocking the test's thread
 * (two trainings can run at once, one per core); the parsed result when it exits 0.
 */
export function trainJson(cwd: string, spec: string, run: string, extra: string[] = []): Promise<{ code: number | null; result?: ProgramResult; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MOHAWKC, 'train', spec, '--out', 'generated', '--run', run, ...extra, '--json'], { cwd });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => resolve({ code, stderr: err, result: code === 0 ? (JSON.parse(out) as ProgramResult) : undefined }));
  });
}

export function startMohawkc(args: string[], cwd: string): ChildProcess {
  return spawn(process.execPath, [MOHAWKC, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** ci-tiny's teacher, student and eval with other stages: `stages` is the stage blocks' source. */
export function specWithStages(stages: string, defaults = 'batch = 8\n  seq_len = 64\n  checkpoint_every = 4K'): string {
  const base = readFileSync(join(REPO_ROOT, 'specs', 'ci-tiny.mohawk'), 'utf8');
  const head = base.slice(0, base.indexOf('defaults {'));
  const tail = base.slice(base.indexOf('eval {'));
  return `${head}defaults {\n  ${defaults}\n}\n\n${stages}\n\n${tail}`;
}

export function writeSpec(dir: string, name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return name;
}

export interface MetricsLine {
  stage: string;
  step: number;
  tokens: number;
  loss: number;
  lr: number;
  grad_norm: number;
  [k: string]: unknown;
}

export function readMetrics(runDir: string): MetricsLine[] {
  return readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as MetricsLine);
}

export function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}
