/**
 * Layer selections: `3`, `0..4` (0–3), `0..=4` (0–4), lists of those, and the student's named sets
 * (`llamba.ssm_layers`, `student.attention_layers`, `student.all_layers`).
 */
import type { Span, Value } from '../../grammar/ast.ts';
import { pathText } from '../../grammar/ast.ts';
import { suggest } from '../util/suggest.ts';
import type { Ctx } from './context.ts';
import { describe, noAttrs } from './values.ts';

export interface IndexItem {
  index: number;
  frozen: boolean;
  span: Span;
}

export const STUDENT_MEMBERS = ['ssm_layers', 'attention_layers', 'all_layers'] as const;
export type StudentMember = (typeof STUDENT_MEMBERS)[number];

export interface LayerEnv {
  studentName?: string;
  /** Resolves a member of the student; undefined when the layout is unknown (then no error is added). */
  member?: (m: StudentMember) => number[] | undefined;
  allowFrozen?: boolean;
}

function intLiteral(ctx: Ctx, v: Value, key: string): number | undefined {
  noAttrs(ctx, v);
  if (v.type === 'number' && Number.isInteger(v.value) && v.suffix === '') return v.value;
  if (v.type !== 'bad') ctx.error('MHK0206', v.span, `range bounds in \`${key}\` are whole numbers, found ${describe(v)}`);
  return undefined;
}

/** Reads an index selection; reports shape errors but not out-of-range indices (the caller knows the bound). */
export function readIndexList(ctx: Ctx, v: Value, key: string, env: LayerEnv = {}): IndexItem[] | undefined {
  const out: IndexItem[] = [];
  let ok = true;
  const item = (x: Value, top: boolean): void => {
    if (x.type === 'list' && top) {
      noAttrs(ctx, x);
      x.items.forEach((i) => item(i, false));
      return;
    }
    if (x.type === 'number') {
      let frozen = false;
      for (const a of x.attrs) {
        if (a.name.text !== 'frozen') {
          ctx.error('MHK0110', a.name.span, `unknown attribute \`@${a.name.text}\``, { help: 'the only attribute is `@frozen`' });
          ok = false;
        } else if (!env.allowFrozen || a.args) {
          ctx.error('MHK0204', a.span, env.allowFrozen ? '`@frozen` takes no arguments' : `\`@frozen\` cannot be attached to a layer in \`${key}\``, { help: 'mark kept attention layers `@frozen` in the student block' });
          ok = false;
        } else frozen = true;
      }
      if (x.suffix !== '' || !Number.isInteger(x.value)) {
        ctx.error(x.suffix === '' ? 'MHK0202' : 'MHK0203', x.span, `a layer index is a plain whole number, found \`${x.text}\``);
        ok = false;
        return;
      }
      out.push({ index: x.value, frozen, span: x.span });
      return;
    }
    if (x.type === 'range') {
      noAttrs(ctx, x);
      const a = intLiteral(ctx, x.from, key);
      const b = intLiteral(ctx, x.to, key);
      if (a === undefined || b === undefined) {
        ok = false;
        return;
      }
      const end = x.inclusive ? b + 1 : b;
      if (end <= a) {
        ctx.error('MHK0308', x.span, `the range \`${a}${x.inclusive ? '..=' : '..'}${b}\` is empty`, { help: '`a..b` is a ≤ i < b; `a..=b` is a ≤ i ≤ b' });
        ok = false;
        return;
      }
      if (end - a > 100_000) {
        ctx.error('MHK0307', x.span, `the range \`${a}..${b}\` is far larger than any model's layer count`);
        ok = false;
        return;
      }
      for (let i = a; i < end; i++) out.push({ index: i, frozen: false, span: x.span });
      return;
    }
    if (x.type === 'path' && !x.args && x.parts.length === 2 && env.member) {
      noAttrs(ctx, x);
      const [owner, member] = x.parts;
      if (owner.text !== 'student' && owner.text !== env.studentName) {
        const near = suggest(owner.text, ['student', ...(env.studentName ? [env.studentName] : [])]);
        ctx.error('MHK0105', owner.span, `\`${owner.text}\` is not the student`, { help: `${near ? `did you mean \`${near}\`? ` : ''}write \`${env.studentName ?? 'student'}.ssm_layers\` or \`student.ssm_layers\`` });
        ok = false;
        return;
      }
      if (!(STUDENT_MEMBERS as readonly string[]).includes(member.text)) {
        const near = suggest(member.text, STUDENT_MEMBERS);
        ctx.error('MHK0111', member.span, `the student has no member \`${member.text}\``, { help: `${near ? `did you mean \`${near}\`? ` : ''}members: ${STUDENT_MEMBERS.map((m) => `\`${m}\``).join(', ')}` });
        ok = false;
        return;
      }
      const idx = env.member(member.text as StudentMember);
      if (idx === undefined) {
        ok = false;
        return;
      }
      for (const i of idx) out.push({ index: i, frozen: false, span: x.span });
      return;
    }
    ok = false;
    if (x.type === 'path' && x.parts.length === 2 && !env.member) {
      ctx.error('MHK0201', x.span, `\`${key}\` takes layer indices here, not the reference \`${pathText(x)}\``);
      return;
    }
    if (x.type !== 'bad') ctx.error('MHK0201', x.span, `\`${key}\` expects layer indices (\`2\`, \`0..4\`, \`[0, 2]\`${env.member ? ', `student.ssm_layers`' : ''}), found ${describe(x)}`);
  };
  item(v, true);
  if (!ok) return undefined;
  const seen = new Map<number, Span>();
  for (const it of out) {
    const first = seen.get(it.index);
    if (first && first !== it.span) ctx.error('MHK0312', it.span, `layer ${it.index} is listed twice`, { secondary: [{ span: first, message: 'first here' }] });
    if (!first) seen.set(it.index, it.span);
  }
  const kept = new Set<number>();
  return out.filter((it) => !kept.has(it.index) && kept.add(it.index));
}
