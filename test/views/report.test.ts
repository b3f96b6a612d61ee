/**
 * The report's data from a run directory synthesised here (ir.json of the fixture spec, a metrics log with
 * known values, a student exported by runtime/student/export.ts): curves and stage table equal the log, the
 * loaded student is the exported one, the evaluation, heatmaps and samples are filled in, the HTML embeds
 * everything with nothing to fetch; and broken run directories fail with one message naming the file.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileSpecFile } from '../../compiler/compile.ts';
import { buildReportData } from '../../runtime/report/build-report.ts';
import type { ReportData } from '../../runtime/report/data.ts';
import { renderReport, scriptJson } from '../../runtime/report/html.ts';
import { exportStudent } from '../../runtime/student/export.ts';
import { useBackend } from '../../runtime/tensor/backend.ts';
import { loadStudent, teacherOfRun } from '../../runtime/views/load-run.ts';
import { readRunDir } from '../../runtime/views/run-dir.ts';
import { DATA_DIR, REPO_ROOT } from '../helpers/paths.ts';
import { buildStudent } from '../../runtime/student/build.ts';
import { teacherCheckpoint } from './helpers/models.ts';
import { TINY_SPEC } from './helpers/train-tiny.ts';

const root = mkdtempSync(join(tmpdir(), 'mohawk-views-report-'));
const runDir = join(root, 'run');
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Two stages' worth of metrics lines with values derived from the step number. */
function metricsLines(): object[] {
  const out: object[] = [];
  let runTokens = 0;
  let wall = 0;
  for (const [stage, steps] of [['orient', 4], ['align', 3]] as const)
    for (let step = 1; step <= steps; step++) {
      runTokens += 128;
      wall += 0.5;
      out.push({ stage, step, tokens: step * 128, run_tokens: runTokens, loss: 100 / step, lr: 1e-3, grad_norm: 1, tokens_per_s: 256 + step, wall_s: wall });
    }
  return out;
}

let irStudentLogits: Float32Array;
beforeAll(async () => {
  await useBackend('wasm');
  const ir = compileSpecFile(TINY_SPEC, { dataDir: DATA_DIR }).ir!;
  mkdirSync(runDir, { recursive: true });
  const stages = ir.stages.map(({ source: _source, ...s }) => s);
  writeFileSync(join(runDir, 'ir.json'), JSON.stringify({ spec: 'test/views/fixtures/views-tiny.mohawk', edition: ir.edition, teacher: ir.teacher, student: ir.student, data: ir.data, eval: ir.eval, kernels: [], stages }));
  writeFileSync(join(runDir, 'metrics.jsonl'), metricsLines().map((l) => JSON.stringify(l)).join('\n') + '\n');
  // A student with the fixture's layout and seeded weights stands in for a trained one.
  const built = buildStudent(teacherCheckpoint(), ir.student, { trainable: true, seed: 21 });
  await exportStudent(built, { ...ir.student }, join(runDir, 'student'));
  const out = built.model.forward([[1, 403, 407, 261, 378, 1, 9]]);
  irStudentLogits = (await out.logits!.data()) as Float32Array;
  out.logits!.dispose();
  built.model.dispose();
});

describe('report data', () => {
  let data: ReportData;
  beforeAll(async () => {
    data = await buildReportData(runDir, { dataDir: DATA_DIR, root: REPO_ROOT, maxSequences: 6, distanceWindows: 3, heatmapTokens: 12, samples: { positions: 24, prompts: ['Once upon a time'] } });
  });

  it('curves and the stage table come from metrics.jsonl', () => {
    expect(data.series.map((s) => [s.name, s.loss.length])).toEqual([
      ['orient', 4],
      ['align', 3],
      ['distil', 0],
    ]);
    expect(data.series[0].loss).toEqual([100, 50, 100 / 3, 25]);
    expect(data.series[1].runTokens).toEqual([640, 768, 896]);
    expect(data.series[1].tokensPerS).toEqual([257, 258, 259]);
    // No summary.json: a stage's seconds are the wall_s it added (cumulative log).
    expect(data.stages[1]).toMatchObject({ name: 'align', kind: 'hidden_state_alignment', steps: 3, tokens: 384, finalLoss: 100 / 3, seconds: 1.5 });
    expect(data.stages[1].tokensPerS).toBeCloseTo(256, 6);
    expect(data.stages[2]).toMatchObject({ name: 'distil', steps: 0, tokens: 0 });
    expect(data.notes.join(' ')).toMatch(/has not finished/);
  });

  it('evaluates the exported student against the teacher', () => {
    const e = data.eval!;
    expect(data.evalSource).toBe('computed');
    expect(e.sequences).toBe(6);
    expect(e.student!.meanNll).toBeGreaterThan(e.teacher.meanNll);
    expect(e.top1Agreement).toBeGreaterThan(0);
    expect(e.distances!.layers.map((l) => l.kind)).toEqual(['ssm', 'ssm', 'attention', 'ssm', 'ssm']);
    expect(e.distances!.seqLen).toBe(32);
  });

  it('heatmaps hold [heads, T, T] float32 matrices: attention rows sum to 1, student only for SSM layers', () => {
    const h = data.heatmaps!;
    expect(h.length).toBe(12);
    expect(h.pieces).toHaveLength(12);
    for (const l of h.layers) {
      const a = new Float32Array(Buffer.from(l.teacher, 'base64').buffer.slice(0));
      expect(a.length).toBe(8 * 12 * 12);
      for (let row = 0; row < 8 * 12; row++) expect(a.subarray(row * 12, row * 12 + 12).reduce((s, x) => s + x, 0)).toBeCloseTo(1, 5);
      expect(l.student === undefined).toBe(l.kind === 'attention');
      if (l.student) expect(Buffer.from(l.student, 'base64').length).toBe(8 * 12 * 12 * 4);
    }
  });

  it('samples both models from the same prompt', () => {
    expect(data.samples!.pairs).toHaveLength(1);
    expect(data.samples!.pairs[0].teacher.startsWith('Once upon a time')).toBe(true);
    expect(data.samples!.pairs[0].student.startsWith('Once upon a time')).toBe(true);
  });

  it('the HTML embeds the data and the chart library and loads nothing', () => {
    const html = renderReport(data);
    expect(html).toContain('uPlot'); // inlined library (its licence banner names it)
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|@import|url\((?!data:)/i);
    expect(html).toContain(`default-src 'none'`);
    const json = /<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(html)![1];
    expect(JSON.parse(json)).toEqual(JSON.parse(JSON.stringify(data)));
  });

  it('--no-models: curves only, no model loaded', async () => {
    const d = await buildReportData(runDir, { models: false });
    expect(d.eval).toBeUndefined();
    expect(d.heatmaps).toBeUndefined();
    expect(d.series[0].loss).toHaveLength(4);
  });
});

describe('run directory loading', () => {
  it('the loaded student is the exported one (same logits)', async () => {
    const run = readRunDir(runDir);
    const built = loadStudent(run, teacherOfRun(run, { dataDir: DATA_DIR, root: REPO_ROOT }));
    try {
      const out = built.model.forward([[1, 403, 407, 261, 378, 1, 9]]);
      const got = (await out.logits!.data()) as Float32Array;
      out.logits!.dispose();
      let worst = 0;
      for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - irStudentLogits[i]));
      expect(worst).toBeLessThan(1e-5);
    } finally {
      built.model.dispose();
    }
  });

  it('broken run directories fail with one message naming the problem', () => {
    const bad = join(root, 'bad');
    mkdirSync(bad, { recursive: true });
    expect(() => readRunDir(join(root, 'missing'))).toThrow(/missing: does not exist/);
    expect(() => readRunDir(bad)).toThrow(/has no ir\.json: not a run directory/);
    writeFileSync(join(bad, 'ir.json'), '{ not json');
    expect(() => readRunDir(bad)).toThrow(/ir\.json: is not valid JSON/);
    writeFileSync(join(bad, 'ir.json'), '{"teacher": {}, "stages": []}');
    expect(() => readRunDir(bad)).toThrow(/ir\.json: has no 'student' section/);
    writeFileSync(join(bad, 'ir.json'), JSON.stringify(MINIMAL_IR));
    expect(() => loadStudent(readRunDir(bad), teacherOfRun(readRunDir(bad), { dataDir: DATA_DIR }))).toThrow(/has no exported student/);
    writeFileSync(join(bad, 'metrics.jsonl'), '{"stage":"a"}\nnot json\n{"stage":"b"}\n');
    expect(() => readRunDir(bad)).toThrow(/metrics\.jsonl: a line is not JSON/);
  });

  it('scriptJson keeps a text that contains </script> inside the JSON', () => {
    const s = scriptJson({ text: '</script><script>alert(1)</script> & <!--' });
    expect(s).not.toMatch(/<\/script|<!--/i);
    expect(JSON.parse(s)).toEqual({ text: '</script><script>alert(1)</script> & <!--' });
  });
});

const MINIMAL_IR = { spec: 'x.mohawk', teacher: { checkpoint: 'stories260K/stories260K.bin', tokenizer: 'stories260K/tok512.bin' }, student: { layers: [] }, stages: [] };
