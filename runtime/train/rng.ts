/**
 * A seeded random number generator whose whole state fits in a JSON object, so a checkpoint can carry it and a
 * resumed run draws exactly the numbers an uninterrupted run would have drawn.
 *
 * Algorithm: PCG32 (O'Neill 2014, `pcg32_random_r` of pcg-c-basic: 64-bit LCG, XSH-RR output). Seeding is
 * `pcg32_srandom_r(initstate, initseq)`, so `Rng.fromSeed(42, 54)` reproduces pcg32-demo's published output
 * (0xa15c02b7 0x7b47f409 …); different `stream`s are independent sequences for the same seed. The 64-bit
 * arithmetic runs on two uint32 halves (BigInt would allocate on every draw). No tfjs: usable from runtime/data.
 */

/** JSON form of an Rng: the 64-bit LCG state and increment as 16 hex digits each. */
export interface RngState {
  algorithm: 'pcg32';
  state: string;
  inc: string;
}

const MUL_HI = 0x5851f42d;
const MUL_LO = 0x4c957f2d;
const TWO32 = 4294967296;

/** Full 32×32→64-bit product as [hi, lo] (16-bit limbs keep every partial product exact in a double). */
function mul32(a: number, b: number): [number, number] {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const p11 = a1 * b1;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  const lo = (((mid & 0xffff) << 16) | (p00 & 0xffff)) >>> 0;
  const hi = (p11 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16)) >>> 0;
  return [hi, lo];
}

/** 32-bit FNV-1a of a label: turns a stream name ('data', 'init') into a stream number. */
export function streamId(label: string): number {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(label)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

function splitUint(value: number, what: string): [number, number] {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`rng ${what} must be a non-negative safe integer, got ${value}`);
  }
  return [Math.floor(value / TWO32) >>> 0, value >>> 0];
}

function hex64(hi: number, lo: number): string {
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}

function parseHex64(text: unknown, what: string): [number, number] {
  if (typeof text !== 'string' || !/^[0-9a-f]{16}$/.test(text)) {
    throw new Error(`rng state: '${what}' must be 16 lower-case hex digits, got ${JSON.stringify(text)}`);
  }
  return [parseInt(text.slice(0, 8), 16), parseInt(text.slice(8), 16)];
}

export class Rng {
  private constructor(
    private stateHi: number,
    private stateLo: number,
    private incHi: number,
    private incLo: number,
  ) {}

  /**
   * `pcg32_srandom_r(seed, stream)`. `stream` may be a label; the same (seed, stream) always gives the same
   * sequence, and different streams do not overlap in any practical sense (distinct LCG increments).
   */
  static fromSeed(seed: number, stream: number | string = 0): Rng {
    const [seedHi, seedLo] = splitUint(seed, 'seed');
    const seq = typeof stream === 'string' ? streamId(stream) : stream;
    const [seqHi, seqLo] = splitUint(seq, 'stream');
    // inc = (initseq << 1) | 1 over 64 bits.
    const incHi = ((seqHi << 1) | (seqLo >>> 31)) >>> 0;
    const incLo = ((seqLo << 1) | 1) >>> 0;
    const rng = new Rng(0, 0, incHi, incLo);
    rng.advance();
    const lo = rng.stateLo + seedLo;
    rng.stateLo = lo >>> 0;
    rng.stateHi = (rng.stateHi + seedHi + (lo >= TWO32 ? 1 : 0)) >>> 0;
    rng.advance();
    return rng;
  }

  static fromState(s: RngState): Rng {
    if (!s || typeof s !== 'object' || s.algorithm !== 'pcg32') {
      throw new Error(`rng state: expected {algorithm: 'pcg32', …}, got ${JSON.stringify(s)}`);
    }
    const [sh, sl] = parseHex64(s.state, 'state');
    const [ih, il] = parseHex64(s.inc, 'inc');
    if ((il & 1) === 0) throw new Error(`rng state: 'inc' must be odd, got ${s.inc}`);
    return new Rng(sh, sl, ih, il);
  }

  /** Continues from a saved state in place (holders of this object see the restored stream). */
  setState(s: RngState): void {
    const r = Rng.fromState(s);
    this.stateHi = r.stateHi;
    this.stateLo = r.stateLo;
    this.incHi = r.incHi;
    this.incLo = r.incLo;
  }

  state(): RngState {
    return { algorithm: 'pcg32', state: hex64(this.stateHi, this.stateLo), inc: hex64(this.incHi, this.incLo) };
  }

  clone(): Rng {
    return new Rng(this.stateHi, this.stateLo, this.incHi, this.incLo);
  }

  /** A new generator seeded from this one's next draws: for handing independent streams to sub-tasks. */
  fork(stream: number | string): Rng {
    const hi = this.nextUint32();
    const lo = this.nextUint32();
    return Rng.fromSeed((hi & 0x1fffff) * TWO32 + lo, stream);
  }

  private advance(): void {
    // state = state · MUL + inc (mod 2^64)
    const [pHi, pLo] = mul32(this.stateLo, MUL_LO);
    const hi = (pHi + Math.imul(this.stateHi, MUL_LO) + Math.imul(this.stateLo, MUL_HI)) >>> 0;
    const lo = pLo + this.incLo;
    this.stateLo = lo >>> 0;
    this.stateHi = (hi + this.incHi + (lo >= TWO32 ? 1 : 0)) >>> 0;
  }

  /** Uniform on [0, 2^32). */
  nextUint32(): number {
    const oldHi = this.stateHi;
    const oldLo = this.stateLo;
    this.advance();
    // xorshifted = ((old >> 18) ^ old) >> 27, low 32 bits; rot = old >> 59
    const xHi = (oldHi ^ (oldHi >>> 18)) >>> 0;
    const xLo = (oldLo ^ ((oldLo >>> 18) | (oldHi << 14))) >>> 0;
    const xs = ((xLo >>> 27) | (xHi << 5)) >>> 0;
    const rot = oldHi >>> 27;
    return ((xs >>> rot) | (xs << ((32 - rot) & 31))) >>> 0;
  }

  /** Uniform integer on [0, bound), unbiased (pcg32_boundedrand_r's rejection), bound ≤ 2^32. */
  int(bound: number): number {
    if (!Number.isInteger(bound) || bound < 1 || bound > TWO32) {
      throw new RangeError(`rng.int: bound must be an integer in [1, 2^32], got ${bound}`);
    }
    const threshold = (TWO32 - bound) % bound;
    for (;;) {
      const r = this.nextUint32();
      if (r >= threshold) return r % bound;
    }
  }

  /** Uniform on [0, 1) with 53 random bits. */
  float(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** Standard normal by Box–Muller (cosine branch only, so the state stays just the LCG state). */
  normal(): number {
    const u1 = 1 - this.float(); // (0, 1]: log never sees 0
    const u2 = this.float();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** n normals · std + mean as float32 (e.g. initial weights). */
  normals(n: number, std = 1, mean = 0): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = mean + std * this.normal();
    return out;
  }

  /** Fisher–Yates in place; returns the array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = items[i];
      items[i] = items[j];
      items[j] = t;
    }
    return items;
  }
}
