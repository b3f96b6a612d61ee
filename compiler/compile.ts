/**
 * The compiler's front door: spec bytes → diagnostics and (when clean) the IR. Used by `mohawkc check`,
 * `ir`, `build` and `train`. Never throws for anything a spec file can contain; never loads TensorFlow.js.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { SourceText } from '../grammar/source.ts';
import { parseSpec } from '../grammar/parse.ts';
import { checkSpec } from './check/index.ts';
import { isCode } from './diagnostics/codes.ts';
import { DiagnosticSink, exitCodeFor, sortDiagnostics, type Diagnostic } from './diagnostics/diagnostic.ts';
import type { MohawkIR } from './ir/types.ts';

export interface CompileOptions {
  /** --data DIR (else $MOHAWK_DATA, ../shared/data, ~/.cache/mohawk/data). */
  dataDir?: string;
  /** Folder for `./` paths in the spec; defaults to the spec file's folder (or the working directory). */
  specDir?: string;
}

export interface CompileResult {
  /** The spec path as given (used in messages and as `ir.spec`). */
  file: string;
  source?: SourceText;
  diagnostics: Diagnostic[];
  ir?: MohawkIR;
  /** 0 clean, 1 errors in the spec, 2 a file is missing or unreadable. */
  exitCode: 0 | 1 | 2;
}

export function compileSource(input: string | Uint8Array, file: string, opts: CompileOptions = {}): CompileResult {
  const sink = new DiagnosticSink(file);
  const parsed = parseSpec(input, file);
  for (const p of parsed.problems) {
    if (!isCode(p.code)) throw new Error(`grammar reported an unregistered code ${p.code}`);
    sink.report(p.code, p.span, p.message, { help: p.help });
  }
  let ir: MohawkIR | undefined;
  if (parsed.spec) ir = checkSpec(parsed.spec, parsed.source, sink, { dataDir: opts.dataDir, specDir: opts.specDir ?? dirname(resolve(file)) }).ir;
  const diagnostics = sortDiagnostics(sink.list);
  return { file, source: parsed.source, diagnostics, ir, exitCode: exitCodeFor(diagnostics) };
}

export function compileSpecFile(file: string, opts: CompileOptions = {}): CompileResult {
  let bytes: Buffer;
  try {
    if (statSync(file).isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    bytes = readFileSync(file);
  } catch (e) {
    const sink = new DiagnosticSink(file);
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as NodeJS.ErrnoException).code === 'EISDIR' ? 'it is a directory' : ((e as NodeJS.ErrnoException).code ?? (e as Error).message);
    sink.report('MHK0902', undefined, `cannot read the spec \`${file}\`: ${why}`);
    return { file, diagnostics: sink.list, exitCode: 2 };
  }
  return compileSource(bytes, file, { ...opts, specDir: opts.specDir ?? dirname(resolve(file)) });
}
