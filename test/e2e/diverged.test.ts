/**
 * A run whose loss is not finite stops with exit code 3 and the NaN guard's report, and writes no checkpoint
 * of the bad state. The NaN comes from the input, as it would in practice: a copy of the stories260K
 * checkpoint whose first attention norm holds NaN.
 */
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TEACHER_BIN } from '../helpers/paths.ts';
import { runMohawkc, scratchProject, specWithStages, writeSpec } from './helpers.ts';

const dir = scratchProject('nan');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('mohawkc train on a diverging run', () => {
  it('exits 3 with the divergence report (text and --json), no checkpoint written', () => {
    // llama2.c layout: 7 int32 header, token embedding [512 × 64], then layer 0's attention RMSNorm weights.
    const bad = join(dir, 'nan-teacher.bin');
    copyFileSync(TEACHER_BIN, bad);
    const bytes = readFileSync(bad);
    const at = 28 + 512 * 64 * 4;
    for (let i = 0; i < 64; i++) bytes.writeUInt32LE(0x7fc00000, at + 4 * i);
    writeFileSync(bad, bytes);
    const text = specWithStages('stage distil : end_to_end {\n  tokens = 1K\n}', 'batch = 4\n  seq_len = 64\n  checkpoint_every = 256')
      .replace('"stories260K/stories260K.bin"', '"./nan-teacher.bin"');
    const spec = writeSpec(dir, 'nan.mohawk', text);

    const json = runMohawkc(['train', spec, '--out', 'generated', '--run', 'runs/json', '--json'], dir);
    expect(json.status, json.stderr).toBe(3);
    const report = JSON.parse(json.stdout);
    expect(report.diverged).toBe(true);
    expect(report.report).toMatchObject({ stage: 'distil', step: 1, what: 'loss', value: 'NaN', lastCheckpoint: null });
    expect(existsSync(join(dir, 'runs/json/latest'))).toBe(false);

    const plain = runMohawkc(['train', spec, '--out', 'generated', '--run', 'runs/text'], dir);
    expect(plain.status).toBe(3);
    expect(plain.stderr).toMatch(/error: training diverged in stage 'distil' at step 1: the loss is NaN/);
    expect(plain.stderr).not.toMatch(/\n\s+at /);
  }, 300_000);
});
