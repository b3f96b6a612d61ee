/**
 * The ci-tiny acceptance run: `mohawkc train specs/ci-tiny.mohawk` on the real stories260K teacher (8K / 16K /
 * 64K tokens), against the same student trained with stage 3 only for the same total tokens, and the untrained
 * student, all scored on the first 200 paragraphs of valid.txt (the spec's eval):
 *  - every stage's loss falls (mean of its last quarter of steps below its first quarter);
 *  - stages 1+2+3 end far below stage 3 alone (≥ 0.25 nats) and below the untrained student;
 *  - the run directory holds the exported student (safetensors + config.json) and summary.json.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileForBuild } from '../../compiler/emit/build.ts';
import { loadCheckpoint } from '../../runtime/io/checkpoint.ts';
import { loadTokenizer } from '../../runtime/io/tokenizers/index.ts';
import { evaluateModel } from '../../runtime/program/evaluate.ts';
import { buildStudent } from '../../runtime/student/build.ts';
import { useBackend } from '../../runtime/tensor/backend.ts';
import { REPO_ROOT, TEACHER_BIN, TOKENIZER_BIN, VALID_TXT } from '../helpers/paths.ts';
import { mean, readMetrics, scratchProject, specWithStages, trainJson, writeSpec } from './helpers.ts';

const dir = scratchProject('ci-tiny');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CI_TINY = join(REPO_ROOT, 'specs', 'ci-tiny.mohawk');

describe('ci-tiny: MOHAWK stages on the real teacher', () => {
  it('each stage learns; stages 1+2+3 beat stage 3 alone at equal tokens and the untrained student', async () => {
    const ir = compileForBuild(CI_TINY, REPO_ROOT).ir!;
    const total = ir.stages.reduce((n, s) => n + Math.max(1, Math.floor(s.tokens / s.batchTokens)) * s.batchTokens, 0);
    const s3 = writeSpec(dir, 'ci-tiny-s3.mohawk', specWithStages(`stage distil : end_to_end {\n  tokens = ${total}\n}`));

    // Both trainings at once: one per core.
    const [full, only3] = await Promise.all([trainJson(dir, CI_TINY, 'runs/full'), trainJson(dir, s3, 'runs/s3')]);
    expect(full.code, full.stderr).toBe(0);
    expect(only3.code, only3.stderr).toBe(0);
    const a = full.result!;
    const b = only3.result!;
    expect(a.stages.map((s) => s.tokens).reduce((x, y) => x + y)).toBe(total);
    expect(b.stages[0].tokens).toBe(total);

    const metrics = readMetrics(join(dir, 'runs/full'));
    for (const st of ir.stages) {
      const losses = metrics.filter((m) => m.stage === st.name).map((m) => m.loss);
      const q = Math.max(1, Math.floor(losses.length / 4));
      expect(mean(losses.slice(-q)), `stage ${st.name} (${st.kind}) loss`).toBeLessThan(mean(losses.slice(0, q)));
    }

    // The untrained student, scored on the same sequences.
    await useBackend('wasm');
    const ckpt = loadCheckpoint(TEACHER_BIN);
    const built = buildStudent(ckpt, ir.student, { trainable: false, seed: ir.stages[0].seed });
    const untrained = await evaluateModel(built.model, { file: VALID_TXT, protocol: 'paragraphs', maxSequences: ir.eval.maxSequences, tokenizer: loadTokenizer(TOKENIZER_BIN, { vocabSize: 512 }) });
    built.model.dispose();

    const nFull = a.eval!.student.meanNll;
    const nS3 = b.eval!.student.meanNll;
    expect(a.eval!.sequences).toBe(200);
    expect(untrained.sequences).toBe(200);
    expect(nFull).toBeLessThan(untrained.meanNll);
    expect(nFull).toBeLessThan(nS3 - 0.25);
    expect(a.eval!.teacher!.meanNll).toBeLessThan(nFull);

    const run = join(dir, 'runs/full');
    for (const f of ['student/model.safetensors', 'student/config.json', 'summary.json', 'ir.json', 'latest']) expect(existsSync(join(run, f)), f).toBe(true);
    expect(JSON.parse(readFileSync(join(run, 'summary.json'), 'utf8')).eval.student.meanNll).toBe(nFull);
    console.log(`ci-tiny valid NLL (200 paragraphs): 1+2+3 ${nFull.toFixed(4)}, stage 3 only ${nS3.toFixed(4)}, untrained ${untrained.meanNll.toFixed(4)}, teacher ${a.eval!.teacher!.meanNll.toFixed(4)}`);
  }, 900_000);
});
