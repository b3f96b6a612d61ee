/** The stories260K hybrid student on webgpu (Dawn on lavapipe) computes what it computes on wasm. */
import { describe, expect, it } from 'vitest';
import { useBackend } from '../../../runtime/tensor/backend.ts';
import { buildStudent } from '../../../runtime/student/build.ts';
import { relErr } from '../../helpers/reference/random.ts';
import { loadPos32 } from '../models/golden-helpers.ts';
import { stories260K, studentIR } from './helpers.ts';

const haveVulkan = !!process.env.VK_ICD_FILENAMES;

describe.skipIf(!haveVulkan && !process.env.CI)('student on webgpu', () => {
  it('hybrid (0,1,3,4 SSM, 2 attention) forward and decode equal the wasm results', async () => {
    const ids = loadPos32().tokensFed.slice(0, 24);
    const ir = studentIR('SSASS', 'from_attention');
    const run = async () => {
      const { model } = buildStudent(stories260K(), ir, { trainable: false, seed: 4 });
      const full = (await model.forward([ids]).logits!.data()) as Float32Array;
      const pre = model.forward([ids.slice(0, 20)], { cache: true });
      let cache = pre.cache!;
      let last: Float32Array = new Float32Array(0) as Float32Array;
      for (let i = 20; i < ids.length; i++) {
        const s = model.step([ids[i]], cache);
        last = (await s.logits.data()) as Float32Array;
        cache = s.cache;
      }
      model.dispose();
      return { full, last };
    };
    await useBackend('wasm');
    const want = await run();
    await useBackend('webgpu');
    const got = await run();
    expect(relErr(got.full, want.full)).toBeLessThan(1e-4);
    expect(relErr(got.last, want.full.slice(23 * 512))).toBeLessThan(1e-4);
  });
});
