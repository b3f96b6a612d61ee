/**
 * Per-layer distances: the eval's numbers against a float64 computation from the same teacher captures and
 * student matrices/blocks; independence from how windows are batched; zero for layers that are the teacher;
 * and agreement with the training stages' own loss on the same batch (runtime/stages, the acceptance check).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { StageIR, StudentIR } from '../../compiler/ir/types.ts';
import type { Batch } from '../../runtime/data/batches.ts';
import { loadTokenizedFile } from '../../runtime/data/token-cache.ts';
import type { TransformerLM } from '../../runtime/models/transformer.ts';
import { stageStudent } from '../../runtime/program/student-adapter.ts';
import type { StageContext } from '../../runtime/stages/context.ts';
import { hiddenStateAlignment } from '../../runtime/stages/hidden-state-alignment.ts';
import { matrixOrientation } from '../../runtime/stages/matrix-orientation.ts';
import { disposeTeacherBatch, teacherBatch } from '../../runtime/stages/teacher-batches.ts';
import type { StudentLM } from '../../runtime/student/model.ts';
import { tf, useBackend } from '../../runtime/tensor/backend.ts';
import { layerDistances, streamWindows } from '../../runtime/views/distances.ts';
import { VALID_TXT } from '../helpers/paths.ts';
import { student, studentIR, teacherModel, tokenizer } from './helpers/models.ts';

let teacher: TransformerLM;
let stream: Int32Array;
beforeAll(async () => {
  await useBackend('wasm');
  teacher = teacherModel();
  stream = loadTokenizedFile(VALID_TXT, tokenizer(), 'paragraphs').tokens;
  return () => teacher.dispose();
});

/** Float64 reference: per layer, mean over (window, head) of ‖M − A‖_F and mean over tokens of ‖ŷ − y‖₂. */
async function reference(s: StudentLM, windows: Int32Array[]) {
  const t = windows[0].length;
  const ids = tf.tensor2d(windows.flatMap((w) => Array.from(w)), [windows.length, t], 'int32');
  const out = teacher.forward(ids, { logits: false, capture: { input: true, probs: true, output: true } });
  ids.dispose();
  const matrix: (number | undefined)[] = [];
  const hidden: number[] = [];
  for (const c of out.layers) {
    const l = c.layer;
    if (s.layers[l].kind === 'ssm') {
      const m = s.layerMatrix(l, c.input!);
      const [a, b] = [(await m.data()) as Float32Array, (await c.probs!.data()) as Float32Array];
      m.dispose();
      const [bs, h] = c.probs!.shape;
      let sum = 0;
      for (let k = 0; k < bs * h; k++) {
        let sq = 0;
        for (let i = k * t * t; i < (k + 1) * t * t; i++) sq += (a[i] - b[i]) ** 2;
        sum += Math.sqrt(sq);
      }
      matrix[l] = sum / (bs * h);
    }
    const blk = s.layerBlock(l, c.input!);
    const [y, z] = [(await blk.data()) as Float32Array, (await c.output!.data()) as Float32Array];
    blk.dispose();
    const d = 64;
    let sum = 0;
    for (let r = 0; r < y.length / d; r++) {
      let sq = 0;
      for (let j = r * d; j < (r + 1) * d; j++) sq += (y[j] - z[j]) ** 2;
      sum += Math.sqrt(sq);
    }
    hidden[l] = sum / (y.length / d);
    tf.dispose([c.input!, c.probs!, c.output!]);
  }
  return { matrix, hidden };
}

describe('layerDistances', () => {
  it('equals a float64 computation from the same captures, however the windows are batched', async () => {
    const windows = streamWindows(stream, 24, 5);
    expect(windows).toHaveLength(5);
    const built = student('ssass', { seed: 11 });
    try {
      const ref = await reference(built.model, windows);
      const a = await layerDistances(teacher, built.model, windows, { microBatch: 2 });
      const b = await layerDistances(teacher, built.model, windows, { microBatch: 5 });
      expect(a.windows).toBe(5);
      expect(a.seqLen).toBe(24);
      for (const l of [0, 1, 2, 3, 4]) {
        const da = a.layers[l];
        expect(da.kind).toBe(l === 2 ? 'attention' : 'ssm');
        if (l === 2) expect(da.matrix).toBeUndefined();
        else {
          expect(Math.abs(da.matrix! - ref.matrix[l]!) / ref.matrix[l]!).toBeLessThan(1e-5);
          expect(Math.abs(b.layers[l].matrix! - da.matrix!) / da.matrix!).toBeLessThan(1e-5);
        }
        expect(Math.abs(da.hidden! - ref.hidden[l]) / Math.max(ref.hidden[l], 1e-6)).toBeLessThan(1e-4);
        expect(b.layers[l].hidden!).toBeCloseTo(da.hidden!, 4);
      }
      // The kept attention layer is the teacher's block: distance 0 up to rounding.
      expect(a.layers[2].hidden!).toBeLessThan(1e-4);
      expect(a.layers[0].hidden!).toBeGreaterThan(0.01);
    } finally {
      built.model.dispose();
    }
  });

  it('the mixer target compares SSM mixer outputs with attention outputs and skips kept attention', async () => {
    const windows = streamWindows(stream, 16, 2);
    const built = student('sasss', { seed: 5 });
    try {
      const r = await layerDistances(teacher, built.model, windows, { target: 'mixer' });
      expect(r.target).toBe('mixer');
      expect(r.layers[1].hidden).toBeUndefined();
      for (const l of [0, 2, 3, 4]) expect(r.layers[l].hidden!).toBeGreaterThan(0);
    } finally {
      built.model.dispose();
    }
  });

  it("agrees with the training stages' loss on the same batch (stage 1 and stage 2)", async () => {
    const seqLen = 32;
    const windows = streamWindows(stream, seqLen, 4);
    const ir = studentIR('ssass', { chunk: 16 });
    const built = student('ssass', { chunk: 16, trainable: true, seed: 2 });
    try {
      const stage1 = await stageLoss(built.model, ir, 'matrix_orientation', [0, 1, 3, 4], windows);
      const stage2 = await stageLoss(built.model, ir, 'hidden_state_alignment', [0, 1, 2, 3, 4], windows);
      const d = await layerDistances(teacher, built.model, windows, { microBatch: 4 });
      const sum1 = d.layers.reduce((s, l) => s + (l.matrix ?? 0), 0);
      const sum2 = d.layers.reduce((s, l) => s + l.hidden!, 0);
      expect(Math.abs(sum1 - stage1) / stage1).toBeLessThan(1e-5);
      expect(Math.abs(sum2 - stage2) / stage2).toBeLessThan(1e-5);
    } finally {
      built.model.dispose();
    }
  });

  it('streamWindows cuts consecutive full windows and drops the tail', () => {
    const s = Int32Array.from({ length: 10 }, (_, i) => i);
    expect(streamWindows(s, 4).map((w) => Array.from(w))).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ]);
    expect(streamWindows(s, 3, 2)).toHaveLength(2);
    expect(() => streamWindows(s, 0)).toThrow(/positive integer/);
  });

  it('refuses windows of different lengths (their Frobenius norms are not comparable)', async () => {
    const built = student('sssss');
    try {
      await expect(layerDistances(teacher, built.model, [stream.subarray(0, 8), stream.subarray(8, 20)])).rejects.toThrow(/window 1 has 12 tokens/);
    } finally {
      built.model.dispose();
    }
  });
});

/** The stage's own loss function (runtime/stages) on one micro-batch made of `windows`. */
async function stageLoss(model: StudentLM, ir: StudentIR, kind: StageIR['kind'], layers: number[], windows: Int32Array[]): Promise<number> {
  const stage = {
    name: kind,
    kind,
    layers,
    tokens: 1000,
    batchTokens: windows.length * windows[0].length,
    seqLen: windows[0].length,
    microBatch: windows.length,
    lr: 1e-3,
    schedule: { kind: 'constant', warmup: 0, decay: 0, minLrRatio: 1 },
    optimizer: { kind: 'adamw', beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0, noDecay: [] },
    gradClip: 0,
    loss: kind === 'matrix_orientation' ? { kind: 'frobenius' } : { kind: 'l2', target: 'block' },
    freeze: [],
    data: 'text',
    seed: 0,
    checkpointEvery: 0,
    source: { file: 'test', line: 1 },
  } satisfies StageIR;
  const ctx: StageContext = {
    teacher,
    student: stageStudent(model, ir),
    tokens: () => ({ next: () => { throw new Error('not used'); }, state: () => null, restore: () => {} }),
  };
  const def = kind === 'matrix_orientation' ? matrixOrientation(ctx, stage) : hiddenStateAlignment(ctx, stage);
  const setup = await def.setup();
  const t = windows[0].length;
  const inputs = Int32Array.from(windows.flatMap((w) => Array.from(w)));
  const batch: Batch = { batch: windows.length, seqLen: t, inputs, targets: new Int32Array(inputs.length), parts: new Uint8Array(windows.length) };
  const tb = teacherBatch(teacher, batch, kind === 'matrix_orientation' ? { layers, inputs: true, probs: true } : { layers, inputs: true, outputs: true });
  try {
    const loss = tf.tidy(() => setup.loss(tb));
    const v = (await loss.data())[0];
    loss.dispose();
    return v;
  } finally {
    disposeTeacherBatch(tb);
  }
}
