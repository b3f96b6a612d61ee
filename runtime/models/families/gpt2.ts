/**
 * GPT-2 tensor names. runtime/io transposes GPT-2's Conv1D weights ([in, out] on disk) to the [out, in]
 * contract; c_attn stays fused (rows q | k | v), so q, k and v are row ranges of it. Checkpoints saved from
 * GPT2LMHeadModel prefix names with `transformer.`, the original hub ones do not: both are accepted.
 */
import type { TransformerConfig } from '../../io/types.ts';
import type { FamilySource, LinearSource } from '../weights.ts';
import { optional } from './llama.ts';

export function gpt2Source(cfg: TransformerConfig, names: ReadonlySet<string>): FamilySource {
  const pre = names.has('transformer.wte.weight') ? 'transformer.' : '';
  const H = (i: number, n: string) => `${pre}h.${i}.${n}`;
  const d = cfg.dModel;
  const lin = (name: string, rows?: [number, number]): LinearSource => ({
    weight: `${name}.weight`,
    bias: optional(names, `${name}.bias`),
    rows,
  });
  const tiedHead = cfg.tiedEmbeddings || !names.has('lm_head.weight');
  return {
    embed: `${pre}wte.weight`,
    positions: `${pre}wpe.weight`,
    layers: Array.from({ length: cfg.layers }, (_, i) => ({
      attnNorm: { weight: H(i, 'ln_1.weight'), bias: optional(names, H(i, 'ln_1.bias')) },
      mlpNorm: { weight: H(i, 'ln_2.weight'), bias: optional(names, H(i, 'ln_2.bias')) },
      q: lin(H(i, 'attn.c_attn'), [0, d]),
      k: lin(H(i, 'attn.c_attn'), [d, 2 * d]),
      v: lin(H(i, 'attn.c_attn'), [2 * d, 3 * d]),
      o: lin(H(i, 'attn.c_proj')),
      up: lin(H(i, 'mlp.c_fc')),
      down: lin(H(i, 'mlp.c_proj')),
    })),
    finalNorm: { weight: `${pre}ln_f.weight`, bias: optional(names, `${pre}ln_f.bias`) },
    tiedHeadBias: tiedHead ? optional(names, 'lm_head.bias') : undefined,
    head: tiedHead ? undefined : lin('lm_head'),
  };
}
