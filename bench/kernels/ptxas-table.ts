/**
 * The -Xptxas -v resources of every generated CUDA kernel (registers, shared memory, stack, spills) as a
 * markdown table, for docs/kernels.md. Compiles through the same cache as test/kernels/cuda-compile.test.ts.
 *   npx tsx bench/kernels/ptxas-table.ts
 */
import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileCuda, nvccVersion } from '../../runtime/kernels/nvcc.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = join(root, 'generated', 'kernels', 'cuda');
const files = readdirSync(dir).filter((f) => f.endsWith('.cu')).sort();
if (!nvccVersion()) {
  console.error('nvcc not found');
  process.exit(2);
}
const results = await compileCuda(files.map((f) => join(dir, f)), join(root, '.cache', 'kernels-nvcc'));
console.log(`nvcc: ${nvccVersion()}\n`);
console.log('| file | kernel | registers | static smem (B) | stack (B) | spill st/ld (B) |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const r of results) {
  if (!r.ok) console.log(`| ${r.file} | COMPILE FAILED | | | | |`);
  for (const k of r.resources)
    console.log(`| ${r.file.split('/').pop()!.replace('_sm90.cu', '')} | ${k.kernel} | ${k.registers} | ${k.smemBytes} | ${k.stackBytes} | ${k.spillStores}/${k.spillLoads} |`);
}
