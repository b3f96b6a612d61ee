/**
 * `mohawkc report RUN_DIR [--out FILE]`: one self-contained HTML file (runtime/report) for a training run.
 */
import { resolve } from 'node:path';
import { writeReport } from '../../runtime/report/build-report.ts';
import { EXIT_OK, UsageError } from '../errors.ts';
import type { Verb } from '../verb.ts';
import { COMMON_USAGE, backendFlag, dataFile, numberFlag, parseVerbFlags, printJson, selectBackend } from '../options.ts';

const USAGE = `usage: mohawkc report RUN_DIR [--out FILE] [options]

Writes one self-contained HTML file (charts inlined, nothing loaded at view time) for a run directory made by
'mohawkc train': loss per stage, throughput and learning rate, the evaluation table teacher vs student (NLL,
perplexity, top-1 agreement, KL), per-layer stage-1/stage-2 distances, heatmaps of teacher attention vs student
mixing matrix per layer for a sample sequence, and sample texts side by side.

  --out FILE          where to write (default RUN_DIR/report.html)
  --text FILE         held-out text for the evaluation (default: the run's eval data)
  --max-sequences N   sequences to evaluate (default: the run's eval.max_sequences, else 200)
  --windows N         windows for the per-layer distances (default 32)
  --tokens N          length of the heatmap sequence (default 32)
  --no-models         do not load the models: curves only, the eval table from summary.json
  --no-samples        skip the side-by-side samples
  --seed N            sampling seed (default 42)
${COMMON_USAGE}`;

const FLAGS = {
  out: { type: 'string' as const },
  text: { type: 'string' as const },
  'max-sequences': { type: 'string' as const },
  windows: { type: 'string' as const },
  tokens: { type: 'string' as const },
  'no-models': { type: 'boolean' as const },
  'no-samples': { type: 'boolean' as const },
  seed: { type: 'string' as const },
};

export const verb: Verb = {
  name: 'report',
  summary: 'write an HTML report of a run',
  usage: USAGE,
  async run(argv) {
    const p = parseVerbFlags(argv, FLAGS, USAGE);
    const v = p.values;
    if (p.positionals.length !== 1) throw new UsageError(p.positionals.length ? `unexpected argument '${p.positionals[1]}'` : 'no run directory given', USAGE);
    const runDir = p.positionals[0];
    const backend = backendFlag(v, USAGE);
    const maxSequences = numberFlag(v, 'max-sequences', USAGE, { integer: true, min: 1 });
    const distanceWindows = numberFlag(v, 'windows', USAGE, { integer: true, min: 1 });
    const heatmapTokens = numberFlag(v, 'tokens', USAGE, { integer: true, min: 2, max: 256 });
    const seedRaw = (v.seed as string | undefined) ?? '42';
    if (!/^\d+$/.test(seedRaw) || BigInt(seedRaw) >= 1n << 64n) throw new UsageError(`--seed must be an integer in 0..2^64−1, not '${seedRaw}'`, USAGE);
    const out = resolve((v.out as string | undefined) ?? `${runDir}/report.html`);
    const models = !v['no-models'];
    if (models) await selectBackend(backend);
    const say = (line: string) => {
      if (!v.json) process.stderr.write(line + '\n');
    };
    const { data, bytes } = await writeReport(runDir, out, {
      dataDir: v.data as string | undefined,
      evalText: typeof v.text === 'string' ? dataFile(v.text, v) : undefined,
      maxSequences,
      distanceWindows,
      heatmapTokens,
      models,
      samples: v['no-samples'] ? false : { seed: BigInt(seedRaw) },
      log: say,
    });
    const sections = {
      stages: data.stages.length,
      metricsLines: data.series.reduce((n, s) => n + s.loss.length, 0),
      eval: data.evalSource ?? null,
      heatmapLayers: data.heatmaps?.layers.length ?? 0,
      samples: data.samples?.pairs.length ?? 0,
    };
    if (v.json) printJson({ out, bytes, sections, notes: data.notes });
    else process.stdout.write(`wrote ${out} (${(bytes / 1024).toFixed(0)} KiB)\n`);
    return EXIT_OK;
  },
};
