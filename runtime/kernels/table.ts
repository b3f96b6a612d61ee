/**
 * The kernel dispatch table (generated/kernels/dispatch.ts and kernels.json): for each variant key, the files,
 * the pass graph of every op (WGSL) and the C entry points (CUDA). The compiler writes it from identical
 * types in compiler/kernels/plan.ts (the compiler may not import the runtime); a test keeps the two in step.
 */
import type { DType, KernelName } from '../../compiler/ir/types.ts';

export type Sym = 'batch' | 'seqLen' | 'chunks';
export type Term = (number | Sym)[];
/** A sum of products of constants and run-time symbols. */
export type Expr = Term[];

export interface BufferSpec {
  name: string;
  dtype: DType;
  size: Expr;
  shape?: Expr[];
}

export interface GridAxis {
  count: Expr;
  per: number;
}

export interface PassPlan {
  name: string;
  inputs: string[];
  output: BufferSpec;
  workgroupSize: [number, number, number];
  grid: [GridAxis, GridAxis, GridAxis];
}

export interface OpOutput {
  name: string;
  from: string;
  offset: Expr;
  shape: Expr[];
  dtype: DType;
}

export interface OpPlan {
  inputs: BufferSpec[];
  optional: { name: string; flag: number }[];
  passes: PassPlan[];
  outputs: OpOutput[];
}

export interface CudaLaunch {
  kernel: string;
  grid: [GridAxis, GridAxis, GridAxis];
  block: number;
  /** Dynamic shared memory in bytes. */
  smem: number;
}

export interface CudaOp {
  /** extern "C" entry point (the same in every architecture's file). */
  symbol: string;
  /** Its parameters in order (pointers are device pointers; `stream` last). */
  params: string[];
  /** extern "C" size_t fn(int batch, int seqLen) giving the workspace bytes, if the op needs one. */
  workspaceSymbol?: string;
  /** Kernel launches per architecture (compute capability × 10 as a string). */
  launches: Record<string, CudaLaunch[]>;
}

export interface KernelEntry {
  key: string;
  kernel: KernelName;
  decay: 'discrete' | 'continuous';
  n: number;
  p: number;
  h: number;
  g: number;
  q: number;
  dtype: DType;
  /** Target-independent op plans (WGSL runs them pass by pass; CUDA entry points take their inputs/outputs). */
  ops: Record<string, OpPlan>;
  wgsl?: { file: string };
  /** One file per CUDA architecture (compute capability × 10 → path). */
  cuda?: { files: Record<string, string>; entryPoints: Record<string, CudaOp> };
}

export interface KernelTable {
  /** Bumped when the table's meaning changes. */
  tableVersion: number;
  variants: Record<string, KernelEntry>;
}

export const UNIFORMS = ['batch', 'seqLen', 'chunks', 'flags', 'loopZero'] as const;

export interface Dims {
  batch: number;
  seqLen: number;
  chunks: number;
}

export function evalExpr(e: Expr, d: Dims): number {
  let total = 0;
  for (const term of e) {
    let prod = 1;
    for (const f of term) prod *= typeof f === 'number' ? f : d[f];
    total += prod;
  }
  return total;
}

export function dimsFor(entry: Pick<KernelEntry, 'q'>, batch: number, seqLen: number): Dims {
  return { batch, seqLen, chunks: Math.ceil(seqLen / entry.q) };
}
