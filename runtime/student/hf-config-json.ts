/**
 * TransformerConfig → a Hugging Face config.json object for the teacher's family (the inverse of
 * runtime/io/hf-config.ts; a test reads ours back through it). The exported student's non-mixer parts load
 * under these settings.
 */
import type { TransformerConfig } from '../io/types.ts';

export function hfConfigJson(c: TransformerConfig): Record<string, unknown> {
  switch (c.family) {
    case 'llama':
      return {
        architectures: ['LlamaForCausalLM'],
        model_type: 'llama',
        hidden_size: c.dModel,
        intermediate_size: c.ffnHidden,
        num_hidden_layers: c.layers,
        num_attention_heads: c.heads,
        num_key_value_heads: c.kvHeads,
        head_dim: c.headDim,
        vocab_size: c.vocab,
        max_position_embeddings: c.maxSeqLen,
        rms_norm_eps: c.normEps,
        rope_theta: c.ropeTheta ?? 10000,
        hidden_act: 'silu',
        tie_word_embeddings: c.tiedEmbeddings,
        attention_bias: c.attnBias,
        mlp_bias: c.mlpBias,
        torch_dtype: 'float32',
      };
    case 'phi':
      return {
        architectures: ['PhiForCausalLM'],
        model_type: 'phi',
        hidden_size: c.dModel,
        intermediate_size: c.ffnHidden,
        num_hidden_layers: c.layers,
        num_attention_heads: c.heads,
        num_key_value_heads: c.kvHeads,
        vocab_size: c.vocab,
        max_position_embeddings: c.maxSeqLen,
        layer_norm_eps: c.normEps,
        rope_theta: c.ropeTheta ?? 10000,
        partial_rotary_factor: (c.rotaryDim ?? c.headDim) / c.headDim,
        hidden_act: c.mlp,
        tie_word_embeddings: c.tiedEmbeddings,
        torch_dtype: 'float32',
      };
    case 'gpt2':
      return {
        architectures: ['GPT2LMHeadModel'],
        model_type: 'gpt2',
        n_embd: c.dModel,
        n_layer: c.layers,
        n_head: c.heads,
        n_positions: c.maxSeqLen,
        n_inner: c.ffnHidden,
        vocab_size: c.vocab,
        layer_norm_epsilon: c.normEps,
        activation_function: c.mlp,
        tie_word_embeddings: c.tiedEmbeddings,
        torch_dtype: 'float32',
      };
  }
}
