/**
 * Bit-exact resume on the other backends: the same crash-and-resume as loop.test.ts (wasm), on the pure-JS
 * cpu backend and on webgpu (Dawn on Mesa lavapipe in CI; skipped where no Vulkan driver is set up).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeSafetensors } from '../../../runtime/io/safetensors.ts';
import { runStages } from '../../../runtime/run/loop.ts';
import { mapToHost } from '../../../runtime/train/host-tensors.ts';
import { Rng } from '../../../runtime/train/rng.ts';
import { tf, useBackend, type BackendName } from '../../../runtime/tensor/backend.ts';
import { makeParams, mlpStages } from './fixtures/mlp.ts';

const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));
const freshDir = () => {
  const root = mkdtempSync(join(tmpdir(), 'mohawk-backend-'));
  roots.push(root);
  return join(root, 'run');
};
const bytes = async (p: Map<string, tf.Variable>) => Buffer.concat(encodeSafetensors(await mapToHost(p)));

const haveVulkan = !!process.env.VK_ICD_FILENAMES;
const cases: { backend: BackendName; skip: boolean }[] = [
  { backend: 'cpu', skip: false },
  { backend: 'webgpu', skip: !haveVulkan && !process.env.CI },
];

for (const { backend, skip } of cases) {
  describe.skipIf(skip)(`resume on ${backend}`, () => {
    it('ends with the same bytes as an uninterrupted run after a crash mid-checkpoint', async () => {
      await useBackend(backend);
      const scale = 0.5; // 10 + 20 steps: webgpu on lavapipe is slow
      const a = makeParams(0);
      let writeSteps = 0;
      await runStages({ dir: freshDir(), params: a, stages: mlpStages(a, { scale }), onCheckpointStep: () => writeSteps++ });
      const want = await bytes(a);
      a.forEach((p) => p.dispose());

      const crashAt = Rng.fromSeed(1, backend).int(writeSteps);
      const dir = freshDir();
      const b = makeParams(0);
      let seen = 0;
      const crash = runStages({
        dir,
        params: b,
        stages: mlpStages(b, { scale }),
        onCheckpointStep: () => {
          if (seen++ === crashAt) throw new Error('crash');
        },
      });
      await expect(crash).rejects.toThrow('crash');
      b.forEach((p) => p.dispose());
      const c = makeParams(0);
      const summary = await runStages({ dir, params: c, stages: mlpStages(c, { scale }) });
      expect(summary.resumedFrom).not.toBeNull();
      expect((await bytes(c)).equals(want)).toBe(true);
      c.forEach((p) => p.dispose());
    });
  });
}
