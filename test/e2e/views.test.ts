/**
 * The views on a freshly trained run (test/views/fixtures/views-tiny.mohawk, a hybrid, a few thousand tokens
 * per stage), as a user runs them:
 *  - `mohawkc eval --run DIR --json` reports every metric, and its per-layer distances equal the training
 *    stages' own losses (runtime/stages, the run's stage IR) on the same windows with the trained student;
 *  - `mohawkc sample --run DIR` decodes the student recurrently (fixed state for SSM layers);
 *  - `mohawkc report DIR` writes one self-contained HTML file that renders in headless Chromium with no
 *    console errors, no network request and non-blank charts (screenshot in test-artifacts/).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StageIR } from '../../compiler/ir/types.ts';
import type { Batch } from '../../runtime/data/batches.ts';
import { loadTokenizedFile } from '../../runtime/data/token-cache.ts';
import type { ProgramResult } from '../../runtime/program/run-program.ts';
import { stageStudent } from '../../runtime/program/student-adapter.ts';
import type { StageContext } from '../../runtime/stages/context.ts';
import { hiddenStateAlignment } from '../../runtime/stages/hidden-state-alignment.ts';
import { matrixOrientation } from '../../runtime/stages/matrix-orientation.ts';
import { disposeTeacherBatch, teacherBatch } from '../../runtime/stages/teacher-batches.ts';
import { tf, useBackend } from '../../runtime/tensor/backend.ts';
import { streamWindows } from '../../runtime/views/distances.ts';
import { loadStudent, loadTeacher, teacherOfRun } from '../../runtime/views/load-run.ts';
import { readRunDir } from '../../runtime/views/run-dir.ts';
import { DATA_DIR, REPO_ROOT, VALID_TXT } from '../helpers/paths.ts';
import { trainTiny } from '../views/helpers/train-tiny.ts';
import { renderInChromium } from '../views/helpers/chromium.ts';

function mohawkc(...args: string[]) {
  const r = spawnSync(process.execPath, [resolve(REPO_ROOT, 'bin', 'mohawkc.mjs'), ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...process.env, MOHAWK_DEBUG: '', MOHAWK_DATA: DATA_DIR },
    timeout: 300_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const root = mkdtempSync(join(tmpdir(), 'mohawk-views-e2e-'));
const runDir = join(root, 'run');
let trained: ProgramResult;
beforeAll(async () => {
  await useBackend('wasm');
  trained = await trainTiny(runDir);
}, 300_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('mohawkc eval --run DIR', () => {
  it('reports every metric, and its per-layer distances are the training stages\' losses on the same windows', async () => {
    const r = mohawkc('eval', '--run', runDir, '--windows', '12', '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const e = JSON.parse(r.stdout);
    expect(e).toMatchObject({ model: 'student', protocol: 'paragraphs', sequences: 20 });
    for (const x of [e.teacher.meanNll, e.teacher.perplexity, e.student.meanNll, e.student.perplexity, e.nllRatio, e.klPerToken]) expect(Number.isFinite(x)).toBe(true);
    expect(e.top1Agreement).toBeGreaterThan(0);
    expect(e.top1Agreement).toBeLessThanOrEqual(1);
    expect(e.klPerToken).toBeGreaterThan(0);
    // The program's own evaluation (summary.json) scored the same sequences.
    expect(e.student.meanNll).toBeCloseTo(trained.eval!.student.meanNll, 4);
    expect(e.teacher.meanNll).toBeCloseTo(trained.eval!.teacher!.meanNll, 4);
    expect(e.distances).toMatchObject({ seqLen: 32, windows: 12, target: 'block' });
    const layers: { layer: number; kind: string; matrix?: number; hidden?: number }[] = e.distances.layers;
    expect(layers.map((l) => l.kind)).toEqual(['ssm', 'ssm', 'attention', 'ssm', 'ssm']);

    // The same 12 windows through the stages' loss functions, with the run's stage IR and trained student.
    const run = readRunDir(runDir);
    const files = teacherOfRun(run, { dataDir: DATA_DIR, root: REPO_ROOT });
    const teacher = loadTeacher(files);
    const built = loadStudent(run, files);
    try {
      const windows = streamWindows(loadTokenizedFile(VALID_TXT, files.tokenizer, 'paragraphs').tokens, 32, 12);
      const [orient, align] = run.ir.stages as StageIR[];
      const ctx: StageContext = { teacher, student: stageStudent(built.model, run.ir.student), tokens: () => unused };
      const stage1 = await lossOn(ctx, { ...orient, source: { file: '', line: 0 } }, windows);
      const stage2 = await lossOn(ctx, { ...align, source: { file: '', line: 0 } }, windows);
      const sum = (pick: (l: (typeof layers)[number]) => number | undefined, of: number[]) => of.reduce((s, i) => s + pick(layers[i])!, 0);
      expect(Math.abs(sum((l) => l.matrix, orient.layers) - stage1) / stage1).toBeLessThan(1e-4);
      expect(Math.abs(sum((l) => l.hidden, align.layers) - stage2) / stage2).toBeLessThan(1e-4);
    } finally {
      built.model.dispose();
      teacher.dispose();
    }
  });

  it('prints a table by default', () => {
    const r = mohawkc('eval', '--run', runDir, '--max-sequences', '3', '--windows', '2');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/mean NLL +\d+\.\d{6} +\d+\.\d{6}/);
    expect(r.stdout).toMatch(/top-1 agreement \d+\.\d\d % · KL\(teacher‖student\) \d+\.\d{4} nats\/token/);
    expect(r.stdout).toMatch(/\n +2 +attention +— +\d+\.\d{4}\n/);
  });
});

describe('mohawkc sample --run DIR', () => {
  it('decodes the student recurrently; the seed fixes the text; SSM state stays fixed-size', () => {
    const args = ['sample', '--run', runDir, '--prompt', 'Once upon a time', '--tokens', '80', '--temperature', '0.8', '--seed', '5', '--json'];
    const a = mohawkc(...args);
    expect(a.stderr).toBe('');
    const r = JSON.parse(a.stdout);
    expect(JSON.parse(mohawkc(...args).stdout).text).toBe(r.text);
    expect(r.text.startsWith('Once upon a time')).toBe(true);
    expect(r.model).toBe('student');
    // After the last step the kept attention layer holds one key/value pair per position fed: all but the last
    // token when the run used its positions up, all of them when a sampled BOS ended it.
    const fed = r.stoppedAtBos ? r.tokens.length : r.tokens.length - 1;
    expect(r.sampled).toBeGreaterThan(1);
    // conv window [192, 4] + state [8, 8, 8], float32, per SSM layer, whatever the length.
    expect(r.stateBytesPerLayer).toEqual([5120, 5120, fed * 2 * 4 * 8 * 4, 5120, 5120]);
  });

  it('a run directory that does not exist is one clear line', () => {
    const r = mohawkc('sample', '--run', join(root, 'nope'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: students are not available without a run: .*nope does not exist/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('mohawkc report DIR', () => {
  it('writes one self-contained HTML file that renders in headless Chromium with no console errors', async () => {
    const out = join(root, 'report.html');
    const r = mohawkc('report', runDir, '--out', out, '--max-sequences', '10', '--windows', '4', '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).sections).toMatchObject({ stages: 3, eval: 'computed', heatmapLayers: 5, samples: 3 });
    const html = readFileSync(out, 'utf8');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|@import|url\((?!data:)/i);

    const artifacts = resolve(REPO_ROOT, 'test-artifacts');
    mkdirSync(artifacts, { recursive: true });
    const shot = join(artifacts, 'views-report.png');
    const page = await renderInChromium(out, shot);
    expect(page.consoleErrors).toEqual([]);
    expect(page.pageErrors).toEqual([]);
    expect(page.requests).toEqual([]);
    expect(page.rendered).toBe(true);
    // 3 loss charts + throughput + lr + 2 distance charts, and teacher/student/difference per SSM layer + teacher for the kept one.
    expect(page.charts).toBe(7);
    expect(page.heatmaps).toBe(4 * 3 + 1);
    expect(page.blankCanvases).toEqual([]);
    expect(existsSync(shot)).toBe(true);
  }, 120_000);
});

const unused = {
  next: (): Batch => {
    throw new Error('not used');
  },
  state: () => null,
  restore: () => {},
};

async function lossOn(ctx: StageContext, stage: StageIR, windows: Int32Array[]): Promise<number> {
  const def = stage.kind === 'matrix_orientation' ? matrixOrientation(ctx, stage) : hiddenStateAlignment(ctx, stage);
  const setup = await def.setup();
  const t = windows[0].length;
  const inputs = Int32Array.from(windows.flatMap((w) => Array.from(w)));
  const batch: Batch = { batch: windows.length, seqLen: t, inputs, targets: new Int32Array(inputs.length), parts: new Uint8Array(windows.length) };
  const tb = teacherBatch(ctx.teacher, batch, { layers: stage.layers, inputs: true, probs: stage.kind === 'matrix_orientation', outputs: stage.kind !== 'matrix_orientation' });
  try {
    const loss = tf.tidy(() => setup.loss(tb));
    const v = (await loss.data())[0];
    loss.dispose();
    return v;
  } finally {
    disposeTeacherBatch(tb);
  }
}
