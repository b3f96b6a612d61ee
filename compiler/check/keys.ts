/** The keys each block kind accepts (edition 0.1). Used for unknown-key errors and "belongs in" hints. */
export const BLOCK_KINDS = ['teacher', 'student', 'data', 'defaults', 'stage', 'kernels', 'eval'] as const;
export type BlockKind = (typeof BLOCK_KINDS)[number];

/** Architecture values a teacher block may declare; each must agree with the checkpoint header. */
export const TEACHER_DECLARED = ['family', 'layers', 'd_model', 'heads', 'kv_heads', 'head_dim', 'vocab', 'max_seq_len', 'ffn_hidden'] as const;

/** Stage settings that `defaults` may also set. */
export const STAGE_SHARED = ['batch', 'batch_tokens', 'seq_len', 'micro_batch', 'lr', 'schedule', 'optimizer', 'grad_clip', 'freeze', 'data', 'seed', 'checkpoint_every'] as const;

export const BLOCK_KEYS: Record<BlockKind, readonly string[]> = {
  teacher: ['checkpoint', 'tokenizer', 'format', ...TEACHER_DECLARED],
  student: ['mixer', 'layout', 'attention_layers', 'init', 'decay_init'],
  data: ['source', 'protocol', 'seed'],
  defaults: [...STAGE_SHARED],
  stage: ['after', 'layers', 'tokens', 'loss', ...STAGE_SHARED],
  kernels: ['targets', 'from_student', 'shapes'],
  eval: ['data', 'protocol', 'max_sequences'],
};

export const STAGE_KINDS = ['matrix_orientation', 'hidden_state_alignment', 'end_to_end'] as const;

/** Parameter groups for `freeze` and `no_decay` (the runtime maps them onto parameter names). */
export const PARAM_GROUPS = ['embed', 'norm', 'mlp', 'mixer', 'attention', 'lm_head', 'D', 'bias', 'conv'] as const;
