/**
 * Flags every runtime verb shares, and their parsing:
 *   --backend wasm|cpu|webgpu|tensorflow   tensor backend (default wasm)
 *   --data DIR                             data directory for relative file names (default: $MOHAWK_DATA,
 *                                          ../shared/data beside the checkout, ~/.cache/mohawk/data)
 *   --json                                 machine-readable output on stdout
 * Parsing is node:util parseArgs in strict mode (compiler/util/args.ts), so an unknown flag is a usage error
 * with a did-you-mean, never silently ignored.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { resolveSpecPath } from '../compiler/check/data-path.ts';
import { compileSpecFile } from '../compiler/compile.ts';
import { parseFlags, type FlagSpec } from '../compiler/util/args.ts';
import { resolveDataPath } from '../runtime/io/data-dir.ts';
import { BACKENDS, isBackendName, useBackend, type BackendName } from '../runtime/tensor/backend.ts';
import { EXIT_SPEC, UsageError, UserFacingError } from './errors.ts';

export const COMMON_FLAGS: FlagSpec = {
  backend: { type: 'string' },
  data: { type: 'string' },
  json: { type: 'boolean' },
};

export const COMMON_USAGE = `  --backend NAME      tensor backend: ${BACKENDS.join(', ')} (default wasm)
  --data DIR          data directory for relative file names (default: $MOHAWK_DATA, ../shared/data,
                      ~/.cache/mohawk/data)
  --json              print one JSON object instead of text`;

export interface ParsedFlags {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** Parses `flags` plus the common ones; a problem is a UsageError carrying the verb's usage. */
export function parseVerbFlags(argv: string[], flags: FlagSpec, usage: string): ParsedFlags {
  const p = parseFlags(argv, { ...COMMON_FLAGS, ...flags });
  if ('error' in p) throw new UsageError(p.error, usage);
  return p;
}

export function backendFlag(values: ParsedFlags['values'], usage: string): BackendName {
  const b = (values.backend as string | undefined) ?? 'wasm';
  if (!isBackendName(b)) throw new UsageError(`--backend must be one of ${BACKENDS.join(', ')}, not '${b}'`, usage);
  return b;
}

/** Selects the backend; its failures (missing driver or package) become one-line user errors. */
export async function selectBackend(name: BackendName): Promise<BackendName> {
  try {
    return await useBackend(name);
  } catch (e) {
    throw new UserFacingError((e as Error).message);
  }
}

/**
 * A file named on the command line: as given when it exists (relative to the working directory), else
 * relative to the data directory — so `--checkpoint stories260K/stories260K.bin` works from anywhere.
 */
export function dataFile(path: string, values: ParsedFlags['values']): string {
  if (existsSync(path)) return resolve(path);
  // DataNotFoundError's message already says where it looked; the CLI prints it as one line.
  return resolveDataPath(path, { data: values.data as string | undefined });
}

/** A numeric flag, validated; `undefined` when absent. */
export function numberFlag(
  values: ParsedFlags['values'],
  name: string,
  usage: string,
  check: { integer?: boolean; min?: number; max?: number } = {},
): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  const bad =
    typeof raw !== 'string' ||
    raw.trim() === '' ||
    !Number.isFinite(n) ||
    (check.integer && !Number.isInteger(n)) ||
    (check.min !== undefined && n < check.min) ||
    (check.max !== undefined && n > check.max);
  if (bad) {
    const range = [check.min !== undefined ? `≥ ${check.min}` : '', check.max !== undefined ? `≤ ${check.max}` : ''].filter(Boolean).join(' and ');
    throw new UsageError(`--${name} must be ${check.integer ? 'an integer' : 'a number'}${range ? ` ${range}` : ''}, not '${String(raw)}'`, usage);
  }
  return n;
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

export const TEACHER_FLAGS: FlagSpec = {
  checkpoint: { type: 'string' },
  tokenizer: { type: 'string' },
  model: { type: 'string' },
  run: { type: 'string' },
};

export const TEACHER_USAGE = `  --checkpoint PATH   teacher checkpoint: llama2.c .bin, GGUF, or a Hugging Face folder
                      (default stories260K/stories260K.bin in the data directory)
  --tokenizer PATH    llama2.c tokenizer .bin or tokenizer.json (default: tok512.bin for the default
                      checkpoint, tokenizer.json inside an HF folder)
  SPEC --model teacher
                      take the teacher's checkpoint and tokenizer from a .mohawk spec instead`;

export const DEFAULT_CHECKPOINT = 'stories260K/stories260K.bin';
export const DEFAULT_TOKENIZER = 'stories260K/tok512.bin';

export interface TeacherPaths {
  checkpoint: string;
  tokenizer: string;
  /** The spec the paths came from, if any. */
  spec?: string;
}

/** Where the teacher and its tokenizer are, from --checkpoint/--tokenizer or from a spec. */
export function teacherPaths(p: ParsedFlags, usage: string): TeacherPaths {
  const v = p.values;
  const model = (v.model as string | undefined) ?? 'teacher';
  if (model !== 'teacher' && model !== 'student') throw new UsageError(`--model must be teacher or student, not '${model}'`, usage);
  if (p.positionals.length > 1) throw new UsageError(`unexpected argument '${p.positionals[1]}'`, usage);
  const spec = p.positionals[0];
  if (model === 'student' || v.run !== undefined)
    throw new UserFacingError(
      `students are not available to this verb yet: '--model student' and '--run DIR' arrive with training run directories; use --model teacher`,
    );
  if (spec !== undefined) {
    if (v.checkpoint !== undefined || v.tokenizer !== undefined)
      throw new UsageError('give either a SPEC or --checkpoint/--tokenizer, not both', usage);
    return teacherFromSpec(spec, v.data as string | undefined);
  }
  const checkpoint = dataFile((v.checkpoint as string | undefined) ?? DEFAULT_CHECKPOINT, v);
  let tokenizer = v.tokenizer as string | undefined;
  if (tokenizer === undefined) {
    const inFolder = resolve(checkpoint, 'tokenizer.json');
    if (existsSync(inFolder)) tokenizer = inFolder;
    else if (v.checkpoint === undefined) tokenizer = DEFAULT_TOKENIZER;
    else throw new UsageError(`--tokenizer is needed for ${checkpoint} (no tokenizer.json beside it)`, usage);
  }
  return { checkpoint, tokenizer: dataFile(tokenizer, v) };
}

function teacherFromSpec(spec: string, dataDir: string | undefined): TeacherPaths {
  const r = compileSpecFile(spec, { dataDir });
  if (r.exitCode !== 0 || !r.ir) throw new UserFacingError(`${spec} does not check cleanly; run 'mohawkc check ${spec}' to see why`, r.exitCode || EXIT_SPEC);
  const specDir = dirname(resolve(spec));
  const find = (p: string, what: string) => {
    const hit = resolveSpecPath(p, specDir, dataDir);
    if (!hit.exists) throw new UserFacingError(`${spec}: the teacher's ${what} '${p}' is not at ${hit.tried.join(' or ')}`);
    return hit.path;
  };
  return { checkpoint: find(r.ir.teacher.checkpoint, 'checkpoint'), tokenizer: find(r.ir.teacher.tokenizer, 'tokenizer'), spec };
}
