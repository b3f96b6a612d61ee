/** Random mixers for tests: HF-layout float64 parameters, the same as device tensors, and the f64 config. */
import type { MixerIR, MixerKind } from '../../../compiler/ir/types.ts';
import { tf } from '../../../runtime/tensor/backend.ts';
import { mixerDims, mixerParamSpecs, toCompute, type MixerDims } from '../../../runtime/mixers/layout.ts';
import { Mixer, type MixerParams } from '../../../runtime/mixers/mixer.ts';
import type { MixerF64Config, ParamsF64 } from '../../helpers/reference/mixer-f64.ts';
import { makeRng, randn, randu } from '../../helpers/reference/random.ts';

export interface MixerCase {
  kind: MixerKind;
  dModel: number;
  h: number;
  p: number;
  g: number;
  n: number;
  k: number;
  q: number;
  kvHeads?: number;
  bias?: boolean;
}

export function mixerIR(c: MixerCase): MixerIR {
  const ir: MixerIR = {
    kind: c.kind,
    dState: c.n,
    headDim: c.p,
    heads: c.h,
    groups: c.g,
    dInner: c.h * c.p,
    expand: (c.h * c.p) / c.dModel,
    convWidth: c.k,
    chunk: c.q,
    dtype: 'f32',
  };
  if (c.kvHeads !== undefined) ir.kvHeads = c.kvHeads;
  return ir;
}

export function f64Config(c: MixerCase): MixerF64Config {
  return { kind: c.kind, dModel: c.dModel, h: c.h, p: c.p, g: c.g, n: c.n, k: c.k, kvHeads: c.kvHeads, bias: c.bias };
}

/** Parameters drawn so every path matters: non-identity conv, non-trivial gate, D ≠ 1, real decays. */
export function randomParamsF64(d: MixerDims, seed: number): ParamsF64 {
  const rng = makeRng(seed);
  const out: ParamsF64 = {};
  for (const spec of mixerParamSpecs(d)) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    switch (spec.name) {
      case 'in_proj.weight':
        out[spec.name] = randn(rng, size, 1 / Math.sqrt(d.dModel));
        break;
      case 'out_proj.weight':
        out[spec.name] = randn(rng, size, 1 / Math.sqrt(d.dInner));
        break;
      case 'conv1d.weight':
        out[spec.name] = randn(rng, size, 0.5);
        break;
      case 'D':
      case 'norm.weight':
        out[spec.name] = randn(rng, size, 0.3, 1);
        break;
      case 'dt_bias':
        out[spec.name] = randu(rng, size, 0.001, 0.1).map((dt) => dt + Math.log(-Math.expm1(-dt)));
        break;
      case 'A_log':
        out[spec.name] = randu(rng, size, 1, 16).map(Math.log);
        break;
      default:
        out[spec.name] = randn(rng, size, 0.5);
    }
  }
  return out;
}

export function deviceParams(d: MixerDims, prm: ParamsF64): MixerParams {
  const out: MixerParams = {};
  for (const spec of mixerParamSpecs(d)) out[spec.name] = toCompute(spec, { shape: spec.shape, data: Float32Array.from(prm[spec.name]) });
  return out;
}

export function buildMixer(c: MixerCase, seed: number): { mixer: Mixer; prm: ParamsF64; dims: MixerDims } {
  const dims = mixerDims(mixerIR(c), c.dModel, { bias: c.bias });
  const prm = randomParamsF64(dims, seed);
  return { mixer: new Mixer(dims, deviceParams(dims, prm)), prm, dims };
}

export function randomInput(b: number, t: number, dModel: number, seed: number): { f64: Float64Array; t: tf.Tensor } {
  const f64 = randn(makeRng(seed), b * t * dModel);
  return { f64, t: tf.tensor(Float32Array.from(f64), [b, t, dModel]) };
}
