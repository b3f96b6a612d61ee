/**
 * Random small checkpoints of each family, written in the Hugging Face on-disk layout with our safetensors
 * writer, loaded through runtime/io and run through runtime/models, against the float64 reference in
 * reference-f64.ts. Also the frozen and the trainable (Variable, one-hot, unfused) forms against each other.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../../../runtime/io/checkpoint.ts';
import { writeSafetensors } from '../../../runtime/io/safetensors.ts';
import type { HostTensor } from '../../../runtime/io/types.ts';
import { buildTeacher } from '../../../runtime/models/index.ts';
import { tf, useBackend } from '../../../runtime/tensor/backend.ts';
import { referenceForward, type RefConfig } from './reference-f64.ts';

/** mulberry32: a tiny seeded generator, so every run builds the same checkpoints. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomTensors(cfg: RefConfig, seed: number): Map<string, HostTensor> {
  const r = rng(seed);
  const m = new Map<string, HostTensor>();
  const { d, ffn: f, vocab: V } = cfg;
  const hd = d / cfg.heads;
  const qd = cfg.heads * hd;
  const kvd = cfg.kvHeads * hd;
  const put = (name: string, shape: number[], scale: number, center = 0) => {
    const n = shape.reduce((a, b) => a * b, 1);
    m.set(name, { shape, data: Float32Array.from({ length: n }, () => center + (r() * 2 - 1) * scale) });
  };
  const lin = (name: string, out: number, inp: number, bias: boolean, conv1d = false) => {
    put(`${name}.weight`, conv1d ? [inp, out] : [out, inp], 1.5 / Math.sqrt(inp));
    if (bias) put(`${name}.bias`, [out], 0.2);
  };
  const norm = (name: string, bias: boolean) => {
    put(`${name}.weight`, [d], 0.3, 1);
    if (bias) put(`${name}.bias`, [d], 0.1);
  };
  if (cfg.family === 'gpt2') {
    put('transformer.wte.weight', [V, d], 1);
    put('transformer.wpe.weight', [cfg.maxPos, d], 0.5);
    for (let l = 0; l < cfg.layers; l++) {
      const L = `transformer.h.${l}.`;
      norm(`${L}ln_1`, true);
      lin(`${L}attn.c_attn`, 3 * d, d, true, true);
      lin(`${L}attn.c_proj`, d, d, true, true);
      norm(`${L}ln_2`, true);
      lin(`${L}mlp.c_fc`, f, d, true, true);
      lin(`${L}mlp.c_proj`, d, f, true, true);
    }
    norm('transformer.ln_f', true);
    return m;
  }
  put('model.embed_tokens.weight', [V, d], 1);
  const phi = cfg.family === 'phi';
  for (let l = 0; l < cfg.layers; l++) {
    const L = `model.layers.${l}.`;
    norm(`${L}input_layernorm`, phi);
    lin(`${L}self_attn.q_proj`, qd, d, phi || cfg.attnBias);
    lin(`${L}self_attn.k_proj`, kvd, d, phi || cfg.attnBias);
    lin(`${L}self_attn.v_proj`, kvd, d, phi || cfg.attnBias);
    if (phi) {
      lin(`${L}self_attn.dense`, d, qd, true);
      lin(`${L}mlp.fc1`, f, d, true);
      lin(`${L}mlp.fc2`, d, f, true);
    } else {
      lin(`${L}self_attn.o_proj`, d, qd, cfg.attnBias);
      norm(`${L}post_attention_layernorm`, false);
      lin(`${L}mlp.gate_proj`, f, d, false);
      lin(`${L}mlp.up_proj`, f, d, false);
      lin(`${L}mlp.down_proj`, d, f, false);
    }
  }
  norm(phi ? 'model.final_layernorm' : 'model.norm', phi);
  if (!cfg.tied) lin('lm_head', V, d, phi);
  return m;
}

function hfConfig(cfg: RefConfig): Record<string, unknown> {
  const common = { vocab_size: cfg.vocab, tie_word_embeddings: cfg.tied };
  if (cfg.family === 'gpt2')
    return { ...common, model_type: 'gpt2', architectures: ['GPT2LMHeadModel'], n_embd: cfg.d, n_layer: cfg.layers, n_head: cfg.heads, n_positions: cfg.maxPos, n_inner: cfg.ffn, layer_norm_epsilon: cfg.eps, activation_function: 'gelu_new' };
  const base = { ...common, hidden_size: cfg.d, num_hidden_layers: cfg.layers, num_attention_heads: cfg.heads, num_key_value_heads: cfg.kvHeads, intermediate_size: cfg.ffn, max_position_embeddings: cfg.maxPos };
  if (cfg.family === 'phi')
    return { ...base, model_type: 'phi', architectures: ['PhiForCausalLM'], layer_norm_eps: cfg.eps, hidden_act: 'gelu_new', rope_parameters: { rope_theta: cfg.theta, rope_type: 'default', partial_rotary_factor: cfg.rotaryDim / (cfg.d / cfg.heads) } };
  return { ...base, model_type: 'llama', architectures: ['LlamaForCausalLM'], rms_norm_eps: cfg.eps, hidden_act: 'silu', rope_theta: cfg.theta, attention_bias: cfg.attnBias };
}

const CASES: RefConfig[] = [
  // GQA 4/2, rotate-half, untied head, attention biases, a non-default θ.
  { family: 'llama', d: 32, layers: 2, heads: 4, kvHeads: 2, vocab: 48, ffn: 40, maxPos: 64, eps: 1e-5, theta: 500, rotaryDim: 8, tied: false, attnBias: true },
  // Partial rotary (4 of 8 dims), parallel block, biases everywhere, untied head with bias.
  { family: 'phi', d: 32, layers: 2, heads: 4, kvHeads: 4, vocab: 48, ffn: 64, maxPos: 64, eps: 1e-5, theta: 10000, rotaryDim: 4, tied: false, attnBias: true },
  // Learned positions, Conv1D [in, out] on disk, tied head.
  { family: 'gpt2', d: 32, layers: 2, heads: 4, kvHeads: 4, vocab: 48, ffn: 64, maxPos: 64, eps: 1e-5, theta: 0, rotaryDim: 0, tied: true, attnBias: true },
];

const dir = mkdtempSync(join(tmpdir(), 'mohawk-models-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function relErr(ours: ArrayLike<number>, ref: ArrayLike<number>): number {
  let m = 0;
  let r = 0;
  for (let i = 0; i < ref.length; i++) {
    m = Math.max(m, Math.abs(ours[i] - ref[i]));
    r = Math.max(r, Math.abs(ref[i]));
  }
  return m / r;
}

describe.each(['wasm', 'cpu'] as const)('HF-layout checkpoints vs a float64 reference (%s)', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });
  for (const [i, cfg] of CASES.entries()) {
    it(`${cfg.family}: padded batch logits match, frozen and trainable`, async () => {
      const weights = randomTensors(cfg, 1000 + i);
      const folder = join(dir, `${backend}-${cfg.family}`);
      rmSync(folder, { recursive: true, force: true });
      mkdirSync(folder, { recursive: true });
      writeFileSync(join(folder, 'config.json'), JSON.stringify(hfConfig(cfg)));
      writeSafetensors(join(folder, 'model.safetensors'), weights);

      const r = rng(7 + i);
      const T = 40;
      const lengths = [T, 23];
      const rows = lengths.map((n) => Array.from({ length: T }, (_, t) => (t < n ? Math.floor(r() * cfg.vocab) : 0)));
      const refs = rows.map((row, b) => referenceForward(cfg, weights, row.slice(0, lengths[b])));
      // The reference itself must be non-trivial: logits that vary across the vocabulary.
      expect(Math.max(...refs[0]) - Math.min(...refs[0])).toBeGreaterThan(1);

      const ckpt = loadCheckpoint(folder);
      for (const trainable of [false, true]) {
        const model = buildTeacher(ckpt, { trainable });
        const out = model.forward(rows, { lengths });
        const logits = await out.logits!.data();
        out.logits!.dispose();
        model.dispose();
        for (let b = 0; b < rows.length; b++) {
          const ours = logits.subarray(b * T * cfg.vocab, (b * T + lengths[b]) * cfg.vocab);
          expect(relErr(ours, refs[b]), `${cfg.family} row ${b} trainable=${trainable}`).toBeLessThan(2e-6);
        }
      }
    });
  }
});

describe('trainable teacher', () => {
  it('gives a gradient to every parameter on wasm (one-hot embedding, tied head)', async () => {
    await useBackend('wasm');
    const cfg = CASES[2];
    const folder = join(dir, 'grad-gpt2');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'config.json'), JSON.stringify(hfConfig(cfg)));
    writeSafetensors(join(folder, 'model.safetensors'), randomTensors(cfg, 5));
    const model = buildTeacher(loadCheckpoint(folder), { trainable: true });
    const ids = tf.tensor2d([[1, 2, 3, 4, 5, 6]], undefined, 'int32');
    const { value, grads } = tf.variableGrads(() => model.forward(ids).logits!.square().mean() as tf.Scalar);
    const names = [...model.params.values()].map((p) => (p as tf.Variable).name);
    expect(Object.keys(grads).sort()).toEqual(names.sort());
    for (const g of Object.values(grads)) expect((await g.abs().sum().data())[0]).toBeGreaterThan(0);
    tf.dispose([value, ids, ...Object.values(grads)]);
    model.dispose();
  });
});
