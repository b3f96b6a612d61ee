/**
 * The two SSM mixers (Discrete Mamba-2 and Mamba-2, optionally GQA-aware) over the shared SSD core, in the
 * three forms. Both follow the same pipeline and differ only in the decay and the output tail:
 *
 *   in_proj → causal conv over [x|B|C] (identity | SiLU) → repeat kv blocks → decay → SSD → + D·x → tail → out_proj
 *   discrete_mamba2: log α = −softplus(a), x unscaled,   tail = y ⊙ SiLU(z + z_bias)       (no norm)
 *   mamba2:          log α = Δ·A, x̄ = Δ·x,              tail = RMSNorm_groups(y ⊙ SiLU(z))·w (gated norm)
 *
 * Projections fold batch×time into rows for 2-D matMuls against [in, out] weights (see layout.ts).
 */
import { tf } from '../tensor/backend.ts';
import { causalConv, convStateAfter, convStep } from './conv.ts';
import { continuousDecay, discreteLogDecay } from './decay.ts';
import { linear } from './linear.ts';
import { GATED_NORM_EPS, type MixerDims, mixerParamSpecs, tfjsChunk } from './layout.ts';
import { ssdChunked, repeatGroups } from './ssd-chunked.ts';
import { applyResets, MixerShapeError, type SsdInputs } from './ssd-inputs.ts';
import { ssdMatrixCpu } from './ssd-matrix-cpu.ts';
import { addDiagonal, applyMixingMatrix, ssdMatrix } from './ssd-matrix.ts';
import { scanAvailable, ssdScan } from './ssd-scan.ts';
import { ssdRecurrent, ssdStep } from './ssd-step.ts';
import { materializeKernel, ssdKernelForward, webGpuKernelsFor } from '../kernels/tfjs-webgpu.ts';

/**
 * 'scan' (the fused CPU recurrence, ssd-scan.ts) runs on wasm/cpu only; 'kernel' runs the generated WGSL
 * ssd_fwd/ssd_bwd variant of this mixer's shape (runtime/kernels) on webgpu. The default is the fastest form
 * the active backend has: scan on wasm/cpu, the generated kernel on webgpu when the variant exists and no
 * resets are given (the kernels do not take them), else chunked.
 */
export type MixerForm = 'chunked' | 'matrix' | 'recurrent' | 'scan' | 'kernel';

/** Decode state: conv inputs [b, conv_dim, K] (oldest first) and SSM state [b, H, P, N], float32. */
export interface MixerCache {
  conv: tf.Tensor;
  ssm: tf.Tensor;
}

/** Device parameters in compute layout (layout.ts), keyed by HF names relative to the mixer. */
export type MixerParams = Record<string, tf.Tensor>;

export interface MixerForwardOptions {
  /** Default: see MixerForm. 'matrix' materialises T×T per head; 'recurrent' steps token by token. */
  form?: MixerForm;
  /** [b, T] 0/1: token starts a new packed sequence (neither conv nor state crosses it). */
  resets?: tf.Tensor;
  /** State before position 0 (continue a prefill); not with the 'matrix' form. */
  cache?: MixerCache;
  /** Also return the state after the last token. */
  returnCache?: boolean;
  /** Chunk length of the chunked form (default tfjsChunk(dims): the fastest here, not the IR's kernel Q). */
  chunk?: number;
}

interface Streams {
  /** [b, T, H, P], after conv (and kv repeat), before Δ scaling: the D skip reads it. */
  x: tf.Tensor;
  core: SsdInputs;
  /** Mamba-2 only: Δ [b, T, H]. */
  delta?: tf.Tensor;
  /** [b·T, d_inner] */
  z: tf.Tensor;
  /** [b, T, conv_dim] before the conv: the next conv state is built from it. */
  xbcRaw: tf.Tensor;
}

export class Mixer {
  constructor(
    readonly dims: MixerDims,
    readonly params: MixerParams,
  ) {
    for (const spec of mixerParamSpecs(dims))
      if (!params[spec.name]) throw new MixerShapeError(`mixer ${dims.kind}: parameter '${spec.name}' is missing`);
  }

  /** u [b, T, d_model] → [b, T, d_model]. */
  forward(u: tf.Tensor, opts: MixerForwardOptions = {}): { out: tf.Tensor; cache?: MixerCache } {
    const form = opts.form ?? this.defaultForm(!!opts.resets);
    if (form === 'matrix' && opts.cache) throw new MixerShapeError('mixer: the matrix form takes no initial cache (use chunked or recurrent)');
    this.checkInput(u, 3);
    if (form === 'kernel') return this.kernelForward(u, opts);
    return tf.tidy(() => {
      const [b, t] = u.shape as number[];
      const s = this.streams(u, opts.resets, opts.cache);
      let y: tf.Tensor;
      let finalState: tf.Tensor | undefined;
      if (form === 'scan') {
        const r = ssdScan(s.core, { initialState: opts.cache?.ssm });
        y = r.y;
        finalState = r.finalState;
      } else if (form === 'chunked') {
        const r = ssdChunked(s.core, { chunk: opts.chunk ?? tfjsChunk(this.dims), initialState: opts.cache?.ssm });
        y = r.y;
        finalState = r.finalState;
      } else if (form === 'recurrent') {
        const r = ssdRecurrent(s.core, opts.cache?.ssm);
        y = r.y;
        finalState = r.finalState;
      } else {
        y = applyMixingMatrix(ssdMatrix(s.core), s.core.x);
      }
      const out = this.tail(y, s.x, s.z, b * t).reshape([b, t, this.dims.dModel]);
      if (!opts.returnCache) return { out };
      if (!finalState) throw new MixerShapeError('mixer: the matrix form cannot return a cache');
      return { out, cache: { conv: convStateAfter(s.xbcRaw, this.dims.k, opts.cache?.conv), ssm: finalState } };
    });
  }

  /**
   * The mixing matrix per head acting on the mixer's x, [b, H, T, T] with D on the diagonal: what stage 1
   * matches against the teacher's attention. For Mamba-2 it includes Δ_s (y = M·x, not M·x̄).
   */
  materialize(u: tf.Tensor, opts: { resets?: tf.Tensor } = {}): tf.Tensor {
    this.checkInput(u, 3);
    const k = opts.resets ? undefined : this.kernels();
    if (k?.materialize) {
      const entry = k.materialize;
      return tf.tidy(() => {
        const [b, t] = u.shape as number[];
        const s = this.kernelStreams(u, b, t);
        return materializeKernel(entry, { dec: s.dec, B: s.B, C: s.C, D: this.params.D, dtBias: this.params.dt_bias, aLog: this.params.A_log });
      });
    }
    return tf.tidy(() => {
      const s = this.streams(u, opts.resets);
      if (scanAvailable()) {
        // The fused CPU kernel (ssd-matrix-cpu.ts); Mamba-2's Δ_s scales columns before D joins the diagonal.
        const logA = applyResets(s.core.logA, s.core.resets);
        if (!s.delta) return ssdMatrixCpu(logA, s.core.B, s.core.C, this.params.D);
        const m = ssdMatrixCpu(logA, s.core.B, s.core.C, tf.zerosLike(this.params.D));
        return addDiagonal(m.mul(s.delta.transpose([0, 2, 1]).expandDims(2)), this.params.D);
      }
      let m = ssdMatrix(s.core);
      if (s.delta) m = m.mul(s.delta.transpose([0, 2, 1]).expandDims(2));
      return addDiagonal(m, this.params.D);
    });
  }

  /** One token: u [b, d_model] → [b, d_model] and the next cache. */
  step(u: tf.Tensor, cache: MixerCache): { out: tf.Tensor; cache: MixerCache } {
    this.checkInput(u, 2);
    const d = this.dims;
    return tf.tidy(() => {
      const b = u.shape[0];
      const { xbc, z, last } = this.project(u, b, 1);
      const conv = convStep(cache.conv, xbc, this.params['conv1d.weight'], this.params['conv1d.bias']);
      const s = this.ssmInputs(this.activate(conv.out).reshape([b, 1, d.convDim]), last, b, 1);
      const r = ssdStep(cache.ssm, {
        x: s.core.x.reshape([b, d.h, d.p]),
        logA: s.core.logA.reshape([b, d.h]),
        B: s.core.B.reshape([b, d.g, d.n]),
        C: s.core.C.reshape([b, d.g, d.n]),
      });
      const out = this.tail(r.y.reshape([b, 1, d.h, d.p]), s.x, z, b);
      return { out, cache: { conv: conv.state, ssm: r.state } };
    });
  }

  /** An all-zero cache for batch b (the state before any token). */
  emptyCache(b: number): MixerCache {
    const d = this.dims;
    return { conv: tf.zeros([b, d.convDim, d.k]), ssm: tf.zeros([b, d.h, d.p, d.n]) };
  }

  private defaultForm(resets: boolean): MixerForm {
    if (scanAvailable()) return 'scan';
    if (!resets && this.kernels()) return 'kernel';
    return 'chunked';
  }

  /** The generated WGSL variants of this mixer's shape when the webgpu backend is active. */
  private kernels(): ReturnType<typeof webGpuKernelsFor> {
    const d = this.dims;
    return webGpuKernelsFor({ decay: d.kind === 'discrete_mamba2' ? 'discrete' : 'continuous', n: d.n, p: d.p, h: d.h, g: d.g, q: d.q });
  }

  /**
   * Conv'd x [b,T,H,P] (unscaled), the raw decay input [b,T,H] and B, C [b,T,G,N], kv blocks repeated: what
   * the generated kernels take (they fuse the decay, Δ scaling and the D skip themselves).
   */
  private kernelStreams(u: tf.Tensor, b: number, t: number, cache?: MixerCache): { x: tf.Tensor; dec: tf.Tensor; B: tf.Tensor; C: tf.Tensor; z: tf.Tensor; xbcRaw: tf.Tensor } {
    const d = this.dims;
    const { xbc, z, last } = this.project(u, b, t);
    const xbcRaw = xbc.reshape([b, t, d.convDim]);
    const history = cache && d.k > 1 ? cache.conv.slice([0, 0, 1], [b, d.convDim, d.k - 1]).transpose([0, 2, 1]) : undefined;
    const conv = this.activate(causalConv(xbcRaw, this.params['conv1d.weight'], this.params['conv1d.bias'], { history }));
    const [xs, bs, cs] = tf.split(conv, [d.xHeads * d.p, d.bGroups * d.n, d.g * d.n], 2);
    const x = repeatGroups(xs.reshape([b * t, d.xHeads, d.p]), d.h / d.xHeads).reshape([b, t, d.h, d.p]);
    const B = repeatGroups(bs.reshape([b * t, d.bGroups, d.n]), d.g / d.bGroups).reshape([b, t, d.g, d.n]);
    return { x, dec: last.reshape([b, t, d.h]), B, C: cs.reshape([b, t, d.g, d.n]), z, xbcRaw };
  }

  /** Forward through the generated ssd_fwd/ssd_bwd kernels (webgpu); the kernel adds D·x itself. */
  private kernelForward(u: tf.Tensor, opts: MixerForwardOptions): { out: tf.Tensor; cache?: MixerCache } {
    const k = this.kernels();
    if (!k) throw new MixerShapeError(`mixer: no generated kernel for this shape on backend ${tf.getBackend()} (form 'kernel')`);
    if (opts.resets) throw new MixerShapeError("mixer: the generated kernels take no resets (use form 'chunked')");
    return tf.tidy(() => {
      const d = this.dims;
      const [b, t] = u.shape as number[];
      const s = this.kernelStreams(u, b, t, opts.cache);
      const r = ssdKernelForward(k.fwd, k.bwd, { x: s.x, dec: s.dec, B: s.B, C: s.C, D: this.params.D, dtBias: this.params.dt_bias, aLog: this.params.A_log, initialState: opts.cache?.ssm });
      const out = this.gateAndProject(r.y.reshape([b * t, d.dInner]), s.z, b * t).reshape([b, t, d.dModel]);
      if (!opts.returnCache) return { out };
      return { out, cache: { conv: convStateAfter(s.xbcRaw, d.k, opts.cache?.conv), ssm: r.finalState } };
    });
  }

  private checkInput(u: tf.Tensor, rank: number): void {
    const last = u.shape[u.rank - 1];
    if (u.rank !== rank || last !== this.dims.dModel)
      throw new MixerShapeError(`mixer: input has shape [${u.shape}], expected rank ${rank} with last dim d_model = ${this.dims.dModel}`);
  }

  /** in_proj on [b·T, d_model] rows, split into the conv input, z and the decay input (a or dt). */
  private project(u: tf.Tensor, b: number, t: number): { xbc: tf.Tensor; z: tf.Tensor; last: tf.Tensor } {
    const d = this.dims;
    let proj: tf.Tensor = linear(u.reshape([b * t, d.dModel]), this.params['in_proj.weight']);
    if (d.bias) proj = proj.add(this.params['in_proj.bias']);
    if (d.kind === 'discrete_mamba2') {
      const [xbc, z, a] = tf.split(proj, [d.convDim, d.dInner, d.h], 1);
      return { xbc, z, last: a };
    }
    const [z, xbc, dt] = tf.split(proj, [d.dInner, d.convDim, d.h], 1);
    return { xbc, z, last: dt };
  }

  private activate(t: tf.Tensor): tf.Tensor {
    return this.dims.kind === 'mamba2' ? t.mul(tf.sigmoid(t)) : t;
  }

  private streams(u: tf.Tensor, resets: tf.Tensor | undefined, cache?: MixerCache): Streams {
    const d = this.dims;
    const [b, t] = u.shape as number[];
    const { xbc, z, last } = this.project(u, b, t);
    const xbcRaw = xbc.reshape([b, t, d.convDim]);
    const history = cache && d.k > 1 ? cache.conv.slice([0, 0, 1], [b, d.convDim, d.k - 1]).transpose([0, 2, 1]) : undefined;
    const conv = causalConv(xbcRaw, this.params['conv1d.weight'], this.params['conv1d.bias'], { history, resets });
    const s = this.ssmInputs(this.activate(conv), last, b, t);
    if (resets) s.core.resets = resets;
    return { ...s, z, xbcRaw };
  }

  /** Conv output [b, T, conv_dim] + decay input [b·T, H] → SSD inputs with kv blocks repeated. */
  private ssmInputs(xbc: tf.Tensor, last: tf.Tensor, b: number, t: number): { x: tf.Tensor; core: SsdInputs; delta?: tf.Tensor } {
    const d = this.dims;
    const [xs, bs, cs] = tf.split(xbc, [d.xHeads * d.p, d.bGroups * d.n, d.g * d.n], 2);
    const x = repeatGroups(xs.reshape([b * t, d.xHeads, d.p]), d.h / d.xHeads).reshape([b, t, d.h, d.p]);
    const B = repeatGroups(bs.reshape([b * t, d.bGroups, d.n]), d.g / d.bGroups).reshape([b, t, d.g, d.n]);
    const C = cs.reshape([b, t, d.g, d.n]);
    if (d.kind === 'discrete_mamba2') return { x, core: { x, logA: discreteLogDecay(last).reshape([b, t, d.h]), B, C } };
    const { delta, logA } = continuousDecay(last, this.params.dt_bias, this.params.A_log);
    const delta3 = delta.reshape([b, t, d.h]);
    return { x, delta: delta3, core: { x: x.mul(delta3.expandDims(3)), logA: logA.reshape([b, t, d.h]), B, C } };
  }

  /** y [b, T, H, P] + D·x, then the kind's gate/norm and out_proj on [rows, d_inner]. */
  private tail(y: tf.Tensor, x: tf.Tensor, z: tf.Tensor, rows: number): tf.Tensor {
    const d = this.dims;
    const yd = y.add(x.mul(this.params.D.reshape([1, 1, d.h, 1]))).reshape([rows, d.dInner]);
    return this.gateAndProject(yd, z, rows);
  }

  /** y (D skip included) [rows, d_inner] → the kind's gate/norm → out_proj. */
  private gateAndProject(yd: tf.Tensor, z: tf.Tensor, rows: number): tf.Tensor {
    const d = this.dims;
    let gated: tf.Tensor;
    if (d.kind === 'discrete_mamba2') {
      const zb = d.bias ? z : z.add(this.params.z_bias);
      gated = yd.mul(zb.mul(tf.sigmoid(zb)));
    } else {
      const v = yd.mul(z.mul(tf.sigmoid(z))).reshape([rows, d.g, d.dInner / d.g]);
      const normed = v.mul(tf.rsqrt(v.square().mean(2, true).add(GATED_NORM_EPS)));
      gated = normed.reshape([rows, d.dInner]).mul(this.params['norm.weight']);
    }
    const out = linear(gated, this.params['out_proj.weight']);
    return d.bias ? out.add(this.params['out_proj.bias']) : out;
  }
}
