/** The language verbs through the real binary: check, explain, ir and fmt, their exit codes and outputs. */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CODES } from '../../compiler/diagnostics/codes.ts';
import { irHash } from '../../compiler/ir/canonical.ts';
import type { MohawkIR } from '../../compiler/ir/types.ts';
import { validateIr } from '../../compiler/ir/validate.ts';
import { REPO_ROOT } from '../helpers/paths.ts';
import { looksLikeCrash, runCli } from './run-cli.ts';

const SPECS = ['specs/ci-tiny.mohawk', 'specs/phi-1_5-shapes.mohawk', 'specs/stories260k-hybrid.mohawk', 'specs/stories260k-llamba.mohawk'];

describe('mohawkc check', () => {
  it('passes every example spec (exit 0)', async () => {
    const r = await runCli(['check', ...SPECS]);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('ok: 4 specs checked');
    expect(r.code).toBe(0);
  });

  it('reports a wrong declared layer count against the stories260K header, pointing at both places (exit 1)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mohawk-check-'));
    const spec = join(dir, 'wrong-layers.mohawk');
    writeFileSync(spec, readFileSync(resolve(REPO_ROOT, 'specs/stories260k-llamba.mohawk'), 'utf8').replace(/layers {5}= 5/, 'layers     = 7'));
    const r = await runCli(['check', spec]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('error[MHK0801]: teacher `stories260k` declares `layers = 7` but its checkpoint header says 5');
    expect(r.stdout).toMatch(/wrong-layers\.mohawk:10:16/);
    // Both spans: the declaration (primary, ^) and the checkpoint path (secondary, -) with the header's field.
    expect(r.stdout).toMatch(/\^ declared here/);
    expect(r.stdout).toMatch(/-{29} header: n_layers = 5/);
    const json = await runCli(['check', '--format', 'json', spec]);
    const out = JSON.parse(json.stdout);
    const d = out.files[0].diagnostics[0];
    expect(d.code).toBe('MHK0801');
    expect(d.primary.start).toMatchObject({ line: 10, column: 16 });
    expect(d.secondary[0].start).toMatchObject({ line: 8, column: 16 });
    expect(d.secondary[0].message).toBe('header: n_layers = 5');
    expect(out.exitCode).toBe(1);
    expect(json.code).toBe(1);
  });

  it('exits 2 for a missing spec, and for usage errors, without a stack trace', async () => {
    const missing = await runCli(['check', 'specs/nope.mohawk']);
    expect(missing.code).toBe(2);
    expect(missing.stdout).toContain('error[MHK0902]: cannot read the spec `specs/nope.mohawk`: no such file');
    const none = await runCli(['check']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('error: no spec given');
    const typo = await runCli(['check', '--formt', 'json', SPECS[0]]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("unknown option '--formt' (did you mean '--format'?)");
    const badFormat = await runCli(['check', '--format', 'yaml', SPECS[0]]);
    expect(badFormat.code).toBe(2);
    for (const r of [missing, none, typo, badFormat]) expect(looksLikeCrash(r.stderr)).toBe(false);
  });
});

describe('mohawkc explain', () => {
  it('prints the long explanation, accepting short forms', async () => {
    const r = await runCli(['explain', '404']);
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith('MHK0404 (error): layout length ≠ teacher layers\n\n')).toBe(true);
    expect(r.stdout).toContain(CODES.MHK0404.explanation);
    const json = JSON.parse((await runCli(['explain', 'mhk0901', '--json'])).stdout);
    expect(json).toMatchObject({ code: 'MHK0901', severity: 'error', exitCode: 2 });
  });

  it('lists every code, and refuses unknown ones with a suggestion (exit 2)', async () => {
    const list = JSON.parse((await runCli(['explain', '--list', '--json'])).stdout);
    expect(list.map((c: { code: string }) => c.code)).toEqual(Object.keys(CODES));
    const bad = await runCli(['explain', 'MHK0414']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown diagnostic code 'MHK0414' \(did you mean MHK04\d\d\?\)/);
  });
});

describe('mohawkc ir', () => {
  it('prints canonical IR JSON with schemaVersion and a content hash that matches, valid against the schema', async () => {
    const r = await runCli(['ir', 'specs/ci-tiny.mohawk']);
    expect(r.code).toBe(0);
    const ir = JSON.parse(r.stdout) as MohawkIR;
    expect(Object.keys(ir).slice(0, 4)).toEqual(['schemaVersion', 'edition', 'spec', 'hash']);
    expect(ir.schemaVersion).toBe(1);
    expect(ir.spec).toBe('specs/ci-tiny.mohawk');
    expect(ir.hash).toBe(irHash(ir));
    expect(validateIr(ir)).toEqual([]);
    // Printing is deterministic: a second run gives the same bytes.
    expect((await runCli(['ir', 'specs/ci-tiny.mohawk'])).stdout).toBe(r.stdout);
  });

  it('prints diagnostics instead of IR for a bad spec (exit 1)', async () => {
    const r = await runCli(['ir', 'test/fixtures/diagnostics/MHK0404-layout-length.mohawk']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('error[MHK0404]');
  });
});

describe('mohawkc fmt', () => {
  it('--check passes on the example specs, fails on an unformatted copy, --write fixes it', async () => {
    expect((await runCli(['fmt', '--check', ...SPECS])).code).toBe(0);
    const dir = mkdtempSync(join(tmpdir(), 'mohawk-fmt-'));
    const spec = join(dir, 'x.mohawk');
    copyFileSync(resolve(REPO_ROOT, 'test/fixtures/fmt/alignment/input.mohawk'), spec);
    const check = await runCli(['fmt', '--check', spec]);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain('x.mohawk: not formatted');
    expect((await runCli(['fmt', '--write', spec])).code).toBe(0);
    expect(readFileSync(spec, 'utf8')).toBe(readFileSync(resolve(REPO_ROOT, 'test/fixtures/fmt/alignment/expected.mohawk'), 'utf8'));
    expect((await runCli(['fmt', '--check', spec])).code).toBe(0);
  });

  it('refuses to format a spec with syntax errors (exit 1) and prints it otherwise', async () => {
    const broken = await runCli(['fmt', 'test/fixtures/diagnostics/MHK0011-unexpected-eof.mohawk']);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain('error[MHK0011]');
    const ok = await runCli(['fmt', 'specs/ci-tiny.mohawk']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe(readFileSync(resolve(REPO_ROOT, 'specs/ci-tiny.mohawk'), 'utf8'));
  });
});
