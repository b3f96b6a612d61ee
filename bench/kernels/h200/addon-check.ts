/**
 * Runs on the GPU machine (bundled with esbuild into .gpu/addon-check.mjs, run with the carried Node): every
 * CUDA variant, through the N-API addon and runtime/kernels/cuda-addon.ts, against the TypeScript float64
 * references of test/kernels — the same checks the WGSL variants pass on lavapipe.
 * Usage: node addon-check.mjs ADDON.node LIBRARY.so kernels.json OUT_DIR [KEY_REGEX]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCudaRuntime } from '../../../runtime/kernels/cuda-addon.ts';
import type { KernelTable } from '../../../runtime/kernels/table.ts';
import { TOLERANCE } from '../../../test/kernels/helpers/cases.ts';
import { type CheckResult, checkVariant } from '../../../test/kernels/helpers/check-variant.ts';

const [addon, lib, tablePath, out, filter] = process.argv.slice(2);
const wanted = new RegExp(filter ?? '.');
const table = JSON.parse(readFileSync(tablePath, 'utf8')) as KernelTable;
const rt = loadCudaRuntime(addon, lib);
console.log(`device: ${rt.device}`);
const all: (CheckResult & { key: string; ok: boolean })[] = [];
for (const e of Object.values(table.variants).filter((v) => v.cuda && wanted.test(v.key))) {
  const t0 = Date.now();
  try {
    const res = await checkVariant(e, async (entry, op, inputs, dims) => rt.run(entry, op, inputs, dims).outputs, 77);
    for (const r of res) all.push({ ...r, key: e.key, ok: r.finite && r.err <= TOLERANCE[e.dtype] });
    const worst = Math.max(...res.map((r) => r.err));
    console.log(`${res.every((r) => r.finite && r.err <= TOLERANCE[e.dtype]) ? 'ok  ' : 'FAIL'} ${e.key} worst ${worst.toExponential(2)} (${Date.now() - t0} ms)`);
  } catch (err) {
    all.push({ key: e.key, case: 'run', output: '-', err: Infinity, finite: false, ok: false });
    console.log(`FAIL ${e.key}: ${(err as Error).message}`);
  }
}
const bad = all.filter((r) => !r.ok);
for (const r of bad) console.log(`  ${r.key} ${r.case} ${r.output} err=${r.err} finite=${r.finite}`);
console.log(`node addon: ${all.length - bad.length}/${all.length} outputs within tolerance`);
writeFileSync(join(out, 'node-addon.json'), JSON.stringify(all, null, 1));
