/**
 * The GPU quality harness applies recipe changes to a generated reference program without the compiler
 * (bench/quality/device/changes.ts). Its results are reported as the specs that reproduce them
 * (docs/quality.md §3), so the changed program must be the program the compiler makes from that spec: the
 * plan-5 line `ours-44m` and the plan-2 lines `cA-11m` and `s-cA` against specs/stories260k-44m.mohawk,
 * specs/stories260k-11m.mohawk and specs/stories260k.mohawk.
 * Checkpoint spacing is left out of the comparison: the harness keeps the base program's, a spec caps it at
 * the stage budget, and neither changes a trained weight.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { changedProgram, type Changes } from '../../bench/quality/device/changes.ts';
import { compileForBuild } from '../../compiler/emit/build.ts';
import type { StageIR } from '../../compiler/ir/types.ts';
import { PROGRAM as REF_123_11M } from '../../generated/ref-123-11m/program/run.ts';
import { PROGRAM as REF_123_2750K } from '../../generated/ref-123-2750k/program/run.ts';
import { PROGRAM as REF_123_44M } from '../../generated/ref-123-44m/program/run.ts';
import type { Program } from '../../runtime/program/types.ts';
import { REPO_ROOT } from '../helpers/paths.ts';
import { tempDir } from '../runtime/io/helpers.ts';

function recipe(stages: readonly StageIR[]) {
  return stages.map((s) => {
    const { source: _source, checkpointEvery: _every, ...rest } = s;
    return rest;
  });
}

function specIr(name: string) {
  const ir = compileForBuild(join(REPO_ROOT, 'specs', name), REPO_ROOT).ir;
  if (!ir) throw new Error(`specs/${name} does not compile`);
  return ir;
}

function changedIr(base: Program, changes: Changes, drop: string[]) {
  const p = changedProgram(base, changes, drop);
  return { student: p.student, data: p.data, teacher: p.teacher, stages: p.stages.map((s) => s.STAGE) };
}

describe('quality harness: recipe changes equal the spec that states them', () => {
  const ours = (alignTokens: number): Changes => ({ decayInit: 0.9, stages: { align: { tokens: alignTokens }, distil: { lr: 0.002 } } });

  it.each([
    ['stories260k-44m.mohawk', REF_123_44M, 12_000_000],
    ['stories260k-11m.mohawk', REF_123_11M, 3_000_000],
    ['stories260k.mohawk', REF_123_2750K, 750_000],
  ] as const)('%s', (spec, base, alignTokens) => {
    const want = specIr(spec);
    const got = changedIr(base, ours(alignTokens), ['orient']);
    expect(got.student).toEqual(want.student);
    expect(got.data).toEqual(want.data);
    expect(got.teacher).toEqual(want.teacher);
    expect(recipe(got.stages)).toEqual(recipe(want.stages));
    expect(want.student.decayInit).toBe(0.9);
    expect(want.stages.map((s) => s.lr)).toEqual([1e-3, 2e-3]);
  });

  it('a seed is the spec with every `seed` line changed', () => {
    const text = readFileSync(join(REPO_ROOT, 'specs', 'stories260k-11m.mohawk'), 'utf8');
    const seeded = text.replace(/^(\s*seed\s*=\s*)0$/gm, '$11');
    expect(seeded.match(/seed\s*=\s*1$/gm)).toHaveLength(2);
    const path = join(tempDir('mohawk-seed-'), 'stories260k-11m-seed1.mohawk');
    writeFileSync(path, seeded);
    const want = compileForBuild(path, REPO_ROOT).ir;
    if (!want) throw new Error('the seeded spec does not compile');
    const got = changedIr(REF_123_11M, { ...ours(3_000_000), seed: 1 }, ['orient']);
    expect(got.data).toEqual(want.data);
    expect(recipe(got.stages)).toEqual(recipe(want.stages));
    expect(got.stages.map((s) => s.seed)).toEqual([1, 1]);
  });

  it('refuses a change to a stage the run does not have', () => {
    expect(() => changedProgram(REF_123_11M, { stages: { orient: { lr: 1 } } }, ['orient'])).toThrow(/does not have/);
  });

  it("sets every stage's checkpoint spacing, and nothing else", () => {
    const p = changedProgram(REF_123_11M, { checkpointEvery: 262_144 }, []);
    expect(p.stages.map((s) => s.STAGE.checkpointEvery)).toEqual([262_144, 262_144, 262_144]);
    expect(recipe(p.stages.map((s) => s.STAGE))).toEqual(recipe(REF_123_11M.stages.map((s) => s.STAGE)));
  });

  it('takes the micro-batch from the command, never above the step', () => {
    const p = changedProgram(REF_123_2750K, { stages: { distil: { batch: 32 } } }, [], 64);
    expect(p.stages.map((s) => s.STAGE.microBatch)).toEqual([64, 64, 32]);
    expect(p.stages[2].STAGE.batchTokens).toBe(32 * 256);
  });
});
