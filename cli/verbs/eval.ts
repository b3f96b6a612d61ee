/**
 * `mohawkc eval`: mean next-token NLL (nats/token) and perplexity of a teacher on a text file, under the
 * paragraph protocol of ../shared/golden/README.md (each blank-line-separated paragraph is its own BOS-led
 * sequence) or the window protocol (the text as one stream in BOS-led windows).
 */
import { statSync } from 'node:fs';
import { EVAL_PROTOCOLS, evalSequences, evaluateSequences, type EvalProtocol } from '../../runtime/eval/index.ts';
import { loadTeacherAndTokenizer } from '../../runtime/models/load.ts';
import { EXIT_OK, UsageError } from '../errors.ts';
import type { Verb } from '../verb.ts';
import {
  COMMON_USAGE,
  TEACHER_FLAGS,
  TEACHER_USAGE,
  backendFlag,
  dataFile,
  numberFlag,
  parseVerbFlags,
  printJson,
  selectBackend,
  teacherPaths,
} from '../options.ts';

export const DEFAULT_EVAL_TEXT = 'tinystories/valid.txt';

const USAGE = `usage: mohawkc eval [SPEC --model teacher] [--checkpoint PATH --tokenizer PATH] [--data FILE|DIR] [options]

Scores the teacher on a text: mean NLL in nats per predicted token, perplexity, token counts.

${TEACHER_USAGE}
  --data FILE|DIR     the text to evaluate when FILE (default ${DEFAULT_EVAL_TEXT} in the data directory);
                      a DIR is the data directory, as for every verb
  --text FILE         the text to evaluate (same as --data FILE)
  --protocol NAME     paragraphs (default): one BOS-led sequence per blank-line-separated paragraph;
                      windows: the text as one stream cut into BOS-led windows of --window tokens
  --window N          window length for --protocol windows (default: the model's maximum positions)
  --max-sequences N   evaluate only the first N sequences
  --batch-tokens N    tokens per forward pass (default 16384; memory vs. speed)
  --backend NAME      tensor backend: wasm, cpu, webgpu, tensorflow (default wasm)
  --json              print one JSON object instead of text`;

const FLAGS = {
  ...TEACHER_FLAGS,
  text: { type: 'string' as const },
  protocol: { type: 'string' as const },
  window: { type: 'string' as const },
  'max-sequences': { type: 'string' as const },
  'batch-tokens': { type: 'string' as const },
};

export const verb: Verb = {
  name: 'eval',
  summary: 'evaluate a teacher or student',
  usage: USAGE,
  async run(argv) {
    const p = parseVerbFlags(argv, FLAGS, USAGE);
    const v = p.values;
    const backend = backendFlag(v, USAGE);
    const protocol = (v.protocol as string | undefined) ?? 'paragraphs';
    if (!(EVAL_PROTOCOLS as readonly string[]).includes(protocol))
      throw new UsageError(`--protocol must be one of ${EVAL_PROTOCOLS.join(', ')}, not '${protocol}'`, USAGE);
    const window = numberFlag(v, 'window', USAGE, { integer: true, min: 2 });
    const maxSequences = numberFlag(v, 'max-sequences', USAGE, { integer: true, min: 1 });
    const batchTokens = numberFlag(v, 'batch-tokens', USAGE, { integer: true, min: 1 });

    // --data is the data directory for every verb; here a file there means "evaluate this text".
    let text = v.text as string | undefined;
    const values = { ...v };
    if (typeof v.data === 'string' && isFile(v.data)) {
      if (text !== undefined) throw new UsageError('give the text once: --text FILE or --data FILE', USAGE);
      text = v.data;
      values.data = undefined;
    }
    const paths = teacherPaths({ values, positionals: p.positionals }, USAGE);
    const textFile = dataFile(text ?? DEFAULT_EVAL_TEXT, values);

    await selectBackend(backend);
    const { model, tokenizer } = loadTeacherAndTokenizer(paths.checkpoint, paths.tokenizer);
    try {
      if (window !== undefined && window > model.config.maxSeqLen)
        throw new UsageError(`--window ${window} exceeds the model's ${model.config.maxSeqLen} positions`, USAGE);
      const seqs = evalSequences(model, tokenizer, textFile, { protocol: protocol as EvalProtocol, maxSequences, window });
      const progress = !v.json && process.stderr.isTTY;
      const started = performance.now();
      const r = await evaluateSequences(model, seqs, {
        batchTokens,
        onProgress: progress ? (done, total) => process.stderr.write(`\r${done}/${total} sequences`) : undefined,
      });
      const seconds = (performance.now() - started) / 1000;
      if (progress) process.stderr.write('\r\x1b[K');
      if (v.json) {
        printJson({ ...r, protocol, text: textFile, checkpoint: paths.checkpoint, backend, seconds, tokensPerSecond: r.tokens / seconds });
      } else {
        const n = (x: number) => x.toLocaleString('en-US');
        process.stdout.write(
          `mean NLL ${r.meanNll.toFixed(6)} nats/token · perplexity ${r.perplexity.toFixed(3)}\n` +
            `${n(r.predicted)} predicted tokens (${n(r.tokens)} with BOS) in ${n(r.sequences)} ${protocol === 'paragraphs' ? 'paragraphs' : 'windows'} of ${textFile}\n` +
            `${seconds.toFixed(1)} s on ${backend} (${n(Math.round(r.tokens / seconds))} tokens/s)\n`,
        );
      }
      return EXIT_OK;
    } finally {
      model.dispose();
    }
  },
};

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
