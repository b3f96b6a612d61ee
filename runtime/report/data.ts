/**
 * Everything the HTML report shows, as one JSON-able object embedded in the page. The page script
 * (assets/page.js) reads only this; keeping it plain data lets tests check the numbers without a browser.
 */
import type { RunEval } from '../views/evaluate-run.ts';

export const REPORT_DATA_VERSION = 1;

export interface StageSeries {
  name: string;
  kind: string;
  /** Per optimizer step: tokens within the stage, tokens in the run, loss, learning rate, tokens/s. */
  tokens: number[];
  runTokens: number[];
  loss: number[];
  lr: number[];
  tokensPerS: number[];
}

export interface StageRow {
  name: string;
  kind: string;
  steps: number;
  tokens: number;
  finalLoss?: number;
  seconds?: number;
  /** Tokens / training seconds of the stage (from the metrics log). */
  tokensPerS?: number;
}

export interface HeatmapLayer {
  layer: number;
  kind: 'ssm' | 'attention';
  /** Teacher softmax attention [heads, T, T], float32 little-endian, base64. */
  teacher: string;
  teacherHeads: number;
  /** Student mixing matrix [heads, T, T] on the teacher's hidden state (D on the diagonal); absent for kept attention. */
  student?: string;
  studentHeads?: number;
}

export interface Heatmaps {
  /** The sample sequence: ids and each token's text. */
  ids: number[];
  pieces: string[];
  length: number;
  layers: HeatmapLayer[];
}

export interface SamplePair {
  prompt: string;
  teacher: string;
  student: string;
}

export interface SampleSet {
  positions: number;
  temperature: number;
  topP: number;
  seed: string;
  pairs: SamplePair[];
}

export interface ReportData {
  version: typeof REPORT_DATA_VERSION;
  title: string;
  runDir: string;
  spec: string;
  createdAt: string;
  backend?: string;
  teacher: { name: string; checkpoint: string };
  student: { name: string; layout: ('ssm' | 'attention')[] };
  stages: StageRow[];
  series: StageSeries[];
  /** From our own evaluation (full metrics) or, failing that, summary.json's NLLs. */
  eval?: RunEval;
  evalSource?: 'computed' | 'summary';
  heatmaps?: Heatmaps;
  samples?: SampleSet;
  notes: string[];
}
