/** IR fragments and the stories260K teacher for the student tests. */
import type { MixerIR, StudentIR } from '../../../compiler/ir/types.ts';
import { loadLlama2c } from '../../../runtime/io/llama2c.ts';
import type { Checkpoint } from '../../../runtime/io/types.ts';
import { TEACHER_BIN } from '../../helpers/paths.ts';

let teacher: Checkpoint | undefined;
export function stories260K(): Checkpoint {
  teacher ??= loadLlama2c(TEACHER_BIN);
  return teacher;
}

/** The stories260K student mixer of the default recipe: H 8, P 8, N 8, G 8, K 4, Q 64. */
export function storiesMixer(over: Partial<MixerIR> = {}): MixerIR {
  return { kind: 'discrete_mamba2', dState: 8, headDim: 8, heads: 8, groups: 8, dInner: 64, expand: 1, convWidth: 4, chunk: 64, dtype: 'f32', ...over };
}

/** 'S' = SSM layer, 'A' = kept attention, 'F' = kept frozen attention; e.g. 'SSASS'. */
export function studentIR(layout: string, init: StudentIR['init'], mixer: MixerIR = storiesMixer(), decayInit?: number): StudentIR {
  const ir: StudentIR = {
    name: `test-${layout}`,
    init,
    layers: [...layout].map((c, index) =>
      c === 'S' ? { index, kind: 'ssm' as const, frozen: false, mixer } : { index, kind: 'attention' as const, frozen: c === 'F' },
    ),
  };
  if (decayInit !== undefined) ir.decayInit = decayInit;
  return ir;
}
