/**
 * Teacher-sampled training text: tokens per second of decoding 257-token rows from the stories260K teacher
 * (the rows a 256-token stage step needs), one row per decode (the old TeacherSampler path) against a block of
 * rows per decode (runtime/data/batches.ts TeacherPool, what `mohawkc train` uses), measured in the same
 * process. Also the stage-3 step it feeds, for scale: the teacher's forward over the same tokens.
 *
 *   npx tsx bench/data/teacher-samples.ts [--backend wasm] [--rows 1,16,64] [--length 257] [--json]
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { loadCheckpoint } from '../../runtime/io/checkpoint.ts';
import { buildTeacher } from '../../runtime/models/index.ts';
import { sampleSequences } from '../../runtime/sample/generate.ts';
import { tf, useBackend, type BackendName } from '../../runtime/tensor/backend.ts';
import { Rng } from '../../runtime/train/rng.ts';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    rows: { type: 'string', default: '1,16,64' },
    length: { type: 'string', default: '257' },
    checkpoint: { type: 'string', default: resolve(import.meta.dirname, '..', '..', '..', 'shared', 'data', 'stories260K', 'stories260K.bin') },
    json: { type: 'boolean', default: false },
  },
});

async function main(): Promise<void> {
  await useBackend(values.backend as BackendName);
  const teacher = buildTeacher(loadCheckpoint(values.checkpoint));
  const length = Number(values.length);
  const rng = Rng.fromSeed(0, 'bench');
  const results: { rows: number; seconds: number; tokensPerSecond: number; vsOneRow?: number }[] = [];
  await sampleSequences(teacher, { batch: 2, length: 16, coin: () => rng.float(), temperature: 1, topP: 1 });
  for (const rows of values.rows.split(',').map(Number)) {
    const t0 = performance.now();
    await sampleSequences(teacher, { batch: rows, length, coin: () => rng.float(), temperature: 1, topP: 1 });
    const seconds = (performance.now() - t0) / 1000;
    results.push({ rows, seconds, tokensPerSecond: (rows * length) / seconds });
  }
  const one = results.find((r) => r.rows === 1);
  if (one) for (const r of results) r.vsOneRow = r.tokensPerSecond / one.tokensPerSecond;
  // For scale: the teacher forward (logits) over 64 rows of 256 tokens, as stage 3 runs it every step.
  const ids = Array.from({ length: 64 }, () => Array.from({ length: 256 }, () => 1 + rng.int(500)));
  const t0 = performance.now();
  const out = teacher.forward(ids, {});
  await out.logits!.data();
  out.logits!.dispose();
  const forwardTokensPerSecond = (64 * 256) / ((performance.now() - t0) / 1000);
  teacher.dispose();
  const report = { backend: values.backend, length, results, forwardTokensPerSecond, tfBackend: tf.getBackend() };
  if (values.json) console.log(JSON.stringify(report, null, 2));
  else {
    console.log(`teacher sampling on ${values.backend}, rows of ${length} tokens`);
    for (const r of results) console.log(`  ${String(r.rows).padStart(3)} rows per decode: ${r.tokensPerSecond.toFixed(0).padStart(7)} tok/s  (${r.seconds.toFixed(2)} s; ×${(r.vsOneRow ?? 1).toFixed(1)} vs one row)`);
    console.log(`  teacher forward, 64 × 256 (stage 3 per step): ${forwardTokensPerSecond.toFixed(0)} tok/s`);
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
