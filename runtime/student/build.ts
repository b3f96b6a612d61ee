/**
 * Builds a StudentLM from the teacher's checkpoint and the IR's student section: the teacher's weights for
 * everything but the SSM layers' attention (which is dropped), and a fresh mixer per SSM layer, initialised
 * by the MOHAWK recipe or from that layer's attention (init.ts, from-attention.ts).
 *
 * Parameter names are the checkpoint's Hugging Face names, plus `<layer prefix>mixer.<name>` for mixers
 * (e.g. `model.layers.3.mixer.in_proj.weight`), as in Llamba / phi-mamba checkpoints.
 */
import type { StudentIR } from '../../compiler/ir/types.ts';
import type { Checkpoint } from '../io/types.ts';
import { familySource } from '../models/index.ts';
import { buildWeights, type LinearSource } from '../models/weights.ts';
import { mixerDims, mixerParamSpecs, toCompute, type ParamRole } from '../mixers/layout.ts';
import { Mixer, type MixerParams } from '../mixers/mixer.ts';
import { tf } from '../tensor/backend.ts';
import { Rng } from '../train/rng.ts';
import { initFromAttention } from './from-attention.ts';
import { initMixer } from './init.ts';
import { StudentLM, type StudentLayer } from './model.ts';
import { attentionFromCheckpoint } from './teacher-attention.ts';

/** The student's layout does not fit its teacher (the message says how). */
export class StudentLayoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StudentLayoutError';
  }
}

export interface StudentBuildOptions {
  /** tf.Variables (default) or constants. */
  trainable?: boolean;
  /** Seed of the mixers' random init (default 0). Each layer draws from its own stream. */
  seed?: number;
  /** Prefix for Variable names (tfjs names are global). */
  namePrefix?: string;
  /** Embedding lookup: 'onehot' differentiates on wasm (default when trainable), 'gather' is faster. */
  embedding?: 'gather' | 'onehot';
}

/** How a device parameter maps back to its checkpoint tensor (used by export). */
export interface ParamLayout {
  /** Checkpoint name (for a row range of a fused tensor: the fused tensor's name). */
  name: string;
  role: ParamRole;
  /** HF shape of this piece. */
  shape: number[];
  /** Rows of the fused [out, in] tensor (or elements of its bias) this piece is. */
  rows?: [number, number];
}

export interface BuiltStudent {
  model: StudentLM;
  /** Device name → checkpoint layout, for every parameter in model.params. */
  layout: Map<string, ParamLayout>;
  /** Things the init could not carry over (e.g. biases into a bias-free mixer). */
  notes: string[];
}

let counter = 0;

export function buildStudent(ckpt: Checkpoint, ir: StudentIR, opts: StudentBuildOptions = {}): BuiltStudent {
  const cfg = ckpt.config;
  if (ir.layers.length !== cfg.layers)
    throw new StudentLayoutError(`student '${ir.name}' has ${ir.layers.length} layers; its teacher ${ckpt.path} has ${cfg.layers}`);
  ir.layers.forEach((l, i) => {
    if (l.index !== i) throw new StudentLayoutError(`student '${ir.name}': layer ${i} is listed with index ${l.index}`);
    if (l.kind === 'ssm' && !l.mixer) throw new StudentLayoutError(`student '${ir.name}': SSM layer ${i} has no mixer`);
  });
  const trainable = opts.trainable ?? true;
  const prefix = opts.namePrefix ?? `student${counter++}`;
  const src = familySource(ckpt);
  const built = buildWeights(ckpt, src, { trainable, namePrefix: `${prefix}/teacher` });
  const layout = new Map<string, ParamLayout>();
  const notes: string[] = [];

  // Teacher parameters: linear weights were transposed to [in, out]; fused row ranges keep a [r0:r1] suffix.
  const linearNames = new Set<string>();
  const addLinear = (s: LinearSource | undefined) => {
    if (!s) return;
    linearNames.add(s.rows ? `${s.weight}[${s.rows[0]}:${s.rows[1]}]` : s.weight);
  };
  for (const l of src.layers) [l.q, l.k, l.v, l.o, l.gate, l.up, l.down].forEach(addLinear);
  addLinear(src.head);
  for (const [key, t] of built.params) {
    const m = /^(.*)\[(\d+):(\d+)\]$/.exec(key);
    const name = m ? m[1] : key;
    const rows: [number, number] | undefined = m ? [Number(m[2]), Number(m[3])] : undefined;
    const linear = linearNames.has(key);
    const dims2 = t.shape as number[];
    const shape = linear ? [dims2[1], dims2[0]] : [...dims2];
    layout.set(key, { name, role: linear ? 'linear' : 'vector', shape, rows });
  }

  const layers: StudentLayer[] = [];
  const frozen = new Set<string>();
  /** Device keys of layer i's attention projections (a fused tensor's row ranges carry a [r0:r1] suffix). */
  const attentionKeys = (i: number): string[] => {
    const s = src.layers[i];
    return [s.q, s.k, s.v, s.o].flatMap((lin) =>
      (lin.rows ? [`${lin.weight}[${lin.rows[0]}:${lin.rows[1]}]`, lin.bias && `${lin.bias}[${lin.rows[0]}:${lin.rows[1]}]`] : [lin.weight, lin.bias]).filter(
        (k): k is string => !!k && built.params.has(k),
      ),
    );
  };
  for (let i = 0; i < cfg.layers; i++) {
    const l = ir.layers[i];
    const norm = src.layers[i].attnNorm.weight;
    const at = norm.indexOf(`.${i}.`);
    const layerPrefix = at >= 0 ? norm.slice(0, at + `.${i}.`.length) : `model.layers.${i}.`;
    if (l.kind === 'attention') {
      layers.push({ index: i, kind: 'attention', frozen: l.frozen, prefix: layerPrefix });
      if (l.frozen) for (const k of attentionKeys(i)) frozen.add(k);
      continue;
    }
    // The SSM layer's attention is not part of the student.
    for (const k of attentionKeys(i)) {
      built.params.get(k)!.dispose();
      built.params.delete(k);
      layout.delete(k);
    }
    const mir = l.mixer!;
    if (mir.dInner !== mir.expand * cfg.dModel)
      throw new StudentLayoutError(`student layer ${i}: d_inner ${mir.dInner} ≠ expand ${mir.expand} × d_model ${cfg.dModel}`);
    const bias = (mir.kind === 'discrete_mamba2' && ir.decayInit !== undefined) || (ir.init === 'from_attention' && cfg.attnBias);
    const dims = mixerDims(mir, cfg.dModel, { bias });
    let host = initMixer(dims, { rng: Rng.fromSeed(opts.seed ?? 0, `student-init-layer-${i}`), layers: cfg.layers, decayInit: ir.decayInit });
    if (ir.init === 'from_attention') {
      const r = initFromAttention(dims, host, attentionFromCheckpoint(ckpt, i));
      host = r.params;
      notes.push(...r.notes.map((n) => `layer ${i}: ${n}`));
    }
    const params: MixerParams = {};
    for (const spec of mixerParamSpecs(dims)) {
      const name = `${layerPrefix}mixer.${spec.name}`;
      const value = toCompute(spec, host.get(spec.name)!);
      const p = trainable ? tf.variable(value, true, `${prefix}/${name}`) : value;
      if (trainable) value.dispose();
      params[spec.name] = p;
      built.params.set(name, p);
      layout.set(name, { name, role: spec.role, shape: [...spec.shape] });
    }
    layers.push({ index: i, kind: 'ssm', frozen: false, mixer: new Mixer(dims, params), prefix: layerPrefix });
  }
  const owned = [...new Set([...built.params.values(), ...built.derived])];
  const embedding = opts.embedding ?? (trainable ? 'onehot' : 'gather');
  const model = new StudentLM(cfg, built.weights, layers, built.params, owned, embedding, frozen);
  return { model, layout, notes };
}
