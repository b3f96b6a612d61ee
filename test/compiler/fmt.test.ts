/**
 * The formatter: input/expected pairs (test/fixtures/fmt/<case>/), idempotence over every spec and fixture,
 * every comment kept, meaning kept (same IR up to source lines), broken specs refused.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileSource } from '../../compiler/compile.ts';
import { formatSpec } from '../../compiler/fmt/format.ts';
import type { MohawkIR } from '../../compiler/ir/types.ts';
import { parseSpec } from '../../grammar/parse.ts';
import { DATA_DIR, REPO_ROOT } from '../helpers/paths.ts';
import { readFixture } from './fixture-file.ts';

const FMT = resolve(REPO_ROOT, 'test', 'fixtures', 'fmt');
const CASES = readdirSync(FMT).sort();
const SPECS = readdirSync(resolve(REPO_ROOT, 'specs')).filter((f) => f.endsWith('.mohawk')).sort();
const DIAG = resolve(REPO_ROOT, 'test', 'fixtures', 'diagnostics');

const fmt = (text: string | Buffer) => formatSpec(text, 'x.mohawk').output;
const commentsOf = (text: string | Buffer) => parseSpec(text, 'x.mohawk').comments.map((c) => c.image.trimEnd());
const withoutLines = (ir: MohawkIR) => ({ ...ir, stages: ir.stages.map((s) => ({ ...s, source: { ...s.source, line: 0 } })) });

describe('formatter fixtures', () => {
  it('has input/expected pairs', () => expect(CASES.length).toBeGreaterThanOrEqual(8));
  for (const c of CASES) {
    it(c, () => {
      const input = readFileSync(resolve(FMT, c, 'input.mohawk'));
      const expected = readFileSync(resolve(FMT, c, 'expected.mohawk'), 'utf8');
      expect(fmt(input)).toBe(expected);
      expect(fmt(expected)).toBe(expected);
      if (c !== 'already-formatted') expect(input.toString('utf8')).not.toBe(expected);
      expect(commentsOf(expected)).toEqual(commentsOf(input));
    });
  }
});

describe('formatter properties', () => {
  it('is idempotent and keeps comments and meaning on every example spec', () => {
    for (const f of SPECS) {
      const text = readFileSync(resolve(REPO_ROOT, 'specs', f), 'utf8');
      const once = fmt(text)!;
      expect(once, f).toBe(text); // the examples are committed formatted
      expect(fmt(once)).toBe(once);
      const a = compileSource(text, `specs/${f}`, { dataDir: DATA_DIR, specDir: resolve(REPO_ROOT, 'specs') });
      expect(a.ir, f).toBeDefined();
    }
  });

  it('is idempotent, keeps every comment and keeps the diagnostics on every diagnostic fixture that parses', () => {
    let formatted = 0;
    for (const f of readdirSync(DIAG).filter((x) => x.endsWith('.mohawk'))) {
      const { body } = readFixture(resolve(DIAG, f));
      const once = fmt(body);
      if (once === undefined) continue;
      formatted++;
      expect(fmt(once), f).toBe(once);
      expect(commentsOf(once), f).toEqual(commentsOf(body));
      const opts = { dataDir: DATA_DIR, specDir: DIAG };
      const before = compileSource(body, f, opts);
      const after = compileSource(once, f, opts);
      expect(after.diagnostics.map((d) => d.code), f).toEqual(before.diagnostics.map((d) => d.code));
      if (before.ir) expect(withoutLines(after.ir!)).toEqual(withoutLines(before.ir));
    }
    expect(formatted).toBeGreaterThan(60);
  });

  it('keeps the meaning of a messy spec: same IR as its formatted form', () => {
    const input = readFileSync(resolve(FMT, 'values-canonical', 'input.mohawk'));
    const opts = { dataDir: DATA_DIR, specDir: resolve(FMT, 'values-canonical') };
    const a = compileSource(input, 'x.mohawk', opts);
    const b = compileSource(fmt(input)!, 'x.mohawk', opts);
    expect(a.diagnostics).toEqual([]);
    expect(withoutLines(b.ir!)).toEqual(withoutLines(a.ir!));
    expect(a.ir!.student.layers[2]).toEqual({ index: 2, kind: 'attention', frozen: true });
    expect(a.ir!.stages.map((s) => s.layers)).toEqual([[0, 1], [0, 1, 3], [0, 1, 3, 4]]);
  });

  it('refuses a spec with syntax errors', () => {
    const r = formatSpec('mohawk 0.1\nteacher t {\n  a = [1, 2\n}\n', 'x.mohawk');
    expect(r.output).toBeUndefined();
    expect(r.problems.map((p) => p.code)).toContain('MHK0003');
  });
});
