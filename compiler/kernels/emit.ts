/**
 * The kernel emitter: a pure function from kernel variants to generated files (paths relative to generated/).
 * Deterministic: the same variants in any order give the same bytes; files are sorted by path.
 */
import type { KernelVariantIR } from '../ir/types.ts';
import { emitCuda } from './cuda/emit.ts';
import { cudaPath, emitDispatchTs, emitKernelsJson, wgslPath } from './dispatch.ts';
import { cudaArchs, normaliseVariants } from './variant.ts';
import { emitWgsl } from './wgsl/emit.ts';

export interface KernelFile {
  path: string;
  content: string;
}

export function emitKernelFiles(variants: KernelVariantIR[]): KernelFile[] {
  const vs = normaliseVariants(variants);
  const files: KernelFile[] = [];
  for (const v of vs) {
    if (v.targets.includes('wgsl')) files.push({ path: wgslPath(v.key), content: emitWgsl(v) });
    if (v.targets.includes('cuda')) for (const sm of cudaArchs(v)) files.push({ path: cudaPath(v.key, sm), content: emitCuda(v, sm) });
  }
  files.push({ path: 'kernels/dispatch.ts', content: emitDispatchTs(vs) });
  files.push({ path: 'kernels/kernels.json', content: emitKernelsJson(vs) });
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
