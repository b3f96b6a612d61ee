/**
 * Two more tfjs-backend-wasm 4.22 kernels replaced, found by profiling the distillation stages
 * (bench/profile, docs/performance.md):
 *
 * - SplitV calls the stock Slice function directly (not through the registry, so wasm-slice.ts does not reach
 *   it), which copies the whole input per part: splitting in_proj's [2048, 264] output into [x|B|C], z, a cost
 *   ~3 ms CPU per call. Here each part is copied from heap views (copySlice), bit for bit the same.
 * - BatchMatMul with a transposed operand runs on the generic scalar path (~1.5 GFLOP/s) while the
 *   non-transposed 2-D product goes through XNNPACK (~15–25 GFLOP/s): [2048,64]·[512,64]ᵀ (a tied LM head) took
 *   89 ms, transposing the [512,64] operand first and multiplying 7 ms. For unbatched products with a transpose
 *   flag, the operand is transposed by the Transpose kernel and the stock kernel runs untransposed. Batched
 *   products keep the stock path (both are the generic loop there). Values are equal up to the summation order
 *   of the inner products.
 *
 * Installed once per process by `useFastWasmKernels()` (idempotent), which `useBackend('wasm')` calls.
 */
// Inside runtime/tensor: imports tfjs-core directly (backend.ts installs this, so importing it would be circular).
import * as tf from '@tensorflow/tfjs-core';
import { copySlice } from './wasm-slice.ts';

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: object): void;
}

let installed = false;

export function useFastWasmKernels(): void {
  if (installed) return;
  const splitV = tf.getKernel('SplitV', 'wasm');
  const matMul = tf.getKernel('BatchMatMul', 'wasm');
  const transpose = tf.getKernel('Transpose', 'wasm');
  if (!splitV || !matMul || !transpose) return; // wasm backend not loaded in this process
  installed = true;

  tf.unregisterKernel('SplitV', 'wasm');
  tf.registerKernel({
    kernelName: 'SplitV',
    backendName: 'wasm',
    kernelFunc: (args) => {
      const x = args.inputs.x as tf.TensorInfo;
      if (x.dtype === 'string') return splitV.kernelFunc(args);
      const backend = args.backend as unknown as WasmBackendLike;
      const { numOrSizeSplits, axis } = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
      const ax = tf.util.parseAxisParam(axis, x.shape)[0];
      const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, ax);
      const begin = new Array<number>(x.shape.length).fill(0);
      return sizes.map((s) => {
        const size = [...x.shape];
        size[ax] = s;
        const out = backend.makeOutput(size, x.dtype);
        // Views only after makeOutput: an allocation may grow (and replace) the heap buffer.
        copySlice(backend.typedArrayFromHeap(x), x.shape, backend.typedArrayFromHeap(out), begin, size);
        begin[ax] += s;
        return out;
      });
    },
  });

  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({
    kernelName: 'BatchMatMul',
    backendName: 'wasm',
    // The stock setup binds the wasm function the stock kernel calls; the backend runs it at initialisation.
    setupFunc: matMul.setupFunc,
    kernelFunc: (args) => {
      const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const attrs = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
      const unbatched = (t: tf.TensorInfo) => t.shape.slice(0, -2).every((d) => d === 1);
      if (!(attrs.transposeA || attrs.transposeB) || !unbatched(a) || !unbatched(b)) return matMul.kernelFunc(args);
      const backend = args.backend as unknown as WasmBackendLike;
      const swapped: tf.TensorInfo[] = [];
      const swap = (t: tf.TensorInfo) => {
        const perm = [...t.shape.keys()];
        [perm[perm.length - 2], perm[perm.length - 1]] = [perm[perm.length - 1], perm[perm.length - 2]];
        const out = transpose.kernelFunc({ inputs: { x: t }, backend: args.backend, attrs: { perm } }) as tf.TensorInfo;
        swapped.push(out);
        return out;
      };
      try {
        return matMul.kernelFunc({
          inputs: { a: attrs.transposeA ? swap(a) : a, b: attrs.transposeB ? swap(b) : b },
          backend: args.backend,
          attrs: { ...args.attrs, transposeA: false, transposeB: false },
        });
      } finally {
        for (const t of swapped) backend.disposeData(t.dataId);
      }
    },
  });
}
