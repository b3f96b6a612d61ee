import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { HostTensor } from '../../../runtime/io/types.ts';
import { cleanRunDir, loadLatest, readLatestName, writeCheckpoint } from '../../../runtime/run/checkpoint.ts';
import { openRunDir, type RunDir } from '../../../runtime/run/run-dir.ts';
import { CHECKPOINT_FORMAT, CHECKPOINT_VERSION, type CheckpointState } from '../../../runtime/run/state.ts';
import { Rng } from '../../../runtime/train/rng.ts';

const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));
function freshRun(): RunDir {
  const root = mkdtempSync(join(tmpdir(), 'mohawk-ckpt-'));
  roots.push(root);
  return openRunDir(join(root, 'run'), { spec: 'test' });
}

/** Checkpoint k's contents are a function of k, so any loaded checkpoint can be checked for consistency. */
function contents(stage: string, stageIndex: number, step: number, stageComplete = false) {
  const rng = Rng.fromSeed(step, stage);
  const weights = new Map<string, HostTensor>([
    ['model.layers.0.w', { shape: [3, 4], data: rng.normals(12) }],
    ['model.norm.weight', { shape: [4], data: rng.normals(4) }],
  ]);
  const optimizer = new Map<string, HostTensor>([
    ['exp_avg.model.layers.0.w', { shape: [3, 4], data: rng.normals(12) }],
    ['exp_avg_sq.model.layers.0.w', { shape: [3, 4], data: rng.normals(12) }],
  ]);
  const state: Omit<CheckpointState, 'files'> = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    configHash: 'abc',
    stage,
    stageIndex,
    stageComplete,
    completedStages: stageComplete ? [stage] : [],
    step,
    totalSteps: 100,
    tokens: step * 64,
    runTokens: step * 64,
    optimizerStep: step,
    lr: 1e-3,
    rng: { data: rng.state() },
    data: { cursor: step * 7 },
    wallTime: step,
    metricsBytes: step * 10,
    createdAt: new Date(0).toISOString(),
  };
  return { state, weights, optimizer };
}

function expectMatches(loaded: NonNullable<ReturnType<typeof loadLatest>>) {
  const want = contents(loaded.state.stage, loaded.state.stageIndex, loaded.state.step, loaded.state.stageComplete);
  for (const [name, t] of want.weights) expect(Array.from(loaded.weights.get(name)!.data)).toEqual(Array.from(t.data));
  for (const [name, t] of want.optimizer) expect(Array.from(loaded.optimizer.get(name)!.data)).toEqual(Array.from(t.data));
  expect(loaded.state.data).toEqual(want.state.data);
  expect(loaded.state.rng).toEqual(want.state.rng);
}

const entries = (run: RunDir) => readdirSync(run.checkpoints).sort();

describe('checkpoints', () => {
  it('round-trip through the folder and `latest`, verified by the recorded digests', () => {
    const run = freshRun();
    expect(loadLatest(run)).toBeNull();
    const { name, state } = writeCheckpoint(run, contents('a', 0, 5));
    expect(name).toBe('checkpoints/a-5');
    expect(readFileSync(run.latest, 'utf8')).toBe('checkpoints/a-5\n');
    expect(state.files.weights.bytes).toBeGreaterThan(0);
    const loaded = loadLatest(run)!;
    expect(loaded.name).toBe('checkpoints/a-5');
    expect(loaded.state).toEqual(state);
    expectMatches(loaded);
  });

  it('keeps the newest `keep` checkpoints plus every stage end, deleting only after `latest` moved', () => {
    const run = freshRun();
    for (let s = 1; s <= 4; s++) writeCheckpoint(run, contents('a', 0, s, s === 4), { keep: 2 });
    for (let s = 1; s <= 5; s++) writeCheckpoint(run, contents('b', 1, s), { keep: 2 });
    expect(entries(run)).toEqual(['a-4', 'b-4', 'b-5']);
    writeCheckpoint(run, contents('b', 1, 6), { keep: 1, keepStageEnds: false });
    expect(entries(run)).toEqual(['b-6']);
  });

  it('reports damaged checkpoints with the file and the problem', () => {
    const run = freshRun();
    writeCheckpoint(run, contents('a', 0, 1));
    const weights = join(run.checkpoints, 'a-1', 'weights.safetensors');
    const bytes = readFileSync(weights);
    bytes[bytes.length - 3] ^= 0x40;
    writeFileSync(weights, bytes);
    expect(() => loadLatest(run)).toThrow(/weights\.safetensors: is damaged/);

    writeCheckpoint(run, contents('a', 0, 2));
    writeFileSync(join(run.checkpoints, 'a-2', 'state.json'), '{"format": "mohawk-checkpoint", "vers');
    expect(() => loadLatest(run)).toThrow(/a-2\/state\.json: is not valid JSON/);

    writeCheckpoint(run, contents('a', 0, 3));
    const stateFile = join(run.checkpoints, 'a-3', 'state.json');
    const st = JSON.parse(readFileSync(stateFile, 'utf8'));
    writeFileSync(stateFile, JSON.stringify({ ...st, step: -1 }));
    expect(() => loadLatest(run)).toThrow(/field 'step' must be a non-negative integer/);

    writeFileSync(run.latest, 'checkpoints/../../etc\n');
    expect(() => loadLatest(run)).toThrow(/latest: should name a checkpoint folder/);
    writeFileSync(run.latest, 'checkpoints/a-99\n');
    expect(() => loadLatest(run)).toThrow(/names checkpoints\/a-99, which does not exist/);
  });

  it('survives a crash at every step of writing, pruning included (crash injected in-process)', () => {
    // Dry run to learn the sequence of file-system steps of the third write (which also prunes the first).
    const labels: string[] = [];
    {
      const run = freshRun();
      writeCheckpoint(run, contents('a', 0, 1), { keep: 2 });
      writeCheckpoint(run, contents('a', 0, 2), { keep: 2 });
      writeCheckpoint(run, contents('a', 0, 3), { keep: 2, onStep: (l) => labels.push(l) });
    }
    expect(labels).toContain('rename');
    expect(labels).toContain('delete a-1');
    expect(labels).toContain('trashed a-1');
    for (const [n, label] of labels.entries()) {
      const run = freshRun();
      writeCheckpoint(run, contents('a', 0, 1), { keep: 2 });
      writeCheckpoint(run, contents('a', 0, 2), { keep: 2 });
      let seen = 0;
      expect(() =>
        writeCheckpoint(run, contents('a', 0, 3), {
          keep: 2,
          onStep: () => {
            if (seen++ === n) throw new Error(`crash at ${label}`);
          },
        }),
      ).toThrow(`crash at ${label}`);
      // What a restarted process does: clean up, then load `latest`. Every other case skips the clean-up, to
      // show that the next write copes with the leftovers by itself.
      if (n % 2 === 0) cleanRunDir(run);
      const loaded = loadLatest(run)!;
      const afterLatest = labels.indexOf('write-latest') < n;
      expect(loaded.state.step, `crash before step ${n} (${label})`).toBe(afterLatest ? 3 : 2);
      expectMatches(loaded);
      if (n % 2 === 0) expect(entries(run).filter((e) => e.startsWith('.'))).toEqual([]);
      // The run goes on: the next checkpoints (re)write cleanly, even the step that was in flight.
      writeCheckpoint(run, contents('a', 0, afterLatest ? 4 : 3), { keep: 2 });
      expect(readLatestName(run)).toBe(`checkpoints/a-${afterLatest ? 4 : 3}`);
      writeCheckpoint(run, contents('a', 0, 5), { keep: 2 });
      expect(entries(run)).toEqual(afterLatest ? ['a-4', 'a-5'] : ['a-3', 'a-5']);
      expectMatches(loadLatest(run)!);
    }
  });
});
