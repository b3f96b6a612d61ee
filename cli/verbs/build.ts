/** `mohawkc build SPEC... [--out generated] [--check] [--json] [--data DIR]`: emit programs and kernels. */
import { diagnosticJson } from '../../compiler/diagnostics/render-json.ts';
import { renderDiagnostic } from '../../compiler/diagnostics/render-text.ts';
import { compileForBuild, planBuild, projectRoot, type CompiledSpec } from '../../compiler/emit/build.ts';
import { applyTree, describeDifferences } from '../../compiler/emit/tree.ts';
import { parseFlags } from '../../compiler/util/args.ts';
import { EXIT_OK, EXIT_SPEC, UsageError } from '../errors.ts';
import type { Verb } from '../verb.ts';
import { useColor } from './check.ts';

const USAGE = `usage: mohawkc build SPEC... [--out DIR] [--check] [--json] [--data DIR]

Compiles each spec and writes its training program (DIR/<spec>/program/*.ts and DIR/<spec>/ir.json), the
kernel files every spec needs (DIR/kernels/...) and DIR/MANIFEST.json. Only files whose bytes change are
written; files an earlier build wrote that no spec produces any more are removed.

  --out DIR   output folder (default generated); spec paths are recorded relative to its parent
  --check     write nothing; exit 1 listing every file that differs from what build would write
  --json      machine-readable summary on stdout
  --data DIR  data directory for relative paths in specs (default: $MOHAWK_DATA, ../shared/data, ~/.cache/mohawk/data)`;

export const verb: Verb = {
  name: 'build',
  summary: 'emit training programs and kernels into generated/',
  usage: USAGE,
  async run(argv) {
    const p = parseFlags(argv, { out: { type: 'string' }, check: { type: 'boolean' }, json: { type: 'boolean' }, data: { type: 'string' } });
    if ('error' in p) throw new UsageError(p.error, USAGE);
    if (!p.positionals.length) throw new UsageError('no spec given', USAGE);
    const out = (p.values.out as string | undefined) ?? 'generated';
    const json = !!p.values.json;
    const root = projectRoot(out);
    const compiled = p.positionals.map((f) => compileForBuild(f, root, p.values.data as string | undefined));
    const failed = compiled.filter((c) => !c.ir);
    if (failed.length) return reportSpecErrors(failed, json);

    const plan = planBuild(out, compiled);
    const differences = describeDifferences(plan);
    const specs = compiled.map((c) => c.spec);
    if (p.values.check) {
      if (json) process.stdout.write(JSON.stringify({ specs, upToDate: differences.length === 0, differences }, null, 2) + '\n');
      else if (differences.length) process.stdout.write(`${out} is out of date (run: npx mohawkc build ${p.positionals.join(' ')}):\n${differences.map((d) => `  ${d}`).join('\n')}\n`);
      else process.stdout.write(`${out} is up to date (${Object.keys(plan.manifest.files).length} files, ${specs.length} spec${specs.length === 1 ? '' : 's'})\n`);
      return differences.length ? EXIT_SPEC : EXIT_OK;
    }
    applyTree(plan);
    const summary = {
      specs,
      out,
      written: plan.write.map((f) => f.path),
      removed: plan.stale,
      unchanged: plan.unchanged.length,
      unknown: plan.unknown,
    };
    if (json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
    else {
      const lines = [`built ${specs.join(', ')} into ${out}: ${summary.written.length} written, ${summary.removed.length} removed, ${summary.unchanged} unchanged`];
      for (const f of summary.written) lines.push(`  wrote   ${f}`);
      for (const f of summary.removed) lines.push(`  removed ${f}`);
      if (plan.unknown.length) lines.push(`  note: ${plan.unknown.length} file(s) in ${out} are not from mohawkc and were left alone (${plan.unknown.slice(0, 3).join(', ')}${plan.unknown.length > 3 ? ', …' : ''})`);
      process.stdout.write(lines.join('\n') + '\n');
    }
    return EXIT_OK;
  },
};

function reportSpecErrors(failed: CompiledSpec[], json: boolean): number {
  const exit = Math.max(...failed.map((c) => c.result.exitCode)) || EXIT_SPEC;
  if (json) {
    const files = failed.map((c) => ({ file: c.spec, exitCode: c.result.exitCode, diagnostics: c.result.diagnostics.map((d) => diagnosticJson(d, c.result.source)) }));
    process.stdout.write(JSON.stringify({ built: false, files }, null, 2) + '\n');
  } else {
    const color = useColor(process.stderr);
    const text = failed.flatMap((c) => c.result.diagnostics.map((d) => renderDiagnostic(d, c.result.source, { color })));
    process.stderr.write(text.join('\n\n') + `\n\nnothing built: ${failed.length} spec${failed.length === 1 ? ' has' : 's have'} errors\n`);
  }
  return exit;
}
