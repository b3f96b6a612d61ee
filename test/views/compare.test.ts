/**
 * Teacher vs student metrics (NLL, perplexity, top-1 agreement, KL(teacher‖student)): the batched, padded pass
 * against a float64 computation from each sequence's own unpadded logits; the teacher's NLL against
 * runtime/eval's; and a student that keeps every attention layer (= the teacher) giving KL 0, agreement 1.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTokenizedFile } from '../../runtime/data/token-cache.ts';
import { evaluateSequences } from '../../runtime/eval/nll.ts';
import { paragraphSequences } from '../../runtime/eval/protocols.ts';
import type { TransformerLM } from '../../runtime/models/transformer.ts';
import type { StudentLM } from '../../runtime/student/model.ts';
import { tf, useBackend } from '../../runtime/tensor/backend.ts';
import { compareOnSequences } from '../../runtime/views/compare.ts';
import { VALID_TXT } from '../helpers/paths.ts';
import { student, teacherModel, tokenizer } from './helpers/models.ts';

let teacher: TransformerLM;
let seqs: Int32Array[];
beforeAll(async () => {
  await useBackend('wasm');
  teacher = teacherModel();
  // Twelve real paragraphs of different lengths: batches mix lengths, so padding is exercised.
  seqs = paragraphSequences(loadTokenizedFile(VALID_TXT, tokenizer(), 'paragraphs')).slice(0, 12);
  return () => teacher.dispose();
});

async function logitsOf(model: { forward(ids: tf.Tensor2D): { logits?: tf.Tensor3D } }, seq: Int32Array): Promise<Float32Array> {
  const ids = tf.tensor2d(seq, [1, seq.length], 'int32');
  const out = model.forward(ids);
  ids.dispose();
  const host = (await out.logits!.data()) as Float32Array;
  out.logits!.dispose();
  return host;
}

function logSoftmax64(row: Float32Array): Float64Array {
  let max = -Infinity;
  for (const x of row) max = Math.max(max, x);
  let sum = 0;
  for (const x of row) sum += Math.exp(x - max);
  const lse = max + Math.log(sum);
  return Float64Array.from(row, (x) => x - lse);
}

/** Float64 reference from per-sequence logits. */
async function reference(s: StudentLM) {
  const v = 512;
  let nllT = 0, nllS = 0, kl = 0, agree = 0, n = 0;
  for (const seq of seqs) {
    const lt = await logitsOf(teacher, seq);
    const ls = await logitsOf(s, seq);
    for (let p = 0; p + 1 < seq.length; p++) {
      const a = logSoftmax64(lt.subarray(p * v, (p + 1) * v));
      const b = logSoftmax64(ls.subarray(p * v, (p + 1) * v));
      nllT -= a[seq[p + 1]];
      nllS -= b[seq[p + 1]];
      let argA = 0, argB = 0;
      for (let i = 0; i < v; i++) {
        kl += Math.exp(a[i]) * (a[i] - b[i]);
        if (a[i] > a[argA]) argA = i;
        if (b[i] > b[argB]) argB = i;
      }
      agree += argA === argB ? 1 : 0;
      n++;
    }
  }
  return { nllT: nllT / n, nllS: nllS / n, kl: kl / n, agree: agree / n, n };
}

describe('compareOnSequences', () => {
  it('matches a float64 computation from unpadded per-sequence logits (pure and hybrid students)', async () => {
    for (const layout of ['sssss', 'ssass']) {
      const built = student(layout, { seed: 3 });
      try {
        const ref = await reference(built.model);
        // Small batches: several padded batches of mixed lengths.
        const r = await compareOnSequences(teacher, built.model, seqs, { batchTokens: 600 });
        expect(r.predicted).toBe(ref.n);
        expect(r.sequences).toBe(12);
        expect(r.teacher.meanNll).toBeCloseTo(ref.nllT, 5);
        expect(r.student.meanNll).toBeCloseTo(ref.nllS, 4);
        expect(Math.abs(r.student.perplexity / Math.exp(ref.nllS) - 1)).toBeLessThan(1e-5);
        expect(Math.abs(r.klPerToken - ref.kl) / ref.kl).toBeLessThan(1e-4);
        expect(r.klPerToken).toBeGreaterThan(0.01); // an untrained student is far from its teacher
        expect(r.top1Agreement).toBeCloseTo(ref.agree, 3);
      } finally {
        built.model.dispose();
      }
    }
  });

  it("gives the teacher the NLL runtime/eval gives it", async () => {
    const built = student('sssss');
    try {
      const r = await compareOnSequences(teacher, built.model, seqs);
      const t = await evaluateSequences(teacher, seqs);
      expect(r.teacher.meanNll).toBeCloseTo(t.meanNll, 5);
      expect(r.predicted).toBe(t.predicted);
      expect(r.tokens).toBe(t.tokens);
    } finally {
      built.model.dispose();
    }
  });

  it('a student that keeps every attention layer is its teacher: KL 0, agreement 1, equal NLL', async () => {
    const built = student('aaaaa');
    try {
      const r = await compareOnSequences(teacher, built.model, seqs);
      expect(r.klPerToken).toBeLessThan(1e-5);
      expect(r.top1Agreement).toBe(1);
      expect(r.student.meanNll).toBeCloseTo(r.teacher.meanNll, 5);
    } finally {
      built.model.dispose();
    }
  });
});
