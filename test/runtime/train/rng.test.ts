import { describe, expect, it } from 'vitest';
import { Rng, streamId } from '../../../runtime/train/rng.ts';

// An independent PCG32 (pcg-c-basic) on BigInt: the production code uses 32-bit halves, this one the
// algorithm's textbook 64-bit form.
class BigPcg {
  state = 0n;
  inc: bigint;
  static readonly M = (1n << 64n) - 1n;
  constructor(initstate: bigint, initseq: bigint) {
    this.inc = ((initseq << 1n) | 1n) & BigPcg.M;
    this.next();
    this.state = (this.state + initstate) & BigPcg.M;
    this.next();
  }
  next(): number {
    const old = this.state;
    this.state = (old * 6364136223846793005n + this.inc) & BigPcg.M;
    const xs = Number((((old >> 18n) ^ old) >> 27n) & 0xffffffffn);
    const rot = Number(old >> 59n);
    return ((xs >>> rot) | (xs << ((32 - rot) & 31))) >>> 0;
  }
}

describe('Rng (PCG32)', () => {
  it("reproduces pcg32-demo's published output for seed 42, sequence 54", () => {
    const rng = Rng.fromSeed(42, 54);
    const words = Array.from({ length: 6 }, () => rng.nextUint32());
    expect(words).toEqual([0xa15c02b7, 0x7b47f409, 0xba1d3330, 0x83d2f293, 0xbfa4784b, 0xcbed606e]);
    // The demo continues with 65 coin tosses and 33 dice rolls through pcg32_boundedrand_r.
    const coins = Array.from({ length: 65 }, () => (rng.int(2) ? 'H' : 'T')).join('');
    expect(coins).toBe('HHTTTHTHHHTHTTTHHHHHTTTHHHTHTHTHTTHTTTHHHHHHTTTTHHTTTTTHTTTTTTTHT');
    const rolls = Array.from({ length: 33 }, () => rng.int(6) + 1).join(' ');
    expect(rolls).toBe('3 4 1 1 2 2 3 2 4 3 2 4 3 3 5 2 3 1 3 1 5 1 4 1 5 6 4 6 6 2 6 3 3');
  });

  it('equals a BigInt PCG32 for seeds and streams across the 64-bit range', () => {
    const seeds = [0, 1, 0xffffffff, 2 ** 32, 2 ** 53 - 1, 123456789012345];
    const streams = [0, 1, 0x7fffffff, 0xffffffff, 2 ** 40 + 3];
    for (const seed of seeds) {
      for (const stream of streams) {
        const ours = Rng.fromSeed(seed, stream);
        const ref = new BigPcg(BigInt(seed), BigInt(stream));
        for (let i = 0; i < 200; i++) expect(ours.nextUint32()).toBe(ref.next());
      }
    }
  });

  it('resumes exactly from its JSON state', () => {
    const a = Rng.fromSeed(7, 'data');
    for (let i = 0; i < 1000; i++) a.nextUint32();
    const saved = JSON.parse(JSON.stringify(a.state()));
    const b = Rng.fromState(saved);
    const fromA = [a.float(), a.normal(), a.int(1000), a.nextUint32()];
    const fromB = [b.float(), b.normal(), b.int(1000), b.nextUint32()];
    expect(fromB).toEqual(fromA);
    const c = Rng.fromSeed(99);
    c.setState(saved);
    expect([c.float(), c.normal(), c.int(1000), c.nextUint32()]).toEqual(fromA);
  });

  it('gives different sequences for different streams of one seed; labels map to stream numbers', () => {
    const a = Rng.fromSeed(0, 'data');
    const b = Rng.fromSeed(0, 'init');
    const c = Rng.fromSeed(0, streamId('data'));
    const xa = Array.from({ length: 8 }, () => a.nextUint32());
    const xb = Array.from({ length: 8 }, () => b.nextUint32());
    const xc = Array.from({ length: 8 }, () => c.nextUint32());
    expect(xa).not.toEqual(xb);
    expect(xc).toEqual(xa);
  });

  it('streamId is 32-bit FNV-1a', () => {
    // FNV-1a test vectors from the algorithm's published table.
    expect(streamId('')).toBe(0x811c9dc5);
    expect(streamId('a')).toBe(0xe40c292c);
    expect(streamId('foobar')).toBe(0xbf9cf968);
  });

  it('draws uniform integers without bias and normals with the right moments', () => {
    const rng = Rng.fromSeed(3);
    const bound = 7;
    const counts = new Array(bound).fill(0);
    const n = 70000;
    for (let i = 0; i < n; i++) counts[rng.int(bound)]++;
    const expected = n / bound;
    const chi2 = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
    expect(chi2).toBeLessThan(22.5); // χ²(6) at p = 0.001

    const z = rng.normals(100000);
    let mean = 0;
    for (const v of z) mean += v;
    mean /= z.length;
    let variance = 0;
    for (const v of z) variance += (v - mean) ** 2;
    variance /= z.length;
    expect(Math.abs(mean)).toBeLessThan(0.02); // 5σ of the sample mean
    expect(Math.abs(variance - 1)).toBeLessThan(0.03);

    for (let i = 0; i < 1000; i++) {
      const u = rng.float();
      expect(u >= 0 && u < 1).toBe(true);
    }
  });

  it('shuffles into a permutation and forks into independent generators deterministically', () => {
    const items = Array.from({ length: 50 }, (_, i) => i);
    const shuffled = Rng.fromSeed(5).shuffle([...items]);
    expect([...shuffled].sort((x, y) => x - y)).toEqual(items);
    expect(shuffled).not.toEqual(items);
    expect(Rng.fromSeed(5).shuffle([...items])).toEqual(shuffled);

    const f1 = Rng.fromSeed(9).fork('a');
    const f2 = Rng.fromSeed(9).fork('a');
    expect(f1.state()).toEqual(f2.state());
    expect(Rng.fromSeed(9).fork('b').state()).not.toEqual(f1.state());
  });

  it('rejects malformed states and arguments with a message', () => {
    expect(() => Rng.fromState({ algorithm: 'pcg32', state: 'xyz', inc: '0000000000000001' })).toThrow(/state/);
    expect(() => Rng.fromState({ algorithm: 'pcg32', state: '0000000000000000', inc: '0000000000000002' })).toThrow(/odd/);
    expect(() => Rng.fromState({ algorithm: 'mt' } as never)).toThrow(/pcg32/);
    expect(() => Rng.fromSeed(-1)).toThrow(/seed/);
    expect(() => Rng.fromSeed(1.5)).toThrow(/seed/);
    expect(() => Rng.fromSeed(0).int(0)).toThrow(/bound/);
  });
});
