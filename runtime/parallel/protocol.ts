/**
 * Messages between the main thread (pool.ts) and a training worker (worker.ts). Tensors never travel in
 * messages: parameters and gradients live in SharedArrayBuffers (shared-tensors.ts); messages carry token
 * batches, layouts and small results.
 */
import type { StageIR } from '../../compiler/ir/types.ts';
import type { Batch } from '../data/batches.ts';
import type { EvalResult } from '../eval/index.ts';
import type { BackendName } from '../tensor/backend.ts';
import type { ContextOptions, ProgramData } from './program-context.ts';
import type { SharedLayout } from './shared-tensors.ts';

export type ToWorker =
  | {
      type: 'init';
      program: ProgramData;
      options: ContextOptions;
      backend: BackendName;
      /** Every student parameter, main thread's order; written by the main thread before each step. */
      params: { buffer: SharedArrayBuffer; layout: SharedLayout };
      /** Int32 [1]: parameter version, stored (Atomics) after the parameters are written. */
      version: SharedArrayBuffer;
    }
  | {
      type: 'stage';
      stage: StageIR;
      /** Gradient regions, one per worker, over the stage's trainable parameters; + 1 float for the loss. */
      grads: { buffer: SharedArrayBuffer; layout: SharedLayout };
      /** This worker's region. */
      region: number;
    }
  | { type: 'step'; batches: Batch[]; version: number }
  | {
      type: 'eval';
      which: 'student' | 'teacher';
      spec: EvalTask;
      /** Contiguous share [start, end) of the evaluation's sequences. */
      share: [number, number];
      version: number;
    }
  | { type: 'end-stage' }
  | { type: 'close' };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'stage-ready'; trainable: string[] }
  | {
      type: 'step-done';
      /** Per trainable slot: did any of this worker's micro-batches reach the parameter. */
      present: boolean[];
      microBatches: number;
      /** Wall ms of the worker's share (process.cpuUsage would count every thread of the process). */
      ms: number;
    }
  | { type: 'eval-done'; result: EvalResult }
  | { type: 'error'; name: string; message: string; stack?: string };

/** runtime/program/evaluate.ts's EvalSpec without the tokenizer (each thread has its own). */
export interface EvalTask {
  file: string;
  protocol: 'paragraphs' | 'windows';
  maxSequences?: number;
  cacheDir?: string | false;
}
