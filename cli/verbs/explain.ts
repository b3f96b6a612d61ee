/** `mohawkc explain CODE [--json]` / `mohawkc explain --list`: the long explanation of a diagnostic code. */
import { CODES, isCode, type Code } from '../../compiler/diagnostics/codes.ts';
import { parseFlags } from '../../compiler/util/args.ts';
import { suggest } from '../../compiler/util/suggest.ts';
import { UsageError } from '../errors.ts';
import type { Verb } from '../verb.ts';

const USAGE = `usage: mohawkc explain CODE [--json]
       mohawkc explain --list [--json]

Prints what a diagnostic code means, with examples. CODE is e.g. MHK0404 (or 0404, 404).`;

/** MHK0404, mhk0404, 0404 and 404 all name MHK0404. */
export function normaliseCode(arg: string): string {
  const digits = /^(?:mhk)?(\d{1,4})$/i.exec(arg.trim());
  return digits ? `MHK${digits[1].padStart(4, '0')}` : arg.toUpperCase();
}

/** For MHKxxyy: the closest code of the same phase (xx) by number; otherwise by spelling. */
function nearestCode(code: string): string | undefined {
  const m = /^MHK(\d\d)(\d\d)$/.exec(code);
  if (!m) return suggest(code, Object.keys(CODES));
  const n = Number(m[1] + m[2]);
  const same = Object.keys(CODES).filter((c) => c.slice(3, 5) === m[1]);
  return same.sort((a, b) => Math.abs(Number(a.slice(3)) - n) - Math.abs(Number(b.slice(3)) - n))[0] ?? suggest(code, Object.keys(CODES));
}

export const verb: Verb = {
  name: 'explain',
  summary: 'explain a diagnostic code',
  usage: USAGE,
  async run(argv) {
    const p = parseFlags(argv, { json: { type: 'boolean' }, list: { type: 'boolean' } });
    if ('error' in p) throw new UsageError(p.error, USAGE);
    const json = !!p.values.json;
    if (p.values.list) {
      const all = (Object.keys(CODES) as Code[]).map((c) => ({ code: c, severity: CODES[c].severity, title: CODES[c].title }));
      process.stdout.write(json ? JSON.stringify(all, null, 2) + '\n' : all.map((c) => `${c.code}  ${c.severity.padEnd(7)}  ${c.title}`).join('\n') + '\n');
      return 0;
    }
    if (p.positionals.length !== 1) throw new UsageError(p.positionals.length ? 'explain takes one code' : 'no code given', USAGE);
    const code = normaliseCode(p.positionals[0]);
    if (!isCode(code)) {
      const near = nearestCode(code);
      throw new UsageError(`unknown diagnostic code '${p.positionals[0]}'${near ? ` (did you mean ${near}?)` : ''}`, 'mohawkc explain --list shows every code');
    }
    const info = CODES[code];
    if (json) process.stdout.write(JSON.stringify({ code, severity: info.severity, title: info.title, exitCode: 'io' in info && info.io ? 2 : info.severity === 'error' ? 1 : 0, explanation: info.explanation }, null, 2) + '\n');
    else process.stdout.write(`${code} (${info.severity}): ${info.title}\n\n${info.explanation}\n`);
    return 0;
  },
};
