/**
 * One trainer per run directory: `run.lock` holds the pid of the process training in it, created with
 * O_EXCL. A lock whose process is gone (kill -9, power cut) is stale and taken over; a live one makes a
 * second `mohawkc train` on the same directory fail instead of interleaving checkpoints.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { RunDirError } from './errors.ts';
import type { RunDir } from './run-dir.ts';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock; returns the function that releases it. */
export function lockRunDir(run: RunDir): () => void {
  const file = join(run.root, 'run.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o644);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
      if (Number.isInteger(pid) && pid > 0 && alive(pid)) {
        throw new RunDirError(run.root, `is in use by process ${pid} (run.lock); wait for it or stop it first`);
      }
      rmSync(file, { force: true }); // stale: its process is gone
    }
  }
  throw new RunDirError(run.root, 'could not take run.lock (another process keeps recreating it)');
}
