/**
 * Rotary position embeddings for both pair layouts.
 *
 *   'adjacent' (llama2.c run.c, GGUF): dimension pairs (2i, 2i+1) of each head rotate by pos·θ^(−2i/rd).
 *   'half'     (Hugging Face rotate-half): pairs (i, i + rd/2) rotate by pos·θ^(−2i/rd).
 * Only the first `rotaryDim` (rd) dimensions of a head rotate (Phi's partial rotary); the rest pass through.
 *
 * Applied as x' = x ⊙ cos + (x·R) ⊙ sin, where R is a signed permutation [hd, hd] (one ±1 per column, zero
 * columns for pass-through dims). x·R is then exact in float32 (one non-zero product per output), and the
 * whole rotation is two broadcasts and one small 2-D matMul — the fast path on wasm, and differentiable.
 */
import { tf } from '../tensor/backend.ts';

export type RopeLayout = 'adjacent' | 'half';

export interface RopeSpec {
  headDim: number;
  /** Rotating dimensions per head (even, ≤ headDim). */
  rotaryDim: number;
  theta: number;
  layout: RopeLayout;
}

/** cos/sin per (position, head dimension) on the host, [length, headDim] row-major. */
export interface RopeTables {
  cos: Float32Array;
  sin: Float32Array;
  length: number;
  headDim: number;
}

const f = Math.fround;

/**
 * Angles computed the way run.c and transformers do it in float32 — inv_freq = 1/θ^(2i/rd) rounded to
 * float32, angle = fround(pos · inv_freq), then cos/sin of that float32 angle — so that positions near 512
 * (where an angle's float32 rounding is ~3e-5 rad) agree with both references, not just with exact math.
 */
export function ropeTables(spec: RopeSpec, length: number): RopeTables {
  const { headDim: hd, rotaryDim: rd, theta, layout } = spec;
  if (rd % 2 !== 0 || rd > hd || rd < 0) throw new Error(`rotary dim ${rd} must be even and ≤ head dim ${hd}`);
  const cos = new Float32Array(length * hd).fill(1);
  const sin = new Float32Array(length * hd);
  const half = rd / 2;
  const invFreq = Array.from({ length: half }, (_, i) => f(1 / f(Math.pow(theta, f((2 * i) / rd)))));
  for (let p = 0; p < length; p++) {
    for (let i = 0; i < half; i++) {
      const angle = f(p * invFreq[i]);
      const c = Math.cos(angle);
      const s = Math.sin(angle);
      const [a, b] = layout === 'adjacent' ? [2 * i, 2 * i + 1] : [i, i + half];
      cos[p * hd + a] = c;
      cos[p * hd + b] = c;
      sin[p * hd + a] = s;
      sin[p * hd + b] = s;
    }
  }
  return { cos, sin, length, headDim: hd };
}

/** R such that (x·R)[a] = −x[b] and (x·R)[b] = x[a] for every rotating pair (a, b); [hd, hd] row-major. */
export function ropeRotationMatrix(spec: RopeSpec): Float32Array {
  const { headDim: hd, rotaryDim: rd, layout } = spec;
  const r = new Float32Array(hd * hd);
  const half = rd / 2;
  for (let i = 0; i < half; i++) {
    const [a, b] = layout === 'adjacent' ? [2 * i, 2 * i + 1] : [i, i + half];
    r[b * hd + a] = -1; // out[a] gets −x[b]
    r[a * hd + b] = 1; // out[b] gets +x[a]
  }
  return r;
}

/** Device-side constants for one (spec, max length): reuse across forwards; `dispose()` when done. */
export interface RopeConstants {
  spec: RopeSpec;
  /** [maxLength, headDim] */
  cos: tf.Tensor2D;
  sin: tf.Tensor2D;
  /** [headDim, headDim] */
  rotation: tf.Tensor2D;
  maxLength: number;
  dispose(): void;
}

export function ropeConstants(spec: RopeSpec, maxLength: number): RopeConstants {
  const t = ropeTables(spec, maxLength);
  const cos = tf.tensor2d(t.cos, [maxLength, spec.headDim]);
  const sin = tf.tensor2d(t.sin, [maxLength, spec.headDim]);
  const rotation = tf.tensor2d(ropeRotationMatrix(spec), [spec.headDim, spec.headDim]);
  return {
    spec,
    cos,
    sin,
    rotation,
    maxLength,
    dispose() {
      cos.dispose();
      sin.dispose();
      rotation.dispose();
    },
  };
}

/**
 * Rotates x [B, T, heads, hd] whose time index t sits at absolute position `offset + t`.
 * Returns a new tensor of the same shape (call inside tf.tidy).
 */
export function applyRope(x: tf.Tensor4D, rope: RopeConstants, offset = 0): tf.Tensor4D {
  const [b, t, h, hd] = x.shape;
  if (hd !== rope.spec.headDim) throw new Error(`applyRope: head dim ${hd} ≠ tables' ${rope.spec.headDim}`);
  if (offset + t > rope.maxLength)
    throw new Error(`applyRope: positions up to ${offset + t} exceed the ${rope.maxLength} precomputed`);
  const cos = rope.cos.slice([offset, 0], [t, hd]).reshape([t, 1, hd]);
  const sin = rope.sin.slice([offset, 0], [t, hd]).reshape([t, 1, hd]);
  const rotated = tf.matMul(x.reshape([b * t * h, hd]), rope.rotation).reshape([b, t, h, hd]);
  return x.mul(cos).add(rotated.mul(sin)) as tf.Tensor4D;
}
