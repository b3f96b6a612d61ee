/** A teacher layer's attention projections read from the checkpoint's host tensors (no device copies). */
import type { Checkpoint, HostTensor } from '../io/types.ts';
import { FileFormatError } from '../io/types.ts';
import { familySource } from '../models/index.ts';
import type { LinearSource } from '../models/weights.ts';
import type { AttentionSource } from './from-attention.ts';

export function attentionFromCheckpoint(ckpt: Checkpoint, layer: number): AttentionSource {
  const cfg = ckpt.config;
  if (!(layer >= 0 && layer < cfg.layers)) throw new FileFormatError(ckpt.path, `no layer ${layer} (the model has ${cfg.layers})`);
  const src = familySource(ckpt).layers[layer];
  const get = (name: string): HostTensor => {
    const t = ckpt.tensors.get(name);
    if (!t) throw new FileFormatError(ckpt.path, `missing tensor '${name}'`);
    return t;
  };
  const rows = (s: LinearSource): { w: HostTensor; b?: HostTensor } => {
    const w = get(s.weight);
    const b = s.bias ? get(s.bias) : undefined;
    if (!s.rows) return { w, b };
    const [r0, r1] = s.rows;
    const cols = w.shape[1];
    return {
      w: { shape: [r1 - r0, cols], data: w.data.slice(r0 * cols, r1 * cols) },
      b: b ? { shape: [r1 - r0], data: b.data.slice(r0, r1) } : undefined,
    };
  };
  const q = rows(src.q);
  const k = rows(src.k);
  const v = rows(src.v);
  const o = rows(src.o);
  return {
    heads: cfg.heads,
    kvHeads: cfg.kvHeads,
    headDim: cfg.headDim,
    q: q.w,
    k: k.w,
    v: v.w,
    o: o.w,
    qBias: q.b,
    kBias: k.b,
    vBias: v.b,
    oBias: o.b,
  };
}
