/**
 * A training worker thread: its own tfjs instance (the wasm backend is single-threaded per instance), its own
 * teacher and student built from the program's data, and the stage code the main thread would run. Per step
 * it takes the main thread's parameters from shared memory, runs forward and backward over its share of the
 * micro-batches in order, and writes the SUM of their gradients (and losses) into its shared region; the main
 * thread adds the regions in worker order and scales once (pool.ts).
 */
import { parentPort } from 'node:worker_threads';
import type { Batch } from '../data/batches.ts';
import { evaluateSequences } from '../eval/index.ts';
import { evalSequences } from '../program/evaluate.ts';
import { registerFastMatMulGradient } from '../program/fast-matmul-grad.ts';
import type { StageSetup } from '../run/loop.ts';
import type { TeacherBatch } from '../stages/context.ts';
import { tf, useBackend } from '../tensor/backend.ts';
import { GradientAccumulator } from '../train/accumulate.ts';
import { buildProgramContext, defineStage, type ProgramContext } from './program-context.ts';
import type { FromWorker, ToWorker } from './protocol.ts';
import { regionView, type SharedLayout } from './shared-tensors.ts';

if (!parentPort) throw new Error('runtime/parallel/worker.ts runs as a worker thread');
const port = parentPort;

/** Token batches handed over by the main thread, one per `next()`. */
class FedTokens {
  private readonly queue: Batch[] = [];
  push(b: Batch): void {
    this.queue.push(b);
  }
  next(): Batch {
    const b = this.queue.shift();
    if (!b) throw new Error('worker: a stage asked for more micro-batches than the main thread sent');
    return b;
  }
  // The main thread owns the data cursor; a worker's source has none.
  state(): unknown {
    return null;
  }
  restore(): void {}
}

interface ActiveStage {
  setup: StageSetup<TeacherBatch>;
  acc: GradientAccumulator;
  names: string[];
  grads: { buffer: SharedArrayBuffer; layout: SharedLayout };
  region: number;
}

let pc: ProgramContext | undefined;
let params: { view: Float32Array; layout: SharedLayout; version: Int32Array } | undefined;
let synced = -1;
let active: ActiveStage | undefined;
const fed = new FedTokens();

function send(m: FromWorker): void {
  port.postMessage(m);
}

async function init(m: Extract<ToWorker, { type: 'init' }>): Promise<void> {
  registerFastMatMulGradient();
  await useBackend(m.backend);
  pc = buildProgramContext(m.program, m.options, () => fed);
  params = { view: new Float32Array(m.params.buffer), layout: m.params.layout, version: new Int32Array(m.version) };
  for (const s of m.params.layout.slots) {
    const v = pc.ctx.student.params.get(s.name);
    if (!v) throw new Error(`worker: the student has no parameter '${s.name}'`);
    if (v.size !== s.size) throw new Error(`worker: parameter '${s.name}' has ${v.size} values here, ${s.size} in the main thread`);
  }
}

/** Copies the main thread's parameters into this thread's Variables (when they changed). */
function syncParams(version: number): void {
  const p = params!;
  const seen = Atomics.load(p.version, 0);
  if (seen !== version) throw new Error(`worker: parameters at version ${seen}, the step expects ${version}`);
  if (synced === version) return;
  for (const s of p.layout.slots) {
    const v = pc!.ctx.student.params.get(s.name)!;
    tf.tidy(() => v.assign(tf.tensor(p.view.subarray(s.offset, s.offset + s.size), v.shape, 'float32')));
  }
  synced = version;
}

async function stage(m: Extract<ToWorker, { type: 'stage' }>): Promise<void> {
  endStage();
  const def = defineStage(pc!.ctx, m.stage);
  const setup = await def.setup();
  const names = [...setup.trainable.keys()];
  active = { setup, acc: new GradientAccumulator(setup.trainable), names, grads: m.grads, region: m.region };
  // setup() may overwrite parameters (a weight transfer): the main thread's values win at the next step.
  synced = -1;
  send({ type: 'stage-ready', trainable: names });
}

async function step(m: Extract<ToWorker, { type: 'step' }>): Promise<void> {
  const a = active;
  if (!a) throw new Error('worker: step before stage');
  const t0 = performance.now();
  syncParams(m.version);
  for (const b of m.batches) {
    fed.push(b);
    const batch = await a.setup.data.next();
    try {
      if (a.setup.lossParts) a.acc.addParts(a.setup.lossParts(batch));
      else a.acc.add(() => a.setup.loss(batch));
    } finally {
      a.setup.data.release?.(batch);
    }
  }
  const r = a.acc.finish({ mean: false });
  const view = regionView(a.grads.buffer, a.grads.layout, a.region, 1);
  const present: boolean[] = [];
  try {
    for (const s of a.grads.layout.slots) {
      const g = r.grads.get(s.name);
      present.push(!!g);
      if (g) view.set((await g.data()) as Float32Array, s.offset);
    }
    view[a.grads.layout.floats] = (await r.loss.data())[0];
  } finally {
    r.loss.dispose();
    r.grads.forEach((g) => g.dispose());
  }
  send({ type: 'step-done', present, microBatches: r.microBatches, ms: performance.now() - t0 });
}

/** NLL of this worker's share of an evaluation, with the main thread's current parameters. */
async function evaluate(m: Extract<ToWorker, { type: 'eval' }>): Promise<void> {
  const c = pc!;
  if (m.which === 'student') syncParams(m.version);
  const model = m.which === 'student' ? c.built.model : c.teacher;
  const seqs = evalSequences({ ...m.spec, tokenizer: c.tokenizer }, model.config.maxSeqLen).slice(m.share[0], m.share[1]);
  // evaluateSequences reads only config and forward(ids).logits, which a StudentLM has as well.
  const result = await evaluateSequences(model as typeof c.teacher, seqs);
  send({ type: 'eval-done', result });
}

function endStage(): void {
  if (!active) return;
  active.acc.dispose();
  active.setup.dispose?.();
  active = undefined;
}

let chain = Promise.resolve();
port.on('message', (m: ToWorker) => {
  // One message at a time, in order: a step must not start before its stage is set up.
  chain = chain.then(async () => {
    try {
      switch (m.type) {
        case 'init':
          await init(m);
          send({ type: 'ready' });
          break;
        case 'stage':
          await stage(m);
          break;
        case 'step':
          await step(m);
          break;
        case 'eval':
          await evaluate(m);
          break;
        case 'end-stage':
          endStage();
          break;
        case 'close':
          endStage();
          pc?.dispose();
          port.close();
          break;
      }
    } catch (e) {
      const err = e as Error;
      send({ type: 'error', name: err?.name ?? 'Error', message: err?.message ?? String(e), stack: err?.stack });
    }
  });
});
