/** Emit kernel variants into a temporary generated/ tree and register its table (tests of arbitrary shapes). */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { emitKernelFiles } from '../../../compiler/kernels/emit.ts';
import { parseVariantKey } from '../../../compiler/kernels/variant.ts';
import type { KernelTarget } from '../../../compiler/ir/types.ts';
import { registerKernelTable } from '../../../runtime/kernels/registry.ts';
import type { KernelTable } from '../../../runtime/kernels/table.ts';

export function emitTemp(keys: string[], targets: KernelTarget[]): { dir: string; table: KernelTable } {
  const dir = mkdtempSync(join(tmpdir(), 'mohawk-kernels-'));
  const files = emitKernelFiles(keys.map((k) => parseVariantKey(k, targets)));
  for (const f of files) {
    mkdirSync(dirname(join(dir, f.path)), { recursive: true });
    writeFileSync(join(dir, f.path), f.content);
  }
  const table = JSON.parse(files.find((f) => f.path === 'kernels/kernels.json')!.content) as KernelTable;
  registerKernelTable(table, dir);
  return { dir, table };
}
