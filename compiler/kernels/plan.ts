/**
 * The pass graph of every kernel op, as data. The WGSL emitter writes one module per pass, the dispatch
 * table carries these plans, and the runtime executes them generically (through Dawn or as tfjs-webgpu
 * programs): a pass reads named buffers (op inputs or earlier pass outputs, bindings 1..n) and writes exactly
 * one buffer (binding 0, `result`), because a tfjs-webgpu program has exactly one output. Ops with several
 * results pack them into one buffer and name slices of it.
 *
 * Sizes are sums of products of the variant's constants and three run-time symbols: batch, seqLen, chunks
 * (= ceil(seqLen / Q)). The structural types here are duplicated in runtime/kernels/table.ts (the compiler may
 * not import the runtime); test/kernels/table-types.test.ts keeps them identical.
 */
import type { DType, KernelVariantIR } from '../ir/types.ts';

export type Sym = 'batch' | 'seqLen' | 'chunks';
/** A product of constants and symbols. */
export type Term = (number | Sym)[];
/** A sum of products. */
export type Expr = Term[];

export interface BufferSpec {
  name: string;
  dtype: DType;
  /** Elements. */
  size: Expr;
  /** The logical shape the op's caller sees (op inputs only). */
  shape?: Expr[];
}

export interface GridAxis {
  /** ceil(count / per) workgroups. */
  count: Expr;
  per: number;
}

export interface PassPlan {
  /** Section name in the .wgsl file. */
  name: string;
  /** Bindings 1..n, in order. */
  inputs: string[];
  /** Binding 0. */
  output: BufferSpec;
  workgroupSize: [number, number, number];
  grid: [GridAxis, GridAxis, GridAxis];
}

export interface OpOutput {
  name: string;
  from: string;
  offset: Expr;
  shape: Expr[];
  dtype: DType;
}

export interface OpPlan {
  inputs: BufferSpec[];
  /** Inputs that may be absent; each sets a bit of the `flags` uniform when present. */
  optional: { name: string; flag: number }[];
  passes: PassPlan[];
  outputs: OpOutput[];
}

/** Uniforms every pass declares, in this order (i32 each). loopZero is always 0 (see wgsl/emit.ts). */
export const UNIFORMS = ['batch', 'seqLen', 'chunks', 'flags', 'loopZero'] as const;

export const WG = 64;
export const FLAG_S0 = 1;
export const FLAG_DSF = 2;

const one = (...t: (number | Sym)[]): Expr => [t];
const sum = (...terms: Term[]): Expr => terms;
const axis = (count: Expr, per = 1): GridAxis => ({ count, per });
const fixed = (n: number): GridAxis => ({ count: [[n]], per: 1 });

export function ioType(v: KernelVariantIR): DType {
  return v.dtype;
}

/** Rows of the per-workgroup tiles (R·Q ≤ 1024 floats per tile keeps three tiles under 16 KiB). */
export function tileRows(v: KernelVariantIR): number {
  return Math.max(1, Math.min(v.q, Math.floor(1024 / v.q)));
}

function ssdInputs(v: KernelVariantIR, withDy: boolean): BufferSpec[] {
  const io = ioType(v);
  const { h, p, g, n } = v;
  const list: BufferSpec[] = [
    { name: 'xBuf', dtype: io, size: one('batch', 'seqLen', h * p), shape: [one('batch'), one('seqLen'), one(h), one(p)] },
    { name: 'decBuf', dtype: 'f32', size: one('batch', 'seqLen', h), shape: [one('batch'), one('seqLen'), one(h)] },
    { name: 'bBuf', dtype: io, size: one('batch', 'seqLen', g * n), shape: [one('batch'), one('seqLen'), one(g), one(n)] },
    { name: 'cBuf', dtype: io, size: one('batch', 'seqLen', g * n), shape: [one('batch'), one('seqLen'), one(g), one(n)] },
    { name: 'hpBuf', dtype: 'f32', size: one(3 * h), shape: [one(3), one(h)] },
    { name: 's0Buf', dtype: 'f32', size: one('batch', h * p * n), shape: [one('batch'), one(h), one(p), one(n)] },
  ];
  if (withDy) {
    list.push({ name: 'dyBuf', dtype: io, size: one('batch', 'seqLen', h * p), shape: [one('batch'), one('seqLen'), one(h), one(p)] });
    list.push({ name: 'dsfBuf', dtype: 'f32', size: one('batch', h * p * n), shape: [one('batch'), one(h), one(p), one(n)] });
  }
  return list;
}

/** Passes 1–2 of the forward, shared by the backward (which recomputes the entering states). */
function statePasses(v: KernelVariantIR): PassPlan[] {
  const { h, p, n } = v;
  const pn = p * n;
  return [
    {
      name: 'chunk_state',
      inputs: ['xBuf', 'decBuf', 'bBuf', 'hpBuf'],
      output: { name: 'chunkBuf', dtype: 'f32', size: one('chunks', 'batch', h * (pn + 1)) },
      workgroupSize: [WG, 1, 1],
      grid: [axis(one('chunks')), fixed(h), axis(one('batch'))],
    },
    {
      name: 'state_pass',
      inputs: ['chunkBuf', 's0Buf'],
      output: { name: 'statesBuf', dtype: 'f32', size: sum(['chunks', 'batch', h * pn], ['batch', h * pn]) },
      workgroupSize: [WG, 1, 1],
      grid: [axis(one(pn), WG), fixed(h), axis(one('batch'))],
    },
  ];
}

export function forwardPlan(v: KernelVariantIR): OpPlan {
  const { h, p, n } = v;
  return {
    inputs: ssdInputs(v, false),
    optional: [{ name: 's0Buf', flag: FLAG_S0 }],
    passes: [
      ...statePasses(v),
      {
        name: 'chunk_scan',
        inputs: ['xBuf', 'decBuf', 'bBuf', 'cBuf', 'hpBuf', 'statesBuf'],
        output: { name: 'yBuf', dtype: ioType(v), size: one('batch', 'seqLen', h * p) },
        workgroupSize: [WG, 1, 1],
        grid: [axis(one('chunks')), fixed(h), axis(one('batch'))],
      },
    ],
    outputs: [
      { name: 'y', from: 'yBuf', offset: [], shape: [one('batch'), one('seqLen'), one(h), one(p)], dtype: ioType(v) },
      { name: 'finalState', from: 'statesBuf', offset: one('chunks', 'batch', h * p * n), shape: [one('batch'), one(h), one(p), one(n)], dtype: 'f32' },
    ],
  };
}

export function backwardPlan(v: KernelVariantIR): OpPlan {
  const { h, p, g, n } = v;
  const pn = p * n;
  const states = sum(['chunks', 'batch', h * pn], ['batch', h * pn]);
  return {
    inputs: ssdInputs(v, true),
    optional: [
      { name: 's0Buf', flag: FLAG_S0 },
      { name: 'dsfBuf', flag: FLAG_DSF },
    ],
    passes: [
      ...statePasses(v),
      {
        name: 'rev_chunk_state',
        inputs: ['dyBuf', 'decBuf', 'cBuf', 'hpBuf'],
        output: { name: 'dchunkBuf', dtype: 'f32', size: one('chunks', 'batch', h * (pn + 1)) },
        workgroupSize: [WG, 1, 1],
        grid: [axis(one('chunks')), fixed(h), axis(one('batch'))],
      },
      {
        name: 'rev_state_pass',
        inputs: ['dchunkBuf', 'dsfBuf', 'statesBuf'],
        output: { name: 'bothBuf', dtype: 'f32', size: [...states.map((t) => [2, ...t])] },
        workgroupSize: [WG, 1, 1],
        grid: [axis(one(pn), WG), fixed(h), axis(one('batch'))],
      },
      {
        name: 'bwd_main',
        inputs: ['xBuf', 'decBuf', 'bBuf', 'cBuf', 'hpBuf', 'bothBuf', 'dyBuf'],
        output: { name: 'gradBuf', dtype: 'f32', size: one('batch', 'seqLen', h * p + 2 * g * n + 2 * h) },
        workgroupSize: [WG, 1, 1],
        grid: [axis(one('chunks')), fixed(g), axis(one('batch'))],
      },
    ],
    outputs: [
      { name: 'dx', from: 'gradBuf', offset: [], shape: [one('batch'), one('seqLen'), one(h), one(p)], dtype: 'f32' },
      { name: 'dB', from: 'gradBuf', offset: one('batch', 'seqLen', h * p), shape: [one('batch'), one('seqLen'), one(g), one(n)], dtype: 'f32' },
      { name: 'dC', from: 'gradBuf', offset: one('batch', 'seqLen', h * p + g * n), shape: [one('batch'), one('seqLen'), one(g), one(n)], dtype: 'f32' },
      { name: 'ddec', from: 'gradBuf', offset: one('batch', 'seqLen', h * p + 2 * g * n), shape: [one('batch'), one('seqLen'), one(h)], dtype: 'f32' },
      { name: 'dAlogPart', from: 'gradBuf', offset: one('batch', 'seqLen', h * p + 2 * g * n + h), shape: [one('batch'), one('seqLen'), one(h)], dtype: 'f32' },
      // dS0 is the last slot of the reverse-passed states: after the forward states copy and c slots.
      { name: 'dS0', from: 'bothBuf', offset: sum(['chunks', 'batch', h * pn], ['batch', h * pn], ['chunks', 'batch', h * pn]), shape: [one('batch'), one(h), one(p), one(n)], dtype: 'f32' },
    ],
  };
}

export function stepPlan(v: KernelVariantIR): OpPlan {
  const { h, p, g, n } = v;
  const io = ioType(v);
  return {
    inputs: [
      { name: 'stateBuf', dtype: 'f32', size: one('batch', h * p * n), shape: [one('batch'), one(h), one(p), one(n)] },
      { name: 'xBuf', dtype: io, size: one('batch', h * p), shape: [one('batch'), one(h), one(p)] },
      { name: 'decBuf', dtype: 'f32', size: one('batch', h), shape: [one('batch'), one(h)] },
      { name: 'bBuf', dtype: io, size: one('batch', g * n), shape: [one('batch'), one(g), one(n)] },
      { name: 'cBuf', dtype: io, size: one('batch', g * n), shape: [one('batch'), one(g), one(n)] },
      { name: 'hpBuf', dtype: 'f32', size: one(3 * h), shape: [one(3), one(h)] },
    ],
    optional: [],
    passes: [
      {
        name: 'step',
        inputs: ['stateBuf', 'xBuf', 'decBuf', 'bBuf', 'cBuf', 'hpBuf'],
        output: { name: 'stepBuf', dtype: 'f32', size: one('batch', h * p * (n + 1)) },
        workgroupSize: [WG, 1, 1],
        grid: [axis(one(h * p), WG), axis(one('batch')), fixed(1)],
      },
    ],
    outputs: [
      { name: 'state', from: 'stepBuf', offset: [], shape: [one('batch'), one(h), one(p), one(n)], dtype: 'f32' },
      { name: 'y', from: 'stepBuf', offset: one('batch', h * p * n), shape: [one('batch'), one(h), one(p)], dtype: 'f32' },
    ],
  };
}

function materializeInputs(v: KernelVariantIR): BufferSpec[] {
  const io = ioType(v);
  const { h, g, n } = v;
  return [
    { name: 'decBuf', dtype: 'f32', size: one('batch', 'seqLen', h), shape: [one('batch'), one('seqLen'), one(h)] },
    { name: 'bBuf', dtype: io, size: one('batch', 'seqLen', g * n), shape: [one('batch'), one('seqLen'), one(g), one(n)] },
    { name: 'cBuf', dtype: io, size: one('batch', 'seqLen', g * n), shape: [one('batch'), one('seqLen'), one(g), one(n)] },
    { name: 'hpBuf', dtype: 'f32', size: one(3 * h), shape: [one(3), one(h)] },
  ];
}

export function materializePlan(v: KernelVariantIR): OpPlan {
  const { h } = v;
  return {
    inputs: materializeInputs(v),
    optional: [],
    passes: [
      {
        name: 'materialize',
        inputs: ['decBuf', 'bBuf', 'cBuf', 'hpBuf'],
        output: { name: 'mBuf', dtype: ioType(v), size: one('batch', h, 'seqLen', 'seqLen') },
        workgroupSize: [WG, 1, 1],
        grid: [axis(one('seqLen'), WG), fixed(h), axis(one('batch'))],
      },
    ],
    outputs: [{ name: 'M', from: 'mBuf', offset: [], shape: [one('batch'), one(h), one('seqLen'), one('seqLen')], dtype: ioType(v) }],
  };
}

export function materializeBackwardPlan(v: KernelVariantIR): OpPlan {
  const { h, g, n } = v;
  const io = ioType(v);
  const inputs = [
    ...materializeInputs(v),
    { name: 'dmBuf', dtype: io, size: one('batch', h, 'seqLen', 'seqLen'), shape: [one('batch'), one(h), one('seqLen'), one('seqLen')] },
  ];
  const mInputs = ['decBuf', 'bBuf', 'cBuf', 'hpBuf', 'dmBuf'];
  return {
    inputs,
    optional: [],
    passes: [
      {
        name: 'mat_rows',
        inputs: mInputs,
        output: { name: 'rowsBuf', dtype: 'f32', size: sum(['batch', 'seqLen', g * n], ['batch', h, 'seqLen', 'seqLen']) },
        workgroupSize: [WG, 1, 1],
        grid: [axis(one('seqLen'), WG), fixed(g), axis(one('batch'))],
      },
      {
        name: 'mat_cols',
        inputs: [...mInputs, 'rowsBuf'],
        output: { name: 'colsBuf', dtype: 'f32', size: one('batch', 'seqLen', g * n + 2 * h) },
        workgroupSize: [WG, 1, 1],
        grid: [axis(one('seqLen'), WG), fixed(g), axis(one('batch'))],
      },
      {
        name: 'mat_final',
        inputs: ['colsBuf', 'decBuf', 'hpBuf', 'dmBuf'],
        output: { name: 'matGradBuf', dtype: 'f32', size: sum(['batch', 'seqLen', 2 * h], ['batch', h]) },
        workgroupSize: [WG, 1, 1],
        grid: [axis(one(h), WG), axis(one('batch')), fixed(1)],
      },
    ],
    outputs: [
      { name: 'dC', from: 'rowsBuf', offset: [], shape: [one('batch'), one('seqLen'), one(g), one(n)], dtype: 'f32' },
      { name: 'dB', from: 'colsBuf', offset: [], shape: [one('batch'), one('seqLen'), one(g), one(n)], dtype: 'f32' },
      { name: 'ddec', from: 'matGradBuf', offset: [], shape: [one('batch'), one('seqLen'), one(h)], dtype: 'f32' },
      { name: 'dAlogPart', from: 'matGradBuf', offset: one('batch', 'seqLen', h), shape: [one('batch'), one('seqLen'), one(h)], dtype: 'f32' },
      { name: 'dDPart', from: 'matGradBuf', offset: one('batch', 'seqLen', 2 * h), shape: [one('batch'), one(h)], dtype: 'f32' },
    ],
  };
}

/** The ops a variant file provides: ssd_materialize carries its own backward (stage 1 trains through it). */
export function opPlans(v: KernelVariantIR): Record<string, OpPlan> {
  switch (v.kernel) {
    case 'ssd_fwd':
      return { forward: forwardPlan(v) };
    case 'ssd_bwd':
      return { backward: backwardPlan(v) };
    case 'ssd_step':
      return { forward: stepPlan(v) };
    case 'ssd_materialize':
      return { forward: materializePlan(v), backward: materializeBackwardPlan(v) };
  }
}
