/**
 * Data-parallel training steps over worker threads (worker.ts), each with its own tfjs instance: the only way
 * to use more than one core with tfjs-backend-wasm in Node (one instance runs on one thread).
 *
 * A step's micro-batches are split into contiguous shares in data order (worker w gets
 * [⌊w·a/W⌋, ⌊(w+1)·a/W⌋)). Before the step the main thread writes every parameter into shared memory; each
 * worker copies them in, sums the gradients of its share in order, and writes the sum into its own shared
 * region. The main thread then adds the regions in worker order (float32 additions, always the same order)
 * and scales once by 1/a through the same op as GradientAccumulator.finish(). So a step's result depends only
 * on the parameters, the batches and W: resume is bit-exact for a given worker count, and one worker gives
 * exactly the in-process result (its single region is the in-process sum).
 */
import { Worker } from 'node:worker_threads';
import type { StageIR } from '../../compiler/ir/types.ts';
import type { Batch } from '../data/batches.ts';
import { tf, type BackendName } from '../tensor/backend.ts';
import { scaleToMean, type AccumulatedStep } from '../train/accumulate.ts';
import type { ContextOptions, ProgramData } from './program-context.ts';
import type { EvalResult } from '../eval/index.ts';
import type { EvalTask, FromWorker, ToWorker } from './protocol.ts';
import { layoutOf, regionView, sharedRegions, type SharedLayout } from './shared-tensors.ts';

export interface PoolOptions {
  workers: number;
  program: ProgramData;
  options: ContextOptions;
  backend: BackendName;
  /** The main thread's parameters (every one a checkpoint saves), in model order. */
  params: ReadonlyMap<string, tf.Variable>;
  /** Module that starts a worker (default worker-entry.mjs beside this file). */
  entry?: URL;
}

/** A failure inside a worker, re-thrown on the main thread under the worker error's own name and message. */
export class WorkerError extends Error {
  constructor(name: string, message: string, readonly workerStack?: string) {
    super(message);
    // Keeps FileFormatError, DataNotFoundError… recognisable to the CLI (cli/main.ts reportError).
    this.name = name;
  }
}

interface Pending {
  type: FromWorker['type'];
  resolve: (m: FromWorker) => void;
  reject: (e: Error) => void;
}

export interface StepTiming {
  /** Wall ms each participating worker spent on its share. */
  workerMs: number[];
  /** Main-thread wall ms: parameter copy-out, waiting, reduction. */
  wallMs: number;
}

export class WorkerPool {
  private readonly pending: (Pending | undefined)[];
  private readonly paramLayout: SharedLayout;
  private readonly paramBuffer: SharedArrayBuffer;
  private readonly version = new Int32Array(new SharedArrayBuffer(4));
  private stage?: { layout: SharedLayout; buffer: SharedArrayBuffer; trainable: ReadonlyMap<string, tf.Variable> };
  private closed = false;
  private failure?: Error;
  /** Timing of the last step (benchmarks). */
  lastStep?: StepTiming;

  private constructor(
    private readonly workers: Worker[],
    private readonly params: ReadonlyMap<string, tf.Variable>,
  ) {
    this.pending = workers.map(() => undefined);
    this.paramLayout = layoutOf([...params].map(([n, v]) => [n, v.shape]));
    this.paramBuffer = sharedRegions(this.paramLayout, 1);
    workers.forEach((w, i) => {
      w.on('message', (m: FromWorker) => this.receive(i, m));
      w.on('error', (e) => this.fail(e instanceof Error ? e : new Error(String(e))));
      w.on('exit', (code) => {
        if (!this.closed) this.fail(new Error(`training worker ${i} exited (code ${code})`));
      });
    });
  }

  get size(): number {
    return this.workers.length;
  }

  static async start(opts: PoolOptions): Promise<WorkerPool> {
    if (!(Number.isInteger(opts.workers) && opts.workers >= 1)) throw new RangeError(`workers must be a positive integer, got ${opts.workers}`);
    const entry = opts.entry ?? new URL('./worker-entry.mjs', import.meta.url);
    const workers = Array.from({ length: opts.workers }, () => new Worker(entry));
    const pool = new WorkerPool(workers, opts.params);
    try {
      await Promise.all(
        workers.map((_, i) =>
          pool.request(i, {
            type: 'init',
            program: opts.program,
            options: opts.options,
            backend: opts.backend,
            params: { buffer: pool.paramBuffer, layout: pool.paramLayout },
            version: pool.version.buffer as SharedArrayBuffer,
          }, 'ready'),
        ),
      );
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  /** Sets every worker up for `stage`, training exactly `trainable` (the main thread's set, checked). */
  async setupStage(stage: StageIR, trainable: ReadonlyMap<string, tf.Variable>): Promise<void> {
    const layout = layoutOf([...trainable].map(([n, v]) => [n, v.shape]));
    const buffer = sharedRegions(layout, this.size, 1);
    this.stage = { layout, buffer, trainable };
    const names = [...trainable.keys()];
    const replies = await Promise.all(
      this.workers.map((_, i) => this.request(i, { type: 'stage', stage, grads: { buffer, layout }, region: i }, 'stage-ready')),
    );
    for (const r of replies) {
      const got = (r as Extract<FromWorker, { type: 'stage-ready' }>).trainable;
      if (got.join('\n') !== names.join('\n'))
        throw new Error(`stage '${stage.name}': a worker trains [${got.slice(0, 4).join(', ')}…], the main thread [${names.slice(0, 4).join(', ')}…]`);
    }
  }

  /** Forward and backward over `batches` (one step, data order) on the workers → the mean gradient and loss. */
  async step(batches: Batch[]): Promise<AccumulatedStep> {
    const st = this.stage;
    if (!st) throw new Error('worker pool: step() before setupStage()');
    const t0 = performance.now();
    await this.publishParams();
    const a = batches.length;
    const shares = this.workers.map((_, w) => batches.slice(Math.floor((w * a) / this.size), Math.floor(((w + 1) * a) / this.size)));
    const active = shares.map((s, w) => (s.length ? w : -1)).filter((w) => w >= 0);
    const version = Atomics.load(this.version, 0);
    const done = (await Promise.all(
      active.map((w) => this.request(w, { type: 'step', batches: shares[w], version }, 'step-done')),
    )) as Extract<FromWorker, { type: 'step-done' }>[];
    const result = this.reduce(st, active, done, a);
    this.lastStep = { workerMs: done.map((d) => d.ms), wallMs: performance.now() - t0 };
    return result;
  }

  /**
   * Held-out NLL over `spec`'s sequences, split into contiguous shares over the workers (the student with the
   * main thread's current parameters). Shares' sums are merged in worker order, in float64.
   */
  async evaluate(which: 'student' | 'teacher', spec: EvalTask, sequences: number): Promise<EvalResult> {
    if (which === 'student') await this.publishParams();
    const version = Atomics.load(this.version, 0);
    const n = this.size;
    const shares = this.workers.map((_, w) => [Math.floor((w * sequences) / n), Math.floor(((w + 1) * sequences) / n)] as [number, number]);
    const active = shares.map((s, w) => (s[1] > s[0] ? w : -1)).filter((w) => w >= 0);
    const done = (await Promise.all(
      active.map((w) => this.request(w, { type: 'eval', which, spec, share: shares[w], version }, 'eval-done')),
    )) as Extract<FromWorker, { type: 'eval-done' }>[];
    let sum = 0;
    let predicted = 0;
    let tokens = 0;
    for (const { result: r } of done) {
      sum += r.predicted > 0 ? r.meanNll * r.predicted : 0;
      predicted += r.predicted;
      tokens += r.tokens;
    }
    const meanNll = predicted > 0 ? sum / predicted : NaN;
    return { meanNll, perplexity: Math.exp(meanNll), tokens, predicted, sequences };
  }

  endStage(): void {
    if (!this.stage || this.closed) return;
    this.stage = undefined;
    for (const w of this.workers) w.postMessage({ type: 'end-stage' } satisfies ToWorker);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private async publishParams(): Promise<void> {
    const view = regionView(this.paramBuffer, this.paramLayout, 0);
    for (const s of this.paramLayout.slots) view.set((await this.params.get(s.name)!.data()) as Float32Array, s.offset);
    // The store orders the plain writes above before any worker's Atomics.load of the new version.
    Atomics.store(this.version, 0, Atomics.load(this.version, 0) + 1);
  }

  /** Σ over workers in worker order, then the mean over the step's micro-batches. */
  private reduce(
    st: NonNullable<WorkerPool['stage']>,
    active: number[],
    done: Extract<FromWorker, { type: 'step-done' }>[],
    microBatches: number,
  ): AccumulatedStep {
    const regions = active.map((w) => regionView(st.buffer, st.layout, w, 1));
    const grads = new Map<string, tf.Tensor>();
    st.layout.slots.forEach((s, i) => {
      const from = regions.filter((_, k) => done[k].present[i]);
      if (!from.length) return; // no path to the loss: absent, as GradientAccumulator leaves it
      const sum = from[0].slice(s.offset, s.offset + s.size);
      for (const r of from.slice(1)) for (let j = 0; j < s.size; j++) sum[j] += r[s.offset + j];
      grads.set(s.name, scaleToMean(tf.tensor(sum, s.shape, 'float32'), microBatches));
    });
    const lossSum = new Float32Array(1);
    regions.forEach((r, k) => (lossSum[0] = k === 0 ? r[st.layout.floats] : lossSum[0] + r[st.layout.floats]));
    return { loss: scaleToMean(tf.scalar(lossSum[0]), microBatches), grads, microBatches };
  }

  private request(i: number, m: ToWorker, expect: FromWorker['type']): Promise<FromWorker> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.pending[i]) return Promise.reject(new Error(`worker ${i} is busy`));
    return new Promise((resolve, reject) => {
      this.pending[i] = { type: expect, resolve, reject };
      this.workers[i].postMessage(m);
    });
  }

  private receive(i: number, m: FromWorker): void {
    const p = this.pending[i];
    this.pending[i] = undefined;
    if (m.type === 'error') {
      const e = new WorkerError(m.name, m.message, m.stack);
      if (p) p.reject(e);
      else this.fail(e);
      return;
    }
    if (!p || p.type !== m.type) {
      this.fail(new Error(`worker ${i}: unexpected '${m.type}' message`));
      return;
    }
    p.resolve(m);
  }

  private fail(e: Error): void {
    this.failure ??= e;
    this.pending.forEach((p, i) => {
      if (!p) return;
      this.pending[i] = undefined;
      p.reject(e);
    });
  }
}
