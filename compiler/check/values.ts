/**
 * Typed reading of values. Each reader reports what is wrong (with codes from 01xx–03xx) and returns
 * undefined, so callers fall back to defaults without cascading errors.
 *
 * Units: a number with a count suffix (K M B Ki Mi Gi) is a count; with '%' a fraction; plain numbers fit
 * any numeric key whose range they satisfy.
 */
import type { Arg, NumberValue, PathValue, Span, Value } from '../../grammar/ast.ts';
import { pathText } from '../../grammar/ast.ts';
import { suggest } from '../util/suggest.ts';
import type { Ctx } from './context.ts';

export type NumKind = 'count' | 'int' | 'float' | 'fraction';

export function describe(v: Value): string {
  switch (v.type) {
    case 'number':
      return `the number \`${v.text}\``;
    case 'string':
      return 'a string';
    case 'list':
      return 'a list';
    case 'range':
      return 'a range';
    case 'neg':
      return 'a negated name';
    case 'bad':
      return 'a malformed literal';
    case 'path':
      return v.args ? `a call \`${pathText(v)}(…)\`` : v.parts.length > 1 ? `the reference \`${pathText(v)}\`` : `the name \`${pathText(v)}\``;
  }
}

const NUM_WHAT: Record<NumKind, string> = {
  count: 'a count (a whole number, e.g. 250K)',
  int: 'a whole number',
  float: 'a number',
  fraction: 'a fraction (0.05 or 5%)',
};

/** Attributes are allowed only where a reader says so; everywhere else they are MHK0204. */
export function noAttrs(ctx: Ctx, v: Value): void {
  for (const a of v.attrs) ctx.error('MHK0204', a.span, `\`@${a.name.text}\` cannot be attached here`, { help: '`@frozen` marks a kept attention layer: `attention @frozen` in a layout or an index in `attention_layers`' });
}

function typeError(ctx: Ctx, v: Value, key: string, expected: string): undefined {
  if (v.type !== 'bad') ctx.error('MHK0201', v.span, `\`${key}\` expects ${expected}, found ${describe(v)}`, { label: `expected ${expected}` });
  return undefined;
}

export interface NumOpts {
  min?: number;
  max?: number;
  /** min/max exclusive. */
  open?: boolean;
  /** Code for a value outside [min, max]: MHK0304 (positive), MHK0303 (fraction), MHK0302 (lr), MHK0301 (tokens). */
  rangeCode?: 'MHK0301' | 'MHK0302' | 'MHK0303' | 'MHK0304' | 'MHK0313';
}

export function readNumber(ctx: Ctx, v: Value, key: string, kind: NumKind, opts: NumOpts = {}): number | undefined {
  noAttrs(ctx, v);
  if (v.type !== 'number') return typeError(ctx, v, key, NUM_WHAT[kind]);
  const n = v as NumberValue;
  const isCountSuffix = n.suffix !== '' && n.suffix !== '%';
  if ((kind === 'count' || kind === 'int') && n.suffix === '%') {
    ctx.error('MHK0203', v.span, `\`${key}\` is ${NUM_WHAT[kind]}, but \`${n.text}\` is a percentage`, { help: 'drop the `%`' });
    return undefined;
  }
  if ((kind === 'float' || kind === 'fraction') && isCountSuffix) {
    ctx.error('MHK0203', v.span, `the suffix \`${n.suffix}\` makes \`${n.text}\` a count, but \`${key}\` is ${NUM_WHAT[kind]}`, { help: `write the plain number (${n.value})` });
    return undefined;
  }
  if (kind === 'float' && n.suffix === '%') {
    ctx.error('MHK0203', v.span, `\`${key}\` is a plain number, not a percentage`, { help: `write ${n.value}` });
    return undefined;
  }
  if ((kind === 'count' || kind === 'int') && !Number.isInteger(n.value)) {
    ctx.error('MHK0202', v.span, `\`${key}\` must be a whole number, found \`${n.text}\``);
    return undefined;
  }
  const lo = opts.min ?? (kind === 'fraction' ? 0 : undefined);
  const hi = opts.max ?? (kind === 'fraction' ? 1 : undefined);
  const below = lo !== undefined && (opts.open ? n.value <= lo : n.value < lo);
  const above = hi !== undefined && (opts.open ? n.value >= hi : n.value > hi);
  if (below || above) {
    const code = opts.rangeCode ?? (kind === 'fraction' ? 'MHK0303' : 'MHK0304');
    const [l, r] = opts.open ? ['(', ')'] : ['[', ']'];
    const range = lo !== undefined && hi !== undefined ? `in ${l}${lo}, ${hi}${r}` : lo !== undefined ? (opts.open ? `greater than ${lo}` : `at least ${lo}`) : `at most ${hi}`;
    ctx.error(code, v.span, `\`${key}\` must be ${range}, found \`${n.text}\``);
    return undefined;
  }
  return n.value;
}

export function readString(ctx: Ctx, v: Value, key: string): string | undefined {
  noAttrs(ctx, v);
  if (v.type !== 'string') return typeError(ctx, v, key, 'a string');
  return v.value;
}

/** A bare name from a closed set (MHK0106 with a suggestion otherwise). */
export function readName<T extends string>(ctx: Ctx, v: Value, key: string, allowed: readonly T[], what: string, attrsOk = false): T | undefined {
  if (!attrsOk) noAttrs(ctx, v);
  if (v.type !== 'path' || v.parts.length !== 1 || v.args) return typeError(ctx, v, key, `${what} (one of ${allowed.map((a) => `\`${a}\``).join(', ')})`);
  const name = v.parts[0].text;
  if ((allowed as readonly string[]).includes(name)) return name as T;
  unknownName(ctx, v.parts[0].span, name, allowed, what);
  return undefined;
}

export function unknownName(ctx: Ctx, span: Span, name: string, allowed: readonly string[], what: string, code: 'MHK0106' | 'MHK0501' = 'MHK0106'): void {
  const near = suggest(name, allowed);
  ctx.error(code, span, `unknown ${what} \`${name}\``, { help: `${near ? `did you mean \`${near}\`? ` : ''}${what}: ${allowed.map((a) => `\`${a}\``).join(', ')}` });
}

export function readBool(ctx: Ctx, v: Value, key: string): boolean | undefined {
  const b = readName(ctx, v, key, ['true', 'false'] as const, 'boolean');
  return b === undefined ? undefined : b === 'true';
}

export function readList(ctx: Ctx, v: Value, key: string, what: string): Value[] | undefined {
  noAttrs(ctx, v);
  if (v.type !== 'list') return typeError(ctx, v, key, `a list of ${what} (\`[…]\`)`);
  return v.items;
}

export interface CallSig {
  params: readonly string[];
  /** Parameters that may be given by position, in order (at most one positional argument is used). */
  positional?: readonly string[];
  /** Accept any argument name (mix(part: weight, ...)). */
  openNames?: boolean;
}

export interface Call {
  name: string;
  args: Map<string, Arg>;
  /** Named args in written order (for open-name calls). */
  ordered: Arg[];
  node: PathValue;
}

/**
 * A constructor: `name` or `name(arg: value, ...)`. Bare names are calls without arguments. Unknown
 * constructors are MHK0106, unknown arguments MHK0107, duplicates MHK0113, positional misuse MHK0205.
 */
export function readCall(ctx: Ctx, v: Value, key: string, sigs: Record<string, CallSig>, what: string): Call | undefined {
  noAttrs(ctx, v);
  const names = Object.keys(sigs);
  if (v.type !== 'path' || v.parts.length !== 1) return typeError(ctx, v, key, `${what} (${names.map((n) => `\`${n}\``).join(', ')})`);
  const name = v.parts[0].text;
  const sig = sigs[name];
  if (!sig) {
    unknownName(ctx, v.parts[0].span, name, names, what);
    return undefined;
  }
  return readArgs(ctx, v, name, sig);
}

export function readArgs(ctx: Ctx, v: PathValue, name: string, sig: CallSig): Call {
  const args = new Map<string, Arg>();
  const ordered: Arg[] = [];
  let positionalUsed = 0;
  for (const a of v.args ?? []) {
    let argName = a.name?.text;
    if (!argName) {
      const pos = sig.positional?.[positionalUsed];
      if (!pos || positionalUsed > 0) {
        const help = sig.positional?.length
          ? `only the first argument (\`${sig.positional[0]}\`) may be positional; name the others (\`name: value\`)`
          : `\`${name}\` takes named arguments: ${sig.params.map((p) => `\`${p}: …\``).join(', ')}`;
        ctx.error('MHK0205', a.span, `positional argument not allowed here`, { help });
        continue;
      }
      positionalUsed++;
      argName = pos;
    }
    if (!sig.openNames && !sig.params.includes(argName)) {
      const near = suggest(argName, sig.params);
      ctx.error('MHK0107', a.name?.span ?? a.span, `\`${name}\` has no argument \`${argName}\``, {
        help: `${near ? `did you mean \`${near}\`? ` : ''}${sig.params.length ? `\`${name}\` takes: ${sig.params.map((p) => `\`${p}\``).join(', ')}` : `\`${name}\` takes no arguments`}`,
      });
      continue;
    }
    const first = args.get(argName);
    if (first) {
      ctx.error('MHK0113', a.span, `argument \`${argName}\` is given twice`, { secondary: [{ span: first.span, message: 'first given here' }] });
      continue;
    }
    args.set(argName, a);
    ordered.push(a);
  }
  return { name, args, ordered, node: v };
}

/** Reads an optional argument of a call with a number reader. */
export function argNumber(ctx: Ctx, call: Call, arg: string, kind: NumKind, opts?: NumOpts): number | undefined {
  const a = call.args.get(arg);
  return a ? readNumber(ctx, a.value, arg, kind, opts) : undefined;
}

export function argName<T extends string>(ctx: Ctx, call: Call, arg: string, allowed: readonly T[], what: string): T | undefined {
  const a = call.args.get(arg);
  return a ? readName(ctx, a.value, arg, allowed, what) : undefined;
}
