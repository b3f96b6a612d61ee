/**
 * Central finite differences in float64. The float64 function makes the truncation error O(h²) and the
 * rounding error O(ε/h) tiny (h = 1e-5 gives ~1e-10 absolute), so the result is an exact-enough reference
 * for float32 autograd gradients.
 */
export function finiteDiffGrad(f: (v: Float64Array) => number, at: Float64Array, h = 1e-5): Float64Array {
  const v = Float64Array.from(at);
  const g = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const keep = v[i];
    v[i] = keep + h;
    const up = f(v);
    v[i] = keep - h;
    const down = f(v);
    v[i] = keep;
    g[i] = (up - down) / (2 * h);
  }
  return g;
}

/** Σ w·y for a fixed random weighting w: a scalar loss whose gradient exercises every output element. */
export function weightedSum(y: ArrayLike<number>, w: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += y[i] * w[i];
  return s;
}
