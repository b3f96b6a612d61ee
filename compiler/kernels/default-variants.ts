/**
 * Kernel shapes built even when no spec asks for them: the stories260K student (the shape every example spec
 * uses) and the benchmark shape of docs/kernels.md (Phi-Mamba/Llamba: N=64, P=64, H=32, G=32, Q=128) in each
 * dtype a target has — f32 and bf16 for CUDA, f32 and f16 for WGSL — in both decay kinds.
 */
import type { KernelVariantIR } from '../ir/types.ts';
import { variantsForShape } from './variant.ts';

const stories = { n: 8, p: 8, h: 8, g: 8, q: 64 };
const bench = { n: 64, p: 64, h: 32, g: 32, q: 128 };

export const DEFAULT_VARIANTS: KernelVariantIR[] = [
  ...variantsForShape({ decay: 'discrete', ...stories, dtype: 'f32' }, ['wgsl', 'cuda']),
  ...variantsForShape({ decay: 'discrete', ...bench, dtype: 'f32' }, ['wgsl', 'cuda']),
  ...variantsForShape({ decay: 'continuous', ...bench, dtype: 'f32' }, ['wgsl', 'cuda']),
  ...variantsForShape({ decay: 'discrete', ...bench, dtype: 'bf16' }, ['cuda']),
  ...variantsForShape({ decay: 'discrete', ...bench, dtype: 'f16' }, ['wgsl']),
];
