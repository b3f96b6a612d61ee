/**
 * HF-style export: an all-attention student exported as 'mohawk' loads through runtime/io's Hugging Face
 * loader as a plain Llama and reproduces run.c's logits (config.json, names, [out, in] layout and the RoPE
 * row permutation all have to be right); the hybrid's kept attention matches the independently converted HF
 * checkpoint in shared/golden/hf; a Llamba export carries exactly LlambaLMHeadModel's state-dict names and
 * shapes; every export reads back into a student with identical logits.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../../../runtime/io/checkpoint.ts';
import { readHfConfig } from '../../../runtime/io/hf-config.ts';
import { readSafetensors } from '../../../runtime/io/safetensors.ts';
import { FileFormatError } from '../../../runtime/io/types.ts';
import { buildTeacher } from '../../../runtime/models/index.ts';
import { tf, useBackend } from '../../../runtime/tensor/backend.ts';
import { buildStudent, StudentLayoutError } from '../../../runtime/student/build.ts';
import { assignStudentWeights, exportStudent, readStudentExport } from '../../../runtime/student/export.ts';
import { GOLDEN_DIR } from '../../helpers/paths.ts';
import { relErr } from '../../helpers/reference/random.ts';
import { loadPos32, maxAbsDiff } from '../models/golden-helpers.ts';
import { stories260K, studentIR } from './helpers.ts';

const golden = loadPos32();
let dir: string;

beforeAll(async () => {
  await useBackend('wasm');
  dir = mkdtempSync(join(tmpdir(), 'mohawk-export-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function roundTrip(layout: string, init: 'random' | 'from_attention', format: 'auto' | 'mohawk' | 'llamba', sub: string) {
  const ir = studentIR(layout, init);
  const a = buildStudent(stories260K(), ir, { seed: 1 });
  const out = join(dir, sub);
  const res = await exportStudent(a, ir, out, { format });
  const b = buildStudent(stories260K(), ir, { seed: 2 });
  const before = await b.model.forward([golden.tokensFed]).logits!.data();
  const back = readStudentExport(out, stories260K().config);
  assignStudentWeights(b, back.tensors, out);
  const want = await a.model.forward([golden.tokensFed]).logits!.data();
  const got = await b.model.forward([golden.tokensFed]).logits!.data();
  expect(relErr(before, want)).toBeGreaterThan(1e-3); // the seeds really differ, so the assignment did the work
  expect(maxAbsDiff(got, want)).toBe(0);
  a.model.dispose();
  b.model.dispose();
  return { res, out, back };
}

describe('student export', () => {
  it('an all-attention student exported as mohawk loads as a HF Llama and reproduces run.c', async () => {
    const ir = studentIR('AAAAA', 'random');
    const s = buildStudent(stories260K(), ir, { trainable: false });
    const out = join(dir, 'all-attention');
    const { format } = await exportStudent(s, ir, out);
    expect(format).toBe('mohawk');
    const cfg = readHfConfig(out);
    expect(cfg).toMatchObject({ family: 'llama', dModel: 64, layers: 5, heads: 8, kvHeads: 4, ropeLayout: 'half', tiedEmbeddings: true, normEps: 1e-5 });
    const teacher = buildTeacher(loadCheckpoint(out));
    const { logits } = teacher.forward([golden.tokensFed]);
    expect(maxAbsDiff(await logits!.data(), golden.logits)).toBeLessThan(1e-4);
    teacher.dispose();
    s.model.dispose();
  });

  it("the hybrid's kept attention and copied parts equal the independently converted HF checkpoint", async () => {
    const { res, out } = await roundTrip('SSASS', 'from_attention', 'auto', 'hybrid');
    expect(res.format).toBe('mohawk');
    const ours = readSafetensors(join(out, 'model.safetensors')).tensors;
    const hf = readSafetensors(resolve(GOLDEN_DIR, 'hf', 'hf_llama_stories260K', 'model.safetensors')).tensors;
    const shared = [...hf.keys()].filter((k) => !/layers\.[0134]\.self_attn/.test(k));
    expect(shared.length).toBe(hf.size - 16);
    for (const k of shared) {
      expect(ours.get(k)?.shape, k).toEqual(hf.get(k)!.shape);
      expect(maxAbsDiff(ours.get(k)!.data, hf.get(k)!.data), k).toBe(0);
    }
    expect([...ours.keys()].filter((k) => k.includes('self_attn')).length).toBe(4);
    expect(ours.get('model.layers.0.mixer.conv1d.weight')!.shape).toEqual([192, 1, 4]);
  });

  it('a pure discrete student exports as Llamba with exactly LlambaLMHeadModel state-dict names and shapes', async () => {
    const { res, out, back } = await roundTrip('SSSSS', 'from_attention', 'auto', 'llamba');
    expect(res.format).toBe('llamba');
    const want = new Map<string, number[]>([
      ['backbone.embedding.weight', [512, 64]],
      ['backbone.final_layernorm.weight', [64]],
    ]);
    for (let i = 0; i < 5; i++) {
      const L = `backbone.layers.${i}.`;
      want.set(`${L}mixer.in_proj.weight`, [2 * 64 + 2 * 8 * 8 + 8, 64]);
      want.set(`${L}mixer.z_bias`, [64]);
      want.set(`${L}mixer.conv1d.weight`, [64 + 2 * 8 * 8, 1, 4]);
      want.set(`${L}mixer.conv1d.bias`, [64 + 2 * 8 * 8]);
      want.set(`${L}mixer.D`, [8]);
      want.set(`${L}mixer.out_proj.weight`, [64, 64]);
      want.set(`${L}input_layernorm.weight`, [64]);
      want.set(`${L}post_attention_layernorm.weight`, [64]);
      want.set(`${L}mlp.gate_proj.weight`, [172, 64]);
      want.set(`${L}mlp.up_proj.weight`, [172, 64]);
      want.set(`${L}mlp.down_proj.weight`, [64, 172]);
    }
    const file = readSafetensors(join(out, 'model.safetensors')).tensors;
    expect(new Map([...file].map(([k, t]) => [k, t.shape]))).toEqual(want);
    expect(back.config).toMatchObject({
      model_type: 'llamba',
      d_model: 64,
      n_layer: 5,
      vocab_size: 512,
      tie_embeddings: true,
      mlp_cfg: { intermediate_size: 172, bias: false, act_fn: 'silu' },
      ssm_cfg: { d_state: 8, n_v_heads: 8, n_qk_heads: 8, expand: 1, d_conv: 4, activation: 'identity', bias: false },
    });
  });

  it('a mamba2 GQA-aware hybrid exports in the MambaInLlama layout and round-trips', async () => {
    const ir = studentIR('SASSA', 'random', { kind: 'mamba2', dState: 8, headDim: 8, heads: 8, groups: 8, dInner: 64, expand: 1, convWidth: 4, chunk: 64, dtype: 'f32', kvHeads: 4 });
    const a = buildStudent(stories260K(), ir, { seed: 5 });
    const out = join(dir, 'mamba2');
    const { format, files } = await exportStudent(a, ir, out);
    expect(format).toBe('mambainllama');
    // Names of MambaInLlama's MambaDecoderLayer / Mamba2 (mamba2/hybrid_model.py, hybrid_mamba_layer.py).
    const file = readSafetensors(join(out, 'model.safetensors')).tensors;
    const shapes = Object.fromEntries([...file].filter(([k]) => k.startsWith('model.layers.0.')).map(([k, t]) => [k, t.shape]));
    expect(shapes).toEqual({
      'model.layers.0.mamba.in_proj.weight': [64 + 32 + 32 + 64 + 8, 64], // [z | x (d_xb) | B (d_xb) | C | dt]
      'model.layers.0.mamba.conv1d.weight': [32 + 32 + 64, 1, 4],
      'model.layers.0.mamba.conv1d.bias': [128],
      'model.layers.0.mamba.dt_bias': [8],
      'model.layers.0.mamba.A_log': [8],
      'model.layers.0.mamba.D': [8],
      'model.layers.0.mamba.norm.weight': [64],
      'model.layers.0.mamba.out_proj.weight': [64, 64],
      'model.layers.0.input_layernorm.weight': [64],
      'model.layers.0.post_attention_layernorm.weight': [64],
      'model.layers.0.mlp.gate_proj.weight': [172, 64],
      'model.layers.0.mlp.up_proj.weight': [172, 64],
      'model.layers.0.mlp.down_proj.weight': [64, 172],
    });
    expect(file.has('model.layers.1.self_attn.q_proj.weight')).toBe(true);
    expect(JSON.parse(readFileSync(files[2], 'utf8'))).toEqual({
      d_model: 64,
      ssm_cfg: { d_state: 8, d_conv: 4, ngroups: 8, headdim: 8, chunk_size: 64 },
      rms_norm_eps: 1e-5,
      vocab_size: 512,
      d_inner: 64,
      d_xb: 32,
      intermediate_size: 172,
      hidden_act: 'silu',
      n_layer: 5,
      attn_layers: [1, 4],
    });
    const b = buildStudent(stories260K(), ir, { seed: 6 });
    assignStudentWeights(b, readStudentExport(out, stories260K().config).tensors);
    const ids = tf.tensor2d([golden.tokensFed.slice(0, 12)], undefined, 'int32');
    expect(maxAbsDiff(await b.model.forward(ids).logits!.data(), await a.model.forward(ids).logits!.data())).toBe(0);
  });

  it('refuses what it cannot do, naming why', async () => {
    const ir = studentIR('SSASS', 'random');
    const s = buildStudent(stories260K(), ir, { trainable: false });
    await expect(exportStudent(s, ir, join(dir, 'x'), { format: 'llamba' })).rejects.toThrow(/no attention layers/);
    await expect(exportStudent(s, ir, join(dir, 'x'), { format: 'llamba' })).rejects.toThrow(StudentLayoutError);
    expect(() => readStudentExport(resolve(GOLDEN_DIR, 'hf', 'hf_llama_stories260K'), stories260K().config)).toThrow(FileFormatError);
  });
});
