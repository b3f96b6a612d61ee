/**
 * Phi (PhiForCausalLM) tensor names. One LayerNorm per block feeds both attention and MLP (parallel block);
 * q/k/v/dense/fc1/fc2 and the LM head carry biases.
 */
import type { TransformerConfig } from '../../io/types.ts';
import type { FamilySource } from '../weights.ts';
import { optional } from './llama.ts';

export function phiSource(cfg: TransformerConfig, names: ReadonlySet<string>): FamilySource {
  const L = (i: number, n: string) => `model.layers.${i}.${n}`;
  const lin = (name: string) => ({ weight: `${name}.weight`, bias: optional(names, `${name}.bias`) });
  const tiedHead = cfg.tiedEmbeddings || !names.has('lm_head.weight');
  return {
    embed: 'model.embed_tokens.weight',
    layers: Array.from({ length: cfg.layers }, (_, i) => ({
      attnNorm: { weight: L(i, 'input_layernorm.weight'), bias: optional(names, L(i, 'input_layernorm.bias')) },
      q: lin(L(i, 'self_attn.q_proj')),
      k: lin(L(i, 'self_attn.k_proj')),
      v: lin(L(i, 'self_attn.v_proj')),
      o: lin(L(i, 'self_attn.dense')),
      up: lin(L(i, 'mlp.fc1')),
      down: lin(L(i, 'mlp.fc2')),
    })),
    finalNorm: { weight: 'model.final_layernorm.weight', bias: optional(names, 'model.final_layernorm.bias') },
    tiedHeadBias: tiedHead ? optional(names, 'lm_head.bias') : undefined,
    head: tiedHead ? undefined : lin('lm_head'),
  };
}
