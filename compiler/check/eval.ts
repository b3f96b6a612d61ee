/** The `eval` block: held-out text, protocol (paragraphs or windows) and an optional cap for quick runs. */
import type { Block } from '../../grammar/ast.ts';
import type { EvalIR } from '../ir/types.ts';
import type { Ctx } from './context.ts';
import { displayPath, resolveSpecPath } from './data-path.ts';
import { readName, readNumber, readString } from './values.ts';

const EVAL_PROTOCOLS = ['paragraphs', 'windows'] as const;

export function checkEval(ctx: Ctx, block: Block | undefined): EvalIR | undefined {
  if (!block) return { ...ctx.defaults.eval };
  const s = ctx.settings(block, 'eval');
  let ok = true;
  const out: EvalIR = { ...ctx.defaults.eval };
  const dataE = s.get('data');
  if (dataE) {
    const path = readString(ctx, dataE.value, 'data');
    if (path === undefined) ok = false;
    else {
      const r = resolveSpecPath(path, ctx.opts.specDir, ctx.opts.dataDir);
      if (!r.exists) {
        ctx.error('MHK0901', dataE.value.span, `evaluation file \`${path}\` not found`, { label: 'no such file', notes: [`looked in: ${r.tried.map(displayPath).join(', ')}`] });
        ok = false;
      }
      out.data = path;
    }
  }
  const protoE = s.get('protocol');
  if (protoE) {
    if (protoE.value.type === 'path' && protoE.value.parts.length === 1 && protoE.value.parts[0].text === 'lines' && !protoE.value.args) {
      ctx.error('MHK0603', protoE.value.span, 'evaluation reads `paragraphs` or `windows`, not `lines`', { help: '`lines` concatenates lines into one training stream; evaluation scores whole paragraphs or fixed windows' });
      ok = false;
    } else {
      const p = readName(ctx, protoE.value, 'protocol', EVAL_PROTOCOLS, 'evaluation protocol');
      if (p === undefined) ok = false;
      else out.protocol = p;
    }
  }
  const maxE = s.get('max_sequences');
  if (maxE) {
    const m = readNumber(ctx, maxE.value, 'max_sequences', 'count', { min: 1 });
    if (m === undefined) ok = false;
    else out.maxSequences = m;
  }
  return ok ? out : undefined;
}
