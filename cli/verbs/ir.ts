/** `mohawkc ir SPEC [--data DIR] [--json]`: the canonical IR (with schemaVersion and content hash) of a clean spec. */
import { diagnosticJson } from '../../compiler/diagnostics/render-json.ts';
import { renderDiagnostic } from '../../compiler/diagnostics/render-text.ts';
import { canonicalIrJson, withHash } from '../../compiler/ir/canonical.ts';
import { validateIr } from '../../compiler/ir/validate.ts';
import { parseFlags } from '../../compiler/util/args.ts';
import { UsageError } from '../errors.ts';
import type { Verb } from '../verb.ts';
import { compileForCli, useColor } from './check.ts';

const USAGE = `usage: mohawkc ir SPEC [--data DIR] [--json]

Prints the checked spec as canonical JSON: schemaVersion, every shape, layer, stage, data source, kernel
variant and evaluation setting, and a sha256 content hash. Validated against compiler/ir/schema.json.
When the spec has errors they are printed instead (as JSON with --json) and the exit code is 1 (2 for files).`;

export const verb: Verb = {
  name: 'ir',
  summary: 'print the canonical IR of a spec',
  usage: USAGE,
  async run(argv) {
    const p = parseFlags(argv, { json: { type: 'boolean' }, data: { type: 'string' } });
    if ('error' in p) throw new UsageError(p.error, USAGE);
    if (p.positionals.length !== 1) throw new UsageError(p.positionals.length ? 'ir takes one spec' : 'no spec given', USAGE);
    const r = compileForCli(p.positionals[0], p.values.data as string | undefined);
    if (!r.ir) {
      if (p.values.json) process.stdout.write(JSON.stringify({ file: r.file, exitCode: r.exitCode, diagnostics: r.diagnostics.map((d) => diagnosticJson(d, r.source)) }, null, 2) + '\n');
      else process.stderr.write(r.diagnostics.map((d) => renderDiagnostic(d, r.source, { color: useColor(process.stderr) })).join('\n\n') + '\n');
      return r.exitCode || 1;
    }
    // Warnings do not stop the IR, but they are still worth reading.
    if (r.diagnostics.length) process.stderr.write(r.diagnostics.map((d) => renderDiagnostic(d, r.source, { color: useColor(process.stderr) })).join('\n\n') + '\n');
    const ir = withHash(r.ir);
    const problems = validateIr(ir);
    if (problems.length) throw new Error(`the IR of ${r.file} does not match compiler/ir/schema.json: ${problems.join('; ')}`);
    process.stdout.write(canonicalIrJson(ir));
    return 0;
  },
};
