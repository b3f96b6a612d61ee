/**
 * Flag parsing for the language verbs (check, fmt, explain, ir): node:util parseArgs in strict mode, with
 * errors turned into one-line messages (and a did-you-mean) that the verb raises as a usage error.
 */
import { parseArgs } from 'node:util';
import { suggest } from './suggest.ts';

export type FlagSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>;

export type Parsed = { values: Record<string, string | boolean | undefined>; positionals: string[] } | { error: string };

export function parseFlags(argv: string[], flags: FlagSpec): Parsed {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: flags, allowPositionals: true, strict: true });
    return { values: values as Record<string, string | boolean | undefined>, positionals };
  } catch (e) {
    const msg = (e as Error).message;
    const unknown = /Unknown option '([^']+)'/.exec(msg);
    if (unknown) {
      const near = suggest(unknown[1].replace(/^-+/, ''), Object.keys(flags));
      return { error: `unknown option '${unknown[1]}'${near ? ` (did you mean '--${near}'?)` : ''}` };
    }
    const missing = /Option '([^']+)' argument missing/.exec(msg) ?? /Option '(--[^ ']+)[^']*' argument missing/.exec(msg);
    if (missing) return { error: `option '${missing[1].replace(/ <value>$/, '').split(',').pop()!.trim()}' needs a value` };
    return { error: msg.split('\n')[0] };
  }
}
