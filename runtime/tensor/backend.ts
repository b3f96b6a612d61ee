/**
 * Tensor engine: one place that loads TensorFlow.js, registers gradients and chained ops, and selects a
 * backend. Every other runtime module imports `tf` from here, never from '@tensorflow/tfjs-core' directly,
 * so that gradients are always registered before first use.
 *
 * Backends: wasm (default, SIMD, single-threaded in Node), cpu (pure JS reference), webgpu (Dawn through the
 * npm `webgpu` package), tensorflow (`@tensorflow/tfjs-node-gpu` or `-node`, optional, detected at run time).
 */
import * as tf from '@tensorflow/tfjs-core';
import './quiet.ts';
import '@tensorflow/tfjs-backend-cpu';
import './vendor/tfjs-gradients.mjs';
// Type-only: brings the chained-op method declarations (x.add(...)) into scope; erased at run time.
import type {} from '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops.js';

export { tf };

export const BACKENDS = ['wasm', 'cpu', 'webgpu', 'tensorflow'] as const;
export type BackendName = (typeof BACKENDS)[number];

/** A failure the user can fix (missing driver, optional package not installed); the CLI prints it, exit 2. */
export class BackendError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackendError';
  }
}

let active: BackendName | undefined;

export function isBackendName(name: string): name is BackendName {
  return (BACKENDS as readonly string[]).includes(name);
}

/** Select (and on first use initialise) a backend. Idempotent for the active backend. */
export async function useBackend(name: BackendName = 'wasm'): Promise<BackendName> {
  if (active === name && tf.getBackend() === name) return name;
  switch (name) {
    case 'cpu':
      break;
    case 'wasm':
      await import('@tensorflow/tfjs-backend-wasm');
      // The stock wasm Slice copies its whole input per call (docs/runtime.md); every wasm user gets ours, and
      // the SplitV / transposed-MatMul replacements of wasm-kernels.ts (docs/performance.md).
      (await import('./wasm-slice.ts')).useFastWasmSlice();
      (await import('./wasm-kernels.ts')).useFastWasmKernels();
      break;
    case 'webgpu':
      await registerWebGpu();
      break;
    case 'tensorflow':
      await registerTfNode();
      break;
  }
  const ok = await tf.setBackend(name);
  if (!ok) throw new BackendError(`backend '${name}' failed to initialise`);
  await tf.ready();
  active = name;
  return name;
}

export function activeBackend(): BackendName {
  return (active ?? tf.getBackend()) as BackendName;
}

async function registerWebGpu(): Promise<void> {
  const g = globalThis as Record<string, unknown>;
  if (!g.__mohawkDawn) {
    let webgpu: { create: (o: string[]) => unknown; globals: Record<string, unknown> };
    try {
      webgpu = (await import('webgpu')) as unknown as typeof webgpu;
    } catch (e) {
      throw new BackendError(`backend 'webgpu' needs the npm package 'webgpu' (Dawn): ${(e as Error).message}`);
    }
    Object.assign(globalThis, webgpu.globals);
    const gpu = webgpu.create([]);
    // Pin the Dawn instance: if V8 collects it, dawn.node later crashes inside ProcessEvents.
    g.__mohawkDawn = gpu;
    if (typeof g.navigator === 'undefined') g.navigator = { gpu };
    else Object.defineProperty(g.navigator as object, 'gpu', { value: gpu, configurable: true });
    const adapter = await (gpu as { requestAdapter: () => Promise<unknown> }).requestAdapter();
    if (!adapter) {
      throw new BackendError(
        "backend 'webgpu': no WebGPU adapter (no Vulkan driver found). On a CPU machine run " +
          '`eval "$(scripts/setup-lavapipe.sh)"` to use Mesa lavapipe; on a GPU install the Vulkan loader.',
      );
    }
  }
  await import('@tensorflow/tfjs-backend-webgpu');
}

async function registerTfNode(): Promise<void> {
  const candidates = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'];
  for (const pkg of candidates) {
    try {
      await import(pkg);
      return;
    } catch {
      /* try the next one */
    }
  }
  throw new BackendError(
    "backend 'tensorflow' needs '@tensorflow/tfjs-node-gpu' or '@tensorflow/tfjs-node' installed " +
      '(optional; their install downloads libtensorflow, which needs network access). Use --backend wasm otherwise.',
  );
}
