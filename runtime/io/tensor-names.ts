/**
 * The tensors each family's checkpoint must hold, under Hugging Face names, with their shapes after loading
 * (linear weights [out, in]). Loaders check files against this list so a missing or mis-shaped tensor is a
 * clear error at load time rather than a shape error deep inside the model.
 *
 * GPT-2 keeps HF's fused `attn.c_attn` (q, k, v stacked along the output rows, in that order) and the
 * `transformer.` prefix; Phi keeps `self_attn.dense` and `model.final_layernorm`.
 */
import type { TransformerConfig } from './types.ts';

export function expectedTensors(c: TransformerConfig): Map<string, number[]> {
  const m = new Map<string, number[]>();
  const D = c.dModel;
  const F = c.ffnHidden;
  const q = c.heads * c.headDim;
  const kv = c.kvHeads * c.headDim;
  const linear = (name: string, out: number, inp: number, bias: boolean) => {
    m.set(`${name}.weight`, [out, inp]);
    if (bias) m.set(`${name}.bias`, [out]);
  };
  const norm = (name: string) => {
    m.set(`${name}.weight`, [D]);
    if (c.norm === 'layer') m.set(`${name}.bias`, [D]);
  };
  if (c.family === 'gpt2') {
    m.set('transformer.wte.weight', [c.vocab, D]);
    m.set('transformer.wpe.weight', [c.maxSeqLen, D]);
    for (let i = 0; i < c.layers; i++) {
      const L = `transformer.h.${i}`;
      norm(`${L}.ln_1`);
      linear(`${L}.attn.c_attn`, 3 * D, D, true);
      linear(`${L}.attn.c_proj`, D, D, true);
      norm(`${L}.ln_2`);
      linear(`${L}.mlp.c_fc`, F, D, true);
      linear(`${L}.mlp.c_proj`, D, F, true);
    }
    norm('transformer.ln_f');
    if (!c.tiedEmbeddings) linear('lm_head', c.vocab, D, false);
    return m;
  }
  m.set('model.embed_tokens.weight', [c.vocab, D]);
  for (let i = 0; i < c.layers; i++) {
    const L = `model.layers.${i}`;
    norm(`${L}.input_layernorm`);
    linear(`${L}.self_attn.q_proj`, q, D, c.attnBias);
    linear(`${L}.self_attn.k_proj`, kv, D, c.attnBias);
    linear(`${L}.self_attn.v_proj`, kv, D, c.attnBias);
    if (c.family === 'phi') {
      linear(`${L}.self_attn.dense`, D, q, true);
      linear(`${L}.mlp.fc1`, F, D, true);
      linear(`${L}.mlp.fc2`, D, F, true);
    } else {
      linear(`${L}.self_attn.o_proj`, D, q, c.attnBias);
      norm(`${L}.post_attention_layernorm`);
      linear(`${L}.mlp.gate_proj`, F, D, c.mlpBias);
      linear(`${L}.mlp.up_proj`, F, D, c.mlpBias);
      linear(`${L}.mlp.down_proj`, D, F, c.mlpBias);
    }
  }
  norm(c.family === 'phi' ? 'model.final_layernorm' : 'model.norm');
  if (!c.tiedEmbeddings) linear('lm_head', c.vocab, D, c.lmHeadBias);
  else if (c.lmHeadBias) m.set('lm_head.bias', [c.vocab]);
  return m;
}

/** Names whose stored layout is GPT-2 `Conv1D` ([in, out]) and must be transposed on load. */
export function isGpt2Conv1D(name: string): boolean {
  return /^transformer\.h\.\d+\.(attn\.c_attn|attn\.c_proj|mlp\.c_fc|mlp\.c_proj)\.weight$/.test(name);
}

/** Buffers some checkpoints carry that are not weights (causal masks, cached rotary frequencies). */
export function isIgnorableBuffer(name: string): boolean {
  return /(^|\.)attn\.(bias|masked_bias)$/.test(name) || /\.rotary_emb\.inv_freq$/.test(name);
}

/** Checks names and shapes; the message names the first offending tensor. Returns null when all is well. */
export function checkTensorSet(
  tensors: Map<string, { shape: number[] }>,
  expected: Map<string, number[]>,
): string | null {
  for (const [name, shape] of expected) {
    const t = tensors.get(name);
    if (!t) return `missing tensor '${name}' (expected shape [${shape.join(', ')}])`;
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]))
      return `tensor '${name}' has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}] from the config`;
  }
  for (const name of tensors.keys()) {
    if (!expected.has(name)) return `unexpected tensor '${name}' (not part of this architecture as configured)`;
  }
  return null;
}
