/**
 * The three forms of the SSD core (materialised matrix, chunked, step-by-step) against the float64 naive
 * recurrence and against each other, on fresh seeded inputs: T not a multiple of Q, G < H, Q = 1, T = 1,
 * initial states, packed-sequence resets. Tolerance 1e-5 relative (float32 vs float64).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../../runtime/tensor/backend.ts';
import { ssdChunked } from '../../../runtime/mixers/ssd-chunked.ts';
import { applyMixingMatrix, ssdMatrix } from '../../../runtime/mixers/ssd-matrix.ts';
import { ssdRecurrent } from '../../../runtime/mixers/ssd-step.ts';
import { relErr } from '../../helpers/reference/random.ts';
import { applyMatrixF64, ssdMatrixF64, ssdRecurrenceF64 } from '../../helpers/reference/ssd-f64.ts';
import { caseName, host, randomSsd, toTensors, type Case } from './ssd-helpers.ts';

const TOL = 1e-5;
const CASES: Case[] = [
  { b: 2, t: 37, h: 4, p: 3, g: 2, n: 5, q: 8 }, // T not a multiple of Q, G < H
  { b: 1, t: 1, h: 2, p: 2, g: 1, n: 3, q: 4 }, // T = 1
  { b: 2, t: 9, h: 3, p: 2, g: 3, n: 2, q: 1 }, // Q = 1
  { b: 1, t: 64, h: 8, p: 8, g: 8, n: 8, q: 16 }, // stories260K-shaped head
  { b: 2, t: 20, h: 4, p: 4, g: 1, n: 4, q: 20 }, // one chunk exactly, G = 1
  { b: 1, t: 50, h: 6, p: 2, g: 3, n: 4, q: 64 }, // Q > T
];
const SEEDS = [11, 12, 13];

describe.each(['wasm', 'cpu'] as const)('SSD forms on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  for (const c of CASES)
    for (const seed of SEEDS) {
      it(`agree with the float64 recurrence (${caseName(c)}, seed ${seed})`, async () => {
        const ref = randomSsd(c, seed);
        const want = ssdRecurrenceF64(ref);
        const wantM = ssdMatrixF64(ref);
        const inp = toTensors(ref);
        const chunked = ssdChunked(inp, { chunk: c.q });
        const rec = ssdRecurrent(inp);
        const m = ssdMatrix(inp);
        const ym = applyMixingMatrix(m, inp.x);
        expect(relErr(await host(chunked.y), want.y)).toBeLessThan(TOL);
        expect(relErr(await host(chunked.finalState), want.finalState)).toBeLessThan(TOL);
        expect(relErr(await host(rec.y), want.y)).toBeLessThan(TOL);
        expect(relErr(await host(rec.finalState), want.finalState)).toBeLessThan(TOL);
        expect(relErr(await host(m), wantM)).toBeLessThan(TOL);
        expect(relErr(await host(ym), applyMatrixF64(wantM, ref.x, c))).toBeLessThan(TOL);
        expect(relErr(await host(ym), want.y)).toBeLessThan(TOL);
        tf.dispose([chunked.y, chunked.finalState, rec.y, rec.finalState, m, ym, ...Object.values(inp)]);
      });
    }

  it.each(CASES.map((c, i) => [caseName(c), c, 100 + i] as const))('initial state flows in (%s)', async (_n, c, seed) => {
    const ref = randomSsd(c, seed, { initialState: true });
    const want = ssdRecurrenceF64(ref);
    const inp = toTensors(ref);
    const chunked = ssdChunked(inp, { chunk: c.q, initialState: inp.initialState });
    const rec = ssdRecurrent(inp, inp.initialState);
    expect(relErr(await host(chunked.y), want.y)).toBeLessThan(TOL);
    expect(relErr(await host(chunked.finalState), want.finalState)).toBeLessThan(TOL);
    expect(relErr(await host(rec.y), want.y)).toBeLessThan(TOL);
    tf.dispose([chunked.y, chunked.finalState, rec.y, rec.finalState, ...Object.values(inp)]);
  });

  it.each(CASES.filter((c) => c.t > 1).map((c, i) => [caseName(c), c, 200 + i] as const))(
    'chunked with an initial state = two halves back to back (%s)',
    async (_n, c, seed) => {
      const inp = toTensors(randomSsd(c, seed, { initialState: true }));
      const whole = ssdChunked(inp, { chunk: c.q, initialState: inp.initialState });
      const cut = Math.floor(c.t / 2) + 1; // halves of unequal length, neither a multiple of Q in general
      const half = (from: number, len: number) => ({
        x: inp.x.slice([0, from], [-1, len]),
        logA: inp.logA.slice([0, from], [-1, len]),
        B: inp.B.slice([0, from], [-1, len]),
        C: inp.C.slice([0, from], [-1, len]),
      });
      const first = ssdChunked(half(0, cut), { chunk: c.q, initialState: inp.initialState });
      const second = ssdChunked(half(cut, c.t - cut), { chunk: c.q, initialState: first.finalState });
      const joined = tf.concat([first.y, second.y], 1);
      expect(relErr(await host(joined), await host(whole.y))).toBeLessThan(TOL);
      expect(relErr(await host(second.finalState), await host(whole.finalState))).toBeLessThan(TOL);
    },
  );

  it.each(CASES.filter((c) => c.t > 1).map((c, i) => [caseName(c), c, 300 + i] as const))(
    'packed-sequence resets cut the state in every form (%s)',
    async (_n, c, seed) => {
      const ref = randomSsd(c, seed, { resetRate: 0.15, initialState: true });
      const want = ssdRecurrenceF64(ref);
      const wantM = ssdMatrixF64(ref);
      const inp = toTensors(ref);
      const chunked = ssdChunked(inp, { chunk: c.q, initialState: inp.initialState });
      const rec = ssdRecurrent(inp, inp.initialState);
      const m = ssdMatrix(inp);
      expect(relErr(await host(chunked.y), want.y)).toBeLessThan(TOL);
      expect(relErr(await host(chunked.finalState), want.finalState)).toBeLessThan(TOL);
      expect(relErr(await host(rec.y), want.y)).toBeLessThan(TOL);
      expect(relErr(await host(m), wantM)).toBeLessThan(TOL);
    },
  );
});

describe.each(['wasm', 'cpu'] as const)('blockwise materialised matrix on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });
  it.each(CASES.map((c, i) => [caseName(c), c, 400 + i] as const))('equals the float64 matrix for any block length (%s)', async (_n, c, seed) => {
    const ref = randomSsd(c, seed, { resetRate: 0.1 });
    const want = ssdMatrixF64(ref);
    const inp = toTensors(ref);
    for (const block of [0, 1, 3, 4, 16]) expect(relErr(await host(ssdMatrix(inp, { block })), want), `block ${block}`).toBeLessThan(TOL);
  });
});

describe('resets are real cuts', () => {
  it('a reset makes the output after it independent of everything before it', async () => {
    await useBackend('wasm');
    const c = { b: 1, t: 30, h: 2, p: 3, g: 2, n: 4, q: 8 };
    const ref = randomSsd(c, 7, { initialState: true });
    ref.resets = new Uint8Array(c.t);
    ref.resets[13] = 1;
    const other = randomSsd(c, 8, { initialState: true });
    // Same tokens from 13 on, different before (and a different initial state).
    for (let t = 13; t < c.t; t++) {
      for (let i = 0; i < c.h * c.p; i++) other.x[t * c.h * c.p + i] = ref.x[t * c.h * c.p + i];
      for (let i = 0; i < c.h; i++) other.logA[t * c.h + i] = ref.logA[t * c.h + i];
      for (let i = 0; i < c.g * c.n; i++) {
        other.B[t * c.g * c.n + i] = ref.B[t * c.g * c.n + i];
        other.C[t * c.g * c.n + i] = ref.C[t * c.g * c.n + i];
      }
    }
    other.resets = ref.resets;
    const a = toTensors(ref);
    const b = toTensors(other);
    const ya = await host(ssdChunked(a, { chunk: c.q, initialState: a.initialState }).y.slice([0, 13], [-1, -1]));
    const yb = await host(ssdChunked(b, { chunk: c.q, initialState: b.initialState }).y.slice([0, 13], [-1, -1]));
    expect(relErr(ya, yb)).toBeLessThan(1e-6);
    // And without the reset they differ (the test would be vacuous otherwise).
    const noReset = { ...a, resets: undefined };
    const noResetB = { ...b, resets: undefined };
    const za = await host(ssdChunked(noReset, { chunk: c.q, initialState: a.initialState }).y.slice([0, 13], [-1, -1]));
    const zb = await host(ssdChunked(noResetB, { chunk: c.q, initialState: b.initialState }).y.slice([0, 13], [-1, -1]));
    expect(relErr(za, zb)).toBeGreaterThan(1e-3);
  });
});
