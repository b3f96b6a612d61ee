/**
 * A Llamba export read and run by an independent implementation outside this code base: a Python/numpy
 * transcription of cartesia's LlambaLMHeadModel forward (python/llamba_numpy_forward.py) gives the same logits
 * as our student. Skipped where python3 with numpy is not installed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useBackend } from '../../../runtime/tensor/backend.ts';
import { buildStudent } from '../../../runtime/student/build.ts';
import { exportStudent } from '../../../runtime/student/export.ts';
import { REPO_ROOT } from '../../helpers/paths.ts';
import { relErr } from '../../helpers/reference/random.ts';
import { loadPos32 } from '../models/golden-helpers.ts';
import { stories260K, studentIR } from './helpers.ts';

const haveNumpy = spawnSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;

describe.skipIf(!haveNumpy)('Llamba export through an independent numpy forward', () => {
  it('gives the same logits as the student', async () => {
    await useBackend('wasm');
    const dir = mkdtempSync(join(tmpdir(), 'mohawk-llamba-'));
    try {
      const ir = studentIR('SSSSS', 'from_attention');
      const built = buildStudent(stories260K(), ir, { trainable: false, seed: 9 });
      const { format } = await exportStudent(built, ir, join(dir, 'export'));
      expect(format).toBe('llamba');
      const ids = loadPos32().tokensFed.slice(0, 20);
      const ours = (await built.model.forward([ids]).logits!.data()) as Float32Array;
      writeFileSync(join(dir, 'ids.json'), JSON.stringify(ids));
      const script = resolve(REPO_ROOT, 'test/runtime/student/python/llamba_numpy_forward.py');
      execFileSync('python3', [script, join(dir, 'export'), join(dir, 'ids.json'), join(dir, 'out.json')]);
      const theirs = (JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')).logits as number[][]).flat();
      expect(theirs.length).toBe(ours.length);
      expect(relErr(ours, theirs)).toBeLessThan(1e-5);
      built.model.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
