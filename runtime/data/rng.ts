/**
 * Seeded PRNG for data order and sampling: xoshiro128** (Blackman & Vigna, 2018), 32-bit arithmetic only so
 * it is exact in JavaScript, seeded through SplitMix32 so nearby seeds give unrelated streams. The whole
 * state is four uint32 words: `state()` serialises it (JSON-safe) and `Rng.fromState` resumes the identical
 * stream, which is what makes a resumed training run draw the same next batch. Never Math.random.
 */
export type RngState = [number, number, number, number];

export class Rng {
  private s: Uint32Array;

  private constructor(s: RngState) {
    this.s = Uint32Array.from(s);
    if (this.s.every((w) => w === 0)) throw new Error('Rng: the all-zero state is invalid for xoshiro128**');
  }

  /** A generator for a seed (any safe integer; strings of digits are fine too via Number()). */
  static seeded(seed: number): Rng {
    if (!Number.isSafeInteger(seed)) throw new Error(`Rng: seed must be a safe integer, got ${seed}`);
    // Fold both halves of the seed into SplitMix32 so seeds differing only above bit 32 still differ.
    let x = (seed >>> 0) ^ Math.imul(Math.floor(seed / 2 ** 32) >>> 0, 0x9e3779b9);
    const next = () => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    const s: RngState = [next(), next(), next(), next()];
    if (s.every((w) => w === 0)) s[0] = 1;
    return new Rng(s);
  }

  static fromState(state: readonly number[]): Rng {
    if (state.length !== 4 || !state.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff))
      throw new Error(`Rng: a state is four uint32 words, got ${JSON.stringify(state)}`);
    return new Rng(state as RngState);
  }

  state(): RngState {
    return [this.s[0], this.s[1], this.s[2], this.s[3]];
  }

  clone(): Rng {
    return new Rng(this.state());
  }

  /** Next uint32. */
  nextU32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  nextFloat(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [0, n), unbiased (rejection sampling), for 1 ≤ n ≤ 2^32. */
  nextInt(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 2 ** 32) throw new Error(`Rng.nextInt: bound must be an integer in [1, 2^32], got ${n}`);
    const limit = 2 ** 32 - (2 ** 32 % n);
    for (;;) {
      const x = this.nextU32();
      if (x < limit) return x % n;
    }
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
