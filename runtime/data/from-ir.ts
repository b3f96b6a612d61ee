/**
 * Builds the batch source a stage trains on from the IR's data declarations: 'text' sources become token
 * streams (tokenized under their protocol, cached), 'teacher_samples' sources ask the injected factory for a
 * sampler with their temperature/top-p, 'mix' sources combine their parts by weight (nested mixes are
 * flattened, weights multiplied). Paths resolve against the data directory (data-dir.ts).
 */
import type { DataSourceIR } from '../../compiler/ir/types.ts';
import { type DataDirOptions, resolveDataPath } from '../io/data-dir.ts';
import type { Tokenizer } from '../io/tokenizers/index.ts';
import { RandomWindowSource, type SourcePart, type TeacherPool, type TeacherSampler } from './batches.ts';
import { loadTokenizedFile } from './token-cache.ts';
import type { TextProtocol } from './tokenize.ts';

/** A data declaration that cannot be built (unknown name, cycle, missing sampler). */
export class DataSourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataSourceError';
  }
}

export interface BuildSourceOptions {
  tokenizer: Tokenizer;
  batch: number;
  seqLen: number;
  /** Default: the named source's own seed. */
  seed?: number;
  /** Rng stream label (default 'data'), e.g. `data/<stage>` so stages sharing a seed draw different batches. */
  stream?: string;
  dataDir?: DataDirOptions;
  cacheDir?: string | false;
  /** Needed when a teacher_samples source is used: makes a sampler for its settings (one row per call)… */
  teacherSampler?: (settings: { temperature: number; topP: number }) => TeacherSampler;
  /** …or a pool that decodes many rows at once (preferred when both are given; batches.ts TeacherPool). */
  teacherPool?: (settings: { temperature: number; topP: number }) => TeacherPool;
}

export function batchSourceFromIR(sources: DataSourceIR[], name: string, opts: BuildSourceOptions): RandomWindowSource {
  const byName = new Map(sources.map((s) => [s.name, s]));
  const root = byName.get(name);
  if (!root) throw new DataSourceError(`no data source named '${name}' (declared: ${[...byName.keys()].join(', ') || 'none'})`);
  const leaves: { source: DataSourceIR; weight: number }[] = [];
  const walk = (s: DataSourceIR, weight: number, path: string[]) => {
    if (path.includes(s.name)) throw new DataSourceError(`data source '${s.name}' includes itself (${[...path, s.name].join(' → ')})`);
    if (s.kind !== 'mix') {
      leaves.push({ source: s, weight });
      return;
    }
    const parts = s.parts ?? [];
    const total = parts.reduce((a, p) => a + p.weight, 0);
    if (!(total > 0)) throw new DataSourceError(`mix '${s.name}' has no parts with positive weight`);
    for (const p of parts) {
      const child = byName.get(p.source);
      if (!child) throw new DataSourceError(`mix '${s.name}' names an unknown source '${p.source}'`);
      walk(child, (weight * p.weight) / total, [...path, s.name]);
    }
  };
  walk(root, 1, []);
  const streams = new Map<string, Int32Array>();
  const parts: SourcePart[] = leaves.map(({ source, weight }) => {
    if (source.kind === 'teacher_samples') {
      const settings = { temperature: source.temperature ?? 1, topP: source.topP ?? 1 };
      if (opts.teacherPool) return { kind: 'teacher', name: source.name, weight, pool: opts.teacherPool(settings) };
      if (!opts.teacherSampler) throw new DataSourceError(`data source '${source.name}' samples the teacher, but no teacher sampler was provided`);
      return { kind: 'teacher', name: source.name, weight, sampler: opts.teacherSampler(settings) };
    }
    if (!source.path) throw new DataSourceError(`text source '${source.name}' has no path`);
    const key = `${source.path}\u0000${source.protocol}`;
    if (!streams.has(key)) {
      const file = resolveDataPath(source.path, opts.dataDir);
      const t = loadTokenizedFile(file, opts.tokenizer, source.protocol as TextProtocol, opts.cacheDir === undefined ? {} : { cacheDir: opts.cacheDir });
      streams.set(key, t.tokens);
    }
    return { kind: 'text', name: source.name, weight, tokens: streams.get(key)! };
  });
  return new RandomWindowSource({ parts, batch: opts.batch, seqLen: opts.seqLen, seed: opts.seed ?? root.seed, ...(opts.stream ? { stream: opts.stream } : {}) });
}
