/**
 * Which run directory a `--model student` verb reads: `--run DIR` when given, else the directory
 * `mohawkc train SPEC` writes by default (runs/<spec name>, relative to the working directory).
 */
import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';

export class NoRunError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoRunError';
  }
}

export function defaultRunDir(spec: string): string {
  return join('runs', basename(spec).replace(/\.mohawk$/, ''));
}

export function chooseRunDir(spec: string | undefined, run: string | undefined): string {
  const dir = run ?? (spec !== undefined ? defaultRunDir(spec) : undefined);
  if (dir === undefined) throw new NoRunError('students are not available without a run: give --run DIR (made by mohawkc train) or a SPEC whose run is in runs/');
  if (!existsSync(resolve(dir)))
    throw new NoRunError(
      `students are not available without a run: ${resolve(dir)} does not exist (train one with 'mohawkc train${spec ? ` ${spec}` : ' SPEC'}' or give --run DIR)`,
    );
  return dir;
}
