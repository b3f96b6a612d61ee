// Bundles the device harness (entry.ts) and the training worker (runtime/parallel/worker.ts) for a machine
// without node_modules: ESM with require/__dirname shims (tfjs-backend-wasm's emscripten glue uses both, and
// finds its .wasm files beside the bundle), 'webgpu' left external (resolved from .gpu/speed/node_modules).
// Usage: node bench/peers/device/bundle.mjs OUTDIR [NAME=ENTRY.ts ...]   (run from the checkout's root; default
// entries: entry=bench/peers/device/entry.ts and worker-entry=runtime/parallel/worker.ts)
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const out = process.argv[2];
if (!out) throw new Error('usage: node bench/peers/device/bundle.mjs OUTDIR');
mkdirSync(out, { recursive: true });
const named = process.argv.slice(3).map((a) => a.split('='));
const entryPoints = named.length ? Object.fromEntries(named) : { entry: 'bench/peers/device/entry.ts', 'worker-entry': 'runtime/parallel/worker.ts' };
await build({
  entryPoints,
  outdir: out,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['webgpu', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'],
  banner: {
    js: "import { createRequire as __cr } from 'node:module'; import { fileURLToPath as __fu } from 'node:url'; import { dirname as __dn } from 'node:path';" +
      'const require = __cr(import.meta.url); const __filename = __fu(import.meta.url); const __dirname = __dn(__filename);',
  },
  // tfjs' package.json files declare side-effect-free modules that register backends; keep every import.
  ignoreAnnotations: true,
  logLevel: 'warning',
});
const wasmDir = 'node_modules/@tensorflow/tfjs-backend-wasm/dist';
for (const f of readdirSync(wasmDir).filter((f) => f.endsWith('.wasm'))) copyFileSync(join(wasmDir, f), join(out, f));
console.log(`bundled into ${out}`);
