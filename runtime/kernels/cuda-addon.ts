/**
 * Generated CUDA kernels from Node, through the N-API addon in runtime/kernels/cuda/addon.c (built on a CUDA
 * machine against a shared library of the generated .cu files). Same calling convention as the Dawn executor:
 * host arrays in, host arrays out (16-bit dtypes as raw bits), outputs poisoned before the run.
 */
import { createRequire } from 'node:module';
import { KernelError } from './errors.ts';
import type { HostArray } from './dawn.ts';
import { type KernelEntry, dimsFor, evalExpr } from './table.ts';

interface AddonModule {
  open(path: string): unknown;
  call(lib: unknown, symbol: string, batch: number, seqLen: number, nInputs: number, arrays: (HostArray | null)[], repeats?: number): { rc: number; ms: number; message: string };
  device(): string;
}

export interface CudaRuntime {
  device: string;
  run(entry: KernelEntry, op: string, inputs: Record<string, HostArray | undefined>, dims: { batch: number; seqLen: number }, repeats?: number): { outputs: Record<string, HostArray>; ms: number };
}

export function loadCudaRuntime(addonPath: string, libraryPath: string): CudaRuntime {
  let addon: AddonModule;
  try {
    addon = createRequire(import.meta.url)(addonPath) as AddonModule;
  } catch (e) {
    throw new KernelError(`cannot load the CUDA kernels addon ${addonPath}: ${(e as Error).message}`);
  }
  const device = addon.device();
  const lib = addon.open(libraryPath);
  return {
    device,
    run(entry, op, inputs, d, repeats = 1) {
      const cuda = entry.cuda?.entryPoints[op];
      const plan = entry.ops[op];
      if (!cuda || !plan) throw new KernelError(`kernel ${entry.key} has no CUDA op '${op}'`);
      const dims = dimsFor(entry, d.batch, d.seqLen);
      const outputs: Record<string, HostArray> = {};
      const arrays: (HostArray | null)[] = [];
      for (const spec of plan.inputs) {
        const a = inputs[spec.name];
        if (!a && !plan.optional.some((o) => o.name === spec.name)) throw new KernelError(`kernel ${entry.key} op ${op}: input ${spec.name} is required`);
        if (a && a.length !== evalExpr(spec.size, dims)) throw new KernelError(`kernel ${entry.key} op ${op}: ${spec.name} has ${a.length} values, expected ${evalExpr(spec.size, dims)}`);
        arrays.push(a ?? null);
      }
      const nIn = arrays.length;
      for (const o of plan.outputs) {
        const count = o.shape.reduce((a, e) => a * evalExpr(e, dims), 1);
        const arr = o.dtype === 'f32' ? new Float32Array(count) : new Uint16Array(count);
        outputs[o.name] = arr;
        arrays.push(arr);
      }
      const r = addon.call(lib, cuda.symbol, dims.batch, dims.seqLen, nIn, arrays, repeats);
      if (r.rc !== 0) throw new KernelError(`kernel ${entry.key} op ${op} failed on ${device}: ${r.message} (${r.rc})`);
      return { outputs, ms: r.ms };
    },
  };
}

