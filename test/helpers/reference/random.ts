/**
 * Seeded random numbers for tests (plain TS, no tfjs): every property test draws its inputs from a named
 * seed so that a failure can be replayed exactly.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  uniform(): number;
  /** Standard normal. */
  normal(): number;
}

/** mulberry32: tiny, fast, and good enough for test inputs (not for cryptography). */
export function makeRng(seed: number): Rng {
  let s = seed >>> 0;
  const uniform = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  let spare: number | undefined;
  const normal = (): number => {
    if (spare !== undefined) {
      const v = spare;
      spare = undefined;
      return v;
    }
    // Box–Muller; 1 − u keeps the log argument in (0, 1].
    const u = 1 - uniform();
    const v = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
  return { uniform, normal };
}

export function randn(rng: Rng, size: number, scale = 1, mean = 0): Float64Array {
  const out = new Float64Array(size);
  for (let i = 0; i < size; i++) out[i] = mean + scale * rng.normal();
  return out;
}

export function randu(rng: Rng, size: number, lo: number, hi: number): Float64Array {
  const out = new Float64Array(size);
  for (let i = 0; i < size; i++) out[i] = lo + (hi - lo) * rng.uniform();
  return out;
}

/** Max |a − b| / max |b| over the whole tensor (the project's definition of relative error). */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`relErr: lengths differ (${a.length} vs ${b.length})`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  if (!Number.isFinite(num)) return Infinity;
  return den === 0 ? num : num / den;
}
