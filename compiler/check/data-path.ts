/**
 * Where spec paths point. `./x` and `../x` are relative to the spec's folder; absolute paths are taken as they
 * are; anything else is relative to the data directory, chosen by runtime/io/data-dir.ts (--data DIR, else
 * $MOHAWK_DATA, else ../shared/data beside the checkout, else the user cache), so the checker and the
 * runtime agree on every file.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { dataDirCandidates } from '../../runtime/io/data-dir.ts';

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
  const tried = dataDirCandidates({ data: dataDir }).map((d) => join(d.dir, p));
  const hit = tried.find((t) => existsSync(t));
  return { path: hit ?? tried[0], exists: hit !== undefined, tried };
}

/**
 * How a looked-up path appears in a diagnostic: relative to the working directory when it is near it
 * (`../shared/data/...`), absolute otherwise. Keeps messages short and the same on every checkout.
 */
export function displayPath(p: string): string {
  const rel = relative(process.cwd(), p);
  return rel === '' || isAbsolute(rel) || rel.startsWith(`..${sep}..${sep}`) ? p : rel;
}
