/**
 * `mohawkc report RUN_DIR`: gathers the report data of a run directory — training curves from metrics.jsonl,
 * the stage table, and (when the student export exists) a fresh evaluation, per-layer heatmaps and
 * side-by-side samples — and renders the HTML.
 */
import { writeFileAtomic } from '../io/atomic-write.ts';
import type { TransformerLM } from '../models/transformer.ts';
import { activeBackend } from '../tensor/backend.ts';
import type { BuiltStudent } from '../student/build.ts';
import { distanceSettingsOf, evaluateRun, evalSequencesOf, type EvalSettings, type RunEval } from '../views/evaluate-run.ts';
import { loadStudent, loadTeacher, runPath, teacherOfRun, type RunPathOptions } from '../views/load-run.ts';
import { readRunDir, type RunContents } from '../views/run-dir.ts';
import { REPORT_DATA_VERSION, type ReportData } from './data.ts';
import { mixingHeatmaps } from './heatmaps.ts';
import { renderReport } from './html.ts';
import { DEFAULT_PROMPTS, sideBySide } from './samples.ts';
import { stageRows, stageSeries } from './training-series.ts';

export interface ReportOptions extends RunPathOptions {
  /** Evaluation text (default: the run's eval.data) and sequence limit (default: the run's, else 200). */
  evalText?: string;
  maxSequences?: number;
  /** Windows for the per-layer distances (default 32). */
  distanceWindows?: number;
  /** false: no model is loaded; the eval table comes from summary.json. */
  models?: boolean;
  /** Tokens of the heatmap sequence (default 32). */
  heatmapTokens?: number;
  samples?: { prompts?: string[]; positions?: number; temperature?: number; topP?: number; seed?: bigint } | false;
  log?: (line: string) => void;
}

export async function buildReportData(runDir: string, opts: ReportOptions = {}): Promise<ReportData> {
  const run = readRunDir(runDir);
  const series = stageSeries(run);
  const notes: string[] = [];
  const data: ReportData = {
    version: REPORT_DATA_VERSION,
    title: `MOHAWK run: ${run.ir.student.name} from ${run.ir.teacher.name}`,
    runDir: run.root,
    spec: run.ir.spec,
    createdAt: new Date().toISOString(),
    backend: typeof run.summary?.backend === 'string' ? run.summary.backend : undefined,
    teacher: { name: run.ir.teacher.name, checkpoint: run.ir.teacher.checkpoint },
    student: { name: run.ir.student.name, layout: run.ir.student.layers.map((l) => l.kind) },
    stages: stageRows(series, run),
    series,
    notes,
  };
  if (!run.summary) notes.push('The run has not finished (no summary.json): curves show the steps logged so far.');
  const fromSummary = summaryEval(run);
  if (opts.models === false || !run.studentDir) {
    if (!run.studentDir) notes.push('No exported student yet (student/model.safetensors): evaluation, heatmaps and samples need it.');
    if (fromSummary) {
      data.eval = fromSummary;
      data.evalSource = 'summary';
    }
    return data;
  }

  const log = opts.log ?? (() => {});
  const teacherFiles = teacherOfRun(run, opts);
  const teacher = loadTeacher(teacherFiles);
  let built: BuiltStudent | undefined;
  try {
    built = loadStudent(run, teacherFiles);
    const student = built.model;
    const settings = evalSettings(run, teacher, opts);
    log(`evaluating on ${settings.textFile} (${settings.maxSequences} sequences, ${settings.distances ? settings.distances.windows : 0} distance windows)`);
    data.eval = await evaluateRun(teacher, student, teacherFiles.tokenizer, settings);
    data.evalSource = 'computed';
    data.backend = activeBackend();

    const first = evalSequencesOf(teacher, teacherFiles.tokenizer, { ...settings, maxSequences: 50 }).find((s) => s.length >= 8);
    if (first) {
      const ids = Array.from(first.subarray(0, Math.min(first.length, opts.heatmapTokens ?? 32)));
      log(`heatmaps on a ${ids.length}-token sequence`);
      data.heatmaps = await mixingHeatmaps(teacher, student, teacherFiles.tokenizer, ids);
    }
    if (opts.samples !== false) {
      const s = opts.samples ?? {};
      log('sampling teacher and student');
      data.samples = await sideBySide(teacher, student, teacherFiles.tokenizer, {
        prompts: s.prompts ?? DEFAULT_PROMPTS,
        positions: s.positions ?? 96,
        temperature: s.temperature ?? 0.8,
        topP: s.topP ?? 0.9,
        seed: s.seed ?? 42n,
      });
    }
  } finally {
    built?.model.dispose();
    teacher.dispose();
  }
  return data;
}

export async function writeReport(runDir: string, out: string, opts: ReportOptions = {}): Promise<{ data: ReportData; bytes: number }> {
  const data = await buildReportData(runDir, opts);
  const html = Buffer.from(renderReport(data), 'utf8');
  writeFileAtomic(out, [html]);
  return { data, bytes: html.length };
}

function evalSettings(run: RunContents, teacher: TransformerLM, opts: ReportOptions): EvalSettings {
  return {
    textFile: opts.evalText ?? runPath(run, run.ir.eval?.data ?? 'tinystories/valid.txt', opts),
    protocol: run.ir.eval?.protocol ?? 'paragraphs',
    maxSequences: opts.maxSequences ?? run.ir.eval?.maxSequences ?? 200,
    window: teacher.config.maxSeqLen,
    distances: distanceSettingsOf(run.ir.stages, opts.distanceWindows ?? 32),
  };
}

/** summary.json's NLLs in the RunEval shape (no agreement, KL or distances). */
function summaryEval(run: RunContents): RunEval | undefined {
  const e = run.summary?.eval as { student?: Record<string, number>; teacher?: Record<string, number>; ratio?: number; data?: string } | undefined;
  if (!e?.student || !e.teacher) return undefined;
  return {
    text: e.data ?? '?',
    protocol: run.ir.eval?.protocol ?? 'paragraphs',
    sequences: e.student.sequences,
    tokens: e.student.tokens,
    predicted: e.student.predicted,
    teacher: { meanNll: e.teacher.meanNll, perplexity: e.teacher.perplexity },
    student: { meanNll: e.student.meanNll, perplexity: e.student.perplexity },
    nllRatio: e.ratio,
    seconds: (e.student.seconds ?? 0) + (e.teacher.seconds ?? 0),
  };
}
