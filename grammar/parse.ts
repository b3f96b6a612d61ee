/**
 * Text → AST with syntax problems. Never throws on any input: oversized, binary, non-UTF-8 and deeply nested
 * files become problems (MHK00xx) instead of exceptions or stack overflows.
 */
import { EOF } from 'chevrotain';
import type { IToken } from 'chevrotain';
import type { Spec, SyntaxProblem } from './ast.ts';
import { AstBuilder } from './build-ast.ts';
import { parserInstance } from './parser.ts';
import { SourceText, firstInvalidUtf8 } from './source.ts';
import { mohawkLexer } from './tokens.ts';

export const MAX_SPEC_BYTES = 1 << 20;
/** Brackets, parentheses and braces deeper than this are refused before parsing (the parser recurses). */
export const MAX_NESTING = 32;
/** A broken file can produce hundreds of follow-on errors; the first ones are the useful ones. */
export const MAX_SYNTAX_PROBLEMS = 20;

export interface ParseResult {
  source: SourceText;
  /** Present only when there were no syntax problems. */
  spec?: Spec;
  problems: SyntaxProblem[];
  /** `//` comments in source order (the formatter re-attaches them). */
  comments: IToken[];
  tokens: IToken[];
}

const printable = (c: string): string => {
  const cp = c.codePointAt(0) ?? 0;
  return cp < 0x20 || cp === 0x7f || (cp >= 0x80 && cp < 0xa0) ? `U+${cp.toString(16).toUpperCase().padStart(4, '0')}` : `\`${c}\``;
};

export function decodeSpec(input: string | Uint8Array, file: string): { source: SourceText; problems: SyntaxProblem[] } {
  const problems: SyntaxProblem[] = [];
  if (typeof input === 'string') {
    const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
    return { source: new SourceText(file, text), problems };
  }
  const bad = firstInvalidUtf8(input);
  let text = new TextDecoder('utf-8', { fatal: false, ignoreBOM: false }).decode(input);
  if (bad >= 0) {
    const at = new TextDecoder('utf-8', { ignoreBOM: false }).decode(input.subarray(0, bad)).length;
    problems.push({
      code: 'MHK0006',
      message: `the spec is not valid UTF-8: byte 0x${input[bad].toString(16).padStart(2, '0')} at byte offset ${bad}`,
      span: { start: at, end: at + 1 },
      help: 'save the file as UTF-8 (specs are text files; is this the right file?)',
    });
  }
  return { source: new SourceText(file, text), problems };
}

export function parseSpec(input: string | Uint8Array, file: string): ParseResult {
  const size = typeof input === 'string' ? input.length : input.byteLength;
  if (size > MAX_SPEC_BYTES) {
    const source = new SourceText(file, '');
    const problem = {
      code: 'MHK0010',
      message: `the spec is ${size} bytes; specs are limited to ${MAX_SPEC_BYTES} bytes (1 MiB)`,
      span: { start: 0, end: 0 },
      help: 'a spec is a short recipe; is this the right file?',
    };
    return { source, problems: [problem], comments: [], tokens: [] };
  }
  const { source, problems } = decodeSpec(input, file);
  const done = (extra: Partial<ParseResult> = {}): ParseResult => ({
    source,
    problems: [...problems].sort((a, b) => a.span.start - b.span.start).slice(0, MAX_SYNTAX_PROBLEMS),
    comments: [],
    tokens: [],
    ...extra,
  });
  if (problems.length) return done();
  const text = source.text;
  const nul = text.indexOf('\u0000');
  if (nul >= 0) {
    problems.push({ code: 'MHK0006', message: 'the spec contains NUL bytes: it looks like a binary file, not text', span: { start: nul, end: nul + 1 }, help: 'specs are UTF-8 text files; is this the right file?' });
    return done();
  }

  const lexed = mohawkLexer.tokenize(text);
  for (const e of lexed.errors) {
    const ch = text.slice(e.offset, e.offset + Math.max(1, e.length));
    const first = String.fromCodePoint(ch.codePointAt(0) ?? 0x3f);
    problems.push({
      code: 'MHK0001',
      message: `unexpected character ${printable(first)}${e.length > first.length ? ` (and ${e.length - first.length} more)` : ''}`,
      span: { start: e.offset, end: e.offset + Math.max(1, e.length) },
      help: 'names are ASCII letters, digits and `_`; text goes in double quotes; comments start with `//`',
    });
  }
  const tokens = lexed.tokens;
  for (const t of tokens) {
    if (t.tokenType.name === 'BadNumber')
      problems.push({ code: 'MHK0009', message: `malformed number \`${t.image}\``, span: { start: t.startOffset, end: t.startOffset + t.image.length }, help: 'numbers look like 12, 0.5, 1e-4, 250K, 2.7B, 16Ki or 5%' });
    if (t.tokenType.name === 'BadString')
      problems.push({ code: 'MHK0002', message: 'this string is not closed before the end of the line', span: { start: t.startOffset, end: t.startOffset + t.image.length }, help: 'add the closing `"`; strings cannot span lines' });
  }
  const comments = (lexed.groups.comments ?? []) as IToken[];

  let depth = 0;
  for (const t of tokens) {
    const n = t.tokenType.name;
    if (n === 'LBracket' || n === 'LParen' || n === 'LCurly') depth++;
    else if (n === 'RBracket' || n === 'RParen' || n === 'RCurly') depth = Math.max(0, depth - 1);
    if (depth > MAX_NESTING) {
      problems.push({ code: 'MHK0007', message: `brackets are nested more than ${MAX_NESTING} deep`, span: { start: t.startOffset, end: t.startOffset + 1 }, help: 'specs are flat recipes: lists of values and calls with arguments, a few levels deep at most' });
      return done({ comments, tokens });
    }
  }

  const parser = parserInstance();
  parser.input = tokens;
  const cst = parser.spec();
  for (const e of parser.errors) {
    const t = e.token;
    const atEof = t.tokenType === EOF || Number.isNaN(t.startOffset);
    // At the end of the file, point just after the last token (where the missing `}` belongs), not past blank lines.
    const start = atEof ? text.replace(/\s+$/, '').length : t.startOffset;
    problems.push({
      code: atEof ? 'MHK0011' : 'MHK0003',
      message: atEof ? `unexpected end of file: ${e.message.replace(/, found the end of the file$/, '')}` : e.message,
      span: { start, end: atEof ? start : start + t.image.length },
      help: atEof ? 'a block, list or call is not closed; check that every `{`, `[` and `(` has its partner' : undefined,
    });
  }
  if (problems.length) return done({ comments, tokens });

  const builder = new AstBuilder(text);
  const spec = builder.spec(cst, text.length);
  for (const p of builder.problems) problems.push(p);
  return problems.length ? done({ comments, tokens }) : { source, spec, problems, comments, tokens };
}
