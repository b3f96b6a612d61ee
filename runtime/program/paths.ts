/**
 * Paths as a spec writes them: `./x` and `../x` relative to the spec's folder, absolute paths as they are,
 * anything else relative to the data directory (runtime/io/data-dir.ts), as the checker resolved them.
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { DataNotFoundError, resolveDataPath } from '../io/data-dir.ts';

export function resolveProgramPath(p: string, spec: string, root: string, dataDir?: string): string {
  if (p.startsWith('./') || p.startsWith('../')) {
    const abs = resolve(root, dirname(spec), p);
    if (!existsSync(abs)) throw new DataNotFoundError(`${abs} (${p}, relative to ${spec}) does not exist`, []);
    return abs;
  }
  if (isAbsolute(p)) return resolveDataPath(p);
  return resolveDataPath(p, { data: dataDir });
}
