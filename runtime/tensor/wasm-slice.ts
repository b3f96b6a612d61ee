/**
 * A replacement for tfjs-backend-wasm 4.22's Slice kernel. The stock kernel starts with
 * `backend.readSync(x)`, which copies the WHOLE input out of the wasm heap on every call, so slicing one
 * batch row out of a [B, …] tensor costs O(B·…) and B slices cost O(B²·…) (measured: 480 slices of ~2 M
 * floats took 4.3 s). This version reads the input through a heap view and copies only the selected runs,
 * merging trailing dimensions taken whole into one contiguous run. Same results bit for bit.
 *
 * Installed once per process by `useFastWasmSlice()` (idempotent), which `useBackend('wasm')` calls.
 */
// Inside runtime/tensor: imports tfjs-core directly (backend.ts installs this kernel, so importing it would be circular).
import * as tf from '@tensorflow/tfjs-core';

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

let installed = false;

export function useFastWasmSlice(): void {
  if (installed) return;
  const stock = tf.getKernel('Slice', 'wasm');
  if (!stock) return; // wasm backend not loaded in this process
  installed = true;
  tf.unregisterKernel('Slice', 'wasm');
  tf.registerKernel({
    kernelName: 'Slice',
    backendName: 'wasm',
    kernelFunc: (args) => {
      const x = args.inputs.x as tf.TensorInfo;
      if (x.dtype === 'string') return stock.kernelFunc(args);
      const backend = args.backend as unknown as WasmBackendLike;
      const { begin, size } = args.attrs as { begin: number | number[]; size: number | number[] };
      const [b, s] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size);
      const out = backend.makeOutput(s, x.dtype);
      // Views only after makeOutput: an allocation may grow (and replace) the heap buffer.
      copySlice(backend.typedArrayFromHeap(x), x.shape, backend.typedArrayFromHeap(out), b, s);
      return out;
    },
  });
}

/** Copies the [begin, begin+size) box of a row-major tensor of `shape` into `out`. */
export function copySlice(
  x: Float32Array | Int32Array | Uint8Array,
  shape: readonly number[],
  out: Float32Array | Int32Array | Uint8Array,
  begin: readonly number[],
  size: readonly number[],
): void {
  const rank = shape.length;
  if (rank === 0 || size.some((d) => d === 0)) {
    if (rank === 0) out[0] = x[0];
    return;
  }
  // Trailing dimensions taken whole fold into the run length.
  let run = 1;
  let d = rank - 1;
  while (d > 0 && begin[d] === 0 && size[d] === shape[d]) run *= shape[d--];
  run *= size[d];
  const strides = new Array<number>(rank);
  strides[rank - 1] = 1;
  for (let i = rank - 2; i >= 0; i--) strides[i] = strides[i + 1] * shape[i + 1];
  // Odometer over dims 0..d−1; dim d contributes its begin offset to every run.
  const idx = new Array<number>(d).fill(0);
  let o = 0;
  for (;;) {
    let off = begin[d] * strides[d];
    for (let i = 0; i < d; i++) off += (begin[i] + idx[i]) * strides[i];
    out.set(x.subarray(off, off + run), o);
    o += run;
    let i = d - 1;
    while (i >= 0 && ++idx[i] === size[i]) idx[i--] = 0;
    if (i < 0) break;
  }
}
