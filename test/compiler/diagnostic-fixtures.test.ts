/**
 * Every bad spec in test/fixtures/diagnostics reports exactly the diagnostics its author expected (code and
 * line:column of the primary span, in order), renders as blessed, and the fixtures together cover every code.
 */
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileSource, compileSpecFile } from '../../compiler/compile.ts';
import { CODES, type Code } from '../../compiler/diagnostics/codes.ts';
import { renderDiagnostic } from '../../compiler/diagnostics/render-text.ts';
import { MAX_SPEC_BYTES } from '../../grammar/parse.ts';
import { DATA_DIR, REPO_ROOT } from '../helpers/paths.ts';
import { readFixture, writeRendered } from './fixture-file.ts';

const DIR = resolve(REPO_ROOT, 'test', 'fixtures', 'diagnostics');
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.mohawk')).sort();
const covered = new Set<string>();

function position(source: { position(o: number): { line: number; column: number } } | undefined, offset: number | undefined): string {
  if (!source || offset === undefined) return '0:0';
  const p = source.position(offset);
  return `${p.line}:${p.column}`;
}

describe('diagnostic fixtures', () => {
  it('has at least 40 bad specs', () => {
    expect(FILES.length).toBeGreaterThanOrEqual(40);
  });

  for (const name of FILES) {
    it(name, () => {
      const path = resolve(DIR, name);
      const fx = readFixture(path);
      expect(fx.expected.length, 'fixture lists its expected diagnostics').toBeGreaterThan(0);
      const r = compileSource(fx.body, `test/fixtures/diagnostics/${name}`, { dataDir: DATA_DIR, specDir: DIR });
      const got = r.diagnostics.map((d) => `${d.code} @ ${position(r.source, d.primary?.span.start)}`);
      expect(got).toEqual(fx.expected);
      // The file name announces the code the fixture is about.
      expect(fx.expected.map((e) => e.slice(0, 7))).toContain(name.slice(0, 7));
      for (const d of r.diagnostics) {
        covered.add(d.code);
        expect(d.message.length).toBeGreaterThan(10);
        expect(CODES[d.code].severity).toBe(d.severity);
      }
      const errors = r.diagnostics.filter((d) => d.severity === 'error');
      expect(r.exitCode).toBe(errors.length === 0 ? 0 : errors.some((d) => 'io' in CODES[d.code]) ? 2 : 1);
      if (errors.length) expect(r.ir).toBeUndefined();
      else expect(r.ir).toBeDefined();
      const rendered = r.diagnostics.map((d) => renderDiagnostic(d, r.source)).join('\n\n');
      if (process.env.UPDATE_FIXTURES || fx.rendered === undefined) writeRendered(path, fx, rendered);
      else expect(rendered).toBe(fx.rendered);
    });
  }

  it('covers the whole-file codes that cannot live in a fixture file', () => {
    const huge = compileSource('mohawk 0.1\n' + '// padding\n'.repeat(MAX_SPEC_BYTES / 10), 'huge.mohawk');
    expect(huge.diagnostics.map((d) => d.code)).toEqual(['MHK0010']);
    expect(huge.exitCode).toBe(1);
    const missing = compileSpecFile(resolve(DIR, 'no-such-spec.mohawk'));
    expect(missing.diagnostics.map((d) => d.code)).toEqual(['MHK0902']);
    expect(missing.exitCode).toBe(2);
    const dir = compileSpecFile(DIR);
    expect(dir.diagnostics.map((d) => d.code)).toEqual(['MHK0902']);
    ['MHK0010', 'MHK0902'].forEach((c) => covered.add(c));
  });

  it('covers every diagnostic code', () => {
    const missing = (Object.keys(CODES) as Code[]).filter((c) => !covered.has(c));
    expect(missing).toEqual([]);
  });
});
