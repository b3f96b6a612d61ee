/**
 * llama2.c run.c's sampling generator: xorshift64* (state ^= state>>12, <<25, >>27; output the high 32 bits
 * of state · 0x2545F4914F6CDD1D), coin = (u32 >> 8) / 2^24. Using the same generator and the same float32
 * sampling arithmetic (sampler.ts) makes `mohawkc sample --seed N` draw what `run -s N` draws.
 */
const MASK64 = (1n << 64n) - 1n;
const MULT = 0x2545f4914f6cdd1dn;

export interface XorShiftState {
  algorithm: 'xorshift64*';
  /** 64-bit state as a decimal string (JSON has no 64-bit integers). */
  state: string;
}

export class XorShiftRng {
  private s: bigint;

  /** Seed 0 would stay 0 forever (run.c refuses it); it is replaced by a fixed non-zero constant. */
  constructor(seed: number | bigint) {
    const s = BigInt(seed) & MASK64;
    this.s = s === 0n ? 0x9e3779b97f4a7c15n : s;
  }

  static fromState(st: XorShiftState): XorShiftRng {
    if (st.algorithm !== 'xorshift64*') throw new Error(`unknown rng algorithm '${st.algorithm}'`);
    const r = new XorShiftRng(1);
    r.s = BigInt(st.state) & MASK64;
    return r;
  }

  state(): XorShiftState {
    return { algorithm: 'xorshift64*', state: this.s.toString() };
  }

  nextU32(): number {
    let s = this.s;
    s ^= s >> 12n;
    s = (s ^ (s << 25n)) & MASK64;
    s ^= s >> 27n;
    this.s = s;
    return Number(((s * MULT) & MASK64) >> 32n);
  }

  /** Uniform in [0, 1) with 24 random bits: exactly representable in float32, as run.c's random_f32. */
  float(): number {
    return (this.nextU32() >>> 8) / 16777216;
  }
}
