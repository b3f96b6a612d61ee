/**
 * One model's decode sweep, in its own process (so its RSS is its own): from BOS, one token per step up to
 * the largest context, greedy, reading the logits back every step as sampling does. At each context length L
 * it prints one JSON line: the median and mean ms per token over the steps at positions (L/2, L] (the median
 * shrugs off GC pauses and the other processes of a shared machine), the process RSS, the decode-state bytes
 * (KV cache or SSM state) and tfjs' live bytes. A 128-step warm-up (then a fresh state) goes first, so JIT and
 * kernel set-up do not land in the short contexts.
 *
 *   npx tsx bench/decode/sweep.ts MODEL[,MODEL…] [--max 4096] [--backend wasm]      MODEL: teacher, pure, hybrid
 *
 * Several models run in lockstep in one process — one step of each per position, the order rotating — so a
 * burst of load from other processes hits them alike and their time ratios stay meaningful on a shared
 * machine. RSS belongs to the whole process, so memory sweeps run one model per process.
 *
 * The teacher runs past its 512 trained positions with its RoPE table extended (the checkpoint's weights do
 * not depend on the table's length): the text is meaningless there, the cost is what is measured. Students
 * are assembled on the teacher from the project's specs and left untrained — a step costs the same whatever
 * the weights are.
 */
import { resolve } from 'node:path';
import type { StudentIR } from '../../compiler/ir/types.ts';
import { compileSpecFile } from '../../compiler/compile.ts';
import { loadCheckpoint } from '../../runtime/io/checkpoint.ts';
import { resolveDataPath } from '../../runtime/io/data-dir.ts';
import type { Checkpoint } from '../../runtime/io/types.ts';
import { buildTeacher } from '../../runtime/models/index.ts';
import type { KvCache } from '../../runtime/models/transformer.ts';
import { argmax } from '../../runtime/sample/sampler.ts';
import { buildStudent } from '../../runtime/student/build.ts';
import type { StudentCache } from '../../runtime/student/model.ts';
import { tf, useBackend, type BackendName } from '../../runtime/tensor/backend.ts';
import { cacheBytesPerLayer, disposeStudentCache } from '../../runtime/views/student-generate.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
export const SPECS = { pure: 'specs/stories260k-llamba.mohawk', hybrid: 'specs/stories260k-hybrid.mohawk' } as const;
export type ModelName = 'teacher' | keyof typeof SPECS;

export interface SweepPoint {
  model: ModelName;
  context: number;
  /** Median over the window; `meanMs` the mean. */
  msPerToken: number;
  meanMs: number;
  tokensPerS: number;
  rssMiB: number;
  stateBytes: number;
  tfBytes: number;
}

/** Context lengths 64, 128, … up to max. */
export function contexts(max: number): number[] {
  const out: number[] = [];
  for (let l = 64; l <= max; l *= 2) out.push(l);
  return out;
}

function studentIR(spec: string): StudentIR {
  const r = compileSpecFile(resolve(ROOT, spec));
  if (!r.ir) throw new Error(`${spec} does not check`);
  return r.ir.student;
}

interface Decoder {
  /** Feed one token; returns the next-token logits row. */
  step(token: number): Promise<Float32Array>;
  stateBytes(): number;
  /** Back to the empty state (before position 0). */
  reset(): void;
  dispose(): void;
}

function decoder(name: ModelName, ckpt: Checkpoint): Decoder {
  if (name === 'teacher') {
    const model = buildTeacher(ckpt);
    let cache: KvCache | undefined;
    return {
      async step(token) {
        let logits: tf.Tensor;
        if (!cache) {
          const r = model.forward([[token]], { cache: true });
          cache = r.cache!;
          logits = r.logits!;
        } else {
          const r = model.step([token], cache);
          cache = r.cache;
          logits = r.logits;
        }
        const row = (await logits.data()) as Float32Array;
        logits.dispose();
        return row;
      },
      stateBytes: () => (cache ? [...cache.k, ...cache.v].reduce((n, t) => n + t.size * 4, 0) : 0),
      reset() {
        if (cache) tf.dispose([...cache.k, ...cache.v]);
        cache = undefined;
      },
      dispose() {
        if (cache) tf.dispose([...cache.k, ...cache.v]);
        model.dispose();
      },
    };
  }
  const { model } = buildStudent(ckpt, studentIR(SPECS[name]), { trainable: false, embedding: 'gather', seed: 1 });
  let cache: StudentCache | undefined;
  return {
    async step(token) {
      let logits: tf.Tensor;
      if (!cache) {
        // Position 0 through the chunked prefill, as generateStudent does with a one-token prompt.
        const r = model.forward([[token]], { cache: true });
        cache = r.cache!;
        logits = r.logits!;
      } else {
        const r = model.step([token], cache);
        cache = r.cache;
        logits = r.logits;
      }
      const row = (await logits.data()) as Float32Array;
      logits.dispose();
      return row;
    },
    stateBytes: () => (cache ? cacheBytesPerLayer(cache).reduce((a, b) => a + b, 0) : 0),
    reset() {
      if (cache) disposeStudentCache(cache);
      cache = undefined;
    },
    dispose() {
      if (cache) disposeStudentCache(cache);
      model.dispose();
    },
  };
}

export async function sweep(names: ModelName[], max: number, backend: BackendName, emit: (p: SweepPoint) => void): Promise<void> {
  await useBackend(backend);
  const base = loadCheckpoint(resolveDataPath('stories260K/stories260K.bin'));
  // Room for every position of the sweep (RoPE table, kept attention's position check).
  const ckpt: Checkpoint = { ...base, config: { ...base.config, maxSeqLen: Math.max(base.config.maxSeqLen, max + 1) } };
  const ds = names.map((n) => decoder(n, ckpt));
  const marks = new Set(contexts(max));
  const times = names.map(() => new Float64Array(max + 1));
  const tokens = names.map(() => 1);
  try {
    for (let k = 0; k < ds.length; k++) {
      for (let pos = 0; pos < 128; pos++) tokens[k] = argmax(await ds[k].step(tokens[k]));
      ds[k].reset();
      tokens[k] = 1;
    }
    for (let pos = 0; pos < max; pos++) {
      for (let j = 0; j < ds.length; j++) {
        const k = (pos + j) % ds.length;
        const t0 = performance.now();
        tokens[k] = argmax(await ds[k].step(tokens[k]));
        times[k][pos + 1] = performance.now() - t0;
      }
      const l = pos + 1;
      if (!marks.has(l)) continue;
      ds.forEach((d, k) => {
        const window = Array.from(times[k].subarray(l / 2 + 1, l + 1)).sort((a, b) => a - b);
        const ms = window[window.length >> 1];
        const meanMs = window.reduce((a, b) => a + b, 0) / window.length;
        emit({
          model: names[k],
          context: l,
          msPerToken: ms,
          meanMs,
          tokensPerS: 1000 / ms,
          rssMiB: process.memoryUsage().rss / 2 ** 20,
          stateBytes: d.stateBytes(),
          tfBytes: tf.memory().numBytes,
        });
      });
    }
  } finally {
    for (const d of ds) d.dispose();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const args = process.argv.slice(2);
  const names = (args[0] ?? '').split(',') as ModelName[];
  if (!names.every((n) => ['teacher', 'pure', 'hybrid'].includes(n))) {
    process.stderr.write('usage: npx tsx bench/decode/sweep.ts MODEL[,MODEL…] [--max 4096] [--backend wasm]   (MODEL: teacher, pure, hybrid)\n');
    process.exit(2);
  }
  const flag = (k: string) => {
    const i = args.indexOf(k);
    return i >= 0 ? args[i + 1] : undefined;
  };
  await sweep(names, Number(flag('--max') ?? 4096), (flag('--backend') ?? 'wasm') as BackendName, (p) => process.stdout.write(JSON.stringify(p) + '\n'));
}
