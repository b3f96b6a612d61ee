/** Moves float32 tensors between tfjs and the host form checkpoints use (runtime/io/types.ts HostTensor). */
import type { HostTensor } from '../io/types.ts';
import { tf } from '../tensor/backend.ts';

/**
 * A private copy of the tensor's values: the cpu backend hands out its own backing array, which must not be
 * aliased by a checkpoint that outlives the tensor. Async because webgpu can only read asynchronously.
 */
export async function toHost(t: tf.Tensor): Promise<HostTensor> {
  if (t.dtype !== 'float32') throw new TypeError(`expected a float32 tensor, got ${t.dtype}`);
  return { shape: [...t.shape], data: new Float32Array((await t.data()) as Float32Array) };
}

export async function mapToHost(tensors: ReadonlyMap<string, tf.Tensor>): Promise<Map<string, HostTensor>> {
  const out = new Map<string, HostTensor>();
  for (const [name, t] of tensors) out.set(name, await toHost(t));
  return out;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Overwrites a variable's value with a host tensor of the same shape (no tensor leaks). */
export function assignFromHost(v: tf.Variable, host: HostTensor): void {
  tf.tidy(() => v.assign(tf.tensor(host.data, host.shape, 'float32')));
}
