/** Llama (and llama2.c, GGUF llama) tensor names, as runtime/io normalises them to Hugging Face's. */
import type { TransformerConfig } from '../../io/types.ts';
import type { FamilySource } from '../weights.ts';

export function llamaSource(cfg: TransformerConfig, names: ReadonlySet<string>): FamilySource {
  const L = (i: number, n: string) => `model.layers.${i}.${n}`;
  const tiedHead = cfg.tiedEmbeddings || !names.has('lm_head.weight');
  return {
    embed: 'model.embed_tokens.weight',
    layers: Array.from({ length: cfg.layers }, (_, i) => ({
      attnNorm: { weight: L(i, 'input_layernorm.weight') },
      mlpNorm: { weight: L(i, 'post_attention_layernorm.weight') },
      q: { weight: L(i, 'self_attn.q_proj.weight'), bias: optional(names, L(i, 'self_attn.q_proj.bias')) },
      k: { weight: L(i, 'self_attn.k_proj.weight'), bias: optional(names, L(i, 'self_attn.k_proj.bias')) },
      v: { weight: L(i, 'self_attn.v_proj.weight'), bias: optional(names, L(i, 'self_attn.v_proj.bias')) },
      o: { weight: L(i, 'self_attn.o_proj.weight'), bias: optional(names, L(i, 'self_attn.o_proj.bias')) },
      gate: { weight: L(i, 'mlp.gate_proj.weight') },
      up: { weight: L(i, 'mlp.up_proj.weight') },
      down: { weight: L(i, 'mlp.down_proj.weight') },
    })),
    finalNorm: { weight: 'model.norm.weight' },
    tiedHeadBias: tiedHead ? optional(names, 'lm_head.bias') : undefined,
    head: tiedHead ? undefined : { weight: 'lm_head.weight', bias: optional(names, 'lm_head.bias') },
  };
}

/** Bias tensors exist only in some checkpoints (attention_bias: true); use them when present. */
export function optional(names: ReadonlySet<string>, name: string): string | undefined {
  return names.has(name) ? name : undefined;
}
