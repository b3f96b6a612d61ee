/**
 * Where data files live. Specs and flags name data files relative to a data directory, chosen as:
 *   1. `--data DIR` (explicit: only that directory is used),
 *   2. else `$MOHAWK_DATA` (explicit likewise),
 *   3. else `../shared/data` beside the repository checkout (the project's shared files), if it exists,
 *   4. else the user cache `$XDG_CACHE_HOME/mohawk/data` (default `~/.cache/mohawk/data`), where
 *      `mohawkc data download` puts the files.
 * A missing file is a DataNotFoundError that lists every place looked and how to get the files.
 */
import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export type DataDirSource = 'option' | 'env' | 'shared' | 'user-cache';

export interface DataDirOptions {
  /** The `--data DIR` flag. */
  data?: string;
  /** Defaults to process.env (MOHAWK_DATA, XDG_CACHE_HOME). */
  env?: Record<string, string | undefined>;
  /** Defaults to the checkout this file is in. */
  repoRoot?: string;
  /** Defaults to os.homedir(). */
  home?: string;
}

export interface DataDirChoice {
  dir: string;
  source: DataDirSource;
}

/** A data file or directory that is not where it should be; the message says where we looked. */
export class DataNotFoundError extends Error {
  constructor(message: string, readonly looked: DataDirChoice[]) {
    super(message);
    this.name = 'DataNotFoundError';
  }
}

export function userCacheDataDir(opts: DataDirOptions = {}): string {
  const env = opts.env ?? process.env;
  const base = env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : join(opts.home ?? homedir(), '.cache');
  return join(base, 'mohawk', 'data');
}

export function sharedDataDir(opts: DataDirOptions = {}): string {
  return resolve(opts.repoRoot ?? REPO_ROOT, '..', 'shared', 'data');
}

/** The directories to search, in order (one when the choice is explicit). */
export function dataDirCandidates(opts: DataDirOptions = {}): DataDirChoice[] {
  const env = opts.env ?? process.env;
  if (opts.data !== undefined && opts.data !== '') return [{ dir: resolve(opts.data), source: 'option' }];
  if (env.MOHAWK_DATA) return [{ dir: resolve(env.MOHAWK_DATA), source: 'env' }];
  return [
    { dir: sharedDataDir(opts), source: 'shared' },
    { dir: userCacheDataDir(opts), source: 'user-cache' },
  ];
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The data directory: the explicit one (which must exist), else the first existing default, else the user
 * cache (which may not exist yet: `mohawkc data download` creates it).
 */
export function resolveDataDir(opts: DataDirOptions = {}): DataDirChoice {
  const c = dataDirCandidates(opts);
  if (c.length === 1) {
    if (!isDir(c[0].dir)) {
      const how = c[0].source === 'option' ? '--data' : '$MOHAWK_DATA';
      throw new DataNotFoundError(`data directory ${c[0].dir} (from ${how}) does not exist; create it with 'mohawkc data download --dir ${c[0].dir}'`, c);
    }
    return c[0];
  }
  return c.find((x) => isDir(x.dir)) ?? c[c.length - 1];
}

const SOURCE_LABEL: Record<DataDirSource, string> = {
  option: '--data',
  env: '$MOHAWK_DATA',
  shared: 'shared data beside the checkout',
  'user-cache': 'user cache',
};

/** Absolute path of a data file named relative to the data directory (absolute paths pass through). */
export function resolveDataPath(rel: string, opts: DataDirOptions = {}): string {
  if (isAbsolute(rel)) {
    if (existsSync(rel)) return rel;
    throw new DataNotFoundError(`data file ${rel} does not exist`, []);
  }
  const c = dataDirCandidates(opts);
  for (const x of c) {
    const p = join(x.dir, rel);
    if (existsSync(p)) return p;
  }
  const where = c.map((x) => `${join(x.dir, rel)} (${SOURCE_LABEL[x.source]})`).join(', ');
  throw new DataNotFoundError(
    `data file '${rel}' not found; looked in ${where}. Run 'mohawkc data download' to fetch the standard files, or pass --data DIR`,
    c,
  );
}
