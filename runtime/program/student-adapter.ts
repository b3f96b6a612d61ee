/**
 * The assembled student (runtime/student) seen through the interface the stages use (runtime/stages/context.ts).
 */
import type { LayerIR, StudentIR } from '../../compiler/ir/types.ts';
import type { StudentLM } from '../student/model.ts';
import type { StudentModel } from '../stages/context.ts';
import { tf } from '../tensor/backend.ts';

const LAYER_RE = /(?:^|\.)(?:layers|h|blocks)\.(\d+)\./;

export function layerOfName(name: string): number | undefined {
  const m = LAYER_RE.exec(name);
  return m ? Number(m[1]) : undefined;
}

export function stageStudent(model: StudentLM, ir: StudentIR): StudentModel {
  const params = new Map<string, tf.Variable>();
  for (const [name, t] of model.params) {
    if (!(t instanceof tf.Variable)) throw new TypeError(`student parameter '${name}' is not trainable (build the student with trainable: true)`);
    params.set(name, t);
  }
  const layers: readonly LayerIR[] = ir.layers;
  return {
    config: model.config,
    layers,
    params,
    frozen: model.frozen,
    layerOf: layerOfName,
    mixingMatrix: (l, h) => model.layerMatrix(l, h),
    block: (l, h) => model.layerBlock(l, h),
    mixerOutput: (l, h) => model.layerMixer(l, h),
    logits: (ids) => model.forward(ids).logits!,
  };
}
