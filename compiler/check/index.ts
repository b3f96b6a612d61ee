/**
 * The checker: AST → diagnostics and, when there are no errors, the IR. Phases: blocks (kinds, names,
 * duplicates) → teacher (header) → student (shapes) → data → stages → kernels → eval. Syntax errors stop
 * everything before this (parse.ts), so no rule runs on a half-parsed file.
 */
import type { Block, Spec } from '../../grammar/ast.ts';
import type { SourceText } from '../../grammar/source.ts';
import type { DiagnosticSink } from '../diagnostics/diagnostic.ts';
import { IR_SCHEMA_VERSION, type MohawkIR } from '../ir/types.ts';
import { suggest } from '../util/suggest.ts';
import { Ctx, type CheckOptions } from './context.ts';
import { checkDataBlocks, reportUnused } from './data.ts';
import { EDITIONS, editionDefaults } from './defaults.ts';
import { checkEval } from './eval.ts';
import { BLOCK_KINDS, type BlockKind } from './keys.ts';
import { checkKernels } from './kernels.ts';
import { checkStages } from './stages.ts';
import { checkStudent, studentIR } from './student.ts';
import { checkTeacher, teacherIR } from './teacher.ts';

const NAMED: Record<BlockKind, 'required' | 'optional' | 'none'> = {
  teacher: 'required',
  student: 'required',
  data: 'required',
  stage: 'required',
  defaults: 'none',
  eval: 'none',
  kernels: 'optional',
};
const SINGLE: BlockKind[] = ['teacher', 'student', 'defaults', 'kernels', 'eval'];

interface Blocks {
  byKind: Map<BlockKind, Block[]>;
  /** Kinds written in the spec (even if that block had a naming error), or suggested for an unknown kind. */
  mentioned: Set<string>;
}

function collectBlocks(ctx: Ctx, spec: Spec): Blocks {
  const byKind = new Map<BlockKind, Block[]>(BLOCK_KINDS.map((k) => [k, []]));
  const byName = new Map<string, Block>();
  const mentioned = new Set<string>();
  for (const b of spec.blocks) {
    const kind = b.kind.text;
    mentioned.add(kind);
    if (!(BLOCK_KINDS as readonly string[]).includes(kind)) {
      const near = suggest(kind, BLOCK_KINDS);
      if (near) mentioned.add(near);
      ctx.error('MHK0101', b.kind.span, `unknown block kind \`${kind}\``, { help: `${near ? `did you mean \`${near}\`? ` : ''}blocks: ${BLOCK_KINDS.map((k) => `\`${k}\``).join(', ')}` });
      continue;
    }
    const k = kind as BlockKind;
    if (NAMED[k] === 'required' && !b.name) {
      ctx.error('MHK0108', b.kind.span, `a \`${k}\` block needs a name`, { help: k === 'stage' ? 'e.g. `stage orient : matrix_orientation { … }`' : `e.g. \`${k} ${k === 'teacher' ? 'stories260k' : k === 'student' ? 'llamba' : 'train'} { … }\`` });
      continue;
    }
    if (NAMED[k] === 'none' && b.name) {
      ctx.error('MHK0108', b.name.span, `a \`${k}\` block takes no name`, { help: `write \`${k} { … }\`` });
      continue;
    }
    if (k === 'stage' && !b.stageKind) {
      ctx.error('MHK0108', b.name!.span, `stage \`${b.name!.text}\` needs a kind: \`stage ${b.name!.text} : KIND { … }\``, { help: 'kinds: `matrix_orientation`, `hidden_state_alignment`, `end_to_end`' });
      continue;
    }
    if (k !== 'stage' && b.stageKind) {
      ctx.error('MHK0108', b.stageKind.span, `only stages take a kind after ':'`, { help: `write \`${k}${b.name ? ` ${b.name.text}` : ''} { … }\`` });
      continue;
    }
    const list = byKind.get(k)!;
    const dup = SINGLE.includes(k) ? list[0] : byName.get(`${k} ${b.name!.text}`);
    if (dup) {
      ctx.error('MHK0104', b.header, SINGLE.includes(k) ? `a spec has one \`${k}\` block; this is a second` : `a second ${k} named \`${b.name!.text}\``, { secondary: [{ span: dup.header, message: 'first one here' }] });
      continue;
    }
    list.push(b);
    if (b.name) byName.set(`${k} ${b.name.text}`, b);
  }
  return { byKind, mentioned };
}

export interface CheckResult {
  ir?: MohawkIR;
}

export function checkSpec(spec: Spec, source: SourceText, sink: DiagnosticSink, opts: CheckOptions): CheckResult {
  const start = sink.list.length;
  const defaults = editionDefaults(spec.edition?.version);
  if (!defaults) {
    // Only a written edition can be unknown (a missing line means 0.1).
    sink.report('MHK0008', spec.edition!.versionSpan, `edition ${spec.edition!.version} is not supported by this compiler`, { help: `supported: ${EDITIONS.join(', ')}` });
    return {};
  }
  const ctx = new Ctx(sink, source, opts, defaults);
  if (!spec.edition) ctx.error('MHK0004', { start: 0, end: 0 }, 'the spec does not start with its edition', { help: 'add `mohawk 0.1` as the first line' });
  const { byKind: blocks, mentioned } = collectBlocks(ctx, spec);
  const first = (k: BlockKind) => blocks.get(k)![0];
  const wholeFile = { start: 0, end: 0 };
  const EXAMPLE: Record<string, string> = {
    teacher: 'e.g. `teacher stories260k { checkpoint = "stories260K/stories260K.bin", tokenizer = "stories260K/tok512.bin" }`',
    student: 'e.g. `student llamba { mixer = discrete_mamba2(d_state: 8) }`',
    stage: 'e.g. `stage distil : end_to_end { tokens = 2M }`',
  };
  // A block that is there but misnamed or misspelt has its own error; do not also call it missing.
  for (const k of ['teacher', 'student', 'stage'] as const)
    if (!mentioned.has(k)) ctx.error('MHK0109', wholeFile, `the spec has no \`${k}\` block`, { help: EXAMPLE[k] });

  const teacher = first('teacher') ? checkTeacher(ctx, first('teacher')) : undefined;
  const student = first('student') ? checkStudent(ctx, first('student'), teacher) : undefined;
  const data = checkDataBlocks(ctx, blocks.get('data')!);
  const stages = checkStages(ctx, blocks.get('stage')!, first('defaults'), { teacher, student, data, stageNames: blocks.get('stage')!.map((b) => b.name!.text) });
  reportUnused(ctx, data);
  const kernels = checkKernels(ctx, first('kernels'), student);
  const evalIR = checkEval(ctx, first('eval'));

  const errors = sink.list.slice(start).some((d) => d.severity === 'error');
  const t = teacher ? teacherIR(teacher) : undefined;
  const s = student ? studentIR(student) : undefined;
  if (errors || !t || !s || !stages || !kernels || !evalIR || !stages.length) return {};
  const ir: MohawkIR = {
    schemaVersion: IR_SCHEMA_VERSION,
    edition: spec.edition?.version ?? EDITIONS[0],
    spec: source.file,
    teacher: t,
    student: s,
    data: [...data.sources.values()].map((d) => d.ir!),
    stages,
    kernels,
    eval: evalIR,
  };
  return { ir };
}
