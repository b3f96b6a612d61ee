/**
 * Cost per token at each context length, every (model, context) pair measured in the same rounds: decode
 * states are set up directly at 64, 128, …, max positions (seeded random keys/values and SSM states — a step
 * costs the same whatever the numbers are), then each round takes one step of every pair in a shuffled order.
 * A slow second of the shared machine lands on all pairs alike, so cost(L) / cost(64) per model is the
 * cleanest "does it grow with context" number this machine can give. Complements sweep.ts, which decodes
 * for real from BOS.
 *
 *   npx tsx bench/decode/interleaved.ts [--max 4096] [--rounds 200] [--backend wasm]
 */
import { resolve } from 'node:path';
import { loadCheckpoint } from '../../runtime/io/checkpoint.ts';
import { resolveDataPath } from '../../runtime/io/data-dir.ts';
import type { Checkpoint } from '../../runtime/io/types.ts';
import { buildTeacher } from '../../runtime/models/index.ts';
import type { KvCache, TransformerLM } from '../../runtime/models/transformer.ts';
import { buildStudent } from '../../runtime/student/build.ts';
import type { StudentCache, StudentLM } from '../../runtime/student/model.ts';
import { tf, useBackend, type BackendName } from '../../runtime/tensor/backend.ts';
import { Rng } from '../../runtime/train/rng.ts';
import { disposeStudentCache } from '../../runtime/views/student-generate.ts';
import { compileSpecFile } from '../../compiler/compile.ts';
import { contexts, SPECS, type ModelName } from './sweep.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');

export interface InterleavedPoint {
  model: ModelName;
  context: number;
  msPerToken: number;
  /** msPerToken / the same model's at the shortest context. */
  relative: number;
}

interface Pair {
  model: ModelName;
  context: number;
  step(token: number): Promise<void>;
  dispose(): void;
  times: number[];
}

function randomKv(cfg: Checkpoint['config'], length: number, seed: number): { k: tf.Tensor4D; v: tf.Tensor4D } {
  const n = cfg.kvHeads * length * cfg.headDim;
  const rng = Rng.fromSeed(seed, `kv-${length}`);
  return {
    k: tf.tensor4d(Float32Array.from(rng.normals(n, 1)), [1, cfg.kvHeads, length, cfg.headDim]),
    v: tf.tensor4d(Float32Array.from(rng.normals(n, 1)), [1, cfg.kvHeads, length, cfg.headDim]),
  };
}

function teacherPair(model: TransformerLM, ckpt: Checkpoint, context: number): Pair {
  const layers = Array.from({ length: ckpt.config.layers }, (_, l) => randomKv(ckpt.config, context, l));
  let cache: KvCache = { k: layers.map((x) => x.k), v: layers.map((x) => x.v), batch: 1, length: context };
  return {
    model: 'teacher',
    context,
    times: [],
    async step(token) {
      const r = model.step([token], cache);
      cache = r.cache;
      await r.logits.data();
      r.logits.dispose();
    },
    dispose() {
      tf.dispose([...cache.k, ...cache.v]);
    },
  };
}

function studentModel(name: 'pure' | 'hybrid', ckpt: Checkpoint): StudentLM {
  const ir = compileSpecFile(resolve(ROOT, SPECS[name])).ir!.student;
  return buildStudent(ckpt, ir, { trainable: false, embedding: 'gather', seed: 1 }).model;
}

function studentPair(name: 'pure' | 'hybrid', model: StudentLM, ckpt: Checkpoint, context: number): Pair {
  const rng = Rng.fromSeed(3, `state-${context}`);
  const layers: StudentCache['layers'] = model.layers.map((layer, l) => {
    if (layer.kind === 'attention') return randomKv(ckpt.config, context, l);
    const empty = layer.mixer!.emptyCache(1);
    const c = { conv: tf.tensor(Float32Array.from(rng.normals(empty.conv.size, 1)), empty.conv.shape), ssm: tf.tensor(Float32Array.from(rng.normals(empty.ssm.size, 0.1)), empty.ssm.shape) };
    tf.dispose([empty.conv, empty.ssm]);
    return c;
  });
  let cache: StudentCache = { layers, batch: 1, length: context };
  return {
    model: name,
    context,
    times: [],
    async step(token) {
      const r = model.step([token], cache);
      cache = r.cache;
      await r.logits.data();
      r.logits.dispose();
    },
    dispose() {
      disposeStudentCache(cache);
    },
  };
}

export async function interleaved(max: number, rounds: number, backend: BackendName): Promise<InterleavedPoint[]> {
  await useBackend(backend);
  const base = loadCheckpoint(resolveDataPath('stories260K/stories260K.bin'));
  const ckpt: Checkpoint = { ...base, config: { ...base.config, maxSeqLen: Math.max(base.config.maxSeqLen, max + rounds + 2) } };
  // One model per kind, one decode state per (model, context): pairs differ only in their state's length.
  const teacher = buildTeacher(ckpt);
  const pure = studentModel('pure', ckpt);
  const hybrid = studentModel('hybrid', ckpt);
  const pairs: Pair[] = [];
  for (const l of contexts(max)) pairs.push(teacherPair(teacher, ckpt, l), studentPair('pure', pure, ckpt, l), studentPair('hybrid', hybrid, ckpt, l));
  const order = Rng.fromSeed(11, 'order');
  try {
    for (const p of pairs) await p.step(1); // warm-up: first-call set-up of every shape
    for (let r = 0; r < rounds; r++) {
      for (const i of order.shuffle(pairs.map((_, i) => i))) {
        const t0 = performance.now();
        await pairs[i].step(1 + (r % 400));
        pairs[i].times.push(performance.now() - t0);
      }
    }
  } finally {
    for (const p of pairs) p.dispose();
    for (const m of [teacher, pure, hybrid]) m.dispose();
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const out: InterleavedPoint[] = pairs.map((p) => ({ model: p.model, context: p.context, msPerToken: median(p.times), relative: 0 }));
  for (const p of out) p.relative = p.msPerToken / out.find((q) => q.model === p.model && q.context === contexts(max)[0])!.msPerToken;
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const args = process.argv.slice(2);
  const flag = (k: string) => {
    const i = args.indexOf(k);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const pts = await interleaved(Number(flag('--max') ?? 4096), Number(flag('--rounds') ?? 200), (flag('--backend') ?? 'wasm') as BackendName);
  for (const p of pts) process.stdout.write(JSON.stringify(p) + '\n');
}
