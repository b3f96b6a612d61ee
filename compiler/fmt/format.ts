/**
 * `mohawkc fmt`: one canonical layout, no options. Two-space indentation, one entry per line, `=` aligned
 * within runs of entries (a blank line starts a new run), trailing comments aligned within a run, a blank
 * line after the edition and between blocks, other blank lines kept (several collapse to one), entries wider
 * than 100 columns broken (scalar lists fill lines; calls and other lists one item per line), LF line
 * endings, final newline.
 *
 * Every comment is kept. A comment inside an entry (e.g. between list items) makes that entry print exactly as
 * written, which keeps the comment where the author put it. Files with syntax errors are not formatted.
 * Formatting is idempotent: format(format(x)) === format(x) (tested over every spec and fixture).
 */
import type { IToken } from 'chevrotain';
import type { Arg, Attribute, Block, Entry, Spec, SyntaxProblem, Value } from '../../grammar/ast.ts';
import { parseSpec } from '../../grammar/parse.ts';
import type { SourceText } from '../../grammar/source.ts';

const INDENT = '  ';
/** Lists and calls longer than this print one item per line. */
const MAX_WIDTH = 100;

export interface FormatResult {
  /** Undefined when the spec has syntax problems. */
  output?: string;
  problems: SyntaxProblem[];
  source: SourceText;
}

interface Cmt {
  start: number;
  text: string;
}

function printArgs(args: Arg[]): string {
  return `(${args.map((a) => (a.name ? `${a.name.text}: ${printValue(a.value)}` : printValue(a.value))).join(', ')})`;
}

function printAttrs(attrs: Attribute[]): string {
  return attrs.map((a) => ` @${a.name.text}${a.args ? printArgs(a.args) : ''}`).join('');
}

export function printValue(v: Value): string {
  let core: string;
  switch (v.type) {
    case 'number':
      core = v.text;
      break;
    case 'string':
      core = v.raw;
      break;
    case 'bad':
      core = v.text;
      break;
    case 'list':
      core = `[${v.items.map(printValue).join(', ')}]`;
      break;
    case 'path':
      core = v.parts.map((p) => p.text).join('.') + (v.args ? printArgs(v.args) : '');
      break;
    case 'range':
      return `${printValue(v.from)}${v.inclusive ? '..=' : '..'}${printValue(v.to)}`;
    case 'neg':
      core = `-${printValue(v.operand)}`;
      break;
  }
  return core + printAttrs(v.attrs);
}

/** A value too wide for one line: lists and calls break one item per line (items stay on one line each). */
function printValueBroken(v: Value, indent: string): string | undefined {
  const inner = indent + INDENT;
  if (v.type === 'list' && v.items.length) {
    const items = v.items.map(printValue);
    // Lists of scalars (layer indices, names) fill lines; lists of calls or lists go one item per line.
    const scalar = v.items.every((i) => i.type === 'number' || (i.type === 'path' && !i.args) || i.type === 'string' || i.type === 'range');
    if (!scalar) return `[\n${items.map((i) => `${inner}${i},`).join('\n')}\n${indent}]${printAttrs(v.attrs)}`;
    const lines: string[] = [];
    let line = '';
    for (const it of items) {
      const piece = `${it},`;
      if (line && inner.length + line.length + 1 + piece.length > MAX_WIDTH) {
        lines.push(inner + line);
        line = piece;
      } else line = line ? `${line} ${piece}` : piece;
    }
    lines.push(inner + line);
    return `[\n${lines.join('\n')}\n${indent}]${printAttrs(v.attrs)}`;
  }
  if (v.type === 'path' && v.args?.length)
    return `${v.parts.map((p) => p.text).join('.')}(\n${v.args.map((a) => `${inner}${a.name ? `${a.name.text}: ` : ''}${printValue(a.value)},`).join('\n')}\n${indent})${printAttrs(v.attrs)}`;
  return undefined;
}

class Formatter {
  private readonly comments: Cmt[];
  private readonly used = new Set<Cmt>();

  constructor(
    private readonly source: SourceText,
    tokens: IToken[],
  ) {
    this.comments = tokens.map((t) => ({ start: t.startOffset, text: t.image.replace(/\s+$/, '') }));
  }

  private line(offset: number): number {
    return this.source.position(offset).line;
  }

  /** Comments starting in [from, to) not yet placed (binary search: comments are in source order). */
  private take(from: number, to: number, pred: (c: Cmt) => boolean = () => true): Cmt[] {
    let lo = 0;
    let hi = this.comments.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.comments[mid].start < from) lo = mid + 1;
      else hi = mid;
    }
    const out: Cmt[] = [];
    for (let i = lo; i < this.comments.length && this.comments[i].start < to; i++) {
      const c = this.comments[i];
      if (!this.used.has(c) && pred(c)) out.push(c);
    }
    out.forEach((c) => this.used.add(c));
    return out;
  }

  private blankBetween(a: number, b: number): boolean {
    const gap = this.source.text.slice(a, b);
    return (gap.match(/\r\n|\r|\n/g) ?? []).length >= 2;
  }

  format(spec: Spec): string {
    type Top = { kind: 'edition' | 'block' | 'comment'; start: number; end: number; render: () => string[] };
    const items: Top[] = [];
    const textEnd = this.source.text.length;
    const blocks = spec.blocks;
    // Comments inside blocks belong to the blocks; claim them before looking at top-level ones.
    const rendered = new Map<Block, string[]>();
    for (const b of blocks) rendered.set(b, this.block(b));
    if (spec.edition) {
      const ed = spec.edition;
      const trailing = this.take(ed.span.end, textEnd, (c) => this.line(c.start) === this.line(ed.span.end) && (blocks[0] === undefined || c.start < blocks[0].span.start));
      items.push({ kind: 'edition', start: ed.span.start, end: ed.span.end, render: () => [`mohawk ${ed.version}${trailing.map((c) => ` ${c.text}`).join('')}`] });
    }
    for (const b of blocks) items.push({ kind: 'block', start: b.span.start, end: b.span.end, render: () => rendered.get(b)! });
    for (const c of this.take(0, textEnd)) items.push({ kind: 'comment', start: c.start, end: c.start + c.text.length, render: () => [c.text] });
    items.sort((a, b) => a.start - b.start);

    const out: string[] = [];
    items.forEach((it, i) => {
      const prev = items[i - 1];
      if (prev) {
        const forced = prev.kind === 'edition' || (it.kind === 'block' && prev.kind === 'block');
        const kept = this.blankBetween(prev.end, it.start);
        if (forced || kept) out.push('');
      }
      for (const line of it.render()) out.push(line);
    });
    return out.join('\n').replace(/[ \t]+$/gm, '') + '\n';
  }

  private block(b: Block): string[] {
    // Comments inside the header (before '{') move above the block.
    const above = this.take(b.span.start, b.header.end - 1).map((c) => c.text);
    return [...above, ...this.blockBody(b)];
  }

  private blockBody(b: Block): string[] {
    const open = b.header.end - 1;
    const close = b.span.end - 1;
    const header = `${b.kind.text}${b.name ? ` ${b.name.text}` : ''}${b.stageKind ? ` : ${b.stageKind.text}` : ''} {`;
    const firstInner = b.entries[0]?.span.start ?? close;
    const headTrail = this.take(open, firstInner, (c) => this.line(c.start) === this.line(open));
    const closeTrail = this.take(close, Infinity, (c) => this.line(c.start) === this.line(close));

    type Item = { entry?: Entry; comment?: Cmt; start: number; end: number; trailing: Cmt[]; verbatim: boolean };
    const items: Item[] = [];
    b.entries.forEach((e, i) => {
      const next = b.entries[i + 1]?.span.start ?? close;
      const inner = this.take(e.span.start, e.span.end);
      const trailing = this.take(e.span.end, next, (c) => this.line(c.start) === this.line(e.span.end));
      items.push({ entry: e, start: e.span.start, end: e.span.end, trailing, verbatim: inner.length > 0 });
    });
    for (const c of this.take(open, close)) items.push({ comment: c, start: c.start, end: c.start + c.text.length, trailing: [], verbatim: false });
    items.sort((x, y) => x.start - y.start);

    const head = header + headTrail.map((c) => ` ${c.text}`).join('');
    const closeLine = `}${closeTrail.map((c) => ` ${c.text}`).join('')}`;
    if (!items.length) return headTrail.length ? [head, closeLine] : [header + closeLine];

    // Runs of entries separated by blank lines share one `=` column and one trailing-comment column.
    const runs: Item[][] = [];
    items.forEach((it, i) => {
      const blank = i > 0 && this.blankBetween(items[i - 1].end, it.start);
      if (i === 0 || blank) runs.push([]);
      runs[runs.length - 1].push(it);
    });
    const lines: string[] = [head];
    runs.forEach((run, r) => {
      if (r > 0) lines.push('');
      const keyWidth = Math.max(0, ...run.filter((i) => i.entry && !i.verbatim).map((i) => i.entry!.key.text.length));
      const texts = run.map((it) => {
        if (it.comment) return INDENT + it.comment.text;
        const e = it.entry!;
        if (it.verbatim) return INDENT + this.source.text.slice(e.span.start, e.span.end).replace(/[ \t]+$/gm, '');
        const prefix = `${INDENT}${e.key.text.padEnd(keyWidth)} = `;
        const flat = prefix + printValue(e.value);
        if (flat.length <= MAX_WIDTH) return flat;
        return prefix + (printValueBroken(e.value, INDENT) ?? printValue(e.value));
      });
      const single = run.map((it, i) => it.trailing.length > 0 && !texts[i].includes('\n'));
      const col = Math.max(0, ...texts.filter((_, i) => single[i]).map((t) => t.length)) + 2;
      run.forEach((it, i) => {
        const trail = it.trailing.map((c) => c.text).join(' ');
        if (!trail) lines.push(texts[i]);
        else if (single[i]) lines.push(texts[i].padEnd(col) + trail);
        else lines.push(`${texts[i]}  ${trail}`);
      });
    });
    lines.push(closeLine);
    return lines.join('\n').split('\n');
  }
}

export function formatSpec(input: string | Uint8Array, file: string): FormatResult {
  const parsed = parseSpec(input, file);
  if (!parsed.spec) return { problems: parsed.problems, source: parsed.source };
  const output = new Formatter(parsed.source, parsed.comments).format(parsed.spec);
  return { output, problems: [], source: parsed.source };
}
