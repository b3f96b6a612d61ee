/**
 * `mohawkc build` end to end on the real specs: two builds give byte-identical trees (and the second writes
 * nothing); the committed generated/ is what build would write; a d_state change in a spec's source changes
 * exactly the expected generated lines; spec errors and stale files are reported.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileForBuild, contribution, planBuild } from '../../../compiler/emit/build.ts';
import { applyTree, describeDifferences } from '../../../compiler/emit/tree.ts';
import { REPO_ROOT } from '../../helpers/paths.ts';

const SPECS = readdirSync(join(REPO_ROOT, 'specs')).filter((f) => f.endsWith('.mohawk')).map((f) => join(REPO_ROOT, 'specs', f));
// Inside the checkout (git-ignored .cache), so generated programs resolve the repository's runtime and packages.
const scratch = mkdtempSync(join(REPO_ROOT, '.cache', 'build-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function listTree(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(relative(dir, p), readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

const mohawkc = (args: string[], cwd = REPO_ROOT) =>
  spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'mohawkc.mjs'), ...args], { cwd, encoding: 'utf8' });

describe('mohawkc build', () => {
  it('builds every spec twice into byte-identical trees; the second build writes nothing', () => {
    const out = join(scratch, 'twice', 'generated');
    mkdirSync(out, { recursive: true });
    const first = mohawkc(['build', ...SPECS, '--out', out, '--json']);
    expect(first.status, first.stderr).toBe(0);
    const a = listTree(out);
    const second = mohawkc(['build', ...SPECS, '--out', out, '--json']);
    expect(second.status, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout).written).toEqual([]);
    const b = listTree(out);
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [p, bytes] of a) expect(b.get(p)!.equals(bytes), p).toBe(true);
    // Every spec has a program; the kernels of every spec are there.
    for (const s of SPECS) expect(a.has(join(s.split('/').pop()!.replace('.mohawk', ''), 'program', 'run.ts'))).toBe(true);
    expect(a.has(join('kernels', 'dispatch.ts'))).toBe(true);
    expect(mohawkc(['build', ...SPECS, '--out', out, '--check']).status).toBe(0);
  });

  it('--check passes on the committed generated/ tree', () => {
    const r = mohawkc(['build', ...SPECS, '--check']);
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });

  it('--check lists an edited and a missing file and exits 1; build restores them', () => {
    const out = join(scratch, 'check', 'generated');
    mkdirSync(out, { recursive: true });
    const spec = SPECS.find((s) => s.endsWith('ci-tiny.mohawk'))!;
    expect(mohawkc(['build', spec, '--out', out]).status).toBe(0);
    writeFileSync(join(out, 'ci-tiny', 'program', 'model.ts'), '// edited\n');
    rmSync(join(out, 'ci-tiny', 'ir.json'));
    const r = mohawkc(['build', spec, '--out', out, '--check']);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/changed: .*ci-tiny\/program\/model\.ts/);
    expect(r.stdout).toMatch(/missing: .*ci-tiny\/ir\.json/);
    expect(mohawkc(['build', spec, '--out', out]).status).toBe(0);
    expect(mohawkc(['build', spec, '--out', out, '--check']).status).toBe(0);
  });

  it('a spec with errors: rendered diagnostics, exit 1, nothing written', () => {
    const dir = join(scratch, 'bad');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'bad.mohawk'), 'mohawk 0.1\nteacher t { checkpoint = "stories260K/stories260K.bin", tokenizer = "stories260K/tok512.bin", layers = 7 }\n');
    const r = mohawkc(['build', 'bad.mohawk', '--out', 'generated'], dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/error\[MHK\d{4}\]/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(dir, 'generated'))).toBe(false);
  });

  it('usage errors exit 2', () => {
    expect(mohawkc(['build']).status).toBe(2);
    expect(mohawkc(['build', SPECS[0], '--chek']).stderr).toMatch(/did you mean '--check'/);
  });
});

describe('a d_state change in the spec source', () => {
  // The llamba recipe with init = random (from_attention ties d_state to the teacher's head_dim).
  const base = readFileSync(join(REPO_ROOT, 'specs', 'stories260k-llamba.mohawk'), 'utf8').replace(/init\s*=\s*from_attention/, 'init = random');
  const files = (dState: number) => {
    const dir = join(scratch, `dstate${dState}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'llamba.mohawk'), base.replace(/d_state: 8/, `d_state: ${dState}`));
    const c = compileForBuild(join(dir, 'llamba.mohawk'), dir);
    expect(c.result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    return { c, files: new Map(contribution(c, join(dir, 'generated')).files.map((f) => [f.path, f.content])), dir };
  };

  it('changes exactly the mixer line, the kernel keys and the IR lines that hold them', () => {
    const a = files(8);
    const b = files(16);
    expect([...b.files.keys()]).toEqual([...a.files.keys()]);
    const changed = (p: string) => {
      const al = a.files.get(p)!.split('\n');
      const bl = b.files.get(p)!.split('\n');
      expect(bl.length).toBe(al.length);
      return al.flatMap((l, i) => (l === bl[i] ? [] : [[l.trim(), bl[i].trim()]]));
    };
    // The IR lists kernel variants sorted by key.
    const kernels = ['ssd_bwd', 'ssd_fwd', 'ssd_materialize', 'ssd_step'];
    const key = (k: string, n: number) => `${k}_discrete_n${n}_p8_h8_g8_q64_f32`;
    expect(changed('llamba/program/model.ts')).toEqual([['dState: 8,', 'dState: 16,'], ...kernels.map((k) => [`'${key(k, 8)}',`, `'${key(k, 16)}',`])]);
    // ir.json: the mixer of each of the 5 layers, and each kernel variant's key and n.
    const ir = changed('llamba/ir.json');
    expect(ir.filter(([x]) => x === '"dState": 8,').length).toBe(5);
    expect(ir.filter(([x, y]) => x === '"dState": 8,' && y === '"dState": 16,').length).toBe(5);
    expect(ir.filter(([x]) => x.startsWith('"key"'))).toEqual(kernels.map((k) => [`"key": "${key(k, 8)}",`, `"key": "${key(k, 16)}",`]));
    expect(ir.filter(([x]) => x.startsWith('"n"'))).toEqual(kernels.map(() => ['"n": 8,', '"n": 16,']));
    expect(ir.length).toBe(5 + 8);
    for (const p of a.files.keys()) if (p.includes('/stage') || p.endsWith('run.ts')) expect(b.files.get(p)).toBe(a.files.get(p));
  });

  it('in the whole tree: adds the new kernel files, keeps the others, and --check sees the spec edit', () => {
    const a = files(8);
    const out = join(a.dir, 'generated');
    applyTree(planBuild(out, [a.c]));
    const before = listTree(out);
    writeFileSync(join(a.dir, 'llamba.mohawk'), base.replace(/d_state: 8/, 'd_state: 16'));
    const c16 = compileForBuild(join(a.dir, 'llamba.mohawk'), a.dir);
    const plan = planBuild(out, [c16]);
    const diffs = describeDifferences(plan);
    expect(diffs.some((d) => d.endsWith('llamba/program/model.ts'))).toBe(true);
    applyTree(plan);
    const after = listTree(out);
    const added = [...after.keys()].filter((p) => !before.has(p));
    expect(added.length).toBeGreaterThan(0);
    expect(added.every((p) => p.startsWith('kernels/') && /_n16_/.test(p))).toBe(true);
    const removed = [...before.keys()].filter((p) => !after.has(p));
    expect(removed).toEqual([]); // the n8 variants stay: they are default (benchmark) shapes
  });
});
