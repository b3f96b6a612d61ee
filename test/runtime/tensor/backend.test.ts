import { describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../../runtime/tensor/backend.ts';

// Gradients and chained ops are registered by runtime/tensor/backend.ts; check them on each backend
// against hand-derived values (d/dx sum(x^2 · w) = 2·x·w).
async function gradCheck(): Promise<void> {
  const x = tf.variable(tf.tensor2d([[1, -2], [3, 0.5]]));
  const w = tf.tensor2d([[2, 1], [-1, 4]]);
  const { value, grads } = tf.variableGrads(() => x.square().mul(w).sum() as tf.Scalar);
  expect((await value.data())[0]).toBeCloseTo(1 * 2 + 4 * 1 + 9 * -1 + 0.25 * 4, 5);
  expect(Array.from(await grads[x.name].data())).toEqual([4, -4, -6, 4]);
  x.dispose();
}

describe('tensor backends', () => {
  it('cpu registers gradients and chained ops', async () => {
    await useBackend('cpu');
    await gradCheck();
  });
  it('wasm registers gradients and chained ops', async () => {
    await useBackend('wasm');
    await gradCheck();
  });
  it('tensorflow backend gives a clear error when absent', async () => {
    await expect(useBackend('tensorflow')).rejects.toThrow(/tfjs-node/);
  });
  const haveVulkan = !!process.env.VK_ICD_FILENAMES;
  it.skipIf(!haveVulkan && !process.env.CI)('webgpu (Dawn on lavapipe) computes gradients', async () => {
    await useBackend('webgpu');
    await gradCheck();
  });
});
