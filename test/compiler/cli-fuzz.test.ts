/**
 * The real binary on broken input: seeded mutations of the example specs (and raw noise) written to files and
 * checked through `mohawkc` in child processes — 20 single-file runs in a pool of two, plus one run over
 * 300 files with --format json and one `fmt --check` over the same files. Every run exits 0, 1 or 2, and
 * stderr never shows a stack trace or an internal error.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/paths.ts';
import { looksLikeCrash, runCli, runPool } from './run-cli.ts';

const SPECS = resolve(REPO_ROOT, 'specs');
const CORPUS = readdirSync(SPECS)
  .filter((f) => f.endsWith('.mohawk'))
  .sort()
  .map((f) => Buffer.from(readFileSync(resolve(SPECS, f))));

/** Deterministic mutants: each a spec with a few bytes or byte ranges deleted, duplicated or randomised. */
function mutants(n: number, seed: number): Buffer[] {
  const edit = fc.record({ at: fc.nat(), len: fc.integer({ min: 0, max: 12 }), kind: fc.constantFrom('delete', 'duplicate', 'random', 'truncate'), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) });
  const arb = fc.tuple(fc.nat({ max: CORPUS.length - 1 }), fc.array(edit, { minLength: 1, maxLength: 3 }));
  return fc.sample(arb, { numRuns: n, seed }).map(([k, edits]) => {
    let b = CORPUS[k];
    for (const e of edits) {
      const i = e.at % (b.length + 1);
      if (e.kind === 'delete') b = Buffer.concat([b.subarray(0, i), b.subarray(i + e.len)]);
      else if (e.kind === 'duplicate') b = Buffer.concat([b.subarray(0, i + e.len), b.subarray(i)]);
      else if (e.kind === 'random') b = Buffer.concat([b.subarray(0, i), Buffer.from(e.bytes), b.subarray(i + e.bytes.length)]);
      else b = b.subarray(0, i);
    }
    return b;
  });
}

describe('mohawkc on broken input (subprocesses)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mohawk-cli-fuzz-'));
  // The folder sits outside the repository; `./teachers/...` paths then point nowhere (exit 2 cases too).
  const files = mutants(300, 7).map((b, i) => {
    const f = join(dir, `m${String(i).padStart(3, '0')}.mohawk`);
    writeFileSync(f, b);
    return f;
  });

  it('single-file runs exit 0/1/2 without a stack trace', async () => {
    const results = await runPool(files.slice(0, 20), 2, (f) => runCli(['check', f]));
    for (const r of results) {
      expect([0, 1, 2]).toContain(r.code);
      expect(looksLikeCrash(r.stderr), r.stderr).toBe(false);
      if (r.code !== 0) expect(r.stdout).toMatch(/error\[MHK\d{4}\]/);
    }
    // Each child pays tsx's start-up; on a loaded two-core machine that is seconds per run.
  }, 400_000);

  it('a run over 300 mutated files reports a coded diagnostic for every failing file', async () => {
    const r = await runCli(['check', '--format', 'json', ...files]);
    expect([0, 1, 2]).toContain(r.code);
    expect(looksLikeCrash(r.stderr), r.stderr).toBe(false);
    const out = JSON.parse(r.stdout) as { files: { file: string; exitCode: number; diagnostics: { code: string; severity: string }[] }[]; exitCode: number };
    expect(out.files).toHaveLength(files.length);
    for (const f of out.files) {
      expect([0, 1, 2]).toContain(f.exitCode);
      if (f.exitCode !== 0) expect(f.diagnostics.some((d) => d.severity === 'error' && /^MHK\d{4}$/.test(d.code))).toBe(true);
    }
    expect(out.exitCode).toBe(Math.max(...out.files.map((f) => f.exitCode)));
    expect(r.code).toBe(out.exitCode);
    // The mutants must exercise more than one outcome to mean anything.
    expect(new Set(out.files.map((f) => f.exitCode)).size).toBeGreaterThan(1);
  });

  it('fmt --check over the same files exits 0/1 without a stack trace', async () => {
    const r = await runCli(['fmt', '--check', ...files]);
    expect([0, 1]).toContain(r.code);
    expect(looksLikeCrash(r.stderr), r.stderr).toBe(false);
  });
});
