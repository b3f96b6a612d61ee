import { availableParallelism } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_AUTO_WORKERS, parseWorkers, resolveWorkers } from '../../../runtime/parallel/workers.ts';

describe('worker count', () => {
  const saved = process.env.MOHAWK_WORKERS;
  afterEach(() => {
    if (saved === undefined) delete process.env.MOHAWK_WORKERS;
    else process.env.MOHAWK_WORKERS = saved;
  });

  it('auto: one per core on wasm/cpu, capped by the micro-batches of a step; none on webgpu', () => {
    delete process.env.MOHAWK_WORKERS;
    const cores = Math.min(availableParallelism(), MAX_AUTO_WORKERS);
    const want = (micro: number) => (Math.min(cores, micro) >= 2 ? Math.min(cores, micro) : 0);
    expect(resolveWorkers('auto', 'wasm', 8)).toBe(want(8));
    expect(resolveWorkers(undefined, 'cpu', 8)).toBe(want(8));
    expect(resolveWorkers('auto', 'wasm', 1)).toBe(0);
    expect(resolveWorkers('auto', 'webgpu', 8)).toBe(0);
  });

  it('explicit counts: 0 and 1 are in-process, more are capped by the micro-batches', () => {
    expect(resolveWorkers(0, 'wasm', 8)).toBe(0);
    expect(resolveWorkers(1, 'wasm', 8)).toBe(0);
    expect(resolveWorkers(3, 'wasm', 8)).toBe(3);
    expect(resolveWorkers(4, 'wasm', 2)).toBe(2);
    expect(resolveWorkers(2, 'webgpu', 8)).toBe(2);
  });

  it('MOHAWK_WORKERS is the default; bad values are refused with the value named', () => {
    process.env.MOHAWK_WORKERS = '0';
    expect(resolveWorkers(undefined, 'wasm', 8)).toBe(0);
    expect(parseWorkers('auto')).toBe('auto');
    expect(parseWorkers('3')).toBe(3);
    expect(() => parseWorkers('two')).toThrow(/'two'/);
    expect(() => parseWorkers('-1')).toThrow(/'-1'/);
  });
});
