/**
 * `resume(dir)`: what a process about to continue a run calls. It removes what a killed predecessor left
 * half-done (temp folders, checkpoints newer than `latest`, stray temp files) and returns the checkpoint
 * `latest` names, verified — or null for a run that has none yet. For read-only inspection use loadLatest.
 */
import { existsSync } from 'node:fs';
import { cleanRunDir, loadLatest, type LoadedCheckpoint } from './checkpoint.ts';
import { runDirPaths } from './run-dir.ts';

export function resume(dir: string): LoadedCheckpoint | null {
  const run = runDirPaths(dir);
  if (!existsSync(run.root)) return null;
  cleanRunDir(run);
  return loadLatest(run);
}
