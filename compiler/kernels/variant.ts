/**
 * Kernel variant keys: `<kernel>_<decay>_n<N>_p<P>_h<H>_g<G>_q<Q>_<dtype>` (docs/architecture.md). Every
 * specialisation axis is in the name, so a key names exactly one generated file per target and two specs that
 * need the same shape share it.
 */
import type { DType, KernelName, KernelTarget, KernelVariantIR } from '../ir/types.ts';

export const KERNEL_NAMES: readonly KernelName[] = ['ssd_fwd', 'ssd_bwd', 'ssd_step', 'ssd_materialize'];
export const DECAYS = ['discrete', 'continuous'] as const;
export type Decay = (typeof DECAYS)[number];

/** A variant or key the emitters cannot generate; the message names the key and the broken rule. */
export class KernelVariantError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KernelVariantError';
  }
}

export function variantKey(v: Omit<KernelVariantIR, 'key' | 'targets'>): string {
  return `${v.kernel}_${v.decay}_n${v.n}_p${v.p}_h${v.h}_g${v.g}_q${v.q}_${v.dtype}`;
}

const KEY_RE = /^(ssd_fwd|ssd_bwd|ssd_step|ssd_materialize)_(discrete|continuous)_n(\d+)_p(\d+)_h(\d+)_g(\d+)_q(\d+)_(f32|f16|bf16)$/;

export function parseVariantKey(key: string, targets: KernelTarget[] = ['wgsl', 'cuda']): KernelVariantIR {
  const m = KEY_RE.exec(key);
  if (!m) throw new KernelVariantError(`'${key}' is not a kernel variant key (<kernel>_<decay>_n<N>_p<P>_h<H>_g<G>_q<Q>_<dtype>)`);
  const v: KernelVariantIR = {
    key,
    kernel: m[1] as KernelName,
    decay: m[2] as Decay,
    n: Number(m[3]),
    p: Number(m[4]),
    h: Number(m[5]),
    g: Number(m[6]),
    q: Number(m[7]),
    dtype: m[8] as DType,
    targets,
  };
  validateVariant(v);
  return v;
}

/** Limits the templates rely on (workgroup-memory tiles, WMMA tiles in CUDA, private arrays in WGSL). */
export function validateVariant(v: KernelVariantIR): void {
  const where = `kernel variant ${v.key}`;
  if (v.key !== variantKey(v)) throw new KernelVariantError(`${where}: key does not match its fields (expected ${variantKey(v)})`);
  for (const [name, val, max] of [
    ['n (d_state)', v.n, 256],
    ['p (head_dim)', v.p, 256],
    ['h (heads)', v.h, 4096],
    ['g (groups)', v.g, 4096],
    ['q (chunk)', v.q, 256],
  ] as const) {
    if (!Number.isInteger(val) || val < 1 || val > max) throw new KernelVariantError(`${where}: ${name} must be an integer in 1..${max}, got ${val}`);
  }
  if (v.h % v.g !== 0) throw new KernelVariantError(`${where}: groups ${v.g} must divide heads ${v.h}`);
  if (v.targets.includes('wgsl') && v.dtype === 'bf16') throw new KernelVariantError(`${where}: WGSL has no bf16`);
  for (const sm of v.sm ?? []) {
    if (!Number.isInteger(sm) || sm < 75 || sm > 121) throw new KernelVariantError(`${where}: sm ${sm} is not a CUDA architecture nvcc 13 builds (75..121)`);
  }
}

/** The CUDA architectures to emit a file for (compute capability × 10); sm_90 when the IR names none. */
export function cudaArchs(v: KernelVariantIR): number[] {
  return v.sm && v.sm.length ? [...new Set(v.sm)].sort((a, b) => a - b) : [90];
}

/** Merge duplicate keys (union of targets), validate, and sort by key: the emitters' canonical input order. */
export function normaliseVariants(variants: readonly KernelVariantIR[]): KernelVariantIR[] {
  const byKey = new Map<string, KernelVariantIR>();
  for (const v of variants) {
    const prev = byKey.get(v.key);
    const targets = [...new Set([...(prev?.targets ?? []), ...v.targets])].sort() as KernelTarget[];
    const merged: KernelVariantIR = { ...v, targets };
    delete merged.sm;
    if (targets.includes('cuda')) {
      const archs = [...(prev?.targets.includes('cuda') ? cudaArchs(prev) : []), ...(v.targets.includes('cuda') ? cudaArchs(v) : [])];
      merged.sm = [...new Set(archs)].sort((a, b) => a - b);
    }
    validateVariant(merged);
    byKey.set(v.key, merged);
  }
  return [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** All four kernels for one mixer shape: what a student with this shape needs. */
export function variantsForShape(
  shape: { decay: Decay; n: number; p: number; h: number; g: number; q: number; dtype: DType },
  targets: KernelTarget[],
): KernelVariantIR[] {
  return KERNEL_NAMES.map((kernel) => {
    const base = { kernel, ...shape };
    return { key: variantKey(base), ...base, targets: [...targets] };
  });
}
