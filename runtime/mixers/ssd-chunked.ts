/**
 * Form (b): chunked SSD (method.md §5.2). Quadratic work only inside chunks of Q tokens; states pass between
 * chunks through one small c+1 × c+1 decay matrix (a matMul, not a loop). The inner work is batched matMuls
 * over [b·H·c] — unavoidable on tfjs — and the op count is kept small because per-op dispatch dominates.
 * T need not be a multiple of Q (zero padding after the end: x = B = 0 adds nothing and logA = 0 keeps the
 * final state), an initial state flows in, the final state comes out, and resets cut the state.
 */
import { tf } from '../tensor/backend.ts';
import { cumsumLast } from './cumsum.ts';
import { decayMatrixT } from './segsum.ts';
import { applyResets, MixerShapeError, ssdShape, type SsdInputs } from './ssd-inputs.ts';

export interface SsdChunkedOptions {
  chunk: number;
  /** [b, H, P, N]; zeros when absent. */
  initialState?: tf.Tensor;
}

export interface SsdResult {
  /** [b, T, H, P] */
  y: tf.Tensor;
  /** [b, H, P, N] */
  finalState: tf.Tensor;
}

export function ssdChunked(inp: SsdInputs, opts: SsdChunkedOptions): SsdResult {
  const { b, t, h, p, g, n } = ssdShape(inp);
  const q = opts.chunk;
  if (!(Number.isInteger(q) && q >= 1)) throw new MixerShapeError(`ssd: chunk must be a positive integer, got ${q}`);
  if (opts.initialState) {
    const s = opts.initialState.shape;
    if (s.length !== 4 || s[0] !== b || s[1] !== h || s[2] !== p || s[3] !== n)
      throw new MixerShapeError(`ssd: initial state has shape [${s}], expected [${[b, h, p, n]}]`);
  }
  return tf.tidy(() => {
    const c = Math.ceil(t / q);
    const pad = c * q - t;
    const r = h / g;
    let { x, B, C } = inp;
    let logA = applyResets(inp.logA, inp.resets);
    if (pad > 0) {
      x = x.pad([[0, 0], [0, pad], [0, 0], [0, 0]]);
      B = B.pad([[0, 0], [0, pad], [0, 0], [0, 0]]);
      C = C.pad([[0, 0], [0, pad], [0, 0], [0, 0]]);
      logA = logA.pad([[0, 0], [0, pad], [0, 0]]);
    }
    // Head-major chunked layouts.
    const xc = x.reshape([b, c, q, h, p]).transpose([0, 3, 1, 2, 4]); // [b,H,c,Q,P]
    const lc = logA.reshape([b, c, q, h]).transpose([0, 3, 1, 2]); // [b,H,c,Q]
    const Bc = B.reshape([b, c, q, g, n]).transpose([0, 3, 1, 2, 4]); // [b,G,c,Q,N]
    const Cc = C.reshape([b, c, q, g, n]).transpose([0, 3, 1, 2, 4]);

    // 1. Inside each chunk: y = (L ⊙ C·Bᵀ)·x, built transposed (see segsum.ts) and used through transposeA.
    const lT = decayMatrixT(lc); // [b,H,c,Q(j),Q(i)]
    const bc = tf.matMul(Bc, Cc, false, true); // [b,G,c,Q(j),Q(i)] = B_j·C_i
    const wT = lT.reshape([b, g, r, c * q * q]).mul(bc.reshape([b, g, 1, c * q * q]));
    const yDiag = tf.matMul(wT.reshape([b * h * c, q, q]), xc.reshape([b * h * c, q, p]), true, false).reshape([b, h, c, q, p]);

    // 2. Each chunk's own final state: Σ_j exp(Σ_{k>j} ℓ_k) x_j ⊗ B_j (reverse exclusive sum: no cancellation).
    const toEnd = tf.exp(cumsumLast(lc.reshape([-1, q]), { exclusive: true, reverse: true }).reshape([b, h, c, q])); // [b,H,c,Q]
    const xw = xc.mul(toEnd.expandDims(4)).reshape([b * h * c, q, p]);
    const sLoc = tf.matMul(xw, repeatGroups(Bc, r).reshape([b * h * c, q, n]), true, false); // [bHc,P,N]

    // 3. Pass states between chunks: S_in[k] = Σ_{m≤k} exp(A_m + … + A_{k−1}) S[m], S[0] = initial state.
    const fromStart = cumsumLast(lc.reshape([-1, q])).reshape([b, h, c, q]); // Σ_{k≤i} ℓ_k
    const chunkSum = fromStart.slice([0, 0, 0, q - 1], [b, h, c, 1]).reshape([b, h, c]);
    const s0 = opts.initialState ?? tf.zeros([b, h, p, n]);
    const states = tf.concat([s0.reshape([b, h, 1, p * n]), sLoc.reshape([b, h, c, p * n])], 2); // [b,H,c+1,PN]
    const chunkDecayT = decayMatrixT(chunkSum.pad([[0, 0], [0, 0], [1, 0]])); // [b,H,c+1(m),c+1(k)]
    const passed = tf
      .matMul(chunkDecayT.reshape([b * h, c + 1, c + 1]), states.reshape([b * h, c + 1, p * n]), true, false)
      .reshape([b, h, c + 1, p * n]);
    const sIn = passed.slice([0, 0, 0, 0], [b, h, c, p * n]); // state entering each chunk
    const finalState = passed.slice([0, 0, c, 0], [b, h, 1, p * n]).reshape([b, h, p, n]);

    // 4. Entering state → outputs: exp(Σ_{k≤i} ℓ_k)·(C_i·S_in).
    const yOff = tf
      .matMul(repeatGroups(Cc, r).reshape([b * h * c, q, n]), sIn.reshape([b * h * c, p, n]), false, true)
      .reshape([b, h, c, q, p])
      .mul(tf.exp(fromStart).expandDims(4));

    let y = yDiag.add(yOff).transpose([0, 2, 3, 1, 4]).reshape([b, c * q, h, p]);
    if (pad > 0) y = y.slice([0, 0, 0, 0], [b, t, h, p]);
    return { y, finalState };
  });
}

/**
 * [b, G, ...] → [b, G·r, ...] with each group repeated for its r consecutive heads. Kept at rank 3 because
 * tfjs has no Tile gradient above rank 5 (broadcastTo runs as Tile).
 */
export function repeatGroups(t: tf.Tensor, r: number): tf.Tensor {
  if (r === 1) return t;
  const [b, g, ...rest] = t.shape as number[];
  const size = rest.reduce((x, y) => x * y, 1);
  return tf.broadcastTo(t.reshape([b * g, 1, size]), [b * g, r, size]).reshape([b, g * r, ...rest]);
}
