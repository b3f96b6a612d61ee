/**
 * Runs every op of one generated variant on fresh random inputs through a kernel executor and measures the
 * relative error of every output against the float64 references. Shared by the Dawn (standalone WGSL) and
 * the tfjs-webgpu tests; the executor decides how the kernel runs.
 */
import { makeRng, randn, relErr } from '../../helpers/reference/random.ts';
import type { KernelEntry } from '../../../runtime/kernels/table.ts';
import { backwardRef, forwardRef, materializeBackwardRef, materializeRef, stepRef } from '../reference.ts';
import { hostArray, randomInputs, roundTo, toF64 } from './cases.ts';

export type HostArray = Float32Array | Uint16Array;
export type Executor = (
  entry: KernelEntry,
  op: string,
  inputs: Record<string, HostArray | undefined>,
  dims: { batch: number; seqLen: number },
) => Promise<Record<string, HostArray>>;

export interface CheckResult {
  case: string;
  output: string;
  err: number;
  /** Every element was written (the executor poisons outputs with NaN first). */
  finite: boolean;
}

const f32 = (a: Float64Array) => Float32Array.from(a);

/** Test sizes: a partial last chunk, and small enough for a software rasteriser. */
export function testDims(e: KernelEntry): { batch: number; seqLen: number } {
  const big = e.h * e.p * e.n > 8192;
  return big ? { batch: 1, seqLen: e.q + 22 } : { batch: 2, seqLen: e.q + Math.floor(e.q / 2) + 3 };
}

export async function checkVariant(e: KernelEntry, run: Executor, seed: number, dims = testDims(e)): Promise<CheckResult[]> {
  const { batch: b, seqLen: t } = dims;
  const out: CheckResult[] = [];
  const io = (a: Float64Array) => hostArray(e.dtype, a);
  const f64 = (a: HostArray) => toF64(a, e.dtype);
  const finite = (a: HostArray) => f64(a).every(Number.isFinite);
  const push = (c: string, name: string, got: HostArray, want: Float64Array) =>
    out.push({ case: c, output: name, err: relErr(f64(got), want), finite: finite(got) });
  const rng = makeRng(seed + 1000);
  if (e.kernel === 'ssd_fwd') {
    for (const withS0 of [true, false]) {
      const inp = randomInputs(e, b, t, seed + (withS0 ? 0 : 1), withS0);
      const r = await run(e, 'forward', { xBuf: io(inp.x), decBuf: f32(inp.dec), bBuf: io(inp.B), cBuf: io(inp.C), hpBuf: f32(inp.hp), s0Buf: inp.s0 && f32(inp.s0) }, dims);
      const ref = forwardRef(inp);
      const c = withS0 ? 'with initial state' : 'zero initial state';
      push(c, 'y', r.y, ref.y);
      push(c, 'finalState', r.finalState, ref.finalState);
    }
  } else if (e.kernel === 'ssd_bwd') {
    for (const full of [true, false]) {
      const inp = randomInputs(e, b, t, seed + (full ? 0 : 1), full);
      const dy = roundTo(e.dtype, randn(rng, b * t * e.h * e.p));
      const dsf = full ? roundTo('f32', randn(rng, b * e.h * e.p * e.n)) : undefined;
      const r = await run(
        e,
        'backward',
        { xBuf: io(inp.x), decBuf: f32(inp.dec), bBuf: io(inp.B), cBuf: io(inp.C), hpBuf: f32(inp.hp), s0Buf: inp.s0 && f32(inp.s0), dyBuf: io(dy), dsfBuf: dsf && f32(dsf) },
        dims,
      );
      const g = backwardRef(inp, dy, dsf);
      const c = full ? 'initial state and dS_final' : 'neither';
      for (const k of ['dx', 'ddec', 'dB', 'dC', 'dS0'] as const) push(c, k, r[k], g[k]);
      if (e.decay === 'continuous') push(c, 'dAlogPart', r.dAlogPart, g.dAlogPart);
    }
  } else if (e.kernel === 'ssd_step') {
    const inp = randomInputs(e, b, 1, seed, true);
    const state = roundTo('f32', randn(rng, b * e.h * e.p * e.n));
    const r = await run(e, 'forward', { stateBuf: f32(state), xBuf: io(inp.x), decBuf: f32(inp.dec), bBuf: io(inp.B), cBuf: io(inp.C), hpBuf: f32(inp.hp) }, { batch: b, seqLen: 1 });
    const ref = stepRef({ ...inp, state });
    push('one token', 'state', r.state, ref.state);
    push('one token', 'y', r.y, ref.y);
  } else {
    const tm = Math.min(t, 100);
    const inp = randomInputs(e, b, tm, seed, false);
    const mdims = { batch: b, seqLen: tm };
    const base = { decBuf: f32(inp.dec), bBuf: io(inp.B), cBuf: io(inp.C), hpBuf: f32(inp.hp) };
    const r = await run(e, 'forward', base, mdims);
    push('matrix', 'M', r.M, materializeRef(inp));
    const dM = roundTo(e.dtype, randn(rng, b * e.h * tm * tm));
    const rb = await run(e, 'backward', { ...base, dmBuf: io(dM) }, mdims);
    const g = materializeBackwardRef(inp, dM);
    for (const k of ['dB', 'dC', 'ddec'] as const) push('matrix backward', k, rb[k], g[k]);
    if (e.decay === 'continuous') push('matrix backward', 'dAlogPart', rb.dAlogPart, g.dAlogPart);
    const dD = new Float64Array(e.h);
    const part = f64(rb.dDPart);
    for (let i = 0; i < part.length; i++) dD[i % e.h] += part[i];
    out.push({ case: 'matrix backward', output: 'dD', err: relErr(dD, g.dD), finite: finite(rb.dDPart) });
  }
  return out;
}
