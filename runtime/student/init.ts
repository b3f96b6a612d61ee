/**
 * Initial mixer parameters on the host, in Hugging Face layout (names relative to `...mixer.`).
 *
 * discrete_mamba2 follows the MOHAWK recipe (method.md §1.5): conv = identity (last tap 1, bias 0), open gate
 * (z rows 0 and z_bias = 1.278464542761, where SiLU = 1), D = 1, the rest PyTorch's default Linear init,
 * out_proj divided by √layers as mamba's _init_weights does. mamba2 follows mamba_ssm's Mamba2 init
 * (dt log-uniform in [1e-3, 0.1] through an inverse softplus, A = U[1, 16], D = 1, norm weight 1).
 * A decay initialisation v sets sigmoid(−a) = v for a zero projection (discrete: through in_proj.bias, see
 * layout.ts) or exp(−softplus(dt_bias)·A) = v (mamba2).
 */
import type { HostTensor } from '../io/types.ts';
import { inProjRows, mixerParamSpecs, OPEN_GATE_Z_BIAS, type MixerDims } from '../mixers/layout.ts';
import { MixerShapeError } from '../mixers/ssd-inputs.ts';
import type { Rng } from '../train/rng.ts';

/** Mixer parameters by name relative to the mixer (`in_proj.weight`, ...), HF layout. */
export type HostParams = Map<string, HostTensor>;

export interface MixerInitOptions {
  rng: Rng;
  /** Number of residual layers in the student (out_proj scale 1/√layers). */
  layers: number;
  /** sigmoid(−a) (discrete) or exp(Δ·A) (mamba2) at init for a zero projection. */
  decayInit?: number;
}

export function initMixer(d: MixerDims, opts: MixerInitOptions): HostParams {
  const { rng } = opts;
  const v = opts.decayInit;
  if (v !== undefined && !(v > 0 && v < 1)) throw new MixerShapeError(`decay_init must be in (0, 1), got ${v}`);
  if (v !== undefined && d.kind === 'discrete_mamba2' && !d.bias)
    throw new MixerShapeError('decay_init on a discrete_mamba2 mixer needs in_proj.bias (mixerDims(..., { bias: true }))');
  const out: HostParams = new Map();
  const uniform = (n: number, bound: number) => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = (2 * rng.float() - 1) * bound;
    return a;
  };
  const fill = (n: number, value: number) => new Float32Array(n).fill(value);
  for (const spec of mixerParamSpecs(d)) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    let data: Float32Array;
    switch (spec.name) {
      case 'in_proj.weight':
        data = uniform(size, 1 / Math.sqrt(d.dModel));
        if (d.kind === 'discrete_mamba2') {
          const [z0, z1] = inProjRows(d, 'z');
          data.fill(0, z0 * d.dModel, z1 * d.dModel); // open gate: z does not depend on the input
        }
        break;
      case 'in_proj.bias': {
        data = new Float32Array(size);
        if (d.kind === 'discrete_mamba2') {
          const [z0, z1] = inProjRows(d, 'z');
          data.fill(OPEN_GATE_Z_BIAS, z0, z1);
          if (v !== undefined) {
            const [a0, a1] = inProjRows(d, 'a');
            data.fill(Math.log((1 - v) / v), a0, a1); // sigmoid(−a) = v
          }
        }
        break;
      }
      case 'z_bias':
        data = fill(size, OPEN_GATE_Z_BIAS);
        break;
      case 'conv1d.weight':
        if (d.kind === 'discrete_mamba2') {
          data = new Float32Array(size);
          for (let c = 0; c < d.convDim; c++) data[c * d.k + d.k - 1] = 1;
        } else data = uniform(size, 1 / Math.sqrt(d.k));
        break;
      case 'conv1d.bias':
        data = d.kind === 'discrete_mamba2' ? new Float32Array(size) : uniform(size, 1 / Math.sqrt(d.k));
        break;
      case 'D':
      case 'norm.weight':
        data = fill(size, 1);
        break;
      case 'A_log':
        data = Float32Array.from({ length: size }, () => Math.log(1 + 15 * rng.float()));
        break;
      case 'dt_bias':
        data = new Float32Array(size); // filled below, once A_log exists
        break;
      case 'out_proj.weight':
        data = uniform(size, 1 / Math.sqrt(d.dInner)).map((x) => x / Math.sqrt(opts.layers));
        break;
      case 'out_proj.bias':
        data = new Float32Array(size);
        break;
      default:
        throw new MixerShapeError(`initMixer: no rule for parameter '${spec.name}'`);
    }
    out.set(spec.name, { shape: [...spec.shape], data });
  }
  if (d.kind === 'mamba2') {
    const aLog = out.get('A_log')!.data;
    const dtBias = out.get('dt_bias')!.data;
    for (let h = 0; h < d.h; h++) {
      const dt = v !== undefined ? -Math.log(v) / Math.exp(aLog[h]) : Math.max(1e-4, Math.exp(Math.log(1e-3) + rng.float() * Math.log(100)));
      dtBias[h] = dt + Math.log(-Math.expm1(-dt)); // inverse softplus
    }
  }
  return out;
}
