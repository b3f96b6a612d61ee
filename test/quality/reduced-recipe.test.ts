/**
 * Quality regression guard (issue #9, docs/quality.md §5): the smallest reference recipe,
 * specs/ref-123-2750k.mohawk, at 1/16 of its budget in batches of 16 × 256 tokens instead of 64 × 256 (so each
 * stage still takes 4 / 8 / 32 steps), every other value unchanged (AdamW, WSD, lr 1e-3 / 1e-3 / 5e-4, init
 * from attention) — trained by `mohawkc train` on the real stories260K teacher and scored on the first 200
 * paragraphs of valid.txt.
 *
 * Training is deterministic (seeded init and data streams; results equal to 7 digits across worker counts,
 * docs/performance.md), so the student's NLL on this machine is one number; the bound is that number plus a
 * margin for other CPUs' float rounding. A bug in a stage, the init, the data or the losses moves it by far more
 * (the same budget without stages 1–2 scores ~0.5 nats worse, docs/results.md).
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/paths.ts';
import { scratchProject, trainJson, writeSpec } from '../e2e/helpers.ts';

/**
 * Measured on the 2-core development machine (wasm, 2 workers) on 2026-11-29:
 * `npx vitest run test/quality/reduced-recipe.test.ts` printed student 3.26536, teacher 1.43881. For scale: the
 * untrained student scores 8.88 on these paragraphs and stage 3 alone 2.80 after 87K tokens of ci-tiny's many
 * small steps (docs/results.md). The margin covers float rounding on other CPUs, not behaviour changes.
 */
const MEASURED = { student: 3.26536, teacher: 1.43881 };
const MARGIN = 0.02;

const dir = scratchProject('quality');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The reference spec with its three budgets cut to 4, 8 and 32 steps of 16 × 256 tokens. */
export function reducedSpec(): string {
  const text = readFileSync(join(REPO_ROOT, 'specs', 'ref-123-2750k.mohawk'), 'utf8');
  const budgets: [string, string][] = [
    ['tokens = 250K', 'tokens = 16384'],
    ['tokens = 500K', 'tokens = 32768'],
    ['tokens = 2M', 'tokens = 131072'],
    ['batch     = 64', 'batch     = 16'],
  ];
  let out = text;
  for (const [from, to] of budgets) {
    if (!out.includes(from)) throw new Error(`specs/ref-123-2750k.mohawk no longer has '${from}'; update this test`);
    out = out.replace(from, to);
  }
  return out;
}

describe('quality: the reference recipe at a reduced budget', () => {
  it('scores within the measured bound on 200 valid paragraphs', async () => {
    const spec = writeSpec(dir, 'ref-123-reduced.mohawk', reducedSpec());
    const r = await trainJson(dir, spec, 'runs/reduced', ['--eval-max', '200']);
    expect(r.code, r.stderr).toBe(0);
    const e = r.result!.eval!;
    expect(r.result!.stages.map((s) => s.tokens)).toEqual([16384, 32768, 131072]);
    expect(e.sequences).toBe(200);
    console.log(`reduced ref recipe, 200 paragraphs: student ${e.student.meanNll.toFixed(5)}, teacher ${e.teacher!.meanNll.toFixed(5)}`);
    expect(e.teacher!.meanNll).toBeCloseTo(MEASURED.teacher, 4);
    expect(e.student.meanNll).toBeGreaterThan(e.teacher!.meanNll);
    expect(e.student.meanNll).toBeLessThan(MEASURED.student + MARGIN);
  }, 900_000);
});
