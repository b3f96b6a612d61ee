/**
 * Real kill -9 tests: child processes are SIGKILLed at seeded random moments, during checkpoint writing and
 * during training, and what they leave behind must load (and, for training, resume to the same bytes).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanRunDir, loadLatest } from '../../../runtime/run/checkpoint.ts';
import { readMetrics, TIMING_FIELDS } from '../../../runtime/run/metrics.ts';
import { openRunDir } from '../../../runtime/run/run-dir.ts';
import { Rng } from '../../../runtime/train/rng.ts';
import { REPO_ROOT } from '../../helpers/paths.ts';
import { pattern } from './fixtures/write-checkpoints-child.ts';

const FIXTURES = join(REPO_ROOT, 'test', 'runtime', 'run', 'fixtures');
const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));
const freshDir = () => {
  const root = mkdtempSync(join(tmpdir(), 'mohawk-kill-'));
  roots.push(root);
  return join(root, 'run');
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `node --import tsx` directly (not npx), so the pid we kill is the process doing the work. */
function startChild(script: string, args: string[]): { child: ChildProcess; done: Promise<{ code: number | null; signal: string | null; out: string; err: string }> } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(FIXTURES, script), ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const done = new Promise<{ code: number | null; signal: string | null; out: string; err: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, out, err })),
  );
  return { child, done };
}

async function waitFor(cond: () => boolean, what: string, limitMs = 20000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > limitMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

const lineCount = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').length - 1 : 0);

describe('kill -9', () => {
  it('during checkpoint writing always leaves a complete, consistent latest checkpoint', async () => {
    const rng = Rng.fromSeed(2024, 'kill-writer');
    const dir = freshDir();
    let lastStep = 0;
    for (let round = 0; round < 4; round++) {
      const { child, done } = startChild('write-checkpoints-child.ts', [dir]);
      // Wait for this round's first new checkpoint, then kill at a random moment of the writing loop.
      await waitFor(() => (loadLatestStep(dir) ?? 0) > lastStep, 'a checkpoint');
      await sleep(rng.int(250));
      child.kill('SIGKILL');
      const exit = await done;
      expect(exit.signal).toBe('SIGKILL');

      const run = openRunDir(dir);
      cleanRunDir(run);
      const latest = loadLatest(run)!;
      const step = latest.state.step;
      expect(step).toBeGreaterThan(lastStep);
      expect(latest.name).toBe(`checkpoints/s-${step}`);
      expect(latest.state.data).toEqual({ step });
      for (const [name, salt] of [['w', 0], ['exp_avg.w', 1], ['exp_avg_sq.w', 2]] as const) {
        const t = name === 'w' ? latest.weights.get(name)! : latest.optimizer.get(name)!;
        expect(Buffer.from(t.data.buffer).equals(Buffer.from(pattern(step, salt).buffer)), `${name} of step ${step}`).toBe(true);
      }
      expect(readdirSync(run.checkpoints).filter((e) => e.startsWith('.'))).toEqual([]);
      lastStep = step;
    }
  });

  it('during training, twice, then resumed: final weights and metrics equal an uninterrupted run', async () => {
    const straightDir = freshDir();
    const straight = await startChild('train-mlp-child.ts', [straightDir]).done;
    expect(straight.code, straight.err).toBe(0);
    const want = readFileSync(join(straightDir, 'final.safetensors'));
    const totalLines = lineCount(join(straightDir, 'metrics.jsonl'));
    expect(totalLines).toBe(60);

    const rng = Rng.fromSeed(7, 'kill-train');
    const dir = freshDir();
    const metricsFile = join(dir, 'metrics.jsonl');
    const kills: string[] = [];
    for (let round = 0; round < 2; round++) {
      // A random metrics line beyond what the previous child wrote (so this child has resumed and trained),
      // then a random extra delay: the kill lands inside a step, a metrics write or a checkpoint write.
      const before = lineCount(metricsFile);
      const target = before + 2 + rng.int(Math.max(1, totalLines - 4 - before));
      const { child, done } = startChild('train-mlp-child.ts', [dir]);
      await waitFor(() => lineCount(metricsFile) >= target, `metrics line ${target}`);
      await sleep(rng.int(15));
      child.kill('SIGKILL');
      const exit = await done;
      expect(exit.signal, exit.err).toBe('SIGKILL');
      kills.push(`after line ${target}: latest ${loadLatestName(dir)}`);
    }
    const resumed = await startChild('train-mlp-child.ts', [dir]).done;
    expect(resumed.code, resumed.err).toBe(0);
    expect(JSON.parse(resumed.out).resumedFrom).not.toBeNull();

    const got = readFileSync(join(dir, 'final.safetensors'));
    expect(got.equals(want), `kills: ${kills.join('; ')}`).toBe(true);
    const strip = (text: string) =>
      readMetrics(text).map((m) => {
        for (const f of TIMING_FIELDS) delete m[f];
        return m;
      });
    expect(strip(readFileSync(metricsFile, 'utf8'))).toEqual(strip(readFileSync(join(straightDir, 'metrics.jsonl'), 'utf8')));
  });
});

function loadLatestStep(dir: string): number | null {
  try {
    return loadLatest(openRunDir(dir))?.state.step ?? null;
  } catch {
    return null; // the writer may be between steps; the next poll sees a whole one
  }
}

function loadLatestName(dir: string): string {
  const f = join(dir, 'latest');
  return existsSync(f) ? readFileSync(f, 'utf8').trim() : '(none)';
}
