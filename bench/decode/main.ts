/**
 * Decode cost vs context length: the teacher with its KV cache, the pure and the hybrid student (recurrent,
 * fixed state per SSM layer), and llama2.c run.c as a speed anchor. Prints markdown tables (the ones in
 * docs/results-decode.md) and, with --out, all points as JSON.
 *
 *   npx tsx bench/decode/main.ts [--max 4096] [--backend wasm] [--rounds 200] [--out FILE] [--llama2c GIT_DIR]
 *
 * Four kinds of process, each started fresh:
 *  0. interleaved (interleaved.ts): decode states set up at every context, all (model, context) pairs stepped
 *     in the same shuffled rounds — the growth ratios cost(L) / cost(64);
 *  1. timing: teacher, pure and hybrid decoding from BOS in lockstep in ONE process (sweep.ts), so the ratios
 *     between them see the same machine load;
 *  2. memory: one process per model (sweep.ts MODEL), for its own RSS;
 *  3. run.c: its forward() per position through runc-harness.c (runc.ts).
 * The load average (`uptime`) is recorded before and after each.
 */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildRunc, DEFAULT_LLAMA2C, runcAchieved, runcSweep, type RuncPoint } from './runc.ts';
import type { InterleavedPoint } from './interleaved.ts';
import type { ModelName, SweepPoint } from './sweep.ts';

const HERE = import.meta.dirname;
const ROOT = resolve(HERE, '..', '..');

function flag(args: string[], k: string): string | undefined {
  const i = args.indexOf(k);
  return i >= 0 ? args[i + 1] : undefined;
}

const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');

function jsonLines<T>(script: string, args: string[]): T[] {
  const r = spawnSync(process.execPath, ['--import', 'tsx', resolve(HERE, script), ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${script} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as T);
}

function sweepProcess(models: ModelName[], max: number, backend: string): SweepPoint[] {
  const r = spawnSync(process.execPath, ['--import', 'tsx', resolve(HERE, 'sweep.ts'), models.join(','), '--max', String(max), '--backend', backend], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`sweep ${models.join(',')} failed: ${r.stderr}`);
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as SweepPoint);
}

const f = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '—');

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const max = Number(flag(args, '--max') ?? 4096);
  const backend = flag(args, '--backend') ?? 'wasm';
  const log: { what: string; loadBefore: string; loadAfter: string; seconds: number }[] = [];
  const timed = <T>(what: string, fn: () => T): T => {
    const before = load();
    const t0 = performance.now();
    const out = fn();
    log.push({ what, loadBefore: before, loadAfter: load(), seconds: (performance.now() - t0) / 1000 });
    process.stderr.write(`${what}: ${((performance.now() - t0) / 1000).toFixed(0)} s, load ${before} → ${load()}\n`);
    return out;
  };

  const rounds = flag(args, '--rounds') ?? '200';
  const inter = timed('interleaved rounds', () => jsonLines<InterleavedPoint>('interleaved.ts', ['--max', String(max), '--rounds', rounds, '--backend', backend]));
  const lockstep = timed('lockstep timing (teacher, pure, hybrid)', () => sweepProcess(['teacher', 'pure', 'hybrid'], max, backend));
  const memory: SweepPoint[] = [];
  for (const m of ['teacher', 'pure', 'hybrid'] as ModelName[]) memory.push(...timed(`memory ${m}`, () => sweepProcess([m], max, backend)));
  const b = buildRunc(flag(args, '--llama2c') ?? DEFAULT_LLAMA2C);
  const achieved = runcAchieved(b, 512);
  const runc: RuncPoint[] = timed('run.c harness', () => runcSweep(b, max));

  const contexts = [...new Set(lockstep.map((p) => p.context))];
  type Point = { model: string; context: number; msPerToken: number; stateBytes: number; rssMiB: number };
  const at = (pts: Point[], model: string, l: number): Point | undefined => pts.find((p) => p.model === model && p.context === l);
  const lines: string[] = [];
  lines.push(`Growth with context (interleaved: states set up at each L, all pairs stepped in the same ${rounds} shuffled rounds; median ms per token, and / the same model at L=64):`, '');
  lines.push('| context L | teacher ms | teacher ×L64 | pure ms | pure ×L64 | hybrid ms | hybrid ×L64 |');
  lines.push('| ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const l of [...new Set(inter.map((p) => p.context))]) {
    const c = (m: string) => {
      const p = inter.find((q) => q.model === m && q.context === l)!;
      return `${f(p.msPerToken)} | ${f(p.relative)}`;
    };
    lines.push(`| ${l} | ${c('teacher')} | ${c('pure')} | ${c('hybrid')} |`);
  }
  lines.push('');
  lines.push(`Timing (median ms per token over positions (L/2, L]; teacher, pure, hybrid in one process, ${backend}; run.c separately):`, '');
  lines.push('| context L | teacher ms | pure ms | hybrid ms | teacher / pure | hybrid / pure | run.c ms | teacher / run.c |');
  lines.push('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const l of contexts) {
    const t = at(lockstep, 'teacher', l)!;
    const p = at(lockstep, 'pure', l)!;
    const h = at(lockstep, 'hybrid', l)!;
    const c = at(runc, 'run.c', l);
    lines.push(`| ${l} | ${f(t.msPerToken)} | ${f(p.msPerToken)} | ${f(h.msPerToken)} | ${f(t.msPerToken / p.msPerToken)} | ${f(h.msPerToken / p.msPerToken)} | ${c ? f(c.msPerToken, 3) : '—'} | ${c ? f(t.msPerToken / c.msPerToken, 1) : '—'} |`);
  }
  const first = contexts[0];
  const last = contexts[contexts.length - 1];
  const growth = (pts: Point[], m: string) => at(pts, m, last)!.msPerToken / at(pts, m, first)!.msPerToken;
  lines.push('', `Cost at L=${last} / cost at L=${first}: teacher ${f(growth(lockstep, 'teacher'))}, pure ${f(growth(lockstep, 'pure'))}, hybrid ${f(growth(lockstep, 'hybrid'))}, run.c ${f(growth(runc, 'run.c'))}.`);
  lines.push('', 'Memory (one process per model): decode state (KV cache / SSM state, bytes) and process RSS (MiB):', '');
  lines.push('| context L | teacher state | teacher RSS | pure state | pure RSS | hybrid state | hybrid RSS | run.c KV | run.c RSS |');
  lines.push('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const l of contexts) {
    const cell = (m: string) => {
      const p = at(memory, m, l);
      return p ? `${p.stateBytes.toLocaleString('en-US')} | ${f(p.rssMiB, 1)}` : '— | —';
    };
    const c = at(runc, 'run.c', l);
    lines.push(`| ${l} | ${cell('teacher')} | ${cell('pure')} | ${cell('hybrid')} | ${c ? `${c.stateBytes.toLocaleString('en-US')} | ${f(c.rssMiB, 1)}` : '— | —'} |`);
  }
  lines.push('', `Single-process timings of the memory runs (ms/token): ${['teacher', 'pure', 'hybrid'].map((m) => `${m} ${contexts.map((l) => f(at(memory, m, l)!.msPerToken)).join('/')}`).join('; ')}.`);
  lines.push(`run.c ${b.commit.slice(0, 12)} (${b.gcc}); its own 'run -n 512' reports ${f(achieved, 0)} tok/s.`);
  lines.push('', 'Load average (1/5/15 min) before → after each part:', '');
  for (const x of log) lines.push(`- ${x.what}: ${x.loadBefore} → ${x.loadAfter} (${x.seconds.toFixed(0)} s)`);
  process.stdout.write(lines.join('\n') + '\n');
  const out = flag(args, '--out');
  if (out) writeFileSync(out, JSON.stringify({ max, backend, interleaved: inter, lockstep, memory, runc, runcAchievedAt512: achieved, runcCommit: b.commit, log }, null, 2) + '\n');
}

await main();
