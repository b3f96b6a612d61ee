/**
 * Student assembly on the stories260K teacher: an all-attention "student" is the teacher (run.c goldens), the
 * hybrid (layers 0,1,3,4 SSM, layer 2 attention) builds and runs on wasm, its kept layer is exactly the
 * teacher's, its forward is the composition of its blocks, decoding equals the full forward, and packed
 * sequences with resets equal separate sequences.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../../runtime/tensor/backend.ts';
import { buildTeacher } from '../../../runtime/models/index.ts';
import { buildStudent, StudentLayoutError } from '../../../runtime/student/build.ts';
import type { StudentLM } from '../../../runtime/student/model.ts';
import { relErr } from '../../helpers/reference/random.ts';
import { loadPos32, maxAbsDiff } from '../models/golden-helpers.ts';
import { stories260K, storiesMixer, studentIR } from './helpers.ts';

const golden = loadPos32();
const T = golden.tokensFed.length;
const D = 64;
const hiddenAt = (stage: number) => golden.hidden.slice(stage * T * D, (stage + 1) * T * D);

describe.each(['wasm', 'cpu'] as const)('student assembly (%s)', (backend) => {
  let hybrid: StudentLM;
  beforeAll(async () => {
    await useBackend(backend);
    hybrid = buildStudent(stories260K(), studentIR('SSASS', 'from_attention'), { trainable: false }).model;
  });
  afterAll(() => hybrid.dispose());

  it('with every layer kept as attention it is the teacher (run.c logits)', async () => {
    const { model } = buildStudent(stories260K(), studentIR('AAAAA', 'random'), { trainable: false });
    const { logits } = model.forward([golden.tokensFed]);
    expect(maxAbsDiff(await logits!.data(), golden.logits)).toBeLessThan(1e-4);
    model.dispose();
  });

  it('the hybrid (0,1,3,4 SSM, 2 attention) runs forward: finite logits of the right shape', async () => {
    const { logits } = hybrid.forward([golden.tokensFed]);
    expect(logits!.shape).toEqual([1, T, 512]);
    const v = await logits!.data();
    expect(v.every(Number.isFinite)).toBe(true);
    expect(hybrid.layers.map((l) => l.kind)).toEqual(['ssm', 'ssm', 'attention', 'ssm', 'ssm']);
    expect([...hybrid.params.keys()].filter((k) => k.includes('self_attn'))).toEqual([
      'model.layers.2.self_attn.q_proj.weight',
      'model.layers.2.self_attn.k_proj.weight',
      'model.layers.2.self_attn.v_proj.weight',
      'model.layers.2.self_attn.o_proj.weight',
    ]);
    expect(hybrid.params.has('model.layers.3.mixer.in_proj.weight')).toBe(true);
  });

  it("the kept attention block is the teacher's: run.c hidden state 2 → hidden state 3", async () => {
    const h2 = tf.tensor(hiddenAt(2), [1, T, D]);
    const out = hybrid.layerBlock(2, h2);
    expect(relErr(await out.data(), hiddenAt(3))).toBeLessThan(1e-5);
    // Its "mixer" output is the teacher's attention output after W_O.
    const teacher = buildTeacher(stories260K());
    const { layers } = teacher.forward([golden.tokensFed], { capture: { layers: [2], attnOut: true }, logits: false });
    expect(relErr(await hybrid.layerMixer(2, h2).data(), await layers[0].attnOut!.data())).toBeLessThan(1e-5);
    teacher.dispose();
  });

  it("norms, MLPs, embedding and head are the teacher's tensors", async () => {
    const ckpt = stories260K();
    for (const name of ['model.embed_tokens.weight', 'model.norm.weight', 'model.layers.0.input_layernorm.weight', 'model.layers.3.post_attention_layernorm.weight']) {
      expect(Array.from(await hybrid.params.get(name)!.data())).toEqual(Array.from(ckpt.tensors.get(name)!.data));
    }
    // Linear weights are held as [in, out].
    const down = ckpt.tensors.get('model.layers.4.mlp.down_proj.weight')!;
    expect(Array.from(await hybrid.params.get('model.layers.4.mlp.down_proj.weight')!.transpose().data())).toEqual(Array.from(down.data));
  });

  it('the forward pass is the composition of its blocks (per-layer stage helpers agree)', async () => {
    const { hidden } = hybrid.forward([golden.tokensFed], { hidden: true, logits: false });
    expect(hidden!.length).toBe(6);
    for (let l = 0; l < 5; l++) {
      const block = hybrid.layerBlock(l, hidden![l]);
      expect(relErr(await block.data(), await hidden![l + 1].data())).toBeLessThan(1e-6);
    }
    // Stage-1 matrix and stage-2 mixer output of an SSM layer are consistent: mixer(u) = out_proj(gate(M·x)).
    const m = hybrid.layerMatrix(3, hidden![3]);
    expect(m.shape).toEqual([1, 8, T, T]);
    expect(hybrid.layerMixer(3, hidden![3]).shape).toEqual([1, T, D]);
    expect(() => hybrid.layerMatrix(2, hidden![2])).toThrow(/attention/);
  });

  it('prefill + decode steps (SSM states and KV caches) = one forward', async () => {
    const ids = golden.tokensFed.slice(0, 20);
    const full = await hybrid.forward([ids]).logits!.data();
    const pre = hybrid.forward([ids.slice(0, 7)], { cache: true });
    const parts: Float32Array[] = [(await pre.logits!.data()) as Float32Array];
    let cache = pre.cache!;
    for (let i = 7; i < ids.length; i++) {
      const s = hybrid.step([ids[i]], cache);
      parts.push((await s.logits.data()) as Float32Array);
      cache = s.cache;
    }
    const joined = new Float32Array(full.length);
    let at = 0;
    for (const p of parts) {
      joined.set(p, at);
      at += p.length;
    }
    expect(relErr(joined, full)).toBeLessThan(1e-5);
  });

  it('packed sequences with resets = the sequences run separately (SSM and attention layers)', async () => {
    const a = golden.tokensFed.slice(0, 11);
    const b = [1, ...golden.tokensFed.slice(14, 26)];
    const resets = tf.tensor2d([[...a.map((_, i) => (i === 0 ? 1 : 0)), ...b.map((_, i) => (i === 0 ? 1 : 0))]]);
    const packed = await hybrid.forward([[...a, ...b]], { resets }).logits!.data();
    const la = await hybrid.forward([a]).logits!.data();
    const lb = await hybrid.forward([b]).logits!.data();
    const want = new Float32Array(packed.length);
    want.set(la);
    want.set(lb, la.length);
    expect(relErr(packed, want)).toBeLessThan(1e-5);
  });

  it('marks the attention projections of frozen kept layers', () => {
    const { model } = buildStudent(stories260K(), studentIR('SFSAS', 'random'), { trainable: false });
    expect([...model.frozen].sort()).toEqual(['q', 'k', 'v', 'o'].map((p) => `model.layers.1.self_attn.${p}_proj.weight`).sort());
    expect(model.params.has('model.layers.3.self_attn.q_proj.weight')).toBe(true);
    expect(model.frozen.has('model.layers.3.self_attn.q_proj.weight')).toBe(false);
    model.dispose();
  });

  it('refuses a layout that does not fit the teacher', () => {
    expect(() => buildStudent(stories260K(), studentIR('SSSS', 'random'))).toThrow(StudentLayoutError);
    expect(() => buildStudent(stories260K(), studentIR('SSSSS', 'random', storiesMixer({ dInner: 128, expand: 1, heads: 16 })))).toThrow(/d_inner 128/);
  });
});

describe('trainable student on wasm', () => {
  it('differentiates end to end (one-hot embedding, mixers, kept attention) with finite, non-zero gradients', async () => {
    await useBackend('wasm');
    const { model } = buildStudent(stories260K(), studentIR('SSASS', 'from_attention'), { trainable: true, seed: 3 });
    const ids = tf.tensor2d([golden.tokensFed.slice(0, 16)], undefined, 'int32');
    const targets = tf.tensor1d(golden.tokensFed.slice(1, 17), 'int32');
    const vars = [...model.params.values()] as tf.Variable[];
    const { value, grads } = tf.variableGrads(() => {
      const logits = model.forward(ids).logits!.reshape([16, 512]);
      return tf.losses.softmaxCrossEntropy(tf.oneHot(targets, 512), logits) as tf.Scalar;
    }, vars);
    expect(Number.isFinite((await value.data())[0])).toBe(true);
    for (const name of ['model.layers.0.mixer.in_proj.weight', 'model.layers.2.self_attn.q_proj.weight', 'model.embed_tokens.weight', 'model.layers.4.mixer.D']) {
      const g = await grads[(model.params.get(name) as tf.Variable).name].data();
      expect(g.every(Number.isFinite), name).toBe(true);
      expect(g.some((x) => x !== 0), name).toBe(true);
    }
    model.dispose();
  });
});

describe('no tensor leaks', () => {
  it('forward, stage helpers, decode and export leave no tensors behind', async () => {
    await useBackend('wasm');
    const { model } = buildStudent(stories260K(), studentIR('SSASS', 'from_attention'), { trainable: false });
    const ids = golden.tokensFed.slice(0, 12);
    const h = tf.tensor(hiddenAt(1).slice(0, 12 * D), [1, 12, D]);
    const resets = tf.tensor2d([[1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]]);
    const round = () => {
      tf.dispose(Object.values(model.forward([ids], { resets })));
      tf.dispose([model.layerMatrix(0, h), model.layerMixer(2, h), model.layerMixer(3, h), model.layerBlock(2, h, { resets })]);
      const pre = model.forward([ids], { cache: true, hidden: true });
      tf.dispose([pre.logits!, ...pre.hidden!]);
      const s = model.step([ids[0]], pre.cache!);
      tf.dispose(s.logits);
      for (const c of s.cache.layers) tf.dispose(Object.values(c));
    };
    round();
    const before = tf.memory().numTensors;
    round();
    round();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
