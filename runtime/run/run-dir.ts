/**
 * The run directory (`--run DIR`):
 *   ir.json                      the IR the run was started from (written once, atomically)
 *   metrics.jsonl                one JSON object per optimizer step
 *   checkpoints/<stage>-<step>/  weights.safetensors, optimizer.safetensors, state.json
 *   latest                       "checkpoints/<stage>-<step>\n", replaced atomically after a checkpoint is whole
 * Others add student/ and report.html; this module only names paths and creates the skeleton.
 */
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../io/atomic-write.ts';
import { canonicalJson } from './config-hash.ts';
import { RunDirError } from './errors.ts';

export interface RunDir {
  root: string;
  ir: string;
  metrics: string;
  checkpoints: string;
  latest: string;
}

export function runDirPaths(dir: string): RunDir {
  const root = resolve(dir);
  return {
    root,
    ir: join(root, 'ir.json'),
    metrics: join(root, 'metrics.jsonl'),
    checkpoints: join(root, 'checkpoints'),
    latest: join(root, 'latest'),
  };
}

/**
 * Creates the directory (and checkpoints/) if needed and records the IR. An existing ir.json must hold the
 * same IR (compared as canonical JSON, so key order does not matter): a run directory belongs to one configuration.
 */
export function openRunDir(dir: string, ir?: unknown): RunDir {
  const run = runDirPaths(dir);
  if (existsSync(run.root) && !statSync(run.root).isDirectory()) throw new RunDirError(run.root, 'exists and is not a directory');
  try {
    mkdirSync(run.checkpoints, { recursive: true });
  } catch (e) {
    throw new RunDirError(run.root, `cannot create the run directory (${(e as Error).message})`);
  }
  if (ir !== undefined) {
    const text = JSON.stringify(ir, null, 2) + '\n';
    if (existsSync(run.ir)) {
      let same = false;
      try {
        same = canonicalJson(JSON.parse(readFileSync(run.ir, 'utf8'))) === canonicalJson(ir);
      } catch {
        throw new RunDirError(run.root, 'ir.json is not valid JSON; restore it or use a new --run directory');
      }
      if (!same) {
        throw new RunDirError(run.root, 'holds a run of a different IR (ir.json differs); use a new --run directory');
      }
    } else {
      writeFileAtomic(run.ir, [Buffer.from(text, 'utf8')]);
    }
  }
  return run;
}
