/**
 * Mixer shapes and parameter layout, from the IR (method.md §1.3; MambaInLlama for the GQA variant).
 *
 * Parameters carry their Hugging Face names and shapes on the host and in checkpoints/exports
 * (`in_proj.weight` [out, in], `conv1d.weight` [conv_dim, 1, K], ...). On device they are held in a
 * compute layout instead, converted once at import/export: linear weights as [in, out] (on wasm only the
 * 2-D non-transposed matMul is fast), the conv weight as [K, conv_dim] (one row per tap).
 *
 * in_proj output order
 *   discrete_mamba2: [x | B | C | z | a]   (phi-mamba / Llamba)
 *   mamba2:          [z | x | B | C | dt]  (mamba_ssm / MambaInLlama)
 * x has width X·P and B width X_B·N, where without kvHeads X = H and X_B = G; with kvHeads (GQA-aware
 * variant) both are kvHeads wide and are repeated by whole head blocks after the conv (x to H heads, B to
 * G groups). C always has G·N. The conv runs over [x | B | C].
 */
import type { MixerIR, MixerKind } from '../../compiler/ir/types.ts';
import type { HostTensor } from '../io/types.ts';
import { tf } from '../tensor/backend.ts';
import { MixerShapeError } from './ssd-inputs.ts';

export interface MixerDims {
  kind: MixerKind;
  dModel: number;
  dInner: number;
  /** H, P, G, N, K, Q */
  h: number;
  p: number;
  g: number;
  n: number;
  k: number;
  q: number;
  /** Heads of x and groups of B as projected (kvHeads in the GQA variant, else H and G). */
  xHeads: number;
  bGroups: number;
  convDim: number;
  inProjOut: number;
  /**
   * Biases on in_proj and out_proj (phi-mamba/Llamba `bias=True`). A discrete mixer with biases has no
   * separate z_bias (the z part of in_proj.bias plays its role); it is how a decay initialisation is carried,
   * since without a bias the decay input a is a pure projection of the normed hidden state.
   */
  bias: boolean;
}

export const OPEN_GATE_Z_BIAS = 1.278464542761; // SiLU(b) = 1
export const GATED_NORM_EPS = 1e-5;

export function mixerDims(ir: MixerIR, dModel: number, opts: { bias?: boolean } = {}): MixerDims {
  const { heads: h, headDim: p, groups: g, dState: n, convWidth: k, chunk: q, dInner } = ir;
  const bad = (m: string) => new MixerShapeError(`mixer ${ir.kind}: ${m}`);
  for (const [name, v] of Object.entries({ heads: h, headDim: p, groups: g, dState: n, convWidth: k, chunk: q, dInner, dModel }))
    if (!(Number.isInteger(v) && v >= 1)) throw bad(`${name} must be a positive integer, got ${v}`);
  if (h * p !== dInner) throw bad(`heads·headDim = ${h}·${p} = ${h * p} must equal dInner ${dInner}`);
  if (h % g !== 0) throw bad(`groups ${g} must divide heads ${h}`);
  let xHeads = h;
  let bGroups = g;
  if (ir.kvHeads !== undefined) {
    const kv = ir.kvHeads;
    if (!(Number.isInteger(kv) && kv >= 1 && h % kv === 0 && g % kv === 0))
      throw bad(`kvHeads ${kv} must divide both heads ${h} and groups ${g}`);
    xHeads = kv;
    bGroups = kv;
  }
  const convDim = xHeads * p + bGroups * n + g * n;
  return { kind: ir.kind, dModel, dInner, h, p, g, n, k, q, xHeads, bGroups, convDim, inProjOut: convDim + dInner + h, bias: opts.bias ?? false };
}

export type ParamRole = 'linear' | 'conv' | 'vector';

export interface ParamSpec {
  name: string;
  /** Hugging Face shape. */
  shape: number[];
  role: ParamRole;
}

/** Every parameter of a mixer with its HF name (relative to `...mixer.`) and shape. */
export function mixerParamSpecs(d: MixerDims): ParamSpec[] {
  const common: ParamSpec[] = [
    { name: 'in_proj.weight', shape: [d.inProjOut, d.dModel], role: 'linear' },
    { name: 'conv1d.weight', shape: [d.convDim, 1, d.k], role: 'conv' },
    { name: 'conv1d.bias', shape: [d.convDim], role: 'vector' },
    { name: 'D', shape: [d.h], role: 'vector' },
    { name: 'out_proj.weight', shape: [d.dModel, d.dInner], role: 'linear' },
  ];
  if (d.bias)
    common.push({ name: 'in_proj.bias', shape: [d.inProjOut], role: 'vector' }, { name: 'out_proj.bias', shape: [d.dModel], role: 'vector' });
  if (d.kind === 'discrete_mamba2') return d.bias ? common : [...common, { name: 'z_bias', shape: [d.dInner], role: 'vector' }];
  return [
    ...common,
    { name: 'dt_bias', shape: [d.h], role: 'vector' },
    { name: 'A_log', shape: [d.h], role: 'vector' },
    { name: 'norm.weight', shape: [d.dInner], role: 'vector' },
  ];
}

/** Widths of the in_proj output blocks, in order, by name. */
export function inProjBlocks(d: MixerDims): [string, number][] {
  const x = d.xHeads * d.p;
  const b = d.bGroups * d.n;
  const c = d.g * d.n;
  return d.kind === 'discrete_mamba2'
    ? [['x', x], ['B', b], ['C', c], ['z', d.dInner], ['a', d.h]]
    : [['z', d.dInner], ['x', x], ['B', b], ['C', c], ['dt', d.h]];
}

/** Row range of a named block inside in_proj.weight (HF layout rows). */
export function inProjRows(d: MixerDims, block: string): [number, number] {
  let at = 0;
  for (const [name, w] of inProjBlocks(d)) {
    if (name === block) return [at, at + w];
    at += w;
  }
  throw new MixerShapeError(`mixer ${d.kind} has no in_proj block '${block}'`);
}

/** Host (HF layout) → device tensor in compute layout. */
export function toCompute(spec: ParamSpec, host: HostTensor): tf.Tensor {
  checkHostShape(spec, host);
  return tf.tidy(() => {
    const t = tf.tensor(host.data, host.shape);
    if (spec.role === 'linear') return t.transpose();
    if (spec.role === 'conv') return t.reshape([spec.shape[0], spec.shape[2]]).transpose();
    return t;
  });
}

/** Device tensor in compute layout → host (HF layout). */
export async function toHost(spec: ParamSpec, t: tf.Tensor): Promise<HostTensor> {
  const hf = tf.tidy(() => {
    if (spec.role === 'linear') return t.transpose();
    if (spec.role === 'conv') return t.transpose().reshape(spec.shape);
    return t.clone();
  });
  const data = (await hf.data()) as Float32Array;
  hf.dispose();
  return { shape: [...spec.shape], data: Float32Array.from(data) };
}

export function checkHostShape(spec: ParamSpec, host: HostTensor): void {
  const ok = host.shape.length === spec.shape.length && host.shape.every((v, i) => v === spec.shape[i]);
  if (!ok) throw new MixerShapeError(`mixer parameter ${spec.name}: shape [${host.shape}], expected [${spec.shape}]`);
  const count = spec.shape.reduce((a, b) => a * b, 1);
  if (host.data.length !== count) throw new MixerShapeError(`mixer parameter ${spec.name}: ${host.data.length} values for shape [${spec.shape}]`);
}

/**
 * Chunk length for the tfjs chunked form. The IR's chunk Q specialises the generated kernels; on tfjs the
 * best length is smaller, because intra-chunk work grows with Q·(N+P) while the op count does not depend on
 * the number of chunks. Measured on wasm at B 8, T 256, H 8, P = N = 8 (docs/students.md): Q 16 takes
 * ~0.45× the CPU time of Q 64 (forward + backward). The rule keeps Q near 4·P·N/(P+N), in steps of 16.
 * Results do not depend on it beyond float rounding.
 */
export function tfjsChunk(d: MixerDims): number {
  const balance = (4 * d.p * d.n) / (d.p + d.n);
  return Math.min(d.q, Math.max(16, 16 * Math.round(balance / 16)));
}
