import { mkdtempSync, readFileSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emitProgram } from '../../../compiler/emit/program.ts';
import { applyTree, describeDifferences, planTree, sha256 } from '../../../compiler/emit/tree.ts';
import type { MohawkIR } from '../../../compiler/ir/types.ts';
import { fixtureIr, fixtureMixer } from './fixture-ir.ts';

const canon = (ir: MohawkIR) => JSON.stringify(ir);

function diffLines(a: string, b: string): { removed: string[]; added: string[] } {
  const al = a.split('\n');
  const bl = b.split('\n');
  expect(al.length).toBe(bl.length); // the emitter's layout does not depend on the values
  const removed: string[] = [];
  const added: string[] = [];
  al.forEach((l, i) => {
    if (l !== bl[i]) {
      removed.push(l.trim());
      added.push(bl[i].trim());
    }
  });
  return { removed, added };
}

describe('program emitter', () => {
  it('is deterministic: two emissions are byte-identical', () => {
    expect(emitProgram(fixtureIr(), canon)).toEqual(emitProgram(fixtureIr(), canon));
  });

  it('banners every file with version, spec path and regenerate command, and no absolute path or time', () => {
    for (const f of emitProgram(fixtureIr(), canon)) {
      const head = f.path.endsWith('.json') ? JSON.parse(f.content)._generated.regenerate : f.content.split('\n').slice(0, 2).join('\n');
      expect(head).toContain('npx mohawkc build specs/fixture.mohawk');
      expect(f.content).not.toMatch(/\/work\/|\/home\/|\/tmp\//);
      expect(f.content).not.toMatch(/20\d\d-\d\d-\d\d/);
    }
  });

  it('changing d_state changes exactly the mixer line and the kernel variant names', () => {
    const a = new Map(emitProgram(fixtureIr(), canon).map((f) => [f.path, f.content]));
    const b = new Map(emitProgram(fixtureIr(fixtureMixer({ dState: 16 })), canon).map((f) => [f.path, f.content]));
    expect([...b.keys()]).toEqual([...a.keys()]);
    const model = diffLines(a.get('fixture/program/model.ts')!, b.get('fixture/program/model.ts')!);
    expect(model.removed).toEqual([
      'dState: 8,',
      "'ssd_fwd_discrete_n8_p8_h8_g8_q64_f32',",
      "'ssd_bwd_discrete_n8_p8_h8_g8_q64_f32',",
      "'ssd_step_discrete_n8_p8_h8_g8_q64_f32',",
      "'ssd_materialize_discrete_n8_p8_h8_g8_q64_f32',",
    ]);
    expect(model.added).toEqual([
      'dState: 16,',
      "'ssd_fwd_discrete_n16_p8_h8_g8_q64_f32',",
      "'ssd_bwd_discrete_n16_p8_h8_g8_q64_f32',",
      "'ssd_step_discrete_n16_p8_h8_g8_q64_f32',",
      "'ssd_materialize_discrete_n16_p8_h8_g8_q64_f32',",
    ]);
    for (const p of a.keys()) if (p.includes('/stage') || p.endsWith('run.ts')) expect(b.get(p)).toBe(a.get(p));
  });
});

describe('generated tree', () => {
  const files = emitProgram(fixtureIr(), canon);
  const contribution = { spec: 'specs/fixture.mohawk', record: { sha256: sha256('spec'), irHash: sha256('ir'), kernels: [] }, files };

  it('writes, then reports up to date; --check lists changed, missing and stale files', () => {
    const out = mkdtempSync(join(tmpdir(), 'gen-'));
    const plan = planTree(out, [contribution], () => []);
    expect(describeDifferences(plan).length).toBe(files.length);
    applyTree(plan);
    const again = planTree(out, [contribution], () => []);
    expect(describeDifferences(again)).toEqual([]);
    expect(again.manifestChanged).toBe(false);

    writeFileSync(join(out, 'fixture/program/run.ts'), '// edited by hand\n');
    const edited = planTree(out, [contribution], () => []);
    const diffs = describeDifferences(edited);
    expect(diffs.length).toBe(1);
    expect(diffs[0]).toMatch(/^changed: .*fixture\/program\/run\.ts$/);

    // A stage removed from the spec leaves a stale module, which build removes.
    const fewer = { ...contribution, files: files.filter((f) => !f.path.includes('stage3')) };
    const stalePlan = planTree(out, [fewer], () => []);
    expect(stalePlan.stale).toEqual(['fixture/program/stage3_distill.ts']);
    applyTree(stalePlan);
    expect(existsSync(join(out, 'fixture/program/stage3_distill.ts'))).toBe(false);
  });

  it('does not rewrite unchanged files and never deletes files it did not write', () => {
    const out = mkdtempSync(join(tmpdir(), 'gen-'));
    mkdirSync(join(out, 'notes'), { recursive: true });
    writeFileSync(join(out, 'notes/README'), 'mine');
    applyTree(planTree(out, [contribution], () => []));
    const plan = planTree(out, [contribution], () => []);
    expect(plan.write).toEqual([]);
    expect(plan.unknown).toEqual(['notes/README']);
    applyTree(plan);
    expect(readFileSync(join(out, 'notes/README'), 'utf8')).toBe('mine');
  });
});
