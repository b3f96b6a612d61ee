/**
 * The three stages on the real stories260K teacher and a student assembled from it:
 *  - the teacher side of a batch (per-layer inputs, attention, outputs) equals run.c's golden activations;
 *  - stage 1: the gradient of the summed loss equals the per-layer gradients side by side (each layer's
 *    parameters see only their own term), so per-layer differentiation is the same optimisation; only
 *    in_proj/conv/D receive gradient, the x and z rows of in_proj exactly zero;
 *  - stage 2: a kept attention layer starts at distance 0 with finite (zero) gradients;
 *  - stage 3: an all-attention "student" (an exact teacher copy) scores the teacher's entropy (soft_ce) and 0 (kl);
 *  - which parameters each stage trains.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StageIR, StudentIR } from '../../../compiler/ir/types.ts';
import type { Batch } from '../../../runtime/data/batches.ts';
import { loadLlama2c } from '../../../runtime/io/llama2c.ts';
import type { Checkpoint } from '../../../runtime/io/types.ts';
import { buildTeacher } from '../../../runtime/models/index.ts';
import type { TransformerLM } from '../../../runtime/models/transformer.ts';
import { stageStudent } from '../../../runtime/program/student-adapter.ts';
import type { DataSource } from '../../../runtime/run/loop.ts';
import type { StageContext, StudentModel, TeacherBatch } from '../../../runtime/stages/context.ts';
import { endToEnd } from '../../../runtime/stages/end-to-end.ts';
import { alignmentTerms, hiddenStateAlignment } from '../../../runtime/stages/hidden-state-alignment.ts';
import { matrixOrientation, orientationTerms } from '../../../runtime/stages/matrix-orientation.ts';
import { stageTrainable } from '../../../runtime/stages/param-groups.ts';
import { teacherAttentionProbs } from '../../../runtime/stages/teacher-attention.ts';
import { disposeTeacherBatch, teacherBatch } from '../../../runtime/stages/teacher-batches.ts';
import { buildStudent } from '../../../runtime/student/build.ts';
import { inProjRows, mixerDims } from '../../../runtime/mixers/layout.ts';
import { tf, useBackend } from '../../../runtime/tensor/backend.ts';
import { TEACHER_BIN } from '../../helpers/paths.ts';
import { loadPos32, relErr } from '../models/golden-helpers.ts';

const golden = loadPos32();
const MIXER = { kind: 'discrete_mamba2' as const, dState: 8, headDim: 8, heads: 8, groups: 8, dInner: 64, expand: 1, convWidth: 4, chunk: 64, dtype: 'f32' as const };
let ckpt: Checkpoint;
let teacher: TransformerLM;

/** 'S' SSM layer, 'A' kept attention, 'F' kept attention marked frozen. */
function studentIr(layout: string): StudentIR {
  return { name: layout, init: 'from_attention', layers: [...layout].map((c, index) => (c === 'S' ? { index, kind: 'ssm', frozen: false, mixer: MIXER } : { index, kind: 'attention', frozen: c === 'F' })) };
}

function stage(kind: StageIR['kind'], over: Partial<StageIR> = {}): StageIR {
  return {
    name: kind,
    kind,
    layers: [0, 1, 2, 3, 4],
    tokens: 64,
    batchTokens: 64,
    seqLen: 32,
    microBatch: 2,
    lr: 1e-3,
    schedule: { kind: 'constant', warmup: 0, decay: 0, minLrRatio: 1 },
    optimizer: { kind: 'adamw', beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, noDecay: ['D', 'norm', 'bias'] },
    gradClip: 1,
    loss: kind === 'matrix_orientation' ? { kind: 'frobenius' } : kind === 'hidden_state_alignment' ? { kind: 'l2', target: 'block' } : { kind: 'soft_ce', temperature: 1 },
    freeze: kind === 'matrix_orientation' ? ['embed', 'norm', 'mlp', 'attention', 'lm_head'] : [],
    data: 'text',
    seed: 0,
    checkpointEvery: 0,
    source: { file: 'test', line: 1 },
    ...over,
  };
}

/** Two rows: the golden prompt, and the same tokens reversed (a second, different sequence). */
function goldenBatch(): Batch {
  const T = 32;
  const rows = [golden.tokensFed, [...golden.tokensFed].reverse()];
  const inputs = Int32Array.from(rows.flat());
  const targets = Int32Array.from(rows.flatMap((r) => [...r.slice(1), 1]));
  return { batch: 2, seqLen: T, inputs, targets, parts: new Uint8Array(2) };
}

function fixedTokens(): DataSource<Batch> {
  return { next: goldenBatch, state: () => null, restore: () => {} };
}

function context(student: StudentModel): StageContext {
  return { teacher, student, tokens: () => fixedTokens() as ReturnType<StageContext['tokens']> };
}

const builtStudents: { model: { dispose(): void } }[] = [];
function makeStudent(layout: string): StudentModel {
  const built = buildStudent(ckpt, studentIr(layout), { trainable: true, seed: 3 });
  builtStudents.push(built);
  return stageStudent(built.model, studentIr(layout));
}

beforeAll(async () => {
  await useBackend('wasm');
  ckpt = loadLlama2c(TEACHER_BIN);
  teacher = buildTeacher(ckpt);
});
afterAll(() => {
  teacher.dispose();
  builtStudents.forEach((b) => b.model.dispose());
});

describe('teacher side of a batch', () => {
  it('per-layer inputs, attention and outputs equal run.c (golden row 0)', async () => {
    const b = teacherBatch(teacher, goldenBatch(), { layers: [0, 1, 2, 3, 4], inputs: true, outputs: true, probs: true });
    try {
      for (let l = 0; l < 5; l++) {
        const inp = (await b.inputs[l]!.slice([0, 0, 0], [1, 32, 64]).data()) as Float32Array;
        const out = (await b.outputs[l]!.slice([0, 0, 0], [1, 32, 64]).data()) as Float32Array;
        const probs = (await b.probs[l]!.slice([0, 0, 0, 0], [1, 8, 32, 32]).data()) as Float32Array;
        expect(relErr(inp, golden.hidden.subarray(l * 2048, (l + 1) * 2048))).toBeLessThan(1e-5);
        expect(relErr(out, golden.hidden.subarray((l + 1) * 2048, (l + 2) * 2048))).toBeLessThan(1e-5);
        expect(relErr(probs, golden.attention.subarray(l * 8192, (l + 1) * 8192))).toBeLessThan(1e-5);
      }
    } finally {
      disposeTeacherBatch(b);
    }
  });

  it('stage 1 recomputes a layer attention from its captured input: equal to run.c', async () => {
    const b = teacherBatch(teacher, goldenBatch(), { layers: [0, 1, 2, 3, 4], inputs: true });
    try {
      for (let l = 0; l < 5; l++) {
        expect(b.probs[l]).toBeUndefined();
        const p = teacherAttentionProbs(teacher, l, b.inputs[l]!);
        const row0 = (await p.slice([0, 0, 0, 0], [1, 8, 32, 32]).data()) as Float32Array;
        p.dispose();
        expect(relErr(row0, golden.attention.subarray(l * 8192, (l + 1) * 8192))).toBeLessThan(1e-5);
      }
    } finally {
      disposeTeacherBatch(b);
    }
  });

  it('stage-3 targets: the teacher next-token probabilities and the next tokens', async () => {
    const b = teacherBatch(teacher, goldenBatch(), { layers: [], targetProbs: true, targets: true });
    try {
      const p = (await b.targetProbs!.data()) as Float32Array;
      // Row 0 position 31: softmax of run.c's logits.
      const logits = golden.logits.subarray(31 * 512, 32 * 512);
      const mx = Math.max(...logits);
      const z = logits.reduce((s, v) => s + Math.exp(v - mx), 0);
      const ref = Array.from(logits, (v) => Math.exp(v - mx) / z);
      expect(relErr(p.subarray(31 * 512, 32 * 512), ref)).toBeLessThan(1e-4);
      expect([...(await b.targets!.data())].slice(0, 31)).toEqual(golden.tokensFed.slice(1));
    } finally {
      disposeTeacherBatch(b);
    }
  });
});

describe('stage 1: matrix orientation', () => {
  it('gradient of the layer sum = per-layer gradients side by side; each term reaches only its layer', async () => {
    const student = makeStudent('SSSSS');
    const st = stage('matrix_orientation');
    const trainable = stageTrainable(st, student.params, student.layerOf);
    const vars = [...trainable.values()];
    const nameOf = new Map([...trainable].map(([n, v]) => [v.name, n]));
    const b = teacherBatch(teacher, goldenBatch(), { layers: [0, 1, 2, 3, 4], inputs: true, probs: true });
    try {
      const terms = orientationTerms({ student, teacher }, [0, 1, 2, 3, 4], b);
      const whole = tf.variableGrads(() => terms.map((t) => t()).reduce((a, x) => a.add(x)) as tf.Scalar, vars);
      const perLayer = terms.map((t) => tf.variableGrads(t, vars));
      let sum = 0;
      for (const [l, g] of perLayer.entries()) {
        sum += (await g.value.data())[0];
        for (const v of Object.keys(g.grads)) expect(student.layerOf(nameOf.get(v)!)).toBe(l);
      }
      expect(Math.abs((await whole.value.data())[0] - sum) / sum).toBeLessThan(1e-6);
      const gradNames = Object.keys(whole.grads);
      expect(gradNames.length).toBe(perLayer.reduce((n, g) => n + Object.keys(g.grads).length, 0));
      for (const v of gradNames) {
        const l = student.layerOf(nameOf.get(v)!)!;
        const a = await whole.grads[v].data();
        const ref = await perLayer[l].grads[v].data();
        expect(relErr(a, ref)).toBeLessThan(1e-5);
      }
      // What reaches the matrix: in_proj, conv and D only.
      const suffixes = new Set(gradNames.map((v) => nameOf.get(v)!.replace(/^model\.layers\.\d+\.mixer\./, '')));
      expect([...suffixes].sort()).toEqual(['D', 'conv1d.bias', 'conv1d.weight', 'in_proj.weight']);
      // in_proj is [in, out] on device: x and z output columns get exactly zero gradient.
      const dims = mixerDims(MIXER, 64);
      const inProj = [...trainable].find(([n]) => n === 'model.layers.2.mixer.in_proj.weight')![1];
      const g = (await whole.grads[inProj.name].data()) as Float32Array;
      const [x0, x1] = inProjRows(dims, 'x');
      const [z0, z1] = inProjRows(dims, 'z');
      const [b0, b1] = inProjRows(dims, 'B');
      let zeroXZ = true;
      let nonzeroB = false;
      for (let i = 0; i < 64; i++)
        for (let o = 0; o < dims.inProjOut; o++) {
          const v = g[i * dims.inProjOut + o];
          if ((o >= x0 && o < x1) || (o >= z0 && o < z1)) zeroXZ &&= v === 0;
          if (o >= b0 && o < b1 && v !== 0) nonzeroB = true;
        }
      expect(zeroXZ).toBe(true);
      expect(nonzeroB).toBe(true);
    } finally {
      disposeTeacherBatch(b);
    }
  });

  it('refuses a stage whose layers are all kept attention', () => {
    const student = makeStudent('SSASS');
    expect(() => matrixOrientation(context(student), stage('matrix_orientation', { layers: [2] }))).toThrow(/none of layers \[2\] is an SSM layer/);
  });
});

describe('stage 2: hidden-state alignment', () => {
  it('a kept attention layer starts at distance 0 with finite gradients; SSM layers do not', async () => {
    const student = makeStudent('SSASS');
    const st = stage('hidden_state_alignment');
    const vars = [...stageTrainable(st, student.params, student.layerOf).values()];
    const b = teacherBatch(teacher, goldenBatch(), { layers: st.layers, inputs: true, outputs: true });
    try {
      const terms = alignmentTerms({ student }, st, b);
      const values = await Promise.all(terms.map(async (t) => (await t().data())[0]));
      expect(values[2]).toBeLessThan(1e-5);
      for (const l of [0, 1, 3, 4]) expect(values[l]).toBeGreaterThan(1e-2);
      const { grads } = tf.variableGrads(terms[2], vars);
      for (const g of Object.values(grads)) expect([...(await g.data())].every(Number.isFinite)).toBe(true);
    } finally {
      disposeTeacherBatch(b);
    }
  });

  it('target = mixer compares the mixer output with the attention output', async () => {
    const student = makeStudent('SSSSS');
    const st = stage('hidden_state_alignment', { layers: [1], loss: { kind: 'l2', target: 'mixer' } });
    const b = teacherBatch(teacher, goldenBatch(), { layers: [1], inputs: true, attnOut: true });
    try {
      const got = (await alignmentTerms({ student }, st, b)[0]().data())[0];
      const ref = tf.tidy(() => student.mixerOutput(1, b.inputs[1]!).sub(b.attnOut[1]!).square().sum(-1).sqrt().mean());
      expect(Math.abs(got - (await ref.data())[0])).toBeLessThan(1e-6 * got);
    } finally {
      disposeTeacherBatch(b);
    }
  });
});

describe('stage 3: end-to-end distillation', () => {
  it('a student that is the teacher scores the teacher entropy (soft_ce) and 0 (kl)', async () => {
    const student = makeStudent('AAAAA');
    const run = async (kind: 'soft_ce' | 'kl') => {
      const def = endToEnd(context(student), stage('end_to_end', { loss: { kind, temperature: 1 } }));
      const setup = await def.setup();
      const b = (await setup.data.next()) as TeacherBatch;
      const v = (await setup.loss(b).data())[0];
      setup.data.release?.(b);
      return v;
    };
    const ce = await run('soft_ce');
    const kl = await run('kl');
    const b = teacherBatch(teacher, goldenBatch(), { layers: [], targetProbs: true });
    const p = (await b.targetProbs!.data()) as Float32Array;
    disposeTeacherBatch(b);
    let ent = 0;
    for (const x of p) if (x > 0) ent -= (x * Math.log(x)) / 64;
    expect(ce).toBeCloseTo(ent, 4);
    expect(Math.abs(kl)).toBeLessThan(1e-4);
  });
});

describe('what each stage trains', () => {
  it('matrix orientation: the mixers of the stage layers; alignment: those layers whole; end-to-end: all but frozen groups', () => {
    const student = makeStudent('SSASS');
    const names = (st: StageIR) => [...stageTrainable(st, student.params, student.layerOf, student.frozen).keys()];
    const s1 = names(stage('matrix_orientation', { layers: [0, 3] }));
    expect(s1.length).toBeGreaterThan(0);
    expect(s1.every((n) => /^model\.layers\.[03]\.mixer\./.test(n))).toBe(true);
    expect(s1.filter((n) => n.startsWith('model.layers.0.')).length).toBe(6); // in_proj, conv ×2, D, out_proj, z_bias

    const s2 = names(stage('hidden_state_alignment', { layers: [2] }));
    expect(s2.some((n) => n.includes('layers.2.self_attn.'))).toBe(true);
    expect(s2.some((n) => n.includes('layers.2.mlp.'))).toBe(true);
    expect(s2.some((n) => /layers\.[0134]\./.test(n))).toBe(false);

    const frozenStudent = makeStudent('SSFSS');
    const s3f = [...stageTrainable(stage('end_to_end'), frozenStudent.params, frozenStudent.layerOf, frozenStudent.frozen).keys()];
    expect(frozenStudent.frozen.size).toBe(4);
    expect(s3f.some((n) => n.includes('layers.2.self_attn.'))).toBe(false);
    expect(s3f.some((n) => n.includes('layers.2.mlp.'))).toBe(true);

    const s3 = names(stage('end_to_end', { freeze: ['mlp', 'embed'] }));
    expect(s3.some((n) => n.includes('.mlp.') || n.includes('embed'))).toBe(false);
    expect(s3.length).toBe([...student.params.keys()].filter((n) => !n.includes('.mlp.') && !n.includes('embed')).length);
    // The default no-decay groups name D, norms and biases.
    const def = hiddenStateAlignment(context(student), stage('hidden_state_alignment'));
    const nd = def.plan.optimizer.noDecay;
    expect(nd).toContain('model.layers.0.mixer.D');
    expect(nd).toContain('model.norm.weight');
    expect(nd).toContain('model.layers.1.mixer.z_bias');
    expect(nd.some((n) => n.endsWith('in_proj.weight'))).toBe(false);
  });
});

it('teacher attention recomputed first inside a scope keeps working in later scopes', async () => {
  const fresh = buildTeacher(ckpt);
  const h = tf.randomNormal([1, 8, 64]) as tf.Tensor3D;
  const first = tf.tidy(() => teacherAttentionProbs(fresh, 0, h).sum());
  const second = tf.tidy(() => teacherAttentionProbs(fresh, 0, h).sum());
  expect((await second.data())[0]).toBeCloseTo((await first.data())[0], 5);
  fresh.dispose();
});
