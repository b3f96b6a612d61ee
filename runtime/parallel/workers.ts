/**
 * How many worker threads a run uses. `auto` (the default) means one per core on the backends that run in
 * this process (wasm, cpu), never more than a step has micro-batches; 0 or 1 means in-process (no workers).
 * GPU backends keep one process: the device is shared, and the main thread drives it.
 */
import { availableParallelism } from 'node:os';
import type { BackendName } from '../tensor/backend.ts';

export type WorkersOption = number | 'auto';

export const MAX_AUTO_WORKERS = 8;

/** Parses `--workers N|auto` and MOHAWK_WORKERS. */
export function parseWorkers(text: string): WorkersOption {
  if (text === 'auto') return 'auto';
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`workers must be a whole number ≥ 0 or 'auto', got '${text}'`);
  return n;
}

/**
 * The worker count for a run: `option` (else MOHAWK_WORKERS, else auto), bounded by the largest number of
 * micro-batches in a step of the stages to run (more workers would idle). Below 2 the run stays in-process.
 */
export function resolveWorkers(option: WorkersOption | undefined, backend: BackendName, maxMicroBatches: number): number {
  const env = process.env.MOHAWK_WORKERS;
  const chosen = option ?? (env ? parseWorkers(env) : 'auto');
  if (chosen === 'auto') {
    if (backend !== 'wasm' && backend !== 'cpu') return 0;
    const n = Math.min(availableParallelism(), MAX_AUTO_WORKERS, maxMicroBatches);
    return n >= 2 ? n : 0;
  }
  const n = Math.min(chosen, maxMicroBatches);
  return n >= 2 ? n : 0;
}
