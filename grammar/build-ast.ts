/**
 * CST → AST. Called only on a CST without syntax errors, so every mandatory child is present; literal problems
 * (bad escapes, numbers out of range) and the "one entry per line or a comma" rule are reported here.
 */
import type { CstNode, IToken } from 'chevrotain';
import type { Arg, Attribute, Block, CountSuffix, Edition, Entry, Name, NumberValue, Span, Spec, SyntaxProblem, Value } from './ast.ts';

type Children = Record<string, (CstNode | IToken)[] | undefined>;

const kids = (n: CstNode): Children => n.children as Children;
const tok = (n: CstNode, key: string, i = 0): IToken | undefined => kids(n)[key]?.[i] as IToken | undefined;
const node = (n: CstNode, key: string, i = 0): CstNode | undefined => kids(n)[key]?.[i] as CstNode | undefined;
const nodes = (n: CstNode, key: string): CstNode[] => (kids(n)[key] ?? []) as CstNode[];
const toks = (n: CstNode, key: string): IToken[] => (kids(n)[key] ?? []) as IToken[];

const tokSpan = (t: IToken): Span => ({ start: t.startOffset, end: t.startOffset + t.image.length });
const join = (a: Span, b: Span): Span => ({ start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) });
const name = (t: IToken): Name => ({ text: t.image, span: tokSpan(t) });

const SUFFIX_SCALE: Record<CountSuffix, { pow10?: number; mul?: number }> = {
  '': { pow10: 0 },
  K: { pow10: 3 },
  M: { pow10: 6 },
  B: { pow10: 9 },
  Ki: { mul: 2 ** 10 },
  Mi: { mul: 2 ** 20 },
  Gi: { mul: 2 ** 30 },
  '%': { pow10: -2 },
};

/** Exact decimal scaling: 1.1K is 1100, not 1100.0000000000002. */
export function numberLiteralValue(text: string): { value: number; suffix: CountSuffix } {
  const m = /^(\d+(?:\.\d+)?)(?:[eE]([+-]?\d+))?(Ki|Mi|Gi|K|M|B|%)?$/.exec(text);
  if (!m) return { value: NaN, suffix: '' };
  const suffix = (m[3] ?? '') as CountSuffix;
  const exp = Number(m[2] ?? '0');
  const scale = SUFFIX_SCALE[suffix];
  const value = scale.mul !== undefined ? Number(`${m[1]}e${exp}`) * scale.mul : Number(`${m[1]}e${exp + (scale.pow10 ?? 0)}`);
  return { value, suffix };
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', '"': '"', '\\': '\\' };

export class AstBuilder {
  readonly problems: SyntaxProblem[] = [];

  constructor(private readonly text: string) {}

  spec(cst: CstNode, textLength: number): Spec {
    const ed = node(cst, 'edition');
    const blocks = nodes(cst, 'block').map((b) => this.block(b));
    return { edition: ed ? this.edition(ed) : undefined, blocks, span: { start: 0, end: textLength } };
  }

  private edition(n: CstNode): Edition {
    const kw = tok(n, 'Mohawk')!;
    const num = tok(n, 'NumberLit')!;
    return { version: num.image, span: join(tokSpan(kw), tokSpan(num)), versionSpan: tokSpan(num) };
  }

  private block(n: CstNode): Block {
    const kind = tok(n, 'kind')!;
    const nameTok = tok(n, 'name');
    const stageKind = tok(n, 'stageKind');
    const open = tok(n, 'LCurly')!;
    const close = tok(n, 'RCurly')!;
    if (stageKind && !tok(n, 'Colon'))
      this.problems.push({
        code: 'MHK0003',
        message: `expected ':' before the stage kind \`${stageKind.image}\``,
        span: tokSpan(stageKind),
        help: `write \`${kind.image}${nameTok ? ` ${nameTok.image}` : ''} : ${stageKind.image} {\``,
      });
    const entries = nodes(n, 'entry').map((e) => this.entry(e));
    const commas = toks(n, 'Comma');
    // Entries on one line must be separated by commas: `a = 1 b = 2` reads like a typo.
    for (let i = 1; i < entries.length; i++) {
      const prev = entries[i - 1];
      const cur = entries[i];
      const sameLine = (prev.value.span.end <= cur.key.span.start) && this.sameLine(prev.span.end, cur.key.span.start);
      const comma = commas.some((c) => c.startOffset >= prev.span.end && c.startOffset < cur.key.span.start);
      if (sameLine && !comma)
        this.problems.push({
          code: 'MHK0005',
          message: `entries on one line need a comma between them: add ',' before \`${cur.key.text}\``,
          span: { start: prev.span.end, end: prev.span.end },
          help: 'put each `key = value` on its own line, or separate them with commas',
        });
    }
    return {
      kind: name(kind),
      name: nameTok ? name(nameTok) : undefined,
      stageKind: stageKind ? name(stageKind) : undefined,
      entries,
      span: join(tokSpan(kind), tokSpan(close)),
      header: join(tokSpan(kind), tokSpan(open)),
    };
  }

  private sameLine(a: number, b: number): boolean {
    return !/[\n\r]/.test(this.text.slice(a, b));
  }

  private entry(n: CstNode): Entry {
    const key = tok(n, 'key')!;
    const value = this.value(node(n, 'value')!);
    return { key: name(key), value, span: join(tokSpan(key), value.span) };
  }

  private value(n: CstNode): Value {
    const from = this.unary(node(n, 'from')!);
    const to = node(n, 'to');
    if (!to) return from;
    const toV = this.unary(to);
    return { type: 'range', from, to: toV, inclusive: toks(n, 'RangeInclusive').length > 0, span: join(from.span, toV.span), attrs: [] };
  }

  private unary(n: CstNode): Value {
    const minus = tok(n, 'Minus');
    let v = this.primary(node(n, 'primary')!);
    if (minus) {
      const span = join(tokSpan(minus), v.span);
      if (v.type === 'number') v = { ...v, text: `-${v.text}`, value: -v.value, span };
      else v = { type: 'neg', operand: v, span, attrs: [] };
    }
    const attrs = nodes(n, 'attribute').map((a) => this.attribute(a));
    if (attrs.length) v = { ...v, attrs, span: join(v.span, attrs[attrs.length - 1].span) };
    return v;
  }

  private attribute(n: CstNode): Attribute {
    const at = tok(n, 'At')!;
    const id = tok(n, 'Identifier')!;
    const args = node(n, 'callArgs');
    const a = args ? this.callArgs(args) : undefined;
    return { name: name(id), args: a?.args, span: join(tokSpan(at), a?.span ?? tokSpan(id)) };
  }

  private primary(n: CstNode): Value {
    const num = tok(n, 'NumberLit');
    if (num) return this.number(num);
    const str = tok(n, 'StringLit');
    if (str) return this.string(str);
    const bad = tok(n, 'BadNumber') ?? tok(n, 'BadString');
    if (bad) return { type: 'bad', text: bad.image, span: tokSpan(bad), attrs: [] };
    const list = node(n, 'list');
    if (list) {
      const items = nodes(list, 'value').map((v) => this.value(v));
      return { type: 'list', items, span: join(tokSpan(tok(list, 'LBracket')!), tokSpan(tok(list, 'RBracket')!)), attrs: [] };
    }
    const p = node(n, 'path')!;
    const parts = toks(p, 'Identifier').map(name);
    const call = node(p, 'callArgs');
    const c = call ? this.callArgs(call) : undefined;
    return { type: 'path', parts, args: c?.args, span: join(parts[0].span, c?.span ?? parts[parts.length - 1].span), attrs: [] };
  }

  private callArgs(n: CstNode): { args: Arg[]; span: Span } {
    const args = nodes(n, 'arg').map((a): Arg => {
      const id = tok(a, 'name');
      const value = this.value(node(a, 'value')!);
      return { name: id ? name(id) : undefined, value, span: id ? join(tokSpan(id), value.span) : value.span };
    });
    return { args, span: join(tokSpan(tok(n, 'LParen')!), tokSpan(tok(n, 'RParen')!)) };
  }

  private number(t: IToken): NumberValue {
    const { value, suffix } = numberLiteralValue(t.image);
    if (!Number.isFinite(value) || Math.abs(value) > Number.MAX_SAFE_INTEGER)
      this.problems.push({ code: 'MHK0009', message: `number \`${t.image}\` is out of range`, span: tokSpan(t), help: `numbers must stay below 2^53 (${Number.MAX_SAFE_INTEGER})` });
    return { type: 'number', text: t.image, value: Number.isFinite(value) ? value : 0, suffix, span: tokSpan(t), attrs: [] };
  }

  private string(t: IToken): Value {
    const raw = t.image;
    let out = '';
    for (let i = 1; i < raw.length - 1; i++) {
      const c = raw[i];
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = raw[++i];
      const rep = ESCAPES[e];
      if (rep === undefined) {
        this.problems.push({
          code: 'MHK0012',
          message: `unknown escape \`\\${e ?? ''}\` in a string`,
          span: { start: t.startOffset + i - 1, end: t.startOffset + i + 1 },
          help: 'strings know \\n, \\t, \\" and \\\\; write a backslash as \\\\',
        });
        continue;
      }
      out += rep;
    }
    return { type: 'string', value: out, raw, span: tokSpan(t), attrs: [] };
  }
}
