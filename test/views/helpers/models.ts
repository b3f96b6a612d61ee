/**
 * Models the views tests share: the real stories260K teacher and students assembled on it from a layout
 * (untrained, seeded: decoding, memory and metric plumbing do not depend on training).
 */
import type { LayerIR, MixerIR, StudentIR } from '../../../compiler/ir/types.ts';
import { loadCheckpoint } from '../../../runtime/io/checkpoint.ts';
import { loadTokenizer, type Tokenizer } from '../../../runtime/io/tokenizers/index.ts';
import type { Checkpoint } from '../../../runtime/io/types.ts';
import { buildTeacher } from '../../../runtime/models/index.ts';
import type { TransformerLM } from '../../../runtime/models/transformer.ts';
import { buildStudent, type BuiltStudent } from '../../../runtime/student/build.ts';
import { TEACHER_BIN, TOKENIZER_BIN } from '../../helpers/paths.ts';

let cached: Checkpoint | undefined;
export function teacherCheckpoint(): Checkpoint {
  return (cached ??= loadCheckpoint(TEACHER_BIN));
}

export function teacherModel(): TransformerLM {
  return buildTeacher(teacherCheckpoint());
}

export function tokenizer(): Tokenizer {
  return loadTokenizer(TOKENIZER_BIN, { vocabSize: 512 });
}

export function mixer(chunk = 16): MixerIR {
  return { kind: 'discrete_mamba2', dState: 8, headDim: 8, heads: 8, groups: 8, dInner: 64, expand: 1, convWidth: 4, chunk, dtype: 'f32' };
}

/** 's' = SSM layer, 'a' = kept attention, one letter per teacher layer (stories260K has 5). */
export function studentIR(layout: string, opts: { chunk?: number; init?: StudentIR['init'] } = {}): StudentIR {
  const layers: LayerIR[] = [...layout].map((c, index) =>
    c === 's' ? { index, kind: 'ssm', frozen: false, mixer: mixer(opts.chunk) } : { index, kind: 'attention', frozen: false },
  );
  return { name: `student-${layout}`, layers, init: opts.init ?? 'from_attention', decayInit: 0.9 };
}

export function student(layout: string, opts: { chunk?: number; seed?: number; init?: StudentIR['init']; trainable?: boolean } = {}): BuiltStudent {
  return buildStudent(teacherCheckpoint(), studentIR(layout, opts), { trainable: opts.trainable ?? false, seed: opts.seed ?? 7, embedding: 'gather' });
}
