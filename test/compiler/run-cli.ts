/** Runs the real `mohawkc` binary in a child process (a pool of two: the CI machine has two cores). */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { REPO_ROOT } from '../helpers/paths.ts';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const BIN = resolve(REPO_ROOT, 'bin', 'mohawkc.mjs');

export function runCli(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? REPO_ROOT, env: { ...process.env, NO_COLOR: '1', ...opts.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => (stderr += b));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

export async function runPool<T, R>(items: T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]);
      }
    }),
  );
  return out;
}

/** What a crash looks like on stderr: a JavaScript stack frame, or the CLI's internal-error line. */
export function looksLikeCrash(stderr: string): boolean {
  return /^\s+at .+[(:]\d+/m.test(stderr) || /internal error/.test(stderr);
}
