/**
 * The dispatch table: generated/kernels/dispatch.ts (typed, for programs that import it) and
 * generated/kernels/kernels.json (the same data, for the build's manifest and for harnesses outside Node).
 * Keys are sorted and the JSON is written with a fixed key order, so the output is byte-stable.
 */
import type { KernelVariantIR } from '../ir/types.ts';
import { KERNEL_BANNER_LINES, slashBanner } from './banner.ts';
import { type CudaOpInfo, cudaOps } from './cuda/emit.ts';
import { type OpPlan, opPlans } from './plan.ts';
import { cudaArchs } from './variant.ts';

export const TABLE_VERSION = 1;

export const wgslPath = (key: string) => `kernels/wgsl/${key}.wgsl`;
export const cudaPath = (key: string, sm: number) => `kernels/cuda/${key}_sm${sm}.cu`;

/** The table as the compiler writes it; runtime/kernels/table.ts declares the same shape (a test checks). */
export interface TableData {
  tableVersion: number;
  variants: Record<
    string,
    Omit<KernelVariantIR, 'targets' | 'sm'> & {
      ops: Record<string, OpPlan>;
      wgsl?: { file: string };
      cuda?: { files: Record<string, string>; entryPoints: Record<string, CudaOpInfo> };
    }
  >;
}

export function tableData(variants: KernelVariantIR[]): TableData {
  const entries: TableData['variants'] = {};
  for (const v of variants) {
    entries[v.key] = {
      key: v.key,
      kernel: v.kernel,
      decay: v.decay,
      n: v.n,
      p: v.p,
      h: v.h,
      g: v.g,
      q: v.q,
      dtype: v.dtype,
      ops: opPlans(v),
      ...(v.targets.includes('wgsl') ? { wgsl: { file: wgslPath(v.key) } } : {}),
      ...(v.targets.includes('cuda') ? { cuda: { files: Object.fromEntries(cudaArchs(v).map((sm) => [String(sm), cudaPath(v.key, sm)])), entryPoints: cudaOps(v) } } : {}),
    };
  }
  return { tableVersion: TABLE_VERSION, variants: entries };
}

/** JSON with objects one key per line and short arrays (sizes, shapes, grids) on one line: readable diffs. */
export function compactJson(value: unknown, indent = ''): string {
  if (Array.isArray(value)) {
    const flat = JSON.stringify(value);
    if (flat.length <= 100 && !flat.includes('{')) return flat.replace(/,/g, ', ');
    const inner = indent + '  ';
    return `[\n${value.map((v) => inner + compactJson(v, inner)).join(',\n')}\n${indent}]`;
  }
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return '{}';
    const inner = indent + '  ';
    return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${compactJson(v, inner)}`).join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value);
}

export function emitDispatchTs(variants: KernelVariantIR[]): string {
  const data = tableData(variants);
  return (
    slashBanner() +
    '//\n// Kernel variant key → its ops (pass graphs: bindings, workgroup sizes, grids, outputs), its WGSL file, and\n' +
    '// its CUDA file with one C entry point per op. Read by runtime/kernels (registerKernelTable).\n' +
    "import type { KernelTable } from '../../runtime/kernels/table.ts';\n\n" +
    `export const KERNELS: KernelTable = ${compactJson(data)};\n\n` +
    'export default KERNELS;\n'
  );
}

export function emitKernelsJson(variants: KernelVariantIR[]): string {
  const doc = { _generated: KERNEL_BANNER_LINES, ...tableData(variants) };
  return compactJson(doc) + '\n';
}
