/**
 * Where spec paths point. `./x` and `../x` are relative to the spec's folder; absolute paths are taken as they
 * are; anything else is relative to the data directory: --data DIR, else $MOHAWK_DATA, else ../shared/data
 * beside the repository, else ~/.cache/mohawk/data. Without --data or $MOHAWK_DATA, the first of the
 * remaining folders that holds the file wins.
 *
 * Kept in one small function so it can defer to runtime/io/data-dir.ts once that exists.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function dataDirCandidates(dataDir?: string): string[] {
  if (dataDir) return [resolve(dataDir)];
  if (process.env.MOHAWK_DATA) return [resolve(process.env.MOHAWK_DATA)];
  return [resolve(REPO_ROOT, '..', 'shared', 'data'), resolve(homedir(), '.cache', 'mohawk', 'data')];
}

export function isSpecRelative(p: string): boolean {
  return p.startsWith('./') || p.startsWith('../') || p === '.' || p === '..';
}

export interface ResolvedPath {
  /** The absolute path to use (the first candidate when the file exists nowhere). */
  path: string;
  exists: boolean;
  /** Every place looked at, for the "not found" message. */
  tried: string[];
}

export function resolveSpecPath(p: string, specDir: string, dataDir?: string): ResolvedPath {
  if (isSpecRelative(p) || isAbsolute(p)) {
    const abs = resolve(specDir, p);
    return { path: abs, exists: existsSync(abs), tried: [abs] };
  }
  const tried = dataDirCandidates(dataDir).map((d) => resolve(d, p));
  const hit = tried.find((t) => existsSync(t));
  return { path: hit ?? tried[0], exists: hit !== undefined, tried };
}
