import type { KernelVariantIR } from '../../ir/types.ts';
export function cudaOps(_v: KernelVariantIR): Record<string, unknown> { return {}; }
export function emitCuda(_v: KernelVariantIR): string { throw new Error('cuda: not yet'); }
