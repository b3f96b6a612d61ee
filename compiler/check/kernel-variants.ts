/**
 * Kernel variants: which SSD kernels to generate, one per (kernel, decay, N, P, H, G, Q, dtype), with every
 * axis in the key `<kernel>_<decay>_n<N>_p<P>_h<H>_g<G>_q<Q>_<dtype>` (docs/architecture.md). Pure functions:
 * the kernels engineer's emitters consume the result through `ir.kernels`.
 */
import type { DType, KernelName, KernelTarget, KernelVariantIR, MixerIR } from '../ir/types.ts';

export const KERNEL_NAMES: readonly KernelName[] = ['ssd_fwd', 'ssd_bwd', 'ssd_step', 'ssd_materialize'];
export const CUDA_ARCHS: readonly number[] = [80, 86, 89, 90, 100, 120];

export interface KernelShape {
  decay: 'discrete' | 'continuous';
  n: number;
  p: number;
  h: number;
  g: number;
  q: number;
  dtype: DType;
}

export interface KernelRequest extends KernelShape {
  targets: KernelTarget[];
  /** CUDA compute capabilities × 10 (when targets include cuda). */
  sm?: number[];
}

/** WGSL has no bfloat16; CUDA templates take all three dtypes. */
export function targetSupports(target: KernelTarget, dtype: DType): boolean {
  return target === 'cuda' || dtype !== 'bf16';
}

export function mixerShape(m: MixerIR): KernelShape {
  return { decay: m.kind === 'discrete_mamba2' ? 'discrete' : 'continuous', n: m.dState, p: m.headDim, h: m.heads, g: m.groups, q: m.chunk, dtype: m.dtype };
}

export function shapeKey(s: KernelShape): string {
  return `${s.decay}_n${s.n}_p${s.p}_h${s.h}_g${s.g}_q${s.q}_${s.dtype}`;
}

export function variantKey(kernel: KernelName, s: KernelShape): string {
  return `${kernel}_${shapeKey(s)}`;
}

const TARGET_ORDER: Record<KernelTarget, number> = { wgsl: 0, cuda: 1 };

/**
 * Every kernel for every requested shape; requests with the same shape merge their targets (and CUDA
 * architectures). Sorted by key so that the IR, and the files generated from it, never depend on the order
 * things were written in the spec.
 */
export function enumerateVariants(requests: KernelRequest[]): KernelVariantIR[] {
  const byKey = new Map<string, KernelVariantIR>();
  for (const r of requests) {
    for (const kernel of KERNEL_NAMES) {
      const key = variantKey(kernel, r);
      const v = byKey.get(key) ?? { key, kernel, decay: r.decay, n: r.n, p: r.p, h: r.h, g: r.g, q: r.q, dtype: r.dtype, targets: [] };
      for (const t of r.targets) if (targetSupports(t, r.dtype) && !v.targets.includes(t)) v.targets.push(t);
      if (r.targets.includes('cuda')) v.sm = [...new Set([...(v.sm ?? []), ...(r.sm ?? [])])].sort((a, b) => a - b);
      byKey.set(key, v);
    }
  }
  return [...byKey.values()]
    .filter((v) => v.targets.length > 0)
    .map((v) => {
      v.targets.sort((a, b) => TARGET_ORDER[a] - TARGET_ORDER[b]);
      if (!v.targets.includes('cuda')) delete v.sm;
      return v;
    })
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
