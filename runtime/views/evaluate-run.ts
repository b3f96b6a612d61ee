/**
 * The whole evaluation of a student against its teacher on held-out text — what `mohawkc eval --json` prints
 * and the report's table shows: both models' NLL and perplexity, top-1 agreement and KL(teacher‖student) under
 * the eval protocol, and the per-layer stage-1/stage-2 distances on same-length windows of the same text.
 */
import type { StageIR } from '../../compiler/ir/types.ts';
import { loadTokenizedFile, type LoadTokensOptions } from '../data/token-cache.ts';
import { evaluateSequences } from '../eval/nll.ts';
import { paragraphSequences, windowSequences, type EvalProtocol } from '../eval/protocols.ts';
import type { Tokenizer } from '../io/tokenizers/index.ts';
import type { TransformerLM } from '../models/transformer.ts';
import type { StudentLM } from '../student/model.ts';
import { compareOnSequences, type NllStats } from './compare.ts';
import { layerDistances, streamWindows, type LayerDistance } from './distances.ts';

export interface EvalSettings extends LoadTokensOptions {
  textFile: string;
  protocol: EvalProtocol;
  /** First N sequences of the protocol (undefined: all). */
  maxSequences?: number;
  /** Window length for the windows protocol (default the teacher's maximum positions). */
  window?: number;
  batchTokens?: number;
  /** Per-layer distances: window length (the stages' seq_len), how many windows, stage-2 target, windows per pass. */
  distances?: { seqLen: number; windows: number; target: 'block' | 'mixer'; microBatch: number } | false;
  onProgress?: (what: string, done: number, total: number) => void;
}

export interface RunEval {
  text: string;
  protocol: EvalProtocol;
  sequences: number;
  /** Tokens in the sequences (BOS included) and tokens predicted. */
  tokens: number;
  predicted: number;
  teacher: NllStats;
  student?: NllStats;
  /** Student NLL / teacher NLL. */
  nllRatio?: number;
  top1Agreement?: number;
  klPerToken?: number;
  distances?: { seqLen: number; windows: number; target: 'block' | 'mixer'; layers: LayerDistance[] };
  seconds: number;
}

export function evalSequencesOf(teacher: TransformerLM, tokenizer: Tokenizer, s: EvalSettings): Int32Array[] {
  const tok = loadTokenizedFile(s.textFile, tokenizer, s.protocol === 'paragraphs' ? 'paragraphs' : 'windows', s);
  const seqs = s.protocol === 'paragraphs' ? paragraphSequences(tok) : windowSequences(tok, s.window ?? teacher.config.maxSeqLen, tokenizer.bos ?? 1);
  return s.maxSequences !== undefined ? seqs.slice(0, s.maxSequences) : seqs;
}

export async function evaluateRun(teacher: TransformerLM, student: StudentLM | undefined, tokenizer: Tokenizer, s: EvalSettings): Promise<RunEval> {
  const started = performance.now();
  const seqs = evalSequencesOf(teacher, tokenizer, s);
  if (seqs.length === 0) throw new RangeError(`${s.textFile}: no ${s.protocol} to evaluate`);
  const progress = (what: string) => (s.onProgress ? (d: number, t: number) => s.onProgress!(what, d, t) : undefined);
  if (!student) {
    const r = await evaluateSequences(teacher, seqs, { batchTokens: s.batchTokens, onProgress: progress('sequences') });
    return {
      text: s.textFile,
      protocol: s.protocol,
      sequences: r.sequences,
      tokens: r.tokens,
      predicted: r.predicted,
      teacher: { meanNll: r.meanNll, perplexity: r.perplexity },
      seconds: (performance.now() - started) / 1000,
    };
  }
  const pair = await compareOnSequences(teacher, student, seqs, { batchTokens: s.batchTokens, onProgress: progress('sequences') });
  const out: RunEval = {
    text: s.textFile,
    protocol: s.protocol,
    sequences: pair.sequences,
    tokens: pair.tokens,
    predicted: pair.predicted,
    teacher: pair.teacher,
    student: pair.student,
    nllRatio: pair.student.meanNll / pair.teacher.meanNll,
    top1Agreement: pair.top1Agreement,
    klPerToken: pair.klPerToken,
    seconds: 0,
  };
  if (s.distances) {
    const d = s.distances;
    // The paragraphs protocol's stream: paragraphs joined with their BOS tokens, as the training windows see text.
    const stream = loadTokenizedFile(s.textFile, tokenizer, 'paragraphs', s).tokens;
    const windows = streamWindows(stream, d.seqLen, d.windows);
    if (windows.length === 0) throw new RangeError(`${s.textFile}: shorter than one ${d.seqLen}-token window`);
    const r = await layerDistances(teacher, student, windows, { target: d.target, microBatch: d.microBatch, onProgress: progress('windows') });
    out.distances = { seqLen: r.seqLen, windows: r.windows, target: r.target, layers: r.layers };
  }
  out.seconds = (performance.now() - started) / 1000;
  return out;
}

/**
 * Distance settings from a run's stages: the orientation stage's seq_len and micro-batch (else the first
 * stage's), the alignment stage's target (default 'block').
 */
export function distanceSettingsOf(stages: readonly Pick<StageIR, 'kind' | 'seqLen' | 'microBatch' | 'loss'>[], windows: number): { seqLen: number; windows: number; target: 'block' | 'mixer'; microBatch: number } {
  const orient = stages.find((s) => s.kind === 'matrix_orientation') ?? stages[0];
  const align = stages.find((s) => s.kind === 'hidden_state_alignment');
  return { seqLen: orient?.seqLen ?? 64, microBatch: orient?.microBatch ?? 8, target: align?.loss.target ?? 'block', windows };
}
