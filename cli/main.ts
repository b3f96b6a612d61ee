/**
 * `mohawkc` verb dispatch. Verbs are loaded lazily so that `check` never pays for loading TensorFlow.js.
 * Any error reaching here becomes a one-line message and exit 2 (set MOHAWK_DEBUG=1 for the stack).
 */
import { EXIT_OK, EXIT_USAGE, UsageError, UserFacingError } from './errors.ts';
import type { Verb } from './verb.ts';

const VERBS: Record<string, { summary: string; load: () => Promise<{ verb: Verb }> }> = {
  check: { summary: 'type-check .mohawk specs', load: () => import('./verbs/check.ts') },
  fmt: { summary: 'format .mohawk specs', load: () => import('./verbs/fmt.ts') },
  explain: { summary: 'explain a diagnostic code', load: () => import('./verbs/explain.ts') },
  ir: { summary: 'print the canonical IR of a spec', load: () => import('./verbs/ir.ts') },
  build: { summary: 'emit training programs and kernels into generated/', load: () => import('./verbs/build.ts') },
  train: { summary: 'run the MOHAWK stages of a spec', load: () => import('./verbs/train.ts') },
  eval: { summary: 'evaluate a teacher or student', load: () => import('./verbs/eval.ts') },
  sample: { summary: 'generate text from a teacher or student', load: () => import('./verbs/sample.ts') },
  report: { summary: 'write an HTML report of a run', load: () => import('./verbs/report.ts') },
  data: { summary: 'locate or download the data files', load: () => import('./verbs/data.ts') },
};

function usage(): string {
  const width = Math.max(...Object.keys(VERBS).map((v) => v.length));
  const lines = Object.entries(VERBS).map(([name, v]) => `  ${name.padEnd(width)}  ${v.summary}`);
  return ['usage: mohawkc <verb> [options]', '', 'verbs:', ...lines, '', 'mohawkc <verb> --help for a verb'].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name ? EXIT_OK : EXIT_USAGE;
  }
  if (name === '--version') {
    const { COMPILER_VERSION } = await import('../compiler/version.ts');
    process.stdout.write(`mohawkc ${COMPILER_VERSION}\n`);
    return EXIT_OK;
  }
  const entry = VERBS[name];
  if (!entry) {
    const { suggest } = await import('../compiler/util/suggest.ts');
    const near = suggest(name, Object.keys(VERBS));
    process.stderr.write(`error: unknown verb '${name}'${near ? ` (did you mean '${near}'?)` : ''}\n\n${usage()}\n`);
    return EXIT_USAGE;
  }
  try {
    const { verb } = await entry.load();
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(`${verb.usage}\n`);
      return EXIT_OK;
    }
    return await verb.run(rest);
  } catch (e) {
    return reportError(e);
  }
}

export function reportError(e: unknown): number {
  if (process.env.MOHAWK_DEBUG) console.error(e);
  if (e instanceof UsageError) {
    process.stderr.write(`error: ${e.message}\n${e.help ? `${e.help}\n` : ''}`);
    return EXIT_USAGE;
  }
  if (e instanceof UserFacingError) {
    process.stderr.write(`error: ${e.message}\n`);
    return e.exitCode;
  }
  const err = e as { name?: string; message?: string; code?: string; exitCode?: unknown };
  // Errors that choose their own exit code (TrainingDivergedError: 3) keep it.
  if (err && typeof err.exitCode === 'number' && Number.isInteger(err.exitCode) && err.exitCode > 0 && typeof err.message === 'string') {
    process.stderr.write(`error: ${err.message}\n`);
    return err.exitCode;
  }
  // File-format and backend errors from the runtime carry a user-facing message of their own.
  if (err && typeof err.message === 'string' && /Error$/.test(err.name ?? '') && err.name !== 'Error' && err.name !== 'TypeError' && err.name !== 'RangeError') {
    process.stderr.write(`error: ${err.message}\n`);
    return EXIT_USAGE;
  }
  if (err?.code && typeof err.code === 'string' && err.code.startsWith('E')) {
    process.stderr.write(`error: ${err.message}\n`);
    return EXIT_USAGE;
  }
  process.stderr.write(`internal error: ${err?.message ?? String(e)}\n(this is a bug in mohawkc; rerun with MOHAWK_DEBUG=1 and report the stack)\n`);
  return EXIT_USAGE;
}
