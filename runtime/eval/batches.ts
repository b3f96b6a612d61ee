/**
 * Packs variable-length sequences into padded batches for evaluation: sorted by length so a batch's rows are
 * nearly equal (little padding), each batch bounded in tokens (B·T) and in attention-matrix elements
 * (B·heads·T², the largest intermediate of a forward pass).
 */
export interface BatchPlanOptions {
  /** Max B·T per forward (default 16384). */
  batchTokens?: number;
  /** Max B·heads·T² per forward (default 2^24 floats = 64 MiB). */
  attentionElements?: number;
  /** Pad T up to a multiple of this (default 8: fewer distinct shapes for backends that compile per shape). */
  padMultiple?: number;
  /** Never pad beyond this (the model's maximum positions). */
  maxLength: number;
  heads: number;
}

export interface PlannedBatch {
  /** Indices into the input list, longest first. */
  rows: number[];
  /** Padded length of the batch. */
  length: number;
}

export function planBatches(lengths: readonly number[], opts: BatchPlanOptions): PlannedBatch[] {
  const batchTokens = opts.batchTokens ?? 16384;
  const attn = opts.attentionElements ?? 1 << 24;
  const mult = opts.padMultiple ?? 8;
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[b] - lengths[a] || a - b);
  const out: PlannedBatch[] = [];
  let i = 0;
  while (i < order.length) {
    const longest = lengths[order[i]];
    if (longest > opts.maxLength) throw new RangeError(`sequence ${order[i]} has ${longest} tokens, more than the model's ${opts.maxLength}`);
    const t = Math.min(opts.maxLength, Math.ceil(longest / mult) * mult);
    const cap = Math.max(1, Math.min(Math.floor(batchTokens / t), Math.floor(attn / (opts.heads * t * t))));
    const rows = order.slice(i, i + cap);
    out.push({ rows, length: t });
    i += rows.length;
  }
  return out;
}
