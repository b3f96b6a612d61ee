/**
 * Writes generated/kernels/ alone: the variants of every spec recorded in generated/MANIFEST.json plus the
 * default shapes — the same files `npx mohawkc build specs/*.mohawk` writes (which also refreshes the
 * manifest; use that before committing). For iterating on the emitters without rebuilding the programs:
 *   npx tsx scripts/emit-kernels.ts [--check]
 * --check exits 1 when a file on disk differs from what would be written.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { emitKernelFiles } from '../compiler/kernels/emit.ts';
import { allKernelVariants } from '../compiler/emit/build.ts';
import { readManifest } from '../compiler/emit/tree.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'generated');
const check = process.argv.includes('--check');

const files = emitKernelFiles(allKernelVariants(readManifest(out)?.specs ?? {}));
const wanted = new Set(files.map((f) => f.path));
let differ = 0;
for (const f of files) {
  const p = join(out, f.path);
  const old = existsSync(p) ? readFileSync(p, 'utf8') : undefined;
  if (old === f.content) continue;
  differ++;
  if (check) console.log(`differs: generated/${f.path}`);
  else {
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, f.content);
  }
}
for (const sub of ['kernels/wgsl', 'kernels/cuda']) {
  const dir = join(out, sub);
  if (!existsSync(dir)) continue;
  for (const name of readdirSync(dir)) {
    const rel = `${sub}/${name}`;
    if (wanted.has(rel)) continue;
    differ++;
    if (check) console.log(`stale: generated/${rel}`);
    else rmSync(join(dir, name));
  }
}
console.log(`${files.length} kernel files, ${differ} ${check ? 'out of date' : 'written or removed'}`);
process.exit(check && differ > 0 ? 1 : 0);
