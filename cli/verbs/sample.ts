/**
 * `mohawkc sample`: generate text from a teacher, the way llama2.c `run` does — same positions count
 * (--tokens includes the prompt's), same sampler and RNG (so `--seed N` draws what `run -s N` draws), same
 * output bytes (pieces streamed as they come, a final newline).
 *
 * With a trained run (`--run DIR`, or `SPEC --model student` for runs/<spec name>) the student generates:
 * the prompt through the chunked SSD form, its final state handed to the one-token recurrence (constant
 * memory per SSM layer; kept attention layers use a KV cache) — runtime/views/student-generate.ts.
 */
import { loadTeacherAndTokenizer } from '../../runtime/models/load.ts';
import { generate, XorShiftRng } from '../../runtime/sample/index.ts';
import type { Tokenizer } from '../../runtime/io/tokenizers/index.ts';
import { cacheBytesPerLayer, generateStudent } from '../../runtime/views/student-generate.ts';
import { loadStudent, teacherOfRun } from '../../runtime/views/load-run.ts';
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
  numberFlag,
  parseVerbFlags,
  printJson,
  selectBackend,
  teacherPaths,
} from '../options.ts';

const USAGE = `usage: mohawkc sample [SPEC --model teacher] [--checkpoint PATH --tokenizer PATH] [options]
       mohawkc sample --run DIR [--model student] [options]
       mohawkc sample SPEC --model student [--run DIR] [options]

Generates text from the teacher, as llama2.c's run: the prompt is encoded with BOS, --tokens positions
run (the prompt's included), and a sampled BOS ends the text. A trained student (--run) decodes
recurrently: the prompt through the chunked form, then one token at a time from a fixed-size state per SSM
layer (kept attention layers keep a KV cache); a pure SSM student may run past the teacher's positions.

${TEACHER_USAGE}
  --run DIR           a run directory made by 'mohawkc train': sample its trained student
  --prompt TEXT       prompt (default empty: the model starts the story)
  --tokens N          positions to run, prompt included (default 256; capped at the model's maximum)
  --temperature T     0 = greedy (default 1.0)
  --top-p P           nucleus mass; 0 or 1 = sample the full distribution (default 0.9)
  --seed N            seed of run.c's xorshift generator (default 42)
${COMMON_USAGE}`;

const FLAGS = {
  ...TEACHER_FLAGS,
  prompt: { type: 'string' as const },
  tokens: { type: 'string' as const },
  temperature: { type: 'string' as const },
  'top-p': { type: 'string' as const },
  seed: { type: 'string' as const },
};

export const verb: Verb = {
  name: 'sample',
  summary: 'generate text from a teacher or student',
  usage: USAGE,
  async run(argv) {
    const p = parseVerbFlags(argv, FLAGS, USAGE);
    const v = p.values;
    const backend = backendFlag(v, USAGE);
    const steps = numberFlag(v, 'tokens', USAGE, { integer: true, min: 1 }) ?? 256;
    const temperature = numberFlag(v, 'temperature', USAGE, { min: 0 }) ?? 1.0;
    const topP = numberFlag(v, 'top-p', USAGE, { min: 0, max: 1 }) ?? 0.9;
    const seedRaw = (v.seed as string | undefined) ?? '42';
    if (!/^\d+$/.test(seedRaw) || BigInt(seedRaw) >= 1n << 64n) throw new UsageError(`--seed must be an integer in 0..2^64−1, not '${seedRaw}'`, USAGE);
    if (v.run !== undefined || v.model === 'student') {
      if (v.checkpoint !== undefined || v.tokenizer !== undefined) throw new UsageError('--checkpoint/--tokenizer do not go with a run: its ir.json names the teacher', USAGE);
      if (v.model !== undefined && v.model !== 'student')
        throw new UsageError(`--run samples the run's student; for its teacher use --model teacher with the SPEC or --checkpoint`, USAGE);
      if (p.positionals.length > 1) throw new UsageError(`unexpected argument '${p.positionals[1]}'`, USAGE);
      const dir = chooseRunDir(p.positionals[0], v.run as string | undefined);
      return sampleStudent(dir, { steps, temperature, topP, seed: seedRaw, prompt: (v.prompt as string | undefined) ?? '', json: !!v.json, backend, dataDir: v.data as string | undefined });
    }
    const paths = teacherPaths(p, USAGE);
    await selectBackend(backend);
    const { model, tokenizer } = loadTeacherAndTokenizer(paths.checkpoint, paths.tokenizer);
    try {
      const prompt = tokenizer.encode((v.prompt as string | undefined) ?? '', { bos: true });
      const rng = new XorShiftRng(BigInt(seedRaw));
      // llama2.c tokenizers give run.c's exact bytes per piece, so text can stream; others decode at the end.
      const streamBytes = 'decodeBytes' in tokenizer && !v.json ? (tokenizer as { decodeBytes(a: number, b: number): Uint8Array }).decodeBytes.bind(tokenizer) : undefined;
      const started = performance.now();
      const r = await generate(model, prompt, {
        steps,
        temperature,
        topP,
        coin: () => rng.float(),
        stopToken: tokenizer.bos ?? 1,
        onToken: streamBytes ? (prev, next) => process.stdout.write(streamBytes(prev, next)) : undefined,
      });
      const seconds = (performance.now() - started) / 1000;
      const text = tokenizer.decodeAll(r.tokens);
      if (v.json) {
        printJson({
          text,
          tokens: r.tokens,
          promptTokens: prompt.length,
          sampled: r.sampled,
          stoppedAtBos: r.stoppedAtToken,
          temperature,
          topP,
          seed: seedRaw,
          backend,
          checkpoint: paths.checkpoint,
          seconds,
          tokensPerSecond: r.tokens.length / seconds,
        });
      } else {
        if (!streamBytes) process.stdout.write(text);
        process.stdout.write('\n');
      }
      return EXIT_OK;
    } finally {
      model.dispose();
    }
  },
};

interface StudentSampleFlags {
  steps: number;
  temperature: number;
  topP: number;
  seed: string;
  prompt: string;
  json: boolean;
  backend: BackendName;
  dataDir?: string;
}

async function sampleStudent(dir: string, f: StudentSampleFlags): Promise<number> {
  const run = readRunDir(dir);
  await selectBackend(f.backend);
  const teacher = teacherOfRun(run, { dataDir: f.dataDir });
  const built = loadStudent(run, teacher);
  const tokenizer: Tokenizer = teacher.tokenizer;
  try {
    const prompt = tokenizer.encode(f.prompt, { bos: true });
    const rng = new XorShiftRng(BigInt(f.seed));
    const stream = tokenizer.decodeBytes && !f.json ? tokenizer.decodeBytes.bind(tokenizer) : undefined;
    let stateBytes: number[] = [];
    const started = performance.now();
    const r = await generateStudent(built.model, prompt, {
      steps: f.steps,
      temperature: f.temperature,
      topP: f.topP,
      coin: () => rng.float(),
      stopToken: tokenizer.bos ?? 1,
      onToken: stream ? (prev, next) => process.stdout.write(stream(prev, next)) : undefined,
      onStep: f.json ? (_pos, cache) => (stateBytes = cacheBytesPerLayer(cache)) : undefined,
    });
    const seconds = (performance.now() - started) / 1000;
    const text = tokenizer.decodeAll(r.tokens);
    if (f.json) {
      printJson({
        text,
        tokens: r.tokens,
        promptTokens: prompt.length,
        sampled: r.sampled,
        stoppedAtBos: r.stoppedAtToken,
        temperature: f.temperature,
        topP: f.topP,
        seed: f.seed,
        backend: f.backend,
        run: run.root,
        model: 'student',
        layers: run.ir.student.layers.map((l) => l.kind),
        // Decode state per layer after the last step, bytes: fixed for SSM layers, growing for attention.
        stateBytesPerLayer: stateBytes,
        seconds,
        tokensPerSecond: r.tokens.length / seconds,
      });
    } else {
      if (!stream) process.stdout.write(text);
      process.stdout.write('\n');
    }
    return EXIT_OK;
  } finally {
    built.model.dispose();
  }
}
