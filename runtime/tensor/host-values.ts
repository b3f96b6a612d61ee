/**
 * Moving values between tensors and the CPU kernels (runtime/mixers/ssd-scan.ts, ssd-matrix-cpu.ts) without
 * fresh copies: on wasm a tensor's values are read straight from the heap, and kernel outputs are written into
 * reusable scratch arrays that tf.tensor then copies into the heap. Stage 1 moves ~17 MB arrays per layer per
 * micro-batch; a fresh array each time costs page faults and garbage collection (19,000 faults per
 * micro-batch measured), worse with several worker threads in one process.
 */
import { tf } from './backend.ts';

interface WasmBackendLike {
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/**
 * The tensor's float32 values. On wasm: a view of the heap, valid only until the next tensor is allocated (read
 * every input first, compute, then create outputs); elsewhere: dataSync().
 */
export function readValues(t: tf.Tensor): Float32Array {
  if (t.dtype !== 'float32') throw new TypeError(`readValues: expected float32, got ${t.dtype}`);
  if (tf.getBackend() === 'wasm') return (tf.backend() as unknown as WasmBackendLike).typedArrayFromHeap(t) as Float32Array;
  return t.dataSync() as Float32Array;
}

/** A tensor holding a copy of `values` (which may be a scratch array reused by the next call). */
export function tensorOf(values: Float32Array, shape: number[]): tf.Tensor {
  // The wasm backend copies into its heap; the cpu backend would keep the array itself.
  return tf.tensor(tf.getBackend() === 'wasm' ? values : values.slice(), shape, 'float32');
}

const pool32 = new Map<string, Float32Array>();
const pool64 = new Map<string, Float64Array>();

/** A zero-filled float32 array of `n` values, reused across calls under `key` (one per thread). */
export function scratch32(key: string, n: number): Float32Array {
  let a = pool32.get(key);
  if (!a || a.length < n) pool32.set(key, (a = new Float32Array(n)));
  const v = a.subarray(0, n);
  v.fill(0);
  return v;
}

/** A zero-filled float64 array of `n` values, reused across calls under `key`. */
export function scratch64(key: string, n: number): Float64Array {
  let a = pool64.get(key);
  if (!a || a.length < n) pool64.set(key, (a = new Float64Array(n)));
  const v = a.subarray(0, n);
  v.fill(0);
  return v;
}
