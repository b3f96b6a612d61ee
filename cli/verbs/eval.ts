/**
 * `mohawkc eval`: mean next-token NLL (nats/token) and perplexity of a teacher on a text file, under the
 * paragraph protocol of ../shared/golden/README.md (each blank-line-separated paragraph is its own BOS-led
 * sequence) or the window protocol (the text as one stream in BOS-led windows).
 *
 * With a trained run (`--run DIR`, or `SPEC --model student` for runs/<spec name>) it scores the student
 * against its teacher (runtime/views): both NLLs, top-1 agreement, KL(teacher‖student) per token, and the
 * per-layer stage-1 matrix and stage-2 hidden distances on same-length windows of the held-out text.
 */
import { statSync } from 'node:fs';
import { EVAL_PROTOCOLS, evalSequences, evaluateSequences, type EvalProtocol } from '../../runtime/eval/index.ts';
import { loadTeacherAndTokenizer } from '../../runtime/models/load.ts';
import type { BuiltStudent } from '../../runtime/student/build.ts';
import { distanceSettingsOf, evaluateRun, type RunEval } from '../../runtime/views/evaluate-run.ts';
import { loadStudent, loadTeacher, runPath, teacherOfRun } from '../../runtime/views/load-run.ts';
import { readRunDir } from '../../runtime/views/run-dir.ts';
import { chooseRunDir } from '../../runtime/views/which-run.ts';
import type { BackendName } from '../../runtime/tensor/backend.ts';
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
       mohawkc eval --run DIR [--model student|teacher] [options]
       mohawkc eval SPEC --model student [--run DIR] [options]

Scores the teacher on a text: mean NLL in nats per predicted token, perplexity, token counts. With a trained
run, scores its student against its teacher: both NLLs and perplexities, top-1 agreement and KL(teacher‖student)
per token on the same tokens, and per layer the stage-1 matrix distance ‖M − A‖_F (mean over windows × heads)
and the stage-2 hidden distance ‖ŷ − y‖₂ (mean over tokens), each layer fed the teacher's hidden state.

${TEACHER_USAGE}
  --run DIR           a run directory made by 'mohawkc train' (its ir.json names the teacher; student/ holds
                      the trained student); --model defaults to student with --run
  --windows N         windows for the per-layer distances, of the run's seq_len tokens each (default 64)
  --no-distances      skip the per-layer distances
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
  windows: { type: 'string' as const },
  'no-distances': { type: 'boolean' as const },
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
    if (v.run !== undefined || v.model === 'student') {
      if (v.checkpoint !== undefined || v.tokenizer !== undefined) throw new UsageError('--checkpoint/--tokenizer do not go with a run: its ir.json names the teacher', USAGE);
      if (p.positionals.length > 1) throw new UsageError(`unexpected argument '${p.positionals[1]}'`, USAGE);
      const model = (v.model as string | undefined) ?? 'student';
      if (model !== 'teacher' && model !== 'student') throw new UsageError(`--model must be teacher or student, not '${model}'`, USAGE);
      const windows = numberFlag(v, 'windows', USAGE, { integer: true, min: 1 }) ?? 64;
      return evalRun(chooseRunDir(p.positionals[0], v.run as string | undefined), {
        student: model === 'student',
        text,
        values,
        protocol: v.protocol === undefined ? undefined : (protocol as EvalProtocol),
        maxSequences,
        window,
        batchTokens,
        windows: v['no-distances'] ? 0 : windows,
        backend,
        json: !!v.json,
      });
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

interface RunEvalFlags {
  student: boolean;
  text?: string;
  values: Record<string, string | boolean | undefined>;
  protocol?: EvalProtocol;
  maxSequences?: number;
  window?: number;
  batchTokens?: number;
  /** Distance windows (0: none). */
  windows: number;
  backend: BackendName;
  json: boolean;
}

/** A run's student against its teacher (or the run's teacher alone), on the run's eval text by default. */
async function evalRun(dir: string, f: RunEvalFlags): Promise<number> {
  const run = readRunDir(dir);
  const opts = { dataDir: f.values.data as string | undefined };
  const textFile = f.text !== undefined ? dataFile(f.text, f.values) : runPath(run, run.ir.eval?.data ?? DEFAULT_EVAL_TEXT, opts);
  const protocol = f.protocol ?? run.ir.eval?.protocol ?? 'paragraphs';
  await selectBackend(f.backend);
  const teacherFiles = teacherOfRun(run, opts);
  const teacher = loadTeacher(teacherFiles);
  let built: BuiltStudent | undefined;
  try {
    if (f.window !== undefined && f.window > teacher.config.maxSeqLen)
      throw new UsageError(`--window ${f.window} exceeds the model's ${teacher.config.maxSeqLen} positions`, USAGE);
    if (f.student) built = loadStudent(run, teacherFiles);
    const tty = !f.json && process.stderr.isTTY;
    const r = await evaluateRun(teacher, built?.model, teacherFiles.tokenizer, {
      textFile,
      protocol,
      maxSequences: f.maxSequences ?? run.ir.eval?.maxSequences,
      window: f.window,
      batchTokens: f.batchTokens,
      distances: f.student && f.windows > 0 ? distanceSettingsOf(run.ir.stages, f.windows) : false,
      onProgress: tty ? (what, done, total) => process.stderr.write(`\r\x1b[K${done}/${total} ${what}`) : undefined,
    });
    if (tty) process.stderr.write('\r\x1b[K');
    const context = { run: run.root, model: f.student ? 'student' : 'teacher', teacherCheckpoint: teacherFiles.checkpointPath, backend: f.backend };
    if (f.json) printJson({ ...context, ...r, tokensPerSecond: r.tokens / r.seconds });
    else process.stdout.write(formatRunEval(r, context.run));
    return EXIT_OK;
  } finally {
    built?.model.dispose();
    teacher.dispose();
  }
}

export function formatRunEval(r: RunEval, run: string): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const lines = [`${run}: ${n(r.sequences)} ${r.protocol} of ${r.text} (${n(r.predicted)} predicted tokens, ${n(r.tokens)} with BOS)`];
  if (!r.student) {
    lines.push(`teacher: mean NLL ${r.teacher.meanNll.toFixed(6)} nats/token · perplexity ${r.teacher.perplexity.toFixed(3)}`);
  } else {
    lines.push(
      `                teacher     student`,
      `mean NLL     ${r.teacher.meanNll.toFixed(6).padStart(10)}  ${r.student.meanNll.toFixed(6).padStart(10)}   (student/teacher ${r.nllRatio!.toFixed(3)})`,
      `perplexity   ${r.teacher.perplexity.toFixed(3).padStart(10)}  ${r.student.perplexity.toFixed(3).padStart(10)}`,
      `top-1 agreement ${(100 * r.top1Agreement!).toFixed(2)} % · KL(teacher‖student) ${r.klPerToken!.toFixed(4)} nats/token`,
    );
  }
  if (r.distances) {
    const d = r.distances;
    lines.push(`per-layer distances on ${d.windows} windows of ${d.seqLen} tokens (teacher hidden state in; stage 2 compares ${d.target} outputs):`);
    lines.push(`layer  kind        stage-1 ‖M−A‖_F   stage-2 ‖ŷ−y‖₂`);
    for (const l of d.layers)
      lines.push(
        `${String(l.layer).padStart(5)}  ${l.kind.padEnd(10)}  ${(l.matrix === undefined ? '—' : l.matrix.toFixed(4)).padStart(15)}  ${(l.hidden === undefined ? '—' : l.hidden.toFixed(4)).padStart(15)}`,
      );
  }
  lines.push(`${r.seconds.toFixed(1)} s`);
  return lines.join('\n') + '\n';
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
