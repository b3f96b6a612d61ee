/**
 * rustc/Prisma-style rendering:
 *
 *   error[MHK0404]: student layout has 4 entries but teacher `stories260k` has 5 layers
 *     --> specs/x.mohawk:11:12
 *      |
 *   11 |   layout = [ssm, ssm, ssm, ssm]
 *      |            ^^^^^^^^^^^^^^^^^^^^ 4 entries
 *      |
 *      = help: ...
 *
 * Primary spans are underlined with '^', secondary ones with '-'. Tabs are shown as four spaces.
 */
import type { SourceText } from '../../grammar/source.ts';
import type { Diagnostic, Label } from './diagnostic.ts';

export interface TextRenderOptions {
  color?: boolean;
}

const paint = (on: boolean, code: string, s: string) => (on ? `\u001b[${code}m${s}\u001b[0m` : s);

interface LineMark {
  line: number;
  col: number;
  width: number;
  primary: boolean;
  message?: string;
}

function marks(source: SourceText, label: Label, primary: boolean): LineMark {
  const a = source.position(label.span.start);
  const b = source.position(Math.max(label.span.start, label.span.end));
  const lineLen = source.lineText(a.line).length;
  // A span over several lines is underlined to the end of its first line.
  const endCol = b.line === a.line ? b.column : lineLen + 1;
  return { line: a.line, col: a.column, width: Math.max(1, endCol - a.column), primary, message: label.message };
}

/** Column after expanding tabs, for the caret line. */
function displayCol(text: string, col: number): number {
  let out = 0;
  for (let i = 0; i < col - 1 && i < text.length; i++) out += text[i] === '\t' ? 4 : 1;
  return out + Math.max(0, col - 1 - text.length) + 1;
}

export function renderDiagnostic(d: Diagnostic, source: SourceText | undefined, opts: TextRenderOptions = {}): string {
  const c = !!opts.color;
  const sevColor = d.severity === 'error' ? '1;31' : '1;33';
  const out: string[] = [`${paint(c, sevColor, `${d.severity}[${d.code}]`)}${paint(c, '1', `: ${d.message}`)}`];
  if (!d.primary || !source) {
    out.push(`  --> ${d.file}`);
    for (const n of d.notes) out.push(`   = note: ${n}`);
    if (d.help) out.push(`   = help: ${d.help}`);
    return out.join('\n');
  }
  const all = [marks(source, d.primary, true), ...d.secondary.map((s) => marks(source, s, false))];
  const p = all[0];
  const gutter = String(Math.max(...all.map((m) => m.line))).length;
  const pad = ' '.repeat(gutter);
  const bar = paint(c, '1;34', '|');
  out.push(`${pad}${paint(c, '1;34', '-->')} ${d.file}:${p.line}:${p.col}`);
  out.push(`${pad} ${bar}`);
  const lines = [...new Set(all.map((m) => m.line))].sort((x, y) => x - y);
  let prev = -1;
  for (const line of lines) {
    if (prev >= 0 && line > prev + 1) out.push(paint(c, '1;34', '...'));
    const text = source.lineText(line);
    out.push(`${paint(c, '1;34', String(line).padStart(gutter))} ${bar} ${text.replace(/\t/g, '    ')}`);
    const here = all.filter((m) => m.line === line).sort((x, y) => x.col - y.col);
    for (const m of here) {
      const start = displayCol(text, m.col);
      const end = displayCol(text, m.col + m.width);
      const under = (m.primary ? '^' : '-').repeat(Math.max(1, end - start));
      const mark = `${' '.repeat(start - 1)}${under}${m.message ? ` ${m.message}` : ''}`;
      out.push(`${pad} ${bar} ${paint(c, m.primary ? sevColor : '1;34', mark)}`);
    }
    prev = line;
  }
  if (d.notes.length || d.help) out.push(`${pad} ${bar}`);
  for (const n of d.notes) out.push(`${pad} = note: ${n}`);
  if (d.help) out.push(`${pad} = ${paint(c, '1', 'help')}: ${d.help}`);
  return out.join('\n');
}

export function renderSummary(errors: number, warnings: number, files: number): string {
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
  if (!errors && !warnings) return `ok: ${plural(files, 'spec')} checked`;
  return `${plural(errors, 'error')}, ${plural(warnings, 'warning')} in ${plural(files, 'spec')}`;
}
