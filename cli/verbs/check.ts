/** `mohawkc check SPEC... [--format text|json] [--json] [--data DIR]`: type-check specs without building. */
import { relative, resolve, sep } from 'node:path';
import { compileSpecFile, type CompileResult } from '../../compiler/compile.ts';
import { diagnosticJson } from '../../compiler/diagnostics/render-json.ts';
import { renderDiagnostic, renderSummary } from '../../compiler/diagnostics/render-text.ts';
import { parseFlags } from '../../compiler/util/args.ts';
import { UsageError } from '../errors.ts';
import type { Verb } from '../verb.ts';

const USAGE = `usage: mohawkc check SPEC... [--format text|json] [--json] [--data DIR]

Type-checks .mohawk specs: syntax, names, types and units, shapes (against the teacher's checkpoint
header), stages, data and kernels. Prints diagnostics; exit 0 when clean (warnings allowed), 1 when a spec
has errors, 2 when a file cannot be read.

  --format text|json  output format (default text)
  --json              same as --format json
  --data DIR          data directory for relative paths (default: $MOHAWK_DATA, ../shared/data, ~/.cache/mohawk/data)`;

/** The spec path as shown in messages and written into the IR: relative to the working directory, '/'-separated. */
export function displayPath(file: string): string {
  const rel = relative(process.cwd(), resolve(file));
  return (rel === '' ? file : rel).split(sep).join('/');
}

export function compileForCli(file: string, dataDir: string | undefined): CompileResult {
  const shown = displayPath(file);
  const r = compileSpecFile(file, { dataDir });
  // Messages name the file the way the user can open it; the IR records the same path.
  for (const d of r.diagnostics) d.file = shown;
  if (r.ir) r.ir.spec = shown;
  return { ...r, file: shown };
}

export function useColor(stream: NodeJS.WriteStream): boolean {
  return !!stream.isTTY && !process.env.NO_COLOR;
}

export const verb: Verb = {
  name: 'check',
  summary: 'type-check .mohawk specs',
  usage: USAGE,
  async run(argv) {
    const p = parseFlags(argv, { format: { type: 'string' }, json: { type: 'boolean' }, data: { type: 'string' } });
    if ('error' in p) throw new UsageError(p.error, USAGE);
    const format = p.values.json ? 'json' : ((p.values.format as string | undefined) ?? 'text');
    if (format !== 'text' && format !== 'json') throw new UsageError(`--format must be text or json, not '${format}'`, USAGE);
    if (!p.positionals.length) throw new UsageError('no spec given', USAGE);
    const dataDir = p.values.data as string | undefined;
    const results = p.positionals.map((f) => compileForCli(f, dataDir));
    const exit = Math.max(...results.map((r) => r.exitCode));
    const errors = results.reduce((n, r) => n + r.diagnostics.filter((d) => d.severity === 'error').length, 0);
    const warnings = results.reduce((n, r) => n + r.diagnostics.filter((d) => d.severity === 'warning').length, 0);
    if (format === 'json') {
      const files = results.map((r) => ({ file: r.file, exitCode: r.exitCode, diagnostics: r.diagnostics.map((d) => diagnosticJson(d, r.source)) }));
      process.stdout.write(JSON.stringify({ files, errors, warnings, exitCode: exit }, null, 2) + '\n');
      return exit;
    }
    const color = useColor(process.stdout);
    const out: string[] = [];
    for (const r of results) for (const d of r.diagnostics) out.push(renderDiagnostic(d, r.source, { color }) + '\n');
    out.push(renderSummary(errors, warnings, results.length));
    process.stdout.write(out.join('\n') + '\n');
    return exit;
  },
};
