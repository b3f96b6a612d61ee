/**
 * kill -9 acceptance: `mohawkc train` killed with SIGKILL at a seeded random point (after a seeded number of
 * optimizer steps, between or across checkpoints) and continued with `--resume` ends with the same exported
 * student, byte for byte, as a run that was never interrupted; its metrics log equals the uninterrupted one
 * (timing fields aside). Also: a second `train` on the same run directory without --resume is refused.
 */
import { readFileSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../../runtime/train/rng.ts';
import { readMetrics, runMohawkc, scratchProject, specWithStages, startMohawkc, writeSpec } from './helpers.ts';

const dir = scratchProject('kill');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Small budgets, frequent checkpoints: 4 × 32-token micro-batches, 2 per step (256 tokens), checkpoint every
// 3 steps, so a kill lands between checkpoints and the resume replays steps.
const spec = writeSpec(
  dir,
  'kill.mohawk',
  specWithStages(
    ['stage orient : matrix_orientation {\n  tokens = 1536\n}', 'stage align : hidden_state_alignment {\n  tokens = 1536\n}', 'stage distil : end_to_end {\n  tokens = 3072\n}'].join('\n\n'),
    'batch = 8\n  micro_batch = 4\n  seq_len = 32\n  checkpoint_every = 768',
  ),
);
const common = ['--out', 'generated', '--no-eval', '--json'];
const TOTAL_STEPS = 6 + 6 + 12;

const timingFree = (runDir: string) => readMetrics(runDir).map(({ tokens_per_s: _a, wall_s: _b, ...rest }) => rest);

async function killAfterSteps(runDir: string, steps: number): Promise<void> {
  const child = startMohawkc(['train', spec, '--run', runDir, ...common], dir);
  const metrics = join(runDir, 'metrics.jsonl');
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  for (;;) {
    const lines = existsSync(metrics) ? readFileSync(metrics, 'utf8').split('\n').filter(Boolean).length : 0;
    if (lines >= steps) break;
    if (child.exitCode !== null) throw new Error(`training ended before step ${steps}: ${stderr}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill('SIGKILL');
  await exited;
}

describe('mohawkc train, killed with SIGKILL and resumed', () => {
  it('ends with the same exported weights as an uninterrupted run', async () => {
    const full = runMohawkc(['train', spec, '--run', 'runs/full', ...common], dir);
    expect(full.status, full.stderr).toBe(0);
    const reference = readFileSync(join(dir, 'runs/full/student/model.safetensors'));
    expect(readMetrics(join(dir, 'runs/full')).length).toBe(TOTAL_STEPS);

    // A seeded kill point anywhere in the run (the first step to the last but one).
    const killAt = 1 + Rng.fromSeed(20251128, 'kill-point').int(TOTAL_STEPS - 1);
    await killAfterSteps(join(dir, 'runs/killed'), killAt);
    expect(existsSync(join(dir, 'runs/killed/student/model.safetensors'))).toBe(false);

    const again = runMohawkc(['train', spec, '--run', 'runs/killed', ...common], dir);
    if (existsSync(join(dir, 'runs/killed/latest'))) {
      expect(again.status).toBe(2);
      expect(again.stderr).toMatch(/already holds a run .*--resume.*--force/);
    }

    const resumed = runMohawkc(['train', spec, '--run', 'runs/killed', '--resume', ...common], dir);
    expect(resumed.status, resumed.stderr).toBe(0);
    const got = readFileSync(join(dir, 'runs/killed/student/model.safetensors'));
    expect(got.equals(reference), `kill after step ${killAt}: exported weights differ`).toBe(true);
    expect(timingFree(join(dir, 'runs/killed'))).toEqual(timingFree(join(dir, 'runs/full')));
  }, 900_000);
});
