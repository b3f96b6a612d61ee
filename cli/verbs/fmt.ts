/** `mohawkc fmt [--check|--write] SPEC... [--json]`: the canonical layout of .mohawk specs. */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { DiagnosticSink } from '../../compiler/diagnostics/diagnostic.ts';
import { isCode } from '../../compiler/diagnostics/codes.ts';
import { diagnosticJson } from '../../compiler/diagnostics/render-json.ts';
import { renderDiagnostic } from '../../compiler/diagnostics/render-text.ts';
import { formatSpec } from '../../compiler/fmt/format.ts';
import { parseFlags } from '../../compiler/util/args.ts';
import { UsageError, UserFacingError } from '../errors.ts';
import type { Verb } from '../verb.ts';
import { displayPath, useColor } from './check.ts';

const USAGE = `usage: mohawkc fmt [--check | --write] SPEC... [--json]

Formats .mohawk specs: two-space indentation, one entry per line, '=' aligned, comments kept. Without a flag
the formatted text goes to stdout. Specs with syntax errors are reported and left alone (exit 1).

  --check   exit 1 and list the specs whose formatting would change; change nothing
  --write   rewrite the specs that are not formatted
  --json    machine-readable result: { files: [{ file, formatted, changed, diagnostics }] }`;

interface FileResult {
  file: string;
  changed?: boolean;
  output?: string;
  diagnostics: ReturnType<typeof diagnosticJson>[];
  rendered: string[];
}

function formatFile(path: string): FileResult {
  const file = displayPath(path);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new UserFacingError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : ((e as NodeJS.ErrnoException).code ?? (e as Error).message)}`);
  }
  const r = formatSpec(bytes, file);
  if (r.output === undefined) {
    const sink = new DiagnosticSink(file);
    for (const p of r.problems) if (isCode(p.code)) sink.report(p.code, p.span, p.message, { help: p.help });
    return { file, diagnostics: sink.list.map((d) => diagnosticJson(d, r.source)), rendered: sink.list.map((d) => renderDiagnostic(d, r.source, { color: useColor(process.stderr) })) };
  }
  return { file, changed: r.output !== bytes.toString('utf8'), output: r.output, diagnostics: [], rendered: [] };
}

export const verb: Verb = {
  name: 'fmt',
  summary: 'format .mohawk specs',
  usage: USAGE,
  async run(argv) {
    const p = parseFlags(argv, { check: { type: 'boolean' }, write: { type: 'boolean' }, json: { type: 'boolean' } });
    if ('error' in p) throw new UsageError(p.error, USAGE);
    if (p.values.check && p.values.write) throw new UsageError('--check and --write exclude each other', USAGE);
    if (!p.positionals.length) throw new UsageError('no spec given', USAGE);
    const results = p.positionals.map((f, i) => ({ path: f, ...formatFile(p.positionals[i]) }));
    const broken = results.filter((r) => r.output === undefined);
    const changed = results.filter((r) => r.changed);
    if (p.values.write) {
      for (const r of changed) {
        const tmp = `${r.path}.fmt-tmp`;
        writeFileSync(tmp, r.output!);
        renameSync(tmp, r.path);
      }
    }
    if (p.values.json) {
      const files = results.map((r) => ({ file: r.file, formatted: r.output !== undefined, changed: !!r.changed, diagnostics: r.diagnostics, ...(!p.values.check && !p.values.write ? { output: r.output } : {}) }));
      process.stdout.write(JSON.stringify({ files }, null, 2) + '\n');
    } else {
      for (const r of broken) process.stderr.write(r.rendered.join('\n\n') + '\n\n');
      if (p.values.check) for (const r of changed) process.stdout.write(`${r.file}: not formatted\n`);
      else if (p.values.write) for (const r of changed) process.stdout.write(`formatted ${r.file}\n`);
      else for (const r of results) if (r.output !== undefined) process.stdout.write(results.length > 1 ? `// ${r.file}\n${r.output}` : r.output);
    }
    if (broken.length) return 1;
    return p.values.check && changed.length ? 1 : 0;
  },
};
