/**
 * Generated WGSL kernels as tfjs-webgpu kernels, with gradients: each op of a variant is registered as one
 * tfjs kernel (backend 'webgpu') that runs the op's passes through the backend's own program runner (so they
 * share its command encoder and buffer manager), and the SSD forward and the materialised matrix are wrapped
 * in tf.customGrad whose backward runs the generated backward passes. A dispatch counter per pass lets tests
 * prove that training went through the generated kernels.
 *
 * Only f32 variants: tfjs-webgpu tensors are f32. Packed-sequence resets are not supported by the kernels.
 */
import { tf } from '../tensor/backend.ts';
import { KernelError } from './errors.ts';
import { findVariant, kernelFilePath } from './registry.ts';
import { type KernelEntry, UNIFORMS, dimsFor, evalExpr } from './table.ts';
import { loadWgslFile, tfjsUserCode } from './wgsl-source.ts';

interface TensorInfo {
  dataId: object;
  shape: number[];
  dtype: string;
}

/** The part of tfjs-backend-webgpu's WebGPUBackend these kernels use. */
interface WebGpuBackendLike {
  runWebGPUProgram(program: object, inputs: TensorInfo[], dtype: 'float32', uniforms?: { type: string; data: number[] }[]): TensorInfo;
  disposeData(dataId: object): void;
}

const dispatches = new Map<string, number>();
const registered = new Set<string>();

/** Passes dispatched through tfjs-webgpu so far, by `<key>/<pass>`. */
export function kernelDispatchCounts(): Record<string, number> {
  return Object.fromEntries(dispatches);
}

export function resetKernelDispatchCounts(): void {
  dispatches.clear();
}

function opOutputsFrom(entry: KernelEntry, op: string): string[] {
  return [...new Set(entry.ops[op].outputs.map((o) => o.from))];
}

function registerOp(entry: KernelEntry, op: string): string {
  const name = `Mohawk_${entry.key}_${op}`;
  if (registered.has(name)) return name;
  if (!entry.wgsl) throw new KernelError(`kernel ${entry.key} has no WGSL target`);
  if (entry.dtype !== 'f32') throw new KernelError(`kernel ${entry.key}: tfjs-webgpu tensors are f32, this variant is ${entry.dtype}`);
  const plan = entry.ops[op];
  const file = kernelFilePath(entry.wgsl.file);
  const keep = opOutputsFrom(entry, op);
  tf.registerKernel({
    kernelName: name,
    backendName: 'webgpu',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const be = backend as unknown as WebGpuBackendLike;
      const { batch, seqLen, flags } = attrs as unknown as { batch: number; seqLen: number; flags: number };
      const dims = dimsFor(entry, batch, seqLen);
      const uniforms = [dims.batch, dims.seqLen, dims.chunks, flags, 0].map((v) => ({ type: 'int32', data: [v] }));
      const bufs = new Map<string, TensorInfo>();
      for (const spec of plan.inputs) bufs.set(spec.name, inputs[spec.name] as unknown as TensorInfo);
      const produced: string[] = [];
      for (const pass of plan.passes) {
        const program = {
          variableNames: pass.inputs,
          outputShape: [evalExpr(pass.output.size, dims)],
          shaderKey: `mohawk_${entry.key}_${pass.name}`,
          dispatchLayout: { x: [0] },
          dispatch: pass.grid.map((a) => Math.ceil(evalExpr(a.count, dims) / a.per)),
          workgroupSize: pass.workgroupSize,
          uniforms: UNIFORMS.map((u) => `${u} : i32,`).join(' '),
          getUserCode: () => tfjsUserCode(loadWgslFile(file), pass.name, file),
        };
        const out = be.runWebGPUProgram(program, pass.inputs.map((n) => bufs.get(n)!), 'float32', uniforms);
        bufs.set(pass.output.name, out);
        produced.push(pass.output.name);
        const id = `${entry.key}/${pass.name}`;
        dispatches.set(id, (dispatches.get(id) ?? 0) + 1);
      }
      for (const n of produced) if (!keep.includes(n)) be.disposeData(bufs.get(n)!.dataId);
      return keep.map((n) => bufs.get(n)!) as unknown as tf.TensorInfo[];
    },
  });
  registered.add(name);
  return name;
}

/** Runs one op: inputs by plan name (absent optional inputs may be undefined); outputs by plan name. */
export function runWebGpuOp(entry: KernelEntry, op: string, inputs: Record<string, tf.Tensor | undefined>, batch: number, seqLen: number): Record<string, tf.Tensor> {
  if (tf.getBackend() !== 'webgpu') throw new KernelError(`kernel ${entry.key}: generated WGSL kernels need the webgpu backend (active: ${tf.getBackend()})`);
  const plan = entry.ops[op];
  if (!plan) throw new KernelError(`kernel ${entry.key} has no op '${op}'`);
  const name = registerOp(entry, op);
  const dims = dimsFor(entry, batch, seqLen);
  return tf.tidy(() => {
    let flags = 0;
    const named: Record<string, tf.Tensor> = {};
    for (const spec of plan.inputs) {
      const t = inputs[spec.name];
      const optional = plan.optional.find((o) => o.name === spec.name);
      if (!t) {
        if (!optional) throw new KernelError(`kernel ${entry.key} op ${op}: input ${spec.name} is required`);
        named[spec.name] = tf.zeros([1]);
        continue;
      }
      if (t.size !== evalExpr(spec.size, dims)) throw new KernelError(`kernel ${entry.key} op ${op}: ${spec.name} has ${t.size} values, expected ${evalExpr(spec.size, dims)}`);
      if (optional) flags |= optional.flag;
      named[spec.name] = t.dtype === 'float32' ? t.reshape([-1]) : t.toFloat().reshape([-1]);
    }
    const raw = tf.engine().runKernel(name, named as unknown as tf.NamedTensorMap, { batch, seqLen, flags } as unknown as tf.NamedAttrMap) as tf.Tensor[];
    const froms = opOutputsFrom(entry, op);
    const out: Record<string, tf.Tensor> = {};
    for (const o of plan.outputs) {
      const buf = raw[froms.indexOf(o.from)];
      const shape = o.shape.map((e) => evalExpr(e, dims));
      const count = shape.reduce((a, b) => a * b, 1);
      out[o.name] = tf.slice(buf, [evalExpr(o.offset, dims)], [count]).reshape(shape);
    }
    return out;
  });
}

export interface SsdKernelInputs {
  /** [b, T, H, P], unscaled (Mamba-2's Δ scaling happens in the kernel). */
  x: tf.Tensor;
  /** [b, T, H]: raw a (discrete) or raw dt (continuous). */
  dec: tf.Tensor;
  /** [b, T, G, N] */
  B: tf.Tensor;
  C: tf.Tensor;
  /** [H] skip. */
  D: tf.Tensor;
  /** [H], continuous decay only. */
  dtBias?: tf.Tensor;
  aLog?: tf.Tensor;
  /** [b, H, P, N] */
  initialState?: tf.Tensor;
}

type SaveFn = (tensors: tf.Tensor[]) => void;

function headParams(inp: { D: tf.Tensor; dtBias?: tf.Tensor; aLog?: tf.Tensor }): tf.Tensor {
  const z = tf.zerosLike(inp.D);
  return tf.stack([inp.D, inp.dtBias ?? z, inp.aLog ?? z]);
}

/**
 * y = SSD(x, decay, B, C) + D·x and the final state, forward and backward on generated kernels (the
 * variant pair ssd_fwd / ssd_bwd of one shape).
 */
export function ssdKernelForward(fwd: KernelEntry, bwd: KernelEntry | undefined, inp: SsdKernelInputs): { y: tf.Tensor; finalState: tf.Tensor } {
  const [b, t] = inp.x.shape as number[];
  const continuous = fwd.decay === 'continuous';
  const hp = headParams(inp);
  const s0 = inp.initialState ?? tf.zeros([b, fwd.h, fwd.p, fwd.n]);
  const ny = b * t * fwd.h * fwd.p;
  const ns = b * fwd.h * fwd.p * fwd.n;
  // tf.customGrad takes one output tensor: y and the final state travel as one flat vector.
  const f = tf.customGrad((...args: unknown[]) => {
    const [x, dec, B, C, hpT, s0T] = args as tf.Tensor[];
    (args[6] as SaveFn)([x, dec, B, C, hpT, s0T]);
    const r = runWebGpuOp(fwd, 'forward', { xBuf: x, decBuf: dec, bBuf: B, cBuf: C, hpBuf: hpT, s0Buf: s0T }, b, t);
    return {
      value: tf.concat([r.y.reshape([-1]), r.finalState.reshape([-1])]),
      gradFunc: (dflat, saved) => {
        if (!bwd) throw new KernelError(`no generated backward for ${fwd.key} (add ${fwd.key.replace('ssd_fwd', 'ssd_bwd')})`);
        const d = dflat as tf.Tensor;
        const dy = tf.slice(d, [0], [ny]).reshape([b, t, fwd.h, fwd.p]);
        const dSf = tf.slice(d, [ny], [ns]);
        const [xs, ds, bs, cs, hs, ss] = saved;
        const g = runWebGpuOp(bwd, 'backward', { xBuf: xs, decBuf: ds, bBuf: bs, cBuf: cs, hpBuf: hs, s0Buf: ss, dyBuf: dy, dsfBuf: dSf }, b, t);
        const dD = tf.sum(tf.mul(dy, xs), [0, 1, 3]);
        const zero = tf.zerosLike(dD);
        const dhp = tf.stack([dD, continuous ? tf.sum(g.ddec, [0, 1]) : zero, continuous ? tf.sum(g.dAlogPart, [0, 1]) : zero]);
        return [g.dx, g.ddec, g.dB, g.dC, dhp, g.dS0];
      },
    };
  });
  const flat = f(inp.x, inp.dec, inp.B, inp.C, hp, s0);
  return { y: tf.slice(flat, [0], [ny]).reshape([b, t, fwd.h, fwd.p]), finalState: tf.slice(flat, [ny], [ns]).reshape([b, fwd.h, fwd.p, fwd.n]) };
}

/** The stage-1 mixing matrix M [b, H, T, T] (with Δ_s for Mamba-2 and D on the diagonal), with its gradient. */
export function materializeKernel(entry: KernelEntry, inp: Omit<SsdKernelInputs, 'x' | 'initialState'>): tf.Tensor {
  const [b, t] = inp.dec.shape as number[];
  const continuous = entry.decay === 'continuous';
  const hp = headParams(inp);
  const f = tf.customGrad((...args: unknown[]) => {
    const [dec, B, C, hpT] = args as tf.Tensor[];
    (args[4] as SaveFn)([dec, B, C, hpT]);
    const r = runWebGpuOp(entry, 'forward', { decBuf: dec, bBuf: B, cBuf: C, hpBuf: hpT }, b, t);
    return {
      value: r.M,
      gradFunc: (dM, saved) => {
        const [ds, bs, cs, hs] = saved;
        const g = runWebGpuOp(entry, 'backward', { decBuf: ds, bBuf: bs, cBuf: cs, hpBuf: hs, dmBuf: dM as tf.Tensor }, b, t);
        const zero = tf.zeros([entry.h]);
        const dhp = tf.stack([tf.sum(g.dDPart, 0), continuous ? tf.sum(g.ddec, [0, 1]) : zero, continuous ? tf.sum(g.dAlogPart, [0, 1]) : zero]);
        return [g.ddec, g.dB, g.dC, dhp];
      },
    };
  });
  return f(inp.dec, inp.B, inp.C, hp) as tf.Tensor;
}

/** One decode token: new state and y (with D·x). No gradient (inference). */
export function stepKernel(entry: KernelEntry, inp: { state: tf.Tensor; x: tf.Tensor; dec: tf.Tensor; B: tf.Tensor; C: tf.Tensor; D: tf.Tensor; dtBias?: tf.Tensor; aLog?: tf.Tensor }): { state: tf.Tensor; y: tf.Tensor } {
  const b = inp.x.shape[0];
  return tf.tidy(() => {
    const r = runWebGpuOp(entry, 'forward', { stateBuf: inp.state, xBuf: inp.x, decBuf: inp.dec, bBuf: inp.B, cBuf: inp.C, hpBuf: headParams(inp) }, b, 1);
    return { state: r.state, y: r.y };
  });
}

export interface MixerShape {
  decay: 'discrete' | 'continuous';
  n: number;
  p: number;
  h: number;
  g: number;
  q: number;
}

/** The generated WGSL variants for a mixer shape (f32), when the webgpu backend is active; else undefined. */
export function webGpuKernelsFor(shape: MixerShape): { fwd: KernelEntry; bwd?: KernelEntry; step?: KernelEntry; materialize?: KernelEntry } | undefined {
  if (tf.getBackend() !== 'webgpu') return undefined;
  const find = (kernel: 'ssd_fwd' | 'ssd_bwd' | 'ssd_step' | 'ssd_materialize') => findVariant({ kernel, ...shape, dtype: 'f32' }, 'wgsl');
  const fwd = find('ssd_fwd');
  if (!fwd) return undefined;
  return { fwd, bwd: find('ssd_bwd'), step: find('ssd_step'), materialize: find('ssd_materialize') };
}
