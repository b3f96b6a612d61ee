/// <reference types="@webgpu/types" />
/**
 * Generated WGSL kernels run directly through Dawn (npm `webgpu`), without tfjs: a generic executor of the
 * pass graphs in the dispatch table. Every pass output is poisoned with NaN before the run, so an element a
 * kernel fails to write shows up in the result.
 *
 * The Dawn instance is shared with runtime/tensor/backend.ts (same global, same pinning: if V8 collects the
 * instance, dawn.node later crashes inside ProcessEvents).
 */
import { KernelError } from './errors.ts';
import { type Dims, type KernelEntry, type OpPlan, dimsFor, evalExpr } from './table.ts';
import { loadWgslFile, standaloneModule } from './wgsl-source.ts';
import { kernelFilePath } from './registry.ts';

export type HostArray = Float32Array | Uint16Array;

interface DawnGlobals {
  __mohawkDawn?: GPU;
  __mohawkKernelDevice?: Promise<GPUDevice>;
  navigator?: { gpu?: GPU };
}

async function dawnInstance(): Promise<GPU> {
  const g = globalThis as unknown as DawnGlobals & Record<string, unknown>;
  if (!g.__mohawkDawn) {
    let webgpu: { create: (o: string[]) => GPU; globals: Record<string, unknown> };
    try {
      webgpu = (await import('webgpu')) as unknown as typeof webgpu;
    } catch (e) {
      throw new KernelError(`WGSL kernels need the npm package 'webgpu' (Dawn): ${(e as Error).message}`);
    }
    Object.assign(globalThis, webgpu.globals);
    const gpu = webgpu.create([]);
    g.__mohawkDawn = gpu;
    if (typeof g.navigator === 'undefined') g.navigator = { gpu };
    else Object.defineProperty(g.navigator as object, 'gpu', { value: gpu, configurable: true });
  }
  return g.__mohawkDawn!;
}

/** A device with the limits tfjs-webgpu asks for, plus shader-f16 where the adapter has it. */
export async function kernelDevice(): Promise<GPUDevice> {
  const g = globalThis as unknown as DawnGlobals;
  if (!g.__mohawkKernelDevice) {
    g.__mohawkKernelDevice = (async () => {
      const gpu = await dawnInstance();
      const adapter = await gpu.requestAdapter();
      if (!adapter) {
        throw new KernelError(
          'no WebGPU adapter (no Vulkan driver found). On a CPU machine run `eval "$(scripts/setup-lavapipe.sh)"` to use Mesa lavapipe.',
        );
      }
      const l = adapter.limits;
      const features: GPUFeatureName[] = adapter.features.has('shader-f16') ? ['shader-f16'] : [];
      return adapter.requestDevice({
        requiredFeatures: features,
        requiredLimits: {
          maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
          maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
          maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
          maxBufferSize: l.maxBufferSize,
          maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
          maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
        },
      });
    })();
  }
  return g.__mohawkKernelDevice;
}

export async function hasShaderF16(): Promise<boolean> {
  return (await kernelDevice()).features.has('shader-f16');
}

const bytesOf = (dtype: string) => (dtype === 'f32' ? 4 : 2);
const pad4 = (n: number) => Math.max(4, Math.ceil(n / 4) * 4);

const pipelines = new Map<string, GPUComputePipeline>();

async function pipelineFor(device: GPUDevice, entry: KernelEntry, passName: string): Promise<GPUComputePipeline> {
  const id = `${entry.key}/${passName}`;
  let p = pipelines.get(id);
  if (p) return p;
  const file = kernelFilePath(entry.wgsl!.file);
  const code = standaloneModule(loadWgslFile(file), passName, file);
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ code, label: id });
  p = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: '_start' }, label: id });
  const err = await device.popErrorScope();
  if (err) {
    const info = await module.getCompilationInfo();
    const msgs = info.messages.map((m) => `${m.type} at ${m.lineNum}:${m.linePos}: ${m.message}`).join('\n');
    throw new Error(`${file} pass ${passName} does not validate: ${err.message}\n${msgs}`);
  }
  pipelines.set(id, p);
  return p;
}

export interface DawnRunOptions {
  batch: number;
  seqLen: number;
  /** Repeat the whole op this many times (timing); results are from the last repeat. */
  repeats?: number;
}

/** Runs one op of a variant through Dawn; inputs and outputs are host arrays (f16 as raw bits). */
export async function runDawnOp(
  entry: KernelEntry,
  op: string,
  inputs: Record<string, HostArray | undefined>,
  opts: DawnRunOptions,
): Promise<{ outputs: Record<string, HostArray>; gpuMs: number }> {
  if (!entry.wgsl) throw new KernelError(`kernel ${entry.key} has no WGSL target`);
  const plan: OpPlan | undefined = entry.ops[op];
  if (!plan) throw new KernelError(`kernel ${entry.key} has no op '${op}'`);
  const device = await kernelDevice();
  if (entry.dtype === 'f16' && !device.features.has('shader-f16')) throw new KernelError(`kernel ${entry.key} needs shader-f16, which this adapter lacks`);
  const dims: Dims = dimsFor(entry, opts.batch, opts.seqLen);
  const owned: GPUBuffer[] = [];
  const make = (bytes: number, usage: number) => {
    const b = device.createBuffer({ size: pad4(bytes), usage });
    owned.push(b);
    return b;
  };
  try {
    const buffers = new Map<string, GPUBuffer>();
    let flags = 0;
    for (const spec of plan.inputs) {
      const data = inputs[spec.name];
      const optional = plan.optional.find((o) => o.name === spec.name);
      if (!data) {
        if (!optional) throw new KernelError(`kernel ${entry.key} op ${op}: input ${spec.name} is required`);
        buffers.set(spec.name, make(4, GPUBufferUsage.STORAGE));
        continue;
      }
      const want = evalExpr(spec.size, dims);
      if (data.length !== want) throw new KernelError(`kernel ${entry.key} op ${op}: ${spec.name} has ${data.length} values, expected ${want}`);
      if ((spec.dtype === 'f32') !== data instanceof Float32Array) throw new KernelError(`kernel ${entry.key} op ${op}: ${spec.name} must be ${spec.dtype === 'f32' ? 'a Float32Array' : 'a Uint16Array of f16 bits'}`);
      const buf = make(data.byteLength, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST);
      const bytes = new Uint8Array(pad4(data.byteLength));
      bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      device.queue.writeBuffer(buf, 0, bytes);
      buffers.set(spec.name, buf);
      if (optional) flags |= optional.flag;
    }
    const uniforms = make(32, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
    device.queue.writeBuffer(uniforms, 0, new Int32Array([dims.batch, dims.seqLen, dims.chunks, flags, 0, 0, 0, 0]));
    const steps: { pipeline: GPUComputePipeline; group: GPUBindGroup; grid: [number, number, number] }[] = [];
    for (const pass of plan.passes) {
      const bytes = evalExpr(pass.output.size, dims) * bytesOf(pass.output.dtype);
      const out = make(bytes, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST);
      device.queue.writeBuffer(out, 0, new Uint8Array(pad4(bytes)).fill(0xff)); // NaN in f32 and f16
      buffers.set(pass.output.name, out);
      const pipeline = await pipelineFor(device, entry, pass.name);
      const group = device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
        entries: [out, ...pass.inputs.map((n) => buffers.get(n)!), uniforms].map((buffer, binding) => ({ binding, resource: { buffer } })),
      });
      const grid = pass.grid.map((a) => Math.ceil(evalExpr(a.count, dims) / a.per)) as [number, number, number];
      steps.push({ pipeline, group, grid });
    }
    const repeats = opts.repeats ?? 1;
    const t0 = performance.now();
    for (let r = 0; r < repeats; r++) {
      const enc = device.createCommandEncoder();
      const cp = enc.beginComputePass();
      for (const s of steps) {
        cp.setPipeline(s.pipeline);
        cp.setBindGroup(0, s.group);
        cp.dispatchWorkgroups(...s.grid);
      }
      cp.end();
      device.queue.submit([enc.finish()]);
    }
    await device.queue.onSubmittedWorkDone();
    const gpuMs = (performance.now() - t0) / repeats;
    const outputs: Record<string, HostArray> = {};
    for (const o of plan.outputs) {
      const count = o.shape.reduce((a, e) => a * evalExpr(e, dims), 1);
      const elt = bytesOf(o.dtype);
      const offset = evalExpr(o.offset, dims) * elt;
      const bytes = count * elt;
      const staging = make(bytes, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
      const enc = device.createCommandEncoder();
      // copyBufferToBuffer needs 4-byte aligned offsets and sizes; f16 outputs start on even element counts.
      enc.copyBufferToBuffer(buffers.get(o.from)!, offset, staging, 0, pad4(bytes));
      device.queue.submit([enc.finish()]);
      await staging.mapAsync(GPUMapMode.READ);
      const raw = staging.getMappedRange().slice(0, bytes);
      staging.unmap();
      outputs[o.name] = o.dtype === 'f32' ? new Float32Array(raw) : new Uint16Array(raw);
    }
    return { outputs, gpuMs };
  } finally {
    for (const b of owned) b.destroy();
  }
}
