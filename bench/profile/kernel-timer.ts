/**
 * Per-kernel CPU time on one backend: wraps every kernel registered for the backend with a timer (process
 * CPU time and wall time), keyed by kernel name and, optionally, input shapes. tf.profile reports wall time
 * only, which on the shared 2-core machine mostly measures the other engineers' load; CPU time of this
 * single-threaded process is the steady number. Time not spent inside kernels (op dispatch, the gradient
 * tape, JS between ops, GC) is what remains of the enclosing section's CPU time.
 */
import { tf } from '../../runtime/tensor/backend.ts';

export interface KernelStat {
  key: string;
  calls: number;
  cpuMs: number;
  wallMs: number;
}

const stats = new Map<string, KernelStat>();
let withShapes = false;
let depth = 0;

function cpuMs(): number {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
}

/** Installs the timers on every kernel of `backend` (call after useBackend, once). */
export function installKernelTimers(backend: string, opts: { shapes?: boolean } = {}): void {
  withShapes = !!opts.shapes;
  for (const k of tf.getKernelsForBackend(backend)) {
    const inner = k.kernelFunc;
    tf.unregisterKernel(k.kernelName, backend);
    tf.registerKernel({
      ...k,
      kernelFunc: ((args: Parameters<typeof inner>[0]) => {
        // Kernels that call other kernels through the registry would be counted twice: time the outer one.
        if (depth > 0) return inner(args);
        depth++;
        const c0 = cpuMs();
        const w0 = performance.now();
        try {
          return inner(args);
        } finally {
          const dc = cpuMs() - c0;
          const dw = performance.now() - w0;
          depth--;
          const shapes = withShapes ? ' ' + JSON.stringify(Object.values(args.inputs).map((t) => (t as tf.TensorInfo).shape)) : '';
          const key = k.kernelName + shapes;
          const s = stats.get(key) ?? { key, calls: 0, cpuMs: 0, wallMs: 0 };
          s.calls++;
          s.cpuMs += dc;
          s.wallMs += dw;
          stats.set(key, s);
        }
      }) as typeof inner,
    });
  }
}

export function resetKernelStats(): void {
  stats.clear();
}

export function kernelStats(): KernelStat[] {
  return [...stats.values()].sort((a, b) => b.cpuMs - a.cpuMs);
}
