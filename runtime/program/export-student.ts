/**
 * Writes the trained student as a Hugging Face-style folder: model.safetensors (parameters under their HF
 * names and shapes, linear weights [out, in], conv1d [C, 1, K]) and config.json (the architecture, plus a
 * `mohawk` section with the exact TransformerConfig and StudentIR to rebuild it).
 *
 * Interim exporter of the pipeline until runtime/student ships its own (request in coord/requests).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { StudentIR } from '../../compiler/ir/types.ts';
import { writeFileAtomic } from '../io/atomic-write.ts';
import { writeSafetensors } from '../io/safetensors.ts';
import type { HostTensor } from '../io/types.ts';
import type { BuiltStudent } from '../student/build.ts';
import { tf } from '../tensor/backend.ts';

export const STUDENT_WEIGHTS = 'model.safetensors';
export const STUDENT_CONFIG = 'config.json';

/** Every parameter in its checkpoint layout; row pieces of a fused tensor are put back together. */
export async function studentHostTensors(built: BuiltStudent): Promise<Map<string, HostTensor>> {
  const pieces = new Map<string, { rows: [number, number]; t: HostTensor }[]>();
  const out = new Map<string, HostTensor>();
  for (const [key, t] of built.model.params) {
    const lay = built.layout.get(key);
    if (!lay) throw new Error(`export: no layout for student parameter '${key}'`);
    const hf = tf.tidy(() => {
      if (lay.role === 'linear') return t.transpose();
      if (lay.role === 'conv') return t.transpose().reshape(lay.shape);
      return t.clone();
    });
    const host = { shape: [...lay.shape], data: new Float32Array((await hf.data()) as Float32Array) };
    hf.dispose();
    if (!lay.rows) out.set(lay.name, host);
    else (pieces.get(lay.name) ?? pieces.set(lay.name, []).get(lay.name)!).push({ rows: lay.rows, t: host });
  }
  for (const [name, parts] of pieces) {
    parts.sort((a, b) => a.rows[0] - b.rows[0]);
    const cols = parts[0].t.shape.length === 2 ? parts[0].t.shape[1] : 1;
    const rows = parts.reduce((n, p) => n + (p.rows[1] - p.rows[0]), 0);
    const data = new Float32Array(rows * cols);
    let at = 0;
    for (const p of parts) {
      data.set(p.t.data, at);
      at += p.t.data.length;
    }
    out.set(name, { shape: parts[0].t.shape.length === 2 ? [rows, cols] : [rows], data });
  }
  return out;
}

export function studentConfig(built: BuiltStudent, ir: StudentIR): Record<string, unknown> {
  const c = built.model.config;
  const ssm = ir.layers.filter((l) => l.kind === 'ssm');
  return {
    architectures: ['MohawkStudentForCausalLM'],
    model_type: 'mohawk_student',
    teacher_family: c.family,
    hidden_size: c.dModel,
    num_hidden_layers: c.layers,
    num_attention_heads: c.heads,
    num_key_value_heads: c.kvHeads,
    head_dim: c.headDim,
    intermediate_size: c.ffnHidden,
    vocab_size: c.vocab,
    max_position_embeddings: c.maxSeqLen,
    norm_eps: c.normEps,
    rope_theta: c.ropeTheta,
    tie_word_embeddings: c.tiedEmbeddings,
    attention_layers: ir.layers.filter((l) => l.kind === 'attention').map((l) => l.index),
    ssm_layers: ssm.map((l) => l.index),
    ssm_cfg: ssm[0]?.mixer,
    mohawk: { transformer: c, student: ir },
  };
}

export async function exportStudent(built: BuiltStudent, ir: StudentIR, dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  writeSafetensors(join(dir, STUDENT_WEIGHTS), await studentHostTensors(built), { format: 'pt' });
  writeFileAtomic(join(dir, STUDENT_CONFIG), [Buffer.from(JSON.stringify(studentConfig(built, ir), null, 2) + '\n', 'utf8')]);
}
