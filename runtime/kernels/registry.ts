/**
 * Which generated kernel variants exist, and where their files are. A generated program registers the table
 * it was built with (generated/kernels/dispatch.ts); without one, the table is read from
 * generated/kernels/kernels.json beside this checkout on first use.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DType, KernelName } from '../../compiler/ir/types.ts';
import type { KernelEntry, KernelTable } from './table.ts';

const DEFAULT_GENERATED = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'generated');

let table: KernelTable | undefined;
let generatedDir = DEFAULT_GENERATED;

export function registerKernelTable(t: KernelTable, dir: string = DEFAULT_GENERATED): void {
  table = t;
  generatedDir = dir;
}

export function kernelTable(): KernelTable {
  if (!table) {
    const p = resolve(generatedDir, 'kernels', 'kernels.json');
    table = existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as KernelTable) : { tableVersion: 1, variants: {} };
  }
  return table;
}

export function kernelFilePath(rel: string): string {
  return resolve(generatedDir, rel);
}

export interface VariantQuery {
  kernel: KernelName;
  decay: 'discrete' | 'continuous';
  n: number;
  p: number;
  h: number;
  g: number;
  q: number;
  dtype: DType;
}

export function variantKeyOf(v: VariantQuery): string {
  return `${v.kernel}_${v.decay}_n${v.n}_p${v.p}_h${v.h}_g${v.g}_q${v.q}_${v.dtype}`;
}

/** The variant for a shape, or undefined when none was generated (callers fall back to the tfjs forms). */
export function findVariant(v: VariantQuery, target: 'wgsl' | 'cuda'): KernelEntry | undefined {
  const e = kernelTable().variants[variantKeyOf(v)];
  return e && e[target] ? e : undefined;
}

export function getVariant(key: string): KernelEntry {
  const e = kernelTable().variants[key];
  if (!e) throw new Error(`no generated kernel variant '${key}' (known: ${Object.keys(kernelTable().variants).length}); run \`npx mohawkc build\``);
  return e;
}
