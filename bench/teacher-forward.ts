/**
 * Teacher forward throughput per backend: tokens/s of `TransformerLM.forward` on the stories260K teacher
 * (logits read back to the host), median of repeats after warm-up, and the ratio to the cpu backend measured
 * in the same process. Also the stage-1/2 capture pass (every layer's input, attention probabilities,
 * attention output and block output) where asked.
 *
 *   npx tsx bench/teacher-forward.ts [--backends wasm,cpu,webgpu] [--repeats 5] [--attention batched|blockdiag] [--json]
 *
 * webgpu needs a Vulkan driver: on a CPU machine run `eval "$(scripts/setup-lavapipe.sh)"` first.
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { loadCheckpoint } from '../runtime/io/checkpoint.ts';
import type { AttentionImpl } from '../runtime/models/blocks.ts';
import { buildTeacher, type ForwardOptions } from '../runtime/models/index.ts';
import { tf, useBackend, type BackendName } from '../runtime/tensor/backend.ts';

interface Case {
  backend: BackendName;
  batch: number;
  seqLen: number;
  mode: 'logits' | 'captures';
}

interface Row extends Case {
  medianMs: number;
  /** Process CPU time (all threads) per forward: steadier than wall time on a shared machine. */
  medianCpuMs: number;
  tokensPerSecond: number;
  tokensPerCpuSecond: number;
  repeats: number;
  vsCpu?: number;
}

const { values } = parseArgs({
  options: {
    backends: { type: 'string', default: 'wasm,cpu,webgpu' },
    repeats: { type: 'string', default: '5' },
    checkpoint: { type: 'string', default: resolve(import.meta.dirname, '..', '..', 'shared', 'data', 'stories260K', 'stories260K.bin') },
    json: { type: 'boolean', default: false },
    /** Force an attention strategy (default: chooseAttention per backend). */
    attention: { type: 'string' },
  },
});
const attentionImpl = values.attention as AttentionImpl | undefined;
const backends = values.backends!.split(',') as BackendName[];
const repeats = Number(values.repeats);
const ckpt = loadCheckpoint(values.checkpoint!);

const cases: Case[] = [];
for (const backend of backends) {
  cases.push({ backend, batch: 8, seqLen: 256, mode: 'logits' });
  if (backend === 'wasm') {
    cases.push({ backend, batch: 64, seqLen: 256, mode: 'logits' });
    cases.push({ backend, batch: 8, seqLen: 256, mode: 'captures' });
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function measure(c: Case): Promise<Row> {
  const model = buildTeacher(ckpt, { attention: attentionImpl });
  const ids = tf.tensor2d(
    Int32Array.from({ length: c.batch * c.seqLen }, (_, i) => (i * 7919 + 13) % ckpt.config.vocab),
    [c.batch, c.seqLen],
    'int32',
  );
  const opts: ForwardOptions = c.mode === 'captures' ? { capture: { input: true, probs: true, attnOut: true, output: true } } : {};
  const once = async () => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const r = model.forward(ids, opts);
    await r.logits!.data();
    for (const l of r.layers) for (const t of [l.input, l.probs, l.attnOut, l.output]) if (t) await t.data();
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(c0);
    cpuTimes.push((cpu.user + cpu.system) / 1000);
    tf.dispose([r.logits!, ...(r.layers.flatMap((l) => [l.input, l.probs, l.attnOut, l.output]).filter((t) => t !== undefined) as tf.Tensor[])]);
    return ms;
  };
  const cpuTimes: number[] = [];
  await once();
  await once();
  cpuTimes.length = 0;
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) times.push(await once());
  ids.dispose();
  model.dispose();
  const medianMs = median(times);
  const medianCpuMs = median(cpuTimes);
  return {
    ...c,
    medianMs,
    medianCpuMs,
    repeats,
    tokensPerSecond: (c.batch * c.seqLen) / (medianMs / 1000),
    tokensPerCpuSecond: (c.batch * c.seqLen) / (medianCpuMs / 1000),
  };
}

const rows: Row[] = [];
for (const c of cases) {
  try {
    await useBackend(c.backend);
  } catch (e) {
    process.stderr.write(`skipping ${c.backend}: ${(e as Error).message}\n`);
    continue;
  }
  rows.push(await measure(c));
  if (!values.json) process.stderr.write(`${c.backend} ${c.batch}x${c.seqLen} ${c.mode}: ${rows[rows.length - 1].tokensPerSecond.toFixed(0)} tokens/s\n`);
}
const cpu = rows.find((r) => r.backend === 'cpu' && r.batch === 8 && r.mode === 'logits');
for (const r of rows) if (cpu) r.vsCpu = r.tokensPerSecond / cpu.tokensPerSecond;

if (values.json) {
  process.stdout.write(JSON.stringify({ checkpoint: values.checkpoint, repeats, rows }, null, 2) + '\n');
} else {
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  const lines = [
    '| backend | B×T | pass | median wall ms | tokens/s (wall) | median CPU ms | tokens/CPU-s | vs cpu (8×256, wall) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of rows)
    lines.push(
      `| ${r.backend} | ${r.batch}×${r.seqLen} | ${r.mode} | ${n(r.medianMs)} | ${n(r.tokensPerSecond)} | ${n(r.medianCpuMs)} | ${n(r.tokensPerCpuSecond)} | ${r.vsCpu ? `${r.vsCpu.toFixed(2)}×` : '—'} |`,
    );
  process.stdout.write(lines.join('\n') + '\n');
}
