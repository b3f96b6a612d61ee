import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dataDirCandidates, resolveDataDir, resolveDataPath } from '../../../runtime/io/data-dir.ts';
import { tempDir } from './helpers.ts';

const root = tempDir('mohawk-dd-');
// A fake layout: <root>/repo (checkout), <root>/shared/data, <root>/home, <root>/explicit.
const repo = join(root, 'repo');
const shared = join(root, 'shared', 'data');
const home = join(root, 'home');
const explicit = join(root, 'explicit');
for (const d of [repo, shared, home, explicit]) mkdirSync(d, { recursive: true });
mkdirSync(join(shared, 'stories260K'));
writeFileSync(join(shared, 'stories260K', 'tok512.bin'), 'x');
writeFileSync(join(explicit, 'only-here.txt'), 'x');
const base = { repoRoot: repo, home, env: {} as Record<string, string | undefined> };

describe('data directory resolution', () => {
  it('order: --data, then $MOHAWK_DATA, then ../shared/data, then the user cache', () => {
    expect(dataDirCandidates({ ...base, data: explicit, env: { MOHAWK_DATA: shared } })).toEqual([{ dir: explicit, source: 'option' }]);
    expect(dataDirCandidates({ ...base, env: { MOHAWK_DATA: explicit } })).toEqual([{ dir: explicit, source: 'env' }]);
    expect(dataDirCandidates(base)).toEqual([
      { dir: shared, source: 'shared' },
      { dir: join(home, '.cache', 'mohawk', 'data'), source: 'user-cache' },
    ]);
    expect(dataDirCandidates({ ...base, env: { XDG_CACHE_HOME: join(root, 'xdg') } })[1].dir).toBe(join(root, 'xdg', 'mohawk', 'data'));
    expect(resolveDataDir(base)).toEqual({ dir: shared, source: 'shared' });
    expect(resolveDataDir({ ...base, repoRoot: join(root, 'elsewhere', 'repo') }).source).toBe('user-cache');
  });

  it('resolves files; a missing file lists where it looked and suggests mohawkc data download', () => {
    expect(resolveDataPath('stories260K/tok512.bin', base)).toBe(join(shared, 'stories260K', 'tok512.bin'));
    expect(resolveDataPath('only-here.txt', { ...base, data: explicit })).toBe(join(explicit, 'only-here.txt'));
    let err: Error | undefined;
    try {
      resolveDataPath('tinystories/valid.txt', base);
    } catch (e) {
      err = e as Error;
    }
    expect(err?.name).toBe('DataNotFoundError');
    expect(err?.message).toBe(
      `data file 'tinystories/valid.txt' not found; looked in ${join(shared, 'tinystories/valid.txt')} (shared data beside the checkout), ` +
        `${join(home, '.cache/mohawk/data/tinystories/valid.txt')} (user cache). Run 'mohawkc data download' to fetch the standard files, or pass --data DIR`,
    );
    // An explicit directory is authoritative: no fallback to the shared files.
    expect(() => resolveDataPath('stories260K/tok512.bin', { ...base, data: explicit })).toThrow(/looked in .*explicit\/stories260K\/tok512\.bin \(--data\)\. Run/);
    expect(() => resolveDataDir({ ...base, data: join(root, 'nope') })).toThrow(/data directory .*nope \(from --data\) does not exist/);
    expect(() => resolveDataDir({ ...base, env: { MOHAWK_DATA: join(root, 'nope') } })).toThrow(/\(from \$MOHAWK_DATA\) does not exist/);
  });
});
