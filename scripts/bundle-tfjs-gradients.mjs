// Why: tfjs-core's Node entry registers no gradients and no chained ops, and its ESM sources use
// extensionless imports that plain Node cannot resolve. We bundle the two registration modules with
// esbuild into one ESM file (not committed: it is derived from node_modules) that shares tfjs-core's
// global registries. See docs/decisions.md "Gradient registration".
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'runtime', 'tensor', 'vendor', 'tfjs-gradients.mjs');
mkdirSync(dirname(out), { recursive: true });
await build({
  stdin: {
    contents: [
      "import '@tensorflow/tfjs-core/dist/register_all_gradients';",
      "import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';",
    ].join('\n'),
    resolveDir: root,
    loader: 'js',
  },
  bundle: true,
  format: 'esm',
  platform: 'node',
  outfile: out,
  // Only the bare 'tfjs-core' specifier stays external (esbuild's `external` would also match the
  // deep '/dist/...' entry points we want bundled); registries live in globals, so both copies share them.
  plugins: [{
    name: 'external-core',
    setup(b) { b.onResolve({ filter: /^@tensorflow\/tfjs-core$/ }, (a) => ({ path: a.path, external: true })); },
  }],
  logLevel: 'warning',
});
